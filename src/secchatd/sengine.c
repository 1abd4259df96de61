/*
 * sengine.c: the server's protocol engine for one client, without I/O
 * (sengine.h).  It holds no secret but its own session keys and, during
 * one call, the password it hands on; the host key stays outside.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "sengine.h"
#include "util.h"
#include "wire.h"

/*
 * The client input buffer holds the largest frame and some of the next, so
 * a full buffer always holds a whole frame: reading can only be held up by
 * what is done with frames (login, flood control, a full output queue),
 * never by a frame that cannot be completed.
 */
#define SE_IN_MAX		(FRAME_HDRLEN + FRAME_MAX + 4096)
#define SE_READ_CHUNK		16384	/* at most this much per read() */
#define SE_OUT_HIGH		(256 * 1024)	/* stop reading the broker */
#define SE_OUT_MAX		(SE_OUT_HIGH + 2 * (FRAME_MAX + 64))
#define SE_CLOSE_LINGER_MS	2000
#define SE_LEAVE_WAIT_MS	10000	/* BYE: the broker's last answers */
#define SE_FLOOD_POLL_MS	50	/* look for a flood token this often */

_Static_assert(SE_IN_MAX >= FRAME_HDRLEN + FRAME_MAX,
    "the client input buffer must hold the largest frame");

struct sengine {
	enum se_state		 state;
	const struct se_ops	*ops;
	void			*arg;
	struct se_params	 p;	/* pointing to the copies below */
	uint8_t			 suites[HELLO_MAX_SUITES];
	uint8_t			 host_pub[NOISE_KEYLEN];
	char			 peer[64];

	struct buf		 in, out;
	struct noise_handshake	 hs;
	uint8_t			 dh_pub[NOISE_KEYLEN];	/* asked of host_dh */
	uint8_t			 dh_shared[NOISE_KEYLEN];
	int			 dh_ready;
	struct noise_cipherstate tx, rx;
	int			 have_keys;
	uint8_t			 client_static[NOISE_KEYLEN];
	uint64_t		 start_ms, last_rx_ms, ping_ms, close_deadline;
	uint64_t		 ping_token;
	double			 tokens;
	uint64_t		 tokens_ms;
	int			 client_eof;
	int			 client_rd_eof;	/* no more input (SE_LEAVING) */
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 close_reason[128];
	uint8_t			 suite;		/* the hello's choice */
	int			 extended;	/* both agreed to HELLO_CAP_E2E */
	int			 batched;	/* both agreed to HELLO_CAP_BATCH */
	struct buf		 batch;		/* a BATCH being filled */
	uint16_t		 nbatch;	/* messages in it */
	int			 key_tried;	/* AUTH_KEY: once a connection */
	uint8_t			 hs2[NOISE_HASHLEN];	/* h after message 2 */
};

/*
 * Plaintext of the record being handled, a handshake message, or input
 * dropped after BYE.  Static rather than on the stack: a 64 KiB array in a
 * frame pushes the stack pointer down past pages that then stay resident
 * in every idle worker.  Used within one call only, so engines share it.
 */
static uint8_t		 se_scratch[FRAME_MAX];
_Static_assert(sizeof(se_scratch) >= NOISE_MAX_MSG, "scratch too small");

/* ------------------------------------------------------------ setup */

struct sengine *
se_new(const struct se_params *p, const struct se_ops *ops, void *arg,
    uint64_t now)
{
	struct sengine	*se;

	if (p->nsuites == 0 || p->nsuites > HELLO_MAX_SUITES ||
	    p->suites == NULL || p->host_pub == NULL ||
	    p->flood_burst == 0 || p->flood_rate == 0 || ops == NULL ||
	    ops->host_dh == NULL || ops->check_login == NULL ||
	    ops->to_broker == NULL || ops->closing == NULL)
		return NULL;
	if ((se = calloc(1, sizeof(*se))) == NULL)
		return NULL;
	se->ops = ops;
	se->arg = arg;
	se->p = *p;
	se->p.suites = memcpy(se->suites, p->suites, p->nsuites);
	se->p.host_pub = memcpy(se->host_pub, p->host_pub, NOISE_KEYLEN);
	strlcpy(se->peer, p->peer != NULL ? p->peer : "", sizeof(se->peer));
	se->p.peer = se->peer;
	buf_init(&se->in, SE_IN_MAX);
	buf_init(&se->out, SE_OUT_MAX);
	buf_init(&se->batch, RECORD_MAX_PLAINTEXT);
	se->start_ms = se->last_rx_ms = now;
	se->state = SE_HELLO;
	return se;
}

