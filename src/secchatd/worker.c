/*
 * worker.c: one sandboxed process per client.
 *
 * The worker owns the client's socket.  It does the hello and the Noise XX
 * handshake (the one DH with the host key is done by the master on its
 * behalf), then the record layer: it decrypts and validates what the client
 * sends and relays it to the broker, and seals what the broker sends back.
 * It holds no secret but its own session keys and, briefly, the password it
 * forwards to the master.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "ipc.h"
#include "log.h"
#include "noise.h"
#include "proto.h"
#include "sandbox.h"
#include "util.h"
#include "wire.h"
#include "worker.h"

/*
 * The client input buffer holds the largest frame and some of the next, so
 * a full buffer always holds a whole frame: reading can only be held up by
 * what is done with frames (login, flood control, a full output queue),
 * never by a frame that cannot be completed.
 */
#define CLIENT_IN_MAX		(FRAME_HDRLEN + FRAME_MAX + 4096)
#define CLIENT_READ_CHUNK	16384	/* at most this much per read() */
#define CLIENT_OUT_HIGH		(256 * 1024)	/* stop reading the broker */
#define CLIENT_OUT_MAX		(CLIENT_OUT_HIGH + 2 * (FRAME_MAX + 64))
#define CLIENT_SNDBUF		(128 * 1024)
#define CLOSE_LINGER_MS		2000
#define LEAVE_WAIT_MS		10000	/* BYE: the broker's last answers */
#define IDLE_TRIM_MS		1000	/* quiet this long: give memory back */
#define BROKER_GONE_WAIT_MS	2000

_Static_assert(CLIENT_IN_MAX >= FRAME_HDRLEN + FRAME_MAX,
    "the client input buffer must hold the largest frame");

enum wstate {
	W_HELLO,		/* waiting for the client's hello */
	W_HS1,			/* waiting for Noise message 1 */
	W_HS3,			/* waiting for Noise message 3 (with AUTH) */
	W_AUTHWAIT,		/* the master is checking the password */
	W_AUTHRETRY,		/* waiting for another AUTH record */
	W_ACTIVE,
	W_LEAVING,		/* BYE passed on: relaying the last answers */
	W_CLOSING		/* flushing the last bytes out */
};

struct worker {
	struct worker_init	 init;
	enum wstate		 state;
	int			 cfd;
	struct buf		 cin, cout;
	struct ipc_peer		 master, broker;
	struct noise_handshake	 hs;
	struct noise_cipherstate tx, rx;
	int			 have_keys;
	uint64_t		 start_ms, last_rx_ms, ping_ms, close_deadline;
	uint64_t		 broker_gone_ms;
	uint64_t		 last_io_ms;	/* any descriptor ready */
	int			 trimmed;	/* trim tried since then */
	uint64_t		 ping_token;
	double			 tokens;
	uint64_t		 tokens_ms;
	int			 client_eof;
	int			 client_rd_eof;	/* no more input (W_LEAVING) */
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 close_reason[128];
};

static struct worker	 w;

/*
 * Plaintext of the record being handled, or a handshake message.  Static
 * rather than on the stack: a 64 KiB array in a frame pushes the stack
 * pointer down past pages that then stay resident in every idle worker.
 */
static uint8_t		 scratch[FRAME_MAX];
_Static_assert(sizeof(scratch) >= NOISE_MAX_MSG, "scratch too small");

static void	worker_close(const char *, const char *);

static void
log_to_master(int pri, const char *line)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_u8(&b, (uint8_t)pri) == 0 &&
	    buf_put_str(&b, line, strnlen(line, 1000)) == 0)
		(void)ipc_composev(&w.master, IMSG_M_LOG, w.init.session, &b);
	buf_free(&b);
	(void)ipc_flush(&w.master);
}

/* ------------------------------------------------------------ client I/O */

static void
send_record(const uint8_t *pt, size_t len)
{
	if (!w.have_keys)
		return;
	if (record_seal(&w.tx, pt, len, &w.cout) == -1)
		worker_close("internal error", "cannot seal a record");
}

