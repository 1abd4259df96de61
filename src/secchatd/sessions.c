/*
 * sessions.c: the master's sessions (sessions.h).
 *
 * A session is one client connection and its sandboxed worker.  The
 * master records which user each session authenticated as and tells the
 * broker: the broker believes only this record.  A worker is less
 * privileged than the master: anything it sends that its state does not
 * allow ends its session, never the daemon.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "chat.h"
#include "children.h"
#include "conf.h"
#include "control.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "log.h"
#include "login.h"
#include "master.h"
#include "mlog.h"
#include "noise.h"
#include "proto.h"
#include "sessions.h"
#include "spawn.h"
#include "util.h"
#include "wire.h"

#define GRACE_SLACK_MS		2000

TAILQ_HEAD(msessionlist, msession);

static struct msessionlist	 sessions = TAILQ_HEAD_INITIALIZER(sessions);
static unsigned			 nsessions;
static unsigned			 nstartups;	/* not logged in yet */
static uint32_t			 next_id;
static uint32_t			 last_id = UINT32_MAX;	/* ids wrap after */
static int			 ids_wrapped;
static uint8_t			 host_priv[KEY_LEN], host_pub[KEY_LEN];
/* The sessions whose channels were last given to poll(), in order. */
static struct msession		**polled;
static size_t			 npolled, polledcap;

#ifdef SECCHAT_TEST_HOOKS
void
msessions_set_last_id(uint32_t id)
{
	last_id = id;
}
#endif

/* ------------------------------------------------------------ host key */

void
msessions_load_host_key(void)
{
	const char	*path = mctx.conf->hostkey;
	char		 err[512], fpr[FINGERPRINT_LEN];

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		if (keys_generate(path, "secchatd host key", host_priv,
		    host_pub, err, sizeof(err)) == -1)
			fatalx("%s", err);
		keys_fingerprint(host_pub, fpr);
		log_info("generated host key %s: %s", path, fpr);
		return;
	}
	if (keys_load(path, host_priv, host_pub, err, sizeof(err)) == -1)
		fatalx("%s", err);
	keys_fingerprint(host_pub, fpr);
	log_info("host key %s", fpr);
}

void
msessions_wipe_host_key(void)
{
	sodium_memzero(host_priv, sizeof(host_priv));
}

/* ------------------------------------------------------------ the table */

unsigned
msessions_count(void)
{
	return nsessions;
}

unsigned
msessions_startups(void)
{
	return nstartups;
}

struct msession *
msession_by_id(uint32_t id)
{
	struct msession	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->id == id)
			return s;
	return NULL;
}

struct msession *
msession_next(struct msession *s)
{
	return s == NULL ? TAILQ_FIRST(&sessions) : TAILQ_NEXT(s, entry);
}

unsigned
msessions_from(const char *addr)
{
	struct msession	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		if (strcmp(s->addr, addr) == 0)
			n++;
	return n;
}

unsigned
msessions_of_user(const char *user)
{
	struct msession	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->state == MS_ACTIVE && strcmp(s->user, user) == 0)
			n++;
	return n;
}

static void
msession_send_str(struct ipc_peer *p, uint16_t type, uint32_t session,
    const char *s)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_str(&b, s, strlen(s)) == -1 ||
	    ipc_composev(p, type, session, &b) == -1)
		log_warnx("cannot queue a message for %s", p->name);
	buf_free(&b);
}

void
msession_kill(struct msession *s, const char *why)
{
	if (s->killed)
		return;
	log_warnx("session %u (%s): %s; killing worker %ld", s->id, s->peer,
	    why, (long)s->pid);
	strlcpy(s->reason, why, sizeof(s->reason));
	kill(s->pid, SIGKILL);
	s->killed = 1;
}

void
msession_shutdown(struct msession *s, const char *reason)
{
	msession_send_str(&s->chan, IMSG_W_SHUTDOWN, s->id, reason);
}

void
msession_end(struct msession *s, const char *reason, const char *why)
{
	strlcpy(s->reason, why, sizeof(s->reason));
	s->worker_reason = 0;
	msession_shutdown(s, reason);
}

void
msessions_shutdown_all(const char *reason)
{
	struct msession	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		msession_shutdown(s, reason);
}

void
msessions_kill_all(void)
{
	struct msession	*s;

	TAILQ_FOREACH(s, &sessions, entry)
		kill(s->pid, SIGKILL);
}

