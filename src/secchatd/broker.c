/*
 * broker.c: the broker process: sessions' channels, output batching, the
 * loop and the sandbox around the chat model (chat.h).
 *
 * One process, one event loop (epoll on Linux, poll() elsewhere).  The
 * master hands the broker one socket per session (the other end is that
 * session's worker) and later tells it which user the session
 * authenticated as; the broker attributes everything a
 * session sends to that user and to nothing a worker claims.  It decodes
 * each client message and hands it to the chat model, which answers
 * through two calls installed here: deliver a message to a session, end a
 * session.
 *
 * The broker never waits for one session: each has an output queue bounded
 * by SendQueueSize, and a session whose worker does not keep up is dropped
 * (and the master told) rather than slowing everyone else.  A message for a
 * room is encoded once and the same bytes are queued for each member.
 *
 * A session that is ended while the broker is in the middle of something
 * (a fan-out, say) is only marked dead, hidden from the chat model and put
 * on a list; it is taken apart (DEPARTED to its rooms, socket closed) at
 * the top of the loop, where no list is being walked.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/tree.h>

#include <errno.h>
#include <poll.h>
#ifdef __linux__
#include <sys/epoll.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "broker.h"
#include "buf.h"
#include "chat.h"
#include "chat_redis.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "redis_link.h"
#include "sandbox.h"
#include "util.h"
#include "wire.h"

#define LOBBY			"lobby"
#define MASTER_OUT_MAX		(8 * 1024 * 1024)
/* A session's queue always has room for at least one largest message. */
#define SESSION_OUT_MIN		(IPC_HDRLEN + RECORD_MAX_PLAINTEXT)
#define FLUSH_HOLD_MS		5	/* how long output waits for company */
/*
 * A batch wakes one worker per session in it, at some 10 us of CPU each
 * (the write here, the switch, the worker's read, seal and send): the
 * next batch waits HOLD_US_PER_SESSION per session of the last one (20 ms
 * after a batch to 1,000 sessions), so that the wake-ups stay near half
 * a core however many listen, up to FLUSH_HOLD_MAX_MS.
 */
#define HOLD_US_PER_SESSION	20
#define FLUSH_HOLD_MAX_MS	20
/*
 * Output is held only while messages come at least this fast: 8 in 20 ms
 * is 400 a second, two in each FLUSH_HOLD_MS, so that a held batch
 * carries two messages or more to a room's members on average.
 */
#define BUSY_WINDOW_MS		20
#define BUSY_MESSAGES		8

/*
 * On Linux the broker keeps its descriptors in an epoll set, changed only
 * when a session comes, goes, or starts or stops waiting to write, so that
 * a turn of the loop costs what happened in it, not the number of
 * sessions; elsewhere it builds a poll() array each turn.
 */
#if defined(__linux__) && !defined(BROKER_USE_POLL)
#define BROKER_EPOLL		1
#define BROKER_EVENTS_MAX	256	/* events taken per turn */
#endif
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
/* STATS rows stop when the master's queue holds this much. */
#define STATS_OUT_MAX		(MASTER_OUT_MAX / 2)
#define RATE_SLOTS		16	/* seconds kept; 10 are summed */
#define RATE_WINDOW		10
/* Poll slots: the master, the Redis engine's two, then the sessions. */
#define BROKER_PFD_SESSIONS	(1 + CHAT_REDIS_NPOLL)

enum bsession_state {
	BS_NEW,		/* socket known, user not yet: accepts nothing */
	BS_ACTIVE,	/* logged in */
	BS_QUIT		/* said BYE: its last answers are being written */
};

struct bsession {
	RB_ENTRY(bsession)	 entry;
	uint32_t		 id;		/* the master's */
	enum bsession_state	 state;
	struct chat_session	*chat;
	struct ipc_peer		 peer;
	char			 label[32];	/* "session 12", for logs */
	TAILQ_ENTRY(bsession)	 all;
	/* Set when the session is ended; it is removed by broker_reap(). */
	int			 dead;
	int			 unlisted;	/* id given to a new one */
	const char		*why;		/* for DEPARTED */
	const char		*kick;		/* for the master, or NULL */
	TAILQ_ENTRY(bsession)	 dead_entry;
	/* Output waiting for the next batch, and output the socket refused. */
	int			 queued;
	int			 blocked;
	uint32_t		 ep_want;	/* what epoll watches for */
	TAILQ_ENTRY(bsession)	 dirty_entry;
	uint64_t		 active_ms;	/* login, or its last message */
};

/* Events in each of the last seconds, for a rate over RATE_WINDOW. */
struct rate {
	uint64_t	 sec[RATE_SLOTS];
	uint32_t	 n[RATE_SLOTS];
};

static int	bsession_cmp(struct bsession *, struct bsession *);

RB_HEAD(bsession_tree, bsession);
/*
 * RB_GENERATE_STATIC needs a __unused that libbsd leaves undefined (it
 * clashes with Linux headers); spell the attribute out instead.
 */
#define TREE_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(bsession_tree, bsession, entry, bsession_cmp,
    TREE_STATIC)

