/*
 * broker.h: the broker process: the chat model (chat.h) behind the
 * sessions' channels, with output batching and the sandbox.
 *
 * Unprivileged, sandboxed, with no network.  It receives one socket per
 * session from the master, learns from the master (never from a worker)
 * which user a session authenticated as, and attributes every message by
 * that record.
 */
#ifndef SECCHAT_BROKER_H
#define SECCHAT_BROKER_H

#include <stdint.h>

struct broker_init;

/* Entry point of "secchatd -R broker"; the master channel is fd 3. */
int	broker_main(int verbose);
/*
 * The broker's address-space limit, in bytes, for the configuration it is
 * given: what its limits let it hold, with room for the allocator.
 */
uint64_t broker_memory_limit(const struct broker_init *);

#endif
