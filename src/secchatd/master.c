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
#include <sys/resource.h>
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
#define ACCEPT_BACKOFF_MS	1000	/* listeners rest after EMFILE */
#define PING_INTERVAL_MS	10000	/* liveness of the broker, the checker */
#define PING_TIMEOUT_MS		30000	/* longer than the slowest hash check */
#define AUTHD_CHAN_MAX		(64 * 1024)	/* one check and a reload */
#define CHILD_ERR_LINE		512	/* children's stderr, a line at most */
#define CONN_LOG_BURST		20	/* per-connection lines a second */
#define FD_RESERVE		32	/* the master's own descriptors */
#define FD_PER_ACCEPT		5	/* held for a moment while spawning */
#define AUTH_BUSY_REASON	"server busy; try again"
#define AUTH_FAIL_REASON	"invalid user name or password"
#define AUTH_THROTTLED_REASON	"too many failed logins; try again later"
#define AUTH_USER_FULL_REASON	"too many sessions for this user"

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
	char			 source[INET6_ADDRSTRLEN + 4];	/* net block */
	char			 peer[PEER_NAME_MAX];
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 fpr[FINGERPRINT_LEN];
	char			 reason[128];
	uint64_t		 start_ms;
	int			 killed;
	int			 worker_reason;	/* reason came from the worker */
	struct logquota		 logq;
};
TAILQ_HEAD(sessionlist, session);

/*
 * A password check waiting for the checker.  The checker is handed one at
 * a time, so a check whose connection has closed meanwhile is dropped
 * here instead of being worked on, and the master's channel to it never
 * holds more than one.
 */
struct authcheck {
	TAILQ_ENTRY(authcheck)	 entry;
	uint32_t		 session;
	uint32_t		 req;
	char			 source[INET6_ADDRSTRLEN + 4];
	char			 user[SECCHAT_NAME_MAX + 16];
	char			 peer[PEER_NAME_MAX];
	struct buf		 msg;	/* u32 req, str user, str password */
};
TAILQ_HEAD(authqueue, authcheck);

struct child {
	pid_t		 pid;
	struct ipc_peer	 chan;
	int		 ready;
	int		 killed;
	uint64_t	 started_ms;
	struct logquota	 logq;
	uint32_t	 ping_token;	/* outstanding, or 0 */
	uint64_t	 ping_ms;	/* when it was sent, or the last answer */
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
	unsigned		 nstartups;	/* sessions not logged in yet */
	uint32_t		 next_id;
	uint32_t		 last_id;	/* ids wrap after it */
	int			 ids_wrapped;
	uint32_t		 next_req;
	struct authqueue	 authq;		/* not yet at the checker */
	struct authcheck	*auth_current;	/* at the checker */
	unsigned		 auth_pending;	/* queued and at the checker */
	uint32_t		 next_ping;
	struct child		 broker, authd;
	struct throttle		 throttle;
	struct throttle		 connrate;
	struct logquota		 connlogq, acceptlogq;
	uint64_t		 accept_resume_ms;
	unsigned		 max_sessions;	/* MaxSessions, within the fd limit */
	unsigned		 started_max_sessions;	/* the most, until restart */
	int			 errpipe[2];	/* children's stderr */
	char			 errline[CHILD_ERR_LINE];
	size_t			 errlen;
	struct logquota		 errlogq;
	struct lingerer		 linger[MAX_LINGER];
	int			 nlinger;
	int			 sigpipe[2];
	int			 devnull;
	volatile sig_atomic_t	 got_term, got_hup, got_chld;
	volatile sig_atomic_t	 term_signal;
	int			 shutting_down;
	uint64_t		 shutdown_deadline;
	int			 announced_ready;
} m;

static void	session_free(struct session *);
static void	authq_abandon(struct session *);
static void	fit_descriptor_limit(void);
static void	connrate_init(void);
static void	read_child_stderr(void);

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
		m.term_signal = sig;
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
 * setproctitle(3) writes the title over the process's arguments and
 * environment: a child's are short, so it gets a last argument of blanks
 * to make room for "worker [address port N] user".
 */
#define TITLE_ROOM	128
static char	title_room[TITLE_ROOM + 1];

/*
 * Fork and re-execute ourselves in a role.  fds[i] becomes descriptor
 * CHILD_FD_FIRST + i; everything else is closed.  A fresh exec gives every
 * child its own address-space layout.
 *
 * Descriptors 0 and 1 are /dev/null and 2 is the pipe the master reads:
 * what the C library or a sanitizer writes there is logged as a child's
 * text, and never reaches a client's socket or the master's own log.
 */
