/*
 * broker.h: the broker process: rooms, presence, fan-out and history.
 *
 * Unprivileged, sandboxed, with no network.  It receives one socket per
 * session from the master, learns from the master (never from a worker)
 * which user a session authenticated as, and attributes every message by
 * that record.
 */
#ifndef SECCHAT_BROKER_H
#define SECCHAT_BROKER_H

/* Entry point of "secchatd -R broker"; the master channel is fd 3. */
int	broker_main(int verbose);

#endif
