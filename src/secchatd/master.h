/*
 * master.h: the master process: listeners, children, limits, the host key
 * and the record of who each session authenticated as.
 */
#ifndef SECCHAT_MASTER_H
#define SECCHAT_MASTER_H

#include <sys/types.h>

#include "conf.h"

struct master_opts {
	const char	*config_path;
	const char	*self_path;	/* absolute path for re-exec */
	size_t		 argv0_len;	/* strlen(argv[0]), for the title */
	int		 foreground;
	int		 log_stderr;
	int		 verbose;
};

/* Runs the daemon; returns the exit status. */
int	master_main(struct config *, const struct master_opts *);

/*
 * What every part of the master reads (children.c, listeners.c, login.c,
 * sessions.c, spawn.c): master.c sets it at start and on SIGHUP, the
 * others only read it.
 */
struct master_ctx {
	struct config		 *conf;
	const struct master_opts *opts;
	unsigned		  max_sessions;	/* within the fd limit */
	uid_t			  privsep_uid;	/* looked up once */
	gid_t			  privsep_gid;
	int			  shutting_down;
	unsigned		  reload_seq;	/* reloads begun so far */
};
extern struct master_ctx mctx;

/* Reload as on SIGHUP, at the top of the next turn of the loop. */
void	master_request_reload(void);

#endif
