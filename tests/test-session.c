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
	buf_free(&w);
	return tap_done();
}