static struct {
	struct broker_init	 init;
	struct ipc_peer		 master;
	struct chat		*chat;
	struct bsession_tree	 sessions;
	TAILQ_HEAD(, bsession)	 all;
	TAILQ_HEAD(, bsession)	 dead;
	TAILQ_HEAD(, bsession)	 dirty;		/* with output queued */
	uint64_t		 flush_at;	/* when the batch goes out */
	uint64_t		 last_flush;	/* when the last batch went */
	uint64_t		 hold_ms;	/* the wait after it */
	/* Messages from workers in this BUSY_WINDOW_MS and the one before. */
	uint64_t		 busy_start;
	uint32_t		 busy_cur, busy_prev;
	size_t			 nsessions;
	size_t			 outmax;	/* per-session queue */
#ifdef BROKER_EPOLL
	int			 epfd;
	uint32_t		 master_want;
	struct epoll_event	 evs[BROKER_EVENTS_MAX];
#else
	struct pollfd		*pfd;
	struct bsession		**pfd_session;
	size_t			 npfd;
#endif
	uint64_t		 mono;		/* mono_ms() after poll() */
	/* For the control socket, through the master's STATS. */
	uint64_t		 messages, deliveries, queue_drops;
	struct rate		 message_rate, delivery_rate;
} b;

static void	bs_end(struct bsession *, const char *, const char *);
static void	bs_mark_dirty(struct bsession *);
static void	bs_flush(struct bsession *);

static int
bsession_cmp(struct bsession *x, struct bsession *y)
{
	return x->id < y->id ? -1 : x->id > y->id;
}

/* ------------------------------------------------------------ counters */

static void
rate_add(struct rate *r, uint64_t ms)
{
	uint64_t	 sec = ms / 1000;
	size_t		 i = sec % RATE_SLOTS;

	if (r->sec[i] != sec) {
		r->sec[i] = sec;
		r->n[i] = 0;
	}
	r->n[i]++;
}

/* The events of the last RATE_WINDOW whole seconds. */
static uint32_t
rate_sum(const struct rate *r, uint64_t ms)
{
	uint64_t	 sec = ms / 1000;
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i < RATE_SLOTS; i++)
		if (r->sec[i] < sec && r->sec[i] + RATE_WINDOW >= sec)
			sum += r->n[i];
	return sum;
}

/* ------------------------------------------------------------ logging */

static void
broker_log_sink(int pri, const char *line)
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

/* ------------------------------------------------------------ the chat side */

/* chat_io.deliver: queue one server message; a full queue ends s. */
static void
bs_deliver(void *owner, const uint8_t *msg, size_t len)
{
	struct bsession	*s = owner;

	if (s->dead)
		return;
	if (ipc_compose(&s->peer, IMSG_W_APP, s->id, -1, msg, len) == -1) {
		b.queue_drops++;
		bs_end(s, CHAT_WHY_SLOW, "send queue full (too slow)");
	} else {
		b.deliveries++;
		rate_add(&b.delivery_rate, b.mono);
		bs_mark_dirty(s);
	}
}

/* chat_io.end */
static void
bs_chat_end(void *owner, const char *why, const char *kick)
{
	bs_end(owner, why, kick);
}

/*
 * chat_io.backlog: a joiner gets the history that fits in half its queue,
 * so that joining never costs it its session.
 */
static size_t
bs_backlog(void *owner)
{
	struct bsession	*s = owner;
	size_t		 used = buf_used(&s->peer.out);

	return b.outmax / 2 > used ? b.outmax / 2 - used : 0;
}

static void
broker_tell_kick(const struct bsession *s)
{
	struct buf	 pb;

	buf_init(&pb, 0);
	if (buf_put_str(&pb, s->kick, strlen(s->kick)) == -1 ||
	    ipc_composev(&b.master, IMSG_M_KICK, s->id, &pb) == -1)
		fatalx("master is not reading: cannot report %s", s->label);
	buf_free(&pb);
}

/* ------------------------------------------------------------ sessions */

static struct bsession *
bs_find(uint32_t id)
{
	struct bsession	 key;

	key.id = id;
	return RB_FIND(bsession_tree, &b.sessions, &key);
}

