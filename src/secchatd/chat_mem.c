/*
 * chat_mem.c: the chat engine that keeps rooms, members, presence and
 * history in this process's memory; the contract is in chat.h.
 *
 * A user is online while one of its sessions is attached.  A member is
 * one session in one room: a room's members are in the order they joined
 * (the order of fan-out and of NAMES), a session's in the reverse order.
 * Presence is per user, found by walking the room's members: a user with
 * two sessions in a room is one name in NAMES, and it arrives with the
 * first and departs with the last.
 *
 * The identity of a session is in its chat_session (key, idflags): the
 * directory and the end-to-end relay walk the user's sessions.  The
 * enrolled keys are a tree of their own, by user, apart from the online
 * users: a user may have keys and no session, or sessions and no keys.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chat.h"
#include "history.h"
#include "log.h"
#include "util.h"
#include "wire.h"

#define CM_ALLOC_SLACK	32	/* a small block's allocator overhead */

struct cm_room;
struct cm_session;

struct cm_member {
	struct cm_room		*room;
	struct cm_session	*session;
	TAILQ_ENTRY(cm_member)	 in_room;	/* join order: fan-out order */
	LIST_ENTRY(cm_member)	 in_session;
};

struct cm_user {
	RB_ENTRY(cm_user)	 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	LIST_HEAD(, cm_session)	 sessions;
	unsigned long		 mark;		/* see cm_list_users() */
	uint64_t		 active;	/* contract 15 */
	struct chat_away	 away;		/* contract 14 */
};

struct cm_session {
	struct chat_session	*cs;
	struct cm_user		*user;
	LIST_ENTRY(cm_session)	 of_user;
	LIST_HEAD(, cm_member)	 rooms;
	unsigned		 nrooms;
	int			 hidden;	/* ended, not yet detached */
};

/* The keys enrolled for one user, exactly as many as there are. */
struct cm_enrolled {
	RB_ENTRY(cm_enrolled)	 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	unsigned		 nkeys;
	uint8_t			(*keys)[WIRE_KEYLEN];
};

struct cm_room {
	RB_ENTRY(cm_room)	 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	TAILQ_HEAD(, cm_member)	 members;
	size_t			 nmembers;
	struct history_room	 hist;
};

static int	cm_user_cmp(struct cm_user *, struct cm_user *);
static int	cm_room_cmp(struct cm_room *, struct cm_room *);
static int	cm_enrolled_cmp(struct cm_enrolled *, struct cm_enrolled *);

RB_HEAD(cm_user_tree, cm_user);
RB_HEAD(cm_room_tree, cm_room);
RB_HEAD(cm_enrolled_tree, cm_enrolled);
/*
 * RB_GENERATE_STATIC needs a __unused that libbsd leaves undefined (it
 * clashes with Linux headers); spell the attribute out instead.
 */
#define CM_TREE_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(cm_user_tree, cm_user, entry, cm_user_cmp,
    CM_TREE_STATIC)
RB_GENERATE_INTERNAL(cm_room_tree, cm_room, entry, cm_room_cmp,
    CM_TREE_STATIC)
RB_GENERATE_INTERNAL(cm_enrolled_tree, cm_enrolled, entry, cm_enrolled_cmp,
    CM_TREE_STATIC)

struct cm_engine {
	struct chat_engine	 base;		/* first: see chat.h */
	uint32_t		 max_rooms;
	struct cm_user_tree	 users;
	struct cm_room_tree	 rooms;
	struct cm_enrolled_tree	 enrolled;
	size_t			 nenrolled;	/* keys in it */
	int			 enrolled_full;	/* said so once */
	struct history_store	 hist;		/* every room's history */
	struct cm_room		*lobby;
	struct buf		 msg;		/* a notice or history entry */
	struct chat_list	 list;		/* NAMES for a joiner */
	unsigned long		 mark;
};

static int
cm_user_cmp(struct cm_user *x, struct cm_user *y)
{
	return strcmp(x->name, y->name);
}

static int
cm_enrolled_cmp(struct cm_enrolled *x, struct cm_enrolled *y)
{
	return strcmp(x->name, y->name);
}

/* Room names are compared exactly: "Lobby" is not "lobby". */
static int
cm_room_cmp(struct cm_room *x, struct cm_room *y)
{
	return strcmp(x->name, y->name);
}

