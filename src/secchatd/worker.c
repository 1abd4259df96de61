/*
 * worker.c: one sandboxed process per client.
 *
 * The worker owns the client's socket, its channels to the master and the
 * broker, the clock and the sandbox.  The protocol itself is the engine's
 * (sengine.c): the worker feeds it what the client sends, writes what it
 * answers, and carries its requests out: the one DH with the host key and
 * the login check to the master, the client's messages to the broker, and
 * the answers back.  It holds no secret but the engine's session keys and,
 * briefly, the password it forwards to the master.
 */
#include "config.h"

#include <sys/types.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <sched.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "log.h"
#include "noise.h"
#include "proto.h"
#include "sandbox.h"
#include "sengine.h"
#include "util.h"
#include "wire.h"
#include "worker.h"

#define W_CLIENT_SNDBUF		(128 * 1024)
#define W_IDLE_TRIM_MS		1000	/* quiet this long: give memory back */
#define W_BROKER_GONE_WAIT_MS	2000
#define W_NFDS			3	/* client, master, broker */

/*
 * On Linux the worker waits in epoll_wait() on a set made once, changed
 * only when what it waits for changes: poll() looked at each of its
 * three descriptors twice per wake-up (before sleeping and after), about
 * a sixth of a worker's time when every room message wakes it.
 */
#if defined(__linux__) && !defined(WORKER_USE_POLL)
#define WORKER_EPOLL		1
#endif

struct w_state {
	struct worker_init	 init;
	struct sengine		*se;
	int			 cfd;
	struct ipc_peer		 master, broker;
	uint64_t		 broker_gone_ms;
	uint64_t		 last_io_ms;	/* any descriptor ready */
	int			 trimmed;	/* trim tried since then */
#ifdef WORKER_EPOLL
	int			 epfd;
	int			 ep_fd[W_NFDS];	/* descriptor in the set, or -1 */
	uint32_t		 ep_events[W_NFDS];
#endif
};

static struct w_state	 w;

static void
w_log_to_master(int pri, const char *line)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_u8(&b, (uint8_t)pri) == 0 &&
	    buf_put_str(&b, line, strnlen(line, 1000)) == 0)
		(void)ipc_composev(&w.master, IMSG_M_LOG, w.init.session, &b);
	buf_free(&b);
	(void)ipc_flush(&w.master);
}

/* ------------------------------------------------------------ engine ops */

static int
w_host_dh(void *arg, const uint8_t pub[NOISE_KEYLEN])
{
	uint8_t	 suite[2];

	(void)arg;
	/*
	 * The suite is for the control socket's list of sessions; the flag
	 * lets the master take an AUTH_KEY and tell the broker.
	 */
	suite[0] = se_suite(w.se);
	suite[1] = se_extended(w.se) ? 1 : 0;
	if (ipc_compose(&w.master, IMSG_M_SUITE, w.init.session, -1, suite,
	    sizeof(suite)) == -1 ||
	    ipc_compose(&w.master, IMSG_M_DH, w.init.session, -1, pub,
	    NOISE_KEYLEN) == -1)
		return -1;
	/* The handshake waits for the answer: ask at once. */
	return ipc_flush(&w.master) == -1 ? -1 : 0;
}

static int
w_check_login(void *arg, const uint8_t key[NOISE_KEYLEN], const char *user,
    size_t userlen, const char *password, size_t passwordlen)
{
	struct buf	 b;
	int		 rc = 0;

	(void)arg;
	buf_init(&b, 0);
	if (buf_append(&b, key, NOISE_KEYLEN) == -1 ||
	    buf_put_str(&b, user, userlen) == -1 ||
	    buf_put_str(&b, password, passwordlen) == -1 ||
	    ipc_composev(&w.master, IMSG_M_AUTH, w.init.session, &b) == -1)
		rc = -1;
	buf_free(&b);		/* wipes the password */
	return rc;
}

/*
 * A key login: the master, which holds the host key, checks the proof.
 * hs2 binds the proof to this handshake (protocol section 11.3).
 */