static void
send_msg(const struct wire_msg *m)
{
	struct buf	 b;

	buf_init(&b, RECORD_MAX_PLAINTEXT);
	if (wire_encode(&b, m) == 0)
		send_record(buf_head(&b), buf_used(&b));
	buf_free(&b);
}

static void
send_bye(const char *reason)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_BYE;
	m.s[0].p = reason;
	m.s[0].len = strlen(reason);
	m.ns = 1;
	send_msg(&m);
}

static void
send_error(uint8_t code, const char *text)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_ERROR;
	m.byte = code;
	m.s[0].p = text;
	m.s[0].len = strlen(text);
	m.ns = 1;
	send_msg(&m);
}

/*
 * Leave: tell the client why (if we can still speak to it), tell the master
 * why for its log, and linger until the last bytes are out.
 */
static void
worker_close(const char *client_reason, const char *log_reason)
{
	struct buf	 b;

	if (w.state == W_CLOSING)
		return;
	/* Closing first, so a failure to queue the BYE cannot recurse. */
	w.state = W_CLOSING;
	w.close_deadline = mono_ms() + CLOSE_LINGER_MS;
	if (client_reason != NULL && w.have_keys && !w.client_eof)
		send_bye(client_reason);
	strlcpy(w.close_reason, log_reason, sizeof(w.close_reason));
	buf_init(&b, 0);
	if (buf_put_str(&b, log_reason, strlen(log_reason)) == 0)
		(void)ipc_composev(&w.master, IMSG_M_CLOSING, w.init.session, &b);
	buf_free(&b);
}

/* ------------------------------------------------------------ handshake */

static int
dh_via_master(void *arg, const uint8_t pub[NOISE_KEYLEN],
    uint8_t shared[NOISE_KEYLEN])
{
	struct ipc_msg	 m;

	(void)arg;
	if (ipc_compose(&w.master, IMSG_M_DH, w.init.session, -1, pub,
	    NOISE_KEYLEN) == -1 || ipc_flush_all(&w.master) == -1)
		return -1;
	if (ipc_get_blocking(&w.master, &m) != 1)
		fatalx("master channel lost");
	if (m.type == IMSG_W_SHUTDOWN)
		exit(0);
	if (m.type != IMSG_W_DH_RESULT)
		fatalx("unexpected message %u from master", m.type);
	if (m.len != NOISE_KEYLEN)
		return -1;
	memcpy(shared, m.data, NOISE_KEYLEN);
	return 0;
}

static void
handle_hello(const uint8_t *p, size_t len)
{
	uint8_t		 offered[HELLO_MAX_SUITES], reply[64];
	uint8_t		 prologue[HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES + 64];
	size_t		 noffered, i, j, rlen;
	uint8_t		 suite = SUITE_NONE;
	int		 n;
	struct buf	*out = &w.cout;

	if (hello_client_decode(p, len, offered, &noffered) == -1) {
		worker_close(NULL, "bad hello");
		return;
	}
	for (i = 0; i < w.init.nsuites && suite == SUITE_NONE; i++) {
		if (w.init.suites[i] == SUITE_AESGCM && !w.init.aesgcm_ok)
			continue;
		for (j = 0; j < noffered; j++)
			if (offered[j] == w.init.suites[i])
				suite = offered[j];
	}
	n = hello_server_encode(reply, sizeof(reply), suite,
	    suite == SUITE_NONE ? "no common cipher suite" : NULL);
	if (n == -1 || frame_append(out, reply, (size_t)n) == -1) {
		worker_close(NULL, "cannot answer hello");
		return;
	}
	if (suite == SUITE_NONE) {
		worker_close(NULL, "no common cipher suite");
		return;
	}
	/* The prologue binds both hellos into the handshake. */
	rlen = (size_t)n;
	if (len + rlen > sizeof(prologue)) {
		worker_close(NULL, "cannot answer hello");
		return;
	}
	memcpy(prologue, p, len);
	memcpy(prologue + len, reply, rlen);
	if (noise_hs_init(&w.hs, NOISE_XX, suite_cipher(suite), 0, prologue,
	    len + rlen, NULL, w.init.host_pub, NULL) == -1) {
		worker_close(NULL, "handshake init failed");
		return;
	}
	noise_hs_set_dh(&w.hs, dh_via_master, NULL);
	log_debug("%s: suite %s", w.init.peer, suite_name(suite));
	w.state = W_HS1;
}