void
se_free(struct sengine *se)
{
	if (se == NULL)
		return;
	noise_hs_clear(&se->hs);
	noise_cs_clear(&se->tx);
	noise_cs_clear(&se->rx);
	buf_free(&se->in);
	buf_free(&se->out);
	buf_free(&se->batch);
	sodium_memzero(se, sizeof(*se));
	free(se);
}

/* ------------------------------------------------------------ output */

static void
se_seal(struct sengine *se, const uint8_t *pt, size_t len, uint64_t now)
{
	if (!se->have_keys)
		return;
	if (record_seal(&se->tx, pt, len, &se->out) == -1)
		se_close(se, "internal error", "cannot seal a record", now);
}

/*
 * The messages the broker handed over in one go leave as one record
 * (doc/protocol.md 11.9): one seal, one tag and one frame for the lot,
 * where a busy room would cost a record per message at both ends.  A
 * lone message goes as a record of its own.
 */
void
se_flush_app(struct sengine *se, uint64_t now)
{
	uint8_t		*h;
	uint16_t	 n = se->nbatch;

	if (n == 0)
		return;
	se->nbatch = 0;
	h = buf_head(&se->batch);
	if (n == 1)
		se_seal(se, h + BATCH_HDRLEN + BATCH_ENTRY_HDRLEN,
		    buf_used(&se->batch) - BATCH_HDRLEN - BATCH_ENTRY_HDRLEN,
		    now);
	else {
		put_u16(h + 1, n);
		se_seal(se, h, buf_used(&se->batch), now);
	}
	buf_consume(&se->batch, buf_used(&se->batch));
}

/* Anything else goes after what is waiting in a batch. */
static void
se_send_record(struct sengine *se, const uint8_t *pt, size_t len,
    uint64_t now)
{
	se_flush_app(se, now);
	se_seal(se, pt, len, now);
}

/* Add a message from the broker to the batch (or send it, unbatched). */
static void
se_batch_add(struct sengine *se, const uint8_t *msg, size_t len,
    uint64_t now)
{
	size_t	 need = BATCH_ENTRY_HDRLEN + len;

	if (!se->batched ||
	    BATCH_HDRLEN + need > RECORD_MAX_PLAINTEXT) {
		se_send_record(se, msg, len, now);
		return;
	}
	if (se->nbatch > 0 && (se->nbatch == UINT16_MAX ||
	    buf_used(&se->batch) + need > RECORD_MAX_PLAINTEXT))
		se_flush_app(se, now);
	if (se->nbatch == 0 && (buf_put_u8(&se->batch, MSG_BATCHREC) == -1 ||
	    buf_put_u16(&se->batch, 0) == -1))
		goto fail;
	if (buf_put_str(&se->batch, msg, len) == -1)
		goto fail;
	se->nbatch++;
	return;
 fail:
	se->nbatch = 0;
	buf_consume(&se->batch, buf_used(&se->batch));
	se_close(se, "internal error", "cannot batch a message", now);
}

static void
se_send_msg(struct sengine *se, const struct wire_msg *m, uint64_t now)
{
	struct buf	 b;

	buf_init(&b, RECORD_MAX_PLAINTEXT);
	if (wire_encode(&b, m) == 0)
		se_send_record(se, buf_head(&b), buf_used(&b), now);
	buf_free(&b);
}

/* BYE, ERROR, AUTH_OK, AUTH_FAIL: one string, and a byte if its type has. */
static void
se_send_str(struct sengine *se, uint8_t type, uint8_t byte, const char *s,
    size_t len, uint64_t now)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.byte = byte;
	m.s[0].p = s;
	m.s[0].len = len;
	m.ns = 1;
	se_send_msg(se, &m, now);
}