/* Watch s for input always, and for room to write while it is blocked. */
static void
bs_interest(struct bsession *s)
{
#ifdef BROKER_EPOLL
	struct epoll_event	 ev;
	uint32_t		 want;

	want = EPOLLIN | (s->blocked ? EPOLLOUT : 0);
	if (s->dead || want == s->ep_want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = s;
	if (epoll_ctl(b.epfd, s->ep_want == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    s->peer.fd, &ev) == -1)
		fatal("epoll_ctl");
	s->ep_want = want;
#else
	(void)s;
#endif
}

/*
 * End s: why is what its rooms are told, kick (if not NULL) what the master
 * is told.  The chat model stops seeing it at once; it is removed by
 * broker_reap().
 */
static void
bs_end(struct bsession *s, const char *why, const char *kick)
{
	const char	*user;

	if (s->dead)
		return;
	s->dead = 1;
	s->why = why;
	s->kick = kick;
	TAILQ_INSERT_TAIL(&b.dead, s, dead_entry);
	user = chat_session_user(s->chat);
	log_debug("%s%s%s: ended: %s", s->label, user ? " " : "",
	    user ? user : "", kick ? kick : why);
	chat_session_end(s->chat);
}

static void
bs_remove(struct bsession *s)
{
	if (s->kick != NULL)
		broker_tell_kick(s);
	chat_session_free(s->chat, s->why, now_ms());
	if (!s->unlisted)
		RB_REMOVE(bsession_tree, &b.sessions, s);
	TAILQ_REMOVE(&b.all, s, all);
	b.nsessions--;
#ifdef BROKER_EPOLL
	/* Closing would drop it from the set too; this says so plainly. */
	if (s->ep_want != 0)
		(void)epoll_ctl(b.epfd, EPOLL_CTL_DEL, s->peer.fd, NULL);
#endif
	ipc_clear(&s->peer);
	free(s);
}

/* Remove the sessions ended since the last call (removal may end more). */
static void
broker_reap(void)
{
	struct bsession	*s;

	while ((s = TAILQ_FIRST(&b.dead)) != NULL) {
		TAILQ_REMOVE(&b.dead, s, dead_entry);
		if (s->queued) {
			TAILQ_REMOVE(&b.dirty, s, dirty_entry);
			s->queued = 0;
		}
		bs_remove(s);
	}
}

/* ------------------------------------------------------------ the workers */

/* One more message from a worker, for broker_busy(). */
static void
broker_count_busy(uint64_t ms)
{
	if (ms - b.busy_start >= BUSY_WINDOW_MS) {
		/* A window with no message in it counts as quiet. */
		b.busy_prev = ms - b.busy_start < 2 * BUSY_WINDOW_MS ?
		    b.busy_cur : 0;
		b.busy_start = ms;
		b.busy_cur = 0;
	}
	b.busy_cur++;
}

/* 1 if messages came fast enough lately for holding output to pay. */
static int
broker_busy(uint64_t ms)
{
	if (ms - b.busy_start >= 2 * BUSY_WINDOW_MS)
		return 0;
	return b.busy_cur >= BUSY_MESSAGES || (ms - b.busy_start <
	    BUSY_WINDOW_MS && b.busy_prev >= BUSY_MESSAGES);
}

/*
 * IMSG_B_APP: one client application message, relayed by the session's
 * worker, which has checked it already; it is decoded again here all the
 * same, since the broker trusts no worker.
 */
static void
broker_on_app(struct bsession *s, const struct ipc_msg *im)
{
	struct wire_msg	 m;

	if (im->len == 0 ||
	    wire_decode(im->data, im->len, FROM_CLIENT, &m) == -1) {
		bs_end(s, CHAT_WHY_PROTO, "protocol error: malformed message");
		return;
	}
	b.messages++;
	rate_add(&b.message_rate, b.mono);
	broker_count_busy(b.mono);
	s->active_ms = b.mono;
	/*
	 * After BYE the session stays only until what is queued for it (the
	 * answers to what it sent before) has been written.  Then its
	 * channel is closed, which tells the worker that nothing more will
	 * come and that it may close the connection.
	 */
	if (chat_request(s->chat, &m, now_ms()) == 1) {
		s->state = BS_QUIT;
		bs_flush(s);
	}
}

/*
 * A message from a worker.  The header's session id is not used: a
 * session is known by its socket, which the master gave us.
 */
static void
broker_from_worker(struct bsession *s, const struct ipc_msg *im)
{
	/* Nothing after a BYE is acted on. */
	if (s->state == BS_QUIT)
		return;
	if (s->state != BS_ACTIVE) {
		bs_end(s, CHAT_WHY_PROTO,
		    "protocol error: message before login");
		return;
	}
	if (im->type != IMSG_B_APP || im->len == 0) {
		bs_end(s, CHAT_WHY_PROTO, "protocol error: bad message type");
		return;
	}
	broker_on_app(s, im);
}

static void
bs_input(struct bsession *s)
{
	struct ipc_msg	 im;
	int		 r;

	if ((r = ipc_read(&s->peer)) <= 0) {
		bs_end(s, CHAT_WHY_LOST, NULL);
		return;
	}
	/* A worker never sends descriptors. */
	if (s->peer.nrecvfds > 0) {
		bs_end(s, CHAT_WHY_PROTO,
		    "protocol error: unexpected descriptor");
		return;
	}
	while (!s->dead && (r = ipc_get(&s->peer, &im)) == 1)
		broker_from_worker(s, &im);
	if (r == -1 && !s->dead)
		bs_end(s, CHAT_WHY_PROTO, "protocol error: malformed message");
}

/* ------------------------------------------------------------ the master */

/* IMSG_B_SESSION: a new session's socket. */
static void
broker_on_session(const struct ipc_msg *im)
{
	struct bsession	*s;
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
	if ((s = bs_find(im->session)) != NULL) {
		bs_end(s, CHAT_WHY_LOST, NULL);
		RB_REMOVE(bsession_tree, &b.sessions, s);
		s->unlisted = 1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->chat = chat_session_new(b.chat, s)) == NULL)
		fatal("calloc");
	if (set_nonblock(fd) == -1)
		fatal("set_nonblock");
	s->id = im->session;
	s->state = BS_NEW;
	snprintf(s->label, sizeof(s->label), "session %u", s->id);
	ipc_init(&s->peer, fd, s->label, b.outmax);
	ipc_set_roles(&s->peer, IPC_ROLE_BROKER, IPC_ROLE_WORKER);
	RB_INSERT(bsession_tree, &b.sessions, s);
	TAILQ_INSERT_TAIL(&b.all, s, all);
	b.nsessions++;
	bs_interest(s);
	log_debug("%s: new", s->label);
}