static int
w_check_key(void *arg, const uint8_t key[NOISE_KEYLEN],
    const uint8_t hs2[NOISE_HASHLEN], const char *user, size_t userlen,
    const uint8_t proof[WIRE_KEYLEN])
{
	struct buf	 b;
	int		 rc = 0;

	(void)arg;
	buf_init(&b, 0);
	if (buf_append(&b, key, NOISE_KEYLEN) == -1 ||
	    buf_append(&b, hs2, NOISE_HASHLEN) == -1 ||
	    buf_append(&b, proof, WIRE_KEYLEN) == -1 ||
	    buf_put_str(&b, user, userlen) == -1 ||
	    ipc_composev(&w.master, IMSG_M_AUTH_KEY, w.init.session, &b) == -1)
		rc = -1;
	buf_free(&b);
	return rc;
}

static int
w_to_broker(void *arg, const uint8_t *msg, size_t len)
{
	(void)arg;
	return ipc_compose(&w.broker, IMSG_B_APP, 0, -1, msg, len);
}

static void
w_closing(void *arg, const char *reason)
{
	struct buf	 b;

	(void)arg;
	buf_init(&b, 0);
	if (buf_put_str(&b, reason, strlen(reason)) == 0)
		(void)ipc_composev(&w.master, IMSG_M_CLOSING, w.init.session,
		    &b);
	buf_free(&b);
}

static void
w_log(void *arg, int pri, const char *line)
{
	(void)arg;
	if (pri >= LOG_DEBUG)
		log_debug("%s", line);
	else if (pri >= LOG_NOTICE)
		log_info("%s", line);
	else
		log_warnx("%s", line);
}

#ifdef SECCHAT_TEST_HOOKS
/*
 * Planted code, in test builds only (--enable-test-hooks): a table of
 * named misbehaviours that stand in for an attacker who has taken the
 * worker over, so that the test suite can check what the sandbox lets
 * such code do.  A row runs
 *
 *  - when a logged-in client says the text "secchat-test-hook:NAME" in a
 *    room, before the message would go to the broker (the engine finds
 *    the text and calls w_test_hook()); or
 *  - at worker start, once the sandbox is in place and before the client
 *    has been read, if the environment variable SECCHAT_TEST_WORKER_HOOK
 *    is NAME, or NAME@ADDRESS to run it only for clients that connect
 *    from ADDRESS (the master passes SECCHAT_TEST_* variables on to its
 *    children in test builds), so that an attack from a connection that
 *    has not even sent its hello can be tested.
 *
 * To add a misbehaviour, write a function that does what the attacker
 * would and add a TEST_HOOK row with its name.  The row holds the whole
 * text, so a test can tell a test-hooks build by finding the text in the
 * binary.  A hook the sandbox lets through returns, and the worker goes
 * on as if nothing happened.
 */
#include <sys/syscall.h>
#include <fcntl.h>
#include <signal.h>

#define TEST_HOOK(name, run)	{ SE_TEST_HOOK_PREFIX name, run }