/*
 * Leave: tell the client why (if we can still speak to it), tell the
 * outside why for its log, and linger until the last bytes are out.
 */
void
se_close(struct sengine *se, const char *client_reason,
    const char *log_reason, uint64_t now)
{
	if (se->state == SE_CLOSING)
		return;
	/* Closing first, so a failure to queue the BYE cannot recurse. */
	se->state = SE_CLOSING;
	se->close_deadline = now + SE_CLOSE_LINGER_MS;
	/* What the broker sent before the end still goes out, BYE or not. */
	if (se->have_keys && !se->client_eof)
		se_flush_app(se, now);
	if (client_reason != NULL && se->have_keys && !se->client_eof)
		se_send_str(se, MSG_BYE, 0, client_reason,
		    strlen(client_reason), now);
	strlcpy(se->close_reason, log_reason, sizeof(se->close_reason));
	noise_hs_clear(&se->hs);
	se->ops->closing(se->arg, log_reason);
}

void
se_shutdown(struct sengine *se, const char *reason, uint64_t now)
{
	se_close(se, reason, reason, now);
}

int
se_bye(struct sengine *se, const char *reason, uint64_t now)
{
	if (!se->have_keys || se->client_eof)
		return 0;
	se_send_str(se, MSG_BYE, 0, reason, strlen(reason), now);
	return 1;
}

/* ------------------------------------------------------------ handshake */

/* The handshake's DH with the host key: what se_dh_result() was given. */
static int
se_dh_answer(void *arg, const uint8_t pub[NOISE_KEYLEN],
    uint8_t shared[NOISE_KEYLEN])
{
	struct sengine	*se = arg;

	if (!se->dh_ready || sodium_memcmp(pub, se->dh_pub, NOISE_KEYLEN) != 0)
		return -1;
	memcpy(shared, se->dh_shared, NOISE_KEYLEN);
	return 0;
}

static void
se_handle_hello(struct sengine *se, const uint8_t *p, size_t len,
    uint64_t now)
{
	uint8_t		 offered[HELLO_MAX_SUITES], reply[64];
	uint8_t		 prologue[HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES + 64];
	char		 line[128];
	uint8_t		 caps[HELLO_MAX_CAPS];
	size_t		 noffered, i, j, rlen, ncaps;
	uint8_t		 suite = SUITE_NONE;
	int		 n;

	if (hello_client_decode(p, len, offered, &noffered) == -1) {
		se_close(se, NULL, "bad hello", now);
		return;
	}
	for (i = 0; i < se->p.nsuites && suite == SUITE_NONE; i++) {
		if (se->p.suites[i] == SUITE_AESGCM && !se->p.aesgcm_ok)
			continue;
		for (j = 0; j < noffered; j++)
			if (offered[j] == se->p.suites[i])
				suite = offered[j];
	}
	/*
	 * The capability rides after the chosen suite; both hellos are the
	 * prologue, so nobody in between can add or strip it.
	 */
	ncaps = 0;
	if (suite != SUITE_NONE && se->p.extensions) {
		if (hello_has_cap(offered, noffered, HELLO_CAP_E2E))
			caps[ncaps++] = HELLO_CAP_E2E;
		if (hello_has_cap(offered, noffered, HELLO_CAP_BATCH))
			caps[ncaps++] = HELLO_CAP_BATCH;
	}
	if (ncaps > 0) {
		n = hello_server_encode_caps(reply, sizeof(reply), suite,
		    caps, ncaps);
		se->extended = n != -1 &&
		    hello_has_cap(caps, ncaps, HELLO_CAP_E2E);
		se->batched = n != -1 &&
		    hello_has_cap(caps, ncaps, HELLO_CAP_BATCH);
	} else
		n = hello_server_encode(reply, sizeof(reply), suite,
		    suite == SUITE_NONE ? "no common cipher suite" : NULL);
	if (n == -1 || frame_append(&se->out, reply, (size_t)n) == -1) {
		se_close(se, NULL, "cannot answer hello", now);
		return;
	}
	if (suite == SUITE_NONE) {
		se_close(se, NULL, "no common cipher suite", now);
		return;
	}
	/* The prologue binds both hellos into the handshake. */
	rlen = (size_t)n;
	if (len + rlen > sizeof(prologue)) {
		se_close(se, NULL, "cannot answer hello", now);
		return;
	}
	memcpy(prologue, p, len);
	memcpy(prologue + len, reply, rlen);
	if (noise_hs_init(&se->hs, NOISE_XX, suite_cipher(suite), 0, prologue,
	    len + rlen, NULL, se->host_pub, NULL) == -1) {
		se_close(se, NULL, "handshake init failed", now);
		return;
	}
	noise_hs_set_dh(&se->hs, se_dh_answer, se);
	se->suite = suite;
	if (se->ops->log != NULL) {
		snprintf(line, sizeof(line), "%s: suite %s%s", se->peer,
		    suite_name(suite), se->extended ? ", extended" : "");
		se->ops->log(se->arg, LOG_DEBUG, line);
	}
	se->state = SE_HS1;
}

