/*
 * test-engine.c: the server's protocol engine (sengine.c) in memory, with
 * the real client engine (session.c) at the other end and, for what an
 * honest client never sends, a raw client written here: hello, handshake
 * in both suites, logins, messages both ways, keepalive, flood control,
 * the orderly close after BYE, limits at their edges and malformed input.
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

static uint8_t	 cpriv[KEY_LEN], cpub[KEY_LEN];

static void
client_params(struct cs_params *p, const uint8_t *suites, size_t n)
{
	memset(p, 0, sizeof(*p));
	p->priv = cpriv;
	p->pub = cpub;
	p->suites = suites;
	p->nsuites = n;
	p->user = "alice";
	p->password = "pw-alice";
	p->passwordlen = 8;
}

/* Start a pair with a client that offers ChaCha20-Poly1305. */
static void
start(struct pair *pp)
{
	static const uint8_t	 suites[] = { SUITE_CHACHAPOLY };
	struct cs_params	 p;

	client_params(&p, suites, 1);
	if (pair_start(pp, &p) == -1)
		abort();
	pair_pump(pp);
}

/* A pair through the handshake and the key's verdict; AUTH is out. */
static void
to_authwait(struct pair *pp)
{
	start(pp);
	if (!pair_got(pp, CS_EV_SERVER_KEY) || cs_verdict(pp->cs, 1) != 0)
		abort();
	pair_pump(pp);
}

/* ... and logged in. */
static void
to_active(struct pair *pp)
{
	to_authwait(pp);
	if (se_logged_in(pp->se, "alice", 5, pp->now) != 0)
		abort();
	pair_pump(pp);
	if (!pair_got(pp, CS_EV_AUTH_OK))
		abort();
}

static int
broker_text_is(const struct pair *pp, int i, uint8_t type, const char *text)
{
	struct wire_msg	 m;

	return pair_broker_msg(pp, i, &m) == 0 && m.type == type &&
	    m.ns >= 2 && m.s[1].len == strlen(text) &&
	    memcmp(m.s[1].p, text, m.s[1].len) == 0;
}

/* ---------------------------------------------------------- the raw client */

struct rawc {
	struct noise_handshake	 hs;
	struct noise_cipherstate tx, rx;
	uint8_t			 hello[HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES];
	size_t			 hellolen;
	struct buf		 in;	/* from the server, not yet taken */
};

static uint8_t	 frame[FRAME_MAX], pt[FRAME_MAX];

/* Send the server bytes: what it does not take yet waits. */
static void
raw_send(struct pair *pp, const uint8_t *p, size_t len)
{
	if (buf_append(&pp->raw, p, len) == -1)
		abort();
	pair_pump(pp);
}

static void
raw_send_frame(struct pair *pp, const uint8_t *p, size_t len)
{
	if (frame_append(&pp->raw, p, len) == -1)
		abort();
	pair_pump(pp);
}

/* The server's next frame, into frame[]; -1 if there is none. */
static int
raw_frame(struct rawc *rc, struct pair *pp, size_t *len)
{
	struct buf	*out = se_output(pp->se);
	const uint8_t	*p;
	size_t		 used;

	buf_append(&rc->in, buf_head(out), buf_used(out));
	buf_consume(out, buf_used(out));
	if (frame_parse(buf_head(&rc->in), buf_used(&rc->in), &p, len,
	    &used) != 1)
		return -1;
	memcpy(frame, p, *len);
	buf_consume(&rc->in, used);
	return 0;
}

static void
raw_hello(struct rawc *rc, struct pair *pp, uint8_t suite)
{
	int	 n;

	memset(rc, 0, sizeof(*rc));
	buf_init(&rc->in, 0);
	if ((n = hello_client_encode(rc->hello, sizeof(rc->hello), &suite,
	    1)) <= 0)
		abort();
	rc->hellolen = (size_t)n;
	raw_send_frame(pp, rc->hello, rc->hellolen);
}

/* Hello and message 1; then message 2 is read. */
static int
raw_msg1(struct rawc *rc, struct pair *pp, uint8_t suite)
{
	uint8_t		 prologue[128], msg[NOISE_MAX_MSG];
	size_t		 len, mlen;

	raw_hello(rc, pp, suite);
	if (raw_frame(rc, pp, &len) == -1 || len > 64)
		return -1;
	memcpy(prologue, rc->hello, rc->hellolen);
	memcpy(prologue + rc->hellolen, frame, len);
	if (noise_hs_init(&rc->hs, NOISE_XX, suite_cipher(suite), 1, prologue,
	    rc->hellolen + len, cpriv, cpub, NULL) == -1 ||
	    noise_hs_write(&rc->hs, NULL, 0, msg, &mlen) == -1)
		abort();
	raw_send_frame(pp, msg, mlen);
	if (raw_frame(rc, pp, &len) == -1 ||
	    noise_hs_read(&rc->hs, frame, len, pt, &mlen) == -1)
		return -1;
	return 0;
}

/* Through message 3, which carries payload. */
static int
raw_handshake(struct rawc *rc, struct pair *pp, const uint8_t *payload,
    size_t plen)
{
	uint8_t		 msg[NOISE_MAX_MSG];
	size_t		 mlen;

	if (raw_msg1(rc, pp, SUITE_CHACHAPOLY) == -1 ||
	    noise_hs_write(&rc->hs, payload, plen, msg, &mlen) == -1 ||
	    noise_hs_split(&rc->hs, &rc->tx, &rc->rx) == -1)
		return -1;
	raw_send_frame(pp, msg, mlen);
	return 0;
}

static int
raw_login(struct rawc *rc, struct pair *pp)
{
	struct buf	 auth;
	int		 rc2;

	buf_init(&auth, 0);
	if (wire_put_simple(&auth, MSG_AUTH, "alice", 5, "pw", 2) == -1)
		abort();
	rc2 = raw_handshake(rc, pp, buf_head(&auth), buf_used(&auth));
	buf_free(&auth);
	return rc2;
}

/* A record of p, sealed into out. */
static void
raw_seal(struct rawc *rc, const uint8_t *p, size_t len, struct buf *out)
{
	if (record_seal(&rc->tx, p, len, out) == -1)
		abort();
}

static void
raw_record(struct rawc *rc, struct pair *pp, const uint8_t *p, size_t len)
{
	raw_seal(rc, p, len, &pp->raw);
	pair_pump(pp);
}

/* A record of one or two strings. */
static void
raw_simple(struct rawc *rc, struct pair *pp, uint8_t type, const char *a,
    const char *b)
{
	struct buf	 m;

	buf_init(&m, 0);
	if (wire_put_simple(&m, type, a, strlen(a), b, b ? strlen(b) : 0) ==
	    -1)
		abort();
	raw_record(rc, pp, buf_head(&m), buf_used(&m));
	buf_free(&m);
}

/* The server's next record, decoded; its type or -1. */
static int
raw_recv(struct rawc *rc, struct pair *pp, struct wire_msg *m)
{
	size_t	 len, ptlen;

	if (raw_frame(rc, pp, &len) == -1 ||
	    record_open(&rc->rx, frame, len, pt, &ptlen) == -1 ||
	    wire_decode(pt, ptlen, FROM_SERVER, m) == -1)
		return -1;
	return m->type;
}

/* Is the server's next record a BYE with this reason? */
static int
raw_bye_is(struct rawc *rc, struct pair *pp, const char *reason)
{
	struct wire_msg	 m;

	return raw_recv(rc, pp, &m) == MSG_BYE &&
	    m.s[0].len == strlen(reason) &&
	    memcmp(m.s[0].p, reason, m.s[0].len) == 0;
}

static void
raw_free(struct rawc *rc)
{
	noise_hs_clear(&rc->hs);
	noise_cs_clear(&rc->tx);
	noise_cs_clear(&rc->rx);
	buf_free(&rc->in);
}

static int
closed_for(const struct pair *pp, const char *reason)
{
	return se_state(pp->se) == SE_CLOSING && pp->closings == 1 &&
	    strcmp(pp->close_reason, reason) == 0 &&
	    strcmp(se_close_reason(pp->se), reason) == 0;
}

/* ---------------------------------------------------------- the tests */

