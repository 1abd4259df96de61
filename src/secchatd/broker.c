/*
 * broker.c: rooms, presence, fan-out and history.
 *
 * One process, one poll() loop.  The master hands the broker one socket per
 * session (the other end is that session's worker) and later tells it which
 * user the session authenticated as; the broker attributes everything a
 * session sends to that user and to nothing a worker claims.
 *
 * The broker never waits for one session: each has an output queue bounded
 * by SendQueueSize, and a session whose worker does not keep up is dropped
 * (and the master told) rather than slowing everyone else.  A message for a
 * room is encoded once and the same bytes are queued for each member.
 *
 * Presence is per user: a user with two sessions in a room is one name in
 * NAMES, and others see ARRIVED when the user's first session enters the
 * room and DEPARTED when the last one leaves it.
 *
 * A session that is ended while the broker is in the middle of something
 * (a fan-out, say) is only marked dead and put on a list; it is taken apart
 * (DEPARTED to its rooms, socket closed) at the top of the loop, where no
 * list is being walked.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/tree.h>

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "broker.h"
#include "buf.h"
#include "history.h"
#include "ipc.h"
#include "log.h"
#include "proto.h"
#include "sandbox.h"
#include "util.h"
#include "wire.h"

#define LOBBY			"lobby"
#define MASTER_OUT_MAX		(8 * 1024 * 1024)
/* A session's queue always has room for at least one largest message. */
#define SESSION_OUT_MIN		(IPC_HDRLEN + RECORD_MAX_PLAINTEXT)
#define FLUSH_HOLD_MS		5	/* how long output waits for company */
/*
 * A session's input buffer holds at most a partial message and one read
 * chunk, which ipc.c keeps below a whole payload.
 */
#define SESSION_IN_MAX		(IPC_HDRLEN + 2 * IPC_MAX_PAYLOAD)
/*
 * Memory that does not grow with the configuration: code, stack, the
 * master channel (MASTER_OUT_MAX), the scratch buffers.
 */
#define BROKER_AS_BASE		(64ULL * 1024 * 1024)
#define BROKER_AS_FLOOR		(256ULL * 1024 * 1024)
#define ALLOC_SLACK		32	/* a small block's allocator overhead */
#define PAGE_SLACK		4096	/* a large block's, rounded to pages */

/* Why a session went away, as others see it in DEPARTED. */
#define WHY_PART		"left"
#define WHY_QUIT		"quit"
#define WHY_LOST		"connection lost"
#define WHY_SLOW		"send queue full"
#define WHY_PROTO		"protocol error"
#define QUIT_REASON_MAX		160	/* bytes of a BYE reason passed on */

enum session_state {
	S_NEW,		/* socket known, user not yet: accepts nothing */
	S_ACTIVE,	/* logged in */
	S_QUIT		/* said BYE: its last answers are being written */
};

struct session;
struct room;

/* One session in one room. */
struct member {
	struct room		*room;
	struct session		*session;
	TAILQ_ENTRY(member)	 in_room;	/* join order: fan-out order */
	LIST_ENTRY(member)	 in_session;
};

struct user {
	RB_ENTRY(user)		 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	LIST_HEAD(, session)	 sessions;
	unsigned long		 mark;		/* see list_users() */
};

struct session {
	RB_ENTRY(session)	 entry;
	uint32_t		 id;		/* the master's */
	enum session_state	 state;
	struct user		*user;		/* once ACTIVE */
	LIST_ENTRY(session)	 of_user;
	LIST_HEAD(, member)	 rooms;
	unsigned		 nrooms;
	struct ipc_peer		 peer;
	char			 label[32];	/* "session 12", for logs */
	TAILQ_ENTRY(session)	 all;
	/* Set when the session is ended; it is removed by reap(). */
	int			 dead;
	int			 unlisted;	/* its id was given to a new session */
	const char		*why;		/* for DEPARTED */
	const char		*kick;		/* for the master, or NULL */
	TAILQ_ENTRY(session)	 dead_entry;
	/* Output waiting for the next batch, and output the socket refused. */
	int			 queued;
	int			 blocked;
	TAILQ_ENTRY(session)	 dirty_entry;
};

struct room {
	RB_ENTRY(room)		 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	TAILQ_HEAD(, member)	 members;
	size_t			 nmembers;
	struct history_room	 hist;
};

static int	user_cmp(struct user *, struct user *);
static int	session_cmp(struct session *, struct session *);
static int	room_cmp(struct room *, struct room *);

RB_HEAD(user_tree, user);
RB_HEAD(session_tree, session);
RB_HEAD(room_tree, room);
/*
 * RB_GENERATE_STATIC needs a __unused that libbsd leaves undefined (it
 * clashes with Linux headers); spell the attribute out instead.
 */
#define TREE_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(user_tree, user, entry, user_cmp, TREE_STATIC)
RB_GENERATE_INTERNAL(session_tree, session, entry, session_cmp, TREE_STATIC)
RB_GENERATE_INTERNAL(room_tree, room, entry, room_cmp, TREE_STATIC)