/*
 * An AUTH or AUTH_KEY (in message 3, or where an AUTH may come later)
 * goes out to be checked.  AUTH_KEY only on an extended session and only
 * once: anything else is a protocol error, and so is a type of section 11
 * on a session that did not agree to it.
 */
static void
se_forward_auth(struct sengine *se, const struct wire_msg *m, uint64_t now)
{
	int	 rc;

	if (m->type == MSG_AUTH_KEY && se->extended && !se->key_tried) {
		se->key_tried = 1;
		if (se->ops->check_key == NULL) {
			/* No key logins here: as an unenrolled key. */
			se->state = SE_AUTHWAIT;
			se_auth_fail(se, 1, 0, "key not accepted", 16, now);
			return;
		}
		rc = se->ops->check_key(se->arg, se->client_static, se->hs2,
		    m->s[0].p, m->s[0].len, (const uint8_t *)m->s[1].p);
	} else if (m->type == MSG_AUTH) {
		rc = se->ops->check_login(se->arg, se->client_static,
		    m->s[0].p, m->s[0].len, m->s[1].p, m->s[1].len);
	} else {
		se_close(se, "protocol error: expected AUTH",
		    "protocol error: expected AUTH", now);
		return;
	}
	if (rc == -1) {
		se_close(se, "internal error", "cannot forward login", now);
		return;
	}
	se->state = SE_AUTHWAIT;
}

static void
se_handle_handshake(struct sengine *se, const uint8_t *p, size_t len,
    uint64_t now)
{
	uint8_t		*payload = se_scratch;
	size_t		 plen;
	const uint8_t	*rs;
	struct wire_msg	 m;

	if (noise_hs_read(&se->hs, p, len, payload, &plen) == -1) {
		se_close(se, NULL, "handshake failed", now);
		return;
	}
	if (se->state == SE_HS1) {
		/*
		 * Message 2 mixes in DH(host key, client's ephemeral key):
		 * ask for it, and write message 2 with the answer.
		 */
		if (plen != 0) {
			se_close(se, NULL, "handshake failed", now);
			return;
		}
		memcpy(se->dh_pub, se->hs.re, NOISE_KEYLEN);
		if (se->ops->host_dh(se->arg, se->dh_pub) == -1) {
			se_close(se, NULL, "handshake failed", now);
			return;
		}
		se->state = SE_DHWAIT;
		return;
	}
	/* Message 3: the client's static key and its AUTH. */
	if ((rs = noise_hs_remote_static(&se->hs)) == NULL ||
	    noise_hs_split(&se->hs, &se->tx, &se->rx) == -1) {
		sodium_memzero(payload, plen);	/* it holds the password */
		se_close(se, NULL, "handshake failed", now);
		return;
	}
	memcpy(se->client_static, rs, NOISE_KEYLEN);
	se->have_keys = 1;
	if (wire_decode(payload, plen, FROM_CLIENT, &m) == -1)
		se_close(se, "protocol error: expected AUTH",
		    "protocol error: expected AUTH", now);
	else
		se_forward_auth(se, &m, now);
	sodium_memzero(payload, plen);
}