static void
test_suites(void)
{
	static const uint8_t	 one[2][1] = {
		{ SUITE_CHACHAPOLY }, { SUITE_AESGCM }
	};
	static const uint8_t	 both[] = { SUITE_CHACHAPOLY, SUITE_AESGCM };
	struct pair		 pp;
	struct cs_params	 p;
	struct cs_event		*ev;
	struct wire_msg		 m;
	int			 i;

	for (i = 0; i < 2; i++) {
		const char	*name = suite_name(one[i][0]);

		if (one[i][0] == SUITE_AESGCM && !noise_aesgcm_available()) {
			tap_skip("no AES-GCM on this CPU", "AES-GCM session");
			continue;
		}
		pair_init(&pp);
		client_params(&p, one[i], 1);
		pair_start(&pp, &p);
		pair_pump(&pp);
		tap_ok(pp.dh_asked == 1 && pp.dh_answered == 1 &&
		    cs_suite(pp.cs) == one[i][0],
		    "%s: suite agreed, the host key's DH asked once", name);
		ev = pair_event(&pp, CS_EV_SERVER_KEY);
		tap_ok(ev != NULL && memcmp(ev->key, pp.host_pub, KEY_LEN) == 0,
		    "%s: the client sees the host key", name);
		cs_event_free(ev);
		tap_ok(se_state(pp.se) == SE_HS3 && pp.logins == 0,
		    "%s: the server waits for message 3", name);
		cs_verdict(pp.cs, 1);
		pair_pump(&pp);
		tap_ok(se_state(pp.se) == SE_AUTHWAIT && pp.logins == 1 &&
		    memcmp(pp.login_key, cpub, KEY_LEN) == 0 &&
		    strcmp(pp.login_user, "alice") == 0 &&
		    strcmp(pp.login_pw, "pw-alice") == 0,
		    "%s: AUTH in message 3 is handed on with the client's key",
		    name);
		tap_ok(se_logged_in(pp.se, "alice", 5, pp.now) == 0, "%s: "
		    "login accepted", name);
		pair_pump(&pp);
		ev = pair_event(&pp, CS_EV_AUTH_OK);
		tap_ok(ev != NULL && strcmp(ev->user, "alice") == 0 &&
		    se_state(pp.se) == SE_ACTIVE &&
		    strcmp(se_user(pp.se), "alice") == 0,
		    "%s: AUTH_OK reaches the client", name);
		cs_event_free(ev);
		cs_say(pp.cs, "lobby", "hello");
		pair_pump(&pp);
		tap_ok(pp.nmsgs == 1 && pair_broker_msg(&pp, 0, &m) == 0 &&
		    m.type == MSG_SAY && broker_text_is(&pp, 0, MSG_SAY,
		    "hello"), "%s: a SAY goes to the broker", name);
		pair_free(&pp);
	}

	/* The server's order of preference decides. */
	pair_init(&pp);
	client_params(&p, both, 2);
	pair_start(&pp, &p);
	pair_pump(&pp);
	tap_ok(cs_suite(pp.cs) == (noise_aesgcm_available() ? SUITE_AESGCM :
	    SUITE_CHACHAPOLY), "the server's first usable suite is chosen");
	pair_free(&pp);
	pair_init(&pp);
	pp.sp.aesgcm_ok = 0;
	client_params(&p, both + 1, 1);
	pair_start(&pp, &p);
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_REFUSED);
	tap_ok(ev != NULL && strcmp(ev->text, "no common cipher suite") == 0 &&
	    closed_for(&pp, "no common cipher suite") && pp.dh_asked == 0,
	    "no AES-GCM on the CPU: a client offering only it is refused");
	cs_event_free(ev);
	tap_ok(se_finished(pp.se, pp.now) && pair_server_exits(&pp) == 0 &&
	    cs_event_next(pp.cs) == NULL, "the refusal is the last word");
	pair_free(&pp);
}

static void
test_dh(void)
{
	struct pair	 pp;
	struct rawc	 rc;
	uint8_t		 zero[KEY_LEN];

	/* The engine waits for the DH without taking input. */
	pair_init(&pp);
	pp.dh_hold = 1;
	start(&pp);
	tap_ok(se_state(pp.se) == SE_DHWAIT && pp.dh_asked == 1 &&
	    !se_wants_input(pp.se, pp.now) && cs_event_next(pp.cs) == NULL,
	    "waiting for the DH, no input is taken and no message 2 sent");
	tap_ok(se_logged_in(pp.se, "alice", 5, pp.now) == -1 &&
	    se_auth_fail(pp.se, 1, 0, "x", 1, pp.now) == -1,
	    "login answers are refused before any was asked");
	pp.dh_hold = 0;
	pair_pump(&pp);
	tap_ok(se_state(pp.se) == SE_HS3 && pair_got(&pp, CS_EV_SERVER_KEY),
	    "the DH's answer lets message 2 go");
	tap_ok(se_dh_result(pp.se, pp.host_pub, pp.now) == -1,
	    "a DH answer nobody waits for is refused");
	pair_free(&pp);

	pair_init(&pp);
	pp.dh_fail = 1;
	start(&pp);
	tap_ok(closed_for(&pp, "handshake failed") &&
	    buf_used(se_output(pp.se)) == 0,
	    "a failed DH ends the handshake without a word");
	pair_free(&pp);

	/* A low-order point as the client's ephemeral key. */
	pair_init(&pp);
	pair_start(&pp, NULL);
	raw_hello(&rc, &pp, SUITE_CHACHAPOLY);
	memset(zero, 0, sizeof(zero));
	raw_send_frame(&pp, zero, sizeof(zero));
	tap_ok(pp.dh_asked == 1 && closed_for(&pp, "handshake failed"),
	    "a low-order ephemeral key fails the handshake");
	raw_free(&rc);
	pair_free(&pp);

	/* The login grace runs while the DH is awaited. */
	pair_init(&pp);
	pp.dh_hold = 1;
	start(&pp);
	pair_advance(&pp, 30 * 1000 - 1);
	tap_ok(se_state(pp.se) == SE_DHWAIT, "grace not over at 29.999 s");
	pair_advance(&pp, 1);
	tap_ok(closed_for(&pp, "login grace time exceeded"),
	    "grace over at 30 s, even waiting for the DH");
	pair_free(&pp);
}

static void
test_login(void)
{
	struct pair	 pp;
	struct cs_event	*ev;

	pair_init(&pp);
	to_authwait(&pp);
	tap_ok(se_auth_fail(pp.se, 2, 0, "invalid user name or password", 29,
	    pp.now) == 0, "a failed login with tries left");
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_AUTH_FAIL);
	tap_ok(ev != NULL && ev->code == 2 &&
	    strcmp(ev->text, "invalid user name or password") == 0 &&
	    se_state(pp.se) == SE_AUTHRETRY && pp.closings == 0,
	    "the client learns it has 2 tries left; the server waits");
	cs_event_free(ev);
	cs_auth(pp.cs, "second", 6);
	pair_pump(&pp);
	tap_ok(pp.logins == 2 && strcmp(pp.login_pw, "second") == 0 &&
	    se_state(pp.se) == SE_AUTHWAIT, "the second AUTH is handed on");
	se_auth_fail(pp.se, 1, 0, "invalid user name or password", 29,
	    pp.now);
	pair_pump(&pp);
	tap_ok(pair_got(&pp, CS_EV_AUTH_FAIL), "second failure");
	cs_auth(pp.cs, "pw-alice", 8);
	pair_pump(&pp);
	tap_ok(pp.logins == 3 && se_logged_in(pp.se, "Not A Name", 10,
	    pp.now) == -1 && se_state(pp.se) == SE_AUTHWAIT,
	    "a login for an invalid name is refused");
	se_logged_in(pp.se, "alice", 5, pp.now);
	pair_pump(&pp);
	tap_ok(pair_got(&pp, CS_EV_AUTH_OK) && se_state(pp.se) == SE_ACTIVE,
	    "the third try logs in");
	tap_ok(se_auth_fail(pp.se, 0, 1, "x", 1, pp.now) == -1 &&
	    se_logged_in(pp.se, "alice", 5, pp.now) == -1,
	    "login answers after login are refused");
	pair_free(&pp);

	pair_init(&pp);
	to_authwait(&pp);
	se_auth_fail(pp.se, 0, 1, "invalid user name or password", 29,
	    pp.now);
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_AUTH_FAIL);
	tap_ok(ev != NULL && ev->code == 0, "the last failure: no tries left");
	cs_event_free(ev);
	ev = pair_event(&pp, CS_EV_BYE);
	tap_ok(ev != NULL && strcmp(ev->text, "authentication failed") == 0 &&
	    closed_for(&pp, "authentication failed: no tries left"),
	    "then BYE, and the server closes");
	cs_event_free(ev);
	pair_server_exits(&pp);
	ev = pair_event(&pp, CS_EV_CLOSED);
	tap_ok(ev != NULL && ev->code == CS_CLOSE_CLEAN,
	    "the client sees a clean close");
	cs_event_free(ev);
	pair_free(&pp);

	pair_init(&pp);
	to_authwait(&pp);
	se_auth_fail(pp.se, 1, 0, "invalid user name or password", 29,
	    pp.now);
	pair_pump(&pp);
	cs_event_free(cs_event_next(pp.cs));
	cs_bye(pp.cs, "never mind");
	pair_pump(&pp);
	tap_ok(closed_for(&pp, "client left before login") && pp.nmsgs == 0,
	    "BYE instead of another try closes, nothing for the broker");
	pair_free(&pp);

	/* The login grace, once there are keys to say why. */
	pair_init(&pp);
	to_authwait(&pp);
	tap_ok(se_next_due(pp.se, pp.now) == 1000000 + 30 * 1000,
	    "the next timer is the end of the login grace");
	pair_advance(&pp, 30 * 1000);
	ev = pair_event(&pp, CS_EV_BYE);
	tap_ok(ev != NULL && strcmp(ev->text, "login timeout") == 0 &&
	    closed_for(&pp, "login grace time exceeded"),
	    "login grace over: BYE(login timeout)");
	cs_event_free(ev);
	pair_free(&pp);
}