static struct cm_engine *
cm_engine(struct chat_engine *ce)
{
	return (struct cm_engine *)ce;
}

/* Encode m into e->msg; -1 if it does not fit in one record. */
static int
cm_encode(struct cm_engine *e, const struct wire_msg *m)
{
	buf_reset(&e->msg);
	return wire_encode(&e->msg, m);
}

static void
cm_wstr(struct wire_str *ws, const char *p, size_t len)
{
	ws->p = p;
	ws->len = len;
}

/* Deliver the bytes p to every visible member of r but except. */
static void
cm_room_send(struct cm_room *r, const struct cm_session *except,
    const uint8_t *p, size_t len)
{
	struct cm_member	*mb;

	/* A delivery may hide a member, never take one out. */
	TAILQ_FOREACH(mb, &r->members, in_room)
		if (mb->session != except && !mb->session->hidden)
			chat_deliver(mb->session->cs, p, len);
}

/* ------------------------------------------------------------ users */

static struct cm_user *
cm_user_find(struct cm_engine *e, const char *name)
{
	struct cm_user	 key;

	strlcpy(key.name, name, sizeof(key.name));
	return RB_FIND(cm_user_tree, &e->users, &key);
}

static struct cm_user *
cm_user_get(struct cm_engine *e, const char *name)
{
	struct cm_user	*u;

	if ((u = cm_user_find(e, name)) != NULL)
		return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	strlcpy(u->name, name, sizeof(u->name));
	LIST_INIT(&u->sessions);
	RB_INSERT(cm_user_tree, &e->users, u);
	return u;
}

static void
cm_user_drop_session(struct cm_engine *e, struct cm_session *ms)
{
	struct cm_user	*u = ms->user;

	LIST_REMOVE(ms, of_user);
	ms->user = NULL;
	if (LIST_EMPTY(&u->sessions)) {
		RB_REMOVE(cm_user_tree, &e->users, u);
		free(u);
	}
}

/* 1 if u has a session in r, hidden or not: presence (contract 3). */
static int
cm_user_in_room(const struct cm_user *u, const struct cm_room *r)
{
	struct cm_member	*mb;

	TAILQ_FOREACH(mb, &r->members, in_room)
		if (mb->session->user == u)
			return 1;
	return 0;
}

/*
 * The distinct users among r's visible members, in l (only those who are
 * away if away_only: contract 16); the list stops at the first that does
 * not fit.
 */
static void
cm_list_users(struct cm_engine *e, const struct cm_room *r,
    struct chat_list *l, int away_only)
{
	struct cm_member	*mb;
	struct cm_user		*u;

	e->mark++;
	TAILQ_FOREACH(mb, &r->members, in_room) {
		if (mb->session->hidden)
			continue;
		u = mb->session->user;
		if (u->mark == e->mark)
			continue;
		u->mark = e->mark;
		if ((!away_only || u->away.len > 0) &&
		    chat_list_add_user(l, u->name) == -1)
			break;
	}
}

/* Distinct visible users in r. */
static uint16_t
cm_count_users(struct cm_engine *e, const struct cm_room *r)
{
	struct cm_member	*mb;
	struct cm_user		*u;
	uint16_t		 n = 0;

	e->mark++;
	TAILQ_FOREACH(mb, &r->members, in_room) {
		if (mb->session->hidden)
			continue;
		u = mb->session->user;
		if (u->mark != e->mark && n < UINT16_MAX) {
			u->mark = e->mark;
			n++;
		}
	}
	return n;
}

/* ------------------------------------------------------------ rooms */

static struct cm_room *
cm_room_find(struct cm_engine *e, const char *name)
{
	struct cm_room	 key;

	strlcpy(key.name, name, sizeof(key.name));
	return RB_FIND(cm_room_tree, &e->rooms, &key);
}

static struct cm_room *
cm_room_create(struct cm_engine *e, const char *name)
{
	struct cm_room	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	strlcpy(r->name, name, sizeof(r->name));
	TAILQ_INIT(&r->members);
	history_room_init(&r->hist);
	RB_INSERT(cm_room_tree, &e->rooms, r);
	return r;
}

static void
cm_room_destroy(struct cm_engine *e, struct cm_room *r)
{
	RB_REMOVE(cm_room_tree, &e->rooms, r);
	history_room_clear(&e->hist, &r->hist);
	free(r);
}

