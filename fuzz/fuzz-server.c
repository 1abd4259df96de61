/*
 * fuzz-server.c: the server's protocol engine (src/secchatd/sengine.c),
 * its whole state machine, with the outside played by stubs.
 *
 * The first input byte sets the limits and the suites: bit 0, the client
 * offers AES-GCM (skipped where the CPU cannot run it) instead of
 * ChaCha20-Poly1305; bit 1, tight limits (a flood burst of 2 at 1 a
 * second, 16 bytes of text, keepalive after 1 s, 5 s to log in); bit 2,
 * the server has no AES-GCM; bit 3, the client also offers capabilities
 * 0x81 and 0x82 and the server agrees (its broker messages then wait for a
 * flush, which a BROKER step makes when its last operand byte is odd, and
 * records may be BATCH records, each message of which must decode).  The rest is a script of steps, each an
 * operation byte (taken modulo the number of operations) and its operands
 * (u16 lengths big-endian, cut short where the input ends):
 *
 *   0 RAW n bytes	bytes from the client, as they are
 *   1 HELLO		the built-in client's hello
 *   2 MSG1		its Noise message 1 (once it has the server's hello)
 *   3 MSG3 n bytes	its message 3 with this payload (once it has message 2)
 *   4 RECORD n bytes	a record of this plaintext (once the handshake is done)
 *   5 TIME u16		the clock moves on by u16 x 10 ms
 *   6 LOGIN_OK		the login asked for is good (as the user it named)
 *   7 LOGIN_FAIL u8 u8	it is not: tries left, and whether that is final
 *   8 BROKER n bytes	the broker sends this (if it decodes as a message
 *			from the server: the broker sends nothing else)
 *   9 BROKER_CLOSED	the broker closes the session's channel
 *   10 EOF, 11 LOST	the client's input ends; the connection fails
 *   12 SHUTDOWN	the master stops the session
 *   13 STALL		the client stops (or starts again) reading
 *   14 DH_FAIL		the next DH with the host key fails
 *
 * The DH is answered as soon as it is asked, and the bytes move both ways
 * after every step, the client's as far as the engine takes them (the rest
 * waits, as in a socket).  Besides not crashing, the engine must keep its
 * word: what it sends is whole frames, and, as long as no RAW step has
 * upset the built-in client, a hello, a message 2 and records that open
 * and decode; it asks for nothing once it is closing, for the DH at most
 * once, and the broker gets only well-formed client messages, no AUTH, no
 * text over the limit, and no more than the flood limit allows since the
 * login; its answers to the entry points follow its state; and its next
 * timer never lies in the past unless it is closing (a poll() would spin).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "sengine.h"
#include "util.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FLAG_AESGCM	0x01
#define FLAG_TIGHT	0x02
#define FLAG_NO_AESGCM	0x04
#define FLAG_CAPS	0x08

enum fz_op {
	OP_RAW, OP_HELLO, OP_MSG1, OP_MSG3, OP_RECORD, OP_TIME, OP_LOGIN_OK,
	OP_LOGIN_FAIL, OP_BROKER, OP_BROKER_CLOSED, OP_EOF, OP_LOST,
	OP_SHUTDOWN, OP_STALL, OP_DH_FAIL, OP_COUNT
};

/* The built-in client's progress. */
enum fz_client {
	FC_START,		/* nothing sent */
	FC_HELLO,		/* hello sent, waiting for the server's */
	FC_MSG1,		/* may send message 1 */
	FC_MSG2,		/* message 1 sent, waiting for message 2 */
	FC_MSG3,		/* may send message 3 */
	FC_TRANSPORT,		/* handshake done: records */
	FC_DONE			/* refused, or no longer in step */
};

struct fz {
	struct sengine		*se;
	struct se_params	 sp;
	uint64_t		 now;
	/* The outside. */
	int			 dh_asked, dh_answered, dh_fail;
	uint8_t			 dh_pub[NOISE_KEYLEN];
	int			 login_pending;
	char			 user[SECCHAT_NAME_MAX + 1];
	size_t			 userlen;	/* 0: not a valid name */
	int			 closings;
	int			 logged_in;
	uint64_t		 login_ms;
	unsigned		 to_broker;
	/* The client. */
	struct buf		 c2s, s2c;
	int			 raw_used, stall;
	enum fz_client		 cstate;
	uint8_t			 suite;
	int			 caps;		/* offers 0x81 and 0x82 */
	uint8_t			 hello[HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES];
	size_t			 hellolen;
	struct noise_handshake	 hs;
	struct noise_cipherstate tx, rx;
};

