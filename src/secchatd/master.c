/*
 * master.c: the privileged parent.
 *
 * It binds the listeners, keeps the host key, starts the broker and the
 * password checker, accepts connections and re-executes one sandboxed
 * worker per client.  It records which user each session authenticated as
 * and tells the broker: the broker believes only this record.  Nothing slow
 * runs here: password hashing is in the checker, everything else is a
 * bounded amount of work per event.
 *
 * This file holds the start, the signals, SIGHUP's reload, the pid file
 * and the event loop; the parts it drives are children.c (the broker and
 * the checker), listeners.c (and admit.c), sessions.c (the workers) and
 * login.c (and loginq.c).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "children.h"
#include "conf.h"
#include "control.h"
#include "listeners.h"
#include "log.h"
#include "login.h"
#include "master.h"
#include "redis_link.h"
#include "sandbox.h"
#include "sessions.h"
#include "spawn.h"
#include "util.h"

#define SHUTDOWN_WAIT_MS	3000
#define FD_RESERVE		32	/* the master's own descriptors */
#define FD_PER_ACCEPT		5	/* held for a moment while spawning */
#define POLL_MS			1000
#define POLL_RESTING_MS		250	/* while the listeners rest */

struct master_ctx	 mctx;

static struct {
	unsigned		 started_max_sessions;	/* until a restart */
	int			 sigpipe[2];
	volatile sig_atomic_t	 got_term, got_hup, got_chld;
	volatile sig_atomic_t	 term_signal;
	uint64_t		 shutdown_deadline;
} m;

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

static void
master_reap(void)
{
	pid_t	 pid;
	int	 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!children_reaped(pid, status))
			(void)msession_reaped(pid, status);
}

/* ------------------------------------------------------------ limits */

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
	overhead = FD_RESERVE + FD_PER_ACCEPT +
	    (rlim_t)listeners_fd_overhead();
	need = overhead + mctx.conf->max_sessions;
	mctx.max_sessions = mctx.conf->max_sessions;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	if (rl.rlim_cur <= overhead)
		fatalx("the descriptor limit (%llu) is too low to serve anyone",
		    (unsigned long long)rl.rlim_cur);
	mctx.max_sessions = (unsigned)(rl.rlim_cur - overhead);
	log_warnx("MaxSessions %u needs %llu descriptors but the limit is "
	    "%llu: serving at most %u sessions", mctx.conf->max_sessions,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    mctx.max_sessions);
}

/* ------------------------------------------------------------ reload */

void
master_request_reload(void)
{
	m.got_hup = 1;
}

static void
master_reload(void)
{
	struct config	*conf = mctx.conf;
	struct config	 nc;
	char		 err[512];

	/* The control socket's `reload` waits for this number's end. */
	mctx.reload_seq++;
	if (config_load(&nc, mctx.opts->config_path, err, sizeof(err)) == -1) {
		log_warnx("SIGHUP: %s; keeping the old configuration", err);
		control_reload_note(mctx.reload_seq, "configuration: %s; "
		    "keeping the old one", err);
	} else {
		/* Listeners, keys and the sandbox need a restart to change. */
		memcpy(nc.listen, conf->listen, sizeof(nc.listen));
		nc.nlisten = conf->nlisten;
		strlcpy(nc.port, conf->port, sizeof(nc.port));
		strlcpy(nc.hostkey, conf->hostkey, sizeof(nc.hostkey));
		strlcpy(nc.pidfile, conf->pidfile, sizeof(nc.pidfile));
		strlcpy(nc.control_socket, conf->control_socket,
		    sizeof(nc.control_socket));
		strlcpy(nc.privsep_user, conf->privsep_user,
		    sizeof(nc.privsep_user));
		strlcpy(nc.privsep_dir, conf->privsep_dir,
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
		*conf = nc;
		fit_descriptor_limit();
		listeners_configure();
		log_info("SIGHUP: configuration reloaded");
		control_reload_note(mctx.reload_seq, "configuration reloaded");
	}
	children_reload();
}

/* ------------------------------------------------------------ pid file */

/*
 * Written as root, possibly in a directory someone else can write to: a
 * symbolic or hard link planted there must not make us write through it.
 */
static void
write_pidfile(void)
{
	const char	*path = mctx.conf->pidfile;
	struct stat	 st;
	char		 line[32];
	int		 fd, n;

	if (strcmp(path, "none") == 0)
		return;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0644)) == -1) {
		log_warn("pid file %s", path);
		return;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_nlink != 1 || st.st_uid != geteuid()) {
		log_warnx("pid file %s: not a regular file of ours with one "
		    "link; not written", path);
		close(fd);
		return;
	}
	n = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || write_full(fd, line, (size_t)n) == -1)
		log_warn("pid file %s", path);
	close(fd);
}

/* ------------------------------------------------------------ main loop */

static void
check_deadlines(void)
{
	uint64_t	 now = mono_ms();

	msessions_check_grace(now);
	listeners_expire(now);
	children_tick(now);
	redis_link_tick(now);
	control_tick(now);
	if (children_first_ready()) {
		write_pidfile();
		log_info("ready");
	}
}