static pid_t
spawn(const char *role, const int *fds, int nfds)
{
	char		*argv[8], *envp[CHILD_ENV_MAX + 1];
	int		 i, argc = 0, high[4], nullfd, errfd;
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
	/*
	 * Child.  Move every descriptor it keeps above the slots they go to
	 * first, then into place: one of them may sit where another must go.
	 */
	for (i = 0; i < nfds; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, CHILD_FD_FIRST + nfds)) == -1)
			_exit(127);
	if ((nullfd = fcntl(m.devnull, F_DUPFD, CHILD_FD_FIRST + nfds)) == -1 ||
	    (errfd = fcntl(m.errpipe[1], F_DUPFD, CHILD_FD_FIRST + nfds)) == -1)
		_exit(127);
	for (i = 0; i < nfds; i++)
		if (dup2(high[i], CHILD_FD_FIRST + i) == -1)
			_exit(127);
	if (dup2(nullfd, STDIN_FILENO) == -1 ||
	    dup2(nullfd, STDOUT_FILENO) == -1 ||
	    dup2(errfd, STDERR_FILENO) == -1)
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
	argv[argc++] = (char *)"--";
	argv[argc++] = title_room;
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
	/* One check at a time, a reload, a ping: it never holds more. */
	ipc_init(&m.authd.chan, sp[0], "auth", AUTHD_CHAN_MAX);
	m.authd.started_ms = m.authd.ping_ms = mono_ms();
	m.authd.ready = 0;
	m.authd.killed = 0;
	m.authd.ping_token = 0;
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
	m.broker.started_ms = m.broker.ping_ms = mono_ms();
	m.broker.ready = 0;
	m.broker.killed = 0;
	m.broker.ping_token = 0;
	memset(&bi, 0, sizeof(bi));
	bi.history = m.conf->history;
	bi.send_queue = m.conf->send_queue;
	bi.max_rooms = m.conf->max_rooms;
	bi.max_message = m.conf->max_message;
	bi.max_sessions = m.max_sessions;
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

/* ------------------------------------------------------------ log quotas */

/*
 * At most limit lines a second from one source of lines: a sandboxed child
 * taken over by an attacker, or a flood of connections, must not be able
 * to flood the system log.  What was held back is counted in one line.
 */
static int
log_allowed(struct logquota *q, const char *who, unsigned limit)
{
	uint64_t	 now = mono_ms();

	if (now - q->window_ms >= 1000) {
		if (q->dropped > 0)
			log_warnx("%s: %u log lines suppressed", who, q->dropped);
		q->window_ms = now;
		q->lines = 0;
		q->dropped = 0;
	}
	if (q->lines >= limit) {
		q->dropped++;
		return 0;
	}
	q->lines++;
	return 1;
}

/*
 * A line about one connection: these come at the rate connections do.
 * (Failed logins are always logged: the throttle already bounds them.)
 */
#define log_conn(...)	do {						\
	if (log_allowed(&m.connlogq, "connections", CONN_LOG_BURST))	\
		log_info(__VA_ARGS__);					\
} while (0)

/* ------------------------------------------------------------ liveness */

/*
 * The broker and the checker answer a ping within PING_TIMEOUT_MS, or are
 * killed and restarted: a child that stopped (SIGSTOP, a deadlock) would
 * otherwise freeze the service while looking alive to waitpid().
 */
static uint64_t	ping_interval_ms = PING_INTERVAL_MS;
static uint64_t	ping_timeout_ms = PING_TIMEOUT_MS;

static void
child_ping(struct child *c, uint16_t type, uint64_t now)
{
	uint8_t	 token[4];

	if (c->pid <= 0 || c->killed || !c->ready)
		return;
	if (c->ping_token != 0) {
		if (now - c->ping_ms >= ping_timeout_ms)
			child_misbehaved(c, "no answer to a liveness check");
		return;
	}
	if (now - c->ping_ms < ping_interval_ms)
		return;
	if (++m.next_ping == 0)
		m.next_ping = 1;
	put_u32(token, m.next_ping);
	if (ipc_compose(&c->chan, type, 0, -1, token, sizeof(token)) == 0) {
		c->ping_token = m.next_ping;
		c->ping_ms = now;
	}
}

