/*
 * chat_redis.c: the chat engine that spans several nodes (Engine redis);
 * the contract is chat.h's, the design doc/scaling.md.
 *
 * Every change of the shared state (a session attached, identified,
 * joining, parting, detached, setting its user's away text; a
 * publication; a private or end-to-end message; a node declared dead) is
 * an event appended by one Lua script
 * to one Redis Stream, the cluster's log.  Every node reads the whole log
 * in order and replays it into a memory engine of its own (chat_mem.c),
 * in which the sessions of the other nodes are phantoms that are sent
 * nothing.  So every node holds the same rooms, members and keys, makes
 * the same decisions (who arrives, who departs, who gets what) in the same
 * order, and delivers to its own sessions only: the log's order is the
 * one order all agree on, and the answers to WHO, ROOMS and KEYS are
 * local.  A node delivers nothing straight to its own sessions: what
 * they send comes back to it through the log, like everyone else's.
 *
 * The script also keeps, atomically with the log, a hash of the sessions
 * as they are after each event (so that a node that starts reads the
 * state and the log position it stands for in one step), the last
 * sequence number appended per node (so that an event sent again after a
 * broken connection is appended once), and each room's history in a
 * stream of its own, trimmed to HistoryLength, with the event's log ID.
 *
 * The broker holds no socket of its own: the master connects, sends AUTH,
 * and passes two descriptors (commands, and a reader that blocks in
 * XREAD).  hiredis's context is driven over them from the broker's loop
 * (with poll(), beside its epoll set on Linux): redisBufferWrite,
 * redisBufferRead, redisGetReplyFromReader.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/tree.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "chat.h"
#include "chat_redis.h"
#include "history.h"
#include "log.h"
#include "redis_link.h"
#include "util.h"
#include "wire.h"

#ifndef HAVE_HIREDIS

int
chat_redis_available(void)
{
	return 0;
}

const struct chat_engine_ops *
chat_redis_ops(void)
{
	return NULL;
}

void
chat_redis_setup(const char *node, const char *prefix, void (*wanted)(void))
{
	(void)node;
	(void)prefix;
	(void)wanted;
}

void
chat_redis_adopt(int role, int fd)
{
	(void)role;
	close(fd);
}

void
chat_redis_pollfds(struct pollfd *pfd)
{
	int	 i;

	for (i = 0; i < CHAT_REDIS_NPOLL; i++) {
		pfd[i].fd = -1;
		pfd[i].events = 0;
	}
}

int
chat_redis_timeout(uint64_t mono)
{
	(void)mono;
	return -1;
}

void
chat_redis_handle(const struct pollfd *pfd, uint64_t mono)
{
	(void)pfd;
	(void)mono;
}

void
chat_redis_flush(void)
{
}

uint64_t
chat_redis_memory(void)
{
	return 0;
}

#else /* HAVE_HIREDIS */

#include <dlfcn.h>

#include <hiredis/hiredis.h>

/*
 * hiredis is opened by the broker, before its sandbox and only under
 * Engine redis, rather than linked: a linked library is mapped into every
 * process of the daemon, each worker included, at about 10 KiB of memory
 * per session that the memory engine never uses.  The calls below go
 * through this table, whose types are the header's own.
 */
static struct {
	__typeof__(redisConnectFd)		*connect_fd;
	__typeof__(redisFree)			*free_context;
	__typeof__(redisBufferRead)		*buffer_read;
	__typeof__(redisBufferWrite)		*buffer_write;
	__typeof__(redisGetReplyFromReader)	*get_reply;
	__typeof__(redisAppendFormattedCommand)	*append_formatted;
	__typeof__(redisAppendCommandArgv)	*append_argv;
	__typeof__(redisFormatCommandArgv)	*format_argv;
	__typeof__(redisFreeCommand)		*free_command;
	__typeof__(freeReplyObject)		*free_reply;
} hiredis;

#define redisConnectFd			(*hiredis.connect_fd)
#define redisFree			(*hiredis.free_context)
#define redisBufferRead			(*hiredis.buffer_read)
#define redisBufferWrite		(*hiredis.buffer_write)
#define redisGetReplyFromReader		(*hiredis.get_reply)
#define redisAppendFormattedCommand	(*hiredis.append_formatted)
#define redisAppendCommandArgv		(*hiredis.append_argv)
#define redisFormatCommandArgv		(*hiredis.format_argv)
#define redisFreeCommand		(*hiredis.free_command)
#define freeReplyObject			(*hiredis.free_reply)

/* Resolve one symbol of hiredis into its slot of the table. */
static void
hiredis_sym(void *lib, void *slot, const char *name)
{
	void	*f;

	if ((f = dlsym(lib, name)) == NULL)
		fatalx("Engine redis: %s has no %s", SECCHAT_HIREDIS_SONAME, name);
	memcpy(slot, &f, sizeof(f));
}