static struct {
	struct broker_init	 init;
	struct ipc_peer		 master;
	struct user_tree	 users;
	struct session_tree	 sessions;
	struct room_tree	 rooms;
	struct history_store	 hist;		/* every room's history */
	TAILQ_HEAD(, session)	 all;
	TAILQ_HEAD(, session)	 dead;
	TAILQ_HEAD(, session)	 dirty;		/* sessions with output queued */
	uint64_t		 flush_at;	/* when the batch goes out */
	size_t			 nsessions;
	struct room		*lobby;
	struct buf		 msg;		/* the message being sent */
	struct buf		 list;		/* a NAMES or ROOMLIST list */
	unsigned long		 mark;
	size_t			 outmax;	/* per-session queue */
	struct pollfd		*pfd;
	struct session		**pfd_session;
	size_t			 npfd;
} b;

static void	session_end(struct session *, const char *, const char *);
static void	mark_dirty(struct session *);
static void	flush_one(struct session *);

static int
user_cmp(struct user *x, struct user *y)
{
	return strcmp(x->name, y->name);
}

static int
session_cmp(struct session *x, struct session *y)
{
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Room names are compared exactly: "Lobby" is not "lobby". */
static int
room_cmp(struct room *x, struct room *y)
{
	return strcmp(x->name, y->name);
}

/* ------------------------------------------------------------ logging */

static void
log_to_master(int pri, const char *line)
{
	struct buf	 lb;

	buf_init(&lb, 0);
	if (buf_put_u8(&lb, (uint8_t)pri) == 0 &&
	    buf_put_str(&lb, line, strnlen(line, 1000)) == 0)
		(void)ipc_composev(&b.master, IMSG_M_LOG, 0, &lb);
	buf_free(&lb);
	/*
	 * Errors (fatal ones among them) must reach the master before we
	 * exit; they are rare enough to wait for.
	 */
	if (pri <= LOG_ERR)
		(void)ipc_flush_all(&b.master);
	else
		(void)ipc_flush(&b.master);
}

/* ------------------------------------------------------------ sending */

/* Encode m into b.msg; -1 if it does not fit in one record. */
static int
encode(const struct wire_msg *m)
{
	buf_reset(&b.msg);
	return wire_encode(&b.msg, m);
}

/* Queue the message in b.msg for s; a full queue ends s. */
static void
send_encoded(struct session *s)
{
	if (s->dead)
		return;
	if (ipc_compose(&s->peer, IMSG_W_APP, s->id, -1, buf_head(&b.msg),
	    buf_used(&b.msg)) == -1)
		session_end(s, WHY_SLOW, "send queue full (too slow)");
	else
		mark_dirty(s);
}

static void
send_msg(struct session *s, const struct wire_msg *m)
{
	if (encode(m) == -1) {
		log_warnx("%s: cannot encode a %s message", s->label,
		    wire_type_name(m->type));
		return;
	}
	send_encoded(s);
}

/* Queue the message in b.msg for every live member of r but except. */
static void
room_send(struct room *r, const struct session *except)
{
	struct member	*mb;

	TAILQ_FOREACH(mb, &r->members, in_room)
		if (mb->session != except)
			send_encoded(mb->session);
}

static void
wstr(struct wire_str *ws, const char *p, size_t len)
{
	ws->p = p;
	ws->len = len;
}

static void
send_error(struct session *s, uint8_t code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
send_error(struct session *s, uint8_t code, const char *fmt, ...)
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
	wstr(&m.s[0], text, strlen(text));
	m.ns = 1;
	send_msg(s, &m);
}

/* A message whose only field is a room name (JOINED, PARTED). */
static void
send_room_only(struct session *s, uint8_t type, const struct room *r)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	wstr(&m.s[0], r->name, strlen(r->name));
	m.ns = 1;
	send_msg(s, &m);
}

static void
tell_master_kick(const struct session *s)
{
	struct buf	 pb;

	buf_init(&pb, 0);
	if (buf_put_str(&pb, s->kick, strlen(s->kick)) == -1 ||
	    ipc_composev(&b.master, IMSG_M_KICK, s->id, &pb) == -1)
		fatalx("master is not reading: cannot report %s", s->label);
	buf_free(&pb);
}

/* ------------------------------------------------------------ users */

static struct user *
user_find(const char *name)
{
	struct user	 key;

	strlcpy(key.name, name, sizeof(key.name));
	return RB_FIND(user_tree, &b.users, &key);
}

static struct user *
user_get(const char *name)
{
	struct user	*u;

	if ((u = user_find(name)) != NULL)
		return u;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	strlcpy(u->name, name, sizeof(u->name));
	LIST_INIT(&u->sessions);
	RB_INSERT(user_tree, &b.users, u);
	return u;
}

static void
user_drop_session(struct session *s)
{
	struct user	*u = s->user;

	if (u == NULL)
		return;
	LIST_REMOVE(s, of_user);
	s->user = NULL;
	if (LIST_EMPTY(&u->sessions)) {
		RB_REMOVE(user_tree, &b.users, u);
		free(u);
	}
}

/*
 * Encode the distinct users among r's live members as an N list in
 * b.list; returns the count.  A NAMES message must fit in one record (and
 * so in one IPC message): the list stops when the next name would not fit.
 * With names of at most 32 bytes that is over 1900 names.
 */
static uint16_t
list_users(const struct room *r, size_t budget)
{
	struct member	*mb;
	struct user	*u;
	uint16_t	 n = 0;

	buf_reset(&b.list);
	b.mark++;
	TAILQ_FOREACH(mb, &r->members, in_room) {
		if (mb->session->dead)
			continue;
		u = mb->session->user;
		if (u->mark == b.mark)
			continue;
		u->mark = b.mark;
		if (buf_used(&b.list) + 2 + strlen(u->name) > budget ||
		    n == UINT16_MAX)
			break;
		if (buf_put_str(&b.list, u->name, strlen(u->name)) == -1)
			break;
		n++;
	}
	return n;
}