static const uint8_t	 fz_caps[] = { HELLO_CAP_E2E, HELLO_CAP_BATCH };

static const uint8_t	 client_static[NOISE_KEYLEN] = {
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f
};
static const uint8_t	 host_static[NOISE_KEYLEN] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f
};
static uint8_t		 client_public[NOISE_KEYLEN];
static uint8_t		 host_public[NOISE_KEYLEN];
static uint8_t		 scratch[NOISE_MAX_MSG], msgbuf[NOISE_MAX_MSG];

/* ------------------------------------------------------------ the stubs */

static int
fz_host_dh(void *arg, const uint8_t pub[NOISE_KEYLEN])
{
	struct fz	*f = arg;

	if (f->closings > 0 || f->dh_asked > 0 ||
	    se_state(f->se) != SE_HS1)
		abort();
	f->dh_asked++;
	memcpy(f->dh_pub, pub, NOISE_KEYLEN);
	return 0;
}

static int
fz_check_login(void *arg, const uint8_t key[NOISE_KEYLEN], const char *user,
    size_t userlen, const char *password, size_t passwordlen)
{
	struct fz	*f = arg;
	enum se_state	 st = se_state(f->se);

	(void)key;
	(void)password;
	if (f->closings > 0 || f->login_pending ||
	    (st != SE_HS3 && st != SE_AUTHRETRY) ||
	    passwordlen > RECORD_MAX_PLAINTEXT)
		abort();
	f->login_pending = 1;
	f->userlen = 0;
	if (valid_username(user, userlen)) {
		memcpy(f->user, user, userlen);
		f->userlen = userlen;
	}
	return 0;
}

static int
fz_to_broker(void *arg, const uint8_t *msg, size_t len)
{
	struct fz	*f = arg;
	struct wire_msg	 m;
	double		 allowed;

	if (f->closings > 0 || !f->logged_in ||
	    se_state(f->se) != SE_ACTIVE ||
	    wire_decode(msg, len, FROM_CLIENT, &m) == -1 ||
	    m.type == MSG_AUTH)
		abort();
	if ((m.type == MSG_SAY || m.type == MSG_ACT ||
	    m.type == MSG_PRIVMSG) && m.s[1].len > f->sp.max_message)
		abort();
	/* Tokens: a burst at login, then the rate. */
	allowed = f->sp.flood_burst + (double)(f->now - f->login_ms) *
	    f->sp.flood_rate / 1000.0;
	if (++f->to_broker > allowed + 1e-6)
		abort();
	return 0;
}

static void
fz_closing(void *arg, const char *reason)
{
	struct fz	*f = arg;

	if (f->closings++ > 0 || reason == NULL || *reason == '\0')
		abort();
}

static const struct se_ops fz_ops = {
	.host_dh = fz_host_dh,
	.check_login = fz_check_login,
	.to_broker = fz_to_broker,
	.closing = fz_closing,
};

/* ------------------------------------------------------------ the client */

/* 1 if a BATCH holds a message that does not decode on its own. */
static int
fz_batch_bad(const struct wire_msg *b)
{
	struct wire_msg	 m;
	struct reader	 r;
	const uint8_t	*msg;
	size_t		 len, n = 0;

	rd_init(&r, b->list, b->listlen);
	while (wire_batch_next(&r, &msg, &len)) {
		if (wire_decode(msg, len, FROM_SERVER, &m) == -1)
			return 1;
		n++;
	}
	return r.err || n != b->count;
}