int
se_dh_result(struct sengine *se, const uint8_t *shared, uint64_t now)
{
	uint8_t		*msg = se_scratch;
	size_t		 mlen;
	int		 rc;

	if (se->state == SE_CLOSING)
		return 0;	/* nowhere to go */
	if (se->state != SE_DHWAIT)
		return -1;
	if (shared == NULL) {
		se_close(se, NULL, "handshake failed", now);
		return 0;
	}
	memcpy(se->dh_shared, shared, NOISE_KEYLEN);
	se->dh_ready = 1;
	rc = noise_hs_write(&se->hs, NULL, 0, msg, &mlen);
	sodium_memzero(se->dh_shared, sizeof(se->dh_shared));
	se->dh_ready = 0;
	/* What a key login's proof is bound to (protocol section 11.3). */
	if (rc == 0)
		memcpy(se->hs2, noise_hs_hash(&se->hs), sizeof(se->hs2));
	if (rc == -1 || frame_append(&se->out, msg, mlen) == -1) {
		se_close(se, NULL, "handshake failed", now);
		return 0;
	}
	se->state = SE_HS3;
	return 0;
}

/* ------------------------------------------------------------ records */

/* A record from a logged-in client takes a token, if there is one. */
static void
se_flood_take(struct sengine *se, uint64_t now)
{
	se->tokens += (double)(now - se->tokens_ms) * se->p.flood_rate / 1000.0;
	if (se->tokens > se->p.flood_burst)
		se->tokens = se->p.flood_burst;
	se->tokens_ms = now;
	if (se->tokens >= 1.0)
		se->tokens -= 1.0;
}

static int
se_flood_ready(const struct sengine *se, uint64_t now)
{
	double	 t;

	t = se->tokens + (double)(now - se->tokens_ms) * se->p.flood_rate /
	    1000.0;
	return t >= 1.0;
}

static void
se_to_broker(struct sengine *se, const uint8_t *p, size_t len, uint64_t now)
{
	if (se->ops->to_broker(se->arg, p, len) == -1)
		se_close(se, "internal error", "broker queue full", now);
}

static int
se_text_too_long(struct sengine *se, const struct wire_msg *m,
    uint64_t now)
{
	char	 text[128];

	if (m->type != MSG_SAY && m->type != MSG_ACT && m->type != MSG_PRIVMSG)
		return 0;
	if (m->s[1].len <= se->p.max_message)
		return 0;
	snprintf(text, sizeof(text), "message too long: %zu bytes, the limit "
	    "is %u; it was not delivered", m->s[1].len, se->p.max_message);
	se_send_str(se, MSG_ERROR, ERR_BAD_TEXT, text, strlen(text), now);
	return 1;
}

#ifdef SECCHAT_TEST_HOOKS
/* A logged-in client said something: run the hook it names, if any. */
static void
se_test_hook_said(struct sengine *se, const struct wire_msg *m)
{
	size_t	 plen = strlen(SE_TEST_HOOK_PREFIX);

	if (se->ops->test_hook == NULL || m->type != MSG_SAY ||
	    m->s[1].len <= plen ||
	    memcmp(m->s[1].p, SE_TEST_HOOK_PREFIX, plen) != 0)
		return;
	se->ops->test_hook(se->arg, m->s[1].p + plen, m->s[1].len - plen);
}
#endif