/*
 * IMSG_B_LOGIN: who a session is, in the master's word: the user, the
 * identity key of its handshake and what the master knows of it.
 */
static void
broker_on_login(const struct ipc_msg *im)
{
	struct reader	 r;
	struct bsession	*s;
	const uint8_t	*p, *key;
	size_t		 len;
	char		 name[SECCHAT_NAME_MAX + 1];
	uint8_t		 reply[2 + SECCHAT_NAME_MAX], flags;

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	key = rd_bytes(&r, 32);
	flags = rd_u8(&r);
	if (rd_done(&r) == -1 || !valid_username((const char *)p, len) ||
	    (flags & ~(CHAT_ID_EXTENDED | CHAT_ID_KEYLOGIN)) != 0)
		fatalx("malformed LOGIN from master");
	memcpy(name, p, len);
	name[len] = '\0';
	/* The worker may have died in between: nothing to do then. */
	if ((s = bs_find(im->session)) == NULL || s->dead) {
		log_debug("LOGIN for session %u, which is gone", im->session);
		return;
	}
	if (s->state != BS_NEW)
		fatalx("second LOGIN from master for %s", s->label);
	if (chat_login(s->chat, name) == -1) {
		bs_end(s, CHAT_WHY_LOST, "out of memory");
		return;
	}
	chat_set_identity(s->chat, key, flags);
	s->state = BS_ACTIVE;
	log_debug("%s: logged in as %s", s->label, name);

	put_u16(reply, (uint16_t)len);
	memcpy(reply + 2, name, len);
	if (ipc_compose(&s->peer, IMSG_W_LOGGED_IN, s->id, -1, reply,
	    2 + len) == -1) {
		b.queue_drops++;
		bs_end(s, CHAT_WHY_SLOW, "send queue full (too slow)");
		return;
	}
	s->active_ms = b.mono;
	bs_mark_dirty(s);
	chat_enter_lobby(s->chat, now_ms());
}

/* IMSG_B_ENROLLED_RESET: the enrolled keys that follow replace the known. */
static void
broker_on_enrolled_reset(const struct ipc_msg *im)
{
	if (im->len != 0)
		fatalx("malformed ENROLLED_RESET from master");
	chat_enrolled_reset(b.chat);
}

/* IMSG_B_ENROLLED: str user, a 32-byte key enrolled for it. */
static void
broker_on_enrolled(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p, *key;
	size_t		 len;
	char		 name[SECCHAT_NAME_MAX + 1];

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	key = rd_bytes(&r, 32);
	if (rd_done(&r) == -1 || !valid_username((const char *)p, len))
		fatalx("malformed ENROLLED from master");
	memcpy(name, p, len);
	name[len] = '\0';
	if (chat_enrolled_add(b.chat, name, key) == -1)
		log_warnx("out of memory for the enrolled keys");
}

/* IMSG_B_SHUTDOWN */
static void
broker_on_shutdown(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p;
	size_t		 len;

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1)
		fatalx("malformed SHUTDOWN from master");
	log_debug("shutting down: %.*s", (int)len, (const char *)p);
}

/* IMSG_B_PING: the master's liveness check; a stopped broker is replaced. */
static void
broker_on_ping(const struct ipc_msg *im)
{
	if (im->len != 4)
		fatalx("malformed PING from master");
	if (ipc_compose(&b.master, IMSG_M_BROKER_PONG, 0, -1, im->data,
	    4) == -1)
		fatalx("cannot queue PONG");
}

/*
 * IMSG_B_STATS: for the control socket, one SESSION_STATS per logged-in
 * session (idle time, rooms), then STATS_END with the counters.  Rows stop
 * before the master's queue grows past STATS_OUT_MAX; STATS_END says so.
 */