static void
hiredis_open(void)
{
	void	*lib;

	if ((lib = dlopen(SECCHAT_HIREDIS_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL)
		fatalx("Engine redis: cannot open %s: %s", SECCHAT_HIREDIS_SONAME,
		    dlerror());
	hiredis_sym(lib, &hiredis.connect_fd, "redisConnectFd");
	hiredis_sym(lib, &hiredis.free_context, "redisFree");
	hiredis_sym(lib, &hiredis.buffer_read, "redisBufferRead");
	hiredis_sym(lib, &hiredis.buffer_write, "redisBufferWrite");
	hiredis_sym(lib, &hiredis.get_reply, "redisGetReplyFromReader");
	hiredis_sym(lib, &hiredis.append_formatted,
	    "redisAppendFormattedCommand");
	hiredis_sym(lib, &hiredis.append_argv, "redisAppendCommandArgv");
	hiredis_sym(lib, &hiredis.format_argv, "redisFormatCommandArgv");
	hiredis_sym(lib, &hiredis.free_command, "redisFreeCommand");
	hiredis_sym(lib, &hiredis.free_reply, "freeReplyObject");
}

#define RE_TICK_MS		1000	/* heartbeat, and checks of the others */
#define RE_NODE_TTL_MS		5000	/* a node silent this long is dead */
#define RE_LOG_MAXLEN		100000	/* events kept in the log (~) */
#define RE_PENDING_MAX		65536	/* events queued while Redis is away */
#define RE_PENDING_BYTES	(32u * 1024 * 1024)
#define RE_READ_COUNT		1024	/* events per XREAD */
#define RE_BLOCK_MS		"5000"
#define RE_MEMORY		(256ULL * 1024 * 1024)
#define RE_ORIGIN_MAX		(CONFIG_NAME_MAX + 1 + 24)
#define CONFIG_NAME_MAX		64
#define RE_KEY_MAX		(RE_ORIGIN_MAX + 1 + 20)
#define RE_ARGS_MAX		40

/*
 * The event script: KEYS log, sessions, seqs, history (or log), rooms;
 * ARGV origin, seq, session field, its new value ("" deletes it, "-"
 * leaves it), log length, history length (0: no history), room, then the
 * event's fields.  0 if the event was appended already.
 */
static const char re_script_event[] =
"local last = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')\n"
"if tonumber(ARGV[2]) <= last then return 0 end\n"
"redis.call('HSET', KEYS[3], ARGV[1], ARGV[2])\n"
"if ARGV[4] == '' then redis.call('HDEL', KEYS[2], ARGV[3])\n"
"elseif ARGV[4] ~= '-' then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])"
" end\n"
"local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[5], '*',"
" unpack(ARGV, 8))\n"
"if tonumber(ARGV[6]) > 0 then\n"
"  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], id, unpack(ARGV, 8))\n"
"  redis.call('SADD', KEYS[5], ARGV[7])\n"
"end\n"
"return 1\n";

/*
 * A node's heartbeat: KEYS node key; ARGV epoch, ttl.  The value it
 * replaced (another epoch, or nothing: this node was taken for dead).
 */
static const char re_script_beat[] =
"local old = redis.call('GET', KEYS[1])\n"
"redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])\n"
"if not old then return '' end\n"
"return old\n";

/*
 * Declare a node dead, once, if its heartbeat is gone or is another
 * epoch's: KEYS log, sessions, seqs, its node key; ARGV its origin, its
 * epoch, log length, the declaring origin.  Its sessions leave the hash
 * and one event X tells every node.  Idempotent: a second survivor finds
 * nothing left.
 */
static const char re_script_dead[] =
"if redis.call('GET', KEYS[4]) == ARGV[2] then return 0 end\n"
"local p = ARGV[1] .. '/'\n"
"local n = 0\n"
"for _, k in ipairs(redis.call('HKEYS', KEYS[2])) do\n"
"  if string.sub(k, 1, #p) == p then redis.call('HDEL', KEYS[2], k);"
" n = n + 1 end\n"
"end\n"
"redis.call('HDEL', KEYS[3], ARGV[1])\n"
"if n == 0 then return 0 end\n"
"redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '*', 't', 'X', 's',"
" '0', 'o', ARGV[4], 'q', '0', 'w', '0', 'a', ARGV[1])\n"
"return n\n";

/* Where the log stands, and the sessions at that point: KEYS log, sessions. */
static const char re_script_snapshot[] =
"local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)\n"
"local id = '0-0'\n"
"if #last > 0 then id = last[1][1] end\n"
"return {id, redis.call('HGETALL', KEYS[2])}\n";

enum re_cb {
	RCB_EVENT,	/* the head of the pending queue is appended */
	RCB_BEAT,
	RCB_DEAD,
	RCB_SNAPSHOT,
	RCB_ROOMS,
	RCB_HIST,	/* one room's history; arg is the room */
	RCB_READ	/* the reader's XREAD */
};

struct re_cbent {
	enum re_cb	 kind;
	char		*arg;
};

struct re_conn {
	redisContext	*ctx;		/* NULL: none */
	struct re_cbent	*cbs;		/* replies awaited, in order */
	size_t		 ncbs, cbhead, cbcap;
};

/* One event waiting for its script's answer, in order of sending. */
struct re_pending {
	TAILQ_ENTRY(re_pending)	 entry;
	char			*cmd;	/* formatted by hiredis */
	size_t			 len;
	int			 sent;
};
TAILQ_HEAD(re_pending_list, re_pending);

/*
 * A session as the log knows it: ours (local, outer is the broker's
 * session until it detaches) or a phantom of another node's.  ics is the
 * session in the replica, from the event A to the event D.
 */
struct re_sess {
	RB_ENTRY(re_sess)	 entry;
	char			 key[RE_KEY_MAX];	/* origin/sid */
	size_t			 originlen;
	uint64_t		 sid;
	int			 local;
	struct chat_session	*outer;
	struct chat_session	*ics;
	/* What this node has asked for, ahead of the log (local only). */
	char			 user[SECCHAT_NAME_MAX + 1];
	char			(*rooms)[SECCHAT_NAME_MAX + 1];
	unsigned		 nrooms;
	int			 hidden;
	/*
	 * The away state this session last set (local), or that its value
	 * in the sessions hash says it set (a phantom loaded from the
	 * snapshot): since 0 if it set none.  See re_sess_value.
	 */
	char			 away[AWAY_TEXT_MAX + 1];
	size_t			 awaylen;
	uint64_t		 away_since;
};

struct re_room {
	RB_ENTRY(re_room)	 entry;
	char			 name[SECCHAT_NAME_MAX + 1];
	struct history_room	 hist;
};

static int	re_sess_cmp(struct re_sess *, struct re_sess *);
static int	re_room_cmp(struct re_room *, struct re_room *);
RB_HEAD(re_sess_tree, re_sess);
RB_HEAD(re_room_tree, re_room);
#define RE_TREE_STATIC	__attribute__((__unused__)) static
RB_GENERATE_INTERNAL(re_sess_tree, re_sess, entry, re_sess_cmp,
    RE_TREE_STATIC)
RB_GENERATE_INTERNAL(re_room_tree, re_room, entry, re_room_cmp,
    RE_TREE_STATIC)

enum re_state { RE_DOWN, RE_SYNCING, RE_UP };

struct re_engine {
	struct chat_engine	 base;		/* first: see chat.h */
	struct chat		*inner;		/* the replica */
	struct chat_engine	*ie;
	uint32_t		 max_rooms;
	uint32_t		 history;
	struct history_store	 hist;
	struct re_room_tree	 hrooms;
	struct re_sess_tree	 sessions;
	struct re_pending_list	 pending;
	size_t			 npending, pending_bytes;
	uint64_t		 seq, next_sid;
	struct re_conn		 cmd, rd;
	enum re_state		 state;
	int			 synced;	/* the replica was loaded */
	int			 paused_told;
	int			 hist_loading;
	char			 last_id[48];
	uint64_t		 next_tick;
	struct re_sess		*hook;		/* a local joiner: see re_ideliver */
	const char		*hook_room;
	struct buf		 msg;
	struct buf		 val;
};

static struct {
	char		 node[CONFIG_NAME_MAX + 1];
	char		 prefix[CONFIG_NAME_MAX + 1];
	char		 origin[RE_ORIGIN_MAX];	/* node/epoch */
	char		 epoch[24];
	char		 k_log[CONFIG_NAME_MAX + 16];
	char		 k_sess[CONFIG_NAME_MAX + 16];
	char		 k_seqs[CONFIG_NAME_MAX + 16];
	char		 k_rooms[CONFIG_NAME_MAX + 16];
	char		 k_node[2 * CONFIG_NAME_MAX + 16];
	void		(*wanted)(void);
	struct re_engine *e;
} rg;

static int
re_sess_cmp(struct re_sess *x, struct re_sess *y)
{
	return strcmp(x->key, y->key);
}

static int
re_room_cmp(struct re_room *x, struct re_room *y)
{
	return strcmp(x->name, y->name);
}

int
chat_redis_available(void)
{
	return 1;
}

void
chat_redis_setup(const char *node, const char *prefix, void (*wanted)(void))
{
	uint64_t	 epoch;

	hiredis_open();
	strlcpy(rg.node, node, sizeof(rg.node));
	strlcpy(rg.prefix, prefix, sizeof(rg.prefix));
	/* A new epoch per start: a restarted node is a new origin. */
	randombytes_buf(&epoch, sizeof(epoch));
	epoch >>= 11;		/* Lua's numbers are doubles */
	snprintf(rg.epoch, sizeof(rg.epoch), "%" PRIu64, epoch);
	snprintf(rg.origin, sizeof(rg.origin), "%s/%s", rg.node, rg.epoch);
	/* One hash tag: the scripts touch these keys together. */
	snprintf(rg.k_log, sizeof(rg.k_log), "{%s}:log", rg.prefix);
	snprintf(rg.k_sess, sizeof(rg.k_sess), "{%s}:sessions", rg.prefix);
	snprintf(rg.k_seqs, sizeof(rg.k_seqs), "{%s}:seqs", rg.prefix);
	snprintf(rg.k_rooms, sizeof(rg.k_rooms), "{%s}:rooms", rg.prefix);
	snprintf(rg.k_node, sizeof(rg.k_node), "{%s}:node:%s", rg.prefix,
	    rg.node);
	rg.wanted = wanted;
}

uint64_t
chat_redis_memory(void)
{
	return RE_MEMORY;
}

static struct re_engine *
re_engine(struct chat_engine *ce)
{
	return (struct re_engine *)ce;
}

static void
re_wstr(struct wire_str *ws, const char *p, size_t len)
{
	ws->p = p;
	ws->len = len;
}

/* ------------------------------------------------------------ connections */

static void
re_conn_push(struct re_conn *c, enum re_cb kind, char *arg)
{
	struct re_cbent	*n;
	size_t		 i, cap;

	if (c->ncbs == c->cbcap) {
		cap = c->cbcap == 0 ? 64 : c->cbcap * 2;
		if ((n = calloc(cap, sizeof(*n))) == NULL)
			fatal("calloc");
		for (i = 0; i < c->ncbs; i++)
			n[i] = c->cbs[(c->cbhead + i) % c->cbcap];
		free(c->cbs);
		c->cbs = n;
		c->cbcap = cap;
		c->cbhead = 0;
	}
	c->cbs[(c->cbhead + c->ncbs) % c->cbcap].kind = kind;
	c->cbs[(c->cbhead + c->ncbs) % c->cbcap].arg = arg;
	c->ncbs++;
}

static int
re_conn_pop(struct re_conn *c, struct re_cbent *out)
{
	if (c->ncbs == 0)
		return -1;
	*out = c->cbs[c->cbhead];
	c->cbhead = (c->cbhead + 1) % c->cbcap;
	c->ncbs--;
	return 0;
}

static void
re_conn_close(struct re_conn *c)
{
	struct re_cbent	 cb;

	while (re_conn_pop(c, &cb) == 0)
		free(cb.arg);
	if (c->ctx != NULL)
		redisFree(c->ctx);	/* closes the descriptor */
	c->ctx = NULL;
}

/* Queue a command; its reply goes to kind. */
static void
re_command(struct re_conn *c, enum re_cb kind, char *arg, int argc,
    const char **argv, const size_t *lens)
{
	if (c->ctx == NULL ||
	    redisAppendCommandArgv(c->ctx, argc, argv, lens) != REDIS_OK)
		fatalx("cannot queue a Redis command");
	re_conn_push(c, kind, arg);
}

/* ------------------------------------------------------------ notices */

static void
re_notice_all(struct re_engine *e, const char *text)
{
	struct re_sess	*rs;
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_NOTICE;
	re_wstr(&m.s[0], text, strlen(text));
	m.ns = 1;
	RB_FOREACH(rs, re_sess_tree, &e->sessions)
		if (rs->local && rs->outer != NULL && !rs->hidden)
			chat_send(rs->outer, &m);
}

static void
re_error(struct chat_session *cs, const char *text)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = MSG_ERROR;
	m.byte = ERR_LIMIT;
	re_wstr(&m.s[0], text, strlen(text));
	m.ns = 1;
	chat_send(cs, &m);
}

/* Both connections are gone: pause, and ask the master for new ones. */
static void
re_lost(struct re_engine *e, const char *why)
{
	struct re_pending	*p;

	if (e->cmd.ctx == NULL && e->rd.ctx == NULL && e->state == RE_DOWN)
		return;
	log_warnx("Redis: %s; cross-node delivery paused", why);
	re_conn_close(&e->cmd);
	re_conn_close(&e->rd);
	TAILQ_FOREACH(p, &e->pending, entry)
		p->sent = 0;
	e->state = RE_DOWN;
	e->hist_loading = 0;
	if (!e->paused_told) {
		re_notice_all(e, "cross-node delivery paused: the server "
		    "lost its connection to the other nodes; what you send "
		    "is queued");
		e->paused_told = 1;
	}
	if (rg.wanted != NULL)
		rg.wanted();
}

/* ------------------------------------------------------------ events */

/*
 * The value of a local session in the sessions hash, as this node has
 * asked for it: user, flags, key in hex, rooms in join order, and the
 * away state it set last, if any (since, text).
 */
static void
re_sess_value(struct re_engine *e, const struct re_sess *rs)
{
	char		 hex[2 * WIRE_KEYLEN + 1], fl[16], since[24];
	unsigned	 i, flags = 0;

	buf_reset(&e->val);
	hex[0] = '\0';
	if (rs->outer != NULL && rs->outer->idflags != 0) {
		flags = rs->outer->idflags;
		sodium_bin2hex(hex, sizeof(hex), rs->outer->key, WIRE_KEYLEN);
	}
	snprintf(fl, sizeof(fl), "\t%u\t", flags);
	if (buf_append(&e->val, rs->user, strlen(rs->user)) == -1 ||
	    buf_append(&e->val, fl, strlen(fl)) == -1 ||
	    buf_append(&e->val, hex, strlen(hex)) == -1 ||
	    buf_append(&e->val, "\t", 1) == -1)
		fatal("buf_append");
	for (i = 0; i < rs->nrooms; i++)
		if ((i > 0 && buf_append(&e->val, ",", 1) == -1) ||
		    buf_append(&e->val, rs->rooms[i],
		    strlen(rs->rooms[i])) == -1)
			fatal("buf_append");
	/*
	 * Then, if the session ever set its user's away state, when and the
	 * text (last: it may hold tabs), so that a node that starts takes
	 * the newest of a user's sessions as the user's (re_load_away).
	 */
	if (rs->away_since != 0) {
		snprintf(since, sizeof(since), "%" PRIu64, rs->away_since);
		if (buf_append(&e->val, "\t", 1) == -1 ||
		    buf_append(&e->val, since, strlen(since)) == -1 ||
		    buf_append(&e->val, "\t", 1) == -1 ||
		    buf_append(&e->val, rs->away, rs->awaylen) == -1)
			fatal("buf_append");
	}
}

static void
re_send_pending(struct re_engine *e, struct re_pending *p)
{
	if (redisAppendFormattedCommand(e->cmd.ctx, p->cmd, p->len) !=
	    REDIS_OK)
		fatalx("cannot queue a Redis command");
	re_conn_push(&e->cmd, RCB_EVENT, NULL);
	p->sent = 1;
}

/*
 * Append one event of session rs (or of this node, rs NULL) to the log.
 * sessval: the session's new value, "" to delete it, NULL to leave it.
 * room: the room whose history keeps the event, or NULL.  fields: pairs
 * of name and value after the common ones.  -1 if the queue is full
 * (Redis away for long): the caller tells its sender.
 */
static int
re_event(struct re_engine *e, const struct re_sess *rs, char type,
    const char *sessval, const char *room, uint64_t now, int nf,
    const char **fv, const size_t *fl)
{
	const char		*argv[RE_ARGS_MAX];
	size_t			 lens[RE_ARGS_MAX];
	char			 seq[24], sid[24], w[24], t[2], maxlen[24];
	char			 histlen[24], histkey[CONFIG_NAME_MAX +
				    SECCHAT_NAME_MAX + 32];
	struct re_pending	*p;
	int			 argc = 0, i, n;
	char			*cmd;

	if (e->npending >= RE_PENDING_MAX ||
	    e->pending_bytes >= RE_PENDING_BYTES)
		return -1;
	snprintf(seq, sizeof(seq), "%" PRIu64, ++e->seq);
	snprintf(sid, sizeof(sid), "%" PRIu64, rs != NULL ? rs->sid : 0);
	snprintf(w, sizeof(w), "%" PRIu64, now);
	snprintf(maxlen, sizeof(maxlen), "%u", RE_LOG_MAXLEN);
	snprintf(histlen, sizeof(histlen), "%u",
	    room != NULL ? e->history : 0);
	t[0] = type;
	t[1] = '\0';
	if (room != NULL)
		snprintf(histkey, sizeof(histkey), "{%s}:room:%s:history",
		    rg.prefix, room);
	else
		strlcpy(histkey, rg.k_log, sizeof(histkey));
#define ARG(s, l)	do { argv[argc] = (s); lens[argc++] = (l); } while (0)
#define ARGS(s)		ARG((s), strlen(s))
	ARGS("EVAL");
	ARGS(re_script_event);
	ARGS("5");
	ARGS(rg.k_log);
	ARGS(rg.k_sess);
	ARGS(rg.k_seqs);
	ARGS(histkey);
	ARGS(rg.k_rooms);
	ARGS(rg.origin);
	ARGS(seq);
	if (rs != NULL)
		ARGS(rs->key);
	else
		ARGS("-");
	if (sessval == NULL)
		ARGS("-");
	else
		ARG(sessval, strlen(sessval));
	ARGS(maxlen);
	ARGS(histlen);
	ARGS(room != NULL ? room : "");
	ARGS("t");
	ARGS(t);
	ARGS("s");
	ARGS(sid);
	ARGS("o");
	ARGS(rg.origin);
	ARGS("q");
	ARGS(seq);
	ARGS("w");
	ARGS(w);
	if (argc + 2 * nf > RE_ARGS_MAX)
		fatalx("Redis: an event with too many fields");
	for (i = 0; i < nf; i++) {
		ARG(fv[2 * i], strlen(fv[2 * i]));
		ARG(fv[2 * i + 1], fl[i]);
	}
#undef ARG
#undef ARGS
	if ((n = redisFormatCommandArgv(&cmd, argc, argv, lens)) < 0)
		fatalx("cannot format a Redis command");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("calloc");
	p->cmd = cmd;
	p->len = (size_t)n;
	TAILQ_INSERT_TAIL(&e->pending, p, entry);
	e->npending++;
	e->pending_bytes += p->len;
	if (e->state == RE_UP)
		re_send_pending(e, p);
	return 0;
}

/* The value of a local session, for re_event(). */
static const char *
re_val(struct re_engine *e, const struct re_sess *rs)
{
	re_sess_value(e, rs);
	if (buf_append(&e->val, "", 1) == -1)
		fatal("buf_append");
	return (const char *)buf_head(&e->val);
}

/* ------------------------------------------------------------ sessions */

static struct re_sess *
re_sess_find(struct re_engine *e, const char *key)
{
	struct re_sess	 find;

	if (strlcpy(find.key, key, sizeof(find.key)) >= sizeof(find.key))
		return NULL;
	return RB_FIND(re_sess_tree, &e->sessions, &find);
}

static struct re_sess *
re_sess_new(struct re_engine *e, const char *origin, size_t originlen,
    uint64_t sid, int local)
{
	struct re_sess	*rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		fatal("calloc");
	snprintf(rs->key, sizeof(rs->key), "%.*s/%" PRIu64, (int)originlen,
	    origin, sid);
	rs->originlen = originlen;
	rs->sid = sid;
	rs->local = local;
	if (RB_INSERT(re_sess_tree, &e->sessions, rs) != NULL) {
		free(rs);
		return NULL;
	}
	return rs;
}

static void
re_sess_free(struct re_engine *e, struct re_sess *rs)
{
	RB_REMOVE(re_sess_tree, &e->sessions, rs);
	free(rs->rooms);
	free(rs);
}

/* Take rs's session out of the replica: DEPARTED to the rooms it leaves. */
static void
re_replica_leave(struct re_sess *rs, const char *why, uint64_t now)
{
	struct chat_session	*ics = rs->ics;

	if (ics == NULL)
		return;
	rs->ics = NULL;
	chat_session_end(ics);
	chat_session_free(ics, why, now);
}

static int
re_intent_find(const struct re_sess *rs, const char *room)
{
	unsigned	 i;

	for (i = 0; i < rs->nrooms; i++)
		if (strcmp(rs->rooms[i], room) == 0)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------ history */

static struct re_room *
re_hroom(struct re_engine *e, const char *name)
{
	struct re_room	 find, *r;

	strlcpy(find.name, name, sizeof(find.name));
	if ((r = RB_FIND(re_room_tree, &e->hrooms, &find)) != NULL)
		return r;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		fatal("calloc");
	strlcpy(r->name, name, sizeof(r->name));
	history_room_init(&r->hist);
	RB_INSERT(re_room_tree, &e->hrooms, r);
	return r;
}

/* As chat_mem.c: the newest entries that fit the joiner's backlog. */
static void
re_send_history(struct re_engine *e, struct chat_session *cs,
    const char *room)
{
	struct re_room	*r, find;

	strlcpy(find.name, room, sizeof(find.name));
	if ((r = RB_FIND(re_room_tree, &e->hrooms, &find)) != NULL)
		chat_send_history(cs, r->name, &r->hist);
}

/* ------------------------------------------------------------ the replica */

/*
 * The replica's session side: a local session's deliveries go to the
 * broker's session, a phantom's nowhere.  A local joiner's history goes
 * right after its JOINED (the replica keeps none of its own).
 */
static void
re_ideliver(void *owner, const uint8_t *msg, size_t len)
{
	struct re_sess		*rs = owner;
	struct re_engine	*e = rg.e;
	const char		*room;

	if (rs == NULL || rs->outer == NULL)
		return;
	chat_deliver(rs->outer, msg, len);
	if (e != NULL && e->hook == rs && e->hook_room != NULL) {
		room = e->hook_room;
		e->hook_room = NULL;
		re_send_history(e, rs->outer, room);
	}
}

static void
re_iend(void *owner, const char *why, const char *kick)
{
	(void)owner;
	(void)why;
	(void)kick;
}

static size_t
re_ibacklog(void *owner)
{
	struct re_sess	*rs = owner;

	return rs != NULL && rs->outer != NULL ? chat_backlog(rs->outer) : 0;
}

/* One event read from the log. */
struct re_ev {
	char		 type;
	uint64_t	 sid;
	uint64_t	 w;
	const char	*o;
	size_t		 olen;
	const char	*a, *b, *c, *n;
	size_t		 alen, blen, clen, nlen;
};

static int
re_num(const char *p, size_t len, uint64_t *out)
{
	char		 tmp[24];

	if (len == 0 || len >= sizeof(tmp))
		return -1;
	memcpy(tmp, p, len);
	tmp[len] = '\0';
	if (tmp[strspn(tmp, "0123456789")] != '\0')
		return -1;
	*out = strtoull(tmp, NULL, 10);
	return 0;
}

static int
re_ev_parse(const redisReply *fields, struct re_ev *ev)
{
	const redisReply	*k, *v;
	size_t			 i;

	memset(ev, 0, sizeof(*ev));
	if (fields->type != REDIS_REPLY_ARRAY || fields->elements % 2 != 0)
		return -1;
	for (i = 0; i + 1 < fields->elements; i += 2) {
		k = fields->element[i];
		v = fields->element[i + 1];
		if (k->type != REDIS_REPLY_STRING || k->len != 1 ||
		    v->type != REDIS_REPLY_STRING)
			return -1;
		switch (k->str[0]) {
		case 't':
			if (v->len != 1)
				return -1;
			ev->type = v->str[0];
			break;
		case 's':
			if (re_num(v->str, v->len, &ev->sid) == -1)
				return -1;
			break;
		case 'w':
			if (re_num(v->str, v->len, &ev->w) == -1)
				return -1;
			break;
		case 'o':
			ev->o = v->str;
			ev->olen = v->len;
			break;
		case 'a':
			ev->a = v->str;
			ev->alen = v->len;
			break;
		case 'b':
			ev->b = v->str;
			ev->blen = v->len;
			break;
		case 'c':
			ev->c = v->str;
			ev->clen = v->len;
			break;
		case 'n':
			ev->n = v->str;
			ev->nlen = v->len;
			break;
		default:
			break;
		}
	}
	if (ev->type == 0 || ev->o == NULL || ev->olen >= RE_ORIGIN_MAX)
		return -1;
	return 0;
}

/* A string field as a name: NUL-terminated copy, checked. */
static int
re_name(const char *p, size_t len, char *out, int is_room)
{
	if (p == NULL || len > SECCHAT_NAME_MAX || (is_room ?
	    !valid_roomname(p, len) : !valid_username(p, len)))
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static int
re_text(const char *p, size_t len, char *out, size_t outlen)
{
	if (p == NULL || len >= outlen)
		return -1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

static void re_reannounce(struct re_engine *, uint64_t);
static const struct chat_engine_ops chat_redis_engine_ops;

static void
re_apply(struct re_engine *e, const struct re_ev *ev)
{
	struct re_sess		*rs, *next;
	struct chat_engine	*ie = e->ie;
	struct chat_session	*ics = NULL;
	struct wire_msg		 m;
	struct chat_post	 post;
	char			 key[RE_KEY_MAX], name[SECCHAT_NAME_MAX + 1];
	char			 room[SECCHAT_NAME_MAX + 1], why[160];
	char			 sender[SECCHAT_NAME_MAX + 1];
	uint64_t		 flags;
	int			 self;
	enum chat_result	 res;

	snprintf(key, sizeof(key), "%.*s/%" PRIu64, (int)ev->olen, ev->o,
	    ev->sid);
	self = ev->olen == strlen(rg.origin) &&
	    memcmp(ev->o, rg.origin, ev->olen) == 0;
	rs = re_sess_find(e, key);
	if (rs != NULL)
		ics = rs->ics;

	switch (ev->type) {
	case 'A':
		if (re_name(ev->a, ev->alen, name, 0) == -1)
			return;
		if (rs == NULL) {
			/* Our own sessions exist already (re_attach). */
			if (self)
				return;
			if ((rs = re_sess_new(e, ev->o, ev->olen, ev->sid,
			    0)) == NULL)
				return;
		}
		if (rs->ics != NULL)
			return;
		if ((ics = chat_session_new(e->inner, rs)) == NULL ||
		    chat_login(ics, name) == -1)
			fatal("replica: out of memory");
		rs->ics = ics;
		if (rs->local && rs->hidden)
			chat_session_end(ics);
		/* Logging in counts as activity, as chat_enter_lobby says. */
		ie->ops->touch(ie, ics, ev->w);
		break;
	case 'I':
		if (ics == NULL || ev->alen != WIRE_KEYLEN ||
		    re_num(ev->b, ev->blen, &flags) == -1)
			return;
		chat_set_identity(ics, (const uint8_t *)ev->a,
		    (unsigned)flags);
		break;
	case 'J':
		if (ics == NULL || re_name(ev->a, ev->alen, room, 1) == -1)
			return;
		if (rs->local && !ie->ops->member(ie, ics, room)) {
			e->hook = rs;
			e->hook_room = room;
		}
		(void)ie->ops->join(ie, ics, room, ev->w);
		e->hook = NULL;
		e->hook_room = NULL;
		break;
	case 'P':
		if (ics == NULL || re_name(ev->a, ev->alen, room, 1) == -1 ||
		    re_text(ev->b, ev->blen, why, sizeof(why)) == -1)
			return;
		(void)ie->ops->part(ie, ics, room, why, ev->w);
		break;
	case 'M':
		if (re_name(ev->a, ev->alen, room, 1) == -1 ||
		    re_name(ev->n, ev->nlen, sender, 0) == -1 ||
		    ev->blen != 1 || ev->c == NULL)
			return;
		post.time = ev->w;
		post.kind = ev->b[0] == '1' ? HISTORY_ACTION : HISTORY_SAY;
		post.sender = sender;
		post.text = ev->c;
		post.textlen = ev->clen;
		(void)history_add(&e->hist, &re_hroom(e, room)->hist,
		    post.time, post.kind, sender, ev->c, ev->clen);
		if (ics == NULL || !ie->ops->member(ie, ics, room))
			return;
		memset(&m, 0, sizeof(m));
		m.type = post.kind == HISTORY_SAY ? MSG_MESSAGE : MSG_ACTION;
		m.time = ev->w;
		re_wstr(&m.s[0], room, strlen(room));
		re_wstr(&m.s[1], sender, strlen(sender));
		re_wstr(&m.s[2], ev->c, ev->clen);
		m.ns = 3;
		buf_reset(&e->msg);
		if (wire_encode(&e->msg, &m) == -1)
			return;
		/*
		 * The event's time is the sender's activity (contract 15): no
		 * event of its own, and every node records the same time.
		 */
		if (ie->ops->publish(ie, ics, room, &post, buf_head(&e->msg),
		    buf_used(&e->msg)) == CHAT_OK)
			ie->ops->touch(ie, ics, ev->w);
		break;
	case 'U':
		if (re_name(ev->a, ev->alen, name, 0) == -1 || ev->c == NULL)
			return;
		res = ie->ops->to_user(ie, ics, name, (const uint8_t *)ev->c,
		    ev->clen);
		if (res == CHAT_OK && ics != NULL)
			ie->ops->touch(ie, ics, ev->w);
		/* Gone between the sending and the log: say so. */
		if (res != CHAT_OK && rs != NULL && rs->local &&
		    rs->outer != NULL) {
			memset(&m, 0, sizeof(m));
			m.type = MSG_ERROR;
			m.byte = ERR_NO_USER;
			re_wstr(&m.s[0], "not delivered: the user went offline",
			    36);
			m.ns = 1;
			chat_send(rs->outer, &m);
		}
		break;
	case 'E':
		if (re_name(ev->a, ev->alen, name, 0) == -1 ||
		    ev->blen != WIRE_KEYLEN || ev->c == NULL)
			return;
		res = ie->ops->to_device(ie, ics, name,
		    (const uint8_t *)ev->b, (const uint8_t *)ev->c, ev->clen);
		if (res == CHAT_OK && ics != NULL)
			ie->ops->touch(ie, ics, ev->w);
		if (res != CHAT_OK && rs != NULL && rs->local &&
		    rs->outer != NULL) {
			memset(&m, 0, sizeof(m));
			m.type = MSG_E2E_FAIL;
			re_wstr(&m.s[0], name, strlen(name));
			re_wstr(&m.s[1], ev->b, ev->blen);
			re_wstr(&m.s[2], "not online", 10);
			m.ns = 3;
			chat_send(rs->outer, &m);
		}
		break;
	case 'W':
		/*
		 * Away (contract 14), per user, at the event's time on every
		 * node: the replica confirms it to the user's extended
		 * sessions, each node to its own.  It goes with the user's
		 * last session, by D or X, as on one node.
		 */
		if (ics == NULL || ev->a == NULL || ev->alen > AWAY_TEXT_MAX ||
		    (ev->alen > 0 && !valid_text(ev->a, ev->alen,
		    AWAY_TEXT_MAX)))
			return;
		memset(&m, 0, sizeof(m));
		m.type = MSG_AWAYNOTE;
		re_wstr(&m.s[0], ics->user, strlen(ics->user));
		re_wstr(&m.s[1], ev->a, ev->alen);
		m.ns = 2;
		buf_reset(&e->msg);
		if (wire_encode(&e->msg, &m) == -1)
			return;
		(void)ie->ops->set_away(ie, ics, ev->a, ev->alen, ev->w,
		    buf_head(&e->msg), buf_used(&e->msg));
		break;
	case 'D':
		if (rs == NULL ||
		    re_text(ev->b, ev->blen, why, sizeof(why)) == -1)
			return;
		re_replica_leave(rs, why, ev->w);
		if (rs->outer == NULL)
			re_sess_free(e, rs);
		break;
	case 'X':
		/* Every session of a dead node departs, here as everywhere. */
		if (ev->a == NULL || ev->alen >= RE_ORIGIN_MAX)
			return;
		self = ev->alen == strlen(rg.origin) &&
		    memcmp(ev->a, rg.origin, ev->alen) == 0;
		log_info("Redis: node %.*s declared dead%s", (int)ev->alen,
		    ev->a, self ? " (this node: announcing its sessions "
		    "again)" : "");
		for (rs = RB_MIN(re_sess_tree, &e->sessions); rs != NULL;
		    rs = next) {
			next = RB_NEXT(re_sess_tree, &e->sessions, rs);
			if (rs->originlen != ev->alen ||
			    memcmp(rs->key, ev->a, ev->alen) != 0)
				continue;
			re_replica_leave(rs, CHAT_WHY_LOST, now_ms());
			if (rs->outer == NULL)
				re_sess_free(e, rs);
		}
		if (self)
			re_reannounce(e, now_ms());
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------ the calls */

static int
re_attach(struct chat_engine *ce, struct chat_session *cs)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs;
	const char		*fv[2];
	size_t			 fl[1];

	if ((rs = re_sess_new(e, rg.origin, strlen(rg.origin), ++e->next_sid,
	    1)) == NULL)
		return -1;
	if ((rs->rooms = calloc(e->max_rooms, sizeof(*rs->rooms))) == NULL) {
		re_sess_free(e, rs);
		return -1;
	}
	rs->outer = cs;
	strlcpy(rs->user, cs->user, sizeof(rs->user));
	cs->priv = rs;
	fv[0] = "a";
	fv[1] = cs->user;
	fl[0] = strlen(cs->user);
	if (re_event(e, rs, 'A', re_val(e, rs), NULL, now_ms(), 1, fv,
	    fl) == -1) {
		cs->priv = NULL;
		re_sess_free(e, rs);
		return -1;
	}
	return 0;
}

static void
re_identify(struct chat_engine *ce, struct chat_session *cs)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[4];
	size_t			 fl[2];
	char			 flags[16];

	if (rs == NULL)
		return;
	snprintf(flags, sizeof(flags), "%u", cs->idflags);
	fv[0] = "a";
	fv[1] = (const char *)cs->key;
	fl[0] = WIRE_KEYLEN;
	fv[2] = "b";
	fv[3] = flags;
	fl[1] = strlen(flags);
	if (re_event(e, rs, 'I', re_val(e, rs), NULL, now_ms(), 2, fv,
	    fl) == -1)
		re_error(cs, "your key is not known to the other nodes: "
		    "cross-node delivery paused");
}

static void
re_hide(struct chat_engine *ce, struct chat_session *cs)
{
	struct re_sess	*rs = cs->priv;

	(void)ce;
	if (rs == NULL)
		return;
	rs->hidden = 1;
	if (rs->ics != NULL)
		chat_session_end(rs->ics);
}

static void
re_detach(struct chat_engine *ce, struct chat_session *cs, const char *why,
    uint64_t now)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[2];
	size_t			 fl[1];

	if (rs == NULL)
		return;
	cs->priv = NULL;
	rs->outer = NULL;
	rs->hidden = 1;
	if (rs->ics != NULL)
		chat_session_end(rs->ics);
	fv[0] = "b";
	fv[1] = why;
	fl[0] = strlen(why);
	/*
	 * Past the queue's bound the others would never hear of the end:
	 * the session departs here, and the node's next heartbeat check
	 * does the rest when it is declared dead.  Rare: logged.
	 */
	if (re_event(e, rs, 'D', "", NULL, now, 1, fv, fl) == -1) {
		log_warnx("Redis: queue full; a session's end is not "
		    "published");
		re_replica_leave(rs, why, now);
		re_sess_free(e, rs);
	}
}

static enum chat_result
re_join(struct chat_engine *ce, struct chat_session *cs, const char *room,
    uint64_t now)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[2];
	size_t			 fl[1];
	int			 added = 0;

	if (rs == NULL)
		return CHAT_NOT_MEMBER;
	if (re_intent_find(rs, room) == -1) {
		if (rs->nrooms >= e->max_rooms)
			return CHAT_TOO_MANY;
		strlcpy(rs->rooms[rs->nrooms++], room,
		    sizeof(rs->rooms[0]));
		added = 1;
	}
	fv[0] = "a";
	fv[1] = room;
	fl[0] = strlen(room);
	if (re_event(e, rs, 'J', re_val(e, rs), NULL, now, 1, fv,
	    fl) == -1) {
		if (added)
			rs->nrooms--;
		re_error(cs, "not joined: cross-node delivery paused");
	}
	return CHAT_OK;
}

static enum chat_result
re_part(struct chat_engine *ce, struct chat_session *cs, const char *room,
    const char *why, uint64_t now)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[4];
	size_t			 fl[2];
	char			 saved[SECCHAT_NAME_MAX + 1];
	int			 i;

	if (rs == NULL || (i = re_intent_find(rs, room)) == -1)
		return CHAT_NOT_MEMBER;
	strlcpy(saved, rs->rooms[i], sizeof(saved));
	memmove(rs->rooms[i], rs->rooms[i + 1],
	    (rs->nrooms - (unsigned)i - 1) * sizeof(rs->rooms[0]));
	rs->nrooms--;
	fv[0] = "a";
	fv[1] = room;
	fl[0] = strlen(room);
	fv[2] = "b";
	fv[3] = why;
	fl[1] = strlen(why);
	if (re_event(e, rs, 'P', re_val(e, rs), NULL, now, 2, fv,
	    fl) == -1) {
		memmove(rs->rooms[i + 1], rs->rooms[i],
		    (rs->nrooms - (unsigned)i) * sizeof(rs->rooms[0]));
		strlcpy(rs->rooms[i], saved, sizeof(rs->rooms[0]));
		rs->nrooms++;
		re_error(cs, "not parted: cross-node delivery paused");
	}
	return CHAT_OK;
}

static int
re_member(struct chat_engine *ce, const struct chat_session *cs,
    const char *room)
{
	const struct re_sess	*rs = cs->priv;

	(void)ce;
	return rs != NULL && re_intent_find(rs, room) != -1;
}

static enum chat_result
re_publish(struct chat_engine *ce, struct chat_session *cs, const char *room,
    const struct chat_post *post, const uint8_t *msg, size_t len)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[8];
	size_t			 fl[4];

	(void)msg;
	(void)len;
	if (rs == NULL || re_intent_find(rs, room) == -1)
		return CHAT_NOT_MEMBER;
	fv[0] = "a";
	fv[1] = room;
	fl[0] = strlen(room);
	fv[2] = "b";
	fv[3] = post->kind == HISTORY_ACTION ? "1" : "0";
	fl[1] = 1;
	fv[4] = "c";
	fv[5] = post->text;
	fl[2] = post->textlen;
	fv[6] = "n";
	fv[7] = post->sender;
	fl[3] = strlen(post->sender);
	if (re_event(e, rs, 'M', NULL, room, post->time, 4, fv, fl) == -1)
		re_error(cs, "not delivered: cross-node delivery paused");
	return CHAT_OK;
}

