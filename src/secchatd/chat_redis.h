/*
 * chat_redis.h: the chat engine that spans several nodes through Redis
 * (Engine redis); the design is doc/scaling.md.  One per broker.
 *
 * The broker calls, in this order: chat_redis_setup() before its sandbox
 * (it draws the node's epoch), chat_new() with chat_redis_engine, then in
 * its loop chat_redis_pollfds() / chat_redis_timeout() before poll(),
 * chat_redis_handle() after, and chat_redis_adopt() for each descriptor
 * the master passes (IMSG_B_REDIS).  When a connection breaks the engine
 * calls the wanted() given to setup, and the broker asks the master for
 * new ones.
 */
#ifndef SECCHAT_CHAT_REDIS_H
#define SECCHAT_CHAT_REDIS_H

#include <poll.h>
#include <stdint.h>

#include "chat.h"

#define CHAT_REDIS_NPOLL	2

/* 1 if this build has the Redis engine (hiredis). */
int	chat_redis_available(void);
/* NULL without hiredis. */
const struct chat_engine_ops *chat_redis_ops(void);
void	chat_redis_setup(const char *node, const char *prefix,
	    void (*wanted)(void));
/* role: REDIS_ROLE_COMMANDS or REDIS_ROLE_READER; the engine owns fd. */
void	chat_redis_adopt(int role, int fd);
/* Fill CHAT_REDIS_NPOLL slots (fd -1 when unused). */
void	chat_redis_pollfds(struct pollfd *);
/* Milliseconds until the engine's next timer, or -1. */
int	chat_redis_timeout(uint64_t mono);
void	chat_redis_handle(const struct pollfd *, uint64_t mono);
/* Write what is queued, as far as the sockets take it. */
void	chat_redis_flush(void);
/* What the engine may hold beyond the memory engine's own accounting. */
uint64_t chat_redis_memory(void);

#endif
