/*
 * test-session.c: the client protocol engine (session.c) against the real
 * server engine (sengine.c) in the same process, and, for what a correct
 * server never does, against a few hand-made server messages.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "sengine.h"
#include "session.h"
#include "util.h"
#include "wire.h"
#include "tap.h"
#include "sepair.h"

static uint8_t cpriv[32], cpub[32];
static const uint8_t chacha[1] = {SUITE_CHACHAPOLY};

static void
params(struct cs_params *p, const uint8_t *suites, size_t n, int with_login)
{
	memset(p, 0, sizeof *p);
	p->priv = cpriv;
	p->pub = cpub;
	p->suites = suites;
	p->nsuites = n;
	if (with_login) {
		p->user = "alice";
		p->password = "pw-alice";
		p->passwordlen = 8;
	}
}

static struct cs_event *
expect_ev(struct csession *cs, enum cs_event_type t, const char *what)
{
	struct cs_event *ev = cs_event_next(cs);
	tap_ok(ev != NULL && ev->type == t, "%s (got %d)", what,
	       ev ? (int)ev->type : -1);
	return ev;
}

static struct wire_msg
mk(uint8_t type, uint64_t t, const char *s0, const char *s1, const char *s2)
{
	struct wire_msg m;
	memset(&m, 0, sizeof m);
	m.type = type;
	m.time = t;
	const char *ss[3] = {s0, s1, s2};
	for (int i = 0; i < 3; i++)
		if (ss[i]) {
			m.s[m.ns].p = ss[i];
			m.s[m.ns].len = strlen(ss[i]);
			m.ns++;
		}
	return m;
}

/* A pair up to the client's verdict on the server's key. */
static void
setup(struct pair *pp, const uint8_t *suites, size_t n, int with_login)
{
	struct cs_params p;

	pair_init(pp);
	params(&p, suites, n, with_login);
	if (pair_start(pp, &p) == -1)
		abort();
	pair_pump(pp);
}

/* ... and through the verdict and the server's AUTH_OK. */
static void
login(struct pair *pp)
{
	struct cs_event *ev;

	setup(pp, chacha, 1, 1);
	ev = cs_event_next(pp->cs);
	cs_event_free(ev);
	cs_verdict(pp->cs, 1);
	pair_pump(pp);
	se_logged_in(pp->se, "alice", 5, pp->now);
	pair_pump(pp);
	ev = cs_event_next(pp->cs);
	if (ev == NULL || ev->type != CS_EV_AUTH_OK)
		abort();
	cs_event_free(ev);
}

/*
 * A server that sends a MESSAGE before AUTH_OK: the hello and the
 * handshake done by hand, then the record.
 */
static void
test_message_before_login(void)
{
	struct noise_handshake hs;
	struct noise_cipherstate tx, rx;
	struct cs_params p;
	struct csession *cs;
	struct cs_event *ev;
	struct buf w, pt, *o;
	const uint8_t *f;
	uint8_t spriv[32], spub[32], pro[64], sh[16], pl[NOISE_MAX_MSG];
	uint8_t m2[NOISE_MAX_MSG];
	size_t flen, used, pll, m2l, chl;
	int shl;

	randombytes_buf(spriv, 32);
	keys_public(spriv, spub);
	params(&p, chacha, 1, 1);
	cs = cs_new(&p);
	o = cs_output(cs);
	frame_parse(buf_head(o), buf_used(o), &f, &flen, &used);
	chl = flen;
	memcpy(pro, f, chl);
	buf_consume(o, used);
	shl = hello_server_encode(sh, sizeof sh, SUITE_CHACHAPOLY, NULL);
	memcpy(pro + chl, sh, (size_t)shl);
	buf_init(&w, 0);
	frame_append(&w, sh, (size_t)shl);
	noise_hs_init(&hs, NOISE_XX, NOISE_CHACHAPOLY, 0, pro, chl + (size_t)shl,
	              spriv, spub, NULL);
	cs_input(cs, buf_head(&w), buf_used(&w));
	buf_reset(&w);
	frame_parse(buf_head(o), buf_used(o), &f, &flen, &used);
	noise_hs_read(&hs, f, flen, pl, &pll);
	buf_consume(o, used);
	noise_hs_write(&hs, NULL, 0, m2, &m2l);
	frame_append(&w, m2, m2l);
	cs_input(cs, buf_head(&w), buf_used(&w));
	buf_reset(&w);
	ev = expect_ev(cs, CS_EV_SERVER_KEY, "hand-made server: key event");
	cs_event_free(ev);
	cs_verdict(cs, 1);
	frame_parse(buf_head(o), buf_used(o), &f, &flen, &used);
	tap_ok(noise_hs_read(&hs, f, flen, pl, &pll) == 0 &&
	           noise_hs_split(&hs, &tx, &rx) == 0,
	       "hand-made server: handshake complete");
	buf_consume(o, used);
	buf_init(&pt, 0);
	struct wire_msg m = mk(MSG_MESSAGE, 1, "lobby", "bob", "hi");
	wire_encode(&pt, &m);
	record_seal(&tx, buf_head(&pt), buf_used(&pt), &w);
	buf_free(&pt);
	cs_input(cs, buf_head(&w), buf_used(&w));
	ev = expect_ev(cs, CS_EV_ERROR,
	               "MESSAGE before login is a protocol error");
	tap_diag("%s", ev ? ev->text : "");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&w);
	noise_hs_clear(&hs);
	noise_cs_clear(&tx);
	noise_cs_clear(&rx);
}