static void
test_messages(void)
{
	static const uint8_t	 types[] = { MSG_SAY, MSG_ACT, MSG_PRIVMSG,
	    MSG_JOIN, MSG_PART, MSG_WHO, MSG_ROOMS };
	struct pair		 pp;
	struct cs_event		*ev;
	struct wire_msg		 m;
	char			 text[202];
	int			 i, good;

	pair_init(&pp);
	pp.sp.max_message = 100;
	to_authwait(&pp);
	tap_ok(pair_app_simple(&pp, MSG_NOTICE, "too soon", NULL) ==
	    SE_E_STATE, "nothing from the broker is sealed before login");
	se_logged_in(pp.se, "alice", 5, pp.now);
	pair_pump(&pp);
	cs_event_free(cs_event_next(pp.cs));
	cs_say(pp.cs, "lobby", "hi");
	cs_act(pp.cs, "lobby", "waves");
	cs_privmsg(pp.cs, "bob", "psst");
	cs_join(pp.cs, "dev");
	cs_part(pp.cs, "dev");
	cs_who(pp.cs, "lobby");
	cs_rooms(pp.cs);
	cs_ping(pp.cs, 42);
	pair_pump(&pp);
	good = pp.nmsgs == 7;
	for (i = 0; good && i < 7; i++)
		good = pair_broker_msg(&pp, i, &m) == 0 && m.type == types[i];
	tap_ok(good, "seven requests reach the broker in order");
	ev = pair_event(&pp, CS_EV_PONG);
	tap_ok(ev != NULL && ev->token == 42 && pp.nmsgs == 7,
	    "the server answers PING itself, with the same token");
	cs_event_free(ev);

	memset(text, 'x', sizeof(text));
	text[100] = '\0';
	cs_say(pp.cs, "lobby", text);
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 8 && broker_text_is(&pp, 7, MSG_SAY, text),
	    "text of MaxMessageLength bytes is delivered");
	text[100] = 'x';
	text[101] = '\0';
	cs_privmsg(pp.cs, "bob", text);
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_SERVER_ERROR);
	tap_ok(ev != NULL && ev->code == ERR_BAD_TEXT && strcmp(ev->text,
	    "message too long: 101 bytes, the limit is 100; it was not "
	    "delivered") == 0 && pp.nmsgs == 8,
	    "one byte more is answered with ERROR and not delivered");
	cs_event_free(ev);

	memset(&m, 0, sizeof(m));
	m.type = MSG_MESSAGE;
	m.time = 1700000000123ULL;
	m.s[0].p = "lobby";
	m.s[0].len = 5;
	m.s[1].p = "bob";
	m.s[1].len = 3;
	m.s[2].p = "hi";
	m.s[2].len = 2;
	m.ns = 3;
	tap_ok(pair_app(&pp, &m) == 0, "the broker's MESSAGE is sealed");
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_MESSAGE);
	tap_ok(ev != NULL && strcmp(ev->user, "bob") == 0 &&
	    strcmp(ev->text, "hi") == 0 && ev->time == 1700000000123ULL,
	    "and reaches the client");
	cs_event_free(ev);
	tap_ok(se_app(pp.se, pt, 0, pp.now) == SE_E_LENGTH &&
	    se_app(pp.se, pt, RECORD_MAX_PLAINTEXT + 1, pp.now) ==
	    SE_E_LENGTH, "an empty or oversized message to seal is refused");

#ifdef SECCHAT_TEST_HOOKS
	cs_say(pp.cs, "lobby", SE_TEST_HOOK_PREFIX "some-hook");
	pair_pump(&pp);
	tap_ok(pp.hooks == 1 && pp.nmsgs == 9,
	    "test builds: a hook's text runs it, then goes on");
#else
	tap_skip("built without --enable-test-hooks", "test hook text");
#endif

	/* Keepalive. */
	tap_ok(se_next_due(pp.se, pp.now) == pp.now + 60 * 1000,
	    "the next timer is the keepalive's");
	pair_advance(&pp, 60 * 1000 - 1);
	tap_ok(buf_used(se_output(pp.se)) == 0 && cs_event_next(pp.cs) == NULL,
	    "no PING before 60 s of silence");
	pair_advance(&pp, 1);
	pair_advance(&pp, 30 * 1000);
	tap_ok(se_state(pp.se) == SE_ACTIVE && cs_event_next(pp.cs) == NULL,
	    "PING at 60 s, answered by the client: the session lives on");
	pp.stall = 1;
	pair_advance(&pp, 60 * 1000);
	pair_advance(&pp, 30 * 1000 - 1);
	tap_ok(se_state(pp.se) == SE_ACTIVE, "unanswered PING: 29.999 s on");
	pair_advance(&pp, 1);
	tap_ok(closed_for(&pp, "no answer to ping"), "30 s on, it closes");
	pp.stall = 0;
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_BYE);
	tap_ok(ev != NULL && strcmp(ev->text, "idle timeout") == 0,
	    "with BYE(idle timeout)");
	cs_event_free(ev);
	pair_free(&pp);
}

static void
test_flood(void)
{
	struct pair	 pp;
	char		 text[16];
	int		 i, good;

	pair_init(&pp);
	pp.sp.flood_burst = 3;
	pp.sp.flood_rate = 2;
	pp.sp.alive_interval = 0;	/* a PONG would take a token */
	to_active(&pp);
	for (i = 0; i < 10; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		cs_say(pp.cs, "lobby", text);
	}
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 3 && !se_wants_input(pp.se, pp.now),
	    "a burst of 3, then the server takes no more input");
	for (i = 10; i < 15; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		cs_say(pp.cs, "lobby", text);
	}
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 3 && buf_used(cs_output(pp.cs)) > 0,
	    "more waits on the client's side: nothing is read, nothing lost");
	tap_ok(se_next_due(pp.se, pp.now) == pp.now + 50,
	    "the engine looks for a token again in 50 ms");
	pair_advance(&pp, 499);
	tap_ok(pp.nmsgs == 3, "no token before 500 ms at 2 a second");
	pair_advance(&pp, 1);
	tap_ok(pp.nmsgs == 4, "one at 500 ms");
	for (i = 0; i < 20; i++)
		pair_advance(&pp, 500);
	good = pp.nmsgs == 15;
	for (i = 0; good && i < 15; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		good = broker_text_is(&pp, i, MSG_SAY, text);
	}
	tap_ok(good && se_state(pp.se) == SE_ACTIVE,
	    "all 15 delivered, in order, and the session lives on");
	pair_advance(&pp, 100 * 1000);
	for (i = 0; i < 5; i++)
		cs_say(pp.cs, "lobby", "again");
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 18, "after a long pause the burst is 3 again");
	pair_free(&pp);
}

static void
test_output_full(void)
{
	struct pair	 pp;
	char		 text[4001];
	int		 i, nsent = 0;

	pair_init(&pp);
	to_active(&pp);
	pp.stall = 1;
	memset(text, 'y', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (i = 0; i < 1000 && !se_out_full(pp.se); i++)
		nsent += pair_app_simple(&pp, MSG_NOTICE, text, NULL) == 0;
	tap_ok(se_out_full(pp.se) && nsent == i && nsent > 60,
	    "a client that does not read: the output fills (%d notices)",
	    nsent);
	cs_say(pp.cs, "lobby", "waiting");
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 0, "its requests wait while its answers cannot go");
	pp.stall = 0;
	pair_pump(&pp);
	for (i = 0; i < nsent && pair_got(&pp, CS_EV_NOTICE); i++)
		;
	tap_ok(i == nsent && pp.nmsgs == 1 &&
	    broker_text_is(&pp, 0, MSG_SAY, "waiting"),
	    "once it reads, every notice arrives and its request goes on");
	pair_free(&pp);
}

