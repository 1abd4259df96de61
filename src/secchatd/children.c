/*
 * children.c: the broker and the password checker, as rows of one table
 * (children.h), and the code that supervises both.
 *
 * Each is started with a socketpair to the master, sent its start message,
 * and is ready once it says so.  It is pinged for liveness, killed if it
 * misbehaves or stops answering, and restarted at most once a second after
 * it has been reaped.  What differs between the two is in the table: what
 * is sent at start and on SIGHUP, which messages each may send, and what
 * the master does when one is lost.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "children.h"
#include "control.h"
#include "ipc.h"
#include "ipc_table.h"
#include "log.h"
#include "login.h"
#include "master.h"
#include "mlog.h"
#include "proto.h"
#include "redis_link.h"
#include "sessions.h"
#include "spawn.h"
#include "users.h"
#include "util.h"
#include "wire.h"

#define RESTART_MIN_MS		1000
#define PING_INTERVAL_MS	10000	/* liveness of the children */
#define PING_TIMEOUT_MS		30000	/* longer than the slowest hash check */
#define AUTHD_CHAN_MAX		(64 * 1024)	/* one check and a reload */

static void	mbroker_start(struct mchild *);
static void	mbroker_ready(struct mchild *, const struct ipc_msg *);
static void	mbroker_kick(struct mchild *, const struct ipc_msg *);
static void	mbroker_lost(struct mchild *);
static void	mbroker_redis_wanted(struct mchild *, const struct ipc_msg *);
static void	mauthd_start(struct mchild *);
static void	mauthd_reloaded(struct mchild *, const struct ipc_msg *);
static void	mauthd_lost(struct mchild *);
static void	mauthd_reload(struct mchild *);

static const struct mchild_msg mbroker_msgs[] = {
	{ IMSG_M_BROKER_READY, mbroker_ready },
	{ IMSG_M_KICK, mbroker_kick },
	{ IMSG_M_SESSION_STATS, control_broker_session },
	{ IMSG_M_STATS_END, control_broker_end },
	{ IMSG_M_REDIS_WANTED, mbroker_redis_wanted },
	{ 0, NULL }
};

static const struct mchild_msg mauthd_msgs[] = {
	{ IMSG_M_RESULT, login_result },
	{ IMSG_M_RELOADED, mauthd_reloaded },
	{ IMSG_M_ACCOUNTS, login_accounts_result },
	{ IMSG_M_ENROLLED_RESET, login_enrolled_reset },
	{ IMSG_M_ENROLLED, login_enrolled_add },
	{ 0, NULL }
};

/*
 * The reloads whose RELOAD the checker has not answered, oldest first, by
 * number (mctx.reload_seq): it answers them in order.  A RELOADED with
 * none here answers the INIT.
 */
#define RELOADS_MAX	8
static unsigned		 authd_reloads[RELOADS_MAX];
static size_t		 authd_nreloads;

static const struct mchild_row mchild_table[MCHILD_COUNT] = {
	[MCHILD_BROKER] = {
		.name = "broker",
		.what = "broker",
		.role = "broker",
		.ipc_role = IPC_ROLE_BROKER,
		.chan_max = 0,
		.start = mbroker_start,
		.msgs = mbroker_msgs,
		.lost = mbroker_lost,
		.reload = NULL,
		.ping_type = IMSG_B_PING,
		.pong_type = IMSG_M_BROKER_PONG,
	},
	[MCHILD_AUTHD] = {
		.name = "auth",
		.what = "password checker",
		.role = "auth",
		.ipc_role = IPC_ROLE_AUTHD,
		/* One check at a time, a reload, a ping: never more. */
		.chan_max = AUTHD_CHAN_MAX,
		.start = mauthd_start,
		.msgs = mauthd_msgs,
		.lost = mauthd_lost,
		.reload = mauthd_reload,
		.ping_type = IMSG_A_PING,
		.pong_type = IMSG_M_AUTHD_PONG,
	},
};

static struct mchild	 mchildren[MCHILD_COUNT];
static uint32_t		 next_ping;
static int		 announced_ready;

/*
 * The broker and the checker answer a ping within PING_TIMEOUT_MS, or are
 * killed and restarted: a child that stopped (SIGSTOP, a deadlock) would
 * otherwise freeze the service while looking alive to waitpid().
 */
static uint64_t	ping_interval_ms = PING_INTERVAL_MS;
static uint64_t	ping_timeout_ms = PING_TIMEOUT_MS;

/* ------------------------------------------------------------ supervision */

void
children_init(void)
{
	int	 i;

	for (i = 0; i < MCHILD_COUNT; i++)
		mchildren[i].row = &mchild_table[i];
}

