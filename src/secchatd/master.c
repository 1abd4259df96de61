/*
 * master.c: the privileged parent.
 *
 * It binds the listeners, keeps the host key, starts the broker and the
 * password checker, accepts connections and re-executes one sandboxed
 * worker per client.  It records which user each session authenticated as
 * and tells the broker: the broker believes only this record.  Nothing slow
 * runs here: password hashing is in the checker, everything else is a
 * bounded amount of work per event.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "conf.h"
#include "ipc.h"
#include "keys.h"
#include "log.h"
#include "master.h"
#include "proto.h"
#include "sandbox.h"
#include "pwhash.h"
#include "throttle.h"
#include "users.h"
#include "util.h"
#include "wire.h"

#define MAX_LISTENERS		32
#define MAX_LINGER		64
#define LINGER_MS		2000
#define ACCEPT_BATCH		64
#define SHUTDOWN_WAIT_MS	3000
#define GRACE_SLACK_MS		2000
#define RESTART_MIN_MS		1000
#define LOG_BURST		50	/* lines a second per child */
#define CHILD_ENV_MAX		32	/* variables passed to a child */
#define AUTH_BUSY_REASON	"server busy; try again"
#define AUTH_FAIL_REASON	"invalid user name or password"
#define AUTH_THROTTLED_REASON	"too many failed logins; try again later"

struct logquota {
	uint64_t	 window_ms;
	unsigned	 lines, dropped;
};

enum sstate {
	S_PREAUTH,		/* handshake or waiting for AUTH */
	S_AUTHPENDING,		/* the checker is working on it */
	S_ACTIVE
};

struct session {
	TAILQ_ENTRY(session)	 entry;
	uint32_t		 id;
	pid_t			 pid;
	struct ipc_peer		 chan;
	char			 chan_name[32];
	enum sstate		 state;
	int			 dh_done;
	unsigned		 tries;
	uint32_t		 auth_req;
	char			 addr[INET6_ADDRSTRLEN];
	char			 peer[PEER_NAME_MAX];
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 fpr[FINGERPRINT_LEN];
	char			 reason[128];
	uint64_t		 start_ms;
	int			 killed;
	struct logquota		 logq;
};
TAILQ_HEAD(sessionlist, session);

struct child {
	pid_t		 pid;
	struct ipc_peer	 chan;
	int		 ready;
	int		 killed;
	uint64_t	 started_ms;
	struct logquota	 logq;
};

struct lingerer {
	int		 fd;
	uint64_t	 until;
};

static struct {
	struct config		*conf;
	const struct master_opts *opts;
	int			 listeners[MAX_LISTENERS];
	int			 nlisteners;
	uint8_t			 host_priv[KEY_LEN], host_pub[KEY_LEN];
	uid_t			 privsep_uid;
	gid_t			 privsep_gid;
	struct sessionlist	 sessions;
	unsigned		 nsessions;
	uint32_t		 next_id;
	uint32_t		 next_req;
	unsigned		 auth_pending;
	struct child		 broker, authd;
	struct throttle		 throttle;
	struct lingerer		 linger[MAX_LINGER];
	int			 nlinger;
	int			 sigpipe[2];
	int			 devnull;
	volatile sig_atomic_t	 got_term, got_hup, got_chld;
	int			 shutting_down;
	uint64_t		 shutdown_deadline;
	int			 announced_ready;
} m;

static void	session_free(struct session *);

/* ------------------------------------------------------------ signals */

static void
on_signal(int sig)
{
	int	 saved = errno;
	char	 c = (char)sig;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		m.got_term = 1;
		break;
	case SIGHUP:
		m.got_hup = 1;
		break;
	case SIGCHLD:
		m.got_chld = 1;
		break;
	}
	(void)write(m.sigpipe[1], &c, 1);
	errno = saved;
}

