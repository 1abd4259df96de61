/*
 * conn_pool.c: the bench's client sessions and the one loop that drives
 * them.  The protocol itself is the client's engine (session.h), which
 * works over buffers: this file only moves bytes between it and the
 * sockets, follows each session's phase, and turns the engine's events
 * into the modes' hooks and the failure tally.
 *
 * Everything is non-blocking and every phase has a deadline, so a server
 * that stops answering costs a session, never the run.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#include "secchat-bench.h"
#include "conn_pool.h"
#include "json_line.h"

#define READ_CHUNK		65536
#define READS_PER_WAKEUP	4	/* per session: none starves the rest */
#define EPOLL_BATCH		512
#define BUSY_RETRY_NS		(50 * NS_PER_MSEC)
#define BYE_WAIT_NS		(5 * NS_PER_SEC)

struct conn_pool	 pool;

/*
 * The server every session talks to, and who they say they are.  With
 * several ports (-p A,B,C: the nodes of a cluster), session i talks to
 * port i mod nai, so the sessions, and the senders among them, are spread
 * evenly over the nodes.
 */
static struct {
	struct addrinfo	*ai[BENCH_MAX_PIDS];
	unsigned	 nai;
	uint8_t		 server_key[KEY_LEN];
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	uint8_t		 suites[2];
	size_t		 nsuites;
	int		 epfd;
} target;

static uint64_t		 last_housekeeping;

/* ------------------------------------------------------------ failures */

/* Count one reason a session ended badly; the first few are kept. */
static void
note_fail_reason(const char *text)
{
	size_t	 i;

	for (i = 0; i < POOL_MAX_REASONS && pool.reasons[i].count > 0; i++) {
		if (strcmp(pool.reasons[i].text, text) == 0) {
			pool.reasons[i].count++;
			return;
		}
	}
	if (i == POOL_MAX_REASONS) {
		pool.other_reasons++;
		return;
	}
	strlcpy(pool.reasons[i].text, text, sizeof(pool.reasons[i].text));
	pool.reasons[i].count = 1;
}

void
pool_note_failure(const char *text)
{
	pool.nfailed++;
	note_fail_reason(text);
}

void
js_fail_reasons(struct json_line *j)
{
	size_t	 i;

	js_open(j, "errors");
	for (i = 0; i < POOL_MAX_REASONS && pool.reasons[i].count > 0; i++)
		js_u64(j, pool.reasons[i].text, pool.reasons[i].count);
	if (pool.other_reasons > 0)
		js_u64(j, "(other reasons)", pool.other_reasons);
	js_close(j);
}

void
print_fail_reasons(void)
{
	size_t	 i;

	for (i = 0; i < POOL_MAX_REASONS && pool.reasons[i].count > 0; i++)
		fprintf(stderr, "  %lu x %s\n", pool.reasons[i].count,
		    pool.reasons[i].text);
}

const char *
pool_first_fail_reason(void)
{
	return pool.reasons[0].count > 0 ? pool.reasons[0].text : NULL;
}

/* ------------------------------------------------------------ setup */

static void
load_server_key(const char *path)
{
	char	*text;
	size_t	 len;

	if ((text = read_small_file(path, KEYFILE_MAX, &len)) == NULL)
		err(1, "%s", path);
	if (keys_parse_public(text, len, target.server_key) == -1)
		errx(1, "%s: not a secchat public key", path);
	free(text);
}

static void
resolve(void)
{
	struct addrinfo	 hints;
	unsigned	 i;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	for (i = 0; i < bench_opt.nports; i++) {
		if ((e = getaddrinfo(bench_opt.host, bench_opt.ports[i],
		    &hints, &target.ai[i])) != 0)
			errx(1, "%s port %s: %s", bench_opt.host,
			    bench_opt.ports[i], gai_strerror(e));
	}
	target.nai = bench_opt.nports;
}