static struct cm_member *
cm_membership(const struct cm_session *ms, const struct cm_room *r)
{
	struct cm_member	*mb;

	LIST_FOREACH(mb, &ms->rooms, in_session)
		if (mb->room == r)
			return mb;
	return NULL;
}

/* The member of ms in the room named, or NULL. */
static struct cm_member *
cm_find_member(struct cm_engine *e, const struct chat_session *cs,
    const char *room)
{
	struct cm_room	*r;

	if (cs->priv == NULL || (r = cm_room_find(e, room)) == NULL)
		return NULL;
	return cm_membership(cs->priv, r);
}

static void
cm_send_names(struct cm_engine *e, struct cm_session *ms,
    const struct cm_room *r)
{
	chat_list_begin_names(&e->list, r->name);
	cm_list_users(e, r, &e->list, 0);
	chat_send_names(ms->cs, r->name, &e->list);
}

/* ARRIVED or DEPARTED (why not NULL) to r's members but except. */
static void
cm_announce(struct cm_engine *e, struct cm_room *r,
    const struct cm_session *except, uint8_t type, uint64_t now,
    const char *user, const char *why)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.time = now;
	cm_wstr(&m.s[0], r->name, strlen(r->name));
	cm_wstr(&m.s[1], user, strlen(user));
	m.ns = 2;
	if (why != NULL) {
		cm_wstr(&m.s[2], why, strlen(why));
		m.ns = 3;
	}
	if (cm_encode(e, &m) == -1)
		fatalx("cannot encode a presence message");
	cm_room_send(r, except, buf_head(&e->msg), buf_used(&e->msg));
}

/* Put ms in r: JOINED, the history, NAMES; ARRIVED to the others. */
static enum chat_result
cm_room_enter(struct cm_engine *e, struct cm_session *ms, struct cm_room *r,
    uint64_t now)
{
	struct cm_member	*mb;
	int			 arrived;

	if ((mb = calloc(1, sizeof(*mb))) == NULL)
		return CHAT_NO_MEMORY;
	arrived = !cm_user_in_room(ms->user, r);
	mb->room = r;
	mb->session = ms;
	TAILQ_INSERT_TAIL(&r->members, mb, in_room);
	r->nmembers++;
	LIST_INSERT_HEAD(&ms->rooms, mb, in_session);
	ms->nrooms++;

	chat_send_room(ms->cs, MSG_JOINED, r->name);
	chat_send_history(ms->cs, r->name, &r->hist);
	cm_send_names(e, ms, r);
	if (arrived)
		cm_announce(e, r, ms, MSG_ARRIVED, now, ms->user->name, NULL);
	return CHAT_OK;
}

/* Take mb's session out of its room; DEPARTED if its user is now gone. */
static void
cm_room_leave(struct cm_engine *e, struct cm_member *mb, const char *why,
    uint64_t now)
{
	struct cm_room		*r = mb->room;
	struct cm_session	*ms = mb->session;

	TAILQ_REMOVE(&r->members, mb, in_room);
	r->nmembers--;
	LIST_REMOVE(mb, in_session);
	ms->nrooms--;
	free(mb);
	if (!cm_user_in_room(ms->user, r))
		cm_announce(e, r, NULL, MSG_DEPARTED, now, ms->user->name,
		    why);
	/* Empty rooms go, and their history with them; the lobby stays. */
	if (r->nmembers == 0 && r != e->lobby)
		cm_room_destroy(e, r);
}

/* ------------------------------------------------------------ the calls */

static int
cm_attach(struct chat_engine *ce, struct chat_session *cs)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_session	*ms;
	struct cm_user		*u;

	if ((ms = calloc(1, sizeof(*ms))) == NULL)
		return -1;
	if ((u = cm_user_get(e, cs->user)) == NULL) {
		free(ms);
		return -1;
	}
	ms->cs = cs;
	ms->user = u;
	LIST_INIT(&ms->rooms);
	LIST_INSERT_HEAD(&u->sessions, ms, of_user);
	cs->priv = ms;
	return 0;
}

static void
cm_hide(struct chat_engine *ce, struct chat_session *cs)
{
	struct cm_session	*ms = cs->priv;

	(void)ce;
	if (ms != NULL)
		ms->hidden = 1;
}