/* 1 if the user has a session that is not hidden, on any node. */
static int
re_online(struct re_engine *e, const char *user)
{
	struct re_sess		*rs;

	RB_FOREACH(rs, re_sess_tree, &e->sessions)
		if (rs->ics != NULL && !rs->ics->ended &&
		    strcmp(rs->ics->user, user) == 0)
			return 1;
	return 0;
}

static enum chat_result
re_to_user(struct chat_engine *ce, struct chat_session *cs, const char *user,
    const uint8_t *msg, size_t len)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	const char		*fv[4];
	size_t			 fl[2];

	if (rs == NULL || !re_online(e, user))
		return CHAT_NO_USER;
	fv[0] = "a";
	fv[1] = user;
	fl[0] = strlen(user);
	fv[2] = "c";
	fv[3] = (const char *)msg;
	fl[1] = len;
	if (re_event(e, rs, 'U', NULL, NULL, now_ms(), 2, fv, fl) == -1)
		re_error(cs, "not delivered: cross-node delivery paused");
	return CHAT_OK;
}

static enum chat_result
re_names(struct chat_engine *ce, const char *room, struct chat_list *l)
{
	struct re_engine	*e = re_engine(ce);

	return e->ie->ops->names(e->ie, room, l);
}

static void
re_rooms(struct chat_engine *ce, struct chat_list *l)
{
	struct re_engine	*e = re_engine(ce);

	e->ie->ops->rooms(e->ie, l);
}