/* The built-in client reads one frame the server sent. */
static void
fz_client_frame(struct fz *f, const uint8_t *p, size_t len)
{
	static uint8_t		 prologue[HELLO_MAGICLEN + 1 +
				    HELLO_MAX_SUITES + FRAME_MAX];
	char			 reason[HELLO_REASON_MAX + 1];
	struct wire_msg		 m;
	uint8_t			 suite, agreed[HELLO_MAX_CAPS];
	size_t			 plen, nagreed;
	int			 strict = !f->raw_used;

	switch (f->cstate) {
	case FC_HELLO:
		if (hello_server_decode_caps(p, len, fz_caps, f->caps ?
		    sizeof(fz_caps) : 0, &suite, agreed, &nagreed, reason,
		    sizeof(reason)) == -1) {
			if (strict)
				abort();
			f->cstate = FC_DONE;
			return;
		}
		if (suite == SUITE_NONE) {
			f->cstate = FC_DONE;
			return;
		}
		if (strict && suite != f->suite)
			abort();	/* we offered one only */
		/* Offering 0x81 and 0x82, the server agrees to both. */
		if (strict && f->caps && len != HELLO_MAGICLEN + 3)
			abort();
		memcpy(prologue, f->hello, f->hellolen);
		memcpy(prologue + f->hellolen, p, len);
		if (suite != f->suite || noise_hs_init(&f->hs, NOISE_XX,
		    suite_cipher(suite), 1, prologue, f->hellolen + len,
		    client_static, client_public, NULL) == -1) {
			f->cstate = FC_DONE;
			return;
		}
		f->cstate = FC_MSG1;
		return;
	case FC_MSG2:
		if (noise_hs_read(&f->hs, p, len, scratch, &plen) == -1 ||
		    plen != 0 || noise_hs_remote_static(&f->hs) == NULL ||
		    memcmp(noise_hs_remote_static(&f->hs), host_public,
		    NOISE_KEYLEN) != 0) {
			if (strict)
				abort();
			f->cstate = FC_DONE;
			return;
		}
		f->cstate = FC_MSG3;
		return;
	case FC_TRANSPORT:
		if (record_open(&f->rx, p, len, scratch, &plen) == -1 ||
		    wire_decode(scratch, plen, FROM_SERVER, &m) == -1 ||
		    (m.type == MSG_BATCHREC && (!f->caps ||
		    fz_batch_bad(&m)))) {
			if (strict)
				abort();
			f->cstate = FC_DONE;
		}
		return;
	default:
		/* Nothing is due from the server now. */
		if (strict && f->cstate != FC_DONE)
			abort();
		return;
	}
}

/* The client reads what the server sent; the stream must be frames. */
static void
fz_client_read(struct fz *f)
{
	struct buf	*out = se_output(f->se);
	const uint8_t	*p;
	size_t		 len, used;
	int		 r;

	if (f->stall)
		return;
	if (buf_append(&f->s2c, buf_head(out), buf_used(out)) == -1)
		abort();
	buf_consume(out, buf_used(out));
	while ((r = frame_parse(buf_head(&f->s2c), buf_used(&f->s2c), &p,
	    &len, &used)) == 1) {
		fz_client_frame(f, p, len);
		buf_consume(&f->s2c, used);
	}
	if (r == -1)
		abort();
}

/* ------------------------------------------------------------ driving */

/*
 * As the worker's loop does: run the timers, handle the input, move bytes
 * both ways and answer the DH, until nothing moves.
 */
static void
fz_pump(struct fz *f)
{
	uint8_t		 shared[NOISE_KEYLEN];
	enum se_state	 st;
	size_t		 n;
	int		 i, moved, ok;

	for (i = 0; i < 1000; i++) {
		moved = 0;
		se_tick(f->se, f->now);
		se_process(f->se, f->now);
		if (buf_used(&f->c2s) > 0) {
			n = se_input(f->se, buf_head(&f->c2s),
			    buf_used(&f->c2s), f->now);
			buf_consume(&f->c2s, n);
			moved |= n > 0;
		}
		if (f->dh_asked > f->dh_answered) {
			f->dh_answered++;
			ok = crypto_scalarmult(shared, host_static,
			    f->dh_pub) == 0 && !f->dh_fail;
			/* Asked, it waits for the answer unless it closed. */
			st = se_state(f->se);
			if ((st != SE_DHWAIT && st != SE_CLOSING) ||
			    se_dh_result(f->se, ok ? shared : NULL,
			    f->now) != 0)
				abort();
			moved = 1;
		}
		if (!f->stall && buf_used(se_output(f->se)) > 0) {
			fz_client_read(f);
			moved = 1;
		}
		if (!moved)
			break;
	}
	if (se_state(f->se) != SE_CLOSING &&
	    se_next_due(f->se, f->now) <= f->now)
		abort();
	if (se_finished(f->se, f->now) && se_state(f->se) != SE_CLOSING)
		abort();
}

