/*
 * control.h: the master's control socket (ControlSocket), where
 * secchatctl asks for lists and counters, ends sessions, sends a notice,
 * reloads and sets the log level.  The protocol is ctlproto.h's.
 *
 * Only root, or the uid the daemon runs as, may use it: the socket is
 * mode 0600, and the master checks every connection's SO_PEERCRED.  One
 * request per connection, at most CTL_CLIENTS connections at a time;
 * what one connection sends affects no other.
 */
#ifndef SECCHAT_CONTROL_H
#define SECCHAT_CONTROL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"

#define CTL_CLIENTS		4

struct mchild;

/*
 * Counters the parts of the master keep for `show stats`.  Since the
 * master started.
 */
struct mstats {
	uint64_t	 started_ms;		/* mono_ms() at start */
	uint64_t	 logins;		/* accepted */
	uint64_t	 login_failures;	/* checked and refused */
	uint64_t	 logins_throttled;	/* refused without a check */
	uint64_t	 broker_restarts;
	uint64_t	 checker_restarts;
	uint64_t	 accounts_ended;	/* sessions, by a reload */
	uint64_t	 kicked;		/* sessions, by `kick` */
};
extern struct mstats	 mstats;

/* Bind ControlSocket, unless it is "none" (fatal on error). */
void	control_open(void);
/* Close the socket and the connections; unlink the socket if it is ours. */
void	control_close(void);
/* poll() entries: CTL_CLIENTS + 1 of them, unused ones with fd -1. */
size_t	control_npollfd(void);
void	control_pollfd(struct pollfd *);
void	control_handle(const struct pollfd *);
/* Answer what waited too long; close connections past their time. */
void	control_tick(uint64_t now_ms);

/* The broker's answers to STATS (children.c passes them on). */
void	control_broker_session(struct mchild *, const struct ipc_msg *);
void	control_broker_end(struct mchild *, const struct ipc_msg *);
/* The broker is gone: what waited for it is answered without it. */
void	control_broker_lost(void);

/*
 * A reload's progress, for the `reload` requests waiting on it: seq is
 * the reload's number (mctx.reload_seq when it began).  A line for those
 * waiting on reload seq, and the end of every reload up to seq.
 */
void	control_reload_note(unsigned seq, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	control_reload_done(unsigned seq);

#endif