static void
se_handle_active(struct sengine *se, const uint8_t *p, size_t len,
    uint64_t now)
{
	struct wire_msg	 m, pong;

	if (wire_decode(p, len, FROM_CLIENT, &m) == -1) {
		se_close(se, "protocol error: malformed message",
		    "protocol error: malformed message", now);
		return;
	}
	if (wire_type_extended(m.type) && !se->extended) {
		se_close(se, "protocol error: malformed message",
		    "protocol error: extension on a plain session", now);
		return;
	}
	switch (m.type) {
	case MSG_PING:
		memset(&pong, 0, sizeof(pong));
		pong.type = MSG_PONG;
		pong.token = m.token;
		se_send_msg(se, &pong, now);
		return;
	case MSG_PONG:
		return;
	case MSG_AUTH:
	case MSG_AUTH_KEY:
		se_close(se, "protocol error: already logged in",
		    "protocol error: AUTH after login", now);
		return;
	case MSG_BYE:
		/*
		 * The answers to what came before are still to come from the
		 * broker: it answers in order, then closes our channel, and
		 * only then do we close the connection.
		 */
		se_to_broker(se, p, len, now);
		if (se->state == SE_ACTIVE) {
			se->state = SE_LEAVING;
			se->close_deadline = now + SE_LEAVE_WAIT_MS;
		}
		return;
	default:
		break;
	}
#ifdef SECCHAT_TEST_HOOKS
	se_test_hook_said(se, &m);
#endif
	if (se_text_too_long(se, &m, now))
		return;
	se_to_broker(se, p, len, now);
}

static void
se_handle_record(struct sengine *se, const uint8_t *ct, size_t ctlen,
    uint64_t now)
{
	uint8_t		*pt = se_scratch;
	size_t		 ptlen;
	struct wire_msg	 m;

	if (record_open(&se->rx, ct, ctlen, pt, &ptlen) == -1) {
		se_close(se, "protocol error: bad record",
		    "bad record (decryption failed)", now);
		return;
	}
	switch (se->state) {
	case SE_AUTHRETRY:
		if (wire_decode(pt, ptlen, FROM_CLIENT, &m) == -1) {
			se_close(se, "protocol error: malformed message",
			    "protocol error: malformed message", now);
		} else if (m.type == MSG_BYE) {
			se_close(se, NULL, "client left before login", now);
		} else
			se_forward_auth(se, &m, now);
		break;
	case SE_ACTIVE:
		se_handle_active(se, pt, ptlen, now);
		break;
	default:
		se_close(se, "protocol error", "record in the wrong state",
		    now);
		break;
	}
	sodium_memzero(pt, ptlen);
}

void
se_process(struct sengine *se, uint64_t now)
{
	const uint8_t	*payload;
	size_t		 plen, used;
	int		 r;

	/* An empty buffer may have no memory (yet, or since a trim). */
	while (buf_used(&se->in) > 0 && se->state != SE_CLOSING &&
	    se->state != SE_AUTHWAIT && se->state != SE_DHWAIT &&
	    se->state != SE_LEAVING) {
		if (se->state == SE_ACTIVE && !se_flood_ready(se, now))
			break;
		if (se->state == SE_ACTIVE && se_out_full(se))
			break;	/* our answers would have nowhere to go */
		r = frame_parse(buf_head(&se->in), buf_used(&se->in), &payload,
		    &plen, &used);
		if (r == 0)
			break;
		if (r == -1) {
			se_close(se, se->have_keys ?
			    "protocol error: bad frame" : NULL, "bad frame",
			    now);
			break;
		}
		se->last_rx_ms = now;
		se->ping_ms = 0;
		switch (se->state) {
		case SE_HELLO:
			se_handle_hello(se, payload, plen, now);
			break;
		case SE_HS1:
		case SE_HS3:
			se_handle_handshake(se, payload, plen, now);
			break;
		case SE_ACTIVE:
			se_flood_take(se, now);
			/* FALLTHROUGH */
		default:
			se_handle_record(se, payload, plen, now);
			break;
		}
		buf_consume(&se->in, used);
	}
}

/* ------------------------------------------------------------ input */