static int
re_session_rooms(struct chat_engine *ce, const struct chat_session *cs,
    struct buf *out)
{
	const struct re_sess	*rs = cs->priv;
	unsigned		 i;

	(void)ce;
	if (rs == NULL)
		return 0;
	/* Most recently joined first, as the memory engine lists them. */
	for (i = rs->nrooms; i > 0; i--)
		if ((i < rs->nrooms && buf_append(out, ",", 1) == -1) ||
		    buf_append(out, rs->rooms[i - 1],
		    strlen(rs->rooms[i - 1])) == -1)
			return -1;
	return 0;
}

static void
re_enrolled_reset(struct chat_engine *ce)
{
	struct re_engine	*e = re_engine(ce);

	e->ie->ops->enrolled_reset(e->ie);
}

static int
re_enrolled_add(struct chat_engine *ce, const char *user,
    const uint8_t key[WIRE_KEYLEN])
{
	struct re_engine	*e = re_engine(ce);

	return e->ie->ops->enrolled_add(e->ie, user, key);
}

static void
re_keys(struct chat_engine *ce, const char *user, struct chat_keylist *kl)
{
	struct re_engine	*e = re_engine(ce);

	e->ie->ops->keys(e->ie, user, kl);
}

static enum chat_result
re_to_device(struct chat_engine *ce, struct chat_session *cs,
    const char *user, const uint8_t device[WIRE_KEYLEN], const uint8_t *msg,
    size_t len)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv, *t;
	const char		*fv[6];
	size_t			 fl[3];
	int			 found = 0;

	if (rs == NULL)
		return CHAT_NO_USER;
	RB_FOREACH(t, re_sess_tree, &e->sessions)
		if (t != rs && t->ics != NULL && !t->ics->ended &&
		    (t->ics->idflags & CHAT_ID_EXTENDED) &&
		    strcmp(t->ics->user, user) == 0 &&
		    memcmp(t->ics->key, device, WIRE_KEYLEN) == 0)
			found = 1;
	if (!found)
		return CHAT_NO_USER;
	fv[0] = "a";
	fv[1] = user;
	fl[0] = strlen(user);
	fv[2] = "b";
	fv[3] = (const char *)device;
	fl[1] = WIRE_KEYLEN;
	fv[4] = "c";
	fv[5] = (const char *)msg;
	fl[2] = len;
	if (re_event(e, rs, 'E', NULL, NULL, now_ms(), 3, fv, fl) == -1)
		re_error(cs, "not delivered: cross-node delivery paused");
	return CHAT_OK;
}