static void
broker_on_stats(const struct ipc_msg *im)
{
	struct broker_stats	 bs;
	struct bsession		*s;
	struct buf		 pl, rooms;
	uint64_t		 now = mono_ms();

	if (im->len != 4)
		fatalx("malformed STATS from master");
	memset(&bs, 0, sizeof(bs));
	bs.token = get_u32(im->data);
	buf_init(&pl, 0);
	buf_init(&rooms, 0);
	TAILQ_FOREACH(s, &b.all, all) {
		if (s->dead || s->state != BS_ACTIVE)
			continue;
		bs.sessions++;
		if (bs.truncated)
			continue;
		buf_reset(&pl);
		buf_reset(&rooms);
		if (chat_session_rooms(s->chat, &rooms) == -1 ||
		    buf_used(&rooms) > STATS_ROOMS_MAX ||
		    buf_put_u32(&pl, bs.token) == -1 ||
		    buf_put_u32(&pl, (uint32_t)((now - s->active_ms) /
		    1000)) == -1 ||
		    buf_put_str(&pl, buf_head(&rooms),
		    buf_used(&rooms)) == -1 ||
		    buf_used(&b.master.out) + IPC_HDRLEN + buf_used(&pl) >
		    STATS_OUT_MAX ||
		    ipc_compose(&b.master, IMSG_M_SESSION_STATS, s->id, -1,
		    buf_head(&pl), buf_used(&pl)) == -1) {
			bs.truncated = 1;
			continue;
		}
		bs.rows++;
	}
	buf_free(&pl);
	buf_free(&rooms);
	bs.messages_10s = rate_sum(&b.message_rate, now);
	bs.deliveries_10s = rate_sum(&b.delivery_rate, now);
	bs.messages = b.messages;
	bs.deliveries = b.deliveries;
	bs.queue_drops = b.queue_drops;
	if (ipc_compose(&b.master, IMSG_M_STATS_END, 0, -1, &bs,
	    sizeof(bs)) == -1)
		fatalx("master is not reading: cannot answer STATS");
}

/* IMSG_B_NOTICE: the administrator's text, to every logged-in session. */
static void
broker_on_notice(const struct ipc_msg *im)
{
	struct reader	 r;
	struct bsession	*s;
	struct wire_msg	 m;
	struct buf	 enc;
	const uint8_t	*p;
	size_t		 len;

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || !valid_text((const char *)p, len, 1024))
		fatalx("malformed NOTICE from master");
	memset(&m, 0, sizeof(m));
	m.type = MSG_NOTICE;
	m.s[0].p = (const char *)p;
	m.s[0].len = len;
	m.ns = 1;
	buf_init(&enc, 0);
	if (wire_encode(&enc, &m) == -1)
		fatalx("cannot encode NOTICE");
	/* A delivery may end a session; ended ones are skipped, not freed. */
	TAILQ_FOREACH(s, &b.all, all)
		if (!s->dead && s->state == BS_ACTIVE)
			bs_deliver(s, buf_head(&enc), buf_used(&enc));
	buf_free(&enc);
	log_debug("notice sent to every session");
}

/* IMSG_B_REDIS: u8 role; a connected Redis socket (Engine redis). */
static void
broker_on_redis(const struct ipc_msg *im)
{
	int	 fd;

	if ((fd = ipc_claim_fd(&b.master)) == -1)
		fatalx("REDIS from master without a descriptor");
	if (im->len != 1 || !b.init.redis || (im->data[0] !=
	    REDIS_ROLE_COMMANDS && im->data[0] != REDIS_ROLE_READER))
		fatalx("malformed REDIS from master");
	chat_redis_adopt(im->data[0], fd);
}

/* The Redis engine lost its connections: the master makes new ones. */
static void
broker_redis_wanted(void)
{
	if (ipc_compose(&b.master, IMSG_M_REDIS_WANTED, 0, -1, NULL, 0) == -1)
		fatal("ipc_compose");
}

/* Returns 0 to go on, 1 to exit. */
static int
broker_from_master(const struct ipc_msg *im)
{
	switch (im->type) {
	case IMSG_B_SESSION:
		broker_on_session(im);
		return 0;
	case IMSG_B_LOGIN:
		broker_on_login(im);
		return 0;
	case IMSG_B_SHUTDOWN:
		broker_on_shutdown(im);
		return 1;
	case IMSG_B_PING:
		broker_on_ping(im);
		return 0;
	case IMSG_B_STATS:
		broker_on_stats(im);
		return 0;
	case IMSG_B_NOTICE:
		broker_on_notice(im);
		return 0;
	case IMSG_B_ENROLLED_RESET:
		broker_on_enrolled_reset(im);
		return 0;
	case IMSG_B_ENROLLED:
		broker_on_enrolled(im);
		return 0;
	case IMSG_B_REDIS:
		broker_on_redis(im);
		return 0;
	default:
		fatalx("unexpected message %u from master", im->type);
	}
}

/* Returns 0 to go on, 1 to exit. */
static int
broker_master_input(void)
{
	struct ipc_msg	 im;
	int		 r;

	if ((r = ipc_read(&b.master)) == -1)
		fatal("read from master");
	while ((r = ipc_get(&b.master, &im)) == 1)
		if (broker_from_master(&im))
			return 1;
	if (r == -1)
		fatalx("malformed message from master");
	return b.master.eof;
}

/* ------------------------------------------------------------ the loop */

