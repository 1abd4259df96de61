/*
 * mlog.h: the master's log quotas.
 *
 * Some lines arrive at a rate that someone outside the master chooses: one
 * per connection, and every line a child sends.  A sandboxed child taken
 * over by an attacker, or a flood of connections, must not be able to
 * flood the system log, so each source of such lines gets a quota a second,
 * and what was held back is counted in one line.
 */
#ifndef SECCHAT_MLOG_H
#define SECCHAT_MLOG_H

#include <stdint.h>

#include "ipc.h"
#include "log.h"

#define MLOG_CHILD_BURST	50	/* lines a second per child */
#define MLOG_CONN_BURST		20	/* per-connection lines a second */

struct logquota {
	uint64_t	 window_ms;
	unsigned	 lines, dropped;
};

/* 1 if one more line from this source may be logged in this second. */
int	mlog_allowed(struct logquota *, const char *who, unsigned limit);

/*
 * A line about one connection: these come at the rate connections do.
 * (Failed logins are always logged: the throttle already bounds them.)
 */
extern struct logquota mlog_connq;
#define mlog_conn(...)	do {						\
	if (mlog_allowed(&mlog_connq, "connections", MLOG_CONN_BURST))	\
		log_info(__VA_ARGS__);					\
} while (0)

/* IMSG_M_LOG from a child: u8 priority, str text, logged as who's. */
void	mlog_from_child(const char *who, struct logquota *,
	    const struct ipc_msg *);

#endif