/* The server's hello, by hand: nothing, 0x81, 0x82 or junk after the suite. */
static void
test_hello_cap(void)
{
	static const struct {
		const char	*hello;
		size_t		 len;
		int		 ok, ext;
		const char	*what;
	} t[] = {
		{ "SECCHAT1\x02", 9, 1, 0, "a version 1 server: no extensions" },
		{ "SECCHAT1\x02\x81", 10, 1, 1, "0x81 after the suite: "
		    "extended" },
		{ "SECCHAT1\x02\x82", 10, 1, 0, "0x82 alone: batched records, "
		    "no section 11 messages" },
		{ "SECCHAT1\x02\x81\x82", 11, 1, 1, "0x81 and 0x82: both" },
		{ "SECCHAT1\x02\x83", 10, 0, 0, "a capability not offered is "
		    "malformed" },
		{ "SECCHAT1\x02\x81\x81", 11, 0, 0, "0x81 twice is malformed" },
		{ "SECCHAT1\x02\x82\x81", 11, 0, 0, "out of order is "
		    "malformed" },
	};
	struct cs_params p;
	struct csession	*cs;
	uint8_t		 frame[16];
	size_t		 i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		params(&p, chacha, 1, 1);
		cs = cs_new(&p);
		frame[0] = 0;
		frame[1] = (uint8_t)t[i].len;
		memcpy(frame + 2, t[i].hello, t[i].len);
		(void)cs_input(cs, frame, t[i].len + 2);
		tap_ok((cs_finished(cs) == !t[i].ok) &&
		    cs_extended(cs) == t[i].ext, "%s", t[i].what);
		if (t[i].ok && !t[i].ext)
			tap_ok(cs_keys(cs, "bob") == CS_E_NOEXT &&
			    cs_e2e(cs, "bob", cpub, (const uint8_t *)"x", 1) ==
			    CS_E_NOEXT, "KEYS and E2E refused without them");
		cs_free(cs);
	}
	params(&p, chacha, 1, 1);
	p.no_extensions = 1;
	cs = cs_new(&p);
	tap_ok(buf_used(cs_output(cs)) == 12, "no_extensions: a version 1 "
	    "hello, without 0x81");
	frame[0] = 0;
	frame[1] = 10;
	memcpy(frame + 2, "SECCHAT1\x02\x81", 10);
	(void)cs_input(cs, frame, 12);
	tap_ok(cs_finished(cs), "and a server agreeing to what was not offered "
	    "is malformed");
	cs_free(cs);
}

/* ------------------------------------------------ section 11.9: BATCH */

/*
 * A server played by hand: its hello is the bytes given, the handshake
 * is done here, and then records are sealed to the client one by one.
 */
struct hand {
	struct csession		*cs;
	struct noise_handshake	 hs;
	struct noise_cipherstate tx, rx;
	struct buf		 w;
};