static void
forward_auth(const struct wire_msg *m, const uint8_t *client_key)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_append(&b, client_key, NOISE_KEYLEN) == -1 ||
	    buf_put_str(&b, m->s[0].p, m->s[0].len) == -1 ||
	    buf_put_str(&b, m->s[1].p, m->s[1].len) == -1 ||
	    ipc_composev(&w.master, IMSG_M_AUTH, w.init.session, &b) == -1) {
		buf_free(&b);
		worker_close("internal error", "cannot forward login");
		return;
	}
	buf_free(&b);		/* wipes the password */
	w.state = W_AUTHWAIT;
}

static uint8_t	 client_static[NOISE_KEYLEN];

static void
handle_auth_payload(const uint8_t *p, size_t len)
{
	struct wire_msg	 m;

	if (wire_decode(p, len, FROM_CLIENT, &m) == -1 || m.type != MSG_AUTH) {
		worker_close("protocol error: expected AUTH",
		    "protocol error: expected AUTH");
		return;
	}
	forward_auth(&m, client_static);
}

static void
handle_handshake(const uint8_t *p, size_t len)
{
	uint8_t		*payload = scratch, *msg = scratch;
	size_t		 plen, mlen;
	const uint8_t	*rs;

	/* msg may share scratch with payload: message 1 carries none. */
	if (noise_hs_read(&w.hs, p, len, payload, &plen) == -1) {
		worker_close(NULL, "handshake failed");
		return;
	}
	if (w.state == W_HS1) {
		if (plen != 0 || noise_hs_write(&w.hs, NULL, 0, msg, &mlen) == -1 ||
		    frame_append(&w.cout, msg, mlen) == -1) {
			worker_close(NULL, "handshake failed");
			return;
		}
		w.state = W_HS3;
		return;
	}
	/* Message 3: the client's static key and its AUTH. */
	if ((rs = noise_hs_remote_static(&w.hs)) == NULL ||
	    noise_hs_split(&w.hs, &w.tx, &w.rx) == -1) {
		sodium_memzero(payload, plen);	/* it holds the password */
		worker_close(NULL, "handshake failed");
		return;
	}
	memcpy(client_static, rs, NOISE_KEYLEN);
	w.have_keys = 1;
	handle_auth_payload(payload, plen);
	sodium_memzero(payload, plen);
}

/* ------------------------------------------------------------ records */

static int
flood_take(void)
{
	uint64_t	 now = mono_ms();

	w.tokens += (double)(now - w.tokens_ms) * w.init.flood_rate / 1000.0;
	if (w.tokens > w.init.flood_burst)
		w.tokens = w.init.flood_burst;
	w.tokens_ms = now;
	if (w.tokens < 1.0)
		return 0;
	w.tokens -= 1.0;
	return 1;
}

static int
flood_ready(void)
{
	uint64_t	 now = mono_ms();
	double		 t;

	t = w.tokens + (double)(now - w.tokens_ms) * w.init.flood_rate / 1000.0;
	return t >= 1.0;
}

static void
to_broker(const uint8_t *p, size_t len)
{
	if (ipc_compose(&w.broker, IMSG_B_APP, 0, -1, p, len) == -1)
		worker_close("internal error", "broker queue full");
}

