/*
 * chat.c: the front of the chat model: the requests of a logged-in client,
 * checked and answered, and turned into calls on the engine; see chat.h.
 *
 * Everything a session is sent goes through the broker's chat_io.  The
 * front checks names and text again although the worker did: the broker
 * trusts no worker, and the checks are cheap.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chat.h"
#include "history.h"
#include "keys.h"
#include "log.h"
#include "util.h"
#include "wire.h"

/* Allocator overhead of a small block, for chat_session_cost(). */
#define CHAT_ALLOC_SLACK	32

struct chat {
	struct chat_config	 cfg;
	struct chat_io		 io;
	struct chat_engine	*engine;
	TAILQ_HEAD(, chat_session) sessions;
	struct buf		 out;		/* chat_send()'s encoding */
	struct buf		 pub;		/* a publication */
	struct chat_list	 list;		/* a WHO or ROOMS answer */
	struct chat_keylist	 keys;		/* a KEYS answer */
	struct buf		 rooms;		/* a WHOIS answer's rooms */
	size_t			 e2e_max;	/* bytes of an E2E payload */
	int			 lying;		/* test builds: see chat.h */
	uint8_t			 lie[WIRE_KEYLEN];
};

#define ENGINE(c)	((c)->engine->ops)

/* ------------------------------------------------------------ for engines */

void
chat_deliver(struct chat_session *cs, const uint8_t *p, size_t len)
{
	if (!cs->ended)
		cs->chat->io.deliver(cs->owner, p, len);
}

void
chat_send(struct chat_session *cs, const struct wire_msg *m)
{
	struct chat	*c = cs->chat;

	buf_reset(&c->out);
	if (wire_encode(&c->out, m) == -1) {
		log_warnx("cannot encode a %s message for %s",
		    wire_type_name(m->type),
		    cs->user[0] != '\0' ? cs->user : "a session");
		return;
	}
	chat_deliver(cs, buf_head(&c->out), buf_used(&c->out));
}

static void
chat_wstr(struct wire_str *ws, const char *p)
{
	ws->p = p;
	ws->len = strlen(p);
}

static void	chat_send_list(struct chat_session *, uint8_t, const char *,
		    const struct chat_list *);

void
chat_send_room(struct chat_session *cs, uint8_t type, const char *room)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	chat_wstr(&m.s[0], room);
	m.ns = 1;
	chat_send(cs, &m);
}

void
chat_send_names(struct chat_session *cs, const char *room,
    const struct chat_list *l)
{
	chat_send_list(cs, MSG_NAMES, room, l);
}

/* NAMES or AWAYNAMES: a room and a list of users. */
static void
chat_send_list(struct chat_session *cs, uint8_t type, const char *room,
    const struct chat_list *l)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	chat_wstr(&m.s[0], room);
	m.ns = 1;
	m.count = l->count;
	/* An empty list's buffer may not be allocated. */
	m.listlen = buf_used(&l->buf);
	m.list = m.listlen > 0 ? buf_head(&l->buf) : NULL;
	chat_send(cs, &m);
}

size_t
chat_backlog(const struct chat_session *cs)
{
	return cs->chat->io.backlog(cs->owner);
}

size_t
chat_backlog_cost(const struct chat_session *cs, size_t len)
{
	return cs->chat->io.msg_overhead + len;
}

static int
chat_encode_history(struct buf *b, const char *room,
    const struct history_entry *he)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_HISTORY;
	m.time = he->time;
	m.byte = he->kind;
	m.s[0].p = room;
	m.s[0].len = strlen(room);
	m.s[1].p = he->sender;
	m.s[1].len = strlen(he->sender);
	m.s[2].p = he->text;
	m.s[2].len = he->textlen;
	m.ns = 3;
	buf_reset(b);
	return wire_encode(b, &m);
}

/*
 * A room's history, oldest first.  A room may keep more than a session's
 * queue holds (RoomHistoryBytes against SendQueueSize): the joiner gets
 * the newest entries that fit in its backlog, so that joining never costs
 * it its session.
 */
