/*
 * control.c: the master's control socket (control.h).
 *
 * The socket is made so that nobody else can have it: a stale one is
 * removed only if it is a socket nobody listens on, it is bound under a
 * umask that leaves it mode 0600, then set 0600 without following a link
 * and checked.  Each connection's SO_PEERCRED must be root or the uid the
 * daemon runs as.  A connection sends one request (ctlproto.c reads it,
 * without I/O) and gets its answer; a malformed request gets an error and
 * its connection closed, and nothing else.
 *
 * What the master does not know itself it asks the broker (STATS, one at
 * a time, answered by a row per session and STATS_END) or waits for (a
 * reload's end: the checker's RELOADED and the account check after it).
 * An answer that does not come in time is replaced by "-" or an error.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "children.h"
#include "conf.h"
#include "control.h"
#include "ctlproto.h"
#include "ipc.h"
#include "log.h"
#include "login.h"
#include "master.h"
#include "mlog.h"
#include "proto.h"
#include "sessions.h"
#include "util.h"

_Static_assert(sizeof(((struct sockaddr_un *)NULL)->sun_path) >=
    CONFIG_SOCKET_PATH_MAX, "ControlSocket must fit in sun_path");

#define CTL_IO_MS		10000	/* to send a request, read an answer */
#define CTL_BROKER_MS		3000	/* the broker's answer to STATS */
#define CTL_RELOAD_MS		15000	/* the checker's part of a reload */
#define CTL_OUT_MAX		(32 * 1024 * 1024)
/* What the broker's rows may hold in the master: it sends at most 4 MiB. */
#define CTL_ROWS_BYTES_MAX	(8 * 1024 * 1024)
#define CTL_REFUSED_BURST	5	/* refusals logged a second */

enum cc_state {
	CC_FREE,
	CC_READ,		/* reading the request */
	CC_WAIT_BROKER,		/* for the answer to STATS */
	CC_WAIT_RELOAD,		/* for the end of a reload */
	CC_WRITE		/* writing the answer, then closing */
};

struct ctl_client {
	enum cc_state		 state;
	int			 fd;
	struct buf		 in, out;
	struct ctl_request	 req;
	unsigned		 reload_seq;	/* the reload it waits for */
	uint64_t		 deadline;
};

/* One SESSION_STATS. */
struct stats_row {
	uint32_t	 session;
	uint32_t	 idle;
	char		*rooms;		/* names joined by commas, or "" */
};

struct mstats	 mstats;

static struct {
	int			 fd;		/* listening, or -1 */
	char			 path[CONFIG_SOCKET_PATH_MAX];
	dev_t			 dev;		/* of the socket file we made */
	ino_t			 ino;
	struct ctl_client	 c[CTL_CLIENTS];
	struct logquota		 refusedq;
	/* The outstanding STATS, and the rows that answered it so far. */
	uint32_t		 token, next_token;
	struct stats_row	*rows;
	size_t			 nrows, caprows, rowbytes;
} ctl = { .fd = -1 };

static void	cc_write(struct ctl_client *);

/* ------------------------------------------------------------ the socket */

/*
 * An ordinary user who starts the daemon with the default ControlSocket
 * cannot write root's /run: that is a warning and no control socket, as
 * for the PidFile.  Any other failure stops the start.
 */
static int
control_soft(const char *path)
{
	return geteuid() != 0 &&
	    strcmp(path, RUNSTATEDIR "/secchatd.sock") == 0;
}

#define CTL_FAIL(soft, fmt, ...) do {					\
	if (soft) {							\
		log_warnx(fmt "; running without a control socket",	\
		    __VA_ARGS__);					\
		goto fail;						\
	}								\
	fatalx(fmt, __VA_ARGS__);					\
} while (0)