static void
setup_signals(void)
{
	struct sigaction	 sa;

	if (pipe2(m.sigpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("pipe2");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ------------------------------------------------------------ children */

/*
 * The children start with an almost empty environment: nothing in the
 * administrator's environment is theirs to see, and every string in it
 * would cost each worker memory (the stack it arrives on, and
 * setproctitle's copy).  Passed on: what the dynamic linker and the C
 * library need to start the same program the same way (a libsodium in a
 * private prefix, tunables), the sanitizer runtimes' options and, in test
 * builds, the test suite's variables.
 */
static void
child_environment(char **envp, size_t max)
{
	static const char *const keep[] = {
		"LD_LIBRARY_PATH=", "LD_PRELOAD=", "GLIBC_TUNABLES=",
		"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
		"MSAN_OPTIONS=", "TSAN_OPTIONS=", "ASAN_SYMBOLIZER_PATH=",
#ifdef SECCHAT_TEST_HOOKS
		"SECCHAT_TEST_",
#endif
	};
	char	**e;
	size_t	 i, n = 0;

	for (e = environ; *e != NULL && n + 1 < max; e++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
			if (strncmp(*e, keep[i], strlen(keep[i])) == 0) {
				envp[n++] = *e;
				break;
			}
	envp[n] = NULL;
}

/*
 * Fork and re-execute ourselves in a role.  fds[i] becomes descriptor
 * CHILD_FD_FIRST + i; everything else is closed.  A fresh exec gives every
 * child its own address-space layout.
 */
static pid_t
spawn(const char *role, const int *fds, int nfds)
{
	char		*argv[6], *envp[CHILD_ENV_MAX + 1];
	int		 i, argc = 0, high[4];
	pid_t		 pid;
	sigset_t	 none;

	switch (pid = fork()) {
	case -1:
		log_warn("fork");
		return -1;
	case 0:
		break;
	default:
		return pid;
	}
	/* Child.  Move the descriptors out of the way, then into place. */
	for (i = 0; i < nfds; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, 64)) == -1)
			_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(high[i], CHILD_FD_FIRST + i) == -1)
			_exit(127);
	if (dup2(m.devnull, STDIN_FILENO) == -1 ||
	    dup2(m.devnull, STDOUT_FILENO) == -1)
		_exit(127);
	if (!m.opts->log_stderr && dup2(m.devnull, STDERR_FILENO) == -1)
		_exit(127);
	closefrom(CHILD_FD_FIRST + nfds);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	argv[argc++] = (char *)"secchatd";
	argv[argc++] = (char *)"-R";
	argv[argc++] = (char *)role;
	if (m.opts->log_stderr)
		argv[argc++] = (char *)"-e";
	if (m.opts->verbose)
		argv[argc++] = (char *)"-d";
	argv[argc] = NULL;
	child_environment(envp, sizeof(envp) / sizeof(envp[0]));
	execve(m.opts->self_path, argv, envp);
	_exit(127);
}

/* The password checker reads the file through the descriptor we pass. */
static int
open_users_file(void)
{
	char	 err[512];
	int	 fd;

	if ((fd = open_private_file(m.conf->usersfile, USERS_FILE_MAX, err,
	    sizeof(err))) == -1)
		log_warnx("users file: %s", err);
	return fd;
}

static int
start_authd(void)
{
	int		 sp[2], ufd;
	struct buf	 b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((m.authd.pid = spawn("auth", &sp[1], 1)) == -1) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	close(sp[1]);
	set_nonblock(sp[0]);
	ipc_init(&m.authd.chan, sp[0], "auth", 0);
	m.authd.started_ms = mono_ms();
	m.authd.ready = 0;
	m.authd.killed = 0;
	/* No users file: nobody can log in until one appears (SIGHUP). */
	if ((ufd = open_users_file()) == -1)
		ufd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	buf_init(&b, 0);
	buf_put_str(&b, m.conf->privsep_user, strlen(m.conf->privsep_user));
	buf_put_str(&b, m.conf->privsep_dir, strlen(m.conf->privsep_dir));
	if (ipc_compose(&m.authd.chan, IMSG_A_INIT, 0, ufd, buf_head(&b),
	    buf_used(&b)) == -1)
		fatal("compose");
	buf_free(&b);
	return 0;
}

static int
start_broker(void)
{
	int			 sp[2];
	struct broker_init	 bi;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) == -1) {
		log_warn("socketpair");
		return -1;
	}
	if ((m.broker.pid = spawn("broker", &sp[1], 1)) == -1) {
		close(sp[0]);
		close(sp[1]);
		return -1;
	}
	close(sp[1]);
	set_nonblock(sp[0]);
	ipc_init(&m.broker.chan, sp[0], "broker", 0);
	m.broker.started_ms = mono_ms();
	m.broker.ready = 0;
	m.broker.killed = 0;
	memset(&bi, 0, sizeof(bi));
	bi.history = m.conf->history;
	bi.send_queue = m.conf->send_queue;
	bi.max_rooms = m.conf->max_rooms;
	bi.max_message = m.conf->max_message;
	bi.max_sessions = m.conf->max_sessions;
	bi.history_bytes = m.conf->history_bytes;
	bi.room_history_bytes = m.conf->room_history_bytes;
	bi.verbose = m.opts->verbose;
	strlcpy(bi.privsep_user, m.conf->privsep_user, sizeof(bi.privsep_user));
	strlcpy(bi.privsep_dir, m.conf->privsep_dir, sizeof(bi.privsep_dir));
	if (ipc_compose(&m.broker.chan, IMSG_B_INIT, 0, -1, &bi, sizeof(bi)) == -1)
		fatal("compose");
	return 0;
}

static void
send_str(struct ipc_peer *p, uint16_t type, uint32_t session, const char *s)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_str(&b, s, strlen(s)) == -1 ||
	    ipc_composev(p, type, session, &b) == -1)
		log_warnx("cannot queue a message for %s", p->name);
	buf_free(&b);
}

/*
 * The broker and the password checker are less privileged than we are: a
 * broken message from one of them ends that process, which is restarted,
 * never the daemon.
 */
static void
child_misbehaved(struct child *c, const char *why)
{
	if (c->killed || c->pid <= 0)
		return;
	log_warnx("%s: %s; killing it (pid %ld)", c->chan.name, why,
	    (long)c->pid);
	kill(c->pid, SIGKILL);
	c->killed = 1;
	c->ready = 0;
}

/* ------------------------------------------------------------ sessions */

static struct session *
session_by_id(uint32_t id)
{
	struct session	*s;

	TAILQ_FOREACH(s, &m.sessions, entry)
		if (s->id == id)
			return s;
	return NULL;
}

static unsigned
sessions_from(const char *addr)
{
	struct session	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &m.sessions, entry)
		if (strcmp(s->addr, addr) == 0)
			n++;
	return n;
}

