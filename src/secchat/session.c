/*
 * session.c: the client's protocol engine, without I/O.
 *
 * Hello, Noise XX as initiator, AUTH inside message 3, then one application
 * message per transport record.  Everything the server sends is decoded
 * strictly; the first thing that does not fit ends the session.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
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

#define HELLO_CLIENT_MAX	(HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES)
#define INPUT_MAX		(FRAME_HDRLEN + FRAME_MAX)

struct csession {
	enum cs_state		 state;
	struct buf		 in;
	struct buf		 out;
	struct cs_event		*evhead;
	struct cs_event		**evtail;

	uint8_t			 priv[KEY_LEN];	/* until the handshake starts */
	uint8_t			 pub[KEY_LEN];
	uint8_t			 suites[HELLO_MAX_SUITES];
	size_t			 nsuites;
	uint8_t			 hello[HELLO_CLIENT_MAX];
	size_t			 hellolen;
	uint8_t			 suite;
	char			 user[SECCHAT_NAME_MAX + 1];
	char			*password;	/* until AUTH is sent */
	size_t			 passwordlen;
	uint8_t			 expect_key[KEY_LEN];
	int			 has_expect_key;

	struct noise_handshake	 hs;
	uint8_t			 server_key[KEY_LEN];
	int			 has_server_key;
	struct noise_cipherstate tx, rx;
	int			 transport;	/* tx and rx are set */
	int			 authenticated;
	int			 auth_exhausted; /* AUTH_FAIL, no tries left */
	int			 bye_sent;
	int			 bye_received;
	int			 failed;
};