/* A system call outside the allow-list: the socket a worker never has. */
static void
hook_forbidden_syscall(void)
{
	(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
}

/*
 * Signals by proxy: have the kernel send SIGKILL, on the client socket's
 * next I/O, to every process of the group the master leads and the
 * worker's uid may signal: all the other workers, the broker and the
 * password checker (and the master, if it is not root).  The master
 * leads its group when it has detached (daemon(3)); if it does not, the
 * group is empty and nothing is sent, so a run against a filter that lets
 * this through cannot reach whoever started the daemon.  The master's pid
 * is in the peer credentials of the channel it created.
 */
static void
hook_fcntl_async(void)
{
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fl;

	if (getsockopt(w.master.fd, SOL_SOCKET, SO_PEERCRED, &cred,
	    &len) == -1 || cred.pid <= 1)
		fatalx("test hook fcntl-async: no master pid");
	(void)fcntl(w.cfd, F_SETOWN, -cred.pid);
	(void)fcntl(w.cfd, F_SETSIG, SIGKILL);
	if ((fl = fcntl(w.cfd, F_GETFL)) != -1)
		(void)fcntl(w.cfd, F_SETFL, fl | O_ASYNC);
}

/*
 * Requests the master must refuse, each ending the session: the worker's
 * side of the table of messages (ipc_table.c) and of the master's
 * request table (mw_requests in sessions.c), broken one way each.
 */
static void
hook_send(uint16_t type, uint32_t session, int fd, const void *p, size_t len)
{
	if (ipc_compose(&w.master, type, session, fd, p, len) == -1 ||
	    ipc_flush_all(&w.master) == -1)
		fatalx("test hook: cannot send");
}

static void
hook_ipc_second_dh(void)
{
	uint8_t	 key[KEY_LEN];

	memset(key, 9, sizeof(key));
	hook_send(IMSG_M_DH, w.init.session, -1, key, sizeof(key));
	hook_send(IMSG_M_DH, w.init.session, -1, key, sizeof(key));
}

static void
hook_ipc_short_dh(void)
{
	uint8_t	 key[KEY_LEN - 1];

	memset(key, 9, sizeof(key));
	hook_send(IMSG_M_DH, w.init.session, -1, key, sizeof(key));
}

static void
hook_ipc_unknown(void)
{
	hook_send(999, w.init.session, -1, NULL, 0);
}

static void
hook_ipc_wrong_way(void)
{
	/* What only the master sends the password checker. */
	hook_send(IMSG_A_PING, w.init.session, -1, "\0\0\0\1", 4);
}

static void
hook_ipc_other_session(void)
{
	hook_send(IMSG_M_LOG, w.init.session + 1, -1, "\6\0\1x", 4);
}

/* (The client's socket itself: dup(2) is not in the filter's list.) */
static void
hook_ipc_descriptor(void)
{
	hook_send(IMSG_M_LOG, w.init.session, w.cfd, "\6\0\1x", 4);
}

/*
 * Speak as someone else: hand the broker, as if the client had sent it,
 * a server's MESSAGE naming bob as its sender.  The broker must take the
 * sender from the master's record, and refuse a message no client sends.
 */
static void
hook_forge_sender(void)
{
	struct wire_msg	 m;
	struct buf	 b;

	memset(&m, 0, sizeof(m));
	m.type = MSG_MESSAGE;
	m.s[0].p = "lobby";
	m.s[0].len = 5;
	m.s[1].p = "bob";
	m.s[1].len = 3;
	m.s[2].p = "forged by a worker";
	m.s[2].len = 18;
	m.ns = 3;
	buf_init(&b, 0);
	if (wire_encode(&b, &m) == -1 ||
	    ipc_compose(&w.broker, IMSG_B_APP, 0, -1, buf_head(&b),
	    buf_used(&b)) == -1 || ipc_flush_all(&w.broker) == -1)
		fatalx("test hook forge-sender: cannot send");
	buf_free(&b);
}

/*
 * Log in as alice with her public key, which anyone may learn from the key
 * directory, without her private key: the cipher suite, the one DH, then a
 * key login whose proof is made up.  The master checks the proof with the
 * host key, which the worker never holds, so it must refuse.  The key is
 * SECCHAT_TEST_FORGE_KEY (base64).
 */
static void
hook_forge_keylogin(void)
{
	uint8_t		 key[KEY_LEN], e[KEY_LEN], priv[KEY_LEN];
	uint8_t		 suite[2] = { SUITE_CHACHAPOLY, 1 };
	const char	*v;
	struct buf	 b;

	if ((v = getenv("SECCHAT_TEST_FORGE_KEY")) == NULL ||
	    b64_decode(v, strlen(v), key, sizeof(key)) != KEY_LEN)
		fatalx("test hook forge-keylogin: SECCHAT_TEST_FORGE_KEY");
	randombytes_buf(priv, sizeof(priv));
	keys_public(priv, e);
	hook_send(IMSG_M_SUITE, w.init.session, -1, suite, sizeof(suite));
	hook_send(IMSG_M_DH, w.init.session, -1, e, sizeof(e));
	buf_init(&b, 0);
	if (buf_append(&b, key, sizeof(key)) == -1)
		fatalx("test hook forge-keylogin: out of memory");
	randombytes_buf(priv, sizeof(priv));	/* hs2 */
	if (buf_append(&b, priv, sizeof(priv)) == -1)
		fatalx("test hook forge-keylogin: out of memory");
	randombytes_buf(priv, sizeof(priv));	/* proof */
	if (buf_append(&b, priv, sizeof(priv)) == -1 ||
	    buf_put_str(&b, "alice", 5) == -1 ||
	    ipc_composev(&w.master, IMSG_M_AUTH_KEY, w.init.session, &b) ==
	    -1 || ipc_flush_all(&w.master) == -1)
		fatalx("test hook forge-keylogin: cannot send");
	buf_free(&b);
}

static const struct test_hook {
	const char	*text;		/* SE_TEST_HOOK_PREFIX, then the name */
	void		(*run)(void);
} test_hooks[] = {
	TEST_HOOK("forbidden-syscall", hook_forbidden_syscall),
	TEST_HOOK("fcntl-async", hook_fcntl_async),
	TEST_HOOK("ipc-second-dh", hook_ipc_second_dh),
	TEST_HOOK("ipc-short-dh", hook_ipc_short_dh),
	TEST_HOOK("ipc-unknown", hook_ipc_unknown),
	TEST_HOOK("ipc-wrong-way", hook_ipc_wrong_way),
	TEST_HOOK("ipc-other-session", hook_ipc_other_session),
	TEST_HOOK("ipc-descriptor", hook_ipc_descriptor),
	TEST_HOOK("forge-sender", hook_forge_sender),
	TEST_HOOK("forge-keylogin", hook_forge_keylogin),
};

static const struct test_hook *
test_hook_find(const char *name, size_t len)
{
	const char	*n;
	size_t		 i;

	for (i = 0; i < sizeof(test_hooks) / sizeof(test_hooks[0]); i++) {
		n = test_hooks[i].text + strlen(SE_TEST_HOOK_PREFIX);
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &test_hooks[i];
	}
	return NULL;
}

/* A logged-in client said the name of a hook: run it, if there is one. */
static void
w_test_hook(void *arg, const char *name, size_t len)
{
	const struct test_hook	*h;

	(void)arg;
	if ((h = test_hook_find(name, len)) != NULL)
		h->run();
}

/* At start: the hook the environment names, for this client's address. */
static void
test_hook_at_start(void)
{
	const struct test_hook	*h;
	const char		*v, *at;
	size_t			 alen;

	if ((v = getenv("SECCHAT_TEST_WORKER_HOOK")) == NULL || *v == '\0')
		return;
	if ((at = strchr(v, '@')) != NULL) {
		/* The peer is "ADDRESS port N". */
		alen = strlen(at + 1);
		if (strncmp(w.init.peer, at + 1, alen) != 0 ||
		    strncmp(w.init.peer + alen, " port ", 6) != 0)
			return;
	} else
		at = v + strlen(v);
	if ((h = test_hook_find(v, (size_t)(at - v))) == NULL)
		fatalx("SECCHAT_TEST_WORKER_HOOK: no hook named %.*s",
		    (int)(at - v), v);
	h->run();
}
#endif

static const struct se_ops w_ops = {
	.host_dh = w_host_dh,
	.check_login = w_check_login,
	.check_key = w_check_key,
	.to_broker = w_to_broker,
	.closing = w_closing,
	.log = w_log,
#ifdef SECCHAT_TEST_HOOKS
	.test_hook = w_test_hook,
#endif
};

/* ------------------------------------------------------------ client I/O */

static void
w_read_client(void)
{
	uint64_t	 now = mono_ms();
	uint8_t		*d;
	size_t		 want;
	ssize_t		 n;

	switch (se_in_space(w.se, &d, &want, now)) {
	case 0:
		/*
		 * Full, so the loop did not ask for input: only a hangup or an
		 * error wakes us, and either stays set.  The client is gone.
		 */
		se_client_lost(w.se, now);
		return;
	case -1:
		return;		/* out of memory: the engine is closing */
	}
	n = read(w.cfd, d, want);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		se_client_lost(w.se, now);
		return;
	}
	if (n == 0) {
		se_client_eof(w.se, now);
		return;
	}
	se_in_commit(w.se, (size_t)n);
}