static void
child_pong(struct child *c, const struct ipc_msg *im)
{
	if (im->len != 4 || c->ping_token == 0 ||
	    get_u32(im->data) != c->ping_token) {
		child_misbehaved(c, "bad PONG");
		return;
	}
	c->ping_token = 0;
	c->ping_ms = mono_ms();
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
	if (s->state != S_ACTIVE)
		m.nstartups--;
	if (s->state == S_AUTHPENDING)
		authq_abandon(s);
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

	log_conn("refused connection from %s: %s", peer, reason);
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

/*
 * Session ids are 32 bits: after they wrap around, an id still in use is
 * skipped, so that no message can be taken for another session's.  Of
 * nsessions + 1 ids in a row one is free; 0 if none is (never, with 2^32).
 */
static uint32_t
session_id_new(void)
{
	unsigned	 tries;

	for (tries = 0; tries <= m.nsessions; tries++) {
		if (m.next_id >= m.last_id) {
			m.next_id = 0;
			m.ids_wrapped = 1;
		}
		m.next_id++;
		if (!m.ids_wrapped || session_by_id(m.next_id) == NULL)
			return m.next_id;
	}
	return 0;
}

static void
new_session(int cfd, const char *addr, const char *source, const char *peer)
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
	if ((s->id = session_id_new()) == 0) {
		close(mp[0]);
		close(mp[1]);
		close(bp[0]);
		close(bp[1]);
		free(s);
		refuse(cfd, peer, "server full");
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
	s->state = S_PREAUTH;
	s->start_ms = mono_ms();
	strlcpy(s->addr, addr, sizeof(s->addr));
	strlcpy(s->source, source, sizeof(s->source));
	strlcpy(s->peer, peer, sizeof(s->peer));
	snprintf(s->chan_name, sizeof(s->chan_name), "worker %u", s->id);
	set_nonblock(mp[0]);
	ipc_init(&s->chan, mp[0], s->chan_name, 0);
	/* Workers send the master a few small messages: keep them cheap. */
	ipc_set_read_chunk(&s->chan, 2048);
	TAILQ_INSERT_TAIL(&m.sessions, s, entry);
	m.nsessions++;
	m.nstartups++;

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

/*
 * The net block an address belongs to (PerSourceNetBlockSize): one host
 * with IPv6 holds a whole /64, so counting per address would count nothing.
 */
static void
source_block(const struct sockaddr_storage *ss, char *out, size_t outlen)
{
	char		 a[INET6_ADDRSTRLEN];
	unsigned	 bits, i, keep;

	if (ss->ss_family == AF_INET) {
		struct in_addr	 in = ((const struct sockaddr_in *)
				    (const void *)ss)->sin_addr;

		bits = m.conf->netblock[0];
		in.s_addr &= bits == 0 ? 0 : htonl(0xffffffffU << (32 - bits));
		inet_ntop(AF_INET, &in, a, sizeof(a));
	} else if (ss->ss_family == AF_INET6) {
		struct in6_addr	 in6 = ((const struct sockaddr_in6 *)
				    (const void *)ss)->sin6_addr;

		bits = m.conf->netblock[1];
		for (i = 0; i < 16; i++) {
			keep = bits > 8 * i ? bits - 8 * i : 0;
			if (keep < 8)
				in6.s6_addr[i] &= (uint8_t)(0xff00 >> keep);
		}
		inet_ntop(AF_INET6, &in6, a, sizeof(a));
	} else {
		strlcpy(out, "unknown", outlen);
		return;
	}
	snprintf(out, outlen, "%s/%u", a, bits);
}

/*
 * sshd's MaxStartups: from start unauthenticated sessions on, refuse a new
 * connection with a chance of rate percent, rising to 100 at full.
 */
static int
startups_drop(void)
{
	unsigned	 start = m.conf->startups[0], rate = m.conf->startups[1];
	unsigned	 full = m.conf->startups[2], n = m.nstartups, p;

	if (n >= full)
		return 1;
	if (n < start)
		return 0;
	p = rate + (100 - rate) * (n - start) / (full - start);
	return randombytes_uniform(100) < p;
}

/*
 * Out of descriptors: accepting again at once would fail again and spin,
 * so the listeners rest for a while, as sshd's do, and say so once.
 */
static void
accept_backoff(void)
{
	int	 saved = errno;

	m.accept_resume_ms = mono_ms() + ACCEPT_BACKOFF_MS;
	errno = saved;
	if (log_allowed(&m.acceptlogq, "accept", 1))
		log_warn("accept (not accepting for %d ms)", ACCEPT_BACKOFF_MS);
}

/* Returns 1 if a connection was taken (and maybe refused), else 0. */
static int
accept_one(int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	char			 addr[INET6_ADDRSTRLEN], peer[PEER_NAME_MAX];
	char			 source[INET6_ADDRSTRLEN + 4];
	int			 cfd;

	memset(&ss, 0, sizeof(ss));
	cfd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
			break;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			accept_backoff();
			break;
		default:
			if (log_allowed(&m.acceptlogq, "accept", 1))
				log_warn("accept");
			break;
		}
		return 0;
	}
	format_peer(&ss, addr, sizeof(addr), peer, sizeof(peer));
	source_block(&ss, source, sizeof(source));
	if (m.shutting_down)
		refuse(cfd, peer, "server shutting down");
	else if (!m.broker.ready || !m.authd.ready)
		refuse(cfd, peer, "server starting; try again");
	else if (m.nsessions >= m.max_sessions)
		refuse(cfd, peer, "server full");
	else if (sessions_from(addr) >= m.conf->max_per_source)
		refuse(cfd, peer, "too many connections from your address");
	else if (!throttle_admit(&m.connrate, source, mono_ms(),
	    m.conf->conn_rate[0], m.conf->conn_rate[1]))
		refuse(cfd, peer, "too many connections from your address; "
		    "try again later");
	else if (startups_drop())
		refuse(cfd, peer, "server busy; try again");
	else
		new_session(cfd, addr, source, peer);
	return 1;
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
	/* The worker closes after a final refusal: say why when it is reaped. */
	if (left == 0) {
		strlcpy(s->reason, reason, sizeof(s->reason));
		s->worker_reason = 0;
	}
	buf_init(&b, 0);
	buf_put_u8(&b, (uint8_t)left);
	buf_put_u8(&b, left == 0 ? 1 : 0);
	buf_put_str(&b, reason, strlen(reason));
	if (ipc_composev(&s->chan, IMSG_W_AUTH_FAIL, s->id, &b) == -1)
		session_kill(s, "cannot queue AUTH_FAIL");
	buf_free(&b);
	s->state = S_PREAUTH;
}