/* Write what each socket takes; note who still has output waiting. */
static void
bs_flush(struct bsession *s)
{
	if (s->dead)
		return;
	if (ipc_flush(&s->peer) == -1)
		bs_end(s, CHAT_WHY_LOST, NULL);
	else if (!(s->blocked = ipc_pending(&s->peer)) && s->state == BS_QUIT)
		bs_end(s, CHAT_WHY_QUIT, NULL);	/* its last answer is out */
	else
		bs_interest(s);
}

/*
 * Output is sent in batches, adaptively, as interrupt coalescing does: a
 * message that finds the broker idle (no batch went out in the last
 * FLUSH_HOLD_MS, or messages coming slower than BUSY_MESSAGES per
 * BUSY_WINDOW_MS) goes out at the end of this turn of the loop, together
 * with whatever else the same turn queued; while messages keep coming
 * fast, each batch waits until FLUSH_HOLD_MS (or more, for a large
 * batch: HOLD_US_PER_SESSION) after the one before, so that a busy room
 * wakes each worker once per batch rather than once per message.  A quiet server thus answers at once (a hold at a few hundred
 * messages a second would cost every message milliseconds and save few
 * wake-ups), and a busy one writes at most one batch per FLUSH_HOLD_MS.
 * A session whose queue grows past a quarter of its limit is written at
 * once.
 */
static void
bs_mark_dirty(struct bsession *s)
{
	uint64_t	 now;

	if (!s->queued) {
		TAILQ_INSERT_TAIL(&b.dirty, s, dirty_entry);
		s->queued = 1;
	}
	if (b.flush_at == 0) {
		now = mono_ms();
		b.flush_at = now >= b.last_flush + b.hold_ms ||
		    !broker_busy(now) ? now : b.last_flush + b.hold_ms;
	}
	if (buf_used(&s->peer.out) >= b.outmax / 4)
		bs_flush(s);
}

static void
broker_flush_sessions(void)
{
	struct bsession	*s;

	uint64_t	 n = 0;

	while ((s = TAILQ_FIRST(&b.dirty)) != NULL) {
		TAILQ_REMOVE(&b.dirty, s, dirty_entry);
		s->queued = 0;
		bs_flush(s);
		n++;
	}
	b.hold_ms = n * HOLD_US_PER_SESSION / 1000;
	if (b.hold_ms < FLUSH_HOLD_MS)
		b.hold_ms = FLUSH_HOLD_MS;
	else if (b.hold_ms > FLUSH_HOLD_MAX_MS)
		b.hold_ms = FLUSH_HOLD_MAX_MS;
	b.flush_at = 0;
	b.last_flush = mono_ms();
}

/*
 * The work of each turn of the loop before it polls: queued output out,
 * sessions due flushed, the dead reaped.  Returns the time.
 */
static uint64_t
broker_turn(void)
{
	uint64_t	 now;

	(void)ipc_flush(&b.master);
	chat_redis_flush();
	now = mono_ms();
	if (b.flush_at != 0 && now >= b.flush_at)
		broker_flush_sessions();
	broker_reap();
	return now;
}

/* Until the next flush of sessions or the engine's timer; -1: for ever. */
static int
broker_poll_timeout(uint64_t now)
{
	int	 timeout, rt;

	timeout = b.flush_at != 0 ? (int)(b.flush_at - now) : -1;
	if ((rt = chat_redis_timeout(now)) != -1 &&
	    (timeout == -1 || rt < timeout))
		timeout = rt;
	return timeout;
}