/* 1 if u has a session other than except in r (dead or not). */
static int
user_in_room(const struct user *u, const struct room *r,
    const struct session *except)
{
	struct member	*mb;

	TAILQ_FOREACH(mb, &r->members, in_room)
		if (mb->session != except && mb->session->user == u)
			return 1;
	return 0;
}

/* ------------------------------------------------------------ rooms */

static struct room *
room_find(const char *name)
{
	struct room	 key;

	strlcpy(key.name, name, sizeof(key.name));
	return RB_FIND(room_tree, &b.rooms, &key);
}

static struct room *
room_create(const char *name)
{
	struct room	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	strlcpy(r->name, name, sizeof(r->name));
	TAILQ_INIT(&r->members);
	history_room_init(&r->hist);
	RB_INSERT(room_tree, &b.rooms, r);
	return r;
}

static void
room_destroy(struct room *r)
{
	RB_REMOVE(room_tree, &b.rooms, r);
	history_room_clear(&b.hist, &r->hist);
	free(r);
}

static int
encode_history(const struct room *r, const struct history_entry *e)
{
	struct wire_msg		 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_HISTORY;
	m.time = e->time;
	m.byte = e->kind;
	wstr(&m.s[0], r->name, strlen(r->name));
	wstr(&m.s[1], e->sender, strlen(e->sender));
	wstr(&m.s[2], e->text, e->textlen);
	m.ns = 3;
	return encode(&m);
}

/*
 * The room's history, oldest first.  A room may keep more than one
 * session's queue holds (RoomHistoryBytes against SendQueueSize): the
 * newcomer gets the newest entries that fit in half its queue, so that
 * joining never costs it its session.
 */
static void
send_history(struct session *s, const struct room *r)
{
	const struct history_entry	*e, *first = NULL;
	size_t				 space, used = buf_used(&s->peer.out);

	space = b.outmax / 2 > used ? b.outmax / 2 - used : 0;
	TAILQ_FOREACH_REVERSE(e, &r->hist.entries, history_list, in_room) {
		if (encode_history(r, e) == -1 ||
		    IPC_HDRLEN + buf_used(&b.msg) > space)
			break;
		space -= IPC_HDRLEN + buf_used(&b.msg);
		first = e;
	}
	for (e = first; e != NULL && !s->dead; e = TAILQ_NEXT(e, in_room))
		if (encode_history(r, e) == 0)
			send_encoded(s);
}

/* Point m's list at b.list (NULL when empty: the buffer may be unallocated). */
static void
set_list(struct wire_msg *m)
{
	m->listlen = buf_used(&b.list);
	m->list = m->listlen > 0 ? buf_head(&b.list) : NULL;
}

static void
send_names(struct session *s, const struct room *r)
{
	struct wire_msg	 m;
	size_t		 fixed;

	/* type, room string, list count */
	fixed = 1 + 2 + strlen(r->name) + 2;
	memset(&m, 0, sizeof(m));
	m.type = MSG_NAMES;
	wstr(&m.s[0], r->name, strlen(r->name));
	m.ns = 1;
	m.count = list_users(r, RECORD_MAX_PLAINTEXT - fixed);
	set_list(&m);
	send_msg(s, &m);
}

static struct member *
membership(const struct session *s, const struct room *r)
{
	struct member	*mb;

	LIST_FOREACH(mb, &s->rooms, in_session)
		if (mb->room == r)
			return mb;
	return NULL;
}

static void
announce(struct room *r, const struct session *except, uint8_t type,
    uint64_t now, const char *user, const char *why)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.time = now;
	wstr(&m.s[0], r->name, strlen(r->name));
	wstr(&m.s[1], user, strlen(user));
	m.ns = 2;
	if (why != NULL) {
		wstr(&m.s[2], why, strlen(why));
		m.ns = 3;
	}
	if (encode(&m) == -1)
		fatalx("cannot encode a presence message");
	room_send(r, except);
}

/* Put s in r: JOINED, the history, NAMES; ARRIVED to the others. */
static void
room_enter(struct session *s, struct room *r, uint64_t now)
{
	struct member	*mb;
	int		 arrived;

	if ((mb = calloc(1, sizeof(*mb))) == NULL) {
		send_error(s, ERR_LIMIT, "out of memory");
		return;
	}
	arrived = !user_in_room(s->user, r, NULL);
	mb->room = r;
	mb->session = s;
	TAILQ_INSERT_TAIL(&r->members, mb, in_room);
	r->nmembers++;
	LIST_INSERT_HEAD(&s->rooms, mb, in_session);
	s->nrooms++;

	send_room_only(s, MSG_JOINED, r);
	send_history(s, r);
	send_names(s, r);
	if (arrived)
		announce(r, s, MSG_ARRIVED, now, s->user->name, NULL);
}

/* Take mb's session out of its room; DEPARTED if its user is now gone. */
static void
room_leave(struct member *mb, const char *why, uint64_t now)
{
	struct room	*r = mb->room;
	struct session	*s = mb->session;

	TAILQ_REMOVE(&r->members, mb, in_room);
	r->nmembers--;
	LIST_REMOVE(mb, in_session);
	s->nrooms--;
	free(mb);
	if (!user_in_room(s->user, r, NULL))
		announce(r, NULL, MSG_DEPARTED, now, s->user->name, why);
	/* Empty rooms go, and their history with them; the lobby stays. */
	if (r->nmembers == 0 && r != b.lobby)
		room_destroy(r);
}