void
chat_send_history(struct chat_session *cs, const char *room,
    const struct history_room *h)
{
	const struct history_entry	*he, *first = NULL;
	struct buf			*b = &cs->chat->out;
	size_t				 space, cost;

	space = chat_backlog(cs);
	TAILQ_FOREACH_REVERSE(he, &h->entries, history_list, in_room) {
		if (chat_encode_history(b, room, he) == -1)
			break;
		cost = chat_backlog_cost(cs, buf_used(b));
		if (cost > space)
			break;
		space -= cost;
		first = he;
	}
	for (he = first; he != NULL && !cs->ended;
	    he = TAILQ_NEXT(he, in_room))
		if (chat_encode_history(b, room, he) == 0)
			chat_deliver(cs, buf_head(b), buf_used(b));
}

void
chat_list_init(struct chat_list *l)
{
	memset(l, 0, sizeof(*l));
	buf_init(&l->buf, RECORD_MAX_PLAINTEXT);
}

void
chat_list_clear(struct chat_list *l)
{
	buf_free(&l->buf);
}

/*
 * NAMES is a type byte, the room as a string and the list's count: the
 * rest of a record is the list's.  With names of at most 32 bytes that
 * is over 1900 names.
 */
void
chat_list_begin_names(struct chat_list *l, const char *room)
{
	buf_reset(&l->buf);
	l->count = 0;
	l->budget = RECORD_MAX_PLAINTEXT - (1 + 2 + strlen(room) + 2);
}

/*
 * ROOMLIST is a type byte and the list's count.  At 36 bytes per room at
 * most, that is over 1800 rooms.
 */
void
chat_list_begin_rooms(struct chat_list *l)
{
	buf_reset(&l->buf);
	l->count = 0;
	l->budget = RECORD_MAX_PLAINTEXT - (1 + 2);
}

int
chat_list_add_user(struct chat_list *l, const char *user)
{
	size_t	 len = strlen(user);

	if (buf_used(&l->buf) + 2 + len > l->budget || l->count == UINT16_MAX)
		return -1;
	if (buf_put_str(&l->buf, user, len) == -1)
		return -1;
	l->count++;
	return 0;
}

int
chat_list_add_room(struct chat_list *l, const char *room, uint16_t users)
{
	size_t	 len = strlen(room);

	if (buf_used(&l->buf) + 2 + len + 2 > l->budget ||
	    l->count == UINT16_MAX)
		return -1;
	if (buf_put_str(&l->buf, room, len) == -1 ||
	    buf_put_u16(&l->buf, users) == -1)
		return -1;
	l->count++;
	return 0;
}

void
chat_keylist_begin(struct chat_keylist *kl)
{
	kl->count = 0;
}

/* Keys are public: a plain comparison will do. */
int
chat_keylist_add(struct chat_keylist *kl, const uint8_t key[WIRE_KEYLEN],
    uint8_t flags)
{
	unsigned	 i;

	for (i = 0; i < kl->count; i++)
		if (memcmp(kl->keys[i], key, WIRE_KEYLEN) == 0) {
			kl->flags[i] |= flags;
			return 0;
		}
	if (kl->count >= KEYLIST_MAX)
		return -1;
	memcpy(kl->keys[kl->count], key, WIRE_KEYLEN);
	kl->flags[kl->count++] = flags;
	return 0;
}

/* ------------------------------------------------------------ answers */

static void
chat_error(struct chat_session *cs, uint8_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
chat_error(struct chat_session *cs, uint8_t code, const char *fmt, ...)
{
	struct wire_msg	 m;
	char		 text[256];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&m, 0, sizeof(m));
	m.type = MSG_ERROR;
	m.byte = code;
	chat_wstr(&m.s[0], text);
	m.ns = 1;
	chat_send(cs, &m);
}

static void
chat_end(struct chat_session *cs, const char *why, const char *kick)
{
	cs->chat->io.end(cs->owner, why, kick);
}

/* ------------------------------------------------------------ requests */

/*
 * Copy a name field into dst.  wire_decode has checked it already, so
 * this fails only if its rules and ours disagree: then the session ends.
 */