struct mchild *
mchild_get(enum mchild_id id)
{
	return &mchildren[id];
}

static int
mchild_start(struct mchild *c)
{
	int	 sp[2];

	/* On failure it is tried again, at most once a second. */
	c->pid = 0;
	c->started_ms = mono_ms();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((c->pid = spawn_child(c->row->role, &sp[1], 1)) == -1) {
		c->pid = 0;
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	close(sp[1]);
	set_nonblock(sp[0]);
	ipc_init(&c->chan, sp[0], c->row->name, c->row->chan_max);
	ipc_set_roles(&c->chan, IPC_ROLE_MASTER, c->row->ipc_role);
	c->started_ms = c->ping_ms = mono_ms();
	c->ready = 0;
	c->killed = 0;
	c->ping_token = 0;
	c->row->start(c);
	return 0;
}

int
children_start(void)
{
	uint64_t	 now = mono_ms();
	int		 i;

	for (i = 0; i < MCHILD_COUNT; i++)
		mchildren[i].started_ms = now;
	for (i = 0; i < MCHILD_COUNT; i++)
		if (mchild_start(&mchildren[i]) == -1)
			return -1;
	return 0;
}

int
children_ready(void)
{
	int	 i;

	for (i = 0; i < MCHILD_COUNT; i++)
		if (!mchildren[i].ready)
			return 0;
	return 1;
}

int
children_first_ready(void)
{
	if (announced_ready || !children_ready())
		return 0;
	announced_ready = 1;
	return 1;
}

void
mchild_misbehaved(struct mchild *c, const char *why)
{
	if (c->killed || c->pid <= 0)
		return;
	log_warnx("%s: %s; killing it (pid %ld)", c->chan.name, why,
	    (long)c->pid);
	kill(c->pid, SIGKILL);
	c->killed = 1;
	c->ready = 0;
}

static void
mchild_ping(struct mchild *c, uint64_t now)
{
	uint8_t	 token[4];

	if (c->pid <= 0 || c->killed || !c->ready)
		return;
	if (c->ping_token != 0) {
		if (now - c->ping_ms >= ping_timeout_ms)
			mchild_misbehaved(c, "no answer to a liveness check");
		return;
	}
	if (now - c->ping_ms < ping_interval_ms)
		return;
	if (++next_ping == 0)
		next_ping = 1;
	put_u32(token, next_ping);
	if (ipc_compose(&c->chan, c->row->ping_type, 0, -1, token,
	    sizeof(token)) == 0) {
		c->ping_token = next_ping;
		c->ping_ms = now;
	}
}

static void
mchild_pong(struct mchild *c, const struct ipc_msg *im)
{
	if (im->len != 4 || c->ping_token == 0 ||
	    get_u32(im->data) != c->ping_token) {
		mchild_misbehaved(c, "bad PONG");
		return;
	}
	c->ping_token = 0;
	c->ping_ms = mono_ms();
}

void
children_tick(uint64_t now)
{
	struct mchild	*c;
	int		 i;

	if (!mctx.shutting_down)
		for (i = 0; i < MCHILD_COUNT; i++) {
			c = &mchildren[i];
			if (c->pid == 0 &&
			    now - c->started_ms >= RESTART_MIN_MS)
				mchild_start(c);
		}
	for (i = 0; i < MCHILD_COUNT; i++)
		mchild_ping(&mchildren[i], now);
}

/* Its PONG and its log lines are the same for every child. */
static void
mchild_dispatch(struct mchild *c, const struct ipc_msg *im)
{
	const struct mchild_msg	*mm;

	if (im->type == c->row->pong_type) {
		mchild_pong(c, im);
		return;
	}
	if (im->type == IMSG_M_LOG) {
		mlog_from_child(c->row->name, &c->logq, im);
		return;
	}
	for (mm = c->row->msgs; mm->fn != NULL; mm++)
		if (mm->type == im->type) {
			mm->fn(c, im);
			return;
		}
	mchild_misbehaved(c, "unexpected message");
}

static void
mchild_drain(struct mchild *c)
{
	struct ipc_msg	 im;
	int		 r = 0;

	while (!c->killed && (r = ipc_get(&c->chan, &im)) == 1)
		mchild_dispatch(c, &im);
	if (!c->killed && r == -1)
		mchild_misbehaved(c, "malformed message");
}

int
children_reaped(pid_t pid, int status)
{
	struct mchild	*c;
	char		 why[192];
	int		 i;

	for (i = 0; i < MCHILD_COUNT; i++) {
		c = &mchildren[i];
		if (pid != c->pid)
			continue;
		spawn_exit_text(status, why, sizeof(why));
		log_warnx("%s (pid %ld): %s", c->row->what, (long)pid, why);
		ipc_clear(&c->chan);
		c->pid = 0;
		c->ready = 0;
		if (c->row->lost != NULL)
			c->row->lost(c);
		return 1;
	}
	return 0;
}

void
children_pollfd(struct pollfd *pfd)
{
	struct mchild	*c;
	int		 i;

	for (i = 0; i < MCHILD_COUNT; i++) {
		c = &mchildren[i];
		pfd[i].fd = c->pid && !c->chan.eof ? c->chan.fd : -1;
		pfd[i].events = POLLIN |
		    (c->pid && ipc_pending(&c->chan) ? POLLOUT : 0);
	}
}

void
children_handle(const struct pollfd *pfd)
{
	struct mchild	*c;
	int		 i;

	for (i = 0; i < MCHILD_COUNT; i++) {
		c = &mchildren[i];
		if (c->pid && pfd[i].revents & (POLLIN | POLLHUP)) {
			if (ipc_read(&c->chan) <= 0) {
				/* Its exit is handled when it is reaped. */
				kill(c->pid, SIGKILL);
			} else
				mchild_drain(c);
		}
		if (c->pid && pfd[i].revents & POLLOUT)
			(void)ipc_flush(&c->chan);
	}
}

void
children_flush(void)
{
	int	 i;

	for (i = 0; i < MCHILD_COUNT; i++)
		if (mchildren[i].pid && ipc_pending(&mchildren[i].chan))
			(void)ipc_flush(&mchildren[i].chan);
}

void
children_reload(void)
{
	int	 i;

	/* Each row's reload says what it does when its child is not up. */
	for (i = 0; i < MCHILD_COUNT; i++)
		if (mchildren[i].row->reload != NULL)
			mchildren[i].row->reload(&mchildren[i]);
}

void
children_terminate(void)
{
	int	 i;

	for (i = 0; i < MCHILD_COUNT; i++)
		if (mchildren[i].pid > 0)
			kill(mchildren[i].pid, SIGTERM);
}

#ifdef SECCHAT_TEST_HOOKS
void
children_set_ping_ms(uint64_t interval_ms)
{
	ping_interval_ms = interval_ms;
	ping_timeout_ms = 2 * interval_ms;
}
#endif

/* ------------------------------------------------------------ the broker */

static void
mbroker_start(struct mchild *c)
{
	const struct config	*conf = mctx.conf;
	struct broker_init	 bi;

	memset(&bi, 0, sizeof(bi));
	bi.history = conf->history;
	bi.send_queue = conf->send_queue;
	bi.max_rooms = conf->max_rooms;
	bi.max_message = conf->max_message;
	bi.max_sessions = mctx.max_sessions;
	bi.history_bytes = conf->history_bytes;
	bi.room_history_bytes = conf->room_history_bytes;
	bi.verbose = mctx.opts->verbose;
	strlcpy(bi.privsep_user, conf->privsep_user, sizeof(bi.privsep_user));
	strlcpy(bi.privsep_dir, conf->privsep_dir, sizeof(bi.privsep_dir));
	bi.redis = strcmp(conf->engine, "redis") == 0;
	strlcpy(bi.node_name, conf->node_name, sizeof(bi.node_name));
	strlcpy(bi.redis_prefix, conf->redis_prefix, sizeof(bi.redis_prefix));
	if (ipc_compose(&c->chan, IMSG_B_INIT, 0, -1, &bi, sizeof(bi)) == -1)
		fatal("compose");
	/* The key directory's enrolled keys, as the master has them now. */
	login_enrolled_to_broker();
}

static void
mbroker_ready(struct mchild *c, const struct ipc_msg *im)
{
	if (im->len != 0) {
		mchild_misbehaved(c, "bad READY");
		return;
	}
	c->ready = 1;
	/* With Engine redis, its connections (redis_link.c). */
	redis_link_want();
	if (announced_ready)
		log_info("broker restarted; serving again");
}

/* The broker lost its Redis connections: new ones, with back-off. */
static void
mbroker_redis_wanted(struct mchild *c, const struct ipc_msg *im)
{
	if (im->len != 0) {
		mchild_misbehaved(c, "bad REDIS_WANTED");
		return;
	}
	redis_link_want();
}

/* The broker ends a session: its worker is told to close, and why. */
static void
mbroker_kick(struct mchild *c, const struct ipc_msg *im)
{
	struct reader	 r;
	struct msession	*s;
	const uint8_t	*p;
	size_t		 len;
	char		 reason[128];

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len >= sizeof(reason)) {
		mchild_misbehaved(c, "bad KICK");
		return;
	}
	memcpy(reason, p, len);
	reason[len] = '\0';
	if ((s = msession_by_id(im->session)) != NULL) {
		strlcpy(s->reason, reason, sizeof(s->reason));
		msession_shutdown(s, reason);
	}
}

