/*
 * ctl_client.c: one request to the control socket (ctl_client.h).
 *
 * The daemon checks who connects; this side checks who answers: the
 * socket's other end must be root or this uid, so a socket someone else
 * put at the path (in a directory they can write) gets no request.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ctl_client.h"
#include "ctlproto.h"
#include "util.h"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void
ctl_answer_free(struct ctl_answer *ans)
{
	size_t	 i;

	for (i = 0; i < ans->nrows; i++)
		free(ans->rows[i]);
	free(ans->rows);
	free(ans->text);
	memset(ans, 0, sizeof(*ans));
}

/* One frame: a row is kept, the last frame ends the answer (returns 1). */
static int
take_frame(struct ctl_answer *ans, uint16_t type, const uint8_t *p,
    size_t len)
{
	char	*line;

	if ((line = strndup((const char *)p, len)) == NULL)
		return -1;
	/* A line with a NUL in it would be cut short: not from our daemon. */
	if (strlen(line) != len) {
		free(line);
		return -1;
	}
	if (type == CTL_R_ROW) {
		if ((ans->rows = reallocarray(ans->rows, ans->nrows + 1,
		    sizeof(*ans->rows))) == NULL) {
			free(line);
			return -1;
		}
		ans->rows[ans->nrows++] = line;
		return 0;
	}
	ans->text = line;
	ans->error = type == CTL_R_ERROR;
	return 1;
}

static int
wait_fd(int fd, short events, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 r;

	for (;;) {
		now = mono_ms();
		if (now >= deadline)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		if ((r = poll(&pfd, 1, (int)(deadline - now))) == -1 &&
		    errno == EINTR)
			continue;
		return r;
	}
}

int
ctl_call(const char *path, const struct ctl_request *req, int timeout_ms,
    struct ctl_answer *ans, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct ucred		 cred;
	struct timeval		 tv;
	struct buf		 out, in;
	const uint8_t		*payload;
	socklen_t		 clen = sizeof(cred);
	uint64_t		 deadline = mono_ms() + (uint64_t)timeout_ms;
	uint16_t		 type;
	size_t			 plen, used;
	ssize_t			 n;
	uint8_t			*p;
	int			 fd = -1, r, rc = -1, done = 0;

	memset(ans, 0, sizeof(*ans));
	buf_init(&out, 0);
	buf_init(&in, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path)) {
		fail(err, errlen, "%s: path too long for a socket", path);
		goto out;
	}
	if (ctl_request_encode(&out, req) == -1) {
		fail(err, errlen, "the request breaks the protocol's rules");
		goto out;
	}
	/*
	 * A Unix socket's connect waits while the listen queue is full (a
	 * daemon that is stopped): the send timeout bounds that wait too.
	 */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fail(err, errlen, "%s: %s", path, errno == EAGAIN ?
		    "the daemon is not accepting connections" :
		    strerror(errno));
		goto out;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == -1 ||
	    clen != sizeof(cred)) {
		fail(err, errlen, "%s: cannot tell who listens on it", path);
		goto out;
	}
	if (cred.uid != 0 && cred.uid != geteuid()) {
		fail(err, errlen, "%s: the process listening on it runs as "
		    "uid %ld, neither root nor us; not asking it", path,
		    (long)cred.uid);
		goto out;
	}
	if (set_nonblock(fd) == -1) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	while (buf_used(&out) > 0) {
		if ((n = send(fd, buf_head(&out), buf_used(&out),
		    MSG_NOSIGNAL)) == -1) {
			if (errno == EAGAIN && wait_fd(fd, POLLOUT,
			    deadline) > 0)
				continue;
			if (errno == EINTR)
				continue;
			/* Refused before it read a byte: the answer waits. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			fail(err, errlen, "%s: %s", path, errno == EAGAIN ?
			    "timed out" : strerror(errno));
			goto out;
		}
		buf_consume(&out, (size_t)n);
	}
	while (!done) {
		r = ctl_reply_parse(buf_head(&in), buf_used(&in), &type,
		    &payload, &plen, &used);
		if (r == -1) {
			fail(err, errlen, "%s: malformed answer", path);
			goto out;
		}
		if (r == 1) {
			if ((r = take_frame(ans, type, payload, plen)) == -1) {
				fail(err, errlen, "%s: malformed answer",
				    path);
				goto out;
			}
			buf_consume(&in, used);
			done = r;
			continue;
		}
		if ((p = buf_reserve(&in, 65536)) == NULL) {
			fail(err, errlen, "out of memory");
			goto out;
		}
		n = read(fd, p, 65536);
		if (n == -1 && (errno == EAGAIN || errno == EINTR)) {
			if (errno == EAGAIN && wait_fd(fd, POLLIN,
			    deadline) == 0) {
				fail(err, errlen, "%s: no answer in %d s",
				    path, timeout_ms / 1000);
				goto out;
			}
			continue;
		}
		if (n <= 0) {
			fail(err, errlen, "%s: %s", path, n == 0 ?
			    "the daemon closed the connection before it "
			    "answered" : strerror(errno));
			goto out;
		}
		buf_commit(&in, (size_t)n);
	}
	rc = 0;
out:
	if (rc == -1)
		ctl_answer_free(ans);
	if (fd != -1)
		close(fd);
	buf_free(&out);
	buf_free(&in);
	return rc;
}