static void
session_kill(struct session *s, const char *why)
{
	if (s->killed)
		return;
	log_warnx("session %u (%s): %s; killing worker %ld", s->id, s->peer,
	    why, (long)s->pid);
	strlcpy(s->reason, why, sizeof(s->reason));
	kill(s->pid, SIGKILL);
	s->killed = 1;
}

static void
session_shutdown(struct session *s, const char *reason)
{
	send_str(&s->chan, IMSG_W_SHUTDOWN, s->id, reason);
}

static void
session_free(struct session *s)
{
	TAILQ_REMOVE(&m.sessions, s, entry);
	m.nsessions--;
	if (s->state == S_AUTHPENDING && m.auth_pending > 0)
		m.auth_pending--;
	ipc_clear(&s->chan);
	free(s);
}

static void
linger_add(int fd)
{
	if (m.nlinger == MAX_LINGER) {
		close(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	m.linger[m.nlinger].fd = fd;
	m.linger[m.nlinger].until = mono_ms() + LINGER_MS;
	m.nlinger++;
}

/* Say no in the server hello, so the client can tell its user why. */
static void
refuse(int fd, const char *peer, const char *reason)
{
	uint8_t		 hello[HELLO_MAGICLEN + 1 + HELLO_REASON_MAX], frame[300];
	int		 n;

	log_info("refused connection from %s: %s", peer, reason);
	n = hello_server_encode(hello, sizeof(hello), SUITE_NONE, reason);
	if (n > 0) {
		put_u16(frame, (uint16_t)n);
		memcpy(frame + 2, hello, (size_t)n);
		(void)send(fd, frame, (size_t)n + 2, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	linger_add(fd);
}

static void
format_peer(const struct sockaddr_storage *ss, char *addr, size_t addrlen,
    char *peer, size_t peerlen)
{
	char	 port[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), addr,
	    (socklen_t)addrlen, port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strlcpy(addr, "unknown", addrlen);
		strlcpy(port, "0", sizeof(port));
	}
	snprintf(peer, peerlen, "%s port %s", addr, port);
}

static void
new_session(int cfd, const char *addr, const char *peer)
{
	struct session		*s;
	struct worker_init	 wi;
	int			 mp[2], bp[2], fds[3];

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		refuse(cfd, peer, "server out of memory");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, mp) == -1) {
		free(s);
		refuse(cfd, peer, "server out of resources");
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, bp) == -1) {
		close(mp[0]);
		close(mp[1]);
		free(s);
		refuse(cfd, peer, "server out of resources");
		return;
	}
	fds[0] = cfd;
	fds[1] = mp[1];
	fds[2] = bp[1];
	s->pid = spawn("worker", fds, 3);
	close(cfd);
	close(mp[1]);
	close(bp[1]);
	if (s->pid == -1) {
		close(mp[0]);
		close(bp[0]);
		free(s);
		return;
	}
	s->id = ++m.next_id;
	if (s->id == 0)
		s->id = ++m.next_id;
	s->state = S_PREAUTH;
	s->start_ms = mono_ms();
	strlcpy(s->addr, addr, sizeof(s->addr));
	strlcpy(s->peer, peer, sizeof(s->peer));
	snprintf(s->chan_name, sizeof(s->chan_name), "worker %u", s->id);
	set_nonblock(mp[0]);
	ipc_init(&s->chan, mp[0], s->chan_name, 0);
	/* Workers send the master a few small messages: keep them cheap. */
	ipc_set_read_chunk(&s->chan, 2048);
	TAILQ_INSERT_TAIL(&m.sessions, s, entry);
	m.nsessions++;

	memset(&wi, 0, sizeof(wi));
	wi.session = s->id;
	memcpy(wi.suites, m.conf->suites, sizeof(wi.suites));
	wi.nsuites = (uint8_t)m.conf->nsuites;
	wi.aesgcm_ok = noise_aesgcm_available() ? 1 : 0;
	memcpy(wi.host_pub, m.host_pub, sizeof(wi.host_pub));
	wi.login_grace = m.conf->login_grace;
	wi.max_auth_tries = m.conf->max_auth_tries;
	wi.max_message = m.conf->max_message;
	wi.flood_burst = m.conf->flood_burst;
	wi.flood_rate = m.conf->flood_rate;
	wi.send_queue = m.conf->send_queue;
	wi.alive_interval = m.conf->alive_interval;
	wi.alive_timeout = m.conf->alive_timeout;
	wi.verbose = m.opts->verbose;
	strlcpy(wi.peer, peer, sizeof(wi.peer));
	strlcpy(wi.privsep_user, m.conf->privsep_user, sizeof(wi.privsep_user));
	wi.privsep_uid = (uint32_t)m.privsep_uid;
	wi.privsep_gid = (uint32_t)m.privsep_gid;
	strlcpy(wi.privsep_dir, m.conf->privsep_dir, sizeof(wi.privsep_dir));
	if (ipc_compose(&s->chan, IMSG_W_INIT, s->id, -1, &wi, sizeof(wi)) == -1 ||
	    ipc_compose(&m.broker.chan, IMSG_B_SESSION, s->id, bp[0], NULL, 0) == -1) {
		close(bp[0]);
		session_kill(s, "cannot queue its start");
		return;
	}
	log_debug("session %u: %s, worker %ld", s->id, peer, (long)s->pid);
}