void
msession_activate(struct msession *s)
{
	struct buf	 b;
	uint8_t		 flags = 0;

	s->state = MS_ACTIVE;
	nstartups--;
	mstats.logins++;
	if (!(s->methods_done & AUTH_M_PUBLICKEY))
		log_info("Accepted login for %s from %s key %s", s->user,
		    s->peer, s->fpr);
	else
		log_info("Accepted %s for %s from %s key %s",
		    s->methods_done & AUTH_M_PASSWORD ? "publickey,password" :
		    "publickey", s->user, s->peer, s->fpr);
	if (s->extended)
		flags |= CHAT_ID_EXTENDED;
	if (s->methods_done & AUTH_M_PUBLICKEY)
		flags |= CHAT_ID_KEYLOGIN;
	buf_init(&b, 0);
	if (buf_put_str(&b, s->user, strlen(s->user)) == -1 ||
	    buf_append(&b, s->key, KEY_LEN) == -1 ||
	    buf_put_u8(&b, flags) == -1 ||
	    ipc_composev(&mchild_get(MCHILD_BROKER)->chan, IMSG_B_LOGIN,
	    s->id, &b) == -1)
		log_warnx("cannot queue a message for the broker");
	buf_free(&b);
}

static void
msession_free(struct msession *s)
{
	TAILQ_REMOVE(&sessions, s, entry);
	nsessions--;
	if (s->state != MS_ACTIVE)
		nstartups--;
	if (s->state == MS_AUTHPENDING)
		login_abandon(s);
	ipc_clear(&s->chan);
	free(s);
}

/*
 * Session ids are 32 bits: after they wrap around, an id still in use is
 * skipped, so that no message can be taken for another session's.  Of
 * nsessions + 1 ids in a row one is free; 0 if none is (never, with 2^32).
 */
static uint32_t
msession_id_new(void)
{
	unsigned	 tries;

	for (tries = 0; tries <= nsessions; tries++) {
		if (next_id >= last_id) {
			next_id = 0;
			ids_wrapped = 1;
		}
		next_id++;
		if (!ids_wrapped || msession_by_id(next_id) == NULL)
			return next_id;
	}
	return 0;
}

/* The worker's start: everything it needs before it drops privileges. */
static void
worker_init_fill(struct worker_init *wi, const struct msession *s)
{
	const struct config	*conf = mctx.conf;

	memset(wi, 0, sizeof(*wi));
	wi->session = s->id;
	memcpy(wi->suites, conf->suites, sizeof(wi->suites));
	wi->nsuites = (uint8_t)conf->nsuites;
	wi->aesgcm_ok = noise_aesgcm_available() ? 1 : 0;
	memcpy(wi->host_pub, host_pub, sizeof(wi->host_pub));
	wi->login_grace = conf->login_grace;
	wi->max_auth_tries = conf->max_auth_tries;
	wi->max_message = conf->max_message;
	wi->flood_burst = conf->flood_burst;
	wi->flood_rate = conf->flood_rate;
	wi->send_queue = conf->send_queue;
	wi->alive_interval = conf->alive_interval;
	wi->alive_timeout = conf->alive_timeout;
	/* The control socket's `log` may have changed it since the start. */
	wi->verbose = log_getverbose();
	strlcpy(wi->peer, s->peer, sizeof(wi->peer));
	strlcpy(wi->privsep_user, conf->privsep_user,
	    sizeof(wi->privsep_user));
	wi->privsep_uid = (uint32_t)mctx.privsep_uid;
	wi->privsep_gid = (uint32_t)mctx.privsep_gid;
	strlcpy(wi->privsep_dir, conf->privsep_dir, sizeof(wi->privsep_dir));
}

const char *
msession_new(int cfd, const char *addr, const char *source, const char *peer)
{
	struct msession		*s;
	struct worker_init	 wi;
	int			 mp[2], bp[2], fds[3];

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return "server out of memory";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mp) == -1) {
		free(s);
		return "server out of resources";
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bp) == -1) {
		close(mp[0]);
		close(mp[1]);
		free(s);
		return "server out of resources";
	}
	if ((s->id = msession_id_new()) == 0) {
		close(mp[0]);
		close(mp[1]);
		close(bp[0]);
		close(bp[1]);
		free(s);
		return "server full";
	}
	fds[0] = cfd;
	fds[1] = mp[1];
	fds[2] = bp[1];
	s->pid = spawn_child("worker", fds, 3);
	close(cfd);
	close(mp[1]);
	close(bp[1]);
	if (s->pid == -1) {
		close(mp[0]);
		close(bp[0]);
		free(s);
		return NULL;
	}
	s->state = MS_PREAUTH;
	s->start_ms = mono_ms();
	s->since = time(NULL);
	strlcpy(s->addr, addr, sizeof(s->addr));
	strlcpy(s->source, source, sizeof(s->source));
	strlcpy(s->peer, peer, sizeof(s->peer));
	snprintf(s->chan_name, sizeof(s->chan_name), "worker %u", s->id);
	set_nonblock(mp[0]);
	ipc_init(&s->chan, mp[0], s->chan_name, 0);
	ipc_set_roles(&s->chan, IPC_ROLE_MASTER, IPC_ROLE_WORKER);
	/* Workers send the master a few small messages: keep them cheap. */
	ipc_set_read_chunk(&s->chan, 2048);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	nsessions++;
	nstartups++;

	worker_init_fill(&wi, s);
	if (ipc_compose(&s->chan, IMSG_W_INIT, s->id, -1, &wi,
	    sizeof(wi)) == -1 ||
	    ipc_compose(&mchild_get(MCHILD_BROKER)->chan, IMSG_B_SESSION,
	    s->id, bp[0], NULL, 0) == -1) {
		close(bp[0]);
		msession_kill(s, "cannot queue its start");
		return NULL;
	}
	log_debug("session %u: %s, worker %ld", s->id, peer, (long)s->pid);
	return NULL;
}