/* The throttle's keys for a source, an account, and the two together. */
struct throttle_keys {
	char	 source[THROTTLE_KEY_MAX];
	char	 user[THROTTLE_KEY_MAX];
	char	 pair[THROTTLE_KEY_MAX];
};

static void
throttle_keys(struct throttle_keys *k, const char *source, const char *user)
{
	snprintf(k->source, sizeof(k->source), "a:%s", source);
	snprintf(k->user, sizeof(k->user), "u:%s", user);
	snprintf(k->pair, sizeof(k->pair), "p:%s %s", source, user);
}

/* Checks queued or at the checker: from a source, for a user, for both. */
struct pending_counts {
	unsigned	 source, user, pair;
};

static void
pending_add(const struct authcheck *c, const char *source, const char *user,
    struct pending_counts *n)
{
	int	 same_source = strcmp(c->source, source) == 0;
	int	 same_user = strcmp(c->user, user) == 0;

	n->source += same_source;
	n->user += same_user;
	n->pair += same_source && same_user;
}

static void
pending_count(const char *source, const char *user, struct pending_counts *n)
{
	struct authcheck	*c;

	memset(n, 0, sizeof(*n));
	if (m.auth_current != NULL)
		pending_add(m.auth_current, source, user, n);
	TAILQ_FOREACH(c, &m.authq, entry)
		pending_add(c, source, user, n);
}

/*
 * A source may fail MaxAuthFailuresPerSource times in a window, at any
 * accounts.  Once an account has drawn twice that many failures from
 * anywhere, each source gets only MaxAuthTries failures at that account:
 * a guesser spread over many addresses gains little from each, while the
 * account's own user, who mistyped once or twice, still gets in with the
 * right password.
 *
 * Attempts are counted when they are made (count_attempt).  Without the
 * ones still waiting for the checker (with_pending 0) the counts are the
 * failures: past a limit, the answer is "too many failed logins", final.
 * With them, the counts say whether one more check could go past a limit
 * once they are answered: then the answer is "server busy", so that many
 * users behind one address logging in at once are held back, not refused
 * as guessers, and no more checks are made than the limits allow.
 */
/* a - b, or 0: an entry evicted from a full table counts fewer. */
static unsigned
less(unsigned a, unsigned b)
{
	return a > b ? a - b : 0;
}

