/*
 * master.h: the master process: listeners, children, limits, the host key
 * and the record of who each session authenticated as.
 */
#ifndef SECCHAT_MASTER_H
#define SECCHAT_MASTER_H

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

#endif