static int
text_too_long(const struct wire_msg *m)
{
	char	 text[128];

	if (m->type != MSG_SAY && m->type != MSG_ACT && m->type != MSG_PRIVMSG)
		return 0;
	if (m->s[1].len <= w.init.max_message)
		return 0;
	snprintf(text, sizeof(text), "message too long: %zu bytes, the limit "
	    "is %u; it was not delivered", m->s[1].len, w.init.max_message);
	send_error(ERR_BAD_TEXT, text);
	return 1;
}

#ifdef SECCHAT_TEST_HOOKS
/*
 * Planted code, in test builds only (--enable-test-hooks): a table of
 * named misbehaviours that stand in for an attacker who has taken the
 * worker over, so that the test suite can check what the sandbox lets
 * such code do.  A row runs
 *
 *  - when a logged-in client says the text "secchat-test-hook:NAME" in a
 *    room, before the message would go to the broker; or
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

#define TEST_HOOK_PREFIX	"secchat-test-hook:"
#define TEST_HOOK(name, run)	{ TEST_HOOK_PREFIX name, run }

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

static const struct test_hook {
	const char	*text;		/* TEST_HOOK_PREFIX, then the name */
	void		(*run)(void);
} test_hooks[] = {
	TEST_HOOK("forbidden-syscall", hook_forbidden_syscall),
	TEST_HOOK("fcntl-async", hook_fcntl_async),
};

static const struct test_hook *
test_hook_find(const char *name, size_t len)
{
	const char	*n;
	size_t		 i;

	for (i = 0; i < sizeof(test_hooks) / sizeof(test_hooks[0]); i++) {
		n = test_hooks[i].text + strlen(TEST_HOOK_PREFIX);
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &test_hooks[i];
	}
	return NULL;
}