static void
w_write_client(void)
{
	struct buf	*out = se_output(w.se);
	ssize_t		 n;

	n = send(w.cfd, buf_head(out), buf_used(out), MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		se_client_lost(w.se, mono_ms());
		return;
	}
	buf_consume(out, (size_t)n);
}

/* ------------------------------------------------------------ IPC */

/* IMSG_W_DH_RESULT: 32 bytes, or empty when the client's key was bad. */
static void
w_master_dh_result(const struct ipc_msg *im)
{
	if (se_dh_result(w.se, im->len == NOISE_KEYLEN ? im->data : NULL,
	    mono_ms()) == -1)
		fatalx("DH result in the wrong state");
}

static void
w_master_auth_fail(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;
	uint8_t		 tries, final;

	if (se_state(w.se) != SE_AUTHWAIT)
		fatalx("AUTH_FAIL in the wrong state");
	rd_init(&r, im->data, im->len);
	tries = rd_u8(&r);
	final = rd_u8(&r);
	s = rd_str(&r, &slen);
	if (rd_done(&r) == -1)
		fatalx("bad AUTH_FAIL from master");
	(void)se_auth_fail(w.se, tries, final, (const char *)s, slen,
	    mono_ms());
}

/* IMSG_W_AUTH_MORE: the key was accepted; a password is needed too. */
static void
w_master_auth_more(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;

	if (se_state(w.se) != SE_AUTHWAIT)
		fatalx("AUTH_MORE in the wrong state");
	rd_init(&r, im->data, im->len);
	s = rd_str(&r, &slen);
	if (rd_done(&r) == -1 ||
	    se_auth_more(w.se, (const char *)s, slen, mono_ms()) == -1)
		fatalx("bad AUTH_MORE from master");
}