static void
cm_detach(struct chat_engine *ce, struct chat_session *cs, const char *why,
    uint64_t now)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_session	*ms = cs->priv;
	struct cm_member	*mb;

	if (ms == NULL)
		return;
	while ((mb = LIST_FIRST(&ms->rooms)) != NULL)
		cm_room_leave(e, mb, why, now);
	cm_user_drop_session(e, ms);
	cs->priv = NULL;
	free(ms);
}

static enum chat_result
cm_join(struct chat_engine *ce, struct chat_session *cs, const char *room,
    uint64_t now)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_session	*ms = cs->priv;
	struct cm_room		*r;
	enum chat_result	 res;
	int			 created = 0;

	if (ms == NULL)
		return CHAT_NOT_MEMBER;
	r = cm_room_find(e, room);
	/*
	 * Joining a room one is already in is not an error: the client may
	 * have lost track.  It gets JOINED and NAMES again, but not the
	 * history (it has seen it) and nobody else hears of it.
	 */
	if (r != NULL && cm_membership(ms, r) != NULL) {
		chat_send_room(cs, MSG_JOINED, r->name);
		cm_send_names(e, ms, r);
		return CHAT_OK;
	}
	if (ms->nrooms >= e->max_rooms)
		return CHAT_TOO_MANY;
	if (r == NULL) {
		if ((r = cm_room_create(e, room)) == NULL)
			return CHAT_NO_MEMORY;
		created = 1;
	}
	if ((res = cm_room_enter(e, ms, r, now)) != CHAT_OK && created)
		cm_room_destroy(e, r);
	return res;
}

static enum chat_result
cm_part(struct chat_engine *ce, struct chat_session *cs, const char *room,
    const char *why, uint64_t now)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_member	*mb;

	if ((mb = cm_find_member(e, cs, room)) == NULL)
		return CHAT_NOT_MEMBER;
	chat_send_room(cs, MSG_PARTED, mb->room->name);
	cm_room_leave(e, mb, why, now);
	return CHAT_OK;
}

static int
cm_member(struct chat_engine *ce, const struct chat_session *cs,
    const char *room)
{
	return cm_find_member(cm_engine(ce), cs, room) != NULL;
}

static enum chat_result
cm_publish(struct chat_engine *ce, struct chat_session *cs, const char *room,
    const struct chat_post *post, const uint8_t *msg, size_t len)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_member	*mb;
	struct cm_room		*r;

	if ((mb = cm_find_member(e, cs, room)) == NULL)
		return CHAT_NOT_MEMBER;
	r = mb->room;
	cm_room_send(r, mb->session, msg, len);
	/* Kept in memory only, never written out. */
	(void)history_add(&e->hist, &r->hist, post->time, post->kind,
	    post->sender, post->text, post->textlen);
	return CHAT_OK;
}

static enum chat_result
cm_to_user(struct chat_engine *ce, struct chat_session *cs, const char *user,
    const uint8_t *msg, size_t len)
{
	struct cm_user		*u;
	struct cm_session	*t;
	int			 online = 0;

	if ((u = cm_user_find(cm_engine(ce), user)) == NULL)
		return CHAT_NO_USER;
	/* Every session of the user but the sender's own. */
	LIST_FOREACH(t, &u->sessions, of_user) {
		if (t->hidden)
			continue;
		online = 1;
		if (t->cs != cs)
			chat_deliver(t->cs, msg, len);
	}
	return online ? CHAT_OK : CHAT_NO_USER;
}

static int
cm_room_visible(const struct cm_room *r)
{
	struct cm_member	*mb;

	TAILQ_FOREACH(mb, &r->members, in_room)
		if (!mb->session->hidden)
			return 1;
	return 0;
}

static enum chat_result
cm_names(struct chat_engine *ce, const char *room, struct chat_list *l)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_room		*r;

	if ((r = cm_room_find(e, room)) == NULL || !cm_room_visible(r))
		return CHAT_NO_ROOM;
	cm_list_users(e, r, l, 0);
	return CHAT_OK;
}

static void
cm_rooms(struct chat_engine *ce, struct chat_list *l)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_room		*r;
	uint16_t		 users;

	RB_FOREACH(r, cm_room_tree, &e->rooms) {
		if ((users = cm_count_users(e, r)) == 0)
			continue;
		if (chat_list_add_room(l, r->name, users) == -1)
			break;
	}
}

