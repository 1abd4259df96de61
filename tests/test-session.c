/*
 * test-session.c: the client protocol engine (session.c) against a Noise
 * XX responder in the same process.
 */
#include "config.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "session.h"
#include "util.h"
#include "wire.h"
#include "tap.h"

static uint8_t cpriv[32], cpub[32], spriv[32], spub[32];

struct server {
	struct noise_handshake hs;
	struct noise_cipherstate tx, rx;
	uint8_t chello[32];
	size_t chellolen;
	struct buf in; /* bytes from client */
};

/* Move client output into server input */
static void
pump(struct csession *cs, struct server *s)
{
	struct buf *o = cs_output(cs);
	buf_append(&s->in, buf_head(o), buf_used(o));
	buf_consume(o, buf_used(o));
}

static int
srv_frame(struct server *s, uint8_t *out, size_t *outlen)
{
	const uint8_t *p;
	size_t plen, used;
	if (frame_parse(buf_head(&s->in), buf_used(&s->in), &p, &plen, &used) !=
	    1)
		return -1;
	memcpy(out, p, plen);
	*outlen = plen;
	buf_consume(&s->in, used);
	return 0;
}

static void
feed(struct csession *cs, struct buf *b, int bytewise)
{
	size_t i;
	if (bytewise)
		for (i = 0; i < buf_used(b); i++)
			cs_input(cs, buf_head(b) + i, 1);
	else
		cs_input(cs, buf_head(b), buf_used(b));
	buf_reset(b);
}

static void
srv_send(struct server *s, struct buf *wire, struct wire_msg *m)
{
	struct buf pt;
	buf_init(&pt, 0);
	if (wire_encode(&pt, m) != 0) {
		tap_ok(0, "encode type %d", m->type);
	}
	record_seal(&s->tx, buf_head(&pt), buf_used(&pt), wire);
	buf_free(&pt);
}