static void
mbroker_lost(struct mchild *c)
{
	(void)c;
	control_broker_lost();
	if (mctx.shutting_down)
		return;
	mstats.broker_restarts++;
	log_warnx("broker exited; ending all sessions and restarting it");
	msessions_shutdown_all("chat service restarted");
}

/* ------------------------------------------------------------ the checker */

/* The password checker reads the file through the descriptor we pass. */
static int
open_users_file(void)
{
	char	 err[512];
	int	 fd;

	if ((fd = open_private_file(mctx.conf->usersfile, USERS_FILE_MAX, err,
	    sizeof(err))) == -1)
		log_warnx("users file: %s", err);
	return fd;
}

static void
mauthd_start(struct mchild *c)
{
	const struct config	*conf = mctx.conf;
	struct buf		 b;
	int			 ufd;

	/* No users file: nobody can log in until one appears (SIGHUP). */
	if ((ufd = open_users_file()) == -1)
		ufd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	buf_init(&b, 0);
	buf_put_str(&b, conf->privsep_user, strlen(conf->privsep_user));
	buf_put_str(&b, conf->privsep_dir, strlen(conf->privsep_dir));
	if (ipc_compose(&c->chan, IMSG_A_INIT, 0, ufd, buf_head(&b),
	    buf_used(&b)) == -1)
		fatal("compose");
	buf_free(&b);
}