/* ------------------------------------------------------------ sessions */

static struct session *
session_find(uint32_t id)
{
	struct session	 key;

	key.id = id;
	return RB_FIND(session_tree, &b.sessions, &key);
}

/*
 * End s: why is what its rooms are told, kick (if not NULL) what the master
 * is told.  The session is removed by reap().
 */
static void
session_end(struct session *s, const char *why, const char *kick)
{
	if (s->dead)
		return;
	s->dead = 1;
	s->why = why;
	s->kick = kick;
	TAILQ_INSERT_TAIL(&b.dead, s, dead_entry);
	log_debug("%s%s%s: ended: %s", s->label, s->user ? " " : "",
	    s->user ? s->user->name : "", kick ? kick : why);
}

static void
session_remove(struct session *s)
{
	struct member	*mb;
	uint64_t	 now = now_ms();

	if (s->kick != NULL)
		tell_master_kick(s);
	while ((mb = LIST_FIRST(&s->rooms)) != NULL)
		room_leave(mb, s->why, now);
	user_drop_session(s);
	if (!s->unlisted)
		RB_REMOVE(session_tree, &b.sessions, s);
	TAILQ_REMOVE(&b.all, s, all);
	b.nsessions--;
	ipc_clear(&s->peer);
	free(s);
}

/* Remove the sessions ended since the last call (removal may end more). */
static void
reap(void)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&b.dead)) != NULL) {
		TAILQ_REMOVE(&b.dead, s, dead_entry);
		if (s->queued) {
			TAILQ_REMOVE(&b.dirty, s, dirty_entry);
			s->queued = 0;
		}
		session_remove(s);
	}
}

/* ------------------------------------------------------------ requests */

/*
 * Copy a name field into dst.  The broker decoded the message itself, so
 * this only fails if wire_decode's rules and ours disagree.
 */
static int
copy_name(char *dst, const struct wire_str *ws, int is_room)
{
	if (is_room ? !valid_roomname(ws->p, ws->len) :
	    !valid_username(ws->p, ws->len))
		return -1;
	memcpy(dst, ws->p, ws->len);
	dst[ws->len] = '\0';
	return 0;
}

static int
text_ok(struct session *s, const struct wire_str *text)
{
	if (text->len > b.init.max_message) {
		send_error(s, ERR_BAD_TEXT, "message too long: %zu bytes, the "
		    "limit is %u; it was not delivered", text->len,
		    b.init.max_message);
		return 0;
	}
	if (!valid_text(text->p, text->len, b.init.max_message)) {
		send_error(s, ERR_BAD_TEXT, "message text is not valid");
		return 0;
	}
	return 1;
}

static void
do_say(struct session *s, const struct wire_msg *in, uint64_t now)
{
	struct wire_msg	 m;
	struct room	*r;
	char		 name[SECCHAT_NAME_MAX + 1];
	uint8_t		 kind;

	if (copy_name(name, &in->s[0], 1) == -1) {
		session_end(s, WHY_PROTO, "protocol error: bad room name");
		return;
	}
	if ((r = room_find(name)) == NULL || membership(s, r) == NULL) {
		send_error(s, ERR_NO_ROOM, "you are not in %s", name);
		return;
	}
	if (!text_ok(s, &in->s[1]))
		return;
	kind = in->type == MSG_SAY ? HISTORY_SAY : HISTORY_ACTION;
	memset(&m, 0, sizeof(m));
	m.type = in->type == MSG_SAY ? MSG_MESSAGE : MSG_ACTION;
	m.time = now;
	wstr(&m.s[0], r->name, strlen(r->name));
	wstr(&m.s[1], s->user->name, strlen(s->user->name));
	m.s[2] = in->s[1];
	m.ns = 3;
	if (encode(&m) == -1) {
		send_error(s, ERR_BAD_TEXT, "message too long");
		return;
	}
	room_send(r, s);
	/* Kept in memory only, never written out. */
	(void)history_add(&b.hist, &r->hist, now, kind, s->user->name,
	    in->s[1].p, in->s[1].len);
}

static void
do_privmsg(struct session *s, const struct wire_msg *in, uint64_t now)
{
	struct wire_msg	 m;
	struct user	*u;
	struct session	*t;
	char		 name[SECCHAT_NAME_MAX + 1];
	int		 online = 0;

	if (copy_name(name, &in->s[0], 0) == -1) {
		session_end(s, WHY_PROTO, "protocol error: bad user name");
		return;
	}
	if (!text_ok(s, &in->s[1]))
		return;
	memset(&m, 0, sizeof(m));
	m.type = MSG_PRIVATE;
	m.time = now;
	wstr(&m.s[0], s->user->name, strlen(s->user->name));
	m.s[1] = in->s[1];
	m.ns = 2;
	if (encode(&m) == -1) {
		send_error(s, ERR_BAD_TEXT, "message too long");
		return;
	}
	/* Every session of the user but the sender's own. */
	if ((u = user_find(name)) != NULL) {
		LIST_FOREACH(t, &u->sessions, of_user) {
			if (t->dead)
				continue;
			online = 1;
			if (t != s)
				send_encoded(t);
		}
	}
	if (!online)
		send_error(s, ERR_NO_USER, "no such user online: %s", name);
}