static int
chat_copy_name(struct chat_session *cs, char *dst, const struct wire_str *ws,
    int is_room)
{
	if (is_room ? !valid_roomname(ws->p, ws->len) :
	    !valid_username(ws->p, ws->len)) {
		chat_end(cs, CHAT_WHY_PROTO, is_room ?
		    "protocol error: bad room name" :
		    "protocol error: bad user name");
		return -1;
	}
	memcpy(dst, ws->p, ws->len);
	dst[ws->len] = '\0';
	return 0;
}

static int
chat_text_ok(struct chat_session *cs, const struct wire_str *text)
{
	uint32_t	 max = cs->chat->cfg.max_message;

	if (text->len > max) {
		chat_error(cs, ERR_BAD_TEXT, "message too long: %zu bytes, the "
		    "limit is %u; it was not delivered", text->len, max);
		return 0;
	}
	if (!valid_text(text->p, text->len, max)) {
		chat_error(cs, ERR_BAD_TEXT, "message text is not valid");
		return 0;
	}
	return 1;
}

/* SAY and ACT: to the room's other sessions, and into its history. */
static void
chat_say(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat		*c = cs->chat;
	struct wire_msg		 m;
	struct chat_post	 post;
	char			 room[SECCHAT_NAME_MAX + 1];

	if (chat_copy_name(cs, room, &in->s[0], 1) == -1)
		return;
	if (!ENGINE(c)->member(c->engine, cs, room)) {
		chat_error(cs, ERR_NO_ROOM, "you are not in %s", room);
		return;
	}
	if (!chat_text_ok(cs, &in->s[1]))
		return;
	memset(&m, 0, sizeof(m));
	m.type = in->type == MSG_SAY ? MSG_MESSAGE : MSG_ACTION;
	m.time = now;
	chat_wstr(&m.s[0], room);
	chat_wstr(&m.s[1], cs->user);
	m.s[2] = in->s[1];
	m.ns = 3;
	buf_reset(&c->pub);
	if (wire_encode(&c->pub, &m) == -1) {
		chat_error(cs, ERR_BAD_TEXT, "message too long");
		return;
	}
	post.time = now;
	post.kind = in->type == MSG_SAY ? HISTORY_SAY : HISTORY_ACTION;
	post.sender = cs->user;
	post.text = in->s[1].p;
	post.textlen = in->s[1].len;
	if (ENGINE(c)->publish(c->engine, cs, room, &post, buf_head(&c->pub),
	    buf_used(&c->pub)) != CHAT_OK) {
		chat_error(cs, ERR_NO_ROOM, "you are not in %s", room);
		return;
	}
	ENGINE(c)->touch(c->engine, cs, now);
}

/*
 * A private message (PRIVMSG or E2E) went to user: if user is away, tell
 * an extended sender, once per away period while it goes on writing to
 * the same user (protocol section 11.8).
 */
static void
chat_away_note(struct chat_session *cs, const char *user)
{
	struct chat		*c = cs->chat;
	struct chat_away	 away;
	struct wire_msg		 m;

	if (!(cs->idflags & CHAT_ID_EXTENDED) || strcmp(user, cs->user) == 0)
		return;
	if (!ENGINE(c)->away(c->engine, user, &away)) {
		cs->away_told[0] = '\0';
		return;
	}
	if (strcmp(cs->away_told, user) == 0 &&
	    cs->away_told_since == away.since)
		return;
	strlcpy(cs->away_told, user, sizeof(cs->away_told));
	cs->away_told_since = away.since;
	memset(&m, 0, sizeof(m));
	m.type = MSG_AWAYNOTE;
	chat_wstr(&m.s[0], user);
	m.s[1].p = away.text;
	m.s[1].len = away.len;
	m.ns = 2;
	chat_send(cs, &m);
}