static void
test_leaving(void)
{
	struct pair	 pp;
	struct cs_event	*ev;
	uint8_t		 junk[100000];
	struct wire_msg	 m;

	pair_init(&pp);
	to_active(&pp);
	cs_say(pp.cs, "lobby", "before");
	cs_bye(pp.cs, "exit");
	pair_pump(&pp);
	tap_ok(pp.nmsgs == 2 && broker_text_is(&pp, 0, MSG_SAY, "before") &&
	    pair_broker_msg(&pp, 1, &m) == 0 && m.type == MSG_BYE &&
	    se_state(pp.se) == SE_LEAVING && pp.closings == 0,
	    "BYE goes to the broker after what came before; the server waits");
	tap_ok(se_next_due(pp.se, pp.now) == pp.now + 10 * 1000,
	    "for at most 10 s");
	pair_app_simple(&pp, MSG_NOTICE, "the answer", NULL);
	pair_pump(&pp);
	ev = pair_event(&pp, CS_EV_NOTICE);
	tap_ok(ev != NULL && strcmp(ev->text, "the answer") == 0,
	    "the broker's last answers still reach the client");
	cs_event_free(ev);
	memset(junk, 0xa5, sizeof(junk));
	tap_ok(se_input(pp.se, junk, sizeof(junk), pp.now) == sizeof(junk) &&
	    pp.nmsgs == 2 && se_state(pp.se) == SE_LEAVING,
	    "what the client sends after BYE is read and dropped");
	se_client_eof(pp.se, pp.now);
	tap_ok(se_state(pp.se) == SE_LEAVING && !se_wants_input(pp.se, pp.now),
	    "its end of input does not cut the answers short");
	se_broker_closed(pp.se, pp.now);
	tap_ok(closed_for(&pp, "client left"),
	    "the broker's close after its last answer closes the session");
	tap_ok(pair_server_exits(&pp) == 0, "the server finishes");
	ev = pair_event(&pp, CS_EV_CLOSED);
	tap_ok(ev != NULL && ev->code == CS_CLOSE_CLEAN,
	    "and the client sees a clean close");
	cs_event_free(ev);
	pair_free(&pp);

	pair_init(&pp);
	to_active(&pp);
	cs_bye(pp.cs, "exit");
	pair_pump(&pp);
	pair_advance(&pp, 10 * 1000 - 1);
	tap_ok(se_state(pp.se) == SE_LEAVING, "no close from the broker: "
	    "still waiting at 9.999 s");
	pair_advance(&pp, 1);
	tap_ok(closed_for(&pp, "client left before its last answers were "
	    "sent"), "at 10 s it closes anyway");
	pair_pump(&pp);
	tap_ok(se_finished(pp.se, pp.now), "and finishes, its output out");
	pair_free(&pp);
}

/* A raw client logged in as alice, AUTH_OK read. */
static void
raw_active(struct rawc *rc, struct pair *pp)
{
	struct wire_msg	 m;

	if (pair_start(pp, NULL) == -1 || raw_login(rc, pp) == -1 ||
	    se_logged_in(pp->se, "alice", 5, pp->now) == -1)
		abort();
	pair_pump(pp);
	if (raw_recv(rc, pp, &m) != MSG_AUTH_OK)
		abort();
}

/* Send len bytes of b in the pieces a 1,500-byte MTU makes. */
static void
raw_send_pieces(struct pair *pp, const uint8_t *p, size_t len)
{
	size_t	 off, n;

	for (off = 0; off < len; off += n) {
		n = len - off > 1448 ? 1448 : len - off;
		raw_send(pp, p + off, n);
	}
}

static void
test_malformed(void)
{
	static const uint8_t	 empty[2] = { 0, 0 };
	struct pair		 pp;
	struct rawc		 rc;
	struct buf		 b, r;
	struct wire_msg		 m;
	uint8_t			 msg[NOISE_MAX_MSG];
	size_t			 tlen;

	pair_init(&pp);
	pair_start(&pp, NULL);
	raw_send_frame(&pp, (const uint8_t *)"HELLO", 5);
	tap_ok(closed_for(&pp, "bad hello") &&
	    buf_used(se_output(pp.se)) == 0, "a bad hello: closed, silently");
	pair_free(&pp);

	pair_init(&pp);
	pair_start(&pp, NULL);
	raw_send(&pp, empty, sizeof(empty));
	tap_ok(closed_for(&pp, "bad frame") &&
	    buf_used(se_output(pp.se)) == 0, "an empty frame is a bad frame");
	pair_free(&pp);

	/* The largest frame, in the pieces a network delivers. */
	pair_init(&pp);
	pair_start(&pp, NULL);
	memset(msg, 0, FRAME_MAX);
	buf_init(&b, 0);
	frame_append(&b, msg, FRAME_MAX);
	raw_send_pieces(&pp, buf_head(&b), buf_used(&b));
	buf_free(&b);
	tap_ok(buf_used(&pp.raw) == 0 && closed_for(&pp, "bad hello"),
	    "a 65,535-byte hello is read whole and refused");
	pair_free(&pp);

	pair_init(&pp);
	pair_start(&pp, NULL);
	raw_hello(&rc, &pp, SUITE_CHACHAPOLY);
	memset(msg, 7, 40);
	raw_send_frame(&pp, msg, 40);
	tap_ok(pp.dh_asked == 0 && closed_for(&pp, "handshake failed"),
	    "message 1 with a payload fails the handshake");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	pair_start(&pp, NULL);
	tap_ok(raw_msg1(&rc, &pp, SUITE_CHACHAPOLY) == 0 &&
	    se_state(pp.se) == SE_HS3, "the raw client gets message 2");
	memset(msg, 7, 100);
	raw_send_frame(&pp, msg, 100);
	tap_ok(closed_for(&pp, "handshake failed"),
	    "a message 3 that does not decrypt fails the handshake");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	pair_start(&pp, NULL);
	buf_init(&b, 0);
	wire_put_simple(&b, MSG_SAY, "lobby", 5, "hi", 2);
	raw_handshake(&rc, &pp, buf_head(&b), buf_used(&b));
	buf_free(&b);
	tap_ok(closed_for(&pp, "protocol error: expected AUTH") &&
	    raw_bye_is(&rc, &pp, "protocol error: expected AUTH"),
	    "message 3 without AUTH: BYE(protocol error: expected AUTH)");
	raw_free(&rc);
	pair_free(&pp);

	/* A record while the login is checked waits for the answer. */
	pair_init(&pp);
	pair_start(&pp, NULL);
	raw_login(&rc, &pp);
	raw_simple(&rc, &pp, MSG_SAY, "lobby", "hi");
	tap_ok(se_state(pp.se) == SE_AUTHWAIT && pp.logins == 1 &&
	    pp.closings == 0 && buf_used(&pp.raw) > 0,
	    "a record during the login check is not even read");
	se_auth_fail(pp.se, 2, 0, "no", 2, pp.now);
	pair_pump(&pp);
	tap_ok(raw_recv(&rc, &pp, &m) == MSG_AUTH_FAIL &&
	    closed_for(&pp, "protocol error: expected AUTH") &&
	    raw_bye_is(&rc, &pp, "protocol error: expected AUTH"),
	    "then, instead of another AUTH, it closes the session");
	raw_free(&rc);
	pair_free(&pp);

	/* The largest record: a SAY of 65,509 bytes of text. */
	pair_init(&pp);
	pp.sp.max_message = 65535;
	raw_active(&rc, &pp);
	tlen = RECORD_MAX_PLAINTEXT - 1 - 2 - 5 - 2;
	memset(msg, 'z', tlen);
	buf_init(&b, 0);
	buf_init(&r, 0);
	wire_put_simple(&b, MSG_SAY, "lobby", 5, (const char *)msg, tlen);
	raw_seal(&rc, buf_head(&b), buf_used(&b), &r);
	raw_send_pieces(&pp, buf_head(&r), buf_used(&r));
	tap_ok(buf_used(&r) == FRAME_HDRLEN + FRAME_MAX &&
	    buf_used(&pp.raw) == 0 && pp.nmsgs == 1 &&
	    pp.msglens[0] == RECORD_MAX_PLAINTEXT,
	    "the largest record, in 1,448-byte pieces, reaches the broker");
	buf_free(&b);
	buf_free(&r);
	raw_record(&rc, &pp, (const uint8_t *)"\xff", 1);
	tap_ok(closed_for(&pp, "protocol error: malformed message") &&
	    raw_bye_is(&rc, &pp, "protocol error: malformed message"),
	    "an unknown message type: BYE(protocol error: malformed message)");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	raw_active(&rc, &pp);
	raw_simple(&rc, &pp, MSG_AUTH, "alice", "pw");
	tap_ok(closed_for(&pp, "protocol error: AUTH after login") &&
	    raw_bye_is(&rc, &pp, "protocol error: already logged in"),
	    "AUTH after login: BYE(protocol error: already logged in)");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	raw_active(&rc, &pp);
	buf_init(&b, 0);
	buf_init(&r, 0);
	wire_put_simple(&b, MSG_SAY, "lobby", 5, "hi", 2);
	raw_seal(&rc, buf_head(&b), buf_used(&b), &r);
	buf_head(&r)[FRAME_HDRLEN + 3] ^= 1;
	raw_send(&pp, buf_head(&r), buf_used(&r));
	buf_free(&b);
	buf_free(&r);
	tap_ok(closed_for(&pp, "bad record (decryption failed)") &&
	    raw_bye_is(&rc, &pp, "protocol error: bad record") &&
	    pp.nmsgs == 0, "a damaged record: BYE(protocol error: bad record)");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	raw_active(&rc, &pp);
	raw_send(&pp, empty, sizeof(empty));
	tap_ok(closed_for(&pp, "bad frame") &&
	    raw_bye_is(&rc, &pp, "protocol error: bad frame"),
	    "an empty frame once there are keys: BYE(protocol error: bad "
	    "frame)");
	raw_free(&rc);
	pair_free(&pp);
}

/* ---------------------------------------------------------- section 11 */