int
se_in_space(struct sengine *se, uint8_t **p, size_t *len, uint64_t now)
{
	size_t	 want;

	if (se->state == SE_LEAVING) {
		/*
		 * Nothing after BYE counts, but it is read: closing a socket
		 * with unread input resets the connection, and the reset could
		 * destroy the answers still on their way to the client.
		 */
		*p = se_scratch;
		*len = sizeof(se_scratch);
		return 1;
	}
	/*
	 * Offer only what fits: asking for a fixed chunk would fail once less
	 * than a chunk is left, and then the rest of a large frame would
	 * never be read while poll() kept reporting it.
	 */
	*p = NULL;
	if ((*len = want = SE_IN_MAX - buf_used(&se->in)) == 0)
		return 0;
	if (want > SE_READ_CHUNK)
		want = SE_READ_CHUNK;
	*len = want;
	if ((*p = buf_reserve(&se->in, want)) == NULL) {
		se_close(se, "internal error", "out of memory", now);
		return -1;
	}
	return 1;
}

void
se_in_commit(struct sengine *se, size_t n)
{
	/* After BYE the bytes went to the sink. */
	if (se->state != SE_LEAVING)
		buf_commit(&se->in, n);
}

size_t
se_input(struct sengine *se, const uint8_t *p, size_t len, uint64_t now)
{
	uint8_t	*d;
	size_t	 room, n, taken = 0;

	while (taken < len && se_wants_input(se, now) &&
	    se_in_space(se, &d, &room, now) == 1) {
		n = len - taken < room ? len - taken : room;
		memcpy(d, p + taken, n);
		se_in_commit(se, n);
		taken += n;
		se_process(se, now);
	}
	return taken;
}

void
se_client_eof(struct sengine *se, uint64_t now)
{
	if (se->state == SE_LEAVING) {
		se->client_rd_eof = 1;
		return;
	}
	se->client_eof = 1;
	se_close(se, NULL, se->state == SE_ACTIVE ?
	    "connection closed by client" : "connection closed before login",
	    now);
}

void
se_client_lost(struct sengine *se, uint64_t now)
{
	se->client_eof = 1;
	buf_reset(&se->out);
	se_close(se, NULL, "connection lost", now);
}

struct buf *
se_output(struct sengine *se)
{
	return &se->out;
}

int
se_wants_input(const struct sengine *se, uint64_t now)
{
	/* A full input buffer holds a frame that waits its turn. */
	return !se->client_eof && !se->client_rd_eof &&
	    se->state != SE_CLOSING && se->state != SE_AUTHWAIT &&
	    se->state != SE_DHWAIT &&
	    (se->state == SE_LEAVING || buf_used(&se->in) < SE_IN_MAX) &&
	    (se->state != SE_ACTIVE || se_flood_ready(se, now));
}

int
se_wants_output(const struct sengine *se)
{
	return buf_used(&se->out) > 0 && !se->client_eof;
}

int
se_out_full(const struct sengine *se)
{
	return buf_used(&se->out) > SE_OUT_HIGH;
}

/* ------------------------------------------------------------ answers */

int
se_auth_fail(struct sengine *se, uint8_t tries_left, int final,
    const char *reason, size_t len, uint64_t now)
{
	if (se->state == SE_CLOSING)
		return 0;	/* nowhere to go */
	if (se->state != SE_AUTHWAIT)
		return -1;
	se_send_str(se, MSG_AUTH_FAIL, tries_left, reason, len, now);
	if (final)
		se_close(se, "authentication failed", "authentication "
		    "failed: no tries left", now);
	else if (se->state == SE_AUTHWAIT)
		se->state = SE_AUTHRETRY;
	return 0;
}

int
se_auth_more(struct sengine *se, const char *methods, size_t len,
    uint64_t now)
{
	if (se->state == SE_CLOSING)
		return 0;	/* nowhere to go */
	if (se->state != SE_AUTHWAIT || !se->key_tried)
		return -1;
	se_send_str(se, MSG_AUTH_MORE, 0, methods, len, now);
	if (se->state == SE_AUTHWAIT)
		se->state = SE_AUTHRETRY;
	return 0;
}

int
se_logged_in(struct sengine *se, const char *user, size_t len, uint64_t now)
{
	if (se->state == SE_CLOSING)
		return 0;	/* nowhere to go */
	if (se->state != SE_AUTHWAIT || !valid_username(user, len))
		return -1;
	memcpy(se->user, user, len);
	se->user[len] = '\0';
	se_send_str(se, MSG_AUTH_OK, 0, se->user, len, now);
	if (se->state != SE_AUTHWAIT)
		return 0;	/* sealing failed: closing */
	se->state = SE_ACTIVE;
	se->tokens = se->p.flood_burst;
	se->tokens_ms = now;
	return 0;
}