static void
do_join(struct session *s, const struct wire_msg *in, uint64_t now)
{
	struct room	*r;
	char		 name[SECCHAT_NAME_MAX + 1];

	if (copy_name(name, &in->s[0], 1) == -1) {
		session_end(s, WHY_PROTO, "protocol error: bad room name");
		return;
	}
	r = room_find(name);
	/*
	 * Joining a room one is already in is not an error: the client may
	 * have lost track.  It gets JOINED and NAMES again, but not the
	 * history (it has seen it) and nobody else hears of it.
	 */
	if (r != NULL && membership(s, r) != NULL) {
		send_room_only(s, MSG_JOINED, r);
		send_names(s, r);
		return;
	}
	if (s->nrooms >= b.init.max_rooms) {
		send_error(s, ERR_LIMIT, "you are in too many rooms (the limit "
		    "is %u); leave one first", b.init.max_rooms);
		return;
	}
	if (r == NULL && (r = room_create(name)) == NULL) {
		send_error(s, ERR_LIMIT, "out of memory");
		return;
	}
	room_enter(s, r, now);
}

static void
do_part(struct session *s, const struct wire_msg *in, uint64_t now)
{
	struct room	*r;
	struct member	*mb;
	char		 name[SECCHAT_NAME_MAX + 1];

	if (copy_name(name, &in->s[0], 1) == -1) {
		session_end(s, WHY_PROTO, "protocol error: bad room name");
		return;
	}
	if ((r = room_find(name)) == NULL || (mb = membership(s, r)) == NULL) {
		send_error(s, ERR_NO_ROOM, "you are not in %s", name);
		return;
	}
	send_room_only(s, MSG_PARTED, r);
	room_leave(mb, WHY_PART, now);
}

static int
room_has_live_member(const struct room *r)
{
	struct member	*mb;

	TAILQ_FOREACH(mb, &r->members, in_room)
		if (!mb->session->dead)
			return 1;
	return 0;
}

static void
do_who(struct session *s, const struct wire_msg *in)
{
	struct room	*r;
	char		 name[SECCHAT_NAME_MAX + 1];

	if (copy_name(name, &in->s[0], 1) == -1) {
		session_end(s, WHY_PROTO, "protocol error: bad room name");
		return;
	}
	if ((r = room_find(name)) == NULL || !room_has_live_member(r)) {
		send_error(s, ERR_NO_ROOM, "no such room: %s", name);
		return;
	}
	send_names(s, r);
}

/* Distinct live users in r. */
static uint16_t
count_users(const struct room *r)
{
	struct member	*mb;
	struct user	*u;
	uint16_t	 n = 0;

	b.mark++;
	TAILQ_FOREACH(mb, &r->members, in_room) {
		if (mb->session->dead)
			continue;
		u = mb->session->user;
		if (u->mark != b.mark && n < UINT16_MAX) {
			u->mark = b.mark;
			n++;
		}
	}
	return n;
}

/*
 * ROOMLIST: every room with a member, in name order, with its number of
 * users.  Like NAMES it must fit in one record: at 36 bytes per room at
 * most, that is over 1800 rooms; the list stops there.
 */
static void
do_rooms(struct session *s)
{
	struct wire_msg	 m;
	struct room	*r;
	uint16_t	 users, n = 0;
	size_t		 budget = RECORD_MAX_PLAINTEXT - 1 - 2;

	buf_reset(&b.list);
	RB_FOREACH(r, room_tree, &b.rooms) {
		if ((users = count_users(r)) == 0)
			continue;
		if (buf_used(&b.list) + 2 + strlen(r->name) + 2 > budget ||
		    n == UINT16_MAX)
			break;
		if (buf_put_str(&b.list, r->name, strlen(r->name)) == -1 ||
		    buf_put_u16(&b.list, users) == -1)
			break;
		n++;
	}
	memset(&m, 0, sizeof(m));
	m.type = MSG_ROOMLIST;
	m.count = n;
	set_list(&m);
	send_msg(s, &m);
}

/*
 * DEPARTED's reason for a BYE: "quit", or "quit: " and the client's own
 * reason, cut short at a character boundary.  "exit" is what clients say
 * when the user gave no reason.
 */
static void
quit_reason(char *out, size_t outlen, const struct wire_str *reason)
{
	size_t	 len = reason->len;

	if (len == 0 || (len == 4 && memcmp(reason->p, "exit", 4) == 0)) {
		strlcpy(out, WHY_QUIT, outlen);
		return;
	}
	if (len > QUIT_REASON_MAX) {
		len = QUIT_REASON_MAX;
		while (len > 0 && ((uint8_t)reason->p[len] & 0xc0) == 0x80)
			len--;
	}
	snprintf(out, outlen, "%s: %.*s", WHY_QUIT, (int)len, reason->p);
}

/*
 * The client said BYE.  The answers to everything it sent before are
 * already queued, in order; the session leaves its rooms and its user now,
 * and stays only until that queue has been written.  Then its channel is
 * closed, which tells the worker that nothing more will come and that it
 * may close the connection.
 */
static void
session_quit(struct session *s, const struct wire_str *reason)
{
	struct member	*mb;
	char		 why[sizeof(WHY_QUIT) + 2 + QUIT_REASON_MAX + 1];
	uint64_t	 now = now_ms();

	quit_reason(why, sizeof(why), reason);
	while ((mb = LIST_FIRST(&s->rooms)) != NULL)
		room_leave(mb, why, now);
	user_drop_session(s);
	s->state = S_QUIT;
	flush_one(s);
}