void
control_open(void)
{
	const char		*path = mctx.conf->control_socket;
	struct sockaddr_un	 sun;
	struct stat		 st;
	mode_t			 old;
	int			 fd = -1, i, soft;

	for (i = 0; i < CTL_CLIENTS; i++) {
		ctl.c[i].state = CC_FREE;
		ctl.c[i].fd = -1;
	}
	mstats.started_ms = mono_ms();
	if (strcmp(path, "none") == 0)
		return;
	soft = control_soft(path);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		CTL_FAIL(soft, "ControlSocket %s: path too long", path);
	if (lstat(path, &st) == 0) {
		/* Only a socket is ours to remove, and only a dead one. */
		if (!S_ISSOCK(st.st_mode))
			CTL_FAIL(soft, "ControlSocket %s exists and is not a "
			    "socket; not removing it", path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC,
		    0)) == -1)
			fatal("socket");
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			CTL_FAIL(soft, "ControlSocket %s: another process is "
			    "listening on it", path);
		close(fd);
		fd = -1;
		if (unlink(path) == -1 && errno != ENOENT)
			CTL_FAIL(soft, "ControlSocket %s: cannot remove the "
			    "stale socket: %s", path, strerror(errno));
		log_debug("control socket %s: removed a stale one", path);
	} else if (errno != ENOENT)
		CTL_FAIL(soft, "ControlSocket %s: %s", path, strerror(errno));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1)
		fatal("socket");
	/* Never, not even for a moment, open to others. */
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		CTL_FAIL(soft, "ControlSocket %s: bind: %s", path,
		    strerror(errno));
	}
	umask(old);
	/* A link put in its place is not followed; the check below tells. */
	(void)fchmodat(AT_FDCWD, path, 0600, AT_SYMLINK_NOFOLLOW);
	if (lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 07777) != 0600)
		fatalx("ControlSocket %s: not a socket of ours with mode 0600 "
		    "after bind", path);
	if (listen(fd, CTL_CLIENTS) == -1)
		fatal("ControlSocket %s: listen", path);
	ctl.fd = fd;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	strlcpy(ctl.path, path, sizeof(ctl.path));
	log_info("control socket %s", path);
	return;
fail:
	if (fd != -1)
		close(fd);
}

static void
cc_close(struct ctl_client *c)
{
	if (c->state == CC_FREE)
		return;
	close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	buf_free(&c->out);
	c->state = CC_FREE;
}

static void
rows_free(void)
{
	size_t	 i;

	for (i = 0; i < ctl.nrows; i++)
		free(ctl.rows[i].rooms);
	free(ctl.rows);
	ctl.rows = NULL;
	ctl.nrows = ctl.caprows = ctl.rowbytes = 0;
}