/* What the engine asked of a key login. */
static struct {
	int	 n;
	uint8_t	 key[NOISE_KEYLEN], hs2[NOISE_HASHLEN], proof[WIRE_KEYLEN];
	char	 user[SECCHAT_NAME_MAX + 1];
} keyq;

static int
key_check(void *arg, const uint8_t key[NOISE_KEYLEN],
    const uint8_t hs2[NOISE_HASHLEN], const char *user, size_t userlen,
    const uint8_t proof[WIRE_KEYLEN])
{
	(void)arg;
	keyq.n++;
	memcpy(keyq.key, key, NOISE_KEYLEN);
	memcpy(keyq.hs2, hs2, NOISE_HASHLEN);
	memcpy(keyq.proof, proof, WIRE_KEYLEN);
	if (userlen >= sizeof(keyq.user))
		return -1;
	memcpy(keyq.user, user, userlen);
	keyq.user[userlen] = '\0';
	return 0;
}

static struct se_ops	 key_ops;

/*
 * A raw client that offers ChaCha20-Poly1305 and the capabilities caps
 * (ncaps of them) to a server that implements the extensions (or not):
 * the hello, messages 1 and 2.  sh (64 bytes) gets the server's hello,
 * *shlen its length, hs2 the handshake hash after message 2.
 */
static int
caps_msg1(struct rawc *rc, struct pair *pp, const uint8_t *caps,
    size_t ncaps, int server_ext, uint8_t *sh, size_t *shlen,
    uint8_t hs2[NOISE_HASHLEN])
{
	uint8_t			 suites[HELLO_MAX_SUITES];
	uint8_t			 prologue[128], msg[NOISE_MAX_MSG];
	size_t			 len, mlen;
	int			 n;

	if (ncaps + 1 > sizeof(suites))
		abort();
	suites[0] = SUITE_CHACHAPOLY;
	memcpy(suites + 1, caps, ncaps);
	memset(&keyq, 0, sizeof(keyq));
	key_ops = pair_ops;
	key_ops.check_key = key_check;
	pp->sp.extensions = server_ext;
	if ((pp->se = se_new(&pp->sp, &key_ops, pp, pp->now)) == NULL)
		abort();
	memset(rc, 0, sizeof(*rc));
	buf_init(&rc->in, 0);
	if ((n = hello_client_encode(rc->hello, sizeof(rc->hello), suites,
	    ncaps + 1)) <= 0)
		abort();
	rc->hellolen = (size_t)n;
	raw_send_frame(pp, rc->hello, rc->hellolen);
	if (raw_frame(rc, pp, &len) == -1 || len > 64)
		return -1;
	memcpy(sh, frame, len);
	*shlen = len;
	memcpy(prologue, rc->hello, rc->hellolen);
	memcpy(prologue + rc->hellolen, frame, len);
	if (noise_hs_init(&rc->hs, NOISE_XX, NOISE_CHACHAPOLY, 1, prologue,
	    rc->hellolen + len, cpriv, cpub, NULL) == -1 ||
	    noise_hs_write(&rc->hs, NULL, 0, msg, &mlen) == -1)
		abort();
	raw_send_frame(pp, msg, mlen);
	if (raw_frame(rc, pp, &len) == -1 ||
	    noise_hs_read(&rc->hs, frame, len, pt, &mlen) == -1)
		return -1;
	memcpy(hs2, noise_hs_hash(&rc->hs), NOISE_HASHLEN);
	return 0;
}

/* The same, offering capability 0x81 (or nothing). */
static int
ext_msg1(struct rawc *rc, struct pair *pp, int offer, int server_ext,
    size_t *shlen, uint8_t hs2[NOISE_HASHLEN])
{
	static const uint8_t	 caps[] = { HELLO_CAP_E2E };
	uint8_t			 sh[64];

	return caps_msg1(rc, pp, caps, offer ? 1 : 0, server_ext, sh, shlen,
	    hs2);
}

/* AUTH_KEY(alice, proof) of 32 bytes of 0x5a. */
static void
ext_auth_key(struct buf *b)
{
	struct wire_msg	 m;
	static uint8_t	 proof[WIRE_KEYLEN];

	memset(proof, 0x5a, sizeof(proof));
	memset(&m, 0, sizeof(m));
	m.type = MSG_AUTH_KEY;
	m.s[0].p = "alice";
	m.s[0].len = 5;
	m.s[1].p = (const char *)proof;
	m.s[1].len = sizeof(proof);
	m.ns = 2;
	if (wire_encode(b, &m) == -1)
		abort();
}

/* Message 3 with payload (AUTH_KEY when NULL). */
static int
ext_msg3(struct rawc *rc, struct pair *pp, const uint8_t *payload,
    size_t plen)
{
	uint8_t		 msg[NOISE_MAX_MSG];
	struct buf	 b;
	size_t		 mlen;
	int		 r;

	buf_init(&b, 0);
	if (payload == NULL) {
		ext_auth_key(&b);
		payload = buf_head(&b);
		plen = buf_used(&b);
	}
	r = noise_hs_write(&rc->hs, payload, plen, msg, &mlen) == -1 ||
	    noise_hs_split(&rc->hs, &rc->tx, &rc->rx) == -1 ? -1 : 0;
	buf_free(&b);
	if (r == 0)
		raw_send_frame(pp, msg, mlen);
	return r;
}

static int
str_is(const struct wire_str *s, const char *want)
{
	return s->len == strlen(want) && memcmp(s->p, want, s->len) == 0;
}

static void
test_capability(void)
{
	struct pair	 pp;
	struct rawc	 rc;
	uint8_t		 hs2[NOISE_HASHLEN];
	size_t		 shlen;

	pair_init(&pp);
	tap_ok(ext_msg1(&rc, &pp, 1, 1, &shlen, hs2) == 0 &&
	    shlen == HELLO_MAGICLEN + 2 && se_extended(pp.se),
	    "11.1: the capability offered is agreed to: \"SECCHAT1\" suite "
	    "0x81");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	tap_ok(ext_msg1(&rc, &pp, 0, 1, &shlen, hs2) == 0 &&
	    shlen == HELLO_MAGICLEN + 1 && !se_extended(pp.se),
	    "11.1: not offered, not agreed: a version 1 hello");
	raw_free(&rc);
	pair_free(&pp);

	pair_init(&pp);
	tap_ok(ext_msg1(&rc, &pp, 1, 0, &shlen, hs2) == 0 &&
	    shlen == HELLO_MAGICLEN + 1 && !se_extended(pp.se),
	    "11.1: a server without the extensions answers as version 1");
	raw_free(&rc);
	pair_free(&pp);
}