/*
 * Away: an event like the other changes of state, so that every node
 * applies it at the same point of the log (and so in the same order as
 * the arrivals and departures that bound it).  The session keeps what it
 * set for its value in the sessions hash (re_sess_value).
 */
static enum chat_result
re_set_away(struct chat_engine *ce, struct chat_session *cs,
    const char *text, size_t len, uint64_t now, const uint8_t *msg,
    size_t msglen)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs = cs->priv;
	char			 old[AWAY_TEXT_MAX + 1];
	size_t			 oldlen;
	uint64_t		 oldsince;
	const char		*fv[2];
	size_t			 fl[1];

	/* The replica encodes its own AWAYNOTE when it replays the event. */
	(void)msg;
	(void)msglen;
	if (rs == NULL || len > AWAY_TEXT_MAX)
		return CHAT_NO_MEMORY;
	memcpy(old, rs->away, rs->awaylen + 1);
	oldlen = rs->awaylen;
	oldsince = rs->away_since;
	memcpy(rs->away, text, len);
	rs->away[len] = '\0';
	rs->awaylen = len;
	rs->away_since = now;
	fv[0] = "a";
	fv[1] = text;
	fl[0] = len;
	if (re_event(e, rs, 'W', re_val(e, rs), NULL, now, 1, fv,
	    fl) == -1) {
		memcpy(rs->away, old, oldlen + 1);
		rs->awaylen = oldlen;
		rs->away_since = oldsince;
		re_error(cs, "away not changed: cross-node delivery paused");
	}
	return CHAT_OK;
}