/* A logged-in client said something: run the hook it names, if any. */
static void
test_hook_said(const struct wire_msg *m)
{
	const struct test_hook	*h;
	size_t			 plen = strlen(TEST_HOOK_PREFIX);

	if (m->type != MSG_SAY || m->s[1].len <= plen ||
	    memcmp(m->s[1].p, TEST_HOOK_PREFIX, plen) != 0)
		return;
	if ((h = test_hook_find(m->s[1].p + plen, m->s[1].len - plen)) != NULL)
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

static void
handle_active(const uint8_t *p, size_t len)
{
	struct wire_msg	 m, pong;

	if (wire_decode(p, len, FROM_CLIENT, &m) == -1) {
		worker_close("protocol error: malformed message",
		    "protocol error: malformed message");
		return;
	}
	switch (m.type) {
	case MSG_PING:
		memset(&pong, 0, sizeof(pong));
		pong.type = MSG_PONG;
		pong.token = m.token;
		send_msg(&pong);
		return;
	case MSG_PONG:
		return;
	case MSG_AUTH:
		worker_close("protocol error: already logged in",
		    "protocol error: AUTH after login");
		return;
	case MSG_BYE:
		/*
		 * The answers to what came before are still to come from the
		 * broker: it answers in order, then closes our channel, and
		 * only then do we close the connection.
		 */
		to_broker(p, len);
		if (w.state == W_ACTIVE) {
			w.state = W_LEAVING;
			w.close_deadline = mono_ms() + LEAVE_WAIT_MS;
		}
		return;
	default:
		break;
	}
#ifdef SECCHAT_TEST_HOOKS
	test_hook_said(&m);
#endif
	if (text_too_long(&m))
		return;
	to_broker(p, len);
}

static void
handle_record(const uint8_t *ct, size_t ctlen)
{
	uint8_t		*pt = scratch;
	size_t		 ptlen;
	struct wire_msg	 m;

	if (record_open(&w.rx, ct, ctlen, pt, &ptlen) == -1) {
		worker_close("protocol error: bad record",
		    "bad record (decryption failed)");
		return;
	}
	switch (w.state) {
	case W_AUTHRETRY:
		if (wire_decode(pt, ptlen, FROM_CLIENT, &m) == -1) {
			worker_close("protocol error: malformed message",
			    "protocol error: malformed message");
		} else if (m.type == MSG_BYE) {
			worker_close(NULL, "client left before login");
		} else if (m.type != MSG_AUTH) {
			worker_close("protocol error: expected AUTH",
			    "protocol error: expected AUTH");
		} else
			forward_auth(&m, client_static);
		break;
	case W_ACTIVE:
		handle_active(pt, ptlen);
		break;
	default:
		worker_close("protocol error", "record in the wrong state");
		break;
	}
	sodium_memzero(pt, ptlen);
}

/* Process whole frames from the client, as far as state and flood allow. */
static void
process_client_input(void)
{
	const uint8_t	*payload;
	size_t		 plen, used;
	int		 r;

	while (w.state != W_CLOSING && w.state != W_AUTHWAIT &&
	    w.state != W_LEAVING) {
		if (w.state == W_ACTIVE && !flood_ready())
			break;
		if (w.state == W_ACTIVE && buf_used(&w.cout) > CLIENT_OUT_HIGH)
			break;	/* our answers would have nowhere to go */
		r = frame_parse(buf_head(&w.cin), buf_used(&w.cin), &payload,
		    &plen, &used);
		if (r == 0)
			break;
		if (r == -1) {
			worker_close(w.have_keys ? "protocol error: bad frame" :
			    NULL, "bad frame");
			break;
		}
		w.last_rx_ms = mono_ms();
		w.ping_ms = 0;
		switch (w.state) {
		case W_HELLO:
			handle_hello(payload, plen);
			break;
		case W_HS1:
		case W_HS3:
			handle_handshake(payload, plen);
			break;
		case W_ACTIVE:
			(void)flood_take();
			/* FALLTHROUGH */
		default:
			handle_record(payload, plen);
			break;
		}
		buf_consume(&w.cin, used);
	}
}

/* Bytes the client input buffer can still take. */
static size_t
client_in_room(void)
{
	return CLIENT_IN_MAX - buf_used(&w.cin);
}

static void
read_client(void)
{
	uint8_t	*d;
	size_t	 want;
	ssize_t	 n;

	if (w.state == W_LEAVING) {
		/*
		 * Nothing after BYE counts, but it is read: closing a socket
		 * with unread input resets the connection, and the reset could
		 * destroy the answers still on their way to the client.
		 */
		n = read(w.cfd, scratch, sizeof(scratch));
		if (n == 0)
			w.client_rd_eof = 1;
		else if (n == -1 && errno != EAGAIN && errno != EINTR) {
			w.client_eof = 1;
			worker_close(NULL, "connection lost");
		}
		return;
	}
	/*
	 * Read only what fits: asking for a fixed chunk would fail once less
	 * than a chunk is left, and then the rest of a large frame would
	 * never be read while poll() kept reporting it.
	 */
	if ((want = client_in_room()) == 0) {
		/*
		 * Full, so the loop did not ask for input: only a hangup or an
		 * error wakes us, and either stays set.  The client is gone.
		 */
		w.client_eof = 1;
		worker_close(NULL, "connection lost");
		return;
	}
	if (want > CLIENT_READ_CHUNK)
		want = CLIENT_READ_CHUNK;
	if ((d = buf_reserve(&w.cin, want)) == NULL) {
		worker_close("internal error", "out of memory");
		return;
	}
	n = read(w.cfd, d, want);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		w.client_eof = 1;
		worker_close(NULL, "connection lost");
		return;
	}
	if (n == 0) {
		w.client_eof = 1;
		worker_close(NULL, w.state == W_ACTIVE ?
		    "connection closed by client" :
		    "connection closed before login");
		return;
	}
	buf_commit(&w.cin, (size_t)n);
}

static void
write_client(void)
{
	ssize_t	 n;

	n = send(w.cfd, buf_head(&w.cout), buf_used(&w.cout), MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		w.client_eof = 1;
		buf_reset(&w.cout);
		worker_close(NULL, "connection lost");
		return;
	}
	buf_consume(&w.cout, (size_t)n);
}