static void
test_auth_key(void)
{
	struct pair	 pp;
	struct rawc	 rc;
	struct wire_msg	 m;
	struct buf	 b;
	uint8_t		 hs2[NOISE_HASHLEN], proof[WIRE_KEYLEN];
	size_t		 shlen;

	memset(proof, 0x5a, sizeof(proof));
	/* AUTH_KEY -> AUTH_OK */
	pair_init(&pp);
	if (ext_msg1(&rc, &pp, 1, 1, &shlen, hs2) == -1 ||
	    ext_msg3(&rc, &pp, NULL, 0) == -1)
		abort();
	tap_ok(keyq.n == 1 && pp.logins == 0 &&
	    memcmp(keyq.key, cpub, KEY_LEN) == 0 &&
	    memcmp(keyq.hs2, hs2, NOISE_HASHLEN) == 0 &&
	    memcmp(keyq.proof, proof, WIRE_KEYLEN) == 0 &&
	    strcmp(keyq.user, "alice") == 0 &&
	    se_state(pp.se) == SE_AUTHWAIT,
	    "11.3: AUTH_KEY in message 3 is asked with the client's static "
	    "key, hs2 as the client has it, the user and the proof");
	tap_ok(se_logged_in(pp.se, "alice", 5, pp.now) == 0 &&
	    (pair_pump(&pp), raw_recv(&rc, &pp, &m) == MSG_AUTH_OK) &&
	    se_state(pp.se) == SE_ACTIVE, "11.3: AUTH_KEY -> AUTH_OK");
	/* Logged in, extended: KEYS and E2E go to the broker. */
	raw_simple(&rc, &pp, MSG_KEYS, "bob", NULL);
	buf_init(&b, 0);
	memset(&m, 0, sizeof(m));
	m.type = MSG_E2E;
	m.s[0].p = "bob";
	m.s[0].len = 3;
	m.s[1].p = (const char *)proof;
	m.s[1].len = sizeof(proof);
	m.s[2].p = "\x01payload";
	m.s[2].len = 8;
	m.ns = 3;
	if (wire_encode(&b, &m) == -1)
		abort();
	raw_record(&rc, &pp, buf_head(&b), buf_used(&b));
	buf_free(&b);
	tap_ok(pp.nmsgs == 2 && pair_broker_msg(&pp, 0, &m) == 0 &&
	    m.type == MSG_KEYS && pair_broker_msg(&pp, 1, &m) == 0 &&
	    m.type == MSG_E2E && se_state(pp.se) == SE_ACTIVE,
	    "11: KEYS and E2E from a logged-in extended session go to the "
	    "broker");
	buf_init(&b, 0);
	ext_auth_key(&b);
	raw_record(&rc, &pp, buf_head(&b), buf_used(&b));
	buf_free(&b);
	tap_ok(closed_for(&pp, "protocol error: AUTH after login"),
	    "11.3: AUTH_KEY after login is a protocol error");
	raw_free(&rc);
	pair_free(&pp);

	/* AUTH_KEY -> AUTH_MORE, then AUTH -> AUTH_OK */
	pair_init(&pp);
	if (ext_msg1(&rc, &pp, 1, 1, &shlen, hs2) == -1 ||
	    ext_msg3(&rc, &pp, NULL, 0) == -1)
		abort();
	tap_ok(se_auth_more(pp.se, "password", 8, pp.now) == 0 &&
	    (pair_pump(&pp), raw_recv(&rc, &pp, &m) == MSG_AUTH_MORE) &&
	    str_is(&m.s[0], "password") && se_state(pp.se) == SE_AUTHRETRY,
	    "11.3: AUTH_KEY -> AUTH_MORE(password)");
	raw_simple(&rc, &pp, MSG_AUTH, "alice", "pw-alice");
	tap_ok(pp.logins == 1 && strcmp(pp.login_user, "alice") == 0 &&
	    strcmp(pp.login_pw, "pw-alice") == 0 &&
	    memcmp(pp.login_key, cpub, KEY_LEN) == 0 &&
	    se_state(pp.se) == SE_AUTHWAIT, "11.3: then AUTH is checked");
	tap_ok(se_logged_in(pp.se, "alice", 5, pp.now) == 0 &&
	    (pair_pump(&pp), raw_recv(&rc, &pp, &m) == MSG_AUTH_OK),
	    "11.3: ... -> AUTH_OK");
	raw_free(&rc);
	pair_free(&pp);

	/* AUTH_KEY -> AUTH_FAIL, then AUTH; a second AUTH_KEY is refused. */
	pair_init(&pp);
	if (ext_msg1(&rc, &pp, 1, 1, &shlen, hs2) == -1 ||
	    ext_msg3(&rc, &pp, NULL, 0) == -1)
		abort();
	tap_ok(se_auth_fail(pp.se, 3, 0, "key not accepted", 16,
	    pp.now) == 0 && (pair_pump(&pp), raw_recv(&rc, &pp, &m) ==
	    MSG_AUTH_FAIL) && m.byte == 3 && str_is(&m.s[0],
	    "key not accepted") && se_state(pp.se) == SE_AUTHRETRY,
	    "11.3: AUTH_KEY -> AUTH_FAIL(3, key not accepted)");
	raw_simple(&rc, &pp, MSG_AUTH, "alice", "pw-alice");
	tap_ok(pp.logins == 1 && se_state(pp.se) == SE_AUTHWAIT,
	    "11.3: then an AUTH is checked");
	(void)se_auth_fail(pp.se, 2, 0, "invalid user name or password", 29,
	    pp.now);
	pair_pump(&pp);
	(void)raw_recv(&rc, &pp, &m);
	buf_init(&b, 0);
	ext_auth_key(&b);
	raw_record(&rc, &pp, buf_head(&b), buf_used(&b));
	buf_free(&b);
	tap_ok(keyq.n == 1 && closed_for(&pp, "protocol error: expected AUTH"),
	    "11.3: a second AUTH_KEY is a protocol error");
	raw_free(&rc);
	pair_free(&pp);

	/* AUTH_KEY on a plain session. */
	pair_init(&pp);
	if (ext_msg1(&rc, &pp, 0, 1, &shlen, hs2) == -1 ||
	    ext_msg3(&rc, &pp, NULL, 0) == -1)
		abort();
	tap_ok(keyq.n == 0 && closed_for(&pp, "protocol error: expected AUTH")
	    && raw_bye_is(&rc, &pp, "protocol error: expected AUTH"),
	    "11: AUTH_KEY in message 3 of a plain session: BYE(protocol "
	    "error: expected AUTH)");
	raw_free(&rc);
	pair_free(&pp);
}

/* Every extended-only type is malformed on a plain session. */
static void
test_plain_refuses(void)
{
	static const uint8_t	 types[] = { MSG_KEYS, MSG_E2E, MSG_AWAY,
				    MSG_WHOIS };
	struct pair		 pp;
	struct rawc		 rc;
	struct wire_msg		 m;
	struct buf		 b;
	uint8_t			 dev[WIRE_KEYLEN];
	size_t			 i;

	memset(dev, 1, sizeof(dev));
	for (i = 0; i < sizeof(types); i++) {
		pair_init(&pp);
		raw_active(&rc, &pp);
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		m.s[0].p = "bob";
		m.s[0].len = 3;
		m.s[1].p = (const char *)dev;
		m.s[1].len = sizeof(dev);
		m.s[2].p = "x";
		m.s[2].len = 1;
		m.ns = types[i] == MSG_E2E ? 3 : 1;
		buf_init(&b, 0);
		if (wire_encode(&b, &m) == -1)
			abort();
		raw_record(&rc, &pp, buf_head(&b), buf_used(&b));
		buf_free(&b);
		tap_ok(pp.nmsgs == 0 && closed_for(&pp,
		    "protocol error: extension on a plain session") &&
		    raw_bye_is(&rc, &pp, "protocol error: malformed message"),
		    "11: %s on a logged-in plain session: BYE(protocol "
		    "error: malformed message)", wire_type_name(types[i]));
		raw_free(&rc);
		pair_free(&pp);
	}
	/* Before login, on a plain session: in message 3 and as a retry. */
	for (i = 0; i < sizeof(types); i++) {
		pair_init(&pp);
		if (pair_start(&pp, NULL) == -1)
			abort();
		memset(&m, 0, sizeof(m));
		m.type = types[i];
		m.s[0].p = "bob";
		m.s[0].len = 3;
		m.s[1].p = (const char *)dev;
		m.s[1].len = sizeof(dev);
		m.s[2].p = "x";
		m.s[2].len = 1;
		m.ns = types[i] == MSG_E2E ? 3 : 1;
		buf_init(&b, 0);
		if (wire_encode(&b, &m) == -1 ||
		    raw_handshake(&rc, &pp, buf_head(&b), buf_used(&b)) == -1)
			abort();
		buf_free(&b);
		tap_ok(pp.nmsgs == 0 && pp.logins == 0 &&
		    closed_for(&pp, "protocol error: expected AUTH"),
		    "11: %s in message 3 of a plain session is a protocol "
		    "error", wire_type_name(types[i]));
		raw_free(&rc);
		pair_free(&pp);
	}
}

/* ---------------------------------------------------------- section 11.9 */

static const uint8_t	 both_caps[] = { HELLO_CAP_E2E, HELLO_CAP_BATCH };
static const uint8_t	 e2e_cap[] = { HELLO_CAP_E2E };

/*
 * A raw client offering caps (ncaps of them) to a server with the
 * extensions, logged in by AUTH in message 3, AUTH_OK read: what the
 * server sends from here on is the broker's and its own.
 */
static void
caps_active(struct rawc *rc, struct pair *pp, const uint8_t *caps,
    size_t ncaps)
{
	struct buf	 auth;
	struct wire_msg	 m;
	uint8_t		 sh[64], hs2[NOISE_HASHLEN];
	size_t		 shlen;

	buf_init(&auth, 0);
	if (wire_put_simple(&auth, MSG_AUTH, "alice", 5, "pw", 2) == -1 ||
	    caps_msg1(rc, pp, caps, ncaps, 1, sh, &shlen, hs2) == -1 ||
	    ext_msg3(rc, pp, buf_head(&auth), buf_used(&auth)) == -1 ||
	    se_logged_in(pp->se, "alice", 5, pp->now) == -1)
		abort();
	buf_free(&auth);
	pair_pump(pp);
	if (raw_recv(rc, pp, &m) != MSG_AUTH_OK)
		abort();
}

/* A NOTICE of exactly len bytes encoded (len >= 3), its text all fill. */
static void
notice_of(struct buf *b, size_t len, char fill)
{
	static char	 text[RECORD_MAX_PLAINTEXT];

	if (len < 3 || len - 3 > sizeof(text))
		abort();
	memset(text, fill, len - 3);
	buf_init(b, 0);
	if (wire_put_simple(b, MSG_NOTICE, text, len - 3, NULL, 0) == -1 ||
	    buf_used(b) != len)
		abort();
}

#define RECS_MAX	16

/* The server's records as the raw client opened them. */
struct recs {
	uint8_t		*pt[RECS_MAX];
	size_t		 len[RECS_MAX];
	int		 n;		/* read, even past RECS_MAX */
	int		 bad;		/* one did not open */
};