static void
accept_one(int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 addr[INET6_ADDRSTRLEN], peer[PEER_NAME_MAX];
	int			 cfd;

	memset(&ss, 0, sizeof(ss));
	cfd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn("accept");
		return;
	}
	format_peer(&ss, addr, sizeof(addr), peer, sizeof(peer));
	if (m.shutting_down)
		refuse(cfd, peer, "server shutting down");
	else if (!m.broker.ready || !m.authd.ready)
		refuse(cfd, peer, "server starting; try again");
	else if (m.nsessions >= m.conf->max_sessions)
		refuse(cfd, peer, "server full");
	else if (sessions_from(addr) >= m.conf->max_per_source)
		refuse(cfd, peer, "too many connections from your address");
	else
		new_session(cfd, addr, peer);
}

/* ------------------------------------------------------------ auth */

static void
auth_reply_fail(struct session *s, const char *reason, int final)
{
	struct buf	 b;
	unsigned	 left = s->tries >= m.conf->max_auth_tries ? 0 :
			    m.conf->max_auth_tries - s->tries;

	if (final)
		left = 0;
	buf_init(&b, 0);
	buf_put_u8(&b, (uint8_t)left);
	buf_put_u8(&b, left == 0 ? 1 : 0);
	buf_put_str(&b, reason, strlen(reason));
	if (ipc_composev(&s->chan, IMSG_W_AUTH_FAIL, s->id, &b) == -1)
		session_kill(s, "cannot queue AUTH_FAIL");
	buf_free(&b);
	s->state = S_PREAUTH;
}

static int
throttled(const struct session *s, const char *user)
{
	char		 key[THROTTLE_KEY_MAX];
	uint64_t	 now = mono_ms();
	unsigned	 from_addr, for_user;

	snprintf(key, sizeof(key), "a:%s", s->addr);
	from_addr = throttle_count(&m.throttle, key, now);
	if (from_addr >= m.conf->auth_fail_limit)
		return 1;
	/*
	 * Per account: once an account has drawn many failures, sources that
	 * have failed before are refused for it, while a source with a clean
	 * record (its real user, most likely) still gets its tries.
	 */
	snprintf(key, sizeof(key), "u:%s", user);
	for_user = throttle_count(&m.throttle, key, now);
	return for_user >= 2 * m.conf->auth_fail_limit && from_addr > 0;
}

static void
record_failure(const struct session *s, const char *user)
{
	char		 key[THROTTLE_KEY_MAX];
	uint64_t	 now = mono_ms();

	snprintf(key, sizeof(key), "a:%s", s->addr);
	throttle_fail(&m.throttle, key, now);
	snprintf(key, sizeof(key), "u:%s", user);
	throttle_fail(&m.throttle, key, now);
}

