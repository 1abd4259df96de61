/*
 * children.h: the master's long-lived children, the broker and the
 * password checker, as rows of one table, and their supervision: start,
 * restart, liveness pings, messages, and what happens when one is lost.
 */
#ifndef SECCHAT_CHILDREN_H
#define SECCHAT_CHILDREN_H

#include <sys/types.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "ipc.h"
#include "mlog.h"

enum mchild_id {
	MCHILD_BROKER,
	MCHILD_AUTHD,
	MCHILD_COUNT
};

struct mchild;

/* A handler for one type of message from a child. */
typedef void	mchild_msg_fn(struct mchild *, const struct ipc_msg *);

struct mchild_msg {
	uint16_t	 type;
	mchild_msg_fn	*fn;
};

/* One row of the table: what the master knows of a kind of child. */
struct mchild_row {
	const char	*name;		/* its channel, and its lines' prefix */
	const char	*what;		/* in the line about its exit */
	const char	*role;		/* secchatd -R role */
	unsigned	 ipc_role;	/* its end in the table of messages */
	size_t		 chan_max;	/* its channel's output limit, 0: any */
	/* Queue what it is sent at start (fatal if that cannot be queued). */
	void		(*start)(struct mchild *);
	/* The messages it may send besides its PONG and IMSG_M_LOG. */
	const struct mchild_msg *msgs;
	/* What to do after it exited, its channel closed (may be NULL). */
	void		(*lost)(struct mchild *);
	/* What to send it on SIGHUP (NULL: nothing). */
	void		(*reload)(struct mchild *);
	uint16_t	 ping_type;	/* master -> child: u32 token */
	uint16_t	 pong_type;	/* child -> master: the same token */
};

struct mchild {
	const struct mchild_row	*row;
	pid_t			 pid;		/* 0: not running */
	struct ipc_peer		 chan;
	int			 ready;
	int			 killed;
	uint64_t		 started_ms;
	struct logquota		 logq;
	uint32_t		 ping_token;	/* outstanding, or 0 */
	uint64_t		 ping_ms;	/* sent, or last answered */
};

void	children_init(void);
/* Start every child, once at start; -1 if one could not be. */
int	children_start(void);
struct mchild *mchild_get(enum mchild_id);
/* Whether every child is up and has said it is ready. */
int	children_ready(void);
/* 1 the first time every child is ready, then never again. */
int	children_first_ready(void);
/*
 * A child sent something it should not have: it is killed, and restarted
 * when it has been reaped.  It is less privileged than the master, so a
 * broken message ends that process, never the daemon.
 */
void	mchild_misbehaved(struct mchild *, const char *why);
/* Restart the children that are gone (unless shutting down), ping. */
void	children_tick(uint64_t now_ms);
/* 1 if pid was one of these children (and it has been dealt with). */
int	children_reaped(pid_t, int status);
/* poll() entries: MCHILD_COUNT of them, in the order of the table. */
void	children_pollfd(struct pollfd *);
void	children_handle(const struct pollfd *);
void	children_flush(void);
void	children_reload(void);
/* Shutdown: ask each child that is running to end. */
void	children_terminate(void);
#ifdef SECCHAT_TEST_HOOKS
void	children_set_ping_ms(uint64_t interval_ms);
#endif

#endif