static void
hand_start(struct hand *h, const char *hello, size_t hellolen)
{
	struct cs_params p;
	struct cs_event *ev;
	struct buf	*o;
	const uint8_t	*f;
	uint8_t		 spriv[32], spub[32], pro[128];
	uint8_t		 pl[NOISE_MAX_MSG], m2[NOISE_MAX_MSG];
	size_t		 flen, used, pll, m2l, chl;

	memset(h, 0, sizeof(*h));
	buf_init(&h->w, 0);
	randombytes_buf(spriv, 32);
	keys_public(spriv, spub);
	params(&p, chacha, 1, 1);
	if ((h->cs = cs_new(&p)) == NULL)
		abort();
	o = cs_output(h->cs);
	if (frame_parse(buf_head(o), buf_used(o), &f, &flen, &used) != 1 ||
	    flen + hellolen > sizeof(pro))
		abort();
	chl = flen;
	memcpy(pro, f, chl);
	buf_consume(o, used);
	memcpy(pro + chl, hello, hellolen);
	frame_append(&h->w, (const uint8_t *)hello, hellolen);
	if (noise_hs_init(&h->hs, NOISE_XX, NOISE_CHACHAPOLY, 0, pro,
	    chl + hellolen, spriv, spub, NULL) == -1)
		abort();
	cs_input(h->cs, buf_head(&h->w), buf_used(&h->w));
	buf_reset(&h->w);
	if (frame_parse(buf_head(o), buf_used(o), &f, &flen, &used) != 1 ||
	    noise_hs_read(&h->hs, f, flen, pl, &pll) == -1)
		abort();
	buf_consume(o, used);
	if (noise_hs_write(&h->hs, NULL, 0, m2, &m2l) == -1)
		abort();
	frame_append(&h->w, m2, m2l);
	cs_input(h->cs, buf_head(&h->w), buf_used(&h->w));
	buf_reset(&h->w);
	ev = cs_event_next(h->cs);
	if (ev == NULL || ev->type != CS_EV_SERVER_KEY)
		abort();
	cs_event_free(ev);
	cs_verdict(h->cs, 1);
	/* Message 3, with the AUTH in it. */
	if (frame_parse(buf_head(o), buf_used(o), &f, &flen, &used) != 1 ||
	    noise_hs_read(&h->hs, f, flen, pl, &pll) == -1 ||
	    noise_hs_split(&h->hs, &h->tx, &h->rx) == -1)
		abort();
	buf_consume(o, used);
}

/* A record of pt to the client. */
static void
hand_send(struct hand *h, const uint8_t *pt, size_t len)
{
	if (record_seal(&h->tx, pt, len, &h->w) == -1)
		abort();
	(void)cs_input(h->cs, buf_head(&h->w), buf_used(&h->w));
	buf_reset(&h->w);
}

static void
hand_send_msg(struct hand *h, const struct wire_msg *m)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (wire_encode(&b, m) == -1)
		abort();
	hand_send(h, buf_head(&b), buf_used(&b));
	buf_free(&b);
}

/* AUTH_OK(alice), its event taken. */
static void
hand_login(struct hand *h)
{
	struct wire_msg	 m = mk(MSG_AUTH_OK, 0, "alice", NULL, NULL);
	struct cs_event	*ev;

	hand_send_msg(h, &m);
	ev = cs_event_next(h->cs);
	if (ev == NULL || ev->type != CS_EV_AUTH_OK)
		abort();
	cs_event_free(ev);
}

static void
hand_free(struct hand *h)
{
	cs_free(h->cs);
	buf_free(&h->w);
	noise_hs_clear(&h->hs);
	noise_cs_clear(&h->tx);
	noise_cs_clear(&h->rx);
}

/* A BATCH of the messages m (n of them, n >= BATCH_MIN), into out. */
static void
batch_of(struct buf *out, const struct wire_msg *m, int n)
{
	struct buf	 list, one;
	struct wire_msg	 b;
	int		 i;

	buf_init(&list, 0);
	for (i = 0; i < n; i++) {
		buf_init(&one, 0);
		if (wire_encode(&one, &m[i]) == -1 ||
		    buf_put_str(&list, buf_head(&one), buf_used(&one)) == -1)
			abort();
		buf_free(&one);
	}
	memset(&b, 0, sizeof(b));
	b.type = MSG_BATCHREC;
	b.count = (uint16_t)n;
	b.list = buf_head(&list);
	b.listlen = buf_used(&list);
	if (wire_encode(out, &b) == -1)
		abort();
	buf_free(&list);
}

static void
hand_send_batch(struct hand *h, const struct wire_msg *m, int n)
{
	struct buf	 b;

	buf_init(&b, 0);
	batch_of(&b, m, n);
	hand_send(h, buf_head(&b), buf_used(&b));
	buf_free(&b);
}

/* Did the session fail with a protocol error whose text holds want? */
static int
failed_with(struct csession *cs, const char *want)
{
	struct cs_event	*ev = cs_event_next(cs);
	int		 ok;

	ok = ev != NULL && ev->type == CS_EV_ERROR && ev->text != NULL &&
	    strstr(ev->text, want) != NULL && cs_finished(cs);
	if (ev != NULL)
		tap_diag("%s", ev->text ? ev->text : "(no text)");
	cs_event_free(ev);
	return ok;
}

#define HELLO_BOTH	"SECCHAT1\x02\x81\x82", 11
#define HELLO_E2E	"SECCHAT1\x02\x81", 10