static void	cs_fail(struct csession *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- events */

/* A new event, not yet queued. */
static struct cs_event *
ev_alloc(enum cs_event_type type)
{
	struct cs_event	*ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->type = type;
	ev->time = now_ms();
	return ev;
}

static void
ev_push(struct csession *cs, struct cs_event *ev)
{
	*cs->evtail = ev;
	cs->evtail = &ev->next;
}

/* A new event at the end of the queue. */
static struct cs_event *
ev_new(struct csession *cs, enum cs_event_type type)
{
	struct cs_event	*ev;

	if ((ev = ev_alloc(type)) != NULL)
		ev_push(cs, ev);
	return ev;
}

struct cs_event *
cs_event_next(struct csession *cs)
{
	struct cs_event	*ev = cs->evhead;

	if (ev == NULL)
		return NULL;
	if ((cs->evhead = ev->next) == NULL)
		cs->evtail = &cs->evhead;
	ev->next = NULL;
	return ev;
}

void
cs_event_free(struct cs_event *ev)
{
	size_t	 i;

	if (ev == NULL)
		return;
	free(ev->room);
	free(ev->user);
	free(ev->text);
	for (i = 0; i < ev->nnames; i++)
		free(ev->names[i]);
	free(ev->names);
	for (i = 0; i < ev->nrooms; i++)
		free(ev->rooms[i].name);
	free(ev->rooms);
	free(ev);
}

/* Forget the secrets the session still holds. */
static void
cs_wipe_secrets(struct csession *cs)
{
	sodium_memzero(cs->priv, sizeof(cs->priv));
	if (cs->password != NULL) {
		sodium_memzero(cs->password, cs->passwordlen);
		free(cs->password);
		cs->password = NULL;
		cs->passwordlen = 0;
	}
	noise_hs_clear(&cs->hs);
}

/*
 * The session is over.  If the transport is up, tell the server why in a
 * BYE before the caller closes: a damaged record does not spoil our
 * sending direction.
 */
static void
cs_fail(struct csession *cs, const char *fmt, ...)
{
	struct cs_event	*ev;
	va_list		 ap;
	char		 msg[256];

	if (cs->state == CS_ST_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cs->transport && !cs->bye_sent) {
		struct buf	 pt;

		buf_init(&pt, RECORD_MAX_PLAINTEXT);
		if (wire_put_simple(&pt, MSG_BYE, "protocol error", 14, NULL,
		    0) == 0)
			(void)record_seal(&cs->tx, buf_head(&pt), buf_used(&pt),
			    &cs->out);
		buf_free(&pt);
		cs->bye_sent = 1;
	}
	cs->state = CS_ST_DONE;
	cs->failed = 1;
	cs_wipe_secrets(cs);
	buf_reset(&cs->in);
	if ((ev = ev_new(cs, CS_EV_ERROR)) != NULL)
		ev->text = strdup(msg);
}

/* ---------------------------------------------------------------- setup */

struct csession *
cs_new(const struct cs_params *p)
{
	struct csession	*cs;
	int		 n;

	if (p->priv == NULL || p->pub == NULL || p->suites == NULL ||
	    p->nsuites == 0 || p->nsuites > HELLO_MAX_SUITES)
		return NULL;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->evtail = &cs->evhead;
	buf_init(&cs->in, INPUT_MAX);
	buf_init(&cs->out, CS_OUTPUT_MAX);
	memcpy(cs->priv, p->priv, KEY_LEN);
	memcpy(cs->pub, p->pub, KEY_LEN);
	memcpy(cs->suites, p->suites, p->nsuites);
	cs->nsuites = p->nsuites;
	if ((p->user != NULL || p->password != NULL) &&
	    cs_set_login(cs, p->user, p->password, p->passwordlen) != 0)
		goto fail;
	if (p->server_key != NULL) {
		memcpy(cs->expect_key, p->server_key, KEY_LEN);
		cs->has_expect_key = 1;
	}
	n = hello_client_encode(cs->hello, sizeof(cs->hello), cs->suites,
	    cs->nsuites);
	if (n <= 0)
		goto fail;
	cs->hellolen = (size_t)n;
	if (frame_append(&cs->out, cs->hello, cs->hellolen) == -1)
		goto fail;
	cs->state = CS_ST_HELLO;
	return cs;
 fail:
	cs_free(cs);
	return NULL;
}

void
cs_free(struct csession *cs)
{
	struct cs_event	*ev;

	if (cs == NULL)
		return;
	cs_wipe_secrets(cs);
	noise_cs_clear(&cs->tx);
	noise_cs_clear(&cs->rx);
	buf_free(&cs->in);
	buf_free(&cs->out);
	while ((ev = cs_event_next(cs)) != NULL)
		cs_event_free(ev);
	sodium_memzero(cs, sizeof(*cs));
	free(cs);
}

struct buf *
cs_output(struct csession *cs)
{
	return &cs->out;
}

enum cs_state
cs_state(const struct csession *cs)
{
	return cs->state;
}

int
cs_finished(const struct csession *cs)
{
	return cs->state == CS_ST_DONE;
}

int
cs_bye_sent(const struct csession *cs)
{
	return cs->bye_sent;
}

uint8_t
cs_suite(const struct csession *cs)
{
	return cs->suite;
}

const uint8_t *
cs_server_key(const struct csession *cs)
{
	return cs->has_server_key ? cs->server_key : NULL;
}

const char *
cs_user(const struct csession *cs)
{
	return cs->user;
}

/* ---------------------------------------------------------------- handshake */

static int
offered(const struct csession *cs, uint8_t suite)
{
	size_t	 i;

	for (i = 0; i < cs->nsuites; i++)
		if (cs->suites[i] == suite)
			return 1;
	return 0;
}

static void
handle_hello(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 prologue[HELLO_CLIENT_MAX + FRAME_MAX];
	uint8_t		 msg[NOISE_MAX_MSG];
	char		 reason[HELLO_REASON_MAX + 1];
	enum noise_cipher cipher;
	struct cs_event	*ev;
	size_t		 msglen;
	uint8_t		 suite;

	if (hello_server_decode(p, len, &suite, reason, sizeof(reason)) == -1) {
		cs_fail(cs, "malformed hello from the server "
		    "(not a secchat server?)");
		return;
	}
	if (suite == SUITE_NONE) {
		cs->state = CS_ST_DONE;
		cs_wipe_secrets(cs);
		if ((ev = ev_new(cs, CS_EV_REFUSED)) != NULL)
			ev->text = strdup(reason);
		return;
	}
	if (!offered(cs, suite) || (cipher = suite_cipher(suite)) == 0) {
		cs_fail(cs, "the server chose cipher suite 0x%02x, which we "
		    "did not offer", suite);
		return;
	}
	cs->suite = suite;

	/* The prologue binds both hellos into the handshake. */
	memcpy(prologue, cs->hello, cs->hellolen);
	memcpy(prologue + cs->hellolen, p, len);
	if (noise_hs_init(&cs->hs, NOISE_XX, cipher, 1, prologue,
	    cs->hellolen + len, cs->priv, cs->pub, NULL) == -1) {
		cs_fail(cs, "cannot start the handshake");
		return;
	}
	sodium_memzero(cs->priv, sizeof(cs->priv));
	if (noise_hs_write(&cs->hs, NULL, 0, msg, &msglen) == -1 ||
	    frame_append(&cs->out, msg, msglen) == -1) {
		cs_fail(cs, "cannot write handshake message 1");
		return;
	}
	cs->state = CS_ST_HANDSHAKE;
}

static void
handle_msg2(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 payload[NOISE_MAX_MSG];
	const uint8_t	*rs;
	struct cs_event	*ev;
	size_t		 plen;

	if (noise_hs_read(&cs->hs, p, len, payload, &plen) == -1) {
		cs_fail(cs, "handshake failed: the server's message 2 does "
		    "not decrypt");
		return;
	}
	if (plen != 0) {
		cs_fail(cs, "handshake message 2 carries a payload");
		return;
	}
	if (noise_hs_status(&cs->hs) != NOISE_HS_WRITE ||
	    (rs = noise_hs_remote_static(&cs->hs)) == NULL) {
		cs_fail(cs, "handshake failed after message 2");
		return;
	}
	memcpy(cs->server_key, rs, KEY_LEN);
	cs->has_server_key = 1;
	cs->state = CS_ST_VERDICT;
	if (cs->has_expect_key) {
		if (sodium_memcmp(cs->server_key, cs->expect_key, KEY_LEN) != 0)
			cs_fail(cs, "the server's key is not the expected one");
		else if (cs_verdict(cs, 1) != 0)
			cs_fail(cs, "no user name and password to send");
		return;
	}
	if ((ev = ev_new(cs, CS_EV_SERVER_KEY)) == NULL) {
		cs_fail(cs, "out of memory");
		return;
	}
	memcpy(ev->key, cs->server_key, KEY_LEN);
}

static int
valid_password(const char *pw, size_t len)
{
	return pw != NULL && len >= 1 && len <= CS_PASSWORD_MAX;
}

int
cs_set_login(struct csession *cs, const char *user, const char *password,
    size_t len)
{
	char	*copy = NULL;

	if (cs->state != CS_ST_HELLO && cs->state != CS_ST_HANDSHAKE &&
	    cs->state != CS_ST_VERDICT)
		return CS_E_STATE;
	if (user != NULL && !valid_username(user, strlen(user)))
		return CS_E_NAME;
	if (password != NULL) {
		if (!valid_password(password, len))
			return CS_E_TEXT;
		if ((copy = malloc(len)) == NULL)
			return CS_E_NOMEM;
		memcpy(copy, password, len);
	}
	if (user != NULL)
		strlcpy(cs->user, user, sizeof(cs->user));
	if (copy != NULL) {
		if (cs->password != NULL) {
			sodium_memzero(cs->password, cs->passwordlen);
			free(cs->password);
		}
		cs->password = copy;
		cs->passwordlen = len;
	}
	return 0;
}

/* Encode AUTH(user, password) into pt; the caller wipes it. */
static int
put_auth(struct csession *cs, struct buf *pt, const char *pw, size_t pwlen)
{
	return wire_put_simple(pt, MSG_AUTH, cs->user, strlen(cs->user), pw,
	    pwlen);
}

int
cs_verdict(struct csession *cs, int accept)
{
	uint8_t		 msg[NOISE_MAX_MSG];
	struct buf	 pt;
	size_t		 msglen;
	int		 rc;

	if (cs->state != CS_ST_VERDICT)
		return CS_E_STATE;
	if (accept && (cs->user[0] == '\0' || cs->password == NULL))
		return CS_E_STATE;
	if (!accept) {
		/* Nothing more goes to a server we do not trust. */
		cs->state = CS_ST_DONE;
		cs_wipe_secrets(cs);
		buf_reset(&cs->out);
		return 0;
	}
	buf_init(&pt, NOISE_MAX_PAYLOAD);
	rc = put_auth(cs, &pt, cs->password, cs->passwordlen);
	if (rc == 0)
		rc = noise_hs_write(&cs->hs, buf_head(&pt), buf_used(&pt), msg,
		    &msglen);
	buf_free(&pt);
	if (rc == 0)
		rc = frame_append(&cs->out, msg, msglen);
	sodium_memzero(msg, sizeof(msg));
	if (rc == -1) {
		cs_fail(cs, "cannot write handshake message 3");
		return -1;
	}
	if (noise_hs_status(&cs->hs) != NOISE_HS_SPLIT ||
	    noise_hs_split(&cs->hs, &cs->tx, &cs->rx) == -1) {
		cs_fail(cs, "cannot complete the handshake");
		return -1;
	}
	cs->transport = 1;
	cs_wipe_secrets(cs);
	cs->state = CS_ST_AUTH;
	return 0;
}

/* ---------------------------------------------------------------- sending */

/* Seal one encoded message into the output. */
static int
send_msg(struct csession *cs, struct buf *pt)
{
	int	 rc = 0;

	if (buf_used(&cs->out) + buf_used(pt) + NOISE_TAGLEN + FRAME_HDRLEN >
	    CS_OUTPUT_MAX)
		rc = CS_E_FULL;
	else if (record_seal(&cs->tx, buf_head(pt), buf_used(pt),
	    &cs->out) == -1) {
		buf_free(pt);
		cs_fail(cs, "cannot encrypt a record");
		return CS_E_STATE;
	}
	buf_free(pt);
	return rc;
}

/* Encode and send a message of up to two strings. */
static int
send_simple(struct csession *cs, uint8_t type, const char *s0,
    const char *s1)
{
	struct buf	 pt;

	if (cs->state != CS_ST_READY)
		return CS_E_STATE;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (wire_put_simple(&pt, type, s0, s0 ? strlen(s0) : 0, s1,
	    s1 ? strlen(s1) : 0) == -1) {
		buf_free(&pt);
		return CS_E_TEXT;
	}
	return send_msg(cs, &pt);
}

static int
check_room(const char *room)
{
	return room != NULL && valid_roomname(room, strlen(room));
}

static int
check_text(const char *text)
{
	return text != NULL && valid_text(text, strlen(text), CS_TEXT_MAX);
}

int
cs_auth(struct csession *cs, const char *password, size_t len)
{
	struct buf	 pt;
	int		 rc;

	if (cs->state != CS_ST_AUTH_RETRY)
		return CS_E_STATE;
	if (!valid_password(password, len))
		return CS_E_TEXT;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (put_auth(cs, &pt, password, len) == -1) {
		buf_free(&pt);
		return CS_E_TEXT;
	}
	if ((rc = send_msg(cs, &pt)) == 0)
		cs->state = CS_ST_AUTH;
	return rc;
}

int
cs_say(struct csession *cs, const char *room, const char *text)
{
	if (!check_room(room))
		return CS_E_NAME;
	if (!check_text(text))
		return CS_E_TEXT;
	return send_simple(cs, MSG_SAY, room, text);
}

int
cs_act(struct csession *cs, const char *room, const char *text)
{
	if (!check_room(room))
		return CS_E_NAME;
	if (!check_text(text))
		return CS_E_TEXT;
	return send_simple(cs, MSG_ACT, room, text);
}

int
cs_privmsg(struct csession *cs, const char *user, const char *text)
{
	if (user == NULL || !valid_username(user, strlen(user)))
		return CS_E_NAME;
	if (!check_text(text))
		return CS_E_TEXT;
	return send_simple(cs, MSG_PRIVMSG, user, text);
}

int
cs_join(struct csession *cs, const char *room)
{
	if (!check_room(room))
		return CS_E_NAME;
	return send_simple(cs, MSG_JOIN, room, NULL);
}

int
cs_part(struct csession *cs, const char *room)
{
	if (!check_room(room))
		return CS_E_NAME;
	return send_simple(cs, MSG_PART, room, NULL);
}

int
cs_who(struct csession *cs, const char *room)
{
	if (!check_room(room))
		return CS_E_NAME;
	return send_simple(cs, MSG_WHO, room, NULL);
}

int
cs_rooms(struct csession *cs)
{
	return send_simple(cs, MSG_ROOMS, NULL, NULL);
}

int
cs_ping(struct csession *cs, uint64_t token)
{
	struct wire_msg	 m;
	struct buf	 pt;

	if (cs->state != CS_ST_READY)
		return CS_E_STATE;
	memset(&m, 0, sizeof(m));
	m.type = MSG_PING;
	m.token = token;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (wire_encode(&pt, &m) == -1) {
		buf_free(&pt);
		return CS_E_NOMEM;
	}
	return send_msg(cs, &pt);
}

static int
send_pong(struct csession *cs, uint64_t token)
{
	struct wire_msg	 m;
	struct buf	 pt;

	memset(&m, 0, sizeof(m));
	m.type = MSG_PONG;
	m.token = token;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (wire_encode(&pt, &m) == -1) {
		buf_free(&pt);
		return CS_E_NOMEM;
	}
	return send_msg(cs, &pt);
}

int
cs_bye(struct csession *cs, const char *reason)
{
	struct buf	 pt;
	int		 rc;

	if (cs->bye_sent)
		return 0;
	/* Before the transport is up there is no one to say goodbye to. */
	if (!cs->transport || cs->state == CS_ST_DONE) {
		if (cs->state != CS_ST_DONE) {
			cs->state = CS_ST_DONE;
			cs_wipe_secrets(cs);
		}
		return 0;
	}
	if (reason == NULL || !valid_text(reason, strlen(reason),
	    CS_TEXT_MAX))
		return CS_E_TEXT;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (wire_put_simple(&pt, MSG_BYE, reason, strlen(reason), NULL,
	    0) == -1) {
		buf_free(&pt);
		return CS_E_TEXT;
	}
	if ((rc = send_msg(cs, &pt)) != 0)
		return rc;
	cs->bye_sent = 1;
	cs_wipe_secrets(cs);
	cs->state = CS_ST_CLOSING;
	return 0;
}

const char *
cs_strerror(int e)
{
	switch (e) {
	case 0:
		return "no error";
	case CS_E_STATE:
		return "not connected";
	case CS_E_NAME:
		return "invalid name";
	case CS_E_TEXT:
		return "text is empty, too long or not valid UTF-8";
	case CS_E_FULL:
		return "too much unsent output";
	case CS_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/* Length of the well-formed UTF-8 character at p (1..4), or 0. */
static size_t
utf8_char_len(const uint8_t *p, size_t left)
{
	size_t	 n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	return valid_utf8(p, n) ? n : 0;
}

const char *
cs_text_problem(const char *text, size_t len, char *buf, size_t buflen)
{
	const uint8_t	*p = (const uint8_t *)text;
	const char	*what;
	size_t		 i, n;

	if (len == 0) {
		strlcpy(buf, "is empty", buflen);
		return buf;
	}
	if (len > CS_TEXT_MAX) {
		snprintf(buf, buflen, "is longer than %d bytes", CS_TEXT_MAX);
		return buf;
	}
	for (i = 0; i < len; i += n) {
		what = NULL;
		if (p[i] == '\0')
			what = "a NUL byte";
		else if (p[i] == '\r')
			what = "a carriage return (CR)";
		else if (p[i] == '\n')
			what = "a line feed (LF)";
		if (what != NULL) {
			snprintf(buf, buflen, "holds %s at byte %zu", what,
			    i + 1);
			return buf;
		}
		if ((n = utf8_char_len(p + i, len - i)) == 0) {
			snprintf(buf, buflen, "is not valid UTF-8 at byte %zu",
			    i + 1);
			return buf;
		}
	}
	return NULL;
}

/* ---------------------------------------------------------------- receiving */

/* An owned copy of a decoded string (which holds no NUL). */
static char *
str_dup(const struct wire_str *s)
{
	char	*p;

	if (memchr(s->p, '\0', s->len) != NULL)
		return NULL;
	if ((p = malloc(s->len + 1)) == NULL)
		return NULL;
	memcpy(p, s->p, s->len);
	p[s->len] = '\0';
	return p;
}

/* Copy the wanted string fields into the event; -1 if any failed. */
static int
take_strs(const struct wire_msg *m, char **a, char **b, char **c)
{
	char	**dst[3] = { a, b, c };
	int	 i;

	for (i = 0; i < 3; i++) {
		if (dst[i] == NULL)
			continue;
		if (i >= m->ns || (*dst[i] = str_dup(&m->s[i])) == NULL)
			return -1;
	}
	return 0;
}

static int
take_names(const struct wire_msg *m, struct cs_event *ev)
{
	struct reader	 r;
	struct wire_str	 name;

	if (m->count == 0)
		return 0;
	if ((ev->names = calloc(m->count, sizeof(*ev->names))) == NULL)
		return -1;
	rd_init(&r, m->list, m->listlen);
	while (ev->nnames < m->count && wire_names_next(&r, &name) == 1) {
		if ((ev->names[ev->nnames] = str_dup(&name)) == NULL)
			return -1;
		ev->nnames++;
	}
	return ev->nnames == m->count ? 0 : -1;
}

static int
take_rooms(const struct wire_msg *m, struct cs_event *ev)
{
	struct reader	 r;
	struct wire_str	 name;
	uint16_t	 members;

	if (m->count == 0)
		return 0;
	if ((ev->rooms = calloc(m->count, sizeof(*ev->rooms))) == NULL)
		return -1;
	rd_init(&r, m->list, m->listlen);
	while (ev->nrooms < m->count &&
	    wire_rooms_next(&r, &name, &members) == 1) {
		if ((ev->rooms[ev->nrooms].name = str_dup(&name)) == NULL)
			return -1;
		ev->rooms[ev->nrooms].members = members;
		ev->nrooms++;
	}
	return ev->nrooms == m->count ? 0 : -1;
}

/* Which messages the server may send in each state. */
static int
allowed(const struct csession *cs, uint8_t type)
{
	switch (type) {
	case MSG_BYE:
	case MSG_PING:
	case MSG_NOTICE:
	case MSG_ERROR:
		return cs->state == CS_ST_AUTH ||
		    cs->state == CS_ST_AUTH_RETRY ||
		    cs->state == CS_ST_READY || cs->state == CS_ST_CLOSING;
	case MSG_AUTH_OK:
	case MSG_AUTH_FAIL:
		return cs->state == CS_ST_AUTH;
	default:
		return cs->authenticated && (cs->state == CS_ST_READY ||
		    cs->state == CS_ST_CLOSING);
	}
}

/* Turn one decoded message into an event; -1 on failure. */
static int
fill_event(const struct wire_msg *m, struct cs_event *ev)
{
	switch (m->type) {
	case MSG_AUTH_OK:
		return take_strs(m, &ev->user, NULL, NULL);
	case MSG_AUTH_FAIL:
		ev->code = m->byte;
		return take_strs(m, &ev->text, NULL, NULL);
	case MSG_MESSAGE:
	case MSG_ACTION:
		ev->time = m->time;
		return take_strs(m, &ev->room, &ev->user, &ev->text);
	case MSG_PRIVATE:
		ev->time = m->time;
		return take_strs(m, &ev->user, &ev->text, NULL);
	case MSG_HISTORY:
		ev->time = m->time;
		ev->code = m->byte;
		if (m->byte != HISTORY_SAY && m->byte != HISTORY_ACTION)
			return -1;
		return take_strs(m, &ev->room, &ev->user, &ev->text);
	case MSG_JOINED:
	case MSG_PARTED:
		return take_strs(m, &ev->room, NULL, NULL);
	case MSG_ARRIVED:
		ev->time = m->time;
		return take_strs(m, &ev->room, &ev->user, NULL);
	case MSG_DEPARTED:
		ev->time = m->time;
		return take_strs(m, &ev->room, &ev->user, &ev->text);
	case MSG_NAMES:
		if (take_strs(m, &ev->room, NULL, NULL) == -1)
			return -1;
		return take_names(m, ev);
	case MSG_ROOMLIST:
		return take_rooms(m, ev);
	case MSG_NOTICE:
	case MSG_BYE:
		return take_strs(m, &ev->text, NULL, NULL);
	case MSG_ERROR:
		ev->code = m->byte;
		return take_strs(m, &ev->text, NULL, NULL);
	case MSG_PONG:
		ev->token = m->token;
		return 0;
	}
	return -1;
}

static enum cs_event_type
event_type(uint8_t type)
{
	switch (type) {
	case MSG_AUTH_OK:	return CS_EV_AUTH_OK;
	case MSG_AUTH_FAIL:	return CS_EV_AUTH_FAIL;
	case MSG_MESSAGE:	return CS_EV_MESSAGE;
	case MSG_ACTION:	return CS_EV_ACTION;
	case MSG_PRIVATE:	return CS_EV_PRIVATE;
	case MSG_HISTORY:	return CS_EV_HISTORY;
	case MSG_JOINED:	return CS_EV_JOINED;
	case MSG_PARTED:	return CS_EV_PARTED;
	case MSG_ARRIVED:	return CS_EV_ARRIVED;
	case MSG_DEPARTED:	return CS_EV_DEPARTED;
	case MSG_NAMES:		return CS_EV_NAMES;
	case MSG_ROOMLIST:	return CS_EV_ROOMLIST;
	case MSG_NOTICE:	return CS_EV_NOTICE;
	case MSG_ERROR:		return CS_EV_SERVER_ERROR;
	case MSG_PONG:		return CS_EV_PONG;
	case MSG_BYE:		return CS_EV_BYE;
	}
	return 0;
}

/* The state a message moves the session to. */
static void
advance(struct csession *cs, const struct wire_msg *m)
{
	switch (m->type) {
	case MSG_AUTH_OK:
		cs->authenticated = 1;
		cs->state = CS_ST_READY;
		break;
	case MSG_AUTH_FAIL:
		if (m->byte > 0)
			cs->state = CS_ST_AUTH_RETRY;
		else {
			cs->auth_exhausted = 1;
			cs->state = CS_ST_CLOSING;
		}
		break;
	case MSG_BYE:
		cs->bye_received = 1;
		cs->state = CS_ST_CLOSING;
		break;
	}
}

/* Decode one record's plaintext and act on it. */
static void
handle_message(struct csession *cs, const uint8_t *pt, size_t ptlen)
{
	struct wire_msg	 m;
	struct cs_event	*ev;
	const char	*name;
	int		 rc;

	if (wire_decode(pt, ptlen, FROM_SERVER, &m) == -1) {
		name = ptlen > 0 ? wire_type_name(pt[0]) : NULL;
		if (name != NULL)
			cs_fail(cs, "malformed %s message from the server",
			    name);
		else
			cs_fail(cs, "unknown message type 0x%02x from the "
			    "server", ptlen > 0 ? pt[0] : 0);
		return;
	}
	name = wire_type_name(m.type);
	if (!allowed(cs, m.type)) {
		cs_fail(cs, "the server sent %s where it is not allowed",
		    name ? name : "unknown");
		return;
	}
	if (m.type == MSG_PING) {
		rc = send_pong(cs, m.token);
		if (rc != 0 && cs->state != CS_ST_DONE)
			cs_fail(cs, "cannot answer PING: %s", cs_strerror(rc));
		return;
	}
	if ((ev = ev_alloc(event_type(m.type))) == NULL) {
		cs_fail(cs, "out of memory");
		return;
	}
	if (fill_event(&m, ev) == -1) {
		cs_event_free(ev);
		cs_fail(cs, "cannot take in a %s message from the server",
		    name ? name : "unknown");
		return;
	}
	ev_push(cs, ev);
	advance(cs, &m);
}

static void
handle_record(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 pt[FRAME_MAX];
	size_t		 ptlen;

	if (cs->bye_received) {
		cs_fail(cs, "the server sent data after BYE");
		return;
	}
	if (record_open(&cs->rx, p, len, pt, &ptlen) == -1) {
		cs_fail(cs, "a record from the server does not decrypt "
		    "(connection tampered with?)");
		return;
	}
	handle_message(cs, pt, ptlen);
	sodium_memzero(pt, ptlen);
}

static void
handle_frame(struct csession *cs, const uint8_t *p, size_t len)
{
	switch (cs->state) {
	case CS_ST_HELLO:
		handle_hello(cs, p, len);
		break;
	case CS_ST_HANDSHAKE:
		handle_msg2(cs, p, len);
		break;
	case CS_ST_AUTH:
	case CS_ST_AUTH_RETRY:
	case CS_ST_READY:
	case CS_ST_CLOSING:
		handle_record(cs, p, len);
		break;
	case CS_ST_VERDICT:
	case CS_ST_DONE:
		break;
	}
}

/* Handle every whole frame in the input buffer, as far as the state allows. */
static void
process(struct csession *cs)
{
	const uint8_t	*payload;
	size_t		 plen, used;
	int		 rc;

	while (cs->state != CS_ST_DONE && cs->state != CS_ST_VERDICT &&
	    buf_used(&cs->in) > 0) {
		rc = frame_parse(buf_head(&cs->in), buf_used(&cs->in),
		    &payload, &plen, &used);
		if (rc == 0)
			return;
		if (rc == -1) {
			cs_fail(cs, "malformed frame from the server");
			return;
		}
		handle_frame(cs, payload, plen);
		buf_consume(&cs->in, used);
	}
}

int
cs_input(struct csession *cs, const uint8_t *p, size_t len)
{
	size_t	 room, n;

	while (len > 0 && cs->state != CS_ST_DONE) {
		room = INPUT_MAX - buf_used(&cs->in);
		if (room == 0) {
			/* Only a paused session keeps a whole frame. */
			cs_fail(cs, "the server sent data before its key was "
			    "verified");
			break;
		}
		n = len < room ? len : room;
		if (buf_append(&cs->in, p, n) == -1) {
			cs_fail(cs, "out of memory");
			break;
		}
		p += n;
		len -= n;
		process(cs);
	}
	return cs->failed ? -1 : 0;
}

void
cs_eof(struct csession *cs)
{
	struct cs_event	*ev;
	const char	*what;

	switch (cs->state) {
	case CS_ST_DONE:
		return;
	case CS_ST_HELLO:
		what = "the server closed the connection before its hello";
		break;
	case CS_ST_HANDSHAKE:
		what = "the server closed the connection during the handshake";
		break;
	case CS_ST_AUTH:
	case CS_ST_AUTH_RETRY:
		what = "the server closed the connection during "
		    "authentication";
		break;
	default:
		what = buf_used(&cs->in) > 0 ?
		    "the connection was cut in the middle of a record" :
		    "the server closed the connection";
		break;
	}
	if ((ev = ev_new(cs, CS_EV_CLOSED)) != NULL) {
		ev->code = (cs->bye_sent || cs->bye_received ||
		    cs->auth_exhausted) && buf_used(&cs->in) == 0 ?
		    CS_CLOSE_CLEAN : CS_CLOSE_LOST;
		ev->text = strdup(what);
	}
	cs->state = CS_ST_DONE;
	cs_wipe_secrets(cs);
	buf_reset(&cs->in);
}