/*
 * Answered from the replica, as re_to_user decides whether the user is
 * online: the sender's node tells its sender what it knows of the log.
 */
static int
re_away(struct chat_engine *ce, const char *user, struct chat_away *away)
{
	struct re_engine	*e = re_engine(ce);

	return e->ie->ops->away(e->ie, user, away);
}

/*
 * Nothing to send: the activity is the time of the events that carry
 * what the user said (A, M, U, E), which every node's replica records
 * as it replays them (re_apply).  One event per message is enough.
 */
static void
re_touch(struct chat_engine *ce, struct chat_session *cs, uint64_t now)
{
	(void)ce;
	(void)cs;
	(void)now;
}

static enum chat_result
re_whois(struct chat_engine *ce, const char *user, struct chat_whois *w)
{
	struct re_engine	*e = re_engine(ce);

	return e->ie->ops->whois(e->ie, user, w);
}

static enum chat_result
re_names_away(struct chat_engine *ce, const char *room, struct chat_list *l)
{
	struct re_engine	*e = re_engine(ce);

	return e->ie->ops->names_away(e->ie, room, l);
}

/*
 * This node was declared dead while it lived (a pause longer than the
 * heartbeat's bound): its sessions are announced again, as new arrivals.
 */
static void
re_reannounce(struct re_engine *e, uint64_t now)
{
	struct re_sess	*rs;
	const char	*fv[4];
	size_t		 fl[2];
	char		 flags[16];
	unsigned	 i;

	RB_FOREACH(rs, re_sess_tree, &e->sessions) {
		if (!rs->local || rs->outer == NULL)
			continue;
		fv[0] = "a";
		fv[1] = rs->user;
		fl[0] = strlen(rs->user);
		(void)re_event(e, rs, 'A', re_val(e, rs), NULL, now, 1, fv,
		    fl);
		if (rs->outer->idflags != 0) {
			snprintf(flags, sizeof(flags), "%u",
			    rs->outer->idflags);
			fv[1] = (const char *)rs->outer->key;
			fl[0] = WIRE_KEYLEN;
			fv[2] = "b";
			fv[3] = flags;
			fl[1] = strlen(flags);
			(void)re_event(e, rs, 'I', NULL, NULL, now, 2, fv, fl);
		}
		for (i = 0; i < rs->nrooms; i++) {
			fv[1] = rs->rooms[i];
			fl[0] = strlen(rs->rooms[i]);
			(void)re_event(e, rs, 'J', NULL, NULL, now, 1, fv,
			    fl);
		}
	}
}

/* ------------------------------------------------------------ sync */

static void
re_read_next(struct re_engine *e)
{
	const char	*argv[8];
	size_t		 lens[8];
	char		 count[16];
	int		 i;

	snprintf(count, sizeof(count), "%d", RE_READ_COUNT);
	argv[0] = "XREAD";
	argv[1] = "BLOCK";
	argv[2] = RE_BLOCK_MS;
	argv[3] = "COUNT";
	argv[4] = count;
	argv[5] = "STREAMS";
	argv[6] = rg.k_log;
	argv[7] = e->last_id;
	for (i = 0; i < 8; i++)
		lens[i] = strlen(argv[i]);
	re_command(&e->rd, RCB_READ, NULL, 8, argv, lens);
}

/* The replica is loaded (or was): read the log, send what waits. */
static void
re_go_up(struct re_engine *e)
{
	struct re_pending	*p;

	e->synced = 1;
	e->state = RE_UP;
	re_read_next(e);
	TAILQ_FOREACH(p, &e->pending, entry)
		re_send_pending(e, p);
	if (e->paused_told) {
		re_notice_all(e, "cross-node delivery resumed");
		e->paused_told = 0;
	}
	log_info("Redis: connected; node %s, %zu events to send",
	    rg.origin, e->npending);
}

static void
re_beat(struct re_engine *e)
{
	const char	*argv[6];
	size_t		 lens[6];
	char		 ttl[16];
	int		 i;

	snprintf(ttl, sizeof(ttl), "%d", RE_NODE_TTL_MS);
	argv[0] = "EVAL";
	argv[1] = re_script_beat;
	argv[2] = "1";
	argv[3] = rg.k_node;
	argv[4] = rg.epoch;
	argv[5] = ttl;
	for (i = 0; i < 6; i++)
		lens[i] = strlen(argv[i]);
	re_command(&e->cmd, RCB_BEAT, NULL, 6, argv, lens);
}

/* Ask whether each other node seen in the replica still beats. */
static void
re_check_nodes(struct re_engine *e)
{
	struct re_sess	*rs;
	const char	*argv[12];
	size_t		 lens[12];
	char		 origin[RE_ORIGIN_MAX], last[RE_ORIGIN_MAX];
	char		 nodekey[2 * CONFIG_NAME_MAX + 16], maxlen[16];
	const char	*slash;
	int		 i;

	last[0] = '\0';
	snprintf(maxlen, sizeof(maxlen), "%u", RE_LOG_MAXLEN);
	RB_FOREACH(rs, re_sess_tree, &e->sessions) {
		if (rs->local || rs->originlen >= sizeof(origin))
			continue;
		memcpy(origin, rs->key, rs->originlen);
		origin[rs->originlen] = '\0';
		/* The tree is sorted: an origin's sessions are together. */
		if (strcmp(origin, last) == 0)
			continue;
		strlcpy(last, origin, sizeof(last));
		if ((slash = strchr(origin, '/')) == NULL)
			continue;
		snprintf(nodekey, sizeof(nodekey), "{%s}:node:%.*s",
		    rg.prefix, (int)(slash - origin), origin);
		argv[0] = "EVAL";
		argv[1] = re_script_dead;
		argv[2] = "4";
		argv[3] = rg.k_log;
		argv[4] = rg.k_sess;
		argv[5] = rg.k_seqs;
		argv[6] = nodekey;
		argv[7] = origin;
		argv[8] = slash + 1;
		argv[9] = maxlen;
		argv[10] = rg.origin;
		for (i = 0; i < 11; i++)
			lens[i] = strlen(argv[i]);
		re_command(&e->cmd, RCB_DEAD, NULL, 11, argv, lens);
	}
}