static int
throttled(const char *source, const char *user, int with_pending)
{
	struct throttle_keys	 k;
	struct pending_counts	 p;
	uint64_t		 now = mono_ms();

	throttle_keys(&k, source, user);
	if (with_pending)
		memset(&p, 0, sizeof(p));
	else
		pending_count(source, user, &p);
	if (less(throttle_count(&m.throttle, k.source, now), p.source) >=
	    m.conf->auth_fail_limit)
		return 1;
	if (less(throttle_count(&m.throttle, k.user, now), p.user) <
	    2 * m.conf->auth_fail_limit)
		return 0;
	return less(throttle_count(&m.throttle, k.pair, now), p.pair) >=
	    m.conf->max_auth_tries;
}

/*
 * An attempt counts as a failure from the moment it is made, and one that
 * succeeds is taken back: attempts whose connection closes before the
 * answer still count, and simultaneous first attempts cannot all pass the
 * check before any is recorded.
 */
static void
count_attempt(const char *source, const char *user, int succeeded)
{
	struct throttle_keys	 k;
	uint64_t		 now = mono_ms();

	throttle_keys(&k, source, user);
	if (succeeded) {
		throttle_unfail(&m.throttle, k.source, now);
		throttle_unfail(&m.throttle, k.user, now);
		throttle_unfail(&m.throttle, k.pair, now);
	} else {
		throttle_fail(&m.throttle, k.source, now);
		throttle_fail(&m.throttle, k.user, now);
		throttle_fail(&m.throttle, k.pair, now);
	}
}

static unsigned
user_sessions(const char *user)
{
	struct session	*s;
	unsigned	 n = 0;

	TAILQ_FOREACH(s, &m.sessions, entry)
		if (s->state == S_ACTIVE && strcmp(s->user, user) == 0)
			n++;
	return n;
}

static void
authcheck_free(struct authcheck *c)
{
	buf_free(&c->msg);	/* wipes the password */
	free(c);
	m.auth_pending--;
}

/* Hand the checker the next check, if it has none. */
static void
authq_dispatch(void)
{
	struct authcheck	*c;

	if (m.auth_current != NULL || m.authd.pid <= 0 || m.authd.killed ||
	    !m.authd.ready || (c = TAILQ_FIRST(&m.authq)) == NULL)
		return;
	if (ipc_composev(&m.authd.chan, IMSG_A_CHECK, c->session,
	    &c->msg) == -1)
		return;		/* the channel is full: next turn */
	TAILQ_REMOVE(&m.authq, c, entry);
	buf_free(&c->msg);
	m.auth_current = c;
}

/*
 * A session waiting for its check went away.  A check not yet handed to
 * the checker is dropped; it has been counted as a failure already.  The
 * one at the checker is answered, and accounted for, when it returns.
 */
static void
authq_abandon(struct session *s)
{
	struct authcheck	*c;

	TAILQ_FOREACH(c, &m.authq, entry)
		if (c->session == s->id)
			break;
	if (c == NULL)
		return;
	log_info("Failed login for %s from %s: connection closed before "
	    "the password was checked", s->user, s->peer);
	TAILQ_REMOVE(&m.authq, c, entry);
	authcheck_free(c);
}