/* One client application message, relayed by the session's worker. */
static void
handle_app(struct session *s, const uint8_t *p, size_t len)
{
	struct wire_msg	 m;
	uint64_t	 now = now_ms();

	if (wire_decode(p, len, FROM_CLIENT, &m) == -1) {
		session_end(s, WHY_PROTO, "protocol error: malformed message");
		return;
	}
	switch (m.type) {
	case MSG_SAY:
	case MSG_ACT:
		do_say(s, &m, now);
		break;
	case MSG_PRIVMSG:
		do_privmsg(s, &m, now);
		break;
	case MSG_JOIN:
		do_join(s, &m, now);
		break;
	case MSG_PART:
		do_part(s, &m, now);
		break;
	case MSG_WHO:
		do_who(s, &m);
		break;
	case MSG_ROOMS:
		do_rooms(s);
		break;
	case MSG_BYE:
		session_quit(s, &m.s[0]);
		break;
	default:
		/* PING, PONG, AUTH: the worker deals with those itself. */
		session_end(s, WHY_PROTO, "protocol error: unexpected message");
		break;
	}
}

/*
 * A message from a worker.  The header's session id is not used: a
 * session is known by its socket, which the master gave us.
 */
static void
handle_session(struct session *s, const struct ipc_msg *im)
{
	/* Nothing after a BYE is acted on. */
	if (s->state == S_QUIT)
		return;
	if (s->state != S_ACTIVE) {
		session_end(s, WHY_PROTO,
		    "protocol error: message before login");
		return;
	}
	if (im->type != IMSG_B_APP || im->len == 0) {
		session_end(s, WHY_PROTO, "protocol error: bad message type");
		return;
	}
	handle_app(s, im->data, im->len);
}

static void
session_input(struct session *s)
{
	struct ipc_msg	 im;
	int		 r;

	if ((r = ipc_read(&s->peer)) <= 0) {
		session_end(s, WHY_LOST, NULL);
		return;
	}
	/* A worker never sends descriptors. */
	if (s->peer.nrecvfds > 0) {
		session_end(s, WHY_PROTO,
		    "protocol error: unexpected descriptor");
		return;
	}
	while (!s->dead && (r = ipc_get(&s->peer, &im)) == 1)
		handle_session(s, &im);
	if (r == -1 && !s->dead)
		session_end(s, WHY_PROTO, "protocol error: malformed message");
}

/* ------------------------------------------------------------ the master */

static void
new_session(const struct ipc_msg *im)
{
	struct session	*s;
	int		 fd;

	if (im->len != 0)
		fatalx("malformed SESSION from master");
	if ((fd = ipc_claim_fd(&b.master)) == -1)
		fatalx("SESSION from master without a descriptor");
	/*
	 * The master reuses an id only after that session's worker has
	 * exited, but its end may not have reached us yet: the master's word
	 * wins, and the old session ends now as a lost connection.
	 */
	if ((s = session_find(im->session)) != NULL) {
		session_end(s, "connection lost", NULL);
		RB_REMOVE(session_tree, &b.sessions, s);
		s->unlisted = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("calloc");
	if (set_nonblock(fd) == -1)
		fatal("set_nonblock");
	s->id = im->session;
	s->state = S_NEW;
	LIST_INIT(&s->rooms);
	snprintf(s->label, sizeof(s->label), "session %u", s->id);
	ipc_init(&s->peer, fd, s->label, b.outmax);
	RB_INSERT(session_tree, &b.sessions, s);
	TAILQ_INSERT_TAIL(&b.all, s, all);
	b.nsessions++;
	log_debug("%s: new", s->label);
}

static void
login(const struct ipc_msg *im)
{
	struct reader	 r;
	struct session	*s;
	struct user	*u;
	const uint8_t	*p;
	size_t		 len;
	char		 name[SECCHAT_NAME_MAX + 1];
	uint8_t		 reply[2 + SECCHAT_NAME_MAX];

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || !valid_username((const char *)p, len))
		fatalx("malformed LOGIN from master");
	memcpy(name, p, len);
	name[len] = '\0';
	/* The worker may have died in between: nothing to do then. */
	if ((s = session_find(im->session)) == NULL || s->dead) {
		log_debug("LOGIN for session %u, which is gone", im->session);
		return;
	}
	if (s->state != S_NEW)
		fatalx("second LOGIN from master for %s", s->label);
	if ((u = user_get(name)) == NULL) {
		session_end(s, WHY_LOST, "out of memory");
		return;
	}
	s->user = u;
	LIST_INSERT_HEAD(&u->sessions, s, of_user);
	s->state = S_ACTIVE;
	log_debug("%s: logged in as %s", s->label, name);

	put_u16(reply, (uint16_t)len);
	memcpy(reply + 2, name, len);
	if (ipc_compose(&s->peer, IMSG_W_LOGGED_IN, s->id, -1, reply,
	    2 + len) == -1) {
		session_end(s, WHY_SLOW, "send queue full (too slow)");
		return;
	}
	mark_dirty(s);
	room_enter(s, b.lobby, now_ms());
}