static void
test_batch(void)
{
	struct hand	 h;
	struct pair	 pp;
	struct cs_params p;
	struct cs_event	*ev;
	struct wire_msg	 m[2], got;
	struct buf	*o;
	const uint8_t	*f;
	uint8_t		 ptb[FRAME_MAX];
	size_t		 flen, used, ptlen;
	int		 ok;

	m[0] = mk(MSG_MESSAGE, 1, "lobby", "bob", "first");
	m[1] = mk(MSG_MESSAGE, 2, "lobby", "carol", "second");

	/* Two MESSAGEs in a BATCH: two events, in order. */
	hand_start(&h, HELLO_BOTH);
	hand_login(&h);
	hand_send_batch(&h, m, 2);
	ev = cs_event_next(h.cs);
	ok = ev != NULL && ev->type == CS_EV_MESSAGE &&
	    strcmp(ev->user, "bob") == 0 && strcmp(ev->text, "first") == 0 &&
	    ev->time == 1;
	cs_event_free(ev);
	ev = cs_event_next(h.cs);
	ok = ok && ev != NULL && ev->type == CS_EV_MESSAGE &&
	    strcmp(ev->user, "carol") == 0 &&
	    strcmp(ev->text, "second") == 0 && ev->time == 2;
	cs_event_free(ev);
	tap_ok(ok && cs_event_next(h.cs) == NULL && !cs_finished(h.cs),
	    "11.9: a BATCH of two MESSAGEs: two MESSAGE events, in order");
	/* A PING in a BATCH is answered like one alone. */
	m[0] = mk(MSG_PING, 0, NULL, NULL, NULL);
	m[0].token = 9;
	m[1] = mk(MSG_NOTICE, 0, "after the ping", NULL, NULL);
	hand_send_batch(&h, m, 2);
	ev = cs_event_next(h.cs);
	o = cs_output(h.cs);
	tap_ok(ev != NULL && ev->type == CS_EV_NOTICE &&
	    strcmp(ev->text, "after the ping") == 0 &&
	    cs_event_next(h.cs) == NULL &&
	    frame_parse(buf_head(o), buf_used(o), &f, &flen, &used) == 1 &&
	    used == buf_used(o) &&
	    record_open(&h.rx, f, flen, ptb, &ptlen) == 0 &&
	    wire_decode(ptb, ptlen, FROM_CLIENT, &got) == 0 &&
	    got.type == MSG_PONG && got.token == 9,
	    "11.9: a PING in a BATCH is answered with PONG, and the NOTICE "
	    "after it is an event");
	cs_event_free(ev);
	buf_consume(o, buf_used(o));
	/* A MESSAGE then a BYE is fine; a record after it is not. */
	m[0] = mk(MSG_MESSAGE, 3, "lobby", "bob", "bye now");
	m[1] = mk(MSG_BYE, 0, "server shutting down", NULL, NULL);
	hand_send_batch(&h, m, 2);
	ev = cs_event_next(h.cs);
	ok = ev != NULL && ev->type == CS_EV_MESSAGE;
	cs_event_free(ev);
	ev = cs_event_next(h.cs);
	ok = ok && ev != NULL && ev->type == CS_EV_BYE &&
	    strcmp(ev->text, "server shutting down") == 0;
	cs_event_free(ev);
	tap_ok(ok && !cs_finished(h.cs) && cs_state(h.cs) == CS_ST_CLOSING,
	    "11.9: a BATCH ending in BYE: the message, then the BYE");
	m[0] = mk(MSG_NOTICE, 0, "late", NULL, NULL);
	hand_send_msg(&h, &m[0]);
	tap_ok(failed_with(h.cs, "after BYE"),
	    "11.9: and a record after that BATCH is data after BYE");
	hand_free(&h);

	/* A BYE, then more in the same BATCH. */
	hand_start(&h, HELLO_BOTH);
	hand_login(&h);
	m[0] = mk(MSG_BYE, 0, "server shutting down", NULL, NULL);
	m[1] = mk(MSG_MESSAGE, 4, "lobby", "bob", "too late");
	hand_send_batch(&h, m, 2);
	ev = cs_event_next(h.cs);
	ok = ev != NULL && ev->type == CS_EV_BYE;
	cs_event_free(ev);
	tap_ok(ok && failed_with(h.cs, "data after BYE") &&
	    cs_event_next(h.cs) == NULL,
	    "11.9: a BATCH of BYE then MESSAGE: the BYE, then a failure "
	    "(data after BYE), no MESSAGE event");
	hand_free(&h);

	/* Without 0x82 in the server's hello. */
	m[0] = mk(MSG_MESSAGE, 1, "lobby", "bob", "first");
	m[1] = mk(MSG_MESSAGE, 2, "lobby", "carol", "second");
	hand_start(&h, HELLO_E2E);
	hand_login(&h);
	hand_send_batch(&h, m, 2);
	tap_ok(failed_with(h.cs, "not allowed") &&
	    cs_event_next(h.cs) == NULL,
	    "11.9: a BATCH when the server's hello had only 0x81 fails the "
	    "session, no MESSAGE event");
	hand_free(&h);

	/* Before login. */
	hand_start(&h, HELLO_BOTH);
	hand_send_batch(&h, m, 2);
	tap_ok(failed_with(h.cs, "not allowed") &&
	    cs_event_next(h.cs) == NULL,
	    "11.9: a BATCH before AUTH_OK fails the session");
	hand_free(&h);

	/* A BATCH of one message, which no server may send. */
	{
		struct buf	 one, b;

		buf_init(&one, 0);
		buf_init(&b, 0);
		if (wire_encode(&one, &m[0]) == -1 ||
		    buf_put_u8(&b, MSG_BATCHREC) == -1 ||
		    buf_put_u16(&b, 1) == -1 ||
		    buf_put_str(&b, buf_head(&one), buf_used(&one)) == -1)
			abort();
		hand_start(&h, HELLO_BOTH);
		hand_login(&h);
		hand_send(&h, buf_head(&b), buf_used(&b));
		tap_ok(failed_with(h.cs, "malformed BATCH") &&
		    cs_event_next(h.cs) == NULL,
		    "11.9: a BATCH with a count of 1 is malformed");
		hand_free(&h);
		/* Nor one inside another. */
		buf_reset(&b);
		if (buf_put_u8(&b, MSG_BATCHREC) == -1 ||
		    buf_put_u16(&b, 2) == -1 ||
		    buf_put_str(&b, buf_head(&one), buf_used(&one)) == -1)
			abort();
		buf_reset(&one);
		batch_of(&one, m, 2);
		if (buf_put_str(&b, buf_head(&one), buf_used(&one)) == -1)
			abort();
		hand_start(&h, HELLO_BOTH);
		hand_login(&h);
		hand_send(&h, buf_head(&b), buf_used(&b));
		tap_ok(failed_with(h.cs, "malformed BATCH") &&
		    cs_event_next(h.cs) == NULL,
		    "11.9: a BATCH inside a BATCH is malformed");
		hand_free(&h);
		buf_free(&one);
		buf_free(&b);
	}

	/* The real server engine, batching. */
	pair_init(&pp);
	pp.sp.extensions = 1;
	params(&p, chacha, 1, 1);
	if (pair_start(&pp, &p) == -1)
		abort();
	pair_pump(&pp);
	cs_event_free(cs_event_next(pp.cs));
	cs_verdict(pp.cs, 1);
	pair_pump(&pp);
	se_logged_in(pp.se, "alice", 5, pp.now);
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_AUTH_OK, "11.9: AUTH_OK from the engine");
	cs_event_free(ev);
	pair_app(&pp, &m[0]);
	pair_app(&pp, &m[1]);
	pair_pump(&pp);
	tap_ok(cs_event_next(pp.cs) == NULL,
	    "11.9: the engine holds the broker's messages until the flush");
	se_flush_app(pp.se, pp.now);
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_MESSAGE, "11.9: the first MESSAGE");
	tap_ok(ev && strcmp(ev->text, "first") == 0, "11.9: its text");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_MESSAGE, "11.9: then the second");
	tap_ok(ev && strcmp(ev->text, "second") == 0 && !cs_finished(pp.cs),
	    "11.9: its text, and the session goes on");
	cs_event_free(ev);
	pair_free(&pp);
}