static int
cm_session_rooms(struct chat_engine *ce, const struct chat_session *cs,
    struct buf *out)
{
	const struct cm_session	*ms = cs->priv;
	const struct cm_member	*mb;
	int			 first = 1;

	(void)ce;
	if (ms == NULL)
		return 0;
	LIST_FOREACH(mb, &ms->rooms, in_session) {
		if ((!first && buf_append(out, ",", 1) == -1) ||
		    buf_append(out, mb->room->name,
		    strlen(mb->room->name)) == -1)
			return -1;
		first = 0;
	}
	return 0;
}

/* ------------------------------------------------ identity and directory */

static void
cm_identify(struct chat_engine *ce, struct chat_session *cs)
{
	/* The key is in cs itself, which the user's list reaches. */
	(void)ce;
	(void)cs;
}

static void
cm_enrolled_reset(struct chat_engine *ce)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_enrolled	*en;

	while ((en = RB_MIN(cm_enrolled_tree, &e->enrolled)) != NULL) {
		RB_REMOVE(cm_enrolled_tree, &e->enrolled, en);
		free(en->keys);
		free(en);
	}
	e->nenrolled = 0;
	e->enrolled_full = 0;
}

static int
cm_enrolled_add(struct chat_engine *ce, const char *user,
    const uint8_t key[WIRE_KEYLEN])
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_enrolled	 find, *en;
	uint8_t			(*keys)[WIRE_KEYLEN];
	unsigned		 i;

	strlcpy(find.name, user, sizeof(find.name));
	en = RB_FIND(cm_enrolled_tree, &e->enrolled, &find);
	if (en != NULL)
		for (i = 0; i < en->nkeys; i++)
			if (memcmp(en->keys[i], key, WIRE_KEYLEN) == 0)
				return 0;
	/* The master sends no more than these; a bound all the same. */
	if ((en != NULL && en->nkeys >= CHAT_ENROLLED_PER_USER) ||
	    e->nenrolled >= CHAT_ENROLLED_MAX) {
		if (!e->enrolled_full)
			log_warnx("enrolled keys past %u per user or %u in "
			    "all are left out of the key directory",
			    CHAT_ENROLLED_PER_USER, CHAT_ENROLLED_MAX);
		e->enrolled_full = 1;
		return 0;
	}
	if (en == NULL) {
		if ((en = calloc(1, sizeof(*en))) == NULL)
			return -1;
		strlcpy(en->name, user, sizeof(en->name));
		RB_INSERT(cm_enrolled_tree, &e->enrolled, en);
	}
	/* At most 16 keys: growing one at a time costs nothing. */
	if ((keys = reallocarray(en->keys, en->nkeys + 1, WIRE_KEYLEN)) ==
	    NULL) {
		if (en->nkeys == 0) {
			RB_REMOVE(cm_enrolled_tree, &e->enrolled, en);
			free(en);
		}
		return -1;
	}
	en->keys = keys;
	memcpy(en->keys[en->nkeys++], key, WIRE_KEYLEN);
	e->nenrolled++;
	return 0;
}

static void
cm_keys(struct chat_engine *ce, const char *user, struct chat_keylist *kl)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_enrolled	 find, *en;
	struct cm_user		*u;
	struct cm_session	*ms;
	unsigned		 i;

	strlcpy(find.name, user, sizeof(find.name));
	if ((en = RB_FIND(cm_enrolled_tree, &e->enrolled, &find)) != NULL)
		for (i = 0; i < en->nkeys; i++)
			(void)chat_keylist_add(kl, en->keys[i],
			    KEYLIST_ENROLLED);
	if ((u = cm_user_find(e, user)) == NULL)
		return;
	LIST_FOREACH(ms, &u->sessions, of_user)
		if (!ms->hidden && (ms->cs->idflags & CHAT_ID_EXTENDED))
			(void)chat_keylist_add(kl, ms->cs->key,
			    KEYLIST_ONLINE);
}