static size_t
fz_take(const uint8_t **data, size_t *size, size_t n)
{
	if (n > *size)
		n = *size;
	*data += n;
	*size -= n;
	return n;
}

/* A u16 length and that many bytes (fewer if the input ends). */
static const uint8_t *
fz_bytes(const uint8_t **data, size_t *size, size_t *len)
{
	const uint8_t	*p;

	if (*size < 2) {
		fz_take(data, size, *size);
		*len = 0;
		return NULL;
	}
	*len = get_u16(*data);
	fz_take(data, size, 2);
	p = *data;
	*len = fz_take(data, size, *len);
	return p;
}

static void
fz_send(struct fz *f, const uint8_t *p, size_t len)
{
	if (buf_append(&f->c2s, p, len) == -1)
		abort();
}

static void
fz_send_frame(struct fz *f, const uint8_t *p, size_t len)
{
	if (frame_append(&f->c2s, p, len) == -1)
		abort();
}

static void
fz_step(struct fz *f, const uint8_t **data, size_t *size)
{
	const uint8_t	*p;
	size_t		 len, mlen;
	uint8_t		 op, tries, final, ids[1 + sizeof(fz_caps)];
	enum se_state	 st = se_state(f->se);
	struct wire_msg	 m;
	int		 rc, n;

	op = **data % OP_COUNT;
	fz_take(data, size, 1);
	switch (op) {
	case OP_RAW:
		if ((p = fz_bytes(data, size, &len)) != NULL && len > 0) {
			fz_send(f, p, len);
			f->raw_used = 1;
		}
		break;
	case OP_HELLO:
		if (f->cstate != FC_START)
			break;
		ids[0] = f->suite;
		memcpy(ids + 1, fz_caps, sizeof(fz_caps));
		if ((n = hello_client_encode(f->hello, sizeof(f->hello), ids,
		    f->caps ? 1 + sizeof(fz_caps) : 1)) <= 0)
			abort();
		f->hellolen = (size_t)n;
		fz_send_frame(f, f->hello, f->hellolen);
		f->cstate = FC_HELLO;
		break;
	case OP_MSG1:
		if (f->cstate != FC_MSG1)
			break;
		if (noise_hs_write(&f->hs, NULL, 0, msgbuf, &mlen) == -1)
			abort();
		fz_send_frame(f, msgbuf, mlen);
		f->cstate = FC_MSG2;
		break;
	case OP_MSG3:
		p = fz_bytes(data, size, &len);
		if (f->cstate != FC_MSG3)
			break;
		if (noise_hs_write(&f->hs, p, len, msgbuf, &mlen) == -1 ||
		    noise_hs_split(&f->hs, &f->tx, &f->rx) == -1)
			abort();
		fz_send_frame(f, msgbuf, mlen);
		f->cstate = FC_TRANSPORT;
		break;
	case OP_RECORD:
		p = fz_bytes(data, size, &len);
		if (f->cstate != FC_TRANSPORT || len > RECORD_MAX_PLAINTEXT)
			break;
		if (record_seal(&f->tx, p, len, &f->c2s) == -1)
			abort();
		break;
	case OP_TIME:
		len = *size >= 2 ? get_u16(*data) : 0;
		fz_take(data, size, 2);
		f->now += (uint64_t)len * 10;
		se_tick(f->se, f->now);
		break;
	case OP_LOGIN_OK:
		if (!f->login_pending)
			break;
		rc = se_logged_in(f->se, f->user, f->userlen, f->now);
		if (st == SE_CLOSING ? rc != 0 :
		    rc != (st == SE_AUTHWAIT && f->userlen > 0 ? 0 : -1))
			abort();
		f->login_pending = 0;
		if (st == SE_AUTHWAIT && rc == 0 &&
		    se_state(f->se) == SE_ACTIVE) {
			f->logged_in = 1;
			f->login_ms = f->now;
		}
		break;
	case OP_LOGIN_FAIL:
		tries = *size > 0 ? **data : 0;
		fz_take(data, size, 1);
		final = *size > 0 ? **data & 1 : 0;
		fz_take(data, size, 1);
		if (!f->login_pending)
			break;
		rc = se_auth_fail(f->se, tries, final, "no", 2, f->now);
		if (rc != (st == SE_AUTHWAIT || st == SE_CLOSING ? 0 : -1))
			abort();
		f->login_pending = 0;
		break;
	case OP_BROKER:
		p = fz_bytes(data, size, &len);
		if (p == NULL || wire_decode(p, len, FROM_SERVER, &m) == -1)
			break;
		rc = se_app(f->se, p, len, f->now);
		if (len > 0 && (p[len - 1] & 1))
			se_flush_app(f->se, f->now);
		if (st == SE_CLOSING)
			n = 0;
		else if (st != SE_ACTIVE && st != SE_LEAVING)
			n = SE_E_STATE;
		else
			n = len > RECORD_MAX_PLAINTEXT ? SE_E_LENGTH : 0;
		if (rc != n)
			abort();
		break;
	case OP_BROKER_CLOSED:
		se_broker_closed(f->se, f->now);
		if (st == SE_LEAVING && se_state(f->se) != SE_CLOSING)
			abort();
		break;
	case OP_EOF:
		se_client_eof(f->se, f->now);
		break;
	case OP_LOST:
		se_client_lost(f->se, f->now);
		if (se_wants_output(f->se) || se_state(f->se) != SE_CLOSING)
			abort();
		break;
	case OP_SHUTDOWN:
		se_shutdown(f->se, "server shutting down", f->now);
		break;
	case OP_STALL:
		f->stall = !f->stall;
		break;
	case OP_DH_FAIL:
		f->dh_fail = 1;
		break;
	}
	fz_pump(f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t	 server_suites[] = {
		SUITE_AESGCM, SUITE_CHACHAPOLY
	};
	static int		 ready;
	struct fz		 f;
	uint8_t			 flags;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		crypto_scalarmult_base(client_public, client_static);
		crypto_scalarmult_base(host_public, host_static);
		ready = 1;
	}
	if (size == 0)
		return 0;
	flags = data[0];
	fz_take(&data, &size, 1);
	if ((flags & FLAG_AESGCM) && !noise_aesgcm_available())
		return 0;
	memset(&f, 0, sizeof(f));
	f.now = 1000000;
	f.suite = flags & FLAG_AESGCM ? SUITE_AESGCM : SUITE_CHACHAPOLY;
	f.caps = (flags & FLAG_CAPS) != 0;
	f.sp.extensions = f.caps;
	f.sp.suites = server_suites;
	f.sp.nsuites = sizeof(server_suites);
	f.sp.aesgcm_ok = !(flags & FLAG_NO_AESGCM) && noise_aesgcm_available();
	f.sp.host_pub = host_public;
	f.sp.peer = "192.0.2.1 port 4000";
	if (flags & FLAG_TIGHT) {
		f.sp.login_grace = 5;
		f.sp.max_message = 16;
		f.sp.flood_burst = 2;
		f.sp.flood_rate = 1;
		f.sp.alive_interval = 1;
		f.sp.alive_timeout = 1;
	} else {
		f.sp.login_grace = 30;
		f.sp.max_message = 4096;
		f.sp.flood_burst = 20;
		f.sp.flood_rate = 5;
		f.sp.alive_interval = 60;
		f.sp.alive_timeout = 30;
	}
	buf_init(&f.c2s, 0);
	buf_init(&f.s2c, 0);
	if ((f.se = se_new(&f.sp, &fz_ops, &f, f.now)) == NULL)
		abort();
	fz_pump(&f);
	while (size > 0)
		fz_step(&f, &data, &size);
	se_free(f.se);
	buf_free(&f.c2s);
	buf_free(&f.s2c);
	noise_hs_clear(&f.hs);
	noise_cs_clear(&f.tx);
	noise_cs_clear(&f.rx);
	return 0;
}