/* ------------------------------------------------------------ IPC */

static void
handle_master(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;
	uint8_t		 tries, final;
	char		 reason[256];
	struct wire_msg	 m;

	rd_init(&r, im->data, im->len);
	switch (im->type) {
	case IMSG_W_AUTH_FAIL:
		if (w.state != W_AUTHWAIT)
			fatalx("AUTH_FAIL in the wrong state");
		tries = rd_u8(&r);
		final = rd_u8(&r);
		s = rd_str(&r, &slen);
		if (rd_done(&r) == -1)
			fatalx("bad AUTH_FAIL from master");
		memset(&m, 0, sizeof(m));
		m.type = MSG_AUTH_FAIL;
		m.byte = tries;
		m.s[0].p = (const char *)s;
		m.s[0].len = slen;
		m.ns = 1;
		send_msg(&m);
		if (final)
			worker_close("authentication failed", "authentication "
			    "failed: no tries left");
		else
			w.state = W_AUTHRETRY;
		break;
	case IMSG_W_SHUTDOWN:
		s = rd_str(&r, &slen);
		if (rd_done(&r) == -1)
			fatalx("bad SHUTDOWN from master");
		snprintf(reason, sizeof(reason), "%.*s", (int)slen, s);
		worker_close(reason, reason);
		break;
	default:
		fatalx("unexpected message %u from master", im->type);
	}
}

static void
handle_broker(const struct ipc_msg *im)
{
	struct wire_msg	 m;
	struct reader	 r;
	const uint8_t	*s;
	size_t		 slen;

	/* Once we are leaving, what the broker still sends has nowhere to go. */
	if (w.state == W_CLOSING)
		return;
	switch (im->type) {
	case IMSG_W_LOGGED_IN:
		rd_init(&r, im->data, im->len);
		s = rd_str(&r, &slen);
		if (w.state != W_AUTHWAIT || rd_done(&r) == -1 ||
		    !valid_username((const char *)s, slen))
			fatalx("bad LOGGED_IN from broker");
		memcpy(w.user, s, slen);
		w.user[slen] = '\0';
		memset(&m, 0, sizeof(m));
		m.type = MSG_AUTH_OK;
		m.s[0].p = w.user;
		m.s[0].len = slen;
		m.ns = 1;
		send_msg(&m);
		w.state = W_ACTIVE;
		w.tokens = w.init.flood_burst;
		w.tokens_ms = mono_ms();
		setproctitle("worker [%s] %s", w.init.peer, w.user);
		break;
	case IMSG_W_APP:
		if (w.state != W_ACTIVE && w.state != W_LEAVING)
			fatalx("APP from broker before login");
		if (im->len == 0 || im->len > RECORD_MAX_PLAINTEXT)
			fatalx("bad APP length from broker");
		send_record(im->data, im->len);
		break;
	default:
		fatalx("unexpected message %u from broker", im->type);
	}
}

static void
drain_ipc(struct ipc_peer *p, void (*handler)(const struct ipc_msg *))
{
	struct ipc_msg	 m;
	int		 r;

	while ((r = ipc_get(p, &m)) == 1) {
		handler(&m);
		if (p == &w.broker && buf_used(&w.cout) > CLIENT_OUT_HIGH)
			break;
	}
	if (r == -1)
		fatalx("malformed message from %s", p->name);
}

/* ------------------------------------------------------------ timers */

/*
 * Most sessions are idle most of the time, and there are as many workers
 * as sessions: once a session has been quiet for a moment, free the
 * buffers a burst left behind and hand the pages back to the kernel.
 * They regrow on the next message.
 */