int
se_app(struct sengine *se, const uint8_t *msg, size_t len, uint64_t now)
{
	if (se->state == SE_CLOSING)
		return 0;	/* nowhere to go */
	if (se->state != SE_ACTIVE && se->state != SE_LEAVING)
		return SE_E_STATE;
	if (len == 0 || len > RECORD_MAX_PLAINTEXT)
		return SE_E_LENGTH;
	se_batch_add(se, msg, len, now);
	return 0;
}

void
se_broker_closed(struct sengine *se, uint64_t now)
{
	if (se->state == SE_LEAVING)
		se_close(se, NULL, "client left", now);
}

/* ------------------------------------------------------------ timers */

void
se_tick(struct sengine *se, uint64_t now)
{
	struct wire_msg	 m;

	if (se->state == SE_CLOSING)
		return;
	if (se->state == SE_LEAVING) {
		if (now >= se->close_deadline)
			se_close(se, NULL, "client left before its last "
			    "answers were sent", now);
		return;
	}
	if (se->state < SE_ACTIVE &&
	    now - se->start_ms >= (uint64_t)se->p.login_grace * 1000) {
		se_close(se, "login timeout", "login grace time exceeded", now);
		return;
	}
	if (se->state == SE_ACTIVE && se->p.alive_interval > 0) {
		if (se->ping_ms == 0 && now - se->last_rx_ms >=
		    (uint64_t)se->p.alive_interval * 1000) {
			memset(&m, 0, sizeof(m));
			m.type = MSG_PING;
			m.token = ++se->ping_token;
			se_send_msg(se, &m, now);
			se->ping_ms = now;
		} else if (se->ping_ms != 0 && now - se->ping_ms >=
		    (uint64_t)se->p.alive_timeout * 1000)
			se_close(se, "idle timeout", "no answer to ping", now);
	}
}

uint64_t
se_next_due(const struct sengine *se, uint64_t now)
{
	uint64_t	 due = now + 1000;

	/*
	 * Closing or leaving, only that state's deadline counts: se_tick()
	 * acts on no other, and a deadline it ignores would make poll() spin.
	 */
	if (se->state == SE_CLOSING || se->state == SE_LEAVING)
		return se->close_deadline;
	if (se->state < SE_ACTIVE)
		due = se->start_ms + (uint64_t)se->p.login_grace * 1000;
	else if (se->p.alive_interval > 0)
		due = se->ping_ms ?
		    se->ping_ms + (uint64_t)se->p.alive_timeout * 1000 :
		    se->last_rx_ms + (uint64_t)se->p.alive_interval * 1000;
	if (se->state == SE_ACTIVE && !se_flood_ready(se, now) &&
	    now + SE_FLOOD_POLL_MS < due)
		due = now + SE_FLOOD_POLL_MS;
	return due;
}

int
se_finished(const struct sengine *se, uint64_t now)
{
	return se->state == SE_CLOSING && (buf_used(&se->out) == 0 ||
	    se->client_eof || now >= se->close_deadline);
}

/* An idle session frees what a burst left behind; it regrows on demand. */
int
se_trim(struct sengine *se)
{
	if (buf_used(&se->in) > 0 || buf_used(&se->out) > 0 ||
	    se->nbatch > 0)
		return 0;
	buf_free(&se->in);
	buf_free(&se->out);
	buf_free(&se->batch);
	return 1;
}

enum se_state
se_state(const struct sengine *se)
{
	return se->state;
}

const char *
se_user(const struct sengine *se)
{
	return se->user;
}

uint8_t
se_suite(const struct sengine *se)
{
	return se->suite;
}

int
se_extended(const struct sengine *se)
{
	return se->extended;
}

const char *
se_close_reason(const struct sengine *se)
{
	return se->close_reason;
}