/* Both descriptors are here: beat, then load the replica or resume. */
static void
re_connected(struct re_engine *e)
{
	const char	*argv[5];
	size_t		 lens[5];
	int		 i;

	e->state = RE_SYNCING;
	re_beat(e);
	e->next_tick = mono_ms() + RE_TICK_MS;
	if (e->synced) {
		re_go_up(e);
		return;
	}
	argv[0] = "EVAL";
	argv[1] = re_script_snapshot;
	argv[2] = "2";
	argv[3] = rg.k_log;
	argv[4] = rg.k_sess;
	for (i = 0; i < 5; i++)
		lens[i] = strlen(argv[i]);
	re_command(&e->cmd, RCB_SNAPSHOT, NULL, 5, argv, lens);
	argv[0] = "SMEMBERS";
	argv[1] = rg.k_rooms;
	lens[0] = strlen(argv[0]);
	lens[1] = strlen(argv[1]);
	re_command(&e->cmd, RCB_ROOMS, NULL, 2, argv, lens);
}

static int
re_away_cmp(const void *a, const void *b)
{
	const struct re_sess	*x = *(struct re_sess *const *)a;
	const struct re_sess	*y = *(struct re_sess *const *)b;

	return x->away_since < y->away_since ? -1 :
	    x->away_since > y->away_since;
}

/*
 * Each session loaded from the snapshot holds the away state it set
 * last: applied oldest first, the newest of each user's sessions is the
 * user's, as it was in the log.  It may be missing if the session that
 * set it has left while others of its user stayed (the hash keeps no
 * state per user): the user is then not away on this node alone, until
 * it says AWAY again.
 */
static void
re_load_away(struct re_engine *e)
{
	struct re_sess	*rs, **v;
	struct wire_msg	 m;
	size_t		 n = 0, i;

	RB_FOREACH(rs, re_sess_tree, &e->sessions)
		if (!rs->local && rs->ics != NULL && rs->away_since != 0)
			n++;
	if (n == 0)
		return;
	if ((v = calloc(n, sizeof(*v))) == NULL)
		fatal("calloc");
	i = 0;
	RB_FOREACH(rs, re_sess_tree, &e->sessions)
		if (!rs->local && rs->ics != NULL && rs->away_since != 0)
			v[i++] = rs;
	qsort(v, n, sizeof(*v), re_away_cmp);
	for (i = 0; i < n; i++) {
		rs = v[i];
		memset(&m, 0, sizeof(m));
		m.type = MSG_AWAYNOTE;
		re_wstr(&m.s[0], rs->ics->user, strlen(rs->ics->user));
		re_wstr(&m.s[1], rs->away, rs->awaylen);
		m.ns = 2;
		buf_reset(&e->msg);
		/* Phantoms only: the note reaches no session. */
		if (wire_encode(&e->msg, &m) == 0)
			(void)e->ie->ops->set_away(e->ie, rs->ics, rs->away,
			    rs->awaylen, rs->away_since, buf_head(&e->msg),
			    buf_used(&e->msg));
	}
	free(v);
}

/* The sessions of the other nodes, as they stand at the log's end. */
static void
re_load_snapshot(struct re_engine *e, const redisReply *r)
{
	const redisReply	*kv, *k, *v;
	struct re_sess		*rs;
	struct chat_session	*ics;
	char			 val[70000], user[SECCHAT_NAME_MAX + 1];
	char			*f[4], *p, *room, *slash, *since;
	uint8_t			 key[WIRE_KEYLEN];
	size_t			 i, j, olen;
	uint64_t		 sid;
	unsigned long		 flags;

	if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
	    r->element[0]->type != REDIS_REPLY_STRING ||
	    r->element[0]->len >= sizeof(e->last_id) ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		re_lost(e, "bad snapshot");
		return;
	}
	memcpy(e->last_id, r->element[0]->str, r->element[0]->len);
	e->last_id[r->element[0]->len] = '\0';
	kv = r->element[1];
	for (i = 0; i + 1 < kv->elements; i += 2) {
		k = kv->element[i];
		v = kv->element[i + 1];
		if (k->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || v->len >= sizeof(val) ||
		    (slash = memrchr(k->str, '/', k->len)) == NULL ||
		    re_num(slash + 1, k->len - (size_t)(slash + 1 - k->str),
		    &sid) == -1)
			continue;
		olen = (size_t)(slash - k->str);
		if (olen >= RE_ORIGIN_MAX || (olen == strlen(rg.origin) &&
		    memcmp(k->str, rg.origin, olen) == 0))
			continue;
		memcpy(val, v->str, v->len);
		val[v->len] = '\0';
		p = val;
		for (j = 0; j < 4; j++)
			if ((f[j] = strsep(&p, "\t")) == NULL)
				break;
		if (j < 4 || re_name(f[0], strlen(f[0]), user, 0) == -1)
			continue;
		if ((rs = re_sess_new(e, k->str, olen, sid, 0)) == NULL)
			continue;
		if ((ics = chat_session_new(e->inner, rs)) == NULL ||
		    chat_login(ics, user) == -1)
			fatal("replica: out of memory");
		rs->ics = ics;
		flags = strtoul(f[1], NULL, 10);
		if (flags != 0 && strlen(f[2]) == 2 * WIRE_KEYLEN &&
		    sodium_hex2bin(key, sizeof(key), f[2], strlen(f[2]),
		    NULL, NULL, NULL) == 0)
			chat_set_identity(ics, key, (unsigned)flags);
		/* The away state it set, if any: see re_sess_value. */
		if (p != NULL && (since = strsep(&p, "\t")) != NULL &&
		    p != NULL && re_num(since, strlen(since),
		    &rs->away_since) == 0 && strlen(p) <= AWAY_TEXT_MAX &&
		    (p[0] == '\0' || valid_text(p, strlen(p),
		    AWAY_TEXT_MAX))) {
			rs->awaylen = strlen(p);
			memcpy(rs->away, p, rs->awaylen + 1);
		} else
			rs->away_since = 0;
		/*
		 * What the user did before is not in the hash: this node
		 * counts its idle time from the moment it learns of it.
		 */
		e->ie->ops->touch(e->ie, ics, now_ms());
		p = f[3];
		while ((room = strsep(&p, ",")) != NULL)
			if (valid_roomname(room, strlen(room)))
				(void)e->ie->ops->join(e->ie, ics, room,
				    now_ms());
	}
	re_load_away(e);
}

static void
re_hist_done(struct re_engine *e)
{
	if (e->hist_loading == 0 && e->state == RE_SYNCING)
		re_go_up(e);
}

static void
re_load_rooms(struct re_engine *e, const redisReply *r)
{
	const char	*argv[7];
	size_t		 lens[7];
	char		 key[CONFIG_NAME_MAX + SECCHAT_NAME_MAX + 32];
	char		 count[16], *room;
	size_t		 i;
	int		 j;

	if (r->type != REDIS_REPLY_ARRAY) {
		re_lost(e, "bad room list");
		return;
	}
	snprintf(count, sizeof(count), "%u", e->history);
	for (i = 0; i < r->elements && e->history > 0; i++) {
		if (r->element[i]->type != REDIS_REPLY_STRING ||
		    !valid_roomname(r->element[i]->str, r->element[i]->len))
			continue;
		if ((room = strndup(r->element[i]->str,
		    r->element[i]->len)) == NULL)
			fatal("strndup");
		snprintf(key, sizeof(key), "{%s}:room:%s:history", rg.prefix,
		    room);
		argv[0] = "XREVRANGE";
		argv[1] = key;
		argv[2] = e->last_id;
		argv[3] = "-";
		argv[4] = "COUNT";
		argv[5] = count;
		for (j = 0; j < 6; j++)
			lens[j] = strlen(argv[j]);
		re_command(&e->cmd, RCB_HIST, room, 6, argv, lens);
		e->hist_loading++;
	}
	re_hist_done(e);
}

/* One room's history, newest first, up to the snapshot's position. */
static void
re_load_hist(struct re_engine *e, const char *room, const redisReply *r)
{
	struct re_room	*hr;
	struct re_ev	 ev;
	char		 sender[SECCHAT_NAME_MAX + 1];
	size_t		 i;

	e->hist_loading--;
	if (r->type == REDIS_REPLY_ARRAY) {
		hr = re_hroom(e, room);
		history_room_clear(&e->hist, &hr->hist);
		for (i = r->elements; i > 0; i--) {
			const redisReply *ent = r->element[i - 1];

			if (ent->type != REDIS_REPLY_ARRAY ||
			    ent->elements != 2 ||
			    re_ev_parse(ent->element[1], &ev) == -1 ||
			    ev.type != 'M' || ev.c == NULL || ev.blen != 1 ||
			    re_name(ev.n, ev.nlen, sender, 0) == -1)
				continue;
			(void)history_add(&e->hist, &hr->hist, ev.w,
			    ev.b[0] == '1' ? HISTORY_ACTION : HISTORY_SAY,
			    sender, ev.c, ev.clen);
		}
	}
	re_hist_done(e);
}