static enum chat_result
cm_to_device(struct chat_engine *ce, struct chat_session *cs,
    const char *user, const uint8_t device[WIRE_KEYLEN], const uint8_t *msg,
    size_t len)
{
	struct cm_user		*u;
	struct cm_session	*t;
	int			 sent = 0;

	if ((u = cm_user_find(cm_engine(ce), user)) == NULL)
		return CHAT_NO_USER;
	/*
	 * As cm_to_user: a delivery may hide any session, never take one
	 * off the list.  Keys are public: memcmp is enough.
	 */
	LIST_FOREACH(t, &u->sessions, of_user) {
		if (t->hidden || t->cs == cs ||
		    !(t->cs->idflags & CHAT_ID_EXTENDED) ||
		    memcmp(t->cs->key, device, WIRE_KEYLEN) != 0)
			continue;
		sent = 1;
		chat_deliver(t->cs, msg, len);
	}
	return sent ? CHAT_OK : CHAT_NO_USER;
}

/* ------------------------------------------------------ away and whois */

/* The user of that name if one of its sessions is visible, else NULL. */
static struct cm_user *
cm_user_visible(struct cm_engine *e, const char *name)
{
	struct cm_user		*u;
	struct cm_session	*ms;

	if ((u = cm_user_find(e, name)) == NULL)
		return NULL;
	LIST_FOREACH(ms, &u->sessions, of_user)
		if (!ms->hidden)
			return u;
	return NULL;
}

static enum chat_result
cm_set_away(struct chat_engine *ce, struct chat_session *cs, const char *text,
    size_t len, uint64_t now, const uint8_t *msg, size_t msglen)
{
	struct cm_session	*ms = cs->priv, *t;
	struct cm_user		*u;

	(void)ce;
	if (ms == NULL || len > AWAY_TEXT_MAX)
		return CHAT_NO_MEMORY;
	u = ms->user;
	memcpy(u->away.text, text, len);
	u->away.text[len] = '\0';
	u->away.len = len;
	u->away.since = now;
	/* As cm_to_user: a delivery may hide a session, never unlink one. */
	LIST_FOREACH(t, &u->sessions, of_user)
		if (!t->hidden && (t->cs->idflags & CHAT_ID_EXTENDED))
			chat_deliver(t->cs, msg, msglen);
	return CHAT_OK;
}

static int
cm_away(struct chat_engine *ce, const char *user, struct chat_away *away)
{
	struct cm_user	*u;

	if ((u = cm_user_visible(cm_engine(ce), user)) == NULL ||
	    u->away.len == 0)
		return 0;
	*away = u->away;
	return 1;
}

static void
cm_touch(struct chat_engine *ce, struct chat_session *cs, uint64_t now)
{
	struct cm_session	*ms = cs->priv;

	(void)ce;
	if (ms != NULL)
		ms->user->active = now;
}

/* 1 if the comma-joined list in b holds name already. */
static int
cm_csv_has(const struct buf *b, const char *name)
{
	const char	*p = (const char *)buf_head(b), *end, *comma;
	size_t		 len = strlen(name), n;

	if (buf_used(b) == 0)
		return 0;
	end = p + buf_used(b);
	while (p < end) {
		comma = memchr(p, ',', (size_t)(end - p));
		n = comma != NULL ? (size_t)(comma - p) : (size_t)(end - p);
		if (n == len && memcmp(p, name, len) == 0)
			return 1;
		p += n + 1;
	}
	return 0;
}

static enum chat_result
cm_whois(struct chat_engine *ce, const char *user, struct chat_whois *w)
{
	struct cm_user		*u;
	struct cm_session	*ms;
	struct cm_member	*mb;
	size_t			 len;

	if ((u = cm_user_visible(cm_engine(ce), user)) == NULL)
		return CHAT_NO_USER;
	w->active = u->active;
	w->away = u->away;
	/*
	 * A user has few sessions of at most max_rooms rooms each: looking
	 * each room up in the list built so far is cheap enough.
	 */
	LIST_FOREACH(ms, &u->sessions, of_user)
		if (!ms->hidden && (ms->cs->idflags & CHAT_ID_EXTENDED))
			(void)chat_keylist_add(w->keys, ms->cs->key,
			    KEYLIST_ONLINE);
	LIST_FOREACH(ms, &u->sessions, of_user) {
		if (ms->hidden)
			continue;
		LIST_FOREACH(mb, &ms->rooms, in_session) {
			len = strlen(mb->room->name);
			if (cm_csv_has(w->rooms, mb->room->name))
				continue;
			if (buf_used(w->rooms) + (buf_used(w->rooms) > 0) +
			    len > WHOIS_ROOMS_MAX)
				return CHAT_OK;
			if ((buf_used(w->rooms) > 0 &&
			    buf_append(w->rooms, ",", 1) == -1) ||
			    buf_append(w->rooms, mb->room->name, len) == -1)
				return CHAT_NO_MEMORY;
		}
	}
	return CHAT_OK;
}

