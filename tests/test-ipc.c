/*
 * test-ipc.c: the IPC layer over real socket pairs, and the failed-login
 * throttle table.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "tap.h"
#include "throttle.h"
#include "util.h"

static int
make_pair(struct ipc_peer *a, struct ipc_peer *b, size_t outmax)
{
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if (set_nonblock(sv[0]) == -1 || set_nonblock(sv[1]) == -1)
		return -1;
	ipc_init(a, sv[0], "a", outmax);
	ipc_init(b, sv[1], "b", outmax);
	return 0;
}

/* Read until a whole message is buffered (or 2 s pass); 1 if one is. */
static int
get_one(struct ipc_peer *p, struct ipc_msg *m)
{
	struct pollfd	 pfd;
	int		 r, tries;

	for (tries = 0; tries < 20; tries++) {
		if ((r = ipc_get(p, m)) != 0)
			return r;
		pfd.fd = p->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (ipc_read(p) <= 0)
			return -1;
	}
	return 0;
}

static int
msg_is(const struct ipc_msg *m, uint16_t type, uint32_t session,
    const void *data, size_t len)
{
	return m->type == type && m->session == session && m->len == len &&
	    m->flags == 0 && (len == 0 || memcmp(m->data, data, len) == 0);
}

static void
test_round_trip(void)
{
	struct ipc_peer	 a, b;
	struct ipc_msg	 m;
	uint8_t		 big[5000];
	int		 ok;

	if (make_pair(&a, &b, 0) == -1) {
		tap_ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	memset(big, 0xa5, sizeof(big));
	ok = ipc_compose(&a, IMSG_M_LOG, 7, -1, "hello", 5) == 0 &&
	    ipc_compose(&a, IMSG_M_BROKER_READY, 0, -1, NULL, 0) == 0 &&
	    ipc_compose(&a, IMSG_B_APP, 0xdeadbeef, -1, big, sizeof(big)) == 0;
	tap_ok(ok, "three messages queued");
	tap_ok(ipc_pending(&a), "output is pending before the flush");
	tap_ok(ipc_flush(&a) == 0 && !ipc_pending(&a),
	    "one flush writes all three");
	tap_ok(ipc_read(&b) == 1, "one read on the other side");
	tap_ok(ipc_get(&b, &m) == 1 && msg_is(&m, IMSG_M_LOG, 7, "hello", 5),
	    "first message intact");
	tap_ok(m.fd == -1, "no descriptor with the first message");
	tap_ok(ipc_get(&b, &m) == 1 && msg_is(&m, IMSG_M_BROKER_READY, 0,
	    NULL, 0), "empty second message intact");
	tap_ok(ipc_get(&b, &m) == 1 && msg_is(&m, IMSG_B_APP, 0xdeadbeef,
	    big, sizeof(big)), "5000-byte third message intact");
	tap_ok(ipc_get(&b, &m) == 0, "nothing more buffered");
	tap_ok(ipc_claim_fd(&b) == -1, "no descriptor to claim");

	/* Idle channels give their buffers back and regrow them on use. */
	ipc_trim(&a);
	ipc_trim(&b);
	tap_ok(a.out.data == NULL && a.out.cap == 0 && b.in.data == NULL,
	    "ipc_trim frees the buffers of an idle channel");
	tap_ok(ipc_compose(&a, IMSG_M_LOG, 8, -1, "again", 5) == 0,
	    "a trimmed channel queues again");
	ipc_trim(&a);
	tap_ok(a.out.data != NULL && ipc_pending(&a),
	    "ipc_trim keeps a buffer that holds output");
	tap_ok(ipc_flush(&a) == 0 && ipc_read(&b) == 1 &&
	    ipc_get(&b, &m) == 1 && msg_is(&m, IMSG_M_LOG, 8, "again", 5),
	    "and the message arrives intact");
	ipc_trim(&b);
	tap_ok(b.in.data != NULL,
	    "ipc_trim keeps the message handed out until the next ipc_get");
	tap_ok(ipc_get(&b, &m) == 0, "nothing more buffered after it");

	close(a.fd);
	a.fd = -1;
	tap_ok(ipc_read(&b) == 0 && b.eof, "EOF is reported and remembered");
	ipc_clear(&a);
	ipc_clear(&b);
}

/* Write s to wfd and check that it comes out of rfd. */
static int
pipe_carries(int wfd, int rfd, const char *s)
{
	char	 got[64];
	ssize_t	 n;

	if (write(wfd, s, strlen(s)) != (ssize_t)strlen(s))
		return 0;
	n = read(rfd, got, sizeof(got));
	return n == (ssize_t)strlen(s) && memcmp(got, s, (size_t)n) == 0;
}

static void
test_fd_passing(void)
{
	struct ipc_peer	 a, b;
	struct ipc_msg	 m;
	int		 p1[2], p2[2], fd1, fd2, ok;

	if (make_pair(&a, &b, 0) == -1 || pipe(p1) == -1 || pipe(p2) == -1) {
		tap_ok(0, "setup: %s", strerror(errno));
		return;
	}
	ipc_accept_fds(&b, IPC_MAX_FDS);
	/* ipc_flush closes what it sends: keep the test's read ends. */
	ok = ipc_compose(&a, IMSG_A_CHECK, 1, -1, "before", 6) == 0 &&
	    ipc_compose(&a, IMSG_B_SESSION, 2, dup(p1[0]), NULL, 0) == 0 &&
	    ipc_compose(&a, IMSG_A_RELOAD, 3, dup(p2[0]), "x", 1) == 0 &&
	    ipc_compose(&a, IMSG_A_CHECK, 4, -1, "after", 5) == 0;
	tap_ok(ok, "messages with descriptors queued");
	tap_ok(a.nsendfds == 2, "two descriptors wait to be sent");
	tap_ok(ipc_flush(&a) == 0 && !ipc_pending(&a) && a.nsendfds == 0,
	    "flush sends them all");

	tap_ok(get_one(&b, &m) == 1 && msg_is(&m, IMSG_A_CHECK, 1, "before",
	    6), "message before the descriptors intact");
	tap_ok(get_one(&b, &m) == 1 && msg_is(&m, IMSG_B_SESSION, 2, NULL, 0),
	    "first descriptor message intact");
	fd1 = ipc_claim_fd(&b);
	tap_ok(fd1 >= 0, "its descriptor can be claimed");
	tap_ok(fd1 >= 0 && pipe_carries(p1[1], fd1, "one"),
	    "it is the first pipe's read end and works");
	tap_ok(fd1 >= 0 && (fcntl(fd1, F_GETFD) & FD_CLOEXEC),
	    "it arrived close-on-exec");
	tap_ok(get_one(&b, &m) == 1 && msg_is(&m, IMSG_A_RELOAD, 3, "x", 1),
	    "second descriptor message intact");
	fd2 = ipc_claim_fd(&b);
	tap_ok(fd2 >= 0 && pipe_carries(p2[1], fd2, "two"),
	    "second descriptor is the second pipe's, in order");
	tap_ok(ipc_claim_fd(&b) == -1, "no third descriptor");
	tap_ok(get_one(&b, &m) == 1 && msg_is(&m, IMSG_A_CHECK, 4, "after", 5),
	    "message after the descriptors intact");

	if (fd1 >= 0)
		close(fd1);
	if (fd2 >= 0)
		close(fd2);
	close(p1[0]);
	close(p1[1]);
	close(p2[0]);
	close(p2[1]);
	ipc_clear(&a);
	ipc_clear(&b);
}

static void
test_limits(void)
{
	struct ipc_peer	 a, b;
	struct ipc_msg	 m;
	static uint8_t	 huge[IPC_MAX_PAYLOAD + 1];
	uint8_t		 raw[IPC_HDRLEN];
	size_t		 before;

	if (make_pair(&a, &b, 100) == -1) {
		tap_ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	tap_ok(ipc_compose(&a, IMSG_B_APP, 0, -1, huge, sizeof(huge)) == -1,
	    "compose refuses a payload over IPC_MAX_PAYLOAD");
	tap_ok(ipc_compose(&a, IMSG_B_APP, 0, -1, huge, 80) == 0,
	    "a message within the queue limit is queued");
	before = buf_used(&a.out);
	tap_ok(ipc_compose(&a, IMSG_B_APP, 0, -1, huge, 20) == -1,
	    "a message past the queue limit is refused");
	tap_ok(buf_used(&a.out) == before,
	    "and nothing of it was queued");

	/* A peer that sends bad flags is cut off by ipc_get. */
	put_u32(raw, 0);
	put_u16(raw + 4, IMSG_B_APP);
	put_u16(raw + 6, 1);
	put_u32(raw + 8, 0);
	tap_ok(write(a.fd, raw, sizeof(raw)) == (ssize_t)sizeof(raw) &&
	    get_one(&b, &m) == -1, "ipc_get: flags != 0 is malformed");
	ipc_clear(&a);
	ipc_clear(&b);
}

static void
test_parse(void)
{
	struct ipc_msg	 m;
	uint8_t		 d[IPC_HDRLEN + 4];

	memset(d, 0, sizeof(d));
	put_u32(d, 4);
	put_u16(d + 4, IMSG_M_RESULT);
	put_u32(d + 8, 99);
	memcpy(d + IPC_HDRLEN, "abcd", 4);
	tap_ok(ipc_parse(d, sizeof(d), &m) == 1 && m.len == 4 &&
	    m.type == IMSG_M_RESULT && m.session == 99 &&
	    m.data == d + IPC_HDRLEN && m.fd == -1,
	    "parse: a whole message");
	tap_ok(ipc_parse(d, IPC_HDRLEN - 1, &m) == 0,
	    "parse: a partial header needs more");
	tap_ok(ipc_parse(d, 0, &m) == 0, "parse: nothing needs more");
	tap_ok(ipc_parse(d, IPC_HDRLEN + 3, &m) == 0,
	    "parse: a partial payload needs more");

	put_u32(d, IPC_MAX_PAYLOAD);
	tap_ok(ipc_parse(d, sizeof(d), &m) == 0,
	    "parse: the largest length is allowed (and needs more)");
	put_u32(d, IPC_MAX_PAYLOAD + 1);
	tap_ok(ipc_parse(d, sizeof(d), &m) == -1,
	    "parse: an oversized length is malformed");
	tap_ok(ipc_parse(d, IPC_HDRLEN, &m) == -1,
	    "parse: ...even before its payload arrives");
	put_u32(d, 0xffffffff);
	tap_ok(ipc_parse(d, sizeof(d), &m) == -1,
	    "parse: length 2^32-1 is malformed");

	put_u32(d, 4);
	put_u16(d + 6, 0x8000);
	tap_ok(ipc_parse(d, sizeof(d), &m) == -1,
	    "parse: flags != 0 is malformed");
}

static void
test_blocking(void)
{
	struct ipc_peer	 a, b;
	struct ipc_msg	 m;

	if (make_pair(&a, &b, 0) == -1) {
		tap_ok(0, "socketpair: %s", strerror(errno));
		return;
	}
	(void)ipc_compose(&a, IMSG_W_SHUTDOWN, 5, -1, "bye", 3);
	tap_ok(ipc_flush_all(&a) == 0, "flush_all");
	tap_ok(ipc_get_blocking(&b, &m) == 1 &&
	    msg_is(&m, IMSG_W_SHUTDOWN, 5, "bye", 3), "get_blocking");
	close(a.fd);
	a.fd = -1;
	tap_ok(ipc_get_blocking(&b, &m) == -1 && b.eof,
	    "get_blocking at EOF fails with eof set");
	ipc_clear(&a);
	ipc_clear(&b);
}

static void
test_throttle(void)
{
	struct throttle	 t;
	uint64_t	 now = 1000000;

	throttle_init(&t, 3, 60000);
	tap_ok(throttle_count(&t, "192.0.2.1", now) == 0,
	    "throttle: unknown key has no failures");
	throttle_fail(&t, "192.0.2.1", now);
	throttle_fail(&t, "192.0.2.1", now + 10);
	throttle_fail(&t, "192.0.2.1", now + 20);
	tap_ok(throttle_count(&t, "192.0.2.1", now + 30) == 3,
	    "throttle: three failures counted");
	tap_ok(throttle_count(&t, "192.0.2.2", now + 30) == 0,
	    "throttle: other keys unaffected");
	tap_ok(throttle_count(&t, "192.0.2.1", now + 20 + 59999) == 3,
	    "throttle: still counted just inside the window");
	tap_ok(throttle_count(&t, "192.0.2.1", now + 20 + 60000) == 0,
	    "throttle: forgotten one window after the last failure");
	throttle_fail(&t, "192.0.2.1", now + 70000);
	tap_ok(throttle_count(&t, "192.0.2.1", now + 70000) == 1,
	    "throttle: counting starts over after expiry");
	tap_ok(throttle_count(&t, "192.0.2.1", now + 69000) == 1,
	    "throttle: a clock that steps back does not expire entries");
	throttle_forget(&t, "192.0.2.1");
	tap_ok(throttle_count(&t, "192.0.2.1", now + 70001) == 0,
	    "throttle: forget");
	throttle_free(&t);

	/* Eviction: the entry with the oldest failure goes. */
	throttle_init(&t, 3, 60000);
	throttle_fail(&t, "a", now + 1);
	throttle_fail(&t, "b", now + 2);
	throttle_fail(&t, "c", now + 3);
	throttle_fail(&t, "a", now + 4);	/* a is now the newest */
	throttle_fail(&t, "d", now + 5);	/* full: b goes */
	tap_ok(t.n == 3, "throttle: the table stays at its cap");
	tap_ok(throttle_count(&t, "b", now + 6) == 0,
	    "throttle: the oldest failure was evicted");
	tap_ok(throttle_count(&t, "a", now + 6) == 2 &&
	    throttle_count(&t, "c", now + 6) == 1 &&
	    throttle_count(&t, "d", now + 6) == 1,
	    "throttle: the others are kept");
	throttle_free(&t);

	/* Expired entries make room before anything live is evicted. */
	throttle_init(&t, 2, 100);
	throttle_fail(&t, "old", now);
	throttle_fail(&t, "live", now + 150);
	throttle_fail(&t, "new", now + 160);
	tap_ok(throttle_count(&t, "live", now + 170) == 1 &&
	    throttle_count(&t, "new", now + 170) == 1,
	    "throttle: an expired entry made room");
	throttle_free(&t);

	throttle_init(&t, 0, 100);
	throttle_fail(&t, "x", now);
	tap_ok(throttle_count(&t, "x", now) == 0,
	    "throttle: a table of size 0 records nothing");
	throttle_free(&t);
}

/*
 * A peer that may not send descriptors (every worker, to the master) cannot
 * park one: the descriptor is closed on arrival and the read fails.
 */
static void
test_fd_refused(void)
{
	struct ipc_peer	 a, b;
	int		 p[2], before, after, i, r = 0;
	struct stat	 st;

	if (make_pair(&a, &b, 0) == -1 || pipe(p) == -1) {
		tap_ok(0, "setup: %s", strerror(errno));
		return;
	}
	tap_ok(ipc_compose(&a, IMSG_M_LOG, 1, dup(p[0]), "x", 1) == 0 &&
	    ipc_flush(&a) == 0, "a descriptor sent to a peer that takes none");
	before = fcntl(p[0], F_DUPFD, 0);
	close(before);
	tap_ok(ipc_read(&b) == -1 && errno == EBADMSG,
	    "the read fails as a protocol error");
	tap_ok(b.nrecvfds == 0, "nothing is held");
	/* The lowest free descriptor is the one the refused copy took. */
	after = fcntl(p[0], F_DUPFD, 0);
	tap_ok(after == before && fstat(after, &st) == 0,
	    "the refused descriptor was closed");
	close(after);

	/* One past what a peer may send is refused the same way. */
	ipc_clear(&a);
	ipc_clear(&b);
	if (make_pair(&a, &b, 0) == -1) {
		tap_ok(0, "setup: %s", strerror(errno));
		return;
	}
	ipc_accept_fds(&b, 1);
	tap_ok(ipc_compose(&a, IMSG_A_RELOAD, 1, dup(p[0]), NULL, 0) == 0 &&
	    ipc_compose(&a, IMSG_A_RELOAD, 2, dup(p[0]), NULL, 0) == 0 &&
	    ipc_flush(&a) == 0, "two descriptors sent to a peer that takes one");
	/* Each may come with a read of its own: read until one fails. */
	for (i = 0; i < 4 && (r = ipc_read(&b)) == 1; i++)
		;
	tap_ok(r == -1 && b.nrecvfds == 1,
	    "the first is held, the second refused");
	ipc_clear(&a);
	ipc_clear(&b);
	close(p[0]);
	close(p[1]);
}

/* A channel that knows its ends checks each message against the table. */
static void
test_roles(void)
{
	struct ipc_peer	 a, b;
	struct ipc_msg	 m;
	uint8_t		 key[32] = { 0 };

	if (make_pair(&a, &b, 0) == -1) {
		tap_ok(0, "setup");
		return;
	}
	ipc_set_roles(&b, IPC_ROLE_MASTER, IPC_ROLE_WORKER);
	tap_ok(ipc_compose(&a, IMSG_M_DH, 1, -1, key, sizeof(key)) == 0 &&
	    ipc_flush(&a) == 0 && get_one(&b, &m) == 1 &&
	    m.type == IMSG_M_DH, "a worker's DH of 32 bytes passes");
	tap_ok(ipc_compose(&a, IMSG_M_DH, 1, -1, key, 31) == 0 &&
	    ipc_flush(&a) == 0 && get_one(&b, &m) == -1 &&
	    strcmp(b.refused, "malformed payload") == 0,
	    "a DH of 31 bytes is refused before any handler");
	ipc_clear(&a);
	ipc_clear(&b);
	if (make_pair(&a, &b, 0) == -1)
		return;
	ipc_set_roles(&b, IPC_ROLE_MASTER, IPC_ROLE_WORKER);
	tap_ok(ipc_compose(&a, IMSG_A_CHECK, 1, -1, "\0\0\0\1\0\0\0\0",
	    8) == 0 && ipc_flush(&a) == 0 && get_one(&b, &m) == -1 &&
	    strcmp(b.refused, "message type not allowed on this channel") == 0,
	    "a worker may not send what only the master sends the checker");
	ipc_clear(&a);
	ipc_clear(&b);
}

int
main(void)
{
	test_round_trip();
	test_fd_passing();
	test_fd_refused();
	test_roles();
	test_limits();
	test_parse();
	test_blocking();
	test_throttle();
	return tap_done();
}