/* ------------------------------------------------------------ requests */

/* Once per session, before login: the host key's one use. */
static void
mw_dh(struct msession *s, const struct ipc_msg *im)
{
	uint8_t	 shared[KEY_LEN];

	/*
	 * The table of messages and mw_requests already allow one 32-byte
	 * DH before login only; the host key's one use is checked again here,
	 * where it is spent, so that no change to a table can widen it.
	 */
	if (s->dh_done || s->state != MS_PREAUTH || im->len != KEY_LEN) {
		msession_kill(s, "bad DH request");
		return;
	}
	s->dh_done = 1;
	if (crypto_scalarmult(shared, host_priv, im->data) == -1)
		ipc_compose(&s->chan, IMSG_W_DH_RESULT, s->id, -1, NULL, 0);
	else
		ipc_compose(&s->chan, IMSG_W_DH_RESULT, s->id, -1,
		    shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
}

int
msessions_key_proof_ok(const uint8_t key[KEY_LEN], const uint8_t hs2[KEY_LEN],
    const char *user, const uint8_t proof[KEY_LEN])
{
	uint8_t	 ss[KEY_LEN];
	int	 ok;

	/* A low-order key gives all zeros: no proof can be right. */
	if (crypto_scalarmult(ss, host_priv, key) == -1) {
		sodium_memzero(ss, sizeof(ss));
		return 0;
	}
	ok = keyproof_verify(ss, hs2, user, proof) == 0;
	sodium_memzero(ss, sizeof(ss));
	return ok;
}

/*
 * The suite its client got, for the control socket's list, and whether
 * it agreed to the extensions: only then may it log in with a key, and
 * the broker is told.
 */
static void
mw_suite(struct msession *s, const struct ipc_msg *im)
{
	if (im->len != 2 || (im->data[0] != SUITE_AESGCM &&
	    im->data[0] != SUITE_CHACHAPOLY) || im->data[1] > 1) {
		msession_kill(s, "bad SUITE");
		return;
	}
	s->suite = im->data[0];
	s->extended = im->data[1];
}

static void
mw_log(struct msession *s, const struct ipc_msg *im)
{
	mlog_from_child(s->chan_name, &s->logq, im);
}

/* Why the worker is closing, for the line logged when it is reaped. */
static void
mw_closing(struct msession *s, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p;
	size_t		 len;

	rd_init(&r, im->data, im->len);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len >= sizeof(s->reason)) {
		msession_kill(s, "bad CLOSING");
		return;
	}
	/* The master's own reason, when it ended the session, wins. */
	if (s->reason[0] != '\0' && !s->worker_reason)
		return;
	printable_text(s->reason, sizeof(s->reason), p, len);
	s->worker_reason = 1;
}

/*
 * What a worker may ask, as OpenSSH's monitor table: the type, the states
 * it is allowed in, and whether only once per session.  The message itself
 * was checked against the one table of messages (ipc_table.c) by ipc_get;
 * a request its state does not allow, a second one of a "once" type, or a
 * type not here ends the session.  Handlers check what is theirs alone
 * (AUTH only after DH, for one).
 */
#define MW_ANY		(MS_BIT(MS_PREAUTH) | MS_BIT(MS_AUTHPENDING) | \
			    MS_BIT(MS_ACTIVE))
static const struct {
	uint16_t	 type;
	unsigned	 states;	/* MS_BIT of each allowed state */
	int		 once;
	void		(*fn)(struct msession *, const struct ipc_msg *);
} mw_requests[] = {
	{ IMSG_M_SUITE, MS_BIT(MS_PREAUTH), 1, mw_suite },
	{ IMSG_M_DH, MS_BIT(MS_PREAUTH), 1, mw_dh },
	{ IMSG_M_AUTH, MS_BIT(MS_PREAUTH), 0, login_auth },
	{ IMSG_M_AUTH_KEY, MS_BIT(MS_PREAUTH), 1, login_auth_key },
	{ IMSG_M_LOG, MW_ANY, 0, mw_log },
	{ IMSG_M_CLOSING, MW_ANY, 0, mw_closing },
};