static void
w_master_shutdown(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;
	char		 reason[256];

	rd_init(&r, im->data, im->len);
	s = rd_str(&r, &slen);
	if (rd_done(&r) == -1)
		fatalx("bad SHUTDOWN from master");
	snprintf(reason, sizeof(reason), "%.*s", (int)slen, s);
	se_shutdown(w.se, reason, mono_ms());
}

static void
w_dispatch_master(const struct ipc_msg *im)
{
	switch (im->type) {
	case IMSG_W_DH_RESULT:
		w_master_dh_result(im);
		break;
	case IMSG_W_AUTH_FAIL:
		w_master_auth_fail(im);
		break;
	case IMSG_W_AUTH_MORE:
		w_master_auth_more(im);
		break;
	case IMSG_W_SHUTDOWN:
		w_master_shutdown(im);
		break;
	default:
		fatalx("unexpected message %u from master", im->type);
	}
}

static void
w_broker_logged_in(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;

	rd_init(&r, im->data, im->len);
	s = rd_str(&r, &slen);
	if (rd_done(&r) == -1 ||
	    se_logged_in(w.se, (const char *)s, slen, mono_ms()) == -1)
		fatalx("bad LOGGED_IN from broker");
	setproctitle("worker [%s] %s", w.init.peer, se_user(w.se));
}

static void
w_broker_app(const struct ipc_msg *im)
{
	switch (se_app(w.se, im->data, im->len, mono_ms())) {
	case SE_E_STATE:
		fatalx("APP from broker before login");
	case SE_E_LENGTH:
		fatalx("bad APP length from broker");
	}
}

static void
w_dispatch_broker(const struct ipc_msg *im)
{
	/* Closing: what the broker still sends has nowhere to go. */
	if (se_state(w.se) == SE_CLOSING)
		return;
	switch (im->type) {
	case IMSG_W_LOGGED_IN:
		w_broker_logged_in(im);
		break;
	case IMSG_W_APP:
		w_broker_app(im);
		break;
	default:
		fatalx("unexpected message %u from broker", im->type);
	}
}

static void
w_drain_ipc(struct ipc_peer *p, void (*handler)(const struct ipc_msg *))
{
	struct ipc_msg	 m;
	int		 r, handled = 0;

	while ((r = ipc_get(p, &m)) == 1) {
		handler(&m);
		handled = 1;
		if (p == &w.broker && se_out_full(w.se))
			break;
	}
	if (r == -1)
		fatalx("malformed message from %s", p->name);
	/*
	 * What the broker handed over goes out as one record (the loop
	 * drains the broker every turn: the clock only when it gave some).
	 */
	if (p == &w.broker && handled)
		se_flush_app(w.se, mono_ms());
}

