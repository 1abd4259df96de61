/*
 * ipc.c: typed messages over Unix-domain stream sockets.
 *
 * Output is buffered so that many messages leave in one write; a message
 * that carries a descriptor is sent with sendmsg(SCM_RIGHTS) attached to its
 * first byte, so the receiver always holds the descriptor by the time it
 * parses the message.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "log.h"

#define IPC_READ_CHUNK	(64 * 1024)

static void	ipc_release(struct ipc_peer *);

void
ipc_init(struct ipc_peer *p, int fd, const char *name, size_t outmax)
{
	memset(p, 0, sizeof(*p));
	p->fd = fd;
	p->name = name;
	buf_init(&p->in, IPC_HDRLEN + IPC_MAX_PAYLOAD + IPC_READ_CHUNK);
	buf_init(&p->out, outmax);
	p->rchunk = IPC_READ_CHUNK;
}

void
ipc_set_read_chunk(struct ipc_peer *p, size_t n)
{
	p->rchunk = n < 256 ? 256 : n > IPC_READ_CHUNK ? IPC_READ_CHUNK : n;
}

void
ipc_accept_fds(struct ipc_peer *p, int n)
{
	p->maxrecvfds = n < 0 ? 0 : n > IPC_MAX_FDS ? IPC_MAX_FDS : n;
}

void
ipc_trim(struct ipc_peer *p)
{
	if (p->held == 0 && buf_used(&p->in) == 0)
		buf_free(&p->in);
	if (buf_used(&p->out) == 0 && p->nsendfds == 0)
		buf_free(&p->out);
}

void
ipc_clear(struct ipc_peer *p)
{
	int	 i;

	if (p->fd != -1)
		close(p->fd);
	p->fd = -1;
	for (i = 0; i < p->nsendfds; i++)
		close(p->sendfds[i].fd);
	for (i = 0; i < p->nrecvfds; i++)
		close(p->recvfds[i]);
	p->nsendfds = p->nrecvfds = 0;
	buf_free(&p->in);
	buf_free(&p->out);
}

static int
compose_header(struct ipc_peer *p, uint16_t type, uint32_t session, int fd,
    size_t len)
{
	uint8_t	 hdr[IPC_HDRLEN];

	if (len > IPC_MAX_PAYLOAD) {
		errno = EMSGSIZE;
		return -1;
	}
	/* A full descriptor queue may drain if the socket takes some now. */
	if (fd != -1 && p->nsendfds == IPC_MAX_SENDFDS)
		(void)ipc_flush(p);
	if (fd != -1 && p->nsendfds == IPC_MAX_SENDFDS) {
		errno = ENOBUFS;
		return -1;
	}
	/* Reserve the whole message first, so it is queued whole or not. */
	if (buf_reserve(&p->out, IPC_HDRLEN + len) == NULL)
		return -1;
	put_u32(hdr, (uint32_t)len);
	put_u16(hdr + 4, type);
	put_u16(hdr + 6, 0);
	put_u32(hdr + 8, session);
	if (fd != -1) {
		p->sendfds[p->nsendfds].fd = fd;
		p->sendfds[p->nsendfds].at = p->sent + buf_used(&p->out);
		p->nsendfds++;
	}
	return buf_append(&p->out, hdr, sizeof(hdr));
}

int
ipc_compose(struct ipc_peer *p, uint16_t type, uint32_t session, int fd,
    const void *data, size_t len)
{
	if (compose_header(p, type, session, fd, len) == -1)
		return -1;
	return buf_append(&p->out, data, len);
}

int
ipc_composev(struct ipc_peer *p, uint16_t type, uint32_t session,
    const struct buf *payload)
{
	return ipc_compose(p, type, session, -1, buf_head(payload),
	    buf_used(payload));
}

int
ipc_pending(const struct ipc_peer *p)
{
	return buf_used(&p->out) > 0;
}

static ssize_t
send_chunk(struct ipc_peer *p, size_t n, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf_head(&p->out);
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	return sendmsg(p->fd, &mh, MSG_NOSIGNAL);
}