static void
handle_auth(struct session *s, struct reader *r)
{
	struct authcheck	*c;
	struct pending_counts	 pending;
	const uint8_t		*key, *user, *pw;
	size_t			 ulen, pwlen;

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
	pending_count(s->source, s->user, &pending);
	if (throttled(s->source, s->user, 0)) {
		log_conn("throttled login for %s from %s", s->user, s->peer);
		auth_reply_fail(s, AUTH_THROTTLED_REASON, 1);
		return;
	}
	if (m.auth_pending >= m.conf->max_auth_pending || !m.authd.ready ||
	    pending.source >= m.conf->max_auth_pending_source ||
	    throttled(s->source, s->user, 1) ||
	    (c = calloc(1, sizeof(*c))) == NULL) {
		log_conn("throttled login for %s from %s: too many password "
		    "checks waiting", s->user, s->peer);
		s->tries--;
		auth_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	if (++m.next_req == 0)
		m.next_req = 1;
	c->session = s->id;
	c->req = s->auth_req = m.next_req;
	strlcpy(c->source, s->source, sizeof(c->source));
	strlcpy(c->user, s->user, sizeof(c->user));
	strlcpy(c->peer, s->peer, sizeof(c->peer));
	buf_init(&c->msg, 0);
	if (buf_put_u32(&c->msg, c->req) == -1 ||
	    buf_put_str(&c->msg, user, ulen) == -1 ||
	    buf_put_str(&c->msg, pw, pwlen) == -1) {
		buf_free(&c->msg);
		free(c);
		s->tries--;
		auth_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	TAILQ_INSERT_TAIL(&m.authq, c, entry);
	m.auth_pending++;
	count_attempt(s->source, s->user, 0);
	s->state = S_AUTHPENDING;
	authq_dispatch();
}

static void
handle_auth_result(const struct ipc_msg *im)
{
	struct reader		 r;
	struct session		*s;
	struct authcheck	*c = m.auth_current;
	uint32_t		 req;
	uint8_t			 ok;

	rd_init(&r, im->data, im->len);
	req = rd_u32(&r);
	ok = rd_u8(&r);
	if (rd_done(&r) == -1 || ok > 1 || c == NULL || c->req != req ||
	    c->session != im->session) {
		child_misbehaved(&m.authd, "bad RESULT");
		return;
	}
	m.auth_current = NULL;
	if ((s = session_by_id(c->session)) == NULL ||
	    s->state != S_AUTHPENDING || s->auth_req != req) {
		/*
		 * Its connection closed while the checker worked on it.  The
		 * attempt stays counted, even with the right password: a
		 * connection reset must not be a way to guess for free.
		 */
		log_info("%s login for %s from %s: connection closed before "
		    "the answer", ok ? "Abandoned" : "Failed", c->user,
		    c->peer);
		authcheck_free(c);
		authq_dispatch();
		return;
	}
	authcheck_free(c);
	s->auth_req = 0;
	if (ok && valid_username(s->user, strlen(s->user))) {
		count_attempt(s->source, s->user, 1);
		if (user_sessions(s->user) >= m.conf->max_per_user) {
			log_info("refused login for %s from %s: %s", s->user,
			    s->peer, AUTH_USER_FULL_REASON);
			auth_reply_fail(s, AUTH_USER_FULL_REASON, 1);
		} else {
			s->state = S_ACTIVE;
			m.nstartups--;
			log_info("Accepted login for %s from %s key %s",
			    s->user, s->peer, s->fpr);
			send_str(&m.broker.chan, IMSG_B_LOGIN, s->id, s->user);
		}
	} else {
		log_info("Failed login for %s from %s key %s", s->user,
		    s->peer, s->fpr);
		auth_reply_fail(s, AUTH_FAIL_REASON, 0);
	}
	authq_dispatch();
}

/* ------------------------------------------------------------ messages */

static void
log_from_child(const char *who, struct logquota *q, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 len;
	uint8_t		 pri;
	char		 line[1024];

	if (!log_allowed(q, who, LOG_BURST))
		return;
	rd_init(&r, im->data, im->len);
	pri = rd_u8(&r);
	s = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len >= sizeof(line))
		return;
	/* A child's line is data: only printable UTF-8 reaches the log. */
	printable_text(line, sizeof(line), s, len);
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
		/* The master's own reason, when it ended the session, wins. */
		if (s->reason[0] != '\0' && !s->worker_reason)
			break;
		printable_text(s->reason, sizeof(s->reason), p, len);
		s->worker_reason = 1;
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
	case IMSG_M_BROKER_PONG:
		child_pong(&m.broker, im);
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
			log_info("users file %s: %.*s user%s", m.conf->usersfile,
			    (int)len, p, len == 1 && p[0] == '1' ? "" : "s");
		else
			log_warnx("users file %s: %.*s", m.conf->usersfile,
			    (int)len, p);
		m.authd.ready = 1;
		break;
	case IMSG_M_AUTHD_PONG:
		child_pong(&m.authd, im);
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
	struct session		*s;
	struct authcheck	*c;

	log_warnx("password checker exited; restarting it");
	ipc_clear(&m.authd.chan);
	m.authd.pid = 0;
	m.authd.ready = 0;
	/*
	 * The check it was working on is lost, through no fault of the
	 * session's: it may try again.  The queued ones wait for the new
	 * checker.
	 */
	if ((c = m.auth_current) != NULL) {
		m.auth_current = NULL;
		count_attempt(c->source, c->user, 1);
		if ((s = session_by_id(c->session)) != NULL &&
		    s->state == S_AUTHPENDING && s->auth_req == c->req) {
			s->auth_req = 0;
			s->tries--;
			auth_reply_fail(s, AUTH_BUSY_REASON, 0);
		}
		authcheck_free(c);
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
	char		 why[192];

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
		} else if (s->worker_reason)
			/* The worker's words, marked as such. */
			snprintf(why, sizeof(why), "worker: %s", s->reason);
		else
			strlcpy(why, s->reason, sizeof(why));
		if (s->state == S_ACTIVE)
			log_info("Disconnected %s from %s: %s", s->user, s->peer,
			    why);
		else
			log_conn("Connection from %s closed before login: %s",
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
		/*
		 * The broker's descriptor and memory limits were sized from
		 * MaxSessions when it started: more takes a restart.
		 */
		if (nc.max_sessions > m.started_max_sessions) {
			log_warnx("SIGHUP: MaxSessions %u is more than at "
			    "start; %u until a restart", nc.max_sessions,
			    m.started_max_sessions);
			nc.max_sessions = m.started_max_sessions;
		}
		*m.conf = nc;
		fit_descriptor_limit();
		connrate_init();
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

/*
 * Written as root, possibly in a directory someone else can write to: a
 * symbolic or hard link planted there must not make us write through it.
 */
static void
write_pidfile(void)
{
	struct stat	 st;
	char		 line[32];
	int		 fd, n;

	if (strcmp(m.conf->pidfile, "none") == 0)
		return;
	if ((fd = open(m.conf->pidfile, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0644)) == -1) {
		log_warn("pid file %s", m.conf->pidfile);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != geteuid()) {
		log_warnx("pid file %s: not a regular file of ours with one "
		    "link; not written", m.conf->pidfile);
		close(fd);
		return;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write_full(fd, line, (size_t)n) == -1)
		log_warn("pid file %s", m.conf->pidfile);
	close(fd);
}

/*
 * Every session costs the master one descriptor, and an accept a few more
 * for a moment.  The soft limit is raised to the hard one, and a
 * MaxSessions that the limit cannot cover is lowered to what it can, so
 * the master never runs out of descriptors for its own work.
 */
static void
fit_descriptor_limit(void)
{
	struct rlimit	 rl;
	rlim_t		 overhead, need;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		fatal("getrlimit");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1 ||
		    getrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit");
	}
	overhead = FD_RESERVE + MAX_LINGER + FD_PER_ACCEPT +
	    (rlim_t)m.nlisteners;
	need = overhead + m.conf->max_sessions;
	m.max_sessions = m.conf->max_sessions;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	if (rl.rlim_cur <= overhead)
		fatalx("the descriptor limit (%llu) is too low to serve anyone",
		    (unsigned long long)rl.rlim_cur);
	m.max_sessions = (unsigned)(rl.rlim_cur - overhead);
	log_warnx("MaxSessions %u needs %llu descriptors but the limit is "
	    "%llu: serving at most %u sessions", m.conf->max_sessions,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    m.max_sessions);
}

static void
connrate_init(void)
{
	uint64_t	 drain_ms = 0;

	throttle_free(&m.connrate);
	if (m.conf->conn_rate[0] > 0)
		drain_ms = ((uint64_t)m.conf->conn_rate[1] * 1000 +
		    m.conf->conn_rate[0] - 1) / m.conf->conn_rate[0];
	throttle_init(&m.connrate, 4096, drain_ms);
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
	child_ping(&m.broker, IMSG_B_PING, now);
	child_ping(&m.authd, IMSG_A_PING, now);
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

	log_info("received %s; shutting down",
	    m.term_signal == SIGINT ? "SIGINT" : "SIGTERM");
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
#define PFD_STDERR	3
#define PFD_FIXED	4

static void
master_loop(void)
{
	struct pollfd	*pfd = NULL;
	struct session	**owner = NULL;
	size_t		 cap = 0, n, i, base, polled_linger;
	struct session	*s, *next;
	char		 drainbuf[256];
	int		 r, listening;

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
		pfd[PFD_STDERR].fd = m.errpipe[0];
		pfd[PFD_STDERR].events = POLLIN;
		base = PFD_FIXED;
		listening = !m.shutting_down && mono_ms() >= m.accept_resume_ms;
		for (i = 0; i < (size_t)m.nlisteners; i++) {
			pfd[base + i].fd = listening ? m.listeners[i] : -1;
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

		r = poll(pfd, n, listening ? 1000 : ACCEPT_BACKOFF_MS / 4);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[PFD_SIG].revents & POLLIN)
			while (read(m.sigpipe[0], drainbuf, sizeof(drainbuf)) > 0)
				;
		if (pfd[PFD_STDERR].revents & (POLLIN | POLLHUP))
			read_child_stderr();
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
				for (int k = 0; k < ACCEPT_BATCH &&
				    mono_ms() >= m.accept_resume_ms; k++)
					if (!accept_one(m.listeners[i]))
						break;	/* nothing more to take */
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
		authq_dispatch();
		if (m.authd.pid && ipc_pending(&m.authd.chan))
			(void)ipc_flush(&m.authd.chan);
	}
	free(pfd);
	free(owner);
}

#ifdef SECCHAT_TEST_HOOKS
/*
 * Test builds only: shorten the liveness check, make session ids wrap
 * after a few, and lower the descriptor limit below what MaxSessions
 * was fitted to, so the tests can reach these paths in seconds.
 */
static void
master_test_hooks(void)
{
	struct rlimit	 rl;
	const char	*v, *errstr;
	long long	 n;

	if ((v = getenv("SECCHAT_TEST_PING_MS")) != NULL &&
	    (n = strtonum(v, 10, 600000, &errstr)) > 0) {
		ping_interval_ms = (uint64_t)n;
		ping_timeout_ms = 2 * (uint64_t)n;
	}
	if ((v = getenv("SECCHAT_TEST_SESSION_IDS")) != NULL &&
	    (n = strtonum(v, 1, UINT32_MAX, &errstr)) > 0)
		m.last_id = (uint32_t)n;
	if ((v = getenv("SECCHAT_TEST_MASTER_NOFILE")) != NULL &&
	    (n = strtonum(v, 8, 1 << 20, &errstr)) > 0 &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = (rlim_t)n;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit");
	}
}
#endif

/* The children's stderr: a line at a time into the log, as their text. */
static void
read_child_stderr(void)
{
	char	 chunk[512];
	ssize_t	 n, i;

	while ((n = read(m.errpipe[0], chunk, sizeof(chunk))) > 0) {
		for (i = 0; i < n; i++) {
			if (chunk[i] != '\n' &&
			    m.errlen < sizeof(m.errline) - 1) {
				m.errline[m.errlen++] = chunk[i];
				continue;
			}
			if (m.errlen > 0 && log_allowed(&m.errlogq,
			    "child stderr", LOG_BURST)) {
				char	 line[CHILD_ERR_LINE];

				printable_text(line, sizeof(line),
				    (const uint8_t *)m.errline, m.errlen);
				log_warnx("child stderr: %s", line);
			}
			m.errlen = 0;
			if (chunk[i] != '\n')
				m.errline[m.errlen++] = chunk[i];
		}
	}
}

int
master_main(struct config *conf, const struct master_opts *opts)
{
	struct stat	 st;
	int		 fl;

	m.conf = conf;
	m.opts = opts;
	TAILQ_INIT(&m.sessions);
	TAILQ_INIT(&m.authq);
	m.last_id = UINT32_MAX;
	throttle_init(&m.throttle, 4096, (uint64_t)conf->auth_fail_window * 1000);
	connrate_init();
	memset(title_room, ' ', TITLE_ROOM);
	if ((m.devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	/* Non-blocking at both ends: a child never waits to write there. */
	if (pipe2(m.errpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
	/* A log file is only appended to, whoever holds it. */
	if (opts->log_stderr && fstat(STDERR_FILENO, &st) == 0 &&
	    S_ISREG(st.st_mode) && (fl = fcntl(STDERR_FILENO, F_GETFL)) != -1)
		(void)fcntl(STDERR_FILENO, F_SETFL, fl | O_APPEND);
	/* Checked once, here, where a mistake stops the start. */
	if (geteuid() == 0 && sandbox_lookup_user(conf->privsep_user,
	    &m.privsep_uid, &m.privsep_gid) == -1)
		fatalx("PrivsepUser %s does not exist or is root",
		    conf->privsep_user);
	if (geteuid() == 0)
		check_privsep_directory(conf->privsep_dir);
	load_host_key();
	bind_listeners();
	fit_descriptor_limit();
	m.started_max_sessions = m.conf->max_sessions;
#ifdef SECCHAT_TEST_HOOKS
	master_test_hooks();
#endif
	if (!opts->foreground && daemon(0, 0) == -1)
		fatal("daemon");
	/* Until here errors went to the terminal; now to syslog unless -e. */
	log_init(opts->log_stderr, opts->verbose, "secchatd");
	setup_signals();
	/*
	 * libbsd marks the end of argv[0] with a '.' when the title is
	 * shorter, which ps shows as a stray " .": the title names the
	 * configuration, and is padded to argv[0]'s length if need be.
	 */
	setproctitle("master [%s]%*s", opts->config_path,
	    (int)(opts->argv0_len > strlen(opts->config_path) + 18 ?
	    opts->argv0_len - strlen(opts->config_path) - 18 : 0), "");
	m.broker.started_ms = m.authd.started_ms = mono_ms();
	if (start_broker() == -1 || start_authd() == -1)
		fatalx("cannot start the broker and the password checker");
	master_loop();
	finish_shutdown();
	return 0;
}