/* ------------------------------------------------------------ timers */

/*
 * Most sessions are idle most of the time, and there are as many workers
 * as sessions: once a session has been quiet for a moment, free the
 * buffers a burst left behind and hand the pages back to the kernel.
 * They regrow on the next message.
 */
static void
w_trim_idle(void)
{
	/* Tried once per quiet spell: the next I/O clears it. */
	w.trimmed = 1;
	if (!se_trim(w.se))
		return;
	ipc_trim(&w.master);
	ipc_trim(&w.broker);
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/* busy: a descriptor was ready in this turn of the loop. */
static void
w_check_timers(int busy)
{
	uint64_t	 now = mono_ms();
	enum se_state	 st;

	if (busy) {
		w.last_io_ms = now;
		w.trimmed = 0;
	}
	/* After a BYE the broker closes our channel after its last answer. */
	if (w.broker.eof && buf_used(&w.broker.in) == 0)
		se_broker_closed(w.se, now);
	se_tick(w.se, now);
	st = se_state(w.se);
	if (st == SE_CLOSING || st == SE_LEAVING)
		return;
	if (w.broker_gone_ms != 0 &&
	    now - w.broker_gone_ms >= W_BROKER_GONE_WAIT_MS)
		se_close(w.se, "chat service unavailable", "broker went away",
		    now);
	else if (st == SE_ACTIVE && !w.trimmed &&
	    now - w.last_io_ms >= W_IDLE_TRIM_MS)
		w_trim_idle();
}

static int
w_next_timeout(void)
{
	uint64_t	 now = mono_ms(), due;
	enum se_state	 st = se_state(w.se);

	due = se_next_due(w.se, now);
	/* Closing or leaving, only the engine's deadline counts. */
	if (st != SE_CLOSING && st != SE_LEAVING) {
		if (w.broker_gone_ms != 0 &&
		    w.broker_gone_ms + W_BROKER_GONE_WAIT_MS < due)
			due = w.broker_gone_ms + W_BROKER_GONE_WAIT_MS;
		/* Only a logged-in session trims (see w_check_timers). */
		if (st == SE_ACTIVE && !w.trimmed &&
		    w.last_io_ms + W_IDLE_TRIM_MS < due)
			due = w.last_io_ms + W_IDLE_TRIM_MS;
	}
	if (due <= now)
		return 0;
	return due - now > 60000 ? 60000 : (int)(due - now);
}

/* ------------------------------------------------------------ main loop */

static void
w_broker_gone(void)
{
	if (w.broker_gone_ms == 0) {
		w.broker.eof = 1;
		w.broker_gone_ms = mono_ms();
	}
}

#ifdef WORKER_EPOLL
static void
w_wait_init(void)
{
	int	 i;

	if ((w.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
	for (i = 0; i < W_NFDS; i++)
		w.ep_fd[i] = -1;
}

/*
 * poll()'s contract over the kept set: pfd[i].fd -1 leaves the set (an
 * epoll set would report a hung-up descriptor however little is asked).
 */
static int
w_wait(struct pollfd *pfd, int timeout)
{
	struct epoll_event	 ev, evs[W_NFDS];
	int			 i, n;

	for (i = 0; i < W_NFDS; i++) {
		pfd[i].revents = 0;
		if (pfd[i].fd != w.ep_fd[i] && w.ep_fd[i] != -1) {
			if (epoll_ctl(w.epfd, EPOLL_CTL_DEL, w.ep_fd[i],
			    NULL) == -1)
				fatal("epoll_ctl");
			w.ep_fd[i] = -1;
		}
		if (pfd[i].fd == -1 || (pfd[i].fd == w.ep_fd[i] &&
		    (uint32_t)pfd[i].events == w.ep_events[i]))
			continue;
		memset(&ev, 0, sizeof(ev));
		ev.events = (uint32_t)pfd[i].events;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(w.epfd, w.ep_fd[i] == -1 ? EPOLL_CTL_ADD :
		    EPOLL_CTL_MOD, pfd[i].fd, &ev) == -1)
			fatal("epoll_ctl");
		w.ep_fd[i] = pfd[i].fd;
		w.ep_events[i] = ev.events;
	}
	if ((n = epoll_wait(w.epfd, evs, W_NFDS, timeout)) <= 0)
		return n;
	for (i = 0; i < n; i++)
		if (evs[i].data.u32 < W_NFDS)
			pfd[evs[i].data.u32].revents = (short)evs[i].events;
	return n;
}
#else
static void
w_wait_init(void)
{
}

static int
w_wait(struct pollfd *pfd, int timeout)
{
	return poll(pfd, W_NFDS, timeout);
}
#endif

static void
w_loop(void)
{
	struct pollfd	 pfd[W_NFDS];
	uint64_t	 now;
	enum se_state	 st;
	int		 r;

	for (;;) {
		now = mono_ms();
		se_process(w.se, now);
		if (se_finished(w.se, now)) {
			(void)ipc_flush_all(&w.master);
			(void)ipc_flush(&w.broker);
			shutdown(w.cfd, SHUT_RDWR);
			exit(0);
		}
		/*
		 * What the client said goes to the broker now: waiting for
		 * poll() to report the socket writable costs a turn of the
		 * loop (a system call) for every message sent.
		 */
		if (ipc_pending(&w.broker) && !w.broker.eof &&
		    ipc_flush(&w.broker) == -1)
			w_broker_gone();
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = w.cfd;
		if (se_wants_input(w.se, now))
			pfd[0].events |= POLLIN;
		if (se_wants_output(w.se))
			pfd[0].events |= POLLOUT;
		pfd[1].fd = w.master.fd;
		pfd[1].events = POLLIN | (ipc_pending(&w.master) ? POLLOUT : 0);
		pfd[2].fd = w.broker.eof ? -1 : w.broker.fd;
		/* LOGGED_IN arrives from the broker while we wait for auth. */
		st = se_state(w.se);
		if ((st == SE_ACTIVE || st == SE_AUTHWAIT ||
		    st == SE_LEAVING) && !se_out_full(w.se))
			pfd[2].events |= POLLIN;
		if (ipc_pending(&w.broker))
			pfd[2].events |= POLLOUT;
		r = w_wait(pfd, w_next_timeout());
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			w_read_client();
		if (pfd[0].revents & POLLOUT)
			w_write_client();
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (ipc_read(&w.master) <= 0) {
				/* The master is gone: nothing to serve for. */
				if (se_bye(w.se, "server shutting down",
				    mono_ms()))
					w_write_client();
				exit(0);
			}
			w_drain_ipc(&w.master, w_dispatch_master);
		}
		if (pfd[1].revents & POLLOUT && ipc_flush(&w.master) == -1)
			exit(0);
		st = se_state(w.se);
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (ipc_read(&w.broker) <= 0)
				w_broker_gone();
			w_drain_ipc(&w.broker, w_dispatch_broker);
		} else if ((st == SE_ACTIVE || st == SE_LEAVING) &&
		    !se_out_full(w.se))
			w_drain_ipc(&w.broker, w_dispatch_broker);
		/* Send what the broker gave us now, not after another poll. */
		if (se_wants_output(w.se) && !(pfd[0].revents & POLLOUT))
			w_write_client();
		if (pfd[2].revents & POLLOUT && ipc_flush(&w.broker) == -1)
			w_broker_gone();
		w_check_timers(r > 0);
	}
}