static void
trim_idle(void)
{
	/* Tried once per quiet spell: the next I/O clears it. */
	w.trimmed = 1;
	if (buf_used(&w.cin) > 0 || buf_used(&w.cout) > 0)
		return;
	buf_free(&w.cin);
	buf_free(&w.cout);
	ipc_trim(&w.master);
	ipc_trim(&w.broker);
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

/* busy: a descriptor was ready in this turn of the loop. */
static void
check_timers(int busy)
{
	uint64_t	 now = mono_ms();
	struct wire_msg	 m;

	if (busy) {
		w.last_io_ms = now;
		w.trimmed = 0;
	}
	if (w.state == W_CLOSING)
		return;
	if (w.state == W_LEAVING) {
		/* The broker closes our channel after its last answer. */
		if (w.broker.eof && buf_used(&w.broker.in) == 0)
			worker_close(NULL, "client left");
		else if (now >= w.close_deadline)
			worker_close(NULL, "client left before its last "
			    "answers were sent");
		return;
	}
	if (w.state < W_ACTIVE &&
	    now - w.start_ms >= (uint64_t)w.init.login_grace * 1000) {
		worker_close("login timeout", "login grace time exceeded");
		return;
	}
	if (w.state == W_ACTIVE && w.init.alive_interval > 0) {
		if (w.ping_ms == 0 && now - w.last_rx_ms >=
		    (uint64_t)w.init.alive_interval * 1000) {
			memset(&m, 0, sizeof(m));
			m.type = MSG_PING;
			m.token = ++w.ping_token;
			send_msg(&m);
			w.ping_ms = now;
		} else if (w.ping_ms != 0 && now - w.ping_ms >=
		    (uint64_t)w.init.alive_timeout * 1000) {
			worker_close("idle timeout", "no answer to ping");
			return;
		}
	}
	if (w.broker_gone_ms != 0 && now - w.broker_gone_ms >= BROKER_GONE_WAIT_MS)
		worker_close("chat service unavailable", "broker went away");
	else if (w.state == W_ACTIVE && !w.trimmed &&
	    now - w.last_io_ms >= IDLE_TRIM_MS)
		trim_idle();
}

static int
next_timeout(void)
{
	uint64_t	 now = mono_ms(), due = now + 1000;

	/*
	 * Closing or leaving, only that state's deadline counts:
	 * check_timers() acts on no other, and a deadline it ignores would
	 * make poll() spin.
	 */
	if (w.state == W_CLOSING || w.state == W_LEAVING)
		due = w.close_deadline;
	else if (w.state < W_ACTIVE)
		due = w.start_ms + (uint64_t)w.init.login_grace * 1000;
	else if (w.init.alive_interval > 0)
		due = w.ping_ms ? w.ping_ms + (uint64_t)w.init.alive_timeout * 1000 :
		    w.last_rx_ms + (uint64_t)w.init.alive_interval * 1000;
	if (w.state != W_CLOSING && w.state != W_LEAVING) {
		if (w.state == W_ACTIVE && !flood_ready() && now + 50 < due)
			due = now + 50;
		if (w.broker_gone_ms != 0 &&
		    w.broker_gone_ms + BROKER_GONE_WAIT_MS < due)
			due = w.broker_gone_ms + BROKER_GONE_WAIT_MS;
		/* Only a logged-in session trims (see check_timers). */
		if (w.state == W_ACTIVE && !w.trimmed &&
		    w.last_io_ms + IDLE_TRIM_MS < due)
			due = w.last_io_ms + IDLE_TRIM_MS;
	}
	if (due <= now)
		return 0;
	return due - now > 60000 ? 60000 : (int)(due - now);
}

/* ------------------------------------------------------------ main loop */

static void
worker_loop(void)
{
	struct pollfd	 pfd[3];
	int		 r;

	for (;;) {
		process_client_input();
		if (w.state == W_CLOSING && (buf_used(&w.cout) == 0 ||
		    w.client_eof || mono_ms() >= w.close_deadline)) {
			(void)ipc_flush_all(&w.master);
			(void)ipc_flush(&w.broker);
			shutdown(w.cfd, SHUT_RDWR);
			exit(0);
		}
		memset(pfd, 0, sizeof(pfd));
		pfd[0].fd = w.cfd;
		/* A full input buffer holds a frame that waits its turn. */
		if (!w.client_eof && !w.client_rd_eof && w.state != W_CLOSING &&
		    w.state != W_AUTHWAIT &&
		    (w.state == W_LEAVING || client_in_room() > 0) &&
		    (w.state != W_ACTIVE || flood_ready()))
			pfd[0].events |= POLLIN;
		if (buf_used(&w.cout) > 0 && !w.client_eof)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = w.master.fd;
		pfd[1].events = POLLIN | (ipc_pending(&w.master) ? POLLOUT : 0);
		pfd[2].fd = w.broker.eof ? -1 : w.broker.fd;
		/* LOGGED_IN arrives from the broker while we wait for auth. */
		if ((w.state == W_ACTIVE || w.state == W_AUTHWAIT ||
		    w.state == W_LEAVING) &&
		    buf_used(&w.cout) <= CLIENT_OUT_HIGH)
			pfd[2].events |= POLLIN;
		if (ipc_pending(&w.broker))
			pfd[2].events |= POLLOUT;
		r = poll(pfd, 3, next_timeout());
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			read_client();
		if (pfd[0].revents & POLLOUT)
			write_client();
		if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (ipc_read(&w.master) <= 0) {
				/* The master is gone: nothing to serve for. */
				if (w.have_keys && !w.client_eof) {
					send_bye("server shutting down");
					write_client();
				}
				exit(0);
			}
			drain_ipc(&w.master, handle_master);
		}
		if (pfd[1].revents & POLLOUT && ipc_flush(&w.master) == -1)
			exit(0);
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (ipc_read(&w.broker) <= 0 && w.broker_gone_ms == 0) {
				w.broker.eof = 1;
				w.broker_gone_ms = mono_ms();
			}
			drain_ipc(&w.broker, handle_broker);
		} else if ((w.state == W_ACTIVE || w.state == W_LEAVING) &&
		    buf_used(&w.cout) <= CLIENT_OUT_HIGH)
			drain_ipc(&w.broker, handle_broker);
		/* Send what the broker gave us now, not after another poll. */
		if (buf_used(&w.cout) > 0 && !w.client_eof &&
		    !(pfd[0].revents & POLLOUT))
			write_client();
		if (pfd[2].revents & POLLOUT && ipc_flush(&w.broker) == -1 &&
		    w.broker_gone_ms == 0) {
			w.broker.eof = 1;
			w.broker_gone_ms = mono_ms();
		}
		check_timers(r > 0);
	}
}