int
ipc_flush(struct ipc_peer *p)
{
	ssize_t	 n;
	size_t	 want;
	int	 fd;

	while (buf_used(&p->out) > 0) {
		want = buf_used(&p->out);
		fd = -1;
		if (p->nsendfds > 0) {
			size_t at = p->sendfds[0].at - p->sent;

			if (at == 0) {
				fd = p->sendfds[0].fd;
				/* The next one rides with its own message. */
				if (p->nsendfds > 1 &&
				    p->sendfds[1].at - p->sent < want)
					want = p->sendfds[1].at - p->sent;
			} else if (at < want)
				want = at;	/* stop where the fd rides */
		}
		n = send_chunk(p, want, fd);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -1;
		}
		if (fd != -1) {
			close(fd);
			memmove(p->sendfds, p->sendfds + 1,
			    (size_t)(p->nsendfds - 1) * sizeof(p->sendfds[0]));
			p->nsendfds--;
		}
		buf_consume(&p->out, (size_t)n);
		p->sent += (size_t)n;
	}
	return 0;
}

int
ipc_flush_all(struct ipc_peer *p)
{
	struct pollfd	 pfd;

	while (buf_used(&p->out) > 0) {
		if (ipc_flush(p) == -1)
			return -1;
		if (buf_used(&p->out) == 0)
			break;
		pfd.fd = p->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, -1) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

static int
take_fds(struct ipc_peer *p, struct msghdr *mh)
{
	struct cmsghdr	*cm;
	int		 bad = 0;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t	 n, i;
		int	 fd;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (p->nrecvfds >= p->maxrecvfds) {
				close(fd);
				bad = 1;
				continue;
			}
			p->recvfds[p->nrecvfds++] = fd;
		}
	}
	if (mh->msg_flags & MSG_CTRUNC)
		bad = 1;
	return bad ? -1 : 0;
}

int
ipc_read(struct ipc_peer *p)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cmsgbuf;
	uint8_t		*d;
	ssize_t		 n;

	ipc_release(p);
	if ((d = buf_reserve(&p->in, p->rchunk)) == NULL)
		return -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = d;
	iov.iov_len = p->rchunk;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	do {
		n = recvmsg(p->fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? 1 : -1;
	if (take_fds(p, &mh) == -1) {
		p->refused = "sent a descriptor it may not send";
		errno = EBADMSG;
		return -1;
	}
	if (n == 0) {
		p->eof = 1;
		return 0;
	}
	buf_commit(&p->in, (size_t)n);
	return 1;
}

int
ipc_parse(const uint8_t *d, size_t len, struct ipc_msg *m)
{
	if (len < IPC_HDRLEN)
		return 0;
	m->len = get_u32(d);
	m->type = get_u16(d + 4);
	m->flags = get_u16(d + 6);
	m->session = get_u32(d + 8);
	m->fd = -1;
	if (m->len > IPC_MAX_PAYLOAD || m->flags != 0)
		return -1;
	if (len - IPC_HDRLEN < m->len)
		return 0;
	m->data = d + IPC_HDRLEN;
	return 1;
}

/*
 * The message handed out last stays in the buffer until the next call, so
 * its data is valid while the caller handles it; then it is consumed, which
 * wipes it.
 */
static void
ipc_release(struct ipc_peer *p)
{
	if (p->held > 0) {
		buf_consume(&p->in, p->held);
		p->held = 0;
	}
}

int
ipc_get(struct ipc_peer *p, struct ipc_msg *m)
{
	int	 r;

	ipc_release(p);
	r = ipc_parse(buf_head(&p->in), buf_used(&p->in), m);
	if (r != 1)
		return r;
	p->held = IPC_HDRLEN + m->len;
	/* The one table, before any handler sees the message. */
	if (p->self_role != 0 && ipc_check(m, p->peer_role, p->self_role,
	    p->nrecvfds, &p->refused) == NULL)
		return -1;
	return 1;
}

void
ipc_set_roles(struct ipc_peer *p, unsigned self, unsigned peer)
{
	p->self_role = self;
	p->peer_role = peer;
}

int
ipc_claim_fd(struct ipc_peer *p)
{
	int	 fd;

	if (p->nrecvfds == 0)
		return -1;
	fd = p->recvfds[0];
	memmove(p->recvfds, p->recvfds + 1,
	    (size_t)(p->nrecvfds - 1) * sizeof(p->recvfds[0]));
	p->nrecvfds--;
	return fd;
}

int
ipc_get_blocking(struct ipc_peer *p, struct ipc_msg *m)
{
	struct pollfd	 pfd;
	int		 r;

	for (;;) {
		if ((r = ipc_get(p, m)) != 0)
			return r;
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((r = ipc_read(p)) <= 0)
			return -1;
	}
}