/*
 * A room message wakes every member's worker.  Woken normally, each would
 * preempt the broker in the middle of its fan-out, so that the broker
 * reaches the last member only after every earlier member's worker has
 * run, each switch costing twice.  SCHED_BATCH workers do not preempt on
 * wake-up: the broker finishes the fan-out, and the workers then run on
 * every CPU in turn.  Any process may choose it for itself.
 */
static void
worker_sched_batch(void)
{
#ifdef SCHED_BATCH
	struct sched_param	 sp;

	memset(&sp, 0, sizeof(sp));
	if (sched_setscheduler(0, SCHED_BATCH, &sp) == -1)
		log_debug("sched_setscheduler SCHED_BATCH: %s",
		    strerror(errno));
#endif
}

int
worker_main(int verbose)
{
	struct se_params p;
	struct ipc_msg	 m;
	int		 sndbuf, nodelay;

	log_setverbose(verbose);
	log_setproc("worker");
	w.cfd = WORKER_FD_CLIENT;
	ipc_init(&w.master, WORKER_FD_MASTER, "master", 0);
	ipc_set_roles(&w.master, IPC_ROLE_WORKER, IPC_ROLE_MASTER);
	/* The master sends a handful of small messages, never a burst. */
	ipc_set_read_chunk(&w.master, 2048);
	ipc_init(&w.broker, WORKER_FD_BROKER, "broker", 4 * 1024 * 1024);
	ipc_set_roles(&w.broker, IPC_ROLE_WORKER, IPC_ROLE_BROKER);
	log_set_sink(w_log_to_master);
	if (ipc_get_blocking(&w.master, &m) != 1 || m.type != IMSG_W_INIT ||
	    m.len != sizeof(w.init))
		fatalx("bad init from master");
	memcpy(&w.init, m.data, sizeof(w.init));
	w.init.peer[sizeof(w.init.peer) - 1] = '\0';
	w.init.privsep_user[sizeof(w.init.privsep_user) - 1] = '\0';
	w.init.privsep_dir[sizeof(w.init.privsep_dir) - 1] = '\0';
	if (w.init.nsuites == 0 || w.init.nsuites > sizeof(w.init.suites) ||
	    w.init.flood_burst == 0 || w.init.flood_rate == 0)
		fatalx("bad init from master");
	log_setverbose(w.init.verbose);
	setproctitle("worker [%s] preauth", w.init.peer);
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	/*
	 * A fixed kernel send buffer: with autotuning, a client that stops
	 * reading could park megabytes in the kernel before its queue in the
	 * broker ever filled.
	 */
	sndbuf = W_CLIENT_SNDBUF;
	if (setsockopt(w.cfd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
	    sizeof(sndbuf)) == -1)
		log_debug("setsockopt SO_SNDBUF: %s", strerror(errno));
	/*
	 * Every write is whole records, already batched: Nagle would only
	 * hold the last one back for an acknowledgement.
	 */
	nodelay = 1;
	if (setsockopt(w.cfd, IPPROTO_TCP, TCP_NODELAY, &nodelay,
	    sizeof(nodelay)) == -1)
		log_debug("setsockopt TCP_NODELAY: %s", strerror(errno));
	worker_sched_batch();
	w_wait_init();
	sandbox_enter_ids(SANDBOX_WORKER, (uid_t)w.init.privsep_uid,
	    (gid_t)w.init.privsep_gid, w.init.privsep_dir, WORKER_FD_BROKER);
	if (set_nonblock(w.cfd) == -1 || set_nonblock(w.master.fd) == -1 ||
	    set_nonblock(w.broker.fd) == -1)
		fatal("set_nonblock");
#ifdef SECCHAT_TEST_HOOKS
	test_hook_at_start();
#endif
	memset(&p, 0, sizeof(p));
	p.suites = w.init.suites;
	p.nsuites = w.init.nsuites;
	p.aesgcm_ok = w.init.aesgcm_ok;
	p.host_pub = w.init.host_pub;
	p.peer = w.init.peer;
	p.login_grace = w.init.login_grace;
	p.max_message = w.init.max_message;
	p.flood_burst = w.init.flood_burst;
	p.flood_rate = w.init.flood_rate;
	p.alive_interval = w.init.alive_interval;
	p.alive_timeout = w.init.alive_timeout;
	p.extensions = 1;
#ifdef SECCHAT_TEST_HOOKS
	/* Test builds: act as a server of protocol version 1. */
	if (getenv("SECCHAT_TEST_NO_EXTENSIONS") != NULL &&
	    strcmp(getenv("SECCHAT_TEST_NO_EXTENSIONS"), "1") == 0)
		p.extensions = 0;
#endif
	w.last_io_ms = mono_ms();
	if ((w.se = se_new(&p, &w_ops, NULL, w.last_io_ms)) == NULL)
		fatalx("cannot start the session");
	w_loop();
	return 0;
}