static void
chat_privmsg(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat	*c = cs->chat;
	struct wire_msg	 m;
	char		 user[SECCHAT_NAME_MAX + 1];

	if (chat_copy_name(cs, user, &in->s[0], 0) == -1)
		return;
	if (!chat_text_ok(cs, &in->s[1]))
		return;
	memset(&m, 0, sizeof(m));
	m.type = MSG_PRIVATE;
	m.time = now;
	chat_wstr(&m.s[0], cs->user);
	m.s[1] = in->s[1];
	m.ns = 2;
	buf_reset(&c->pub);
	if (wire_encode(&c->pub, &m) == -1) {
		chat_error(cs, ERR_BAD_TEXT, "message too long");
		return;
	}
	if (ENGINE(c)->to_user(c->engine, cs, user, buf_head(&c->pub),
	    buf_used(&c->pub)) != CHAT_OK) {
		chat_error(cs, ERR_NO_USER, "no such user online: %s", user);
		return;
	}
	ENGINE(c)->touch(c->engine, cs, now);
	chat_away_note(cs, user);
}

/*
 * The largest E2E payload a text of max_text bytes can need: a DATA
 * header and tag (33 bytes) around the padded plaintext of a sent copy
 * to a user of the longest name (kind, "to", text), within
 * E2E_PAYLOAD_MAX.  The same as e2e_payload_max() of e2e.h, the
 * clients' side of the same rule (protocol section 11.7).
 */
static size_t
chat_e2e_payload_max(size_t max_text)
{
	size_t	 plain, padded;

	if (max_text > E2E_PAYLOAD_MAX)
		return E2E_PAYLOAD_MAX;
	plain = 1 + 2 + SECCHAT_NAME_MAX + 2 + max_text;
	padded = (plain + 255) / 256 * 256;
	return 33 + padded < E2E_PAYLOAD_MAX ? 33 + padded : E2E_PAYLOAD_MAX;
}

static int
chat_extended(struct chat_session *cs, const char *what)
{
	if (cs->idflags & CHAT_ID_EXTENDED)
		return 1;
	/*
	 * The worker refuses these already on a session that has not agreed
	 * to the extensions; the broker trusts no worker.
	 */
	chat_error(cs, ERR_BAD_REQUEST, "%s needs the extensions of protocol "
	    "version 1.1, which this session did not agree to", what);
	return 0;
}

/*
 * KEYS: the user's enrolled keys and the keys of its extended sessions,
 * as the engine knows them.  The directory is only a hint to clients,
 * which believe their pins first (protocol section 11.4).
 */