#ifdef BROKER_EPOLL
/* The master's channel: input always, output while some is queued. */
static void
broker_master_interest(void)
{
	struct epoll_event	 ev;
	uint32_t		 want;

	want = EPOLLIN | (ipc_pending(&b.master) ? EPOLLOUT : 0);
	if (want == b.master_want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = NULL;
	if (epoll_ctl(b.epfd, b.master_want == 0 ? EPOLL_CTL_ADD :
	    EPOLL_CTL_MOD, b.master.fd, &ev) == -1)
		fatal("epoll_ctl");
	b.master_want = want;
}

static int
broker_loop(void)
{
	struct pollfd	 pfd[1 + CHAT_REDIS_NPOLL];
	struct bsession	*s;
	uint64_t	 now;
	uint32_t	 ev;
	int		 i, n, timeout;

	for (;;) {
		now = broker_turn();
		broker_master_interest();
		timeout = broker_poll_timeout(now);
		/*
		 * Engine redis: its two connections come and go with their
		 * descriptors, so they are polled beside the epoll set rather
		 * than kept in it.
		 */
		pfd[0].fd = b.epfd;
		pfd[0].events = POLLIN;
		chat_redis_pollfds(pfd + 1);
		pfd[1].revents = pfd[2].revents = 0;
		if (pfd[1].fd != -1 || pfd[2].fd != -1) {
			if (poll(pfd, 1 + CHAT_REDIS_NPOLL, timeout) == -1) {
				if (errno == EINTR)
					continue;
				fatal("poll");
			}
			timeout = 0;
		} else
			pfd[0].revents = POLLIN;
		n = 0;
		if (pfd[0].revents & POLLIN && (n = epoll_wait(b.epfd, b.evs,
		    BROKER_EVENTS_MAX, timeout)) == -1) {
			if (errno == EINTR)
				continue;
			fatal("epoll_wait");
		}
		b.mono = mono_ms();
		/*
		 * Sessions ended in this turn are only marked dead, and freed
		 * by broker_reap() at the next: every pointer here stays good.
		 */
		for (i = 0; i < n; i++) {
			ev = b.evs[i].events;
			if ((s = b.evs[i].data.ptr) == NULL) {
				if (ev & EPOLLOUT &&
				    ipc_flush(&b.master) == -1)
					fatal("write to master");
				if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) &&
				    broker_master_input())
					return 0;
				continue;
			}
			if (s->dead)
				continue;
			if (ev & EPOLLOUT) {
				bs_flush(s);
				if (s->dead)
					continue;
			}
			if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
				bs_input(s);
		}
		chat_redis_handle(pfd + 1, b.mono);
	}
}
#else
static void
broker_build_pollfds(void)
{
	struct bsession	*s;
	size_t		 i = 0, want = b.nsessions + BROKER_PFD_SESSIONS;

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
	/* Engine redis: its two connections (fd -1, ignored, otherwise). */
	chat_redis_pollfds(b.pfd + i);
	b.pfd_session[i++] = NULL;
	b.pfd_session[i++] = NULL;
	TAILQ_FOREACH(s, &b.all, all) {
		b.pfd[i].fd = s->peer.fd;
		b.pfd[i].events = POLLIN | (s->blocked ? POLLOUT : 0);
		b.pfd_session[i++] = s;
	}
}