static void
handle_auth(struct session *s, struct reader *r)
{
	const uint8_t	*key, *user, *pw;
	size_t		 ulen, pwlen;
	struct buf	 b;

	key = rd_bytes(r, KEY_LEN);
	user = rd_str(r, &ulen);
	pw = rd_str(r, &pwlen);
	/* The worker's decoder enforces these; a worker that does not is lying. */
	if (rd_done(r) == -1 || !s->dh_done || s->state != S_PREAUTH ||
	    pwlen == 0 || pwlen > PWHASH_MAX_PASSWORD || ulen == 0 ||
	    ulen > 255) {
		session_kill(s, "bad AUTH request");
		return;
	}
	if (++s->tries > m.conf->max_auth_tries) {
		session_kill(s, "too many AUTH requests");
		return;
	}
	keys_fingerprint(key, s->fpr);
	if (valid_username((const char *)user, ulen)) {
		memcpy(s->user, user, ulen);
		s->user[ulen] = '\0';
	} else
		strlcpy(s->user, "(invalid name)", sizeof(s->user));
	if (throttled(s, s->user)) {
		log_info("throttled login for %s from %s", s->user, s->peer);
		auth_reply_fail(s, AUTH_THROTTLED_REASON, 1);
		return;
	}
	if (m.auth_pending >= m.conf->max_auth_pending || !m.authd.ready) {
		s->tries--;
		auth_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	s->auth_req = ++m.next_req;
	buf_init(&b, 0);
	buf_put_u32(&b, s->auth_req);
	buf_put_str(&b, user, ulen);
	buf_put_str(&b, pw, pwlen);
	if (ipc_composev(&m.authd.chan, IMSG_A_CHECK, s->id, &b) == -1) {
		buf_free(&b);
		s->tries--;
		auth_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	buf_free(&b);
	s->state = S_AUTHPENDING;
	m.auth_pending++;
}

static void
handle_auth_result(const struct ipc_msg *im)
{
	struct reader	 r;
	struct session	*s;
	uint32_t	 req;
	uint8_t		 ok;

	rd_init(&r, im->data, im->len);
	req = rd_u32(&r);
	ok = rd_u8(&r);
	if (rd_done(&r) == -1 || ok > 1) {
		child_misbehaved(&m.authd, "bad RESULT");
		return;
	}
	if ((s = session_by_id(im->session)) == NULL ||
	    s->state != S_AUTHPENDING || s->auth_req != req)
		return;		/* the session went away meanwhile */
	m.auth_pending--;
	s->auth_req = 0;
	if (ok && valid_username(s->user, strlen(s->user))) {
		s->state = S_ACTIVE;
		log_info("Accepted login for %s from %s key %s", s->user,
		    s->peer, s->fpr);
		send_str(&m.broker.chan, IMSG_B_LOGIN, s->id, s->user);
		return;
	}
	record_failure(s, s->user);
	log_info("Failed login for %s from %s key %s", s->user, s->peer, s->fpr);
	auth_reply_fail(s, AUTH_FAIL_REASON, 0);
}

/* ------------------------------------------------------------ messages */

/*
 * A sandboxed child may log at most LOG_BURST lines per second; a child
 * taken over by an attacker must not be able to flood the system log.
 */
static int
log_allowed(struct logquota *q, const char *who)
{
	uint64_t	 now = mono_ms();

	if (now - q->window_ms >= 1000) {
		if (q->dropped > 0)
			log_warnx("%s: %u log lines suppressed", who, q->dropped);
		q->window_ms = now;
		q->lines = 0;
		q->dropped = 0;
	}
	if (q->lines >= LOG_BURST) {
		q->dropped++;
		return 0;
	}
	q->lines++;
	return 1;
}

static void
log_from_child(const char *who, struct logquota *q, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 len;
	uint8_t		 pri;
	char		 line[1024];

	if (!log_allowed(q, who))
		return;
	rd_init(&r, im->data, im->len);
	pri = rd_u8(&r);
	s = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len >= sizeof(line))
		return;
	memcpy(line, s, len);
	line[len] = '\0';
	/* A child's line is data: keep it printable. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	if (pri <= LOG_ERR)
		log_warnx("%s: %s", who, line);
	else if (pri >= LOG_DEBUG)
		log_debug("%s: %s", who, line);
	else
		log_info("%s: %s", who, line);
}

/* The request table for workers: type, allowed states, once. */
static void
handle_worker(struct session *s, const struct ipc_msg *im)
{
	struct reader	 r;
	uint8_t		 shared[KEY_LEN];
	const uint8_t	*p;
	size_t		 len;

	if (im->session != s->id) {
		session_kill(s, "message for another session");
		return;
	}
	rd_init(&r, im->data, im->len);
	switch (im->type) {
	case IMSG_M_DH:
		/* Once per session, before login: the host key's one use. */
		if (s->dh_done || s->state != S_PREAUTH || im->len != KEY_LEN) {
			session_kill(s, "bad DH request");
			return;
		}
		s->dh_done = 1;
		if (crypto_scalarmult(shared, m.host_priv, im->data) == -1)
			ipc_compose(&s->chan, IMSG_W_DH_RESULT, s->id, -1, NULL, 0);
		else
			ipc_compose(&s->chan, IMSG_W_DH_RESULT, s->id, -1,
			    shared, sizeof(shared));
		sodium_memzero(shared, sizeof(shared));
		break;
	case IMSG_M_AUTH:
		handle_auth(s, &r);
		break;
	case IMSG_M_LOG:
		log_from_child(s->chan_name, &s->logq, im);
		break;
	case IMSG_M_CLOSING:
		p = rd_str(&r, &len);
		if (rd_done(&r) == -1 || len >= sizeof(s->reason)) {
			session_kill(s, "bad CLOSING");
			return;
		}
		memcpy(s->reason, p, len);
		s->reason[len] = '\0';
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s->reason[i] < 0x20)
				s->reason[i] = '?';
		break;
	default:
		session_kill(s, "request not allowed");
		break;
	}
}

static void
handle_broker(const struct ipc_msg *im)
{
	struct reader	 r;
	struct session	*s;
	const uint8_t	*p;
	size_t		 len;
	char		 reason[128];

	rd_init(&r, im->data, im->len);
	switch (im->type) {
	case IMSG_M_BROKER_READY:
		if (im->len != 0) {
			child_misbehaved(&m.broker, "bad READY");
			return;
		}
		m.broker.ready = 1;
		if (m.announced_ready)
			log_info("broker restarted; serving again");
		break;
	case IMSG_M_KICK:
		p = rd_str(&r, &len);
		if (rd_done(&r) == -1 || len >= sizeof(reason)) {
			child_misbehaved(&m.broker, "bad KICK");
			return;
		}
		memcpy(reason, p, len);
		reason[len] = '\0';
		if ((s = session_by_id(im->session)) != NULL) {
			strlcpy(s->reason, reason, sizeof(s->reason));
			session_shutdown(s, reason);
		}
		break;
	case IMSG_M_LOG:
		log_from_child("broker", &m.broker.logq, im);
		break;
	default:
		child_misbehaved(&m.broker, "unexpected message");
		break;
	}
}

static void
handle_authd(const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*p;
	size_t		 len;
	uint8_t		 ok;

	rd_init(&r, im->data, im->len);
	switch (im->type) {
	case IMSG_M_RESULT:
		handle_auth_result(im);
		break;
	case IMSG_M_RELOADED:
		ok = rd_u8(&r);
		p = rd_str(&r, &len);
		if (rd_done(&r) == -1) {
			child_misbehaved(&m.authd, "bad RELOADED");
			return;
		}
		if (ok)
			log_info("users file %s: %.*s users", m.conf->usersfile,
			    (int)len, p);
		else
			log_warnx("users file %s: %.*s", m.conf->usersfile,
			    (int)len, p);
		m.authd.ready = 1;
		break;
	case IMSG_M_LOG:
		log_from_child("auth", &m.authd.logq, im);
		break;
	default:
		child_misbehaved(&m.authd, "unexpected message");
		break;
	}
}

/* ------------------------------------------------------------ reaping */

static void
broker_lost(void)
{
	struct session	*s;

	log_warnx("broker exited; ending all sessions and restarting it");
	ipc_clear(&m.broker.chan);
	m.broker.pid = 0;
	m.broker.ready = 0;
	TAILQ_FOREACH(s, &m.sessions, entry)
		session_shutdown(s, "chat service restarted");
}

static void
authd_lost(void)
{
	struct session	*s;

	log_warnx("password checker exited; restarting it");
	ipc_clear(&m.authd.chan);
	m.authd.pid = 0;
	m.authd.ready = 0;
	TAILQ_FOREACH(s, &m.sessions, entry) {
		if (s->state != S_AUTHPENDING)
			continue;
		m.auth_pending--;
		s->auth_req = 0;
		s->tries--;
		auth_reply_fail(s, AUTH_BUSY_REASON, 0);
	}
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d%s",
		    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (forbidden system call)" : "");
	else
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
}

static void
reap(void)
{
	struct session	*s;
	pid_t		 pid;
	int		 status;
	char		 why[128];

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == m.broker.pid || pid == m.authd.pid) {
			describe_exit(status, why, sizeof(why));
			log_warnx("%s (pid %ld): %s", pid == m.broker.pid ?
			    "broker" : "password checker", (long)pid, why);
			if (pid == m.broker.pid)
				broker_lost();
			else
				authd_lost();
			continue;
		}
		TAILQ_FOREACH(s, &m.sessions, entry)
			if (s->pid == pid)
				break;
		if (s == NULL)
			continue;
		if (s->reason[0] == '\0' || WIFSIGNALED(status)) {
			strlcpy(why, "worker ", sizeof(why));
			describe_exit(status, why + 7, sizeof(why) - 7);
			if (s->reason[0] != '\0') {
				strlcat(why, "; ", sizeof(why));
				strlcat(why, s->reason, sizeof(why));
			}
		} else
			strlcpy(why, s->reason, sizeof(why));
		if (s->state == S_ACTIVE)
			log_info("Disconnected %s from %s: %s", s->user, s->peer,
			    why);
		else
			log_info("Connection from %s closed before login: %s",
			    s->peer, why);
		session_free(s);
	}
}