static void
begin_shutdown(void)
{
	log_info("received %s; shutting down",
	    m.term_signal == SIGINT ? "SIGINT" : "SIGTERM");
	mctx.shutting_down = 1;
	m.shutdown_deadline = mono_ms() + SHUTDOWN_WAIT_MS;
	msessions_shutdown_all("server shutting down");
}

static void
finish_shutdown(void)
{
	control_close();
	msessions_kill_all();
	children_terminate();
	while (waitpid(-1, NULL, 0) > 0)
		;
	if (strcmp(mctx.conf->pidfile, "none") != 0)
		unlink(mctx.conf->pidfile);
	msessions_wipe_host_key();
	log_info("exiting");
}

#define PFD_SIG		0
#define PFD_STDERR	1
#define PFD_CHILDREN	2
#define PFD_LISTENERS	(PFD_CHILDREN + MCHILD_COUNT)

static void
master_loop(void)
{
	struct pollfd	*pfd = NULL;
	size_t		 cap = 0, n, control_at, sessions_at;
	char		 drainbuf[256];
	int		 listening;

	for (;;) {
		if (m.got_term && !mctx.shutting_down)
			begin_shutdown();
		if (mctx.shutting_down && (msessions_count() == 0 ||
		    mono_ms() >= m.shutdown_deadline))
			break;
		if (m.got_hup) {
			m.got_hup = 0;
			master_reload();
		}
		if (m.got_chld) {
			m.got_chld = 0;
			master_reap();
		}
		check_deadlines();

		control_at = PFD_LISTENERS + listeners_npollfd();
		sessions_at = control_at + control_npollfd();
		n = sessions_at + msessions_count();
		if (n > cap) {
			cap = n + 64;
			if ((pfd = reallocarray(pfd, cap,
			    sizeof(*pfd))) == NULL)
				fatal("reallocarray");
		}
		memset(pfd, 0, n * sizeof(*pfd));
		pfd[PFD_SIG].fd = m.sigpipe[0];
		pfd[PFD_SIG].events = POLLIN;
		pfd[PFD_STDERR].fd = spawn_stderr_fd();
		pfd[PFD_STDERR].events = POLLIN;
		children_pollfd(pfd + PFD_CHILDREN);
		listening = listeners_pollfd(pfd + PFD_LISTENERS);
		control_pollfd(pfd + control_at);
		msessions_pollfd(pfd + sessions_at);

		if (poll(pfd, n, listening ? POLL_MS : POLL_RESTING_MS) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		if (pfd[PFD_SIG].revents & POLLIN)
			while (read(m.sigpipe[0], drainbuf,
			    sizeof(drainbuf)) > 0)
				;
		if (pfd[PFD_STDERR].revents & (POLLIN | POLLHUP))
			spawn_read_stderr();
		children_handle(pfd + PFD_CHILDREN);
		listeners_handle(pfd + PFD_LISTENERS);
		control_handle(pfd + control_at);
		msessions_handle(pfd + sessions_at);
		msessions_flush();
		login_dispatch();
		children_flush();
	}
	free(pfd);
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
	    (n = strtonum(v, 10, 600000, &errstr)) > 0)
		children_set_ping_ms((uint64_t)n);
	if ((v = getenv("SECCHAT_TEST_SESSION_IDS")) != NULL &&
	    (n = strtonum(v, 1, UINT32_MAX, &errstr)) > 0)
		msessions_set_last_id((uint32_t)n);
	if ((v = getenv("SECCHAT_TEST_MASTER_NOFILE")) != NULL &&
	    (n = strtonum(v, 8, 1 << 20, &errstr)) > 0 &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = (rlim_t)n;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			fatal("setrlimit");
	}
}
#endif

int
master_main(struct config *conf, const struct master_opts *opts)
{
	struct stat	 st;
	int		 fl;

	mctx.conf = conf;
	mctx.opts = opts;
	login_init();
	listeners_configure();
	spawn_init();
	children_init();
	/* A log file is only appended to, whoever holds it. */
	if (opts->log_stderr && fstat(STDERR_FILENO, &st) == 0 &&
	    S_ISREG(st.st_mode) && (fl = fcntl(STDERR_FILENO, F_GETFL)) != -1)
		(void)fcntl(STDERR_FILENO, F_SETFL, fl | O_APPEND);
	/* Checked once, here, where a mistake stops the start. */
	if (geteuid() == 0 && sandbox_lookup_user(conf->privsep_user,
	    &mctx.privsep_uid, &mctx.privsep_gid) == -1)
		fatalx("PrivsepUser %s does not exist or is root",
		    conf->privsep_user);
	if (geteuid() == 0)
		check_privsep_directory(conf->privsep_dir);
	msessions_load_host_key();
	listeners_bind();
	control_open();
	fit_descriptor_limit();
	if (redis_link_start(conf) == -1)
		fatalx("Engine redis: cannot start");
	m.started_max_sessions = conf->max_sessions;
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
	if (children_start() == -1)
		fatalx("cannot start the broker and the password checker");
	master_loop();
	finish_shutdown();
	redis_link_stop();
	return 0;
}