/* Returns 0 to go on, 1 to exit. */
static int
handle_master(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p;
	size_t		 len;

	switch (im->type) {
	case IMSG_B_SESSION:
		new_session(im);
		return 0;
	case IMSG_B_LOGIN:
		login(im);
		return 0;
	case IMSG_B_SHUTDOWN:
		rd_init(&r, im->data, im->len);
		p = rd_str(&r, &len);
		if (rd_done(&r) == -1)
			fatalx("malformed SHUTDOWN from master");
		log_debug("shutting down: %.*s", (int)len, (const char *)p);
		return 1;
	case IMSG_B_PING:
		/* The master's liveness check: a stopped broker is replaced. */
		if (im->len != 4)
			fatalx("malformed PING from master");
		if (ipc_compose(&b.master, IMSG_M_BROKER_PONG, 0, -1, im->data,
		    4) == -1)
			fatalx("cannot queue PONG");
		return 0;
	default:
		fatalx("unexpected message %u from master", im->type);
	}
}

/* Returns 0 to go on, 1 to exit. */
static int
master_input(void)
{
	struct ipc_msg	 im;
	int		 r;

	if ((r = ipc_read(&b.master)) == -1)
		fatal("read from master");
	while ((r = ipc_get(&b.master, &im)) == 1)
		if (handle_master(&im))
			return 1;
	if (r == -1)
		fatalx("malformed message from master");
	return b.master.eof;
}

/* ------------------------------------------------------------ the loop */

/* Write what each socket takes; note who still has output waiting. */
static void
flush_one(struct session *s)
{
	if (s->dead)
		return;
	if (ipc_flush(&s->peer) == -1)
		session_end(s, WHY_LOST, NULL);
	else if (!(s->blocked = ipc_pending(&s->peer)) && s->state == S_QUIT)
		session_end(s, WHY_QUIT, NULL);	/* its last answer is out */
}

/*
 * Output is sent in batches: a message queued for a session waits up to
 * FLUSH_HOLD_MS for the ones that follow it, so that a busy room wakes
 * each worker once per batch rather than once per message.  A session
 * whose queue grows past a quarter of its limit is written at once.
 */
static void
mark_dirty(struct session *s)
{
	if (!s->queued) {
		TAILQ_INSERT_TAIL(&b.dirty, s, dirty_entry);
		s->queued = 1;
	}
	if (b.flush_at == 0)
		b.flush_at = mono_ms() + FLUSH_HOLD_MS;
	if (buf_used(&s->peer.out) >= b.outmax / 4)
		flush_one(s);
}

static void
flush_sessions(void)
{
	struct session	*s;

	while ((s = TAILQ_FIRST(&b.dirty)) != NULL) {
		TAILQ_REMOVE(&b.dirty, s, dirty_entry);
		s->queued = 0;
		flush_one(s);
	}
	b.flush_at = 0;
}

static void
build_pollfds(void)
{
	struct session	*s;
	size_t		 i = 0, want = b.nsessions + 1;

	if (want > b.npfd) {
		b.pfd = reallocarray(b.pfd, want, sizeof(*b.pfd));
		b.pfd_session = reallocarray(b.pfd_session, want,
		    sizeof(*b.pfd_session));
		if (b.pfd == NULL || b.pfd_session == NULL)
			fatal("reallocarray");
		b.npfd = want;
	}
	b.pfd[i].fd = b.master.fd;
	b.pfd[i].events = POLLIN | (ipc_pending(&b.master) ? POLLOUT : 0);
	b.pfd_session[i++] = NULL;
	TAILQ_FOREACH(s, &b.all, all) {
		b.pfd[i].fd = s->peer.fd;
		b.pfd[i].events = POLLIN | (s->blocked ? POLLOUT : 0);
		b.pfd_session[i++] = s;
	}
}