static void
chat_keys(struct chat_session *cs, const struct wire_msg *in)
{
	struct chat		*c = cs->chat;
	struct chat_keylist	*kl = &c->keys;
	struct wire_msg		 m;
	uint8_t			 list[KEYLIST_MAX * KEYLIST_ENTRY];
	char			 user[SECCHAT_NAME_MAX + 1];
	unsigned		 i;

	if (!chat_extended(cs, "KEYS"))
		return;
	if (chat_copy_name(cs, user, &in->s[0], 0) == -1)
		return;
	chat_keylist_begin(kl);
	ENGINE(c)->keys(c->engine, user, kl);
#ifdef SECCHAT_TEST_HOOKS
	if (c->lying) {
		struct chat_keylist	 honest = *kl;

		chat_keylist_begin(kl);
		for (i = 0; i < honest.count; i++)
			(void)chat_keylist_add(kl,
			    (honest.flags[i] & KEYLIST_ONLINE) ? c->lie :
			    honest.keys[i], honest.flags[i]);
	}
#endif
	for (i = 0; i < kl->count; i++) {
		memcpy(list + i * KEYLIST_ENTRY, kl->keys[i], WIRE_KEYLEN);
		list[i * KEYLIST_ENTRY + WIRE_KEYLEN] = kl->flags[i];
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_KEYLIST;
	chat_wstr(&m.s[0], user);
	m.ns = 1;
	m.count = kl->count;
	m.listlen = (size_t)kl->count * KEYLIST_ENTRY;
	m.list = m.listlen > 0 ? list : NULL;
	chat_send(cs, &m);
}

/*
 * E2E: relay an opaque payload to the sessions of a user with that key.
 * The sender and its device in E2E_FROM are what the master told us of
 * the sending session, never what the client says.  What the server
 * learns (who, to which device, when, how long) is logged at debug
 * level; the payload never is.
 */
static void
chat_e2e(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat		*c = cs->chat;
	const struct wire_str	*dev = &in->s[1], *payload = &in->s[2];
	struct wire_msg		 m;
	enum chat_result	 r;
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 fp[FINGERPRINT_LEN];

	if (!chat_extended(cs, "E2E"))
		return;
	if (chat_copy_name(cs, user, &in->s[0], 0) == -1)
		return;
	/* wire_decode has checked both; this says what the code assumes. */
	if (dev->len != WIRE_KEYLEN || payload->len == 0) {
		chat_end(cs, CHAT_WHY_PROTO, "protocol error: bad E2E fields");
		return;
	}
	if (payload->len > c->e2e_max) {
		chat_error(cs, ERR_BAD_TEXT, "end-to-end message too long: %zu "
		    "bytes, the limit is %zu; it was not delivered",
		    payload->len, c->e2e_max);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_E2E_FROM;
	m.time = now;
	chat_wstr(&m.s[0], cs->user);
	m.s[1].p = (const char *)cs->key;
	m.s[1].len = WIRE_KEYLEN;
	m.s[2] = *payload;
	m.ns = 3;
	buf_reset(&c->pub);
	if (wire_encode(&c->pub, &m) == -1) {
		chat_error(cs, ERR_BAD_TEXT, "end-to-end message too long");
		return;
	}
	r = ENGINE(c)->to_device(c->engine, cs, user,
	    (const uint8_t *)dev->p, buf_head(&c->pub), buf_used(&c->pub));
	if (log_getverbose()) {
		keys_fingerprint((const uint8_t *)dev->p, fp);
		if (r == CHAT_OK)
			log_debug("e2e %s -> %s device %s %zu bytes", cs->user,
			    user, fp, payload->len);
		else
			log_debug("e2e %s -> %s device %s not online",
			    cs->user, user, fp);
	}
	if (r == CHAT_OK) {
		ENGINE(c)->touch(c->engine, cs, now);
		chat_away_note(cs, user);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_E2E_FAIL;
	chat_wstr(&m.s[0], user);
	m.s[1] = *dev;
	chat_wstr(&m.s[2], "not online");
	m.ns = 3;
	chat_send(cs, &m);
}

static void
chat_join_answer(struct chat_session *cs, enum chat_result r)
{
	switch (r) {
	case CHAT_OK:
		break;
	case CHAT_TOO_MANY:
		chat_error(cs, ERR_LIMIT, "you are in too many rooms (the "
		    "limit is %u); leave one first", cs->chat->cfg.max_rooms);
		break;
	default:
		chat_error(cs, ERR_LIMIT, "out of memory");
		break;
	}
}

static void
chat_join(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat	*c = cs->chat;
	char		 room[SECCHAT_NAME_MAX + 1];

	if (chat_copy_name(cs, room, &in->s[0], 1) == -1)
		return;
	chat_join_answer(cs, ENGINE(c)->join(c->engine, cs, room, now));
}

static void
chat_part(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat	*c = cs->chat;
	char		 room[SECCHAT_NAME_MAX + 1];

	if (chat_copy_name(cs, room, &in->s[0], 1) == -1)
		return;
	if (ENGINE(c)->part(c->engine, cs, room, CHAT_WHY_PART, now) !=
	    CHAT_OK)
		chat_error(cs, ERR_NO_ROOM, "you are not in %s", room);
}

static void
chat_who(struct chat_session *cs, const struct wire_msg *in)
{
	struct chat	*c = cs->chat;
	char		 room[SECCHAT_NAME_MAX + 1];

	if (chat_copy_name(cs, room, &in->s[0], 1) == -1)
		return;
	chat_list_begin_names(&c->list, room);
	if (ENGINE(c)->names(c->engine, room, &c->list) != CHAT_OK) {
		chat_error(cs, ERR_NO_ROOM, "no such room: %s", room);
		return;
	}
	chat_send_names(cs, room, &c->list);
	if (!(cs->idflags & CHAT_ID_EXTENDED))
		return;
	/* NAMES stays as it was; who of them is away comes after it. */
	chat_list_begin_names(&c->list, room);
	if (ENGINE(c)->names_away(c->engine, room, &c->list) != CHAT_OK)
		return;
	chat_send_list(cs, MSG_AWAYNAMES, room, &c->list);
}

/*
 * AWAY: the user's away text for all its sessions (empty: back), which
 * the engine confirms to each of them with AWAYNOTE.
 */
static void
chat_away(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat		*c = cs->chat;
	const struct wire_str	*text = &in->s[0];
	struct wire_msg		 m;

	if (!chat_extended(cs, "AWAY"))
		return;
	/* wire_decode has checked it; this says what the code assumes. */
	if (text->len > AWAY_TEXT_MAX || (text->len > 0 &&
	    !valid_text(text->p, text->len, AWAY_TEXT_MAX))) {
		chat_end(cs, CHAT_WHY_PROTO, "protocol error: bad away text");
		return;
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_AWAYNOTE;
	chat_wstr(&m.s[0], cs->user);
	m.s[1] = *text;
	m.ns = 2;
	buf_reset(&c->pub);
	if (wire_encode(&c->pub, &m) == -1 ||
	    ENGINE(c)->set_away(c->engine, cs, text->p, text->len, now,
	    buf_head(&c->pub), buf_used(&c->pub)) != CHAT_OK)
		chat_error(cs, ERR_LIMIT, "out of memory");
}

/*
 * WHOIS: where a user is, how long it has been quiet, whether it is away
 * and the keys of its sessions.  The idle time is sent as a duration,
 * which needs no agreement between the clocks (protocol section 11.8).
 */
static void
chat_whois(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat		*c = cs->chat;
	struct chat_keylist	*kl = &c->keys;
	struct chat_whois	 w;
	struct wire_msg		 m;
	uint8_t			 list[KEYLIST_MAX * KEYLIST_ENTRY];
	char			 user[SECCHAT_NAME_MAX + 1];
	unsigned		 i;

	if (!chat_extended(cs, "WHOIS"))
		return;
	if (chat_copy_name(cs, user, &in->s[0], 0) == -1)
		return;
	memset(&w, 0, sizeof(w));
	buf_reset(&c->rooms);
	chat_keylist_begin(kl);
	w.rooms = &c->rooms;
	w.keys = kl;
	switch (ENGINE(c)->whois(c->engine, user, &w)) {
	case CHAT_OK:
		break;
	case CHAT_NO_USER:
		chat_error(cs, ERR_NO_USER, "no such user online: %s", user);
		return;
	default:
		chat_error(cs, ERR_LIMIT, "out of memory");
		return;
	}
	for (i = 0; i < kl->count; i++) {
		memcpy(list + i * KEYLIST_ENTRY, kl->keys[i], WIRE_KEYLEN);
		list[i * KEYLIST_ENTRY + WIRE_KEYLEN] = kl->flags[i];
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_WHOISINFO;
	chat_wstr(&m.s[0], user);
	m.s[1].p = (const char *)buf_head(&c->rooms);
	m.s[1].len = buf_used(&c->rooms);
	/* A clock that went back gives 0, not a huge idle time. */
	m.time = now > w.active ? now - w.active : 0;
	m.s[2].p = w.away.text;
	m.s[2].len = w.away.len;
	m.ns = 3;
	m.count = kl->count;
	m.listlen = (size_t)kl->count * KEYLIST_ENTRY;
	m.list = m.listlen > 0 ? list : NULL;
	chat_send(cs, &m);
}

static void
chat_rooms(struct chat_session *cs)
{
	struct chat	*c = cs->chat;
	struct wire_msg	 m;

	chat_list_begin_rooms(&c->list);
	ENGINE(c)->rooms(c->engine, &c->list);
	memset(&m, 0, sizeof(m));
	m.type = MSG_ROOMLIST;
	m.count = c->list.count;
	m.listlen = buf_used(&c->list.buf);
	m.list = m.listlen > 0 ? buf_head(&c->list.buf) : NULL;
	chat_send(cs, &m);
}

/*
 * DEPARTED's reason for a BYE: "quit", or "quit: " and the client's own
 * reason, cut short at a character boundary.  "exit" is what clients say
 * when the user gave no reason.
 */
static void
chat_quit_reason(char *out, size_t outlen, const struct wire_str *reason)
{
	size_t	 len = reason->len;

	if (len == 0 || (len == 4 && memcmp(reason->p, "exit", 4) == 0)) {
		strlcpy(out, CHAT_WHY_QUIT, outlen);
		return;
	}
	if (len > CHAT_QUIT_REASON_MAX) {
		len = CHAT_QUIT_REASON_MAX;
		while (len > 0 && ((uint8_t)reason->p[len] & 0xc0) == 0x80)
			len--;
	}
	snprintf(out, outlen, "%s: %.*s", CHAT_WHY_QUIT, (int)len, reason->p);
}

/*
 * BYE: the session leaves its rooms and its user now.  The answers to
 * what it sent before are queued already; the broker writes them and then
 * closes the session.
 */
static void
chat_bye(struct chat_session *cs, const struct wire_msg *in, uint64_t now)
{
	struct chat	*c = cs->chat;
	/* "quit: " and the reason */
	char		 why[sizeof(CHAT_WHY_QUIT) + 2 +
			    CHAT_QUIT_REASON_MAX + 1];

	chat_quit_reason(why, sizeof(why), &in->s[0]);
	ENGINE(c)->detach(c->engine, cs, why, now);
	cs->user[0] = '\0';
}

int
chat_request(struct chat_session *cs, const struct wire_msg *m, uint64_t now)
{
	if (cs->ended)
		return 0;
	if (cs->user[0] == '\0') {
		chat_end(cs, CHAT_WHY_PROTO,
		    "protocol error: message before login");
		return 0;
	}
	switch (m->type) {
	case MSG_SAY:
	case MSG_ACT:
		chat_say(cs, m, now);
		break;
	case MSG_PRIVMSG:
		chat_privmsg(cs, m, now);
		break;
	case MSG_E2E:
		chat_e2e(cs, m, now);
		break;
	case MSG_KEYS:
		chat_keys(cs, m);
		break;
	case MSG_JOIN:
		chat_join(cs, m, now);
		break;
	case MSG_PART:
		chat_part(cs, m, now);
		break;
	case MSG_WHO:
		chat_who(cs, m);
		break;
	case MSG_AWAY:
		chat_away(cs, m, now);
		break;
	case MSG_WHOIS:
		chat_whois(cs, m, now);
		break;
	case MSG_ROOMS:
		chat_rooms(cs);
		break;
	case MSG_BYE:
		chat_bye(cs, m, now);
		return 1;
	default:
		/* PING, PONG, AUTH: the worker deals with those itself. */
		chat_end(cs, CHAT_WHY_PROTO,
		    "protocol error: unexpected message");
		break;
	}
	return 0;
}

/* ------------------------------------------------------------ sessions */

struct chat_session *
chat_session_new(struct chat *c, void *owner)
{
	struct chat_session	*cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->chat = c;
	cs->owner = owner;
	TAILQ_INSERT_TAIL(&c->sessions, cs, entry);
	return cs;
}

int
chat_login(struct chat_session *cs, const char *user)
{
	struct chat	*c = cs->chat;
	size_t		 len = strlen(user);

	if (cs->ended || cs->user[0] != '\0' || !valid_username(user, len))
		return -1;
	memcpy(cs->user, user, len + 1);
	if (ENGINE(c)->attach(c->engine, cs) == -1) {
		cs->user[0] = '\0';
		return -1;
	}
	return 0;
}

/*
 * Once, right after chat_login: a second call, or one for a session not
 * logged in, changes nothing (the master sends one LOGIN per session).
 */
void
chat_set_identity(struct chat_session *cs, const uint8_t key[32],
    unsigned flags)
{
	struct chat	*c = cs->chat;

	if (cs->ended || cs->user[0] == '\0' || cs->idflags != 0)
		return;
	memcpy(cs->key, key, WIRE_KEYLEN);
	cs->idflags = flags & (CHAT_ID_EXTENDED | CHAT_ID_KEYLOGIN);
	ENGINE(c)->identify(c->engine, cs);
}

void
chat_enrolled_reset(struct chat *c)
{
	ENGINE(c)->enrolled_reset(c->engine);
}

int
chat_enrolled_add(struct chat *c, const char *user, const uint8_t key[32])
{
	if (!valid_username(user, strlen(user))) {
		log_warnx("enrolled key for a bad user name left out");
		return 0;
	}
	if (ENGINE(c)->enrolled_add(c->engine, user, key) == -1) {
		ENGINE(c)->enrolled_reset(c->engine);
		return -1;
	}
	return 0;
}

uint64_t
chat_enrolled_cost(void)
{
	return chat_mem_enrolled_cost();
}

void
chat_enter_lobby(struct chat_session *cs, uint64_t now)
{
	struct chat	*c = cs->chat;

	/* Logging in counts as activity: a new user is not idle for ages. */
	ENGINE(c)->touch(c->engine, cs, now);
	chat_join_answer(cs, ENGINE(c)->join(c->engine, cs, c->cfg.lobby,
	    now));
}

void
chat_session_end(struct chat_session *cs)
{
	struct chat	*c = cs->chat;

	if (cs->ended)
		return;
	cs->ended = 1;
	ENGINE(c)->hide(c->engine, cs);
}

void
chat_session_free(struct chat_session *cs, const char *why, uint64_t now)
{
	struct chat	*c = cs->chat;

	ENGINE(c)->detach(c->engine, cs, why, now);
	TAILQ_REMOVE(&c->sessions, cs, entry);
	free(cs);
}

const char *
chat_session_user(const struct chat_session *cs)
{
	return cs->user[0] != '\0' ? cs->user : NULL;
}

int
chat_session_rooms(const struct chat_session *cs, struct buf *out)
{
	struct chat	*c = cs->chat;

	return ENGINE(c)->session_rooms(c->engine, cs, out);
}

uint64_t
chat_session_cost(uint32_t max_rooms)
{
	return sizeof(struct chat_session) + CHAT_ALLOC_SLACK +
	    chat_mem_session_cost(max_rooms);
}

/* ------------------------------------------------------------ the model */

struct chat *
chat_new(const struct chat_config *cfg, const struct chat_io *io)
{
	struct chat	*c;
	const struct chat_engine_ops *ops;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->cfg = *cfg;
	/* Every session is in the lobby: that is one room at least. */
	if (c->cfg.max_rooms == 0)
		c->cfg.max_rooms = 1;
	c->io = *io;
	c->e2e_max = chat_e2e_payload_max(c->cfg.max_message);
#ifdef SECCHAT_TEST_HOOKS
	if (cfg->test_lying_key != NULL) {
		memcpy(c->lie, cfg->test_lying_key, WIRE_KEYLEN);
		c->lying = 1;
	}
#endif
	c->cfg.test_lying_key = NULL;
	TAILQ_INIT(&c->sessions);
	buf_init(&c->out, RECORD_MAX_PLAINTEXT);
	buf_init(&c->pub, RECORD_MAX_PLAINTEXT);
	buf_init(&c->rooms, WHOIS_ROOMS_MAX);
	chat_list_init(&c->list);
	ops = cfg->engine != NULL ? cfg->engine : &chat_mem_engine;
	if ((c->engine = ops->create(c, &c->cfg)) == NULL) {
		chat_list_clear(&c->list);
		free(c);
		return NULL;
	}
	return c;
}

struct chat_engine *
chat_engine_of(struct chat *c)
{
	return c->engine;
}

void
chat_free(struct chat *c)
{
	struct chat_session	*cs;

	if (c == NULL)
		return;
	ENGINE(c)->destroy(c->engine);
	while ((cs = TAILQ_FIRST(&c->sessions)) != NULL) {
		TAILQ_REMOVE(&c->sessions, cs, entry);
		free(cs);
	}
	buf_free(&c->out);
	buf_free(&c->pub);
	buf_free(&c->rooms);
	chat_list_clear(&c->list);
	free(c);
}