/* One descriptor per session: take all the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
	}
}

void
pool_setup(void)
{
	load_server_key(bench_opt.keyfile);
	resolve();
	raise_nofile();
	/* One identity key for every session: the server only logs it. */
	randombytes_buf(target.priv, sizeof(target.priv));
	keys_public(target.priv, target.pub);
	if (noise_aesgcm_available())
		target.suites[target.nsuites++] = SUITE_AESGCM;
	target.suites[target.nsuites++] = SUITE_CHACHAPOLY;
	if ((target.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
}

void
pool_teardown(void)
{
	unsigned	 i;

	sodium_memzero(target.priv, sizeof(target.priv));
	for (i = 0; i < target.nai; i++)
		freeaddrinfo(target.ai[i]);
}

void
js_target_params(struct json_line *j)
{
	js_str(j, "host", bench_opt.host);
	js_str(j, "port", bench_opt.port);
	js_str(j, "suite", target.nsuites > 0 &&
	    target.suites[0] == SUITE_AESGCM ? "aesgcm" : "chachapoly");
	if (bench_opt.daemon > 0)
		js_u64(j, "daemon_pid", (uint64_t)bench_opt.daemon);
	/* Only where there are several: single-node lines stay as they were. */
	if (bench_opt.nports > 1)
		js_u64(j, "ports", bench_opt.nports);
	if (bench_opt.ndaemons > 1)
		js_u64(j, "daemons", bench_opt.ndaemons);
	if (bench_opt.nextras > 0)
		js_u64(j, "extra_pid", (uint64_t)bench_opt.extras[0]);
}

/* ------------------------------------------------------------ sessions */

static void	conn_close(struct bench_conn *);

static void
count_phase(enum conn_phase ph, int delta)
{
	switch (ph) {
	case CONN_CONNECTING:
	case CONN_LOGIN:
	case CONN_JOINING:
		pool.nlogin += delta;
		pool.nopen += delta;
		break;
	case CONN_READY:
		pool.nready += delta;
		pool.nopen += delta;
		break;
	case CONN_LEAVING:
		pool.nopen += delta;
		break;
	case CONN_FREE:
	case CONN_CLOSED:
		break;
	}
}

static void
set_phase(struct bench_conn *c, enum conn_phase ph)
{
	count_phase(c->phase, -1);
	c->phase = ph;
	count_phase(c->phase, 1);
}

void
conn_fail(struct bench_conn *c, const char *fmt, ...)
{
	char	 why[CONN_REASON_LEN];
	va_list	 ap;

	if (c->failed || c->phase == CONN_CLOSED || c->phase == CONN_FREE)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->failed = 1;
	pool.nfailed++;
	note_fail_reason(why);
	conn_close(c);
}

static void
conn_close(struct bench_conn *c)
{
	if (c->phase == CONN_CLOSED || c->phase == CONN_FREE)
		return;
	if (c->fd != -1) {
		(void)epoll_ctl(target.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	cs_free(c->cs);
	c->cs = NULL;
	set_phase(c, CONN_CLOSED);
	if (pool.hooks->on_closed != NULL)
		pool.hooks->on_closed(c);
}

static void
want_pollout(struct bench_conn *c, int want)
{
	struct epoll_event	 ev;

	if (c->pollout == want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(target.epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->pollout = want;
}

void
conn_flush(struct bench_conn *c)
{
	struct buf	*out;
	ssize_t		 n;

	if (c->phase == CONN_CONNECTING || c->phase == CONN_CLOSED ||
	    c->phase == CONN_FREE)
		return;
	out = cs_output(c->cs);
	while (buf_used(out) > 0) {
		n = send(c->fd, buf_head(out), buf_used(out), MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_fail(c, "send: %s", strerror(errno));
			return;
		}
		buf_consume(out, (size_t)n);
	}
	want_pollout(c, buf_used(out) > 0);
	if (cs_finished(c->cs) && buf_used(out) == 0 &&
	    c->phase != CONN_CLOSED)
		conn_close(c);
}

int
conn_open(struct bench_conn *c, unsigned user, uint64_t timeout_ns)
{
	struct cs_params	 p;
	struct epoll_event	 ev;
	struct addrinfo		*ai;
	char			 name[SECCHAT_NAME_MAX + 1];
	char			 why[CONN_REASON_LEN];
	int			 one = 1;

	memset(c, 0, sizeof(*c));
	c->id = (unsigned)(c - pool.conns);
	c->fd = -1;
	c->sender = -1;
	c->phase = CONN_FREE;
	c->user = bench_opt.accounts ? user % bench_opt.accounts : user;
	c->t_open = now_ns();
	c->deadline = c->t_open + timeout_ns;
	snprintf(name, sizeof(name), "%s%u", bench_opt.prefix, c->user);

	ai = target.ai[c->id % target.nai];
	c->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		/* Our own limit, not the server's: say so. */
		snprintf(why, sizeof(why), "bench: socket: %s%s",
		    strerror(errno), errno == EMFILE || errno == ENFILE ?
		    " (raise ulimit -n)" : "");
		pool.nfailed++;
		c->failed = 1;
		c->phase = CONN_CLOSED;
		note_fail_reason(why);
		return -1;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&p, 0, sizeof(p));
	p.priv = target.priv;
	p.pub = target.pub;
	p.suites = target.suites;
	p.nsuites = target.nsuites;
	p.user = name;
	p.password = bench_opt.password;
	p.passwordlen = strlen(bench_opt.password);
	p.server_key = target.server_key;
	if ((c->cs = cs_new(&p)) == NULL)
		errx(1, "cs_new failed (bad user name \"%s\"?)", name);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(target.epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->pollout = 1;
	set_phase(c, CONN_CONNECTING);
	if (connect(c->fd, ai->ai_addr, ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(c, "connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
conn_connected(struct bench_conn *c)
{
	int		 e = 0;
	socklen_t	 len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		conn_fail(c, "connect: %s", strerror(e));
		return;
	}
	set_phase(c, CONN_LOGIN);
	conn_flush(c);
}

void
conn_leave(struct bench_conn *c)
{
	if (c->phase == CONN_CLOSED || c->phase == CONN_FREE ||
	    c->phase == CONN_LEAVING)
		return;
	/*
	 * Before AUTH_OK there is nothing to say goodbye to: a BYE would race
	 * the server's answer to AUTH.
	 */
	if (c->phase == CONN_CONNECTING || c->phase == CONN_LOGIN ||
	    cs_bye(c->cs, "exit") != 0 || cs_finished(c->cs)) {
		conn_close(c);
		return;
	}
	set_phase(c, CONN_LEAVING);
	c->deadline = now_ns() + BYE_WAIT_NS;
	conn_flush(c);
}

static void
conn_event(struct bench_conn *c, struct cs_event *ev, uint64_t now)
{
	switch (ev->type) {
	case CS_EV_REFUSED:
		conn_fail(c, "refused: %s", ev->text ? ev->text : "");
		break;
	case CS_EV_AUTH_OK:
		c->t_login = now;
		set_phase(c, CONN_JOINING);
		if (pool.hooks->on_login != NULL)
			pool.hooks->on_login(c);
		break;
	case CS_EV_AUTH_FAIL:
		/* The daemon's answer when too many logins are pending. */
		if (ev->code > 0 && ev->text != NULL &&
		    strstr(ev->text, "busy") != NULL) {
			pool.busy_retries++;
			c->retry_at = now + BUSY_RETRY_NS +
			    randombytes_uniform(BUSY_RETRY_NS);
		} else
			conn_fail(c, "login failed: %s",
			    ev->text ? ev->text : "");
		break;
	case CS_EV_NAMES:
		if (c->phase == CONN_JOINING && ev->room != NULL &&
		    strcmp(ev->room, BENCH_ROOM) == 0) {
			set_phase(c, CONN_READY);
			if (pool.hooks->on_ready != NULL)
				pool.hooks->on_ready(c);
		}
		break;
	case CS_EV_MESSAGE:
		if (pool.hooks->on_message != NULL)
			pool.hooks->on_message(c, ev, now);
		break;
	case CS_EV_SERVER_ERROR:
		pool.server_errors++;
		strlcpy(pool.server_error, ev->text ? ev->text : "",
		    sizeof(pool.server_error));
		break;
	case CS_EV_BYE:
		strlcpy(c->bye, ev->text ? ev->text : "", sizeof(c->bye));
		break;
	case CS_EV_ERROR:
		if (c->phase == CONN_LEAVING)
			conn_close(c);	/* we were going anyway */
		else
			conn_fail(c, "protocol: %s", ev->text ? ev->text : "");
		break;
	case CS_EV_CLOSED:
		if (c->phase == CONN_LEAVING && ev->code == CS_CLOSE_CLEAN)
			conn_close(c);
		else if (c->bye[0] != '\0')
			conn_fail(c, "server said BYE: %s", c->bye);
		else
			conn_fail(c, "closed: %s", ev->text ? ev->text : "");
		break;
	default:
		/* JOINED, HISTORY, ARRIVED, DEPARTED, PONG...: not counted. */
		break;
	}
}

static void
conn_dispatch(struct bench_conn *c, uint64_t now)
{
	struct cs_event	*ev;

	while (c->cs != NULL && (ev = cs_event_next(c->cs)) != NULL) {
		conn_event(c, ev, now);
		cs_event_free(ev);
	}
}

static void
conn_readable(struct bench_conn *c)
{
	static uint8_t	 buf[READ_CHUNK];
	ssize_t		 n;
	uint64_t	 now;
	int		 i;

	for (i = 0; i < READS_PER_WAKEUP && c->cs != NULL; i++) {
		n = read(c->fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (c->phase == CONN_LEAVING)
				conn_close(c);
			else
				conn_fail(c, "read: %s", strerror(errno));
			return;
		}
		/* The time the bytes reached us: their delivery time. */
		now = now_ns();
		if (n == 0)
			cs_eof(c->cs);
		else
			(void)cs_input(c->cs, buf, (size_t)n);
		conn_dispatch(c, now);
		if (n == 0 && c->phase != CONN_CLOSED)
			conn_close(c);
		if ((size_t)n < sizeof(buf))
			break;
	}
	if (c->cs != NULL)
		conn_flush(c);
}

/* ------------------------------------------------------------ the loop */

/* Deadlines and "busy" retries: often, but not on every event. */
static void
housekeeping(uint64_t now)
{
	struct bench_conn *c;
	unsigned	 i;
	int		 rc;

	if (now - last_housekeeping < POOL_HOUSEKEEPING_NS)
		return;
	last_housekeeping = now;
	for (i = 0; i < pool.nconns; i++) {
		c = &pool.conns[i];
		if (c->phase == CONN_FREE || c->phase == CONN_CLOSED)
			continue;
		if (c->retry_at != 0 && now >= c->retry_at) {
			c->retry_at = 0;
			rc = cs_auth(c->cs, bench_opt.password,
			    strlen(bench_opt.password));
			if (rc != 0)
				conn_fail(c, "cannot retry login: %s",
				    cs_strerror(rc));
			else
				conn_flush(c);
			continue;
		}
		if (c->deadline != 0 && now >= c->deadline) {
			switch (c->phase) {
			case CONN_CONNECTING:
				conn_fail(c, "timeout: connecting");
				break;
			case CONN_LOGIN:
				conn_fail(c, "timeout: handshake and login");
				break;
			case CONN_JOINING:
				conn_fail(c, "timeout: joining the lobby");
				break;
			case CONN_LEAVING:
				conn_close(c);	/* said BYE; good enough */
				break;
			default:
				break;
			}
		}
	}
}

void
pool_poll(uint64_t until)
{
	static struct epoll_event evs[EPOLL_BATCH];
	struct bench_conn *c;
	uint64_t	 now = now_ns(), wait;
	int		 n, i, ms;

	wait = until > now ? until - now : 0;
	if (wait > POOL_HOUSEKEEPING_NS)
		wait = POOL_HOUSEKEEPING_NS;
	ms = (int)((wait + NS_PER_MSEC - 1) / NS_PER_MSEC);
	n = epoll_wait(target.epfd, evs, EPOLL_BATCH, ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		err(1, "epoll_wait");
	}
	for (i = 0; i < n; i++) {
		c = evs[i].data.ptr;
		if (c->phase == CONN_CLOSED || c->phase == CONN_FREE)
			continue;
		if (c->phase == CONN_CONNECTING) {
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				conn_connected(c);
			continue;
		}
		if (evs[i].events & EPOLLOUT)
			conn_flush(c);
		if (c->phase != CONN_CLOSED &&
		    evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_readable(c);
	}
	housekeeping(now_ns());
}

/* Open sessions for accounts first..first+n-1, at most conc logging in. */
struct opener {
	unsigned	 next, end;	/* pool slots to open */
	unsigned	 conc;
	uint64_t	 timeout_ns;
};

static void
opener_run(struct opener *op)
{
	while (op->next < op->end && pool.nlogin < op->conc &&
	    !bench_interrupted) {
		(void)conn_open(&pool.conns[op->next], op->next,
		    op->timeout_ns);
		op->next++;
	}
}

void
pool_init(unsigned n, const struct conn_hooks *hooks)
{
	unsigned	 i;

	pool.hooks = hooks;
	pool.conns = xcalloc(n, sizeof(*pool.conns));
	pool.nconns = n;
	for (i = 0; i < n; i++) {
		pool.conns[i].fd = -1;
		pool.conns[i].id = i;
		pool.conns[i].phase = CONN_FREE;
		pool.conns[i].sender = -1;
	}
}

void
pool_shutdown(void)
{
	uint64_t	 until = now_ns() + BYE_WAIT_NS + NS_PER_SEC;
	unsigned	 i;

	for (i = 0; i < pool.nconns; i++)
		conn_leave(&pool.conns[i]);
	while (pool.nopen > 0 && now_ns() < until)
		pool_poll(until);
	for (i = 0; i < pool.nconns; i++)
		conn_close(&pool.conns[i]);
}

double
pool_open_sessions(unsigned first, unsigned end, unsigned conc,
    uint64_t timeout_ns)
{
	struct opener	 op;
	uint64_t	 t0 = now_ns(), until = t0 + timeout_ns;
	unsigned	 i;

	op.next = first;
	op.end = end;
	op.conc = conc;
	op.timeout_ns = timeout_ns;
	for (;;) {
		opener_run(&op);
		if (op.next >= end && pool.nlogin == 0)
			break;
		if (now_ns() >= until || bench_interrupted)
			break;
		pool_poll(until);
	}
	/* Whatever is still not in the lobby has had its chance. */
	for (i = first; i < op.next; i++)
		if (pool.conns[i].phase == CONN_CONNECTING ||
		    pool.conns[i].phase == CONN_LOGIN ||
		    pool.conns[i].phase == CONN_JOINING)
			conn_fail(&pool.conns[i], "timeout: setup");
	return ns_to_s(now_ns() - t0);
}

void
pool_settle(unsigned s)
{
	uint64_t	 until = now_ns() + (uint64_t)s * NS_PER_SEC;

	while (now_ns() < until && !bench_interrupted)
		pool_poll(until);
}