/* ------------------------------------------------------------ reload */

static void
reload(void)
{
	struct config	 nc;
	char		 err[512];
	int		 ufd;

	if (config_load(&nc, m.opts->config_path, err, sizeof(err)) == -1)
		log_warnx("SIGHUP: %s; keeping the old configuration", err);
	else {
		/* Listeners, keys and the sandbox need a restart to change. */
		memcpy(nc.listen, m.conf->listen, sizeof(nc.listen));
		nc.nlisten = m.conf->nlisten;
		strlcpy(nc.port, m.conf->port, sizeof(nc.port));
		strlcpy(nc.hostkey, m.conf->hostkey, sizeof(nc.hostkey));
		strlcpy(nc.pidfile, m.conf->pidfile, sizeof(nc.pidfile));
		strlcpy(nc.privsep_user, m.conf->privsep_user,
		    sizeof(nc.privsep_user));
		strlcpy(nc.privsep_dir, m.conf->privsep_dir,
		    sizeof(nc.privsep_dir));
		*m.conf = nc;
		log_info("SIGHUP: configuration reloaded");
	}
	if (m.authd.pid != 0 && (ufd = open_users_file()) != -1 &&
	    ipc_compose(&m.authd.chan, IMSG_A_RELOAD, 0, ufd, NULL, 0) == -1)
		log_warnx("cannot ask the password checker to reload");
}

/* ------------------------------------------------------------ setup */

static void
bind_listeners(void)
{
	struct addrinfo	 hints, *res, *ai;
	int		 i, fd, on = 1, err;

	for (i = 0; i < m.conf->nlisten; i++) {
		const struct listen_addr *la = &m.conf->listen[i];
		const char *port = la->port[0] ? la->port : m.conf->port;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((err = getaddrinfo(la->host, port, &hints, &res)) != 0)
			fatalx("ListenAddress %s: %s", la->host, gai_strerror(err));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			struct sockaddr_storage	 ss;
			socklen_t		 sslen = sizeof(ss);
			char			 addr[INET6_ADDRSTRLEN], peer[PEER_NAME_MAX];

			if (m.nlisteners == MAX_LISTENERS)
				fatalx("too many listening addresses");
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd == -1) {
				/* No IPv6 on this host: skip ::1 quietly. */
				if (errno == EAFNOSUPPORT)
					continue;
				fatal("socket");
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
				    sizeof(on));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
				if (ai->ai_family == AF_INET6 &&
				    errno == EADDRNOTAVAIL) {
					close(fd);
					continue;
				}
				fatal("bind %s port %s", la->host, port);
			}
			if (listen(fd, 128) == -1)
				fatal("listen");
			getsockname(fd, (struct sockaddr *)&ss, &sslen);
			format_peer(&ss, addr, sizeof(addr), peer, sizeof(peer));
			log_info("listening on %s", peer);
			m.listeners[m.nlisteners++] = fd;
		}
		freeaddrinfo(res);
	}
	if (m.nlisteners == 0)
		fatalx("no address to listen on");
}