/* Open every record the server has sent so far. */
static void
recs_take(struct recs *rs, struct rawc *rc, struct pair *pp)
{
	size_t	 len, ptlen;

	while (!rs->bad && raw_frame(rc, pp, &len) == 0) {
		if (record_open(&rc->rx, frame, len, pt, &ptlen) == -1) {
			rs->bad = 1;
			break;
		}
		if (rs->n < RECS_MAX) {
			if ((rs->pt[rs->n] = malloc(ptlen)) == NULL)
				abort();
			memcpy(rs->pt[rs->n], pt, ptlen);
			rs->len[rs->n] = ptlen;
		}
		rs->n++;
	}
}

static void
recs_free(struct recs *rs)
{
	int	 i;

	for (i = 0; i < rs->n && i < RECS_MAX; i++)
		free(rs->pt[i]);
	memset(rs, 0, sizeof(*rs));
}

/* Is record i a BATCH of count messages (decoded as a client would)? */
static int
rec_is_batch(const struct recs *rs, int i, uint16_t count)
{
	struct wire_msg	 m;

	return i < rs->n && i < RECS_MAX &&
	    wire_decode(rs->pt[i], rs->len[i], FROM_SERVER, &m) == 0 &&
	    m.type == MSG_BATCHREC && m.count == count;
}

/* Is record i the message want alone, not in a BATCH? */
static int
rec_is_plain(const struct recs *rs, int i, const struct buf *want)
{
	struct wire_msg	 m;

	return i < rs->n && i < RECS_MAX && rs->len[i] == buf_used(want) &&
	    memcmp(rs->pt[i], buf_head(want), rs->len[i]) == 0 &&
	    wire_decode(rs->pt[i], rs->len[i], FROM_SERVER, &m) == 0 &&
	    m.type != MSG_BATCHREC;
}

/*
 * Do the first nrecs records hold the messages want (n of them), each
 * once and in order, every record at most RECORD_MAX_PLAINTEXT bytes and
 * valid from a server, a BATCH's messages taken out as the client takes
 * them?
 */
static int
recs_hold(const struct recs *rs, int nrecs, const struct buf *want, int n)
{
	struct wire_msg	 m;
	struct reader	 r;
	const uint8_t	*msg;
	size_t		 len;
	int		 i, k = 0;

	if (rs->bad || nrecs > rs->n || nrecs > RECS_MAX)
		return 0;
	for (i = 0; i < nrecs; i++) {
		if (rs->len[i] > RECORD_MAX_PLAINTEXT ||
		    wire_decode(rs->pt[i], rs->len[i], FROM_SERVER, &m) == -1)
			return 0;
		if (m.type != MSG_BATCHREC) {
			if (k >= n || rs->len[i] != buf_used(&want[k]) ||
			    memcmp(rs->pt[i], buf_head(&want[k]),
			    rs->len[i]) != 0)
				return 0;
			k++;
			continue;
		}
		rd_init(&r, m.list, m.listlen);
		while (wire_batch_next(&r, &msg, &len)) {
			if (k >= n || len != buf_used(&want[k]) ||
			    memcmp(msg, buf_head(&want[k]), len) != 0)
				return 0;
			k++;
		}
		if (r.err)
			return 0;
	}
	return k == n;
}

/* se_app() each message of want (n of them), taking what comes out. */
static int
app_all(struct recs *rs, struct rawc *rc, struct pair *pp,
    const struct buf *want, int n)
{
	int	 i;

	for (i = 0; i < n; i++) {
		if (se_app(pp->se, buf_head(&want[i]), buf_used(&want[i]),
		    pp->now) != 0)
			return -1;
		recs_take(rs, rc, pp);
	}
	return 0;
}

static void
bufs_free(struct buf *b, int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		buf_free(&b[i]);
}

static void
test_batch_hello(void)
{
	static const struct {
		const uint8_t	*caps;
		size_t		 ncaps;
		int		 server_ext;
		const char	*reply;
		size_t		 replylen;
		const char	*what;
	} t[] = {
		{ both_caps, 2, 1, "SECCHAT1\x02\x81\x82", 11,
		    "0x81 and 0x82 offered: both agreed to" },
		{ e2e_cap, 1, 1, "SECCHAT1\x02\x81", 10,
		    "only 0x81 offered: only 0x81 agreed to" },
		{ both_caps + 1, 1, 1, "SECCHAT1\x02\x82", 10,
		    "only 0x82 offered: only 0x82 agreed to" },
		{ both_caps, 2, 0, "SECCHAT1\x02", 9,
		    "a server without the extensions agrees to neither" },
	};
	struct pair	 pp;
	struct rawc	 rc;
	uint8_t		 sh[64], hs2[NOISE_HASHLEN];
	size_t		 i, shlen;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		pair_init(&pp);
		tap_ok(caps_msg1(&rc, &pp, t[i].caps, t[i].ncaps,
		    t[i].server_ext, sh, &shlen, hs2) == 0 &&
		    shlen == t[i].replylen &&
		    memcmp(sh, t[i].reply, shlen) == 0 &&
		    sh[HELLO_MAGICLEN] == SUITE_CHACHAPOLY &&
		    se_state(pp.se) == SE_HS3,
		    "11.9: %s, and the handshake goes on", t[i].what);
		raw_free(&rc);
		pair_free(&pp);
	}
}

static void
test_batch_records(void)
{
	static const char	*texts[3] = { "one", "two", "three" };
	struct pair		 pp;
	struct rawc		 rc;
	struct recs		 rs;
	struct buf		 want[3];
	struct wire_msg		 m;
	struct cs_event		*ev;
	const uint8_t		*fp;
	size_t			 flen, fused;
	int			 i, good;

	memset(&rs, 0, sizeof(rs));
	for (i = 0; i < 3; i++) {
		buf_init(&want[i], 0);
		if (wire_put_simple(&want[i], MSG_NOTICE, texts[i],
		    strlen(texts[i]), NULL, 0) == -1)
			abort();
	}

	/* Three messages, one record. */
	pair_init(&pp);
	caps_active(&rc, &pp, both_caps, 2);
	tap_ok(app_all(&rs, &rc, &pp, want, 3) == 0 && rs.n == 0 &&
	    buf_used(se_output(pp.se)) == 0,
	    "11.9: the broker's messages wait for the flush");
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 1 && rec_is_batch(&rs, 0, 3) &&
	    recs_hold(&rs, rs.n, want, 3),
	    "11.9: three messages, then the flush: one record, a BATCH of "
	    "the three in order");
	recs_free(&rs);
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 0, "11.9: a flush with nothing waiting sends nothing");

	/* One message: a record of its own. */
	tap_ok(app_all(&rs, &rc, &pp, want + 1, 1) == 0 && rs.n == 0,
	    "11.9: a lone message waits for the flush too");
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 1 && rec_is_plain(&rs, 0, &want[1]),
	    "11.9: one message, then the flush: a plain record, not a BATCH");
	recs_free(&rs);
	raw_free(&rc);
	pair_free(&pp);

	/* Without 0x82 agreed nothing waits. */
	for (i = 0; i < 2; i++) {
		pair_init(&pp);
		if (i == 0)
			caps_active(&rc, &pp, e2e_cap, 1);
		else {
			/* Offered, to a server without the extensions. */
			pp.sp.extensions = 0;
			if (pair_start(&pp, NULL) == -1 ||
			    raw_login(&rc, &pp) == -1 ||
			    se_logged_in(pp.se, "alice", 5, pp.now) == -1 ||
			    (pair_pump(&pp), raw_recv(&rc, &pp, &m)) !=
			    MSG_AUTH_OK)
				abort();
		}
		good = app_all(&rs, &rc, &pp, want, 3) == 0 && rs.n == 3;
		se_flush_app(pp.se, pp.now);
		recs_take(&rs, &rc, &pp);
		tap_ok(good && rs.n == 3 && rec_is_plain(&rs, 0, &want[0]) &&
		    rec_is_plain(&rs, 1, &want[1]) &&
		    rec_is_plain(&rs, 2, &want[2]),
		    "11.9: %s: three messages are three records before any "
		    "flush, and the flush adds none", i == 0 ?
		    "only 0x81 agreed" : "a version 1 client");
		recs_free(&rs);
		raw_free(&rc);
		pair_free(&pp);
	}

	/* The real client at the other end takes a BATCH apart. */
	pair_init(&pp);
	pp.sp.extensions = 1;
	to_active(&pp);
	for (i = 0; i < 3; i++)
		pair_app_simple(&pp, MSG_NOTICE, texts[i], NULL);
	se_flush_app(pp.se, pp.now);
	tap_ok(frame_parse(buf_head(se_output(pp.se)),
	    buf_used(se_output(pp.se)), &fp, &flen, &fused) == 1 &&
	    fused == buf_used(se_output(pp.se)),
	    "11.9: the real client's session: one frame for three messages");
	pair_pump(&pp);
	good = 1;
	for (i = 0; i < 3; i++) {
		ev = pair_event(&pp, CS_EV_NOTICE);
		good = good && ev != NULL && strcmp(ev->text, texts[i]) == 0;
		cs_event_free(ev);
	}
	tap_ok(good && cs_event_next(pp.cs) == NULL && !cs_finished(pp.cs),
	    "11.9: and the client gives three NOTICE events, in order");
	pair_free(&pp);
	bufs_free(want, 3);
}