int
main(void)
{
	struct pair pp;
	struct csession *cs;
	struct cs_event *ev;
	struct cs_params p;
	struct buf w, *o;
	uint8_t suites[2] = {SUITE_CHACHAPOLY, SUITE_AESGCM};
	struct wire_msg m;

	if (sodium_init() == -1)
		return 1;
	randombytes_buf(cpriv, 32);
	keys_public(cpriv, cpub);
	buf_init(&w, 0);
	test_hello_cap();

	/* 1: full happy path, login given later. */
	pair_init(&pp);
	params(&p, suites, 1, 0);
	pair_start(&pp, &p);
	o = cs_output(pp.cs);
	tap_ok(buf_used(o) == 14 &&
	           memcmp(buf_head(o), "\x00\x0cSECCHAT1\x03\x02\x81\x82",
	           14) == 0,
	       "client hello bytes: the suite, then capabilities 0x81, 0x82");
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_SERVER_KEY, "server key event");
	tap_ok(ev && memcmp(ev->key, pp.host_pub, 32) == 0,
	       "event holds the server's key");
	cs_event_free(ev);
	tap_ok(cs_state(pp.cs) == CS_ST_VERDICT, "waiting for verdict");
	tap_ok(buf_used(cs_output(pp.cs)) == 0,
	       "nothing sent before the verdict");
	tap_ok(cs_verdict(pp.cs, 1) == CS_E_STATE,
	       "verdict without login refused");
	tap_ok(cs_set_login(pp.cs, "Bad", "x", 1) == CS_E_NAME,
	       "bad user name refused");
	tap_ok(cs_set_login(pp.cs, "alice", "pw-alice", 8) == 0, "login set");
	tap_ok(cs_verdict(pp.cs, 1) == 0, "accept");
	pair_pump(&pp);
	tap_ok(pp.logins == 1 && strcmp(pp.login_user, "alice") == 0 &&
	           strcmp(pp.login_pw, "pw-alice") == 0 &&
	           memcmp(pp.login_key, cpub, 32) == 0,
	       "AUTH carries user and password, under the client's key");
	tap_ok(cs_say(pp.cs, "lobby", "hi") == CS_E_STATE,
	       "no SAY before login");
	se_logged_in(pp.se, "alice", 5, pp.now);
	pair_app_simple(&pp, MSG_JOINED, "lobby", NULL);
	m = mk(MSG_HISTORY, 1700000000123ULL, "lobby", "bob", NULL);
	m.byte = HISTORY_ACTION;
	m.s[2].p = "waves \x1b[2J";
	m.s[2].len = strlen(m.s[2].p);
	m.ns = 3;
	pair_app(&pp, &m);
	{
		struct buf list;
		buf_init(&list, 0);
		buf_put_str(&list, "alice", 5);
		buf_put_str(&list, "bob", 3);
		m = mk(MSG_NAMES, 0, "lobby", NULL, NULL);
		m.count = 2;
		m.list = buf_head(&list);
		m.listlen = buf_used(&list);
		pair_app(&pp, &m);
		buf_free(&list);
		buf_init(&list, 0);
		buf_put_str(&list, "lobby", 5);
		buf_put_u16(&list, 2);
		buf_put_str(&list, "dev", 3);
		buf_put_u16(&list, 7);
		m = mk(MSG_ROOMLIST, 0, NULL, NULL, NULL);
		m.count = 2;
		m.list = buf_head(&list);
		m.listlen = buf_used(&list);
		pair_app(&pp, &m);
		buf_free(&list);
	}
	m = mk(MSG_MESSAGE, 1700000000123ULL, "lobby", "bob", "hi");
	pair_app(&pp, &m);
	pair_pump(&pp);
	/* The server's keepalive: a PING after a minute of silence. */
	pair_advance(&pp, 60 * 1000);
	m = mk(MSG_DEPARTED, 5, "lobby", "bob", "");
	pair_app(&pp, &m);
	m = mk(MSG_ERROR, 0, "nope", NULL, NULL);
	m.byte = ERR_NO_USER;
	pair_app(&pp, &m);
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_AUTH_OK, "AUTH_OK");
	tap_ok(ev && strcmp(ev->user, "alice") == 0, "AUTH_OK user");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_JOINED, "JOINED");
	tap_ok(ev && strcmp(ev->room, "lobby") == 0, "JOINED room");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_HISTORY, "HISTORY");
	tap_ok(ev && ev->code == HISTORY_ACTION &&
	           ev->time == 1700000000123ULL &&
	           strcmp(ev->text, "waves \x1b[2J") == 0,
	       "HISTORY fields");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_NAMES, "NAMES");
	tap_ok(ev && ev->nnames == 2 && strcmp(ev->names[1], "bob") == 0,
	       "NAMES list");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_ROOMLIST, "ROOMLIST");
	tap_ok(ev && ev->nrooms == 2 && strcmp(ev->rooms[1].name, "dev") == 0 &&
	           ev->rooms[1].members == 7,
	       "ROOMLIST list");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_MESSAGE, "MESSAGE");
	tap_ok(ev && strcmp(ev->room, "lobby") == 0 &&
	           strcmp(ev->user, "bob") == 0 && strcmp(ev->text, "hi") == 0,
	       "MESSAGE fields");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_DEPARTED, "DEPARTED (PING made no event)");
	tap_ok(ev && ev->text && ev->text[0] == 0 && ev->time == 5,
	       "DEPARTED with empty reason");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_SERVER_ERROR, "ERROR");
	tap_ok(ev && ev->code == ERR_NO_USER && strcmp(ev->text, "nope") == 0,
	       "ERROR fields");
	cs_event_free(ev);
	tap_ok(cs_event_next(pp.cs) == NULL, "no more events");
	pair_advance(&pp, 30 * 1000);
	tap_ok(se_state(pp.se) == SE_ACTIVE,
	       "PING answered with PONG: the server keeps the session");
	tap_ok(cs_say(pp.cs, "lobby", "hello") == 0 &&
	           cs_act(pp.cs, "lobby", "waves") == 0 &&
	           cs_privmsg(pp.cs, "bob", "psst") == 0 &&
	           cs_join(pp.cs, "dev") == 0 && cs_part(pp.cs, "dev") == 0 &&
	           cs_who(pp.cs, "lobby") == 0 && cs_rooms(pp.cs) == 0 &&
	           cs_ping(pp.cs, 42) == 0,
	       "helpers send");
	tap_ok(cs_say(pp.cs, "bad room", "x") == CS_E_NAME &&
	           cs_say(pp.cs, "lobby", "a\nb") == CS_E_TEXT &&
	           cs_say(pp.cs, "lobby", "") == CS_E_TEXT &&
	           cs_say(pp.cs, "lobby", "\xff") == CS_E_TEXT &&
	           cs_privmsg(pp.cs, "Bob", "x") == CS_E_NAME,
	       "helpers check names and text");
	pair_pump(&pp);
	{
		uint8_t types[7] = {MSG_SAY,  MSG_ACT, MSG_PRIVMSG, MSG_JOIN,
		                    MSG_PART, MSG_WHO, MSG_ROOMS};
		int good = pp.nmsgs == 7;
		for (int i = 0; good && i < 7; i++)
			if (pair_broker_msg(&pp, i, &m) != 0 ||
			    m.type != types[i])
				good = 0;
		tap_ok(good, "the broker gets the seven requests in order");
	}
	/* The server answers our PING. */
	ev = expect_ev(pp.cs, CS_EV_PONG, "PONG event");
	tap_ok(ev && ev->token == 42, "PONG token");
	cs_event_free(ev);
	/* Tampered record. */
	pair_app_simple(&pp, MSG_NOTICE, "hello", NULL);
	o = se_output(pp.se);
	buf_head(o)[5] ^= 1;
	tap_ok(cs_input(pp.cs, buf_head(o), buf_used(o)) == -1,
	       "a damaged record fails the session");
	buf_consume(o, buf_used(o));
	ev = expect_ev(pp.cs, CS_EV_ERROR, "protocol error event");
	tap_diag("%s", ev ? ev->text : "");
	cs_event_free(ev);
	tap_ok(cs_finished(pp.cs), "session finished");
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 8 && pair_broker_msg(&pp, 7, &m) == 0 &&
	           m.type == MSG_BYE && m.s[0].len == 14 &&
	           se_state(pp.se) == SE_LEAVING,
	       "client says BYE(protocol error); the server passes it on");
	pair_free(&pp);

	/* 2: refusal. */
	pair_init(&pp);
	pp.sp.aesgcm_ok = 0;
	params(&p, suites + 1, 1, 0);
	pair_start(&pp, &p);
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_REFUSED, "refusal event");
	tap_ok(ev && strcmp(ev->text, "no common cipher suite") == 0,
	       "refusal reason");
	cs_event_free(ev);
	tap_ok(cs_finished(pp.cs), "refused session finished");
	pair_server_exits(&pp);
	tap_ok(cs_event_next(pp.cs) == NULL, "no CLOSED after refusal");
	pair_free(&pp);
	/* 3: server picks suite not offered. */
	{
		uint8_t sh[16];
		int n = hello_server_encode(sh, sizeof sh, SUITE_AESGCM, NULL);
		params(&p, chacha, 1, 1);
		cs = cs_new(&p);
		frame_append(&w, sh, (size_t)n);
		cs_input(cs, buf_head(&w), buf_used(&w));
		buf_reset(&w);
		ev = expect_ev(cs, CS_EV_ERROR,
		               "a suite not offered is an error");
		tap_diag("%s", ev ? ev->text : "");
		cs_event_free(ev);
		cs_free(cs);
	}
	/* 4: reject key. */
	setup(&pp, suites, 2, 1);
	ev = expect_ev(pp.cs, CS_EV_SERVER_KEY, "key event");
	cs_event_free(ev);
	tap_ok(cs_verdict(pp.cs, 0) == 0 && cs_finished(pp.cs) &&
	           buf_used(cs_output(pp.cs)) == 0,
	       "reject: finished, nothing to send");
	pair_pump(&pp);
	tap_ok(se_state(pp.se) == SE_HS3 && pp.logins == 0,
	       "the server never sees an AUTH");
	pair_free(&pp);
	/* 5: auth fail + retry; a server that breaks the rules. */
	setup(&pp, suites, 2, 1);
	ev = cs_event_next(pp.cs);
	cs_event_free(ev);
	cs_verdict(pp.cs, 1);
	pair_pump(&pp);
	se_auth_fail(pp.se, 2, 0, "invalid user name or password", 29, pp.now);
	pair_pump(&pp);
	ev = expect_ev(pp.cs, CS_EV_AUTH_FAIL, "AUTH_FAIL");
	tap_ok(ev && ev->code == 2, "tries left 2");
	cs_event_free(ev);
	tap_ok(cs_state(pp.cs) == CS_ST_AUTH_RETRY, "retry state");
	tap_ok(cs_auth(pp.cs, "second", 6) == 0, "second AUTH sent");
	pair_pump(&pp);
	tap_ok(pp.logins == 2 && pp.login_pwlen == 6 &&
	           se_state(pp.se) == SE_AUTHWAIT,
	       "server reads the second AUTH");
	pair_free(&pp);
	test_message_before_login();
	/* 6: auth exhausted, BYE, close => clean. */
	setup(&pp, suites, 2, 1);
	ev = cs_event_next(pp.cs);
	cs_event_free(ev);
	cs_verdict(pp.cs, 1);
	pair_pump(&pp);
	se_auth_fail(pp.se, 0, 1, "try again later", 15, pp.now);
	pair_server_exits(&pp);
	ev = expect_ev(pp.cs, CS_EV_AUTH_FAIL, "AUTH_FAIL 0");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_BYE, "BYE");
	tap_ok(ev && strcmp(ev->text, "authentication failed") == 0,
	       "BYE reason");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_CLEAN, "clean close");
	cs_event_free(ev);
	pair_free(&pp);
	/* 7: lost connection mid-session, and our own BYE. */
	login(&pp);
	pair_app_simple(&pp, MSG_JOINED, "lobby", NULL);
	pair_app_simple(&pp, MSG_JOINED, "dev", NULL);
	/* half a frame then EOF */
	o = se_output(pp.se);
	cs_input(pp.cs, buf_head(o), buf_used(o) - 3);
	cs_eof(pp.cs);
	ev = expect_ev(pp.cs, CS_EV_JOINED, "JOINED");
	cs_event_free(ev);
	ev = expect_ev(pp.cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_LOST, "lost: %s", ev ? ev->text : "");
	cs_event_free(ev);
	pair_free(&pp);

	login(&pp);
	tap_ok(cs_bye(pp.cs, "exit") == 0 && cs_state(pp.cs) == CS_ST_CLOSING &&
	           cs_bye_sent(pp.cs),
	       "our BYE");
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 1 && pair_broker_msg(&pp, 0, &m) == 0 &&
	           m.type == MSG_BYE && m.s[0].len == 4,
	       "server reads BYE(exit)");
	m = mk(MSG_MESSAGE, 1, "lobby", "bob", "late");
	pair_app(&pp, &m);
	pair_pump(&pp);
	ev =
	    expect_ev(pp.cs, CS_EV_MESSAGE, "messages still arrive after our BYE");
	cs_event_free(ev);
	se_broker_closed(pp.se, pp.now);
	tap_ok(pair_server_exits(&pp) == 0, "the server closes");
	ev = expect_ev(pp.cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_CLEAN, "clean after our BYE");
	cs_event_free(ev);
	pair_free(&pp);

	/* 8: expected-key mode (bench). */
	{
		uint8_t other[32];
		pair_init(&pp);
		params(&p, chacha, 1, 1);
		p.server_key = pp.host_pub;
		pair_start(&pp, &p);
		pair_pump(&pp);
		tap_ok(pp.logins == 1 && se_state(pp.se) == SE_AUTHWAIT &&
		           cs_event_next(pp.cs) == NULL,
		       "the expected key: AUTH goes at once, no key event");
		pair_free(&pp);
		memset(other, 9, 32);
		pair_init(&pp);
		params(&p, chacha, 1, 1);
		p.server_key = other;
		pair_start(&pp, &p);
		pair_pump(&pp);
		ev = expect_ev(pp.cs, CS_EV_ERROR, "another key is an error");
		tap_ok(ev && strstr(ev->text, "not the expected one") != NULL &&
		           pp.logins == 0 && se_state(pp.se) == SE_HS3,
		       "and nothing is sent");
		cs_event_free(ev);
		pair_free(&pp);
	}
	test_batch();
	buf_free(&w);
	return tap_done();
}