static void
mauthd_reloaded(struct mchild *c, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p;
	size_t		 len;
	unsigned	 seq;
	uint8_t		 ok;
	char		 text[USERS_REPORT_MAX + 128];

	rd_init(&r, im->data, im->len);
	ok = rd_u8(&r);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || ok > 1) {
		mchild_misbehaved(c, "bad RELOADED");
		return;
	}
	/* The keys it sent before this answer are those of its new table. */
	login_enrolled_commit();
	if (ok)
		log_info("users file %s: %.*s user%s", mctx.conf->usersfile,
		    (int)len, p, len == 1 && p[0] == '1' ? "" : "s");
	else
		log_warnx("users file %s: %.*s", mctx.conf->usersfile,
		    (int)len, p);
	c->ready = 1;
	if (authd_nreloads == 0)
		return;		/* the answer to INIT */
	seq = authd_reloads[0];
	memmove(authd_reloads, authd_reloads + 1,
	    --authd_nreloads * sizeof(authd_reloads[0]));
	/* The checker's words, on root's terminal: printable text only. */
	printable_text(text, sizeof(text), p, len);
	control_reload_note(seq, "users file: %s%s", text,
	    ok ? (len == 1 && p[0] == '1' ? " user" : " users") : "");
	/*
	 * The checker now holds the new accounts: the sessions of those
	 * removed or locked end.  A file it did not take changed nothing.
	 */
	if (ok)
		login_accounts_check(seq);
	else
		control_reload_done(seq);
}

static void
mauthd_lost(struct mchild *c)
{
	size_t	 i;

	(void)c;
	login_checker_lost();
	/* The reloads it had not answered end here; the new one reads all. */
	for (i = 0; i < authd_nreloads; i++) {
		control_reload_note(authd_reloads[i], "the password checker "
		    "exited before it answered");
		control_reload_done(authd_reloads[i]);
	}
	authd_nreloads = 0;
	if (mctx.shutting_down)
		return;
	mstats.checker_restarts++;
	log_warnx("password checker exited; restarting it");
}

static void
mauthd_reload(struct mchild *c)
{
	unsigned	 seq = mctx.reload_seq;
	int		 ufd;

	if (c->pid <= 0 || c->killed) {
		control_reload_note(seq, "the password checker is not "
		    "running; it reads the users file when it starts");
		control_reload_done(seq);
		return;
	}
	if ((ufd = open_users_file()) == -1) {
		control_reload_note(seq, "users file %s: cannot be read; "
		    "see the log", mctx.conf->usersfile);
		control_reload_done(seq);
		return;
	}
	if (ipc_compose(&c->chan, IMSG_A_RELOAD, 0, ufd, NULL, 0) == -1) {
		close(ufd);
		log_warnx("cannot ask the password checker to reload");
		control_reload_note(seq, "cannot ask the password checker to "
		    "reload");
		control_reload_done(seq);
		return;
	}
	/* More reloads in flight than kept: the oldest is not waited for. */
	if (authd_nreloads == RELOADS_MAX) {
		control_reload_done(authd_reloads[0]);
		memmove(authd_reloads, authd_reloads + 1,
		    --authd_nreloads * sizeof(authd_reloads[0]));
	}
	authd_reloads[authd_nreloads++] = seq;
}