/* The engine's own records go after what waits in a batch. */
static void
test_batch_order(void)
{
	struct pair	 pp;
	struct rawc	 rc;
	struct recs	 rs;
	struct buf	 want[2], ping;
	struct wire_msg	 m;

	memset(&rs, 0, sizeof(rs));
	notice_of(&want[0], 10, 'a');
	notice_of(&want[1], 20, 'b');

	/* The keepalive's PING. */
	pair_init(&pp);
	caps_active(&rc, &pp, both_caps, 2);
	app_all(&rs, &rc, &pp, want, 2);
	pair_advance(&pp, 60 * 1000);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 2 && rec_is_batch(&rs, 0, 2) &&
	    recs_hold(&rs, 1, want, 2) && rs.len[1] > 0 &&
	    rs.pt[1][0] == MSG_PING,
	    "11.9: a PING due with messages waiting: the BATCH first, then "
	    "the PING");
	recs_free(&rs);
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 0, "11.9: and nothing waits after it");
	recs_free(&rs);

	/* The answer to the client's PING. */
	app_all(&rs, &rc, &pp, want, 1);
	memset(&m, 0, sizeof(m));
	m.type = MSG_PING;
	m.token = 7;
	buf_init(&ping, 0);
	if (wire_encode(&ping, &m) == -1)
		abort();
	raw_record(&rc, &pp, buf_head(&ping), buf_used(&ping));
	buf_free(&ping);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 2 && rec_is_plain(&rs, 0, &want[0]) &&
	    rs.len[1] > 0 && rs.pt[1][0] == MSG_PONG,
	    "11.9: the client's PING with a message waiting: the message, "
	    "then the PONG");
	recs_free(&rs);

	/* The BYE of a shutdown. */
	app_all(&rs, &rc, &pp, want, 2);
	se_shutdown(pp.se, "server shutting down", pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 2 && rec_is_batch(&rs, 0, 2) &&
	    rs.len[1] > 0 && rs.pt[1][0] == MSG_BYE &&
	    se_state(pp.se) == SE_CLOSING,
	    "11.9: a shutdown with messages waiting: the BATCH, then the BYE");
	recs_free(&rs);
	raw_free(&rc);
	pair_free(&pp);

	/* A close that sends no BYE still sends what was waiting. */
	pair_init(&pp);
	caps_active(&rc, &pp, both_caps, 2);
	app_all(&rs, &rc, &pp, want, 2);
	se_close(pp.se, NULL, "closed without a word", pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 1 && rec_is_batch(&rs, 0, 2) &&
	    recs_hold(&rs, 1, want, 2) && se_state(pp.se) == SE_CLOSING,
	    "11.9: a close without BYE with messages waiting: the BATCH "
	    "still goes out");
	recs_free(&rs);
	raw_free(&rc);
	pair_free(&pp);
	bufs_free(want, 2);
}

/* Records stay within RECORD_MAX_PLAINTEXT, and nothing is lost or moved. */
static void
test_batch_limits(void)
{
	/*
	 * A BATCH of the first three is 3 + 20,002 + 30,002 + 15,002 =
	 * 65,009 bytes, so the fourth starts the next; 65,000 bytes still
	 * fit a BATCH of their own; 32,000 and 33,514 together are 2 bytes
	 * too many, so 32,000 goes alone.
	 */
	static const size_t	 sizes[] = { 20000, 30000, 15000, 40000, 100,
	    65000, 3, 32000, 33514, 3 };
	enum { NSIZES = sizeof(sizes) / sizeof(sizes[0]) };
	struct pair		 pp;
	struct rawc		 rc;
	struct recs		 rs;
	struct buf		 want[NSIZES];
	size_t			 half, alone;
	int			 i, good;

	memset(&rs, 0, sizeof(rs));
	for (i = 0; i < NSIZES; i++)
		notice_of(&want[i], sizes[i], (char)('a' + i));
	pair_init(&pp);
	caps_active(&rc, &pp, both_caps, 2);
	good = app_all(&rs, &rc, &pp, want, NSIZES) == 0 && rs.n == 4;
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(good && rs.n == 5 && recs_hold(&rs, rs.n, want, NSIZES) &&
	    rec_is_batch(&rs, 0, 3) && rec_is_batch(&rs, 1, 2) &&
	    rec_is_batch(&rs, 2, 2) && rec_is_plain(&rs, 3, &want[7]) &&
	    rec_is_batch(&rs, 4, 2),
	    "11.9: %d messages of %zu to 65,000 bytes: a record is sealed "
	    "as soon as the next would not fit, each within the limit, every "
	    "message once and in order", NSIZES, sizes[6]);
	recs_free(&rs);
	bufs_free(want, NSIZES);

	/* The largest message: alone, at once. */
	notice_of(&want[0], 10, 'a');
	notice_of(&want[1], RECORD_MAX_PLAINTEXT, 'b');
	app_all(&rs, &rc, &pp, want, 2);
	tap_ok(rs.n == 2 && rec_is_plain(&rs, 0, &want[0]) &&
	    rec_is_plain(&rs, 1, &want[1]) &&
	    rs.len[1] == RECORD_MAX_PLAINTEXT,
	    "11.9: a NOTICE of RECORD_MAX_PLAINTEXT bytes goes at once as a "
	    "plain record, after the message waiting before it");
	recs_free(&rs);
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(rs.n == 0, "11.9: leaving nothing for the flush");
	recs_free(&rs);
	bufs_free(want, 2);

	/* The largest message a BATCH could hold, and one byte more. */
	alone = RECORD_MAX_PLAINTEXT - BATCH_HDRLEN - BATCH_ENTRY_HDRLEN;
	notice_of(&want[0], alone, 'a');
	notice_of(&want[1], alone + 1, 'b');
	good = app_all(&rs, &rc, &pp, want, 1) == 0 && rs.n == 0;
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(good && rs.n == 1 && rec_is_plain(&rs, 0, &want[0]),
	    "11.9: a message of %zu bytes, which a BATCH could hold alone, "
	    "waits for the flush and goes as a plain record", alone);
	recs_free(&rs);
	good = app_all(&rs, &rc, &pp, want + 1, 1) == 0 && rs.n == 1 &&
	    rec_is_plain(&rs, 0, &want[1]);
	recs_free(&rs);
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(good && rs.n == 0 && se_state(pp.se) == SE_ACTIVE,
	    "11.9: one byte more cannot fit beside a BATCH's headers: it goes "
	    "at once, on its own");
	recs_free(&rs);
	bufs_free(want, 2);

	/* A BATCH of exactly RECORD_MAX_PLAINTEXT bytes, then 1 more. */
	half = (RECORD_MAX_PLAINTEXT - BATCH_HDRLEN) / 2 - BATCH_ENTRY_HDRLEN;
	if (BATCH_HDRLEN + 2 * (BATCH_ENTRY_HDRLEN + half) !=
	    RECORD_MAX_PLAINTEXT)
		abort();
	notice_of(&want[0], half, 'a');
	notice_of(&want[1], half, 'b');
	notice_of(&want[2], 3, 'c');
	good = app_all(&rs, &rc, &pp, want, 3) == 0 && rs.n == 1;
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(good && rs.n == 2 && rec_is_batch(&rs, 0, 2) &&
	    rs.len[0] == RECORD_MAX_PLAINTEXT &&
	    rec_is_plain(&rs, 1, &want[2]) && recs_hold(&rs, rs.n, want, 3),
	    "11.9: two messages of %zu bytes fill a BATCH to exactly "
	    "RECORD_MAX_PLAINTEXT; the next goes in the next record", half);
	recs_free(&rs);
	bufs_free(want, 3);

	notice_of(&want[0], half, 'a');
	notice_of(&want[1], half + 1, 'b');
	good = app_all(&rs, &rc, &pp, want, 2) == 0 && rs.n == 1;
	se_flush_app(pp.se, pp.now);
	recs_take(&rs, &rc, &pp);
	tap_ok(good && rs.n == 2 && rec_is_plain(&rs, 0, &want[0]) &&
	    rec_is_plain(&rs, 1, &want[1]),
	    "11.9: one byte more and the second goes in a record of its own");
	recs_free(&rs);
	bufs_free(want, 2);
	tap_ok(se_state(pp.se) == SE_ACTIVE && pp.closings == 0,
	    "11.9: and the session lives on");
	raw_free(&rc);
	pair_free(&pp);
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	randombytes_buf(cpriv, sizeof(cpriv));
	crypto_scalarmult_base(cpub, cpriv);
	test_suites();
	test_dh();
	test_login();
	test_messages();
	test_flood();
	test_output_full();
	test_leaving();
	test_malformed();
	test_capability();
	test_auth_key();
	test_plain_refuses();
	test_batch_hello();
	test_batch_records();
	test_batch_order();
	test_batch_limits();
	return tap_done();
}