static void
load_host_key(void)
{
	char	 err[512], fpr[FINGERPRINT_LEN];

	if (access(m.conf->hostkey, F_OK) == -1 && errno == ENOENT) {
		if (keys_generate(m.conf->hostkey, "secchatd host key",
		    m.host_priv, m.host_pub, err, sizeof(err)) == -1)
			fatalx("%s", err);
		keys_fingerprint(m.host_pub, fpr);
		log_info("generated host key %s: %s", m.conf->hostkey, fpr);
		return;
	}
	if (keys_load(m.conf->hostkey, m.host_priv, m.host_pub, err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
	keys_fingerprint(m.host_pub, fpr);
	log_info("host key %s", fpr);
}

static void
write_pidfile(void)
{
	FILE	*f;

	if (strcmp(m.conf->pidfile, "none") == 0)
		return;
	if ((f = fopen(m.conf->pidfile, "we")) == NULL) {
		log_warn("pid file %s", m.conf->pidfile);
		return;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
}

/* ------------------------------------------------------------ main loop */

static void
drain(struct child *c, void (*fn)(const struct ipc_msg *))
{
	struct ipc_msg	 im;
	int		 r = 0;

	while (!c->killed && (r = ipc_get(&c->chan, &im)) == 1)
		fn(&im);
	if (!c->killed && r == -1)
		child_misbehaved(c, "malformed message");
}

static void
check_deadlines(void)
{
	struct session	*s;
	uint64_t	 now = mono_ms();
	int		 i;

	/* A worker that outlives the login grace time is cut off here too. */
	TAILQ_FOREACH(s, &m.sessions, entry)
		if (s->state != S_ACTIVE && !s->killed && now - s->start_ms >
		    (uint64_t)m.conf->login_grace * 1000 + GRACE_SLACK_MS)
			session_kill(s, "login grace time exceeded");
	for (i = 0; i < m.nlinger; i++) {
		if (now < m.linger[i].until)
			continue;
		close(m.linger[i].fd);
		m.linger[i--] = m.linger[--m.nlinger];
	}
	if (!m.shutting_down) {
		if (m.broker.pid == 0 && now - m.broker.started_ms >= RESTART_MIN_MS)
			start_broker();
		if (m.authd.pid == 0 && now - m.authd.started_ms >= RESTART_MIN_MS)
			start_authd();
	}
	if (!m.announced_ready && m.broker.ready && m.authd.ready) {
		m.announced_ready = 1;
		write_pidfile();
		log_info("ready");
	}
}

static void
begin_shutdown(void)
{
	struct session	*s;

	log_info("received SIGTERM; shutting down");
	m.shutting_down = 1;
	m.shutdown_deadline = mono_ms() + SHUTDOWN_WAIT_MS;
	TAILQ_FOREACH(s, &m.sessions, entry)
		session_shutdown(s, "server shutting down");
}

static void
finish_shutdown(void)
{
	struct session	*s;

	TAILQ_FOREACH(s, &m.sessions, entry)
		kill(s->pid, SIGKILL);
	if (m.broker.pid > 0)
		kill(m.broker.pid, SIGTERM);
	if (m.authd.pid > 0)
		kill(m.authd.pid, SIGTERM);
	while (waitpid(-1, NULL, 0) > 0)
		;
	if (strcmp(m.conf->pidfile, "none") != 0)
		unlink(m.conf->pidfile);
	sodium_memzero(m.host_priv, sizeof(m.host_priv));
	log_info("exiting");
}

#define PFD_SIG		0
#define PFD_BROKER	1
#define PFD_AUTHD	2
#define PFD_FIXED	3

static void
master_loop(void)
{
	struct pollfd	*pfd = NULL;
	struct session	**owner = NULL;
	size_t		 cap = 0, n, i, base, polled_linger;
	struct session	*s, *next;
	char		 drainbuf[256];
	int		 r;

	for (;;) {
		if (m.got_term && !m.shutting_down)
			begin_shutdown();
		if (m.shutting_down && (TAILQ_EMPTY(&m.sessions) ||
		    mono_ms() >= m.shutdown_deadline))
			break;
		if (m.got_hup) {
			m.got_hup = 0;
			reload();
		}
		if (m.got_chld) {
			m.got_chld = 0;
			reap();
		}
		check_deadlines();

		n = PFD_FIXED + (size_t)m.nlisteners + (size_t)m.nlinger +
		    m.nsessions;
		if (n > cap) {
			cap = n + 64;
			if ((pfd = reallocarray(pfd, cap, sizeof(*pfd))) == NULL ||
			    (owner = reallocarray(owner, cap, sizeof(*owner))) == NULL)
				fatal("reallocarray");
		}
		memset(pfd, 0, n * sizeof(*pfd));
		pfd[PFD_SIG].fd = m.sigpipe[0];
		pfd[PFD_SIG].events = POLLIN;
		pfd[PFD_BROKER].fd = m.broker.pid && !m.broker.chan.eof ?
		    m.broker.chan.fd : -1;
		pfd[PFD_BROKER].events = POLLIN |
		    (m.broker.pid && ipc_pending(&m.broker.chan) ? POLLOUT : 0);
		pfd[PFD_AUTHD].fd = m.authd.pid && !m.authd.chan.eof ?
		    m.authd.chan.fd : -1;
		pfd[PFD_AUTHD].events = POLLIN |
		    (m.authd.pid && ipc_pending(&m.authd.chan) ? POLLOUT : 0);
		base = PFD_FIXED;
		for (i = 0; i < (size_t)m.nlisteners; i++) {
			pfd[base + i].fd = m.shutting_down ? -1 : m.listeners[i];
			pfd[base + i].events = POLLIN;
		}
		base += (size_t)m.nlisteners;
		for (i = 0; i < (size_t)m.nlinger; i++) {
			pfd[base + i].fd = m.linger[i].fd;
			pfd[base + i].events = POLLIN;
		}
		base += (size_t)m.nlinger;
		polled_linger = (size_t)m.nlinger;
		i = base;
		TAILQ_FOREACH(s, &m.sessions, entry) {
			pfd[i].fd = s->chan.eof ? -1 : s->chan.fd;
			pfd[i].events = POLLIN |
			    (ipc_pending(&s->chan) ? POLLOUT : 0);
			owner[i++] = s;
		}

		r = poll(pfd, n, 1000);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[PFD_SIG].revents & POLLIN)
			while (read(m.sigpipe[0], drainbuf, sizeof(drainbuf)) > 0)
				;
		if (m.broker.pid && pfd[PFD_BROKER].revents & (POLLIN | POLLHUP)) {
			if (ipc_read(&m.broker.chan) <= 0) {
				/* Its exit is handled when it is reaped. */
				kill(m.broker.pid, SIGKILL);
			} else
				drain(&m.broker, handle_broker);
		}
		if (m.broker.pid && pfd[PFD_BROKER].revents & POLLOUT)
			(void)ipc_flush(&m.broker.chan);
		if (m.authd.pid && pfd[PFD_AUTHD].revents & (POLLIN | POLLHUP)) {
			if (ipc_read(&m.authd.chan) <= 0)
				kill(m.authd.pid, SIGKILL);
			else
				drain(&m.authd, handle_authd);
		}
		if (m.authd.pid && pfd[PFD_AUTHD].revents & POLLOUT)
			(void)ipc_flush(&m.authd.chan);
		for (i = 0; i < (size_t)m.nlisteners; i++)
			if (pfd[PFD_FIXED + i].revents & POLLIN)
				for (int k = 0; k < ACCEPT_BATCH; k++) {
					unsigned before = m.nsessions;
					int nl = m.nlinger;

					accept_one(m.listeners[i]);
					if (m.nsessions == before &&
					    m.nlinger == nl)
						break;	/* nothing more to take */
				}
		for (i = 0; i < polled_linger; i++) {
			size_t	 k = PFD_FIXED + (size_t)m.nlisteners + i;

			if (pfd[k].fd == m.linger[i].fd &&
			    pfd[k].revents & (POLLIN | POLLHUP | POLLERR) &&
			    read(m.linger[i].fd, drainbuf, sizeof(drainbuf)) <= 0)
				m.linger[i].until = 0;
		}
		for (i = base; i < n; i++) {
			s = owner[i];
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				if (ipc_read(&s->chan) <= 0) {
					/* Reaped on SIGCHLD; stop polling it. */
					if (!s->chan.eof)
						session_kill(s, "channel error");
					continue;
				}
				{
					struct ipc_msg	 im;

					while (!s->killed &&
					    (r = ipc_get(&s->chan, &im)) == 1)
						handle_worker(s, &im);
					if (r == -1)
						session_kill(s, "malformed message");
				}
			}
		}
		/*
		 * Flush what the handlers queued.  A worker's channel carries
		 * a few messages in its life: between them, its buffers are
		 * given back.
		 */
		TAILQ_FOREACH_SAFE(s, &m.sessions, entry, next) {
			if (ipc_pending(&s->chan) && ipc_flush(&s->chan) == -1)
				session_kill(s, "channel write error");
			else
				ipc_trim(&s->chan);
		}
		if (m.broker.pid && ipc_pending(&m.broker.chan))
			(void)ipc_flush(&m.broker.chan);
		if (m.authd.pid && ipc_pending(&m.authd.chan))
			(void)ipc_flush(&m.authd.chan);
	}
	free(pfd);
	free(owner);
}

int
master_main(struct config *conf, const struct master_opts *opts)
{
	m.conf = conf;
	m.opts = opts;
	TAILQ_INIT(&m.sessions);
	throttle_init(&m.throttle, 4096, (uint64_t)conf->auth_fail_window * 1000);
	if ((m.devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	/* Checked once, here, where a mistake stops the start. */
	if (geteuid() == 0 && sandbox_lookup_user(conf->privsep_user,
	    &m.privsep_uid, &m.privsep_gid) == -1)
		fatalx("PrivsepUser %s does not exist or is root",
		    conf->privsep_user);
	load_host_key();
	bind_listeners();
	if (!opts->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	/* Until here errors went to the terminal; now to syslog unless -e. */
	log_init(opts->log_stderr, opts->verbose, "secchatd");
	setup_signals();
	setproctitle("master");
	m.broker.started_ms = m.authd.started_ms = mono_ms();
	if (start_broker() == -1 || start_authd() == -1)
		fatalx("cannot start the broker and the password checker");
	master_loop();
	finish_shutdown();
	return 0;
}