int
worker_main(int verbose)
{
	struct ipc_msg	 m;
	int		 sndbuf, nodelay;

	log_setverbose(verbose);
	log_setproc("worker");
	w.cfd = WORKER_FD_CLIENT;
	ipc_init(&w.master, WORKER_FD_MASTER, "master", 0);
	/* The master sends a handful of small messages, never a burst. */
	ipc_set_read_chunk(&w.master, 2048);
	ipc_init(&w.broker, WORKER_FD_BROKER, "broker", 4 * 1024 * 1024);
	log_set_sink(log_to_master);
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
	sndbuf = CLIENT_SNDBUF;
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
	sandbox_enter_ids(SANDBOX_WORKER, (uid_t)w.init.privsep_uid,
	    (gid_t)w.init.privsep_gid, w.init.privsep_dir, WORKER_FD_BROKER);
	if (set_nonblock(w.cfd) == -1 || set_nonblock(w.master.fd) == -1 ||
	    set_nonblock(w.broker.fd) == -1)
		fatal("set_nonblock");
#ifdef SECCHAT_TEST_HOOKS
	test_hook_at_start();
#endif
	buf_init(&w.cin, CLIENT_IN_MAX);
	buf_init(&w.cout, CLIENT_OUT_MAX);
	w.start_ms = w.last_rx_ms = w.last_io_ms = mono_ms();
	w.state = W_HELLO;
	worker_loop();
	return 0;
}