static void
re_read_reply(struct re_engine *e, const redisReply *r)
{
	const redisReply	*entries, *ent;
	struct re_ev		 ev;
	size_t			 i;

	/* nil: BLOCK timed out with nothing new. */
	if (r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY &&
	    r->element[0]->elements == 2) {
		entries = r->element[0]->element[1];
		for (i = 0; entries->type == REDIS_REPLY_ARRAY &&
		    i < entries->elements; i++) {
			ent = entries->element[i];
			if (ent->type != REDIS_REPLY_ARRAY ||
			    ent->elements != 2 ||
			    ent->element[0]->type != REDIS_REPLY_STRING ||
			    ent->element[0]->len >= sizeof(e->last_id))
				continue;
			memcpy(e->last_id, ent->element[0]->str,
			    ent->element[0]->len);
			e->last_id[ent->element[0]->len] = '\0';
			if (re_ev_parse(ent->element[1], &ev) == 0)
				re_apply(e, &ev);
		}
	} else if (r->type == REDIS_REPLY_ERROR) {
		re_lost(e, r->str);
		return;
	}
	if (e->rd.ctx != NULL)
		re_read_next(e);
}

static void
re_reply(struct re_engine *e, struct re_conn *c, redisReply *r)
{
	struct re_cbent		 cb;
	struct re_pending	*p;

	if (re_conn_pop(c, &cb) == -1) {
		re_lost(e, "unexpected reply");
		return;
	}
	switch (cb.kind) {
	case RCB_EVENT:
		if (r->type == REDIS_REPLY_ERROR) {
			log_warnx("Redis: event refused: %s", r->str);
			re_lost(e, "event refused");
			break;
		}
		if ((p = TAILQ_FIRST(&e->pending)) != NULL) {
			TAILQ_REMOVE(&e->pending, p, entry);
			e->npending--;
			e->pending_bytes -= p->len;
			redisFreeCommand(p->cmd);
			free(p);
		}
		break;
	case RCB_BEAT:
		if (r->type == REDIS_REPLY_ERROR)
			re_lost(e, r->str);
		else if (r->type == REDIS_REPLY_STRING && r->len > 0 &&
		    strcmp(r->str, rg.epoch) != 0 && e->synced)
			log_warnx("Redis: this node's heartbeat was another "
			    "epoch's");
		break;
	case RCB_DEAD:
		if (r->type == REDIS_REPLY_ERROR)
			log_warnx("Redis: dead-node check: %s", r->str);
		break;
	case RCB_SNAPSHOT:
		re_load_snapshot(e, r);
		break;
	case RCB_ROOMS:
		re_load_rooms(e, r);
		break;
	case RCB_HIST:
		re_load_hist(e, cb.arg, r);
		break;
	case RCB_READ:
		re_read_reply(e, r);
		break;
	}
	free(cb.arg);
}

/* ------------------------------------------------------------ the loop */

void
chat_redis_adopt(int role, int fd)
{
	struct re_engine	*e = rg.e;
	struct re_conn		*c;

	if (e == NULL) {
		close(fd);
		return;
	}
	c = role == REDIS_ROLE_READER ? &e->rd : &e->cmd;
	re_conn_close(c);
	/* hiredis adopts it without a system call; no blocking reads. */
	if ((c->ctx = redisConnectFd(fd)) == NULL)
		fatal("redisConnectFd");
	c->ctx->flags &= ~REDIS_BLOCK;
	if (e->cmd.ctx != NULL && e->rd.ctx != NULL)
		re_connected(e);
}

void
chat_redis_pollfds(struct pollfd *pfd)
{
	struct re_engine	*e = rg.e;
	struct re_conn		*c[2];
	int			 i;

	for (i = 0; i < CHAT_REDIS_NPOLL; i++) {
		pfd[i].fd = -1;
		pfd[i].events = 0;
		pfd[i].revents = 0;
	}
	if (e == NULL)
		return;
	c[0] = &e->cmd;
	c[1] = &e->rd;
	for (i = 0; i < 2; i++) {
		if (c[i]->ctx == NULL)
			continue;
		pfd[i].fd = c[i]->ctx->fd;
		pfd[i].events = POLLIN |
		    (sdslen(c[i]->ctx->obuf) > 0 ? POLLOUT : 0);
	}
}

int
chat_redis_timeout(uint64_t mono)
{
	struct re_engine	*e = rg.e;

	if (e == NULL || e->state != RE_UP)
		return -1;
	return e->next_tick <= mono ? 0 : (int)(e->next_tick - mono);
}

static int
re_conn_write(struct re_conn *c)
{
	int	 done = 0;

	while (c->ctx != NULL && sdslen(c->ctx->obuf) > 0) {
		if (redisBufferWrite(c->ctx, &done) != REDIS_OK)
			return -1;
		if (!done && sdslen(c->ctx->obuf) > 0 && errno == EAGAIN)
			break;
		if (done)
			break;
	}
	return 0;
}

void
chat_redis_flush(void)
{
	struct re_engine	*e = rg.e;

	if (e == NULL)
		return;
	errno = 0;
	if (re_conn_write(&e->cmd) == -1 || re_conn_write(&e->rd) == -1)
		re_lost(e, "write failed");
}

static void
re_conn_input(struct re_engine *e, struct re_conn *c)
{
	void	*reply;

	if (redisBufferRead(c->ctx) != REDIS_OK) {
		re_lost(e, c->ctx->errstr[0] != '\0' ? c->ctx->errstr :
		    "connection closed");
		return;
	}
	for (;;) {
		reply = NULL;
		if (c->ctx == NULL)
			return;
		if (redisGetReplyFromReader(c->ctx, &reply) != REDIS_OK) {
			re_lost(e, "protocol error");
			return;
		}
		if (reply == NULL)
			return;
		re_reply(e, c, reply);
		freeReplyObject(reply);
	}
}

void
chat_redis_handle(const struct pollfd *pfd, uint64_t mono)
{
	struct re_engine	*e = rg.e;

	if (e == NULL)
		return;
	if (e->cmd.ctx != NULL && pfd[0].fd == e->cmd.ctx->fd &&
	    pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
		re_conn_input(e, &e->cmd);
	if (e->rd.ctx != NULL && pfd[1].fd == e->rd.ctx->fd &&
	    pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
		re_conn_input(e, &e->rd);
	if (e->state == RE_UP && mono >= e->next_tick) {
		e->next_tick = mono + RE_TICK_MS;
		re_beat(e);
		re_check_nodes(e);
	}
	chat_redis_flush();
}

/* ------------------------------------------------------------ the engine */

static struct chat_engine *
re_create(struct chat *c, const struct chat_config *cfg)
{
	struct re_engine	*e;
	struct chat_config	 icfg;
	struct chat_io		 iio;

	if (rg.e != NULL || rg.origin[0] == '\0')
		return NULL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->base.ops = &chat_redis_engine_ops;
	e->base.chat = c;
	e->max_rooms = cfg->max_rooms == 0 ? 1 : cfg->max_rooms;
	e->history = cfg->history;
	/* The replica: every node's sessions, no history, no room bound. */
	icfg = *cfg;
	icfg.engine = &chat_mem_engine;
	icfg.history = 0;
	icfg.max_rooms = UINT32_MAX;
	memset(&iio, 0, sizeof(iio));
	iio.deliver = re_ideliver;
	iio.end = re_iend;
	iio.backlog = re_ibacklog;
	if ((e->inner = chat_new(&icfg, &iio)) == NULL) {
		free(e);
		return NULL;
	}
	e->ie = chat_engine_of(e->inner);
	history_init(&e->hist, cfg->history, cfg->room_history_bytes,
	    cfg->history_bytes);
	RB_INIT(&e->hrooms);
	RB_INIT(&e->sessions);
	TAILQ_INIT(&e->pending);
	buf_init(&e->msg, RECORD_MAX_PLAINTEXT);
	buf_init(&e->val, 0);
	strlcpy(e->last_id, "0-0", sizeof(e->last_id));
	e->state = RE_DOWN;
	rg.e = e;
	return &e->base;
}

static void
re_destroy(struct chat_engine *ce)
{
	struct re_engine	*e = re_engine(ce);
	struct re_sess		*rs;
	struct re_room		*r;
	struct re_pending	*p;

	re_conn_close(&e->cmd);
	re_conn_close(&e->rd);
	free(e->cmd.cbs);
	free(e->rd.cbs);
	while ((rs = RB_MIN(re_sess_tree, &e->sessions)) != NULL) {
		if (rs->outer != NULL)
			rs->outer->priv = NULL;
		re_sess_free(e, rs);
	}
	chat_free(e->inner);
	while ((r = RB_MIN(re_room_tree, &e->hrooms)) != NULL) {
		RB_REMOVE(re_room_tree, &e->hrooms, r);
		history_room_clear(&e->hist, &r->hist);
		free(r);
	}
	while ((p = TAILQ_FIRST(&e->pending)) != NULL) {
		TAILQ_REMOVE(&e->pending, p, entry);
		redisFreeCommand(p->cmd);
		free(p);
	}
	buf_free(&e->msg);
	buf_free(&e->val);
	rg.e = NULL;
	free(e);
}

static const struct chat_engine_ops chat_redis_engine_ops = {
	.name = "redis",
	.create = re_create,
	.destroy = re_destroy,
	.attach = re_attach,
	.hide = re_hide,
	.detach = re_detach,
	.join = re_join,
	.part = re_part,
	.member = re_member,
	.publish = re_publish,
	.to_user = re_to_user,
	.names = re_names,
	.rooms = re_rooms,
	.session_rooms = re_session_rooms,
	.identify = re_identify,
	.enrolled_reset = re_enrolled_reset,
	.enrolled_add = re_enrolled_add,
	.keys = re_keys,
	.to_device = re_to_device,
	.set_away = re_set_away,
	.away = re_away,
	.touch = re_touch,
	.whois = re_whois,
	.names_away = re_names_away,
};

const struct chat_engine_ops *
chat_redis_ops(void)
{
	return &chat_redis_engine_ops;
}

#endif /* HAVE_HIREDIS */