static int
broker_loop(void)
{
	struct bsession	*s;
	size_t		 i, n;
	uint64_t	 now;
	int		 timeout;

	for (;;) {
		now = broker_turn();
		broker_build_pollfds();
		n = b.nsessions + BROKER_PFD_SESSIONS;
		timeout = broker_poll_timeout(now);
		if (poll(b.pfd, n, timeout) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		b.mono = mono_ms();
		if (b.pfd[0].revents & POLLOUT && ipc_flush(&b.master) == -1)
			fatal("write to master");
		if (b.pfd[0].revents & (POLLIN | POLLHUP | POLLERR) &&
		    broker_master_input())
			return 0;
		chat_redis_handle(b.pfd + 1, b.mono);
		for (i = BROKER_PFD_SESSIONS; i < n; i++) {
			s = b.pfd_session[i];
			if (s->dead || b.pfd[i].revents == 0)
				continue;
			if (b.pfd[i].revents & POLLOUT) {
				bs_flush(s);
				if (s->dead)
					continue;
			}
			if (b.pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				bs_input(s);
		}
	}
}
#endif

/* ------------------------------------------------------------ setup */

/*
 * Everything the broker holds is bounded by its configuration:
 *  - history: HistoryBytes, counted as the entries really cost;
 *  - per session: its output queue (SendQueueSize, which also holds the
 *    history a newcomer is sent) and its input buffer, both as large as
 *    buf_reserve() may make them (buf_cap_bound()); the session, its
 *    two poll slots; and
 *    what the chat model holds for it (chat_session_cost()): its user
 *    and MaxRoomsPerSession memberships, each of which may keep a room
 *    alive;
 *  - the enrolled keys of the key directory, at most CHAT_ENROLLED_MAX
 *    (chat_enrolled_cost());
 *  - a base that does not grow.
 * The sum is doubled: the allocator cannot always reuse a freed block for
 * a request of another size, and a growing queue's old and new blocks
 * exist at once while realloc copies.  The limit is a backstop for what
 * the accounting misses, not the accounting itself.
 */
uint64_t
broker_memory_limit(const struct broker_init *bi)
{
	uint64_t	 queue, per_session, held, limit;

	queue = bi->send_queue < SESSION_OUT_MIN ? SESSION_OUT_MIN :
	    bi->send_queue;
	per_session = buf_cap_bound(queue) + PAGE_SLACK +
	    buf_cap_bound(SESSION_IN_MAX) + PAGE_SLACK +
	    sizeof(struct bsession) + ALLOC_SLACK +
	    sizeof(struct pollfd) + sizeof(struct bsession *) +
	    chat_session_cost(bi->max_rooms);
	held = bi->history_bytes + (uint64_t)bi->max_sessions * per_session +
	    chat_enrolled_cost();
	/*
	 * Engine redis: a replica of every node's sessions, a second history,
	 * the events queued while Redis is away, hiredis's buffers.
	 */
	if (bi->redis)
		held += bi->history_bytes + chat_redis_memory();
	limit = BROKER_AS_BASE + 2 * held;
	return limit < BROKER_AS_FLOOR ? BROKER_AS_FLOOR : limit;
}

/* IMSG_B_INIT: the limits and the sandbox's settings, first of all. */
static void
broker_on_init(void)
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
	/* And Redis's connections, and the epoll set's own descriptor. */
	return CHILD_FD_FIRST + 1 + (int)b.init.max_sessions + IPC_MAX_FDS + 4 +
	    CHAT_REDIS_NPOLL + 1;
}

static void
broker_free(void)
{
	struct bsession	*s;

	while ((s = TAILQ_FIRST(&b.all)) != NULL) {
		if (!s->unlisted)
			RB_REMOVE(bsession_tree, &b.sessions, s);
		TAILQ_REMOVE(&b.all, s, all);
		ipc_clear(&s->peer);
		free(s);
	}
	/* The chat sessions with them, telling nobody: we are exiting. */
	chat_free(b.chat);
	b.chat = NULL;
#ifdef BROKER_EPOLL
	(void)close(b.epfd);
#else
	free(b.pfd);
	free(b.pfd_session);
#endif
}

#ifdef SECCHAT_TEST_HOOKS
/*
 * SECCHAT_TEST_LYING_DIRECTORY=BASE64: every KEYLIST lists that key in
 * place of each online one, so that the tests can check that clients
 * believe their pins over the directory.  Read before the sandbox.
 */
static uint8_t	 broker_test_lie[WIRE_KEYLEN];
static int	 broker_test_lying;

static void
broker_test_hooks(void)
{
	const char	*v;

	if ((v = getenv("SECCHAT_TEST_LYING_DIRECTORY")) == NULL ||
	    *v == '\0')
		return;
	if (b64_decode(v, strlen(v), broker_test_lie,
	    sizeof(broker_test_lie)) != WIRE_KEYLEN)
		fatalx("SECCHAT_TEST_LYING_DIRECTORY: not the base64 of a "
		    "32-byte key");
	broker_test_lying = 1;
	log_debug("test hook: the key directory lies");
}
#endif

/* The chat model, and how it reaches the sessions. */
static void
broker_chat_new(void)
{
	struct chat_config	 cfg;
	struct chat_io		 io;

	memset(&cfg, 0, sizeof(cfg));
	cfg.lobby = LOBBY;
	cfg.max_rooms = b.init.max_rooms;
	cfg.max_message = b.init.max_message;
	cfg.history = b.init.history;
	cfg.room_history_bytes = b.init.room_history_bytes;
	cfg.history_bytes = b.init.history_bytes;
	if (b.init.redis && (cfg.engine = chat_redis_ops()) == NULL)
		fatalx("Engine redis: this secchatd was built without Redis "
		    "support");
#ifdef SECCHAT_TEST_HOOKS
	if (broker_test_lying)
		cfg.test_lying_key = broker_test_lie;
#endif
	memset(&io, 0, sizeof(io));
	io.deliver = bs_deliver;
	io.end = bs_chat_end;
	io.backlog = bs_backlog;
	io.msg_overhead = IPC_HDRLEN;
	if ((b.chat = chat_new(&cfg, &io)) == NULL)
		fatal("calloc");
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
	ipc_set_roles(&b.master, IPC_ROLE_BROKER, IPC_ROLE_MASTER);
	ipc_accept_fds(&b.master, IPC_MAX_FDS);	/* each session's socket */
	log_set_sink(broker_log_sink);
	RB_INIT(&b.sessions);
	TAILQ_INIT(&b.all);
	TAILQ_INIT(&b.dead);
	TAILQ_INIT(&b.dirty);
	if (set_nonblock(b.master.fd) == -1)
		fatal("set_nonblock");

	broker_on_init();
	if (b.init.verbose)
		log_setverbose(1);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
#ifdef SECCHAT_TEST_HOOKS
	broker_test_hooks();
#endif
#ifdef BROKER_EPOLL
	/* The sandbox refuses epoll_create1: the set is made before it. */
	if ((b.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("epoll_create1");
#endif
	if (memchr(b.init.node_name, '\0', sizeof(b.init.node_name)) == NULL ||
	    memchr(b.init.redis_prefix, '\0',
	    sizeof(b.init.redis_prefix)) == NULL)
		fatalx("malformed INIT from master");
	/* Before the sandbox: the node's epoch is drawn here. */
	if (b.init.redis)
		chat_redis_setup(b.init.node_name, b.init.redis_prefix,
		    broker_redis_wanted);
	maxfd = broker_maxfd();
	memlimit = broker_memory_limit(&b.init);
	sandbox_enter_limited(SANDBOX_BROKER, b.init.privsep_user,
	    b.init.privsep_dir, maxfd, memlimit);
	broker_chat_new();
	if (ipc_compose(&b.master, IMSG_M_BROKER_READY, 0, -1, NULL, 0) == -1)
		fatal("ipc_compose");
	log_debug("ready: up to %d descriptors, history %u entries, %u bytes "
	    "(%u per room), queue %zu bytes, memory limit %llu bytes", maxfd,
	    b.init.history, b.init.history_bytes, b.init.room_history_bytes,
	    b.outmax, (unsigned long long)memlimit);

	(void)broker_loop();
	(void)ipc_flush_all(&b.master);
	log_set_sink(NULL);
	broker_free();
	ipc_clear(&b.master);
	return 0;
}