static int
loop(void)
{
	struct session	*s;
	size_t		 i, n;
	uint64_t	 now;
	int		 timeout;

	for (;;) {
		(void)ipc_flush(&b.master);
		now = mono_ms();
		if (b.flush_at != 0 && now >= b.flush_at)
			flush_sessions();
		reap();
		build_pollfds();
		n = b.nsessions + 1;
		timeout = b.flush_at != 0 ? (int)(b.flush_at - now) : -1;
		if (poll(b.pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (b.pfd[0].revents & POLLOUT && ipc_flush(&b.master) == -1)
			fatal("write to master");
		if (b.pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    master_input())
			return 0;
		for (i = 1; i < n; i++) {
			s = b.pfd_session[i];
			if (s->dead || b.pfd[i].revents == 0)
				continue;
			if (b.pfd[i].revents & POLLOUT) {
				flush_one(s);
				if (s->dead)
					continue;
			}
			if (b.pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				session_input(s);
		}
	}
}

/* ------------------------------------------------------------ setup */

/*
 * The most a buffer limited to max bytes grows to: buf_reserve() starts
 * at 256 bytes and doubles.
 */
static uint64_t
buf_cap_bound(uint64_t max)
{
	uint64_t	 cap = 256;

	while (cap < max)
		cap *= 2;
	return cap;
}

/*
 * Everything the broker holds is bounded by its configuration:
 *  - history: HistoryBytes, counted as the entries really cost;
 *  - per session: its output queue (SendQueueSize, which also holds the
 *    history a newcomer is sent) and its input buffer, both as large as
 *    buf_reserve() may make them; the session, its user, its two poll
 *    slots; and MaxRoomsPerSession memberships, each of which may keep a
 *    room alive;
 *  - a base that does not grow.
 * The sum is doubled: the allocator cannot always reuse a freed block for
 * a request of another size, and a growing queue's old and new blocks
 * exist at once while realloc copies.  The limit is a backstop for what
 * the accounting misses, not the accounting itself.
 */
uint64_t
broker_memory_limit(const struct broker_init *bi)
{
	uint64_t	 queue, rooms, per_session, held, limit;

	queue = bi->send_queue < SESSION_OUT_MIN ? SESSION_OUT_MIN :
	    bi->send_queue;
	rooms = bi->max_rooms == 0 ? 1 : bi->max_rooms;
	per_session = buf_cap_bound(queue) + PAGE_SLACK +
	    buf_cap_bound(SESSION_IN_MAX) + PAGE_SLACK +
	    sizeof(struct session) + ALLOC_SLACK +
	    sizeof(struct user) + ALLOC_SLACK +
	    sizeof(struct pollfd) + sizeof(struct session *) +
	    rooms * (sizeof(struct member) + sizeof(struct room) +
	    2 * ALLOC_SLACK);
	held = bi->history_bytes + (uint64_t)bi->max_sessions * per_session;
	limit = BROKER_AS_BASE + 2 * held;
	return limit < BROKER_AS_FLOOR ? BROKER_AS_FLOOR : limit;
}

static void
read_init(void)
{
	struct ipc_msg	 im;

	if (ipc_get_blocking(&b.master, &im) != 1)
		fatalx("no INIT from master");
	if (im.type != IMSG_B_INIT || im.len != sizeof(b.init))
		fatalx("expected INIT from master, got %u (%u bytes)",
		    im.type, im.len);
	memcpy(&b.init, im.data, sizeof(b.init));
	if (memchr(b.init.privsep_user, '\0',
	    sizeof(b.init.privsep_user)) == NULL ||
	    memchr(b.init.privsep_dir, '\0',
	    sizeof(b.init.privsep_dir)) == NULL)
		fatalx("malformed INIT from master");
	/* Every session is in the lobby: that is one room at least. */
	if (b.init.max_rooms == 0)
		b.init.max_rooms = 1;
	b.outmax = b.init.send_queue < SESSION_OUT_MIN ?
	    SESSION_OUT_MIN : b.init.send_queue;
}

/*
 * The most descriptors the broker may hold, fixed for good by the sandbox:
 * 0-2, the master's channel, one socket per session the master may start
 * (MaxSessions as it was at the daemon's start: a reload cannot raise it),
 * and the descriptors that may arrive before their messages are read.
 */
static int
broker_maxfd(void)
{
	return CHILD_FD_FIRST + 1 + (int)b.init.max_sessions + IPC_MAX_FDS + 4;
}

static void
broker_free(void)
{
	struct session	*s;
	struct member	*mb;
	struct room	*r;

	while ((s = TAILQ_FIRST(&b.all)) != NULL) {
		while ((mb = LIST_FIRST(&s->rooms)) != NULL) {
			TAILQ_REMOVE(&mb->room->members, mb, in_room);
			LIST_REMOVE(mb, in_session);
			free(mb);
		}
		user_drop_session(s);
		RB_REMOVE(session_tree, &b.sessions, s);
		TAILQ_REMOVE(&b.all, s, all);
		ipc_clear(&s->peer);
		free(s);
	}
	while ((r = RB_MIN(room_tree, &b.rooms)) != NULL)
		room_destroy(r);
	buf_free(&b.msg);
	buf_free(&b.list);
	free(b.pfd);
	free(b.pfd_session);
}

int
broker_main(int verbose)
{
	uint64_t	 memlimit;
	int		 maxfd;

	log_setverbose(verbose);
	log_setproc("broker");
	setproctitle("broker");
	ipc_init(&b.master, BROKER_FD_MASTER, "master", MASTER_OUT_MAX);
	ipc_accept_fds(&b.master, IPC_MAX_FDS);	/* each session's socket */
	log_set_sink(log_to_master);
	RB_INIT(&b.users);
	RB_INIT(&b.sessions);
	RB_INIT(&b.rooms);
	TAILQ_INIT(&b.all);
	TAILQ_INIT(&b.dead);
	TAILQ_INIT(&b.dirty);
	buf_init(&b.msg, RECORD_MAX_PLAINTEXT);
	buf_init(&b.list, RECORD_MAX_PLAINTEXT);
	if (set_nonblock(b.master.fd) == -1)
		fatal("set_nonblock");

	read_init();
	if (b.init.verbose)
		log_setverbose(1);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	maxfd = broker_maxfd();
	memlimit = broker_memory_limit(&b.init);
	history_init(&b.hist, b.init.history, b.init.room_history_bytes,
	    b.init.history_bytes);
	sandbox_enter_limited(SANDBOX_BROKER, b.init.privsep_user,
	    b.init.privsep_dir, maxfd, memlimit);
	if ((b.lobby = room_create(LOBBY)) == NULL)
		fatal("calloc");
	if (ipc_compose(&b.master, IMSG_M_BROKER_READY, 0, -1, NULL, 0) == -1)
		fatal("ipc_compose");
	log_debug("ready: up to %d descriptors, history %u entries, %u bytes "
	    "(%u per room), queue %zu bytes, memory limit %llu bytes", maxfd,
	    b.init.history, b.init.history_bytes, b.init.room_history_bytes,
	    b.outmax, (unsigned long long)memlimit);

	(void)loop();
	(void)ipc_flush_all(&b.master);
	log_set_sink(NULL);
	broker_free();
	ipc_clear(&b.master);
	return 0;
}
