/*
 * ctl_client.h: one request to secchatd's control socket and its answer,
 * for secchatctl and secchat-passwd -k.
 */
#ifndef SECCHAT_CTL_CLIENT_H
#define SECCHAT_CTL_CLIENT_H

#include <stddef.h>

#include "ctlproto.h"

#define CTL_DEFAULT_SOCKET	RUNSTATEDIR "/secchatd.sock"

/* What came back: each ROW, then the OK or ERROR text. */
struct ctl_answer {
	char	**rows;		/* NUL-terminated lines */
	size_t	  nrows;
	char	 *text;		/* the last frame's line */
	int	  error;	/* 1: the last frame was ERROR */
};

/*
 * Connect to the socket at path, make sure root (or this uid) is at the
 * other end, send req and read the whole answer, waiting at most
 * timeout_ms in all.  Returns 0 with *ans filled, or -1 with err saying
 * why nothing could be asked or the answer was incomplete.
 */
int	ctl_call(const char *path, const struct ctl_request *req,
	    int timeout_ms, struct ctl_answer *ans, char *err, size_t errlen);
void	ctl_answer_free(struct ctl_answer *);

#endif