static void
srv_simple(struct server *s, struct buf *wire, uint8_t type, const char *a,
           const char *b)
{
	struct buf pt;
	buf_init(&pt, 0);
	if (wire_put_simple(&pt, type, a, a ? strlen(a) : 0, b,
	                    b ? strlen(b) : 0) != 0)
		tap_ok(0, "put_simple %d", type);
	record_seal(&s->tx, buf_head(&pt), buf_used(&pt), wire);
	buf_free(&pt);
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

/* Open one record from client, decode it. */
static int
srv_recv(struct server *s, uint8_t *pt, size_t *ptlen, struct wire_msg *m)
{
	uint8_t f[65536];
	size_t flen;
	if (srv_frame(s, f, &flen) == -1)
		return -1;
	if (record_open(&s->rx, f, flen, pt, ptlen) == -1)
		return -2;
	return wire_decode(pt, *ptlen, FROM_CLIENT, m);
}

static struct cs_event *
expect_ev(struct csession *cs, enum cs_event_type t, const char *what)
{
	struct cs_event *ev = cs_event_next(cs);
	tap_ok(ev != NULL && ev->type == t, "%s (got %d)", what,
	       ev ? (int)ev->type : -1);
	return ev;
}

/* Run a session up to the point of SERVER_KEY; returns cs. */
static struct csession *
setup(struct server *s, uint8_t suite_choice, const uint8_t *suites, size_t n,
      int with_login)
{
	struct cs_params p;
	memset(&p, 0, sizeof p);
	p.priv = cpriv;
	p.pub = cpub;
	p.suites = suites;
	p.nsuites = n;
	if (with_login) {
		p.user = "alice";
		p.password = "pw-alice";
		p.passwordlen = 8;
	}
	struct csession *cs = cs_new(&p);
	memset(s, 0, sizeof *s);
	buf_init(&s->in, 0);
	pump(cs, s);
	uint8_t f[65536];
	size_t flen;
	srv_frame(s, f, &flen);
	memcpy(s->chello, f, flen);
	s->chellolen = flen;
	uint8_t sh[16];
	int shl = hello_server_encode(sh, sizeof sh, suite_choice, NULL);
	struct buf w;
	buf_init(&w, 0);
	frame_append(&w, sh, (size_t)shl);
	feed(cs, &w, 0);
	uint8_t pro[64];
	memcpy(pro, s->chello, s->chellolen);
	memcpy(pro + s->chellolen, sh, (size_t)shl);
	noise_hs_init(&s->hs, NOISE_XX, suite_cipher(suite_choice), 0, pro,
	              s->chellolen + (size_t)shl, spriv, spub, NULL);
	pump(cs, s);
	uint8_t pl[65536];
	size_t pll;
	if (srv_frame(s, f, &flen) == 0 &&
	    noise_hs_read(&s->hs, f, flen, pl, &pll) == 0 && pll == 0) {
		uint8_t m2[65535];
		size_t m2l;
		noise_hs_write(&s->hs, NULL, 0, m2, &m2l);
		frame_append(&w, m2, m2l);
		feed(cs, &w, 1);
	}
	buf_free(&w);
	return cs;
}

static void
finish_hs(struct server *s, struct csession *cs, struct wire_msg *auth,
          uint8_t *pl, size_t *pll)
{
	uint8_t f[65536];
	size_t flen;
	pump(cs, s);
	tap_ok(srv_frame(s, f, &flen) == 0, "message 3 sent");
	tap_ok(noise_hs_read(&s->hs, f, flen, pl, pll) == 0, "message 3 reads");
	tap_ok(wire_decode(pl, *pll, FROM_CLIENT, auth) == 0 &&
	           auth->type == MSG_AUTH,
	       "its payload is AUTH");
	tap_ok(memcmp(noise_hs_remote_static(&s->hs), cpub, 32) == 0,
	       "the server learns the client's identity key");
	noise_hs_split(&s->hs, &s->tx, &s->rx);
}

int
main(void)
{
	struct server s;
	struct csession *cs;
	struct cs_event *ev;
	struct buf w;
	uint8_t suites[2] = {SUITE_CHACHAPOLY, SUITE_AESGCM};
	uint8_t pl[65536], pt[65536];
	size_t pll, ptl;
	struct wire_msg m;

	if (sodium_init() == -1)
		return 1;
	randombytes_buf(cpriv, 32);
	keys_public(cpriv, cpub);
	randombytes_buf(spriv, 32);
	keys_public(spriv, spub);
	buf_init(&w, 0);

	/* 1: full happy path, login given later. */
	cs = setup(&s, SUITE_CHACHAPOLY, suites, 1, 0);
	tap_ok(s.chellolen == 10 &&
	           memcmp(s.chello, "SECCHAT1\x01\x02", 10) == 0,
	       "client hello bytes");
	ev = expect_ev(cs, CS_EV_SERVER_KEY, "server key event");
	tap_ok(ev && memcmp(ev->key, spub, 32) == 0,
	       "event holds the server's key");
	cs_event_free(ev);
	tap_ok(cs_state(cs) == CS_ST_VERDICT, "waiting for verdict");
	tap_ok(buf_used(cs_output(cs)) == 0, "nothing sent before the verdict");
	tap_ok(cs_verdict(cs, 1) == CS_E_STATE,
	       "verdict without login refused");
	tap_ok(cs_set_login(cs, "Bad", "x", 1) == CS_E_NAME,
	       "bad user name refused");
	tap_ok(cs_set_login(cs, "alice", "pw-alice", 8) == 0, "login set");
	tap_ok(cs_verdict(cs, 1) == 0, "accept");
	finish_hs(&s, cs, &m, pl, &pll);
	tap_ok(m.s[0].len == 5 && memcmp(m.s[0].p, "alice", 5) == 0 &&
	           m.s[1].len == 8 && memcmp(m.s[1].p, "pw-alice", 8) == 0,
	       "AUTH carries user and password");
	tap_ok(cs_say(cs, "lobby", "hi") == CS_E_STATE, "no SAY before login");
	srv_simple(&s, &w, MSG_AUTH_OK, "alice", NULL);
	srv_simple(&s, &w, MSG_JOINED, "lobby", NULL);
	m = mk(MSG_HISTORY, 1700000000123ULL, "lobby", "bob", NULL);
	m.byte = HISTORY_ACTION;
	m.s[2].p = "waves \x1b[2J";
	m.s[2].len = strlen(m.s[2].p);
	m.ns = 3;
	srv_send(&s, &w, &m);
	{
		struct buf list;
		buf_init(&list, 0);
		buf_put_str(&list, "alice", 5);
		buf_put_str(&list, "bob", 3);
		m = mk(MSG_NAMES, 0, "lobby", NULL, NULL);
		m.count = 2;
		m.list = buf_head(&list);
		m.listlen = buf_used(&list);
		srv_send(&s, &w, &m);
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
		srv_send(&s, &w, &m);
		buf_free(&list);
	}
	m = mk(MSG_MESSAGE, 1700000000123ULL, "lobby", "bob", "hi");
	srv_send(&s, &w, &m);
	m = mk(MSG_PING, 0, NULL, NULL, NULL);
	m.token = 0x1122334455667788ULL;
	srv_send(&s, &w, &m);
	m = mk(MSG_DEPARTED, 5, "lobby", "bob", "");
	srv_send(&s, &w, &m);
	m = mk(MSG_ERROR, 0, "nope", NULL, NULL);
	m.byte = ERR_NO_USER;
	srv_send(&s, &w, &m);
	feed(cs, &w, 1);
	ev = expect_ev(cs, CS_EV_AUTH_OK, "AUTH_OK");
	tap_ok(ev && strcmp(ev->user, "alice") == 0, "AUTH_OK user");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_JOINED, "JOINED");
	tap_ok(ev && strcmp(ev->room, "lobby") == 0, "JOINED room");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_HISTORY, "HISTORY");
	tap_ok(ev && ev->code == HISTORY_ACTION &&
	           ev->time == 1700000000123ULL &&
	           strcmp(ev->text, "waves \x1b[2J") == 0,
	       "HISTORY fields");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_NAMES, "NAMES");
	tap_ok(ev && ev->nnames == 2 && strcmp(ev->names[1], "bob") == 0,
	       "NAMES list");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_ROOMLIST, "ROOMLIST");
	tap_ok(ev && ev->nrooms == 2 && strcmp(ev->rooms[1].name, "dev") == 0 &&
	           ev->rooms[1].members == 7,
	       "ROOMLIST list");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_MESSAGE, "MESSAGE");
	tap_ok(ev && strcmp(ev->room, "lobby") == 0 &&
	           strcmp(ev->user, "bob") == 0 && strcmp(ev->text, "hi") == 0,
	       "MESSAGE fields");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_DEPARTED, "DEPARTED (PING made no event)");
	tap_ok(ev && ev->text && ev->text[0] == 0 && ev->time == 5,
	       "DEPARTED with empty reason");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_SERVER_ERROR, "ERROR");
	tap_ok(ev && ev->code == ERR_NO_USER && strcmp(ev->text, "nope") == 0,
	       "ERROR fields");
	cs_event_free(ev);
	tap_ok(cs_event_next(cs) == NULL, "no more events");
	pump(cs, &s);
	tap_ok(srv_recv(&s, pt, &ptl, &m) == 0 && m.type == MSG_PONG &&
	           m.token == 0x1122334455667788ULL,
	       "PING answered with PONG, same token");
	tap_ok(cs_say(cs, "lobby", "hello") == 0 &&
	           cs_act(cs, "lobby", "waves") == 0 &&
	           cs_privmsg(cs, "bob", "psst") == 0 &&
	           cs_join(cs, "dev") == 0 && cs_part(cs, "dev") == 0 &&
	           cs_who(cs, "lobby") == 0 && cs_rooms(cs) == 0 &&
	           cs_ping(cs, 42) == 0,
	       "helpers send");
	tap_ok(cs_say(cs, "bad room", "x") == CS_E_NAME &&
	           cs_say(cs, "lobby", "a\nb") == CS_E_TEXT &&
	           cs_say(cs, "lobby", "") == CS_E_TEXT &&
	           cs_say(cs, "lobby", "\xff") == CS_E_TEXT &&
	           cs_privmsg(cs, "Bob", "x") == CS_E_NAME,
	       "helpers check names and text");
	pump(cs, &s);
	{
		uint8_t types[8] = {MSG_SAY,  MSG_ACT, MSG_PRIVMSG, MSG_JOIN,
		                    MSG_PART, MSG_WHO, MSG_ROOMS,   MSG_PING};
		int good = 1;
		for (int i = 0; i < 8; i++)
			if (srv_recv(&s, pt, &ptl, &m) != 0 ||
			    m.type != types[i])
				good = 0;
		tap_ok(good, "server decodes the eight requests in order");
		tap_ok(m.token == 42, "PING token");
	}
	/* Server PONG to our ping becomes an event. */
	m = mk(MSG_PONG, 0, NULL, NULL, NULL);
	m.token = 42;
	srv_send(&s, &w, &m);
	feed(cs, &w, 0);
	ev = expect_ev(cs, CS_EV_PONG, "PONG event");
	tap_ok(ev && ev->token == 42, "PONG token");
	cs_event_free(ev);
	/* Tampered record. */
	srv_simple(&s, &w, MSG_NOTICE, "hello", NULL);
	w.data[w.off + 5] ^= 1;
	tap_ok(cs_input(cs, buf_head(&w), buf_used(&w)) == -1,
	       "a damaged record fails the session");
	buf_reset(&w);
	ev = expect_ev(cs, CS_EV_ERROR, "protocol error event");
	tap_diag("%s", ev ? ev->text : "");
	cs_event_free(ev);
	tap_ok(cs_finished(cs), "session finished");
	pump(cs, &s);
	tap_ok(srv_recv(&s, pt, &ptl, &m) == 0 && m.type == MSG_BYE &&
	           m.s[0].len == 14,
	       "client says BYE(protocol error)");
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);

	/* 2: refusal. */
	{
		struct cs_params p;
		memset(&p, 0, sizeof p);
		p.priv = cpriv;
		p.pub = cpub;
		p.suites = suites;
		p.nsuites = 2;
		cs = cs_new(&p);
		uint8_t sh[64];
		int n = hello_server_encode(sh, sizeof sh, SUITE_NONE,
		                            "server full");
		frame_append(&w, sh, (size_t)n);
		feed(cs, &w, 0);
		ev = expect_ev(cs, CS_EV_REFUSED, "refusal event");
		tap_ok(ev && strcmp(ev->text, "server full") == 0,
		       "refusal reason");
		cs_event_free(ev);
		tap_ok(cs_finished(cs), "refused session finished");
		cs_eof(cs);
		tap_ok(cs_event_next(cs) == NULL, "no CLOSED after refusal");
		cs_free(cs);
	}
	/* 3: server picks suite not offered. */
	cs = setup(&s, SUITE_AESGCM, suites, 1, 1);
	ev = expect_ev(cs, CS_EV_ERROR, "a suite not offered is an error");
	tap_diag("%s", ev ? ev->text : "");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);
	/* 4: reject key. */
	cs = setup(&s, SUITE_CHACHAPOLY, suites, 2, 1);
	ev = expect_ev(cs, CS_EV_SERVER_KEY, "key event");
	cs_event_free(ev);
	tap_ok(cs_verdict(cs, 0) == 0 && cs_finished(cs) &&
	           buf_used(cs_output(cs)) == 0,
	       "reject: finished, nothing to send");
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);
	/* 5: auth fail + retry + early message error. */
	cs = setup(&s, SUITE_CHACHAPOLY, suites, 2, 1);
	ev = cs_event_next(cs);
	cs_event_free(ev);
	cs_verdict(cs, 1);
	finish_hs(&s, cs, &m, pl, &pll);
	m = mk(MSG_AUTH_FAIL, 0, "invalid user name or password", NULL, NULL);
	m.byte = 2;
	srv_send(&s, &w, &m);
	feed(cs, &w, 0);
	ev = expect_ev(cs, CS_EV_AUTH_FAIL, "AUTH_FAIL");
	tap_ok(ev && ev->code == 2, "tries left 2");
	cs_event_free(ev);
	tap_ok(cs_state(cs) == CS_ST_AUTH_RETRY, "retry state");
	tap_ok(cs_auth(cs, "second", 6) == 0, "second AUTH sent");
	pump(cs, &s);
	tap_ok(srv_recv(&s, pt, &ptl, &m) == 0 && m.type == MSG_AUTH &&
	           m.s[1].len == 6,
	       "server reads the second AUTH");
	m = mk(MSG_MESSAGE, 1, "lobby", "bob", "hi");
	srv_send(&s, &w, &m);
	feed(cs, &w, 0);
	ev = expect_ev(cs, CS_EV_ERROR,
	               "MESSAGE before login is a protocol error");
	tap_diag("%s", ev ? ev->text : "");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);
	/* 6: auth exhausted, BYE, close => clean. */
	cs = setup(&s, SUITE_CHACHAPOLY, suites, 2, 1);
	ev = cs_event_next(cs);
	cs_event_free(ev);
	cs_verdict(cs, 1);
	finish_hs(&s, cs, &m, pl, &pll);
	m = mk(MSG_AUTH_FAIL, 0, "try again later", NULL, NULL);
	m.byte = 0;
	srv_send(&s, &w, &m);
	srv_simple(&s, &w, MSG_BYE, "authentication failed", NULL);
	feed(cs, &w, 0);
	cs_eof(cs);
	ev = expect_ev(cs, CS_EV_AUTH_FAIL, "AUTH_FAIL 0");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_BYE, "BYE");
	tap_ok(ev && strcmp(ev->text, "authentication failed") == 0,
	       "BYE reason");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_CLEAN, "clean close");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);
	/* 7: lost connection mid-session, and our own BYE. */
	cs = setup(&s, SUITE_CHACHAPOLY, suites, 2, 1);
	ev = cs_event_next(cs);
	cs_event_free(ev);
	cs_verdict(cs, 1);
	finish_hs(&s, cs, &m, pl, &pll);
	srv_simple(&s, &w, MSG_AUTH_OK, "alice", NULL);
	srv_simple(&s, &w, MSG_JOINED, "lobby", NULL);
	/* half a frame then EOF */
	w.len -= 3;
	feed(cs, &w, 0);
	cs_eof(cs);
	ev = expect_ev(cs, CS_EV_AUTH_OK, "AUTH_OK");
	cs_event_free(ev);
	ev = expect_ev(cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_LOST, "lost: %s", ev ? ev->text : "");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);

	cs = setup(&s, SUITE_CHACHAPOLY, suites, 2, 1);
	ev = cs_event_next(cs);
	cs_event_free(ev);
	cs_verdict(cs, 1);
	finish_hs(&s, cs, &m, pl, &pll);
	srv_simple(&s, &w, MSG_AUTH_OK, "alice", NULL);
	feed(cs, &w, 0);
	ev = cs_event_next(cs);
	cs_event_free(ev);
	tap_ok(cs_bye(cs, "exit") == 0 && cs_state(cs) == CS_ST_CLOSING &&
	           cs_bye_sent(cs),
	       "our BYE");
	pump(cs, &s);
	tap_ok(srv_recv(&s, pt, &ptl, &m) == 0 && m.type == MSG_BYE &&
	           m.s[0].len == 4,
	       "server reads BYE(exit)");
	m = mk(MSG_MESSAGE, 1, "lobby", "bob", "late");
	srv_send(&s, &w, &m);
	feed(cs, &w, 0);
	ev =
	    expect_ev(cs, CS_EV_MESSAGE, "messages still arrive after our BYE");
	cs_event_free(ev);
	cs_eof(cs);
	ev = expect_ev(cs, CS_EV_CLOSED, "CLOSED");
	tap_ok(ev && ev->code == CS_CLOSE_CLEAN, "clean after our BYE");
	cs_event_free(ev);
	cs_free(cs);
	buf_free(&s.in);
	noise_hs_clear(&s.hs);

	/* 8: expected-key mode (bench). */
	{
		struct cs_params p;
		memset(&p, 0, sizeof p);
		uint8_t other[32];
		memset(other, 9, 32);
		p.priv = cpriv;
		p.pub = cpub;
		p.suites = suites;
		p.nsuites = 1;
		p.user = "alice";
		p.password = "pw";
		p.passwordlen = 2;
		p.server_key = spub;
		(void)other;
	}
	buf_free(&w);
	return tap_done();
}