static void
mw_dispatch(struct msession *s, const struct ipc_msg *im)
{
	size_t	 i;

	if (im->session != s->id) {
		msession_kill(s, "message for another session");
		return;
	}
	for (i = 0; i < sizeof(mw_requests) / sizeof(mw_requests[0]); i++) {
		if (mw_requests[i].type != im->type)
			continue;
		if (!(mw_requests[i].states & MS_BIT(s->state)) ||
		    (mw_requests[i].once && (s->seen & (1U << i)))) {
			msession_kill(s, "request not allowed now");
			return;
		}
		s->seen |= 1U << i;
		mw_requests[i].fn(s, im);
		return;
	}
	msession_kill(s, "request not allowed");
}

/* ------------------------------------------------------------ reaping */

/* Read and handle what a worker's channel holds; 0 once it is done. */
static int
msession_drain(struct msession *s)
{
	struct ipc_msg	 im;
	int		 r;

	if (s->killed)
		return 0;
	if ((r = ipc_read(&s->chan)) <= 0)
		return r;
	while (!s->killed && (r = ipc_get(&s->chan, &im)) == 1)
		mw_dispatch(s, &im);
	if (r == -1)
		msession_kill(s, s->chan.refused != NULL ? s->chan.refused :
		    "malformed message");
	return 1;
}

int
msession_reaped(pid_t pid, int status)
{
	struct msession	*s;
	char		 why[192];

	TAILQ_FOREACH(s, &sessions, entry)
		if (s->pid == pid)
			break;
	if (s == NULL)
		return 0;
	/*
	 * What the worker said just before it exited (its CLOSING reason)
	 * may still be in the channel: read it before saying why it ended.
	 */
	msession_drain(s);
	if (s->reason[0] == '\0' || WIFSIGNALED(status)) {
		strlcpy(why, "worker ", sizeof(why));
		spawn_exit_text(status, why + 7, sizeof(why) - 7);
		if (s->reason[0] != '\0') {
			strlcat(why, "; ", sizeof(why));
			strlcat(why, s->reason, sizeof(why));
		}
	} else if (s->worker_reason)
		/* The worker's words, marked as such. */
		snprintf(why, sizeof(why), "worker: %s", s->reason);
	else
		strlcpy(why, s->reason, sizeof(why));
	if (s->state == MS_ACTIVE)
		log_info("Disconnected %s from %s: %s", s->user, s->peer, why);
	else
		mlog_conn("Connection from %s closed before login: %s",
		    s->peer, why);
	msession_free(s);
	return 1;
}

void
msessions_check_grace(uint64_t now)
{
	struct msession	*s;
	uint64_t	 grace_ms;

	/* A worker that outlives the login grace time is cut off here too. */
	grace_ms = (uint64_t)mctx.conf->login_grace * 1000 + GRACE_SLACK_MS;
	TAILQ_FOREACH(s, &sessions, entry)
		if (s->state != MS_ACTIVE && !s->killed &&
		    now - s->start_ms > grace_ms)
			msession_kill(s, "login grace time exceeded");
}

/* ------------------------------------------------------------ channels */

void
msessions_pollfd(struct pollfd *pfd)
{
	struct msession	*s;
	size_t		 i = 0;

	if (nsessions > polledcap) {
		polledcap = nsessions + 64;
		if ((polled = reallocarray(polled, polledcap,
		    sizeof(*polled))) == NULL)
			fatal("reallocarray");
	}
	TAILQ_FOREACH(s, &sessions, entry) {
		pfd[i].fd = s->chan.eof ? -1 : s->chan.fd;
		pfd[i].events = POLLIN |
		    (ipc_pending(&s->chan) ? POLLOUT : 0);
		polled[i++] = s;
	}
	npolled = i;
}

/*
 * Sessions are freed only when reaped, between two polls: every session
 * polled is still there.
 */
void
msessions_handle(const struct pollfd *pfd)
{
	struct msession	*s;
	size_t		 i;

	for (i = 0; i < npolled; i++) {
		s = polled[i];
		if (!(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		/* At the end it is reaped on SIGCHLD; it is no longer polled. */
		if (msession_drain(s) == -1 && !s->chan.eof)
			msession_kill(s, s->chan.refused != NULL ?
			    s->chan.refused : "channel error");
	}
}

/*
 * Flush what the handlers queued.  A worker's channel carries a few
 * messages in its life: between them, its buffers are given back.
 */
void
msessions_flush(void)
{
	struct msession	*s, *next;

	TAILQ_FOREACH_SAFE(s, &sessions, entry, next) {
		if (ipc_pending(&s->chan) && ipc_flush(&s->chan) == -1)
			msession_kill(s, "channel write error");
		else
			ipc_trim(&s->chan);
	}
}
