/*
 * redis_link.h: the master's side of the Redis engine (doc/scaling.md).
 *
 * The broker is sandboxed and may not create sockets, so the master
 * connects to Redis for it: two connections (one for commands, one that
 * reads the cluster's log), each authenticated here with the password of
 * RedisPasswordFile, then handed to the broker with IMSG_B_REDIS.  The
 * password never reaches the broker.  When the broker loses a connection
 * it asks for new ones (IMSG_M_REDIS_WANTED) and the master tries again
 * with back-off.
 */
#ifndef SECCHAT_REDIS_LINK_H
#define SECCHAT_REDIS_LINK_H

#include <stdint.h>

#include "conf.h"

/* IMSG_B_REDIS's one byte: which connection the descriptor is. */
#define REDIS_ROLE_COMMANDS	0
#define REDIS_ROLE_READER	1

/*
 * At start, before the children: reads the password file and tries Redis
 * once.  -1 (with the reason logged) if the daemon must not start: a bad
 * password file, or Redis unreachable with RedisStartup fail.
 */
int	redis_link_start(const struct config *);
/* The broker is ready, or asked for new connections: connect soon. */
void	redis_link_want(void);
/* From the master's loop: connect when it is time. */
void	redis_link_tick(uint64_t now_ms);
/* Wipe the password. */
void	redis_link_stop(void);
/*
 * One connection, authenticated; a non-blocking descriptor or -1 with the
 * reason in err.  For tests as well.
 */
int	redis_link_connect(const char *address, const char *user,
	    const char *password, int timeout_ms, char *err, size_t errlen);

#endif