static enum chat_result
cm_names_away(struct chat_engine *ce, const char *room, struct chat_list *l)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_room		*r;

	if ((r = cm_room_find(e, room)) == NULL || !cm_room_visible(r))
		return CHAT_NO_ROOM;
	cm_list_users(e, r, l, 1);
	return CHAT_OK;
}

/* ------------------------------------------------------------ the engine */

static struct chat_engine *
cm_create(struct chat *c, const struct chat_config *cfg)
{
	struct cm_engine	*e;

	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->base.ops = &chat_mem_engine;
	e->base.chat = c;
	e->max_rooms = cfg->max_rooms == 0 ? 1 : cfg->max_rooms;
	RB_INIT(&e->users);
	RB_INIT(&e->rooms);
	RB_INIT(&e->enrolled);
	history_init(&e->hist, cfg->history, cfg->room_history_bytes,
	    cfg->history_bytes);
	buf_init(&e->msg, RECORD_MAX_PLAINTEXT);
	chat_list_init(&e->list);
	if ((e->lobby = cm_room_create(e, cfg->lobby)) == NULL) {
		chat_list_clear(&e->list);
		free(e);
		return NULL;
	}
	return &e->base;
}

static void
cm_destroy(struct chat_engine *ce)
{
	struct cm_engine	*e = cm_engine(ce);
	struct cm_user		*u;
	struct cm_session	*ms;
	struct cm_member	*mb;
	struct cm_room		*r;

	/* Every attached session is on its user's list. */
	while ((u = RB_MIN(cm_user_tree, &e->users)) != NULL) {
		while ((ms = LIST_FIRST(&u->sessions)) != NULL) {
			while ((mb = LIST_FIRST(&ms->rooms)) != NULL) {
				TAILQ_REMOVE(&mb->room->members, mb, in_room);
				LIST_REMOVE(mb, in_session);
				free(mb);
			}
			LIST_REMOVE(ms, of_user);
			ms->cs->priv = NULL;
			free(ms);
		}
		RB_REMOVE(cm_user_tree, &e->users, u);
		free(u);
	}
	while ((r = RB_MIN(cm_room_tree, &e->rooms)) != NULL)
		cm_room_destroy(e, r);
	cm_enrolled_reset(ce);
	buf_free(&e->msg);
	chat_list_clear(&e->list);
	free(e);
}

uint64_t
chat_mem_session_cost(uint32_t max_rooms)
{
	uint64_t	 rooms = max_rooms == 0 ? 1 : max_rooms;

	return sizeof(struct cm_session) + CM_ALLOC_SLACK +
	    sizeof(struct cm_user) + CM_ALLOC_SLACK +
	    rooms * (sizeof(struct cm_member) + sizeof(struct cm_room) +
	    2 * CM_ALLOC_SLACK);
}

/*
 * Each key may be a user's only one: its entry, and a block of one key,
 * each with the allocator's share.
 */
uint64_t
chat_mem_enrolled_cost(void)
{
	return (uint64_t)CHAT_ENROLLED_MAX * (sizeof(struct cm_enrolled) +
	    CM_ALLOC_SLACK + WIRE_KEYLEN + CM_ALLOC_SLACK);
}

const struct chat_engine_ops chat_mem_engine = {
	.name = "memory",
	.create = cm_create,
	.destroy = cm_destroy,
	.attach = cm_attach,
	.hide = cm_hide,
	.detach = cm_detach,
	.join = cm_join,
	.part = cm_part,
	.member = cm_member,
	.publish = cm_publish,
	.to_user = cm_to_user,
	.names = cm_names,
	.rooms = cm_rooms,
	.session_rooms = cm_session_rooms,
	.identify = cm_identify,
	.enrolled_reset = cm_enrolled_reset,
	.enrolled_add = cm_enrolled_add,
	.keys = cm_keys,
	.to_device = cm_to_device,
	.set_away = cm_set_away,
	.away = cm_away,
	.touch = cm_touch,
	.whois = cm_whois,
	.names_away = cm_names_away,
};
