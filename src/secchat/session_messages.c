/*
 * session_messages.c: the client's application messages, once the
 * transport is up: our requests sealed into records, and each record from
 * the server opened, decoded strictly and turned into one event.
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
#include "session_impl.h"
#include "util.h"
#include "wire.h"

/* ---------------------------------------------------------------- sending */

/* Seal one encoded message into the output. */
int
csi_send_msg(struct csession *cs, struct buf *pt)
{
	int	 rc = 0;

	if (buf_used(&cs->out) + buf_used(pt) + NOISE_TAGLEN + FRAME_HDRLEN >
	    CS_OUTPUT_MAX)
		rc = CS_E_FULL;
	else if (record_seal(&cs->tx, buf_head(pt), buf_used(pt),
	    &cs->out) == -1) {
		buf_free(pt);
		csi_fail(cs, "cannot encrypt a record");
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
	return csi_send_msg(cs, &pt);
}

static int
check_user(const char *user)
{
	return user != NULL && valid_username(user, strlen(user));
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
	if (!check_user(user))
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
	return csi_send_msg(cs, &pt);
}

/* A request of protocol section 11 about one user: KEYS, WHOIS. */
static int
send_user_extended(struct csession *cs, uint8_t type, const char *user)
{
	if (!check_user(user))
		return CS_E_NAME;
	if (!cs->extended)
		return CS_E_NOEXT;
	return send_simple(cs, type, user, NULL);
}

int
cs_keys(struct csession *cs, const char *user)
{
	return send_user_extended(cs, MSG_KEYS, user);
}

int
cs_away(struct csession *cs, const char *text)
{
	if (text == NULL)
		text = "";
	if (*text != '\0' && !valid_text(text, strlen(text), AWAY_TEXT_MAX))
		return CS_E_TEXT;
	if (!cs->extended)
		return CS_E_NOEXT;
	return send_simple(cs, MSG_AWAY, text, NULL);
}

int
cs_whois(struct csession *cs, const char *user)
{
	return send_user_extended(cs, MSG_WHOIS, user);
}

int
cs_e2e(struct csession *cs, const char *user, const uint8_t device[KEY_LEN],
    const uint8_t *payload, size_t len)
{
	struct wire_msg	 m;
	struct buf	 pt;

	if (!check_user(user))
		return CS_E_NAME;
	if (!cs->extended)
		return CS_E_NOEXT;
	if (cs->state != CS_ST_READY)
		return CS_E_STATE;
	if (payload == NULL || len == 0 || len > E2E_PAYLOAD_MAX)
		return CS_E_TEXT;
	memset(&m, 0, sizeof(m));
	m.type = MSG_E2E;
	m.ns = 3;
	m.s[0].p = user;
	m.s[0].len = strlen(user);
	m.s[1].p = (const char *)device;
	m.s[1].len = KEY_LEN;
	m.s[2].p = (const char *)payload;
	m.s[2].len = len;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (wire_encode(&pt, &m) == -1) {
		buf_free(&pt);
		return CS_E_TEXT;
	}
	return csi_send_msg(cs, &pt);
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
	return csi_send_msg(cs, &pt);
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
			csi_wipe_secrets(cs);
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
	if ((rc = csi_send_msg(cs, &pt)) != 0)
		return rc;
	cs->bye_sent = 1;
	csi_wipe_secrets(cs);
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
	case CS_E_NOEXT:
		return "the server does not offer end-to-end messages";
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
take_keys(const struct wire_msg *m, struct cs_event *ev)
{
	struct reader	 r;
	const uint8_t	*key;
	uint8_t		 flags;

	if (m->count == 0)
		return 0;
	if ((ev->keys = calloc(m->count, sizeof(*ev->keys))) == NULL)
		return -1;
	rd_init(&r, m->list, m->listlen);
	while (ev->nkeys < m->count && wire_keys_next(&r, &key, &flags) == 1) {
		memcpy(ev->keys[ev->nkeys].key, key, KEY_LEN);
		ev->keys[ev->nkeys].flags = flags;
		ev->nkeys++;
	}
	return ev->nkeys == m->count ? 0 : -1;
}

/* A field of exactly KEY_LEN bytes (wire_decode checked it). */
static int
take_key(const struct wire_str *s, uint8_t key[KEY_LEN])
{
	if (s->len != KEY_LEN)
		return -1;
	memcpy(key, s->p, KEY_LEN);
	return 0;
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
	/* A BATCH only where both hellos agreed to it, and after login. */
	if (type == MSG_BATCHREC)
		return cs->batched && cs->authenticated &&
		    (cs->state == CS_ST_READY || cs->state == CS_ST_CLOSING);
	/* Section 11's messages only where both hellos agreed to it. */
	if (wire_type_extended(type) && !cs->extended)
		return 0;
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
	case MSG_AUTH_MORE:
		/* Only the answer to our AUTH_KEY, and only once. */
		return cs->state == CS_ST_AUTH && cs->key_sent &&
		    !cs->more_seen;
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
	case MSG_AUTH_MORE:
		return take_strs(m, &ev->text, NULL, NULL);
	case MSG_KEYLIST:
		if (take_strs(m, &ev->user, NULL, NULL) == -1)
			return -1;
		return take_keys(m, ev);
	case MSG_E2E_FROM:
		ev->time = m->time;
		if (m->ns != 3 || take_strs(m, &ev->user, NULL, NULL) == -1 ||
		    take_key(&m->s[1], ev->key) == -1 || m->s[2].len == 0)
			return -1;
		/* Binary: not a string, it may hold any byte. */
		if ((ev->data = malloc(m->s[2].len)) == NULL)
			return -1;
		memcpy(ev->data, m->s[2].p, m->s[2].len);
		ev->datalen = m->s[2].len;
		return 0;
	case MSG_AWAYNOTE:
		return take_strs(m, &ev->user, &ev->text, NULL);
	case MSG_WHOISINFO:
		ev->token = m->time;	/* a duration, not a time */
		if (take_strs(m, &ev->user, &ev->room, &ev->text) == -1)
			return -1;
		return take_keys(m, ev);
	case MSG_AWAYNAMES:
		if (take_strs(m, &ev->room, NULL, NULL) == -1)
			return -1;
		return take_names(m, ev);
	case MSG_E2E_FAIL:
		if (m->ns != 3 || take_strs(m, &ev->user, NULL, NULL) == -1 ||
		    take_key(&m->s[1], ev->key) == -1 ||
		    (ev->text = str_dup(&m->s[2])) == NULL)
			return -1;
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
	case MSG_AUTH_MORE:	return CS_EV_AUTH_MORE;
	case MSG_KEYLIST:	return CS_EV_KEYLIST;
	case MSG_E2E_FROM:	return CS_EV_E2E_FROM;
	case MSG_E2E_FAIL:	return CS_EV_E2E_FAIL;
	case MSG_AWAYNOTE:	return CS_EV_AWAYNOTE;
	case MSG_WHOISINFO:	return CS_EV_WHOISINFO;
	case MSG_AWAYNAMES:	return CS_EV_AWAYNAMES;
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
	case MSG_AUTH_MORE:
		/* The key is accepted; a password is to follow. */
		cs->more_seen = 1;
		cs->state = CS_ST_AUTH_RETRY;
		break;
	}
}

static void	handle_message(struct csession *, const uint8_t *, size_t);

/*
 * Each message of a BATCH is taken as if it had come in a record of its
 * own (doc/protocol.md 11.9); wire_decode() has checked that none is a
 * BATCH itself, so this goes one level deep.
 */
static void
handle_batch(struct csession *cs, const struct wire_msg *m)
{
	struct reader	 r;
	const uint8_t	*msg;
	size_t		 len;

	rd_init(&r, m->list, m->listlen);
	while (!cs->failed && cs->state != CS_ST_DONE &&
	    wire_batch_next(&r, &msg, &len)) {
		if (cs->bye_received) {
			csi_fail(cs, "the server sent data after BYE");
			return;
		}
		handle_message(cs, msg, len);
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
			csi_fail(cs, "malformed %s message from the server",
			    name);
		else
			csi_fail(cs, "unknown message type 0x%02x from the "
			    "server", ptlen > 0 ? pt[0] : 0);
		return;
	}
	name = wire_type_name(m.type);
	if (!allowed(cs, m.type)) {
		csi_fail(cs, "the server sent %s where it is not allowed",
		    name ? name : "unknown");
		return;
	}
	if (m.type == MSG_BATCHREC) {
		handle_batch(cs, &m);
		return;
	}
	if (m.type == MSG_PING) {
		rc = send_pong(cs, m.token);
		if (rc != 0 && cs->state != CS_ST_DONE)
			csi_fail(cs, "cannot answer PING: %s", cs_strerror(rc));
		return;
	}
	if ((ev = csi_ev_alloc(event_type(m.type))) == NULL) {
		csi_fail(cs, "out of memory");
		return;
	}
	if (fill_event(&m, ev) == -1) {
		cs_event_free(ev);
		csi_fail(cs, "cannot take in a %s message from the server",
		    name ? name : "unknown");
		return;
	}
	csi_ev_push(cs, ev);
	advance(cs, &m);
}

void
csi_handle_record(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 pt[FRAME_MAX];
	size_t		 ptlen;

	if (cs->bye_received) {
		csi_fail(cs, "the server sent data after BYE");
		return;
	}
	if (record_open(&cs->rx, p, len, pt, &ptlen) == -1) {
		csi_fail(cs, "a record from the server does not decrypt "
		    "(connection tampered with?)");
		return;
	}
	handle_message(cs, pt, ptlen);
	sodium_memzero(pt, ptlen);
}