void
control_close(void)
{
	struct stat	 st;
	int		 i;

	for (i = 0; i < CTL_CLIENTS; i++)
		cc_close(&ctl.c[i]);
	rows_free();
	if (ctl.fd == -1)
		return;
	close(ctl.fd);
	ctl.fd = -1;
	/* Another daemon's socket there now is not ours to remove. */
	if (lstat(ctl.path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
}

/* ------------------------------------------------------------ answers */

/* A line of fields, a tab between two. */
struct line {
	struct buf	 b;
	int		 n;
};

static void
line_begin(struct line *l)
{
	buf_init(&l->b, 0);
	l->n = 0;
}

static void
line_field(struct line *l, const char *s)
{
	if (l->n++ > 0)
		(void)buf_append(&l->b, "\t", 1);
	(void)buf_append(&l->b, s, strlen(s));
}

static void
line_fieldf(struct line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_fieldf(struct line *l, const char *fmt, ...)
{
	char	 s[64];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	line_field(l, s);
}

/* The row goes to c; an answer that grows too large ends in an error. */
static void
line_end(struct ctl_client *c, struct line *l)
{
	if (buf_used(&c->out) + buf_used(&l->b) + CTL_HDRLEN <= CTL_OUT_MAX)
		(void)ctl_reply_encode(&c->out, CTL_R_ROW, buf_head(&l->b),
		    buf_used(&l->b));
	buf_free(&l->b);
}

/* The last frame: OK or ERROR with a line for people; then write it. */
static void
cc_finish(struct ctl_client *c, uint16_t type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cc_finish(struct ctl_client *c, uint16_t type, const char *fmt, ...)
{
	char	 text[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (buf_used(&c->out) + CTL_HDRLEN + sizeof(text) > CTL_OUT_MAX) {
		buf_reset(&c->out);
		type = CTL_R_ERROR;
		strlcpy(text, "the answer is too large", sizeof(text));
	}
	if (ctl_reply_encode(&c->out, type, text, strlen(text)) == -1) {
		cc_close(c);
		return;
	}
	c->state = CC_WRITE;
	c->deadline = mono_ms() + CTL_IO_MS;
	cc_write(c);
}

static void
fmt_since(time_t t, char *out, size_t outlen)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		strlcpy(out, "-", outlen);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct stats_row	*x = a, *y = b;

	return x->session < y->session ? -1 : x->session > y->session;
}

static const struct stats_row *
row_find(uint32_t session)
{
	struct stats_row	 key;

	if (ctl.nrows == 0)
		return NULL;
	key.session = session;
	return bsearch(&key, ctl.rows, ctl.nrows, sizeof(*ctl.rows),
	    row_cmp);
}

static const char *
session_state(const struct msession *s)
{
	switch (s->state) {
	case MS_PREAUTH:
		return "preauth";
	case MS_AUTHPENDING:
		return "checking";
	case MS_ACTIVE:
		return "active";
	}
	return "-";
}

/* The port at the end of "ADDRESS port N". */
static const char *
peer_port(const struct msession *s)
{
	const char	*sp = strrchr(s->peer, ' ');

	return sp != NULL ? sp + 1 : "-";
}

static void
show_sessions(struct ctl_client *c, int have)
{
	const struct stats_row	*r;
	struct msession		*s = NULL;
	struct line		 l;
	char			 since[32];

	while ((s = msession_next(s)) != NULL) {
		r = have && s->state == MS_ACTIVE ? row_find(s->id) : NULL;
		line_begin(&l);
		line_fieldf(&l, "%u", s->id);
		line_field(&l, s->state == MS_ACTIVE ? s->user : "-");
		line_field(&l, session_state(s));
		line_field(&l, s->addr);
		line_field(&l, peer_port(s));
		fmt_since(s->since, since, sizeof(since));
		line_field(&l, since);
		if (r != NULL)
			line_fieldf(&l, "%u", r->idle);
		else
			line_field(&l, "-");
		line_field(&l, s->suite != 0 ?
		    config_cipher_name(s->suite) : "-");
		line_field(&l, s->fpr[0] != '\0' ? s->fpr : "-");
		line_field(&l, r == NULL ? "-" :
		    r->rooms[0] != '\0' ? r->rooms : "-");
		line_end(c, &l);
	}
}

/* A set of names, kept as a sorted array of copies. */
struct names {
	char	**v;
	size_t	 n, cap;
};

static void
names_add(struct names *ns, const char *p, size_t len)
{
	char	*copy;

	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? 2 * ns->cap : 16;
		if ((ns->v = reallocarray(ns->v, ns->cap,
		    sizeof(*ns->v))) == NULL)
			fatal("reallocarray");
	}
	if ((copy = strndup(p, len)) == NULL)
		fatal("strndup");
	ns->v[ns->n++] = copy;
}

/* Each name of a comma-separated list. */
static void
names_add_list(struct names *ns, const char *list)
{
	const char	*p = list, *comma;

	while (*p != '\0') {
		comma = strchr(p, ',');
		names_add(ns, p, comma ? (size_t)(comma - p) : strlen(p));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/* Sorted, without repeats, joined by commas ("-" if empty); freed. */
static void
names_field(struct line *l, struct names *ns)
{
	struct buf	 b;
	size_t		 i;

	if (ns->n > 0)
		qsort(ns->v, ns->n, sizeof(*ns->v), str_cmp);
	buf_init(&b, 0);
	for (i = 0; i < ns->n; i++) {
		if (i == 0 || strcmp(ns->v[i], ns->v[i - 1]) != 0) {
			if (buf_used(&b) > 0)
				(void)buf_append(&b, ",", 1);
			(void)buf_append(&b, ns->v[i], strlen(ns->v[i]));
		}
	}
	for (i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	memset(ns, 0, sizeof(*ns));
	(void)buf_append(&b, "", 1);
	line_field(l, buf_used(&b) > 1 ? (const char *)buf_head(&b) : "-");
	buf_free(&b);
}

static int
session_user_cmp(const void *a, const void *b)
{
	const struct msession	*x = *(struct msession * const *)a;
	const struct msession	*y = *(struct msession * const *)b;

	return strcmp(x->user, y->user);
}

/* The logged-in sessions, sorted by user; *np of them (free the array). */
static struct msession **
active_by_user(size_t *np)
{
	struct msession	**v, *s = NULL;
	size_t		  n = 0;

	if ((v = reallocarray(NULL, msessions_count() + 1,
	    sizeof(*v))) == NULL)
		fatal("reallocarray");
	while ((s = msession_next(s)) != NULL)
		if (s->state == MS_ACTIVE)
			v[n++] = s;
	qsort(v, n, sizeof(*v), session_user_cmp);
	*np = n;
	return v;
}

static void
show_users(struct ctl_client *c, int have)
{
	struct msession		**v;
	const struct stats_row	 *r;
	struct names		  rooms;
	struct line		  l;
	size_t			  n, i, j;
	time_t			  since;
	uint32_t		  idle;
	int			  known;
	char			  text[32];

	v = active_by_user(&n);
	memset(&rooms, 0, sizeof(rooms));
	for (i = 0; i < n; i = j) {
		since = v[i]->since;
		known = 0;
		idle = UINT32_MAX;
		for (j = i; j < n && strcmp(v[j]->user, v[i]->user) == 0;
		    j++) {
			if (v[j]->since < since)
				since = v[j]->since;
			if (have && (r = row_find(v[j]->id)) != NULL) {
				known = 1;
				if (r->idle < idle)
					idle = r->idle;
				names_add_list(&rooms, r->rooms);
			}
		}
		line_begin(&l);
		line_field(&l, v[i]->user);
		line_fieldf(&l, "%zu", j - i);
		fmt_since(since, text, sizeof(text));
		line_field(&l, text);
		if (known)
			line_fieldf(&l, "%u", idle);
		else
			line_field(&l, "-");
		if (known)
			names_field(&l, &rooms);
		else
			line_field(&l, "-");
		line_end(c, &l);
	}
	free(v);
}

/* One session in one room, for show rooms. */
struct membership {
	char		 room[SECCHAT_NAME_MAX + 1];
	const char	*user;
};

static int
membership_cmp(const void *a, const void *b)
{
	const struct membership	*x = a, *y = b;
	int			 d;

	if ((d = strcmp(x->room, y->room)) != 0)
		return d;
	return strcmp(x->user, y->user);
}

static void
show_rooms(struct ctl_client *c)
{
	struct membership	*m = NULL;
	struct msession		*s;
	struct names		 users;
	struct line		 l;
	size_t			 n = 0, cap = 0, i, j, k, len;
	const char		*p, *comma;

	for (i = 0; i < ctl.nrows; i++) {
		if ((s = msession_by_id(ctl.rows[i].session)) == NULL ||
		    s->state != MS_ACTIVE)
			continue;
		for (p = ctl.rows[i].rooms; *p != '\0'; p = comma + 1) {
			comma = strchr(p, ',');
			len = comma ? (size_t)(comma - p) : strlen(p);
			if (n == cap) {
				cap = cap ? 2 * cap : 64;
				if ((m = reallocarray(m, cap,
				    sizeof(*m))) == NULL)
					fatal("reallocarray");
			}
			/* Checked when it arrived: a room name fits. */
			memcpy(m[n].room, p, len);
			m[n].room[len] = '\0';
			m[n++].user = s->user;
			if (comma == NULL)
				break;
		}
	}
	if (n > 0)
		qsort(m, n, sizeof(*m), membership_cmp);
	memset(&users, 0, sizeof(users));
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && strcmp(m[j].room, m[i].room) == 0; j++)
			names_add(&users, m[j].user, strlen(m[j].user));
		line_begin(&l);
		line_field(&l, m[i].room);
		/* Distinct users: the pairs are sorted by user in a room. */
		for (k = i + 1, len = 1; k < j; k++)
			len += strcmp(m[k].user, m[k - 1].user) != 0;
		line_fieldf(&l, "%zu", len);
		line_fieldf(&l, "%zu", j - i);
		names_field(&l, &users);
		line_end(c, &l);
	}
	free(m);
}

static void
stat_row(struct ctl_client *c, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
stat_row(struct ctl_client *c, const char *name, const char *fmt, ...)
{
	struct line	 l;
	char		 v[64];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	line_begin(&l);
	line_field(&l, name);
	line_field(&l, v);
	line_end(c, &l);
}

/* Distinct rooms in the broker's rows. */
static size_t
rooms_in_use(void)
{
	struct names	 all;
	size_t		 i, n = 0;

	memset(&all, 0, sizeof(all));
	for (i = 0; i < ctl.nrows; i++)
		names_add_list(&all, ctl.rows[i].rooms);
	if (all.n > 0)
		qsort(all.v, all.n, sizeof(*all.v), str_cmp);
	for (i = 0; i < all.n; i++)
		n += i == 0 || strcmp(all.v[i], all.v[i - 1]) != 0;
	for (i = 0; i < all.n; i++)
		free(all.v[i]);
	free(all.v);
	return n;
}

static void
show_stats(struct ctl_client *c, const struct broker_stats *bs)
{
	struct msession	*s = NULL;
	unsigned	 active = 0, all = 0;

	while ((s = msession_next(s)) != NULL) {
		all++;
		active += s->state == MS_ACTIVE;
	}
	stat_row(c, "uptime_seconds", "%llu", (unsigned long long)
	    ((mono_ms() - mstats.started_ms) / 1000));
	stat_row(c, "sessions", "%u", all);
	stat_row(c, "sessions_logged_in", "%u", active);
	stat_row(c, "sessions_preauth", "%u", all - active);
	stat_row(c, "logins_total", "%llu",
	    (unsigned long long)mstats.logins);
	stat_row(c, "login_failures_total", "%llu",
	    (unsigned long long)mstats.login_failures);
	stat_row(c, "logins_throttled_total", "%llu",
	    (unsigned long long)mstats.logins_throttled);
	stat_row(c, "throttled_sources", "%u", login_throttled_sources());
	if (bs != NULL) {
		stat_row(c, "rooms", "%zu", rooms_in_use());
		stat_row(c, "messages_total", "%llu",
		    (unsigned long long)bs->messages);
		stat_row(c, "deliveries_total", "%llu",
		    (unsigned long long)bs->deliveries);
		stat_row(c, "messages_per_second", "%.1f",
		    bs->messages_10s / 10.0);
		stat_row(c, "deliveries_per_second", "%.1f",
		    bs->deliveries_10s / 10.0);
		stat_row(c, "queue_drops_total", "%llu",
		    (unsigned long long)bs->queue_drops);
	} else {
		stat_row(c, "rooms", "-");
		stat_row(c, "messages_total", "-");
		stat_row(c, "deliveries_total", "-");
		stat_row(c, "messages_per_second", "-");
		stat_row(c, "deliveries_per_second", "-");
		stat_row(c, "queue_drops_total", "-");
	}
	stat_row(c, "sessions_kicked_total", "%llu",
	    (unsigned long long)mstats.kicked);
	stat_row(c, "sessions_ended_by_reload_total", "%llu",
	    (unsigned long long)mstats.accounts_ended);
	stat_row(c, "broker_restarts_total", "%llu",
	    (unsigned long long)mstats.broker_restarts);
	stat_row(c, "checker_restarts_total", "%llu",
	    (unsigned long long)mstats.checker_restarts);
}

/* Answer a show request with what is known; bs NULL: the broker's unknown. */
static void
answer_show(struct ctl_client *c, const struct broker_stats *bs)
{
	const char	*note = "";

	if (bs == NULL)
		note = "the broker did not answer: what only it knows is "
		    "shown as -";
	else if (bs->truncated)
		note = "the broker's answer was cut short: some sessions' "
		    "rooms and idle times are shown as -";
	switch (c->req.type) {
	case CTL_SHOW_SESSIONS:
		show_sessions(c, bs != NULL);
		break;
	case CTL_SHOW_USERS:
		show_users(c, bs != NULL);
		break;
	case CTL_SHOW_ROOMS:
		if (bs == NULL) {
			cc_finish(c, CTL_R_ERROR, "the broker did not answer: "
			    "the rooms are unknown");
			return;
		}
		show_rooms(c);
		break;
	case CTL_SHOW_STATS:
		show_stats(c, bs);
		break;
	}
	cc_finish(c, CTL_R_OK, "%s", note);
}

/* ------------------------------------------------------------ the broker */

static int
broker_usable(void)
{
	struct mchild	*b = mchild_get(MCHILD_BROKER);

	return b->pid > 0 && !b->killed && b->ready;
}

static void
ask_broker(struct ctl_client *c)
{
	struct mchild	*b = mchild_get(MCHILD_BROKER);
	uint8_t		 token[4];

	if (!broker_usable()) {
		answer_show(c, NULL);
		return;
	}
	/* One STATS at a time: a second request waits for the same. */
	if (ctl.token == 0) {
		if (++ctl.next_token == 0)
			ctl.next_token = 1;
		put_u32(token, ctl.next_token);
		if (ipc_compose(&b->chan, IMSG_B_STATS, 0, -1, token,
		    sizeof(token)) == -1) {
			answer_show(c, NULL);
			return;
		}
		ctl.token = ctl.next_token;
		rows_free();
	}
	c->state = CC_WAIT_BROKER;
	c->deadline = mono_ms() + CTL_BROKER_MS;
}

/* Room names, each valid, joined by commas; or nothing. */
static int
rooms_valid(const uint8_t *p, size_t len)
{
	size_t	 i, start = 0;

	for (i = 0; i <= len; i++)
		if (i == len || p[i] == ',') {
			if (len > 0 && !valid_roomname((const char *)p + start,
			    i - start))
				return 0;
			start = i + 1;
		}
	return 1;
}

void
control_broker_session(struct mchild *b, const struct ipc_msg *im)
{
	struct reader		 r;
	struct stats_row	*row;
	const uint8_t		*rooms;
	uint32_t		 token, idle;
	size_t			 len;

	rd_init(&r, im->data, im->len);
	token = rd_u32(&r);
	idle = rd_u32(&r);
	rooms = rd_str(&r, &len);
	if (rd_done(&r) == -1 || ctl.token == 0 || token != ctl.token ||
	    len > STATS_ROOMS_MAX || !rooms_valid(rooms, len) ||
	    ctl.rowbytes + len + sizeof(*row) > CTL_ROWS_BYTES_MAX) {
		mchild_misbehaved(b, "bad SESSION_STATS");
		return;
	}
	if (ctl.nrows == ctl.caprows) {
		ctl.caprows = ctl.caprows ? 2 * ctl.caprows : 64;
		if ((ctl.rows = reallocarray(ctl.rows, ctl.caprows,
		    sizeof(*ctl.rows))) == NULL)
			fatal("reallocarray");
	}
	row = &ctl.rows[ctl.nrows];
	row->session = im->session;
	row->idle = idle;
	if ((row->rooms = strndup((const char *)rooms, len)) == NULL)
		fatal("strndup");
	ctl.nrows++;
	ctl.rowbytes += len + sizeof(*row);
}

void
control_broker_end(struct mchild *b, const struct ipc_msg *im)
{
	struct broker_stats	 bs;
	int			 i;

	if (im->len != sizeof(bs)) {
		mchild_misbehaved(b, "bad STATS_END");
		return;
	}
	memcpy(&bs, im->data, sizeof(bs));
	if (ctl.token == 0 || bs.token != ctl.token ||
	    bs.rows != ctl.nrows) {
		mchild_misbehaved(b, "bad STATS_END");
		return;
	}
	if (ctl.nrows > 0)
		qsort(ctl.rows, ctl.nrows, sizeof(*ctl.rows), row_cmp);
	for (i = 0; i < CTL_CLIENTS; i++)
		if (ctl.c[i].state == CC_WAIT_BROKER)
			answer_show(&ctl.c[i], &bs);
	rows_free();
	ctl.token = 0;
}

void
control_broker_lost(void)
{
	int	 i;

	rows_free();
	ctl.token = 0;
	for (i = 0; i < CTL_CLIENTS; i++)
		if (ctl.c[i].state == CC_WAIT_BROKER)
			answer_show(&ctl.c[i], NULL);
}

/* ------------------------------------------------------------ reloads */

void
control_reload_note(unsigned seq, const char *fmt, ...)
{
	struct ctl_client	*c;
	struct line		 l;
	char			 text[512];
	va_list			 ap;
	int			 i;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (i = 0; i < CTL_CLIENTS; i++) {
		c = &ctl.c[i];
		if (c->state != CC_WAIT_RELOAD || c->reload_seq != seq)
			continue;
		line_begin(&l);
		line_field(&l, text);
		line_end(c, &l);
	}
}

void
control_reload_done(unsigned seq)
{
	int	 i;

	for (i = 0; i < CTL_CLIENTS; i++)
		if (ctl.c[i].state == CC_WAIT_RELOAD &&
		    ctl.c[i].reload_seq <= seq)
			cc_finish(&ctl.c[i], CTL_R_OK, "reload complete");
}

/* ------------------------------------------------------------ requests */

static void
do_kick(struct ctl_client *c)
{
	const struct ctl_request *req = &c->req;
	struct msession		*s = NULL, *one = NULL;
	const char		*reason;
	char			 why[CTL_REASON_MAX + 32];
	unsigned		 n = 0;

	reason = req->text[0] != '\0' ? req->text :
	    "kicked by the administrator";
	if (req->type == CTL_KICK_SESSION) {
		if ((one = msession_by_id(req->session)) == NULL) {
			cc_finish(c, CTL_R_ERROR, "no session %u",
			    req->session);
			return;
		}
	}
	snprintf(why, sizeof(why), "kicked: %.*s", CTL_REASON_MAX, reason);
	while ((s = msession_next(s)) != NULL) {
		if (one != NULL ? s != one : (s->state != MS_ACTIVE ||
		    strcmp(s->user, req->user) != 0))
			continue;
		log_info("control: ending session %u (%s) of %s: %s", s->id,
		    s->peer, s->state == MS_ACTIVE ? s->user : "nobody yet",
		    reason);
		msession_end(s, reason, why);
		mstats.kicked++;
		n++;
	}
	if (one != NULL)
		cc_finish(c, CTL_R_OK, "ended session %u", one->id);
	else if (n == 0)
		cc_finish(c, CTL_R_ERROR, "no session of %s", req->user);
	else
		cc_finish(c, CTL_R_OK, "ended %u session%s of %s", n,
		    n == 1 ? "" : "s", req->user);
}

static void
do_notice(struct ctl_client *c)
{
	struct mchild	*b = mchild_get(MCHILD_BROKER);
	struct msession	*s = NULL;
	struct buf	 pl;
	unsigned	 n = 0;
	int		 rc;

	if (!broker_usable()) {
		cc_finish(c, CTL_R_ERROR, "the broker is not running");
		return;
	}
	buf_init(&pl, 0);
	rc = buf_put_str(&pl, c->req.text, strlen(c->req.text)) == -1 ||
	    ipc_composev(&b->chan, IMSG_B_NOTICE, 0, &pl) == -1;
	buf_free(&pl);
	if (rc) {
		cc_finish(c, CTL_R_ERROR, "cannot queue the notice");
		return;
	}
	while ((s = msession_next(s)) != NULL)
		n += s->state == MS_ACTIVE;
	log_info("control: notice sent to the %u session%s logged in", n,
	    n == 1 ? "" : "s");
	cc_finish(c, CTL_R_OK, "notice sent to the %u session%s logged in",
	    n, n == 1 ? "" : "s");
}

static void
cc_dispatch(struct ctl_client *c)
{
	switch (c->req.type) {
	case CTL_SHOW_SESSIONS:
	case CTL_SHOW_ROOMS:
	case CTL_SHOW_USERS:
	case CTL_SHOW_STATS:
		ask_broker(c);
		break;
	case CTL_KICK_USER:
	case CTL_KICK_SESSION:
		do_kick(c);
		break;
	case CTL_NOTICE:
		do_notice(c);
		break;
	case CTL_RELOAD:
		log_info("control: reload");
		/* The next reload to begin is the one this waits for. */
		c->reload_seq = mctx.reload_seq + 1;
		c->state = CC_WAIT_RELOAD;
		c->deadline = mono_ms() + CTL_RELOAD_MS;
		master_request_reload();
		break;
	case CTL_LOG:
		log_setverbose(c->req.flag);
		log_info("control: log level %s",
		    c->req.flag ? "verbose" : "brief");
		cc_finish(c, CTL_R_OK, "log level %s",
		    c->req.flag ? "verbose" : "brief");
		break;
	default:
		cc_finish(c, CTL_R_ERROR, "unknown request");
		break;
	}
}

/* ------------------------------------------------------------ connections */

static void
cc_accept(void)
{
	struct ctl_client	*c = NULL;
	struct ucred		 cred;
	socklen_t		 len = sizeof(cred);
	int			 fd, i;

	for (i = 0; i < CTL_CLIENTS && c == NULL; i++)
		if (ctl.c[i].state == CC_FREE)
			c = &ctl.c[i];
	if (c == NULL)
		return;
	if ((fd = accept4(ctl.fd, NULL, NULL,
	    SOCK_NONBLOCK | SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("control socket: accept");
		return;
	}
	c->fd = fd;
	buf_init(&c->in, CTL_HDRLEN + CTL_REQUEST_MAX);
	buf_init(&c->out, 0);
	c->state = CC_READ;
	c->deadline = mono_ms() + CTL_IO_MS;
	/* Root, or whoever the daemon runs as; nobody else. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    len != sizeof(cred) ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		if (mlog_allowed(&ctl.refusedq, "control socket",
		    CTL_REFUSED_BURST))
			log_warnx("control socket: refused uid %ld (pid %ld)",
			    len == sizeof(cred) ? (long)cred.uid : -1L,
			    len == sizeof(cred) ? (long)cred.pid : -1L);
		cc_finish(c, CTL_R_ERROR, "permission denied: only root may "
		    "use the control socket");
	}
}

static void
cc_read(struct ctl_client *c)
{
	const char	*why;
	uint8_t		*p;
	size_t		 used, room;
	ssize_t		 n;
	int		 r;

	room = CTL_HDRLEN + CTL_REQUEST_MAX - buf_used(&c->in);
	if ((p = buf_reserve(&c->in, room)) == NULL) {
		cc_close(c);
		return;
	}
	if ((n = read(c->fd, p, room)) == -1) {
		if (errno != EAGAIN && errno != EINTR)
			cc_close(c);
		return;
	}
	if (n == 0) {
		/* Gone before asking anything: nobody to answer. */
		cc_close(c);
		return;
	}
	buf_commit(&c->in, (size_t)n);
	r = ctl_request_parse(buf_head(&c->in), buf_used(&c->in), &c->req,
	    &used, &why);
	if (r == 0)
		return;
	if (r == -1) {
		log_debug("control socket: malformed request: %s", why);
		cc_finish(c, CTL_R_ERROR, "malformed request: %s", why);
		return;
	}
	/* One request per connection: anything after it is not read. */
	cc_dispatch(c);
}

static void
cc_write(struct ctl_client *c)
{
	ssize_t	 n;

	while (buf_used(&c->out) > 0) {
		n = write(c->fd, buf_head(&c->out), buf_used(&c->out));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			cc_close(c);
			return;
		}
		buf_consume(&c->out, (size_t)n);
	}
	cc_close(c);
}

size_t
control_npollfd(void)
{
	return CTL_CLIENTS + 1;
}

void
control_pollfd(struct pollfd *pfd)
{
	struct ctl_client	*c;
	int			 i, free_slot = 0;

	for (i = 0; i < CTL_CLIENTS; i++) {
		c = &ctl.c[i];
		free_slot |= c->state == CC_FREE;
		pfd[i + 1].fd = -1;
		pfd[i + 1].events = 0;
		if (c->state == CC_READ) {
			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events = POLLIN;
		} else if (c->state == CC_WRITE) {
			pfd[i + 1].fd = c->fd;
			pfd[i + 1].events = POLLOUT;
		}
	}
	/* With every slot taken, new connections wait in the backlog. */
	pfd[0].fd = free_slot ? ctl.fd : -1;
	pfd[0].events = POLLIN;
}

void
control_handle(const struct pollfd *pfd)
{
	struct ctl_client	*c;
	int			 i;

	for (i = 0; i < CTL_CLIENTS; i++) {
		c = &ctl.c[i];
		if (pfd[i + 1].fd == -1 || pfd[i + 1].revents == 0)
			continue;
		if (c->state == CC_READ)
			cc_read(c);
		else if (c->state == CC_WRITE)
			cc_write(c);
	}
	if (pfd[0].fd != -1 && pfd[0].revents & POLLIN)
		cc_accept();
}

void
control_tick(uint64_t now)
{
	struct ctl_client	*c;
	int			 i;

	for (i = 0; i < CTL_CLIENTS; i++) {
		c = &ctl.c[i];
		if (c->state == CC_FREE || now < c->deadline)
			continue;
		switch (c->state) {
		case CC_WAIT_BROKER:
			answer_show(c, NULL);
			break;
		case CC_WAIT_RELOAD:
			cc_finish(c, CTL_R_ERROR, "the reload began, but the "
			    "password checker has not answered yet; see the "
			    "log");
			break;
		default:
			cc_close(c);
			break;
		}
	}
}
