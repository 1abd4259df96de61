/*
 * spawn.c: the master's children start here (spawn.h).
 *
 * Every child is this program re-executed in a role: a fresh exec gives
 * each its own address-space layout, and it starts with nothing of the
 * master's but the descriptors it is handed and a minimal environment.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc.h"
#include "log.h"
#include "master.h"
#include "mlog.h"
#include "spawn.h"
#include "util.h"

#define CHILD_ENV_MAX		32	/* variables passed to a child */
#define CHILD_ERR_LINE		512	/* children's stderr, a line at most */

/*
 * setproctitle(3) writes the title over the process's arguments and
 * environment: a child's are short, so it gets a last argument of blanks
 * to make room for "worker [address port N] user".
 */
#define TITLE_ROOM	128
static char	title_room[TITLE_ROOM + 1];

static int		 devnull = -1;
static int		 errpipe[2] = { -1, -1 };	/* children's stderr */
static char		 errline[CHILD_ERR_LINE];
static size_t		 errlen;
static struct logquota	 errlogq;

void
spawn_init(void)
{
	memset(title_room, ' ', TITLE_ROOM);
	if ((devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		fatal("/dev/null");
	/* Non-blocking at both ends: a child never waits to write there. */
	if (pipe2(errpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		fatal("pipe2");
}

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
 * Everything else is closed in the child.  Descriptors 0 and 1 are
 * /dev/null and 2 is the pipe the master reads: what the C library or a
 * sanitizer writes there is logged as a child's text, and never reaches a
 * client's socket or the master's own log.
 */
pid_t
spawn_child(const char *role, const int *fds, int nfds)
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
		if ((high[i] = fcntl(fds[i], F_DUPFD,
		    CHILD_FD_FIRST + nfds)) == -1)
			_exit(127);
	if ((nullfd = fcntl(devnull, F_DUPFD, CHILD_FD_FIRST + nfds)) == -1 ||
	    (errfd = fcntl(errpipe[1], F_DUPFD, CHILD_FD_FIRST + nfds)) == -1)
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
	if (mctx.opts->log_stderr)
		argv[argc++] = (char *)"-e";
	if (mctx.opts->verbose)
		argv[argc++] = (char *)"-d";
	argv[argc++] = (char *)"--";
	argv[argc++] = title_room;
	argv[argc] = NULL;
	child_environment(envp, sizeof(envp) / sizeof(envp[0]));
	execve(mctx.opts->self_path, argv, envp);
	_exit(127);
}

int
spawn_stderr_fd(void)
{
	return errpipe[0];
}

/* A line at a time into the log, as the children's text. */
void
spawn_read_stderr(void)
{
	char	 chunk[512];
	ssize_t	 n, i;

	while ((n = read(errpipe[0], chunk, sizeof(chunk))) > 0) {
		for (i = 0; i < n; i++) {
			if (chunk[i] != '\n' &&
			    errlen < sizeof(errline) - 1) {
				errline[errlen++] = chunk[i];
				continue;
			}
			if (errlen > 0 && mlog_allowed(&errlogq,
			    "child stderr", MLOG_CHILD_BURST)) {
				char	 line[CHILD_ERR_LINE];

				printable_text(line, sizeof(line),
				    (const uint8_t *)errline, errlen);
				log_warnx("child stderr: %s", line);
			}
			errlen = 0;
			if (chunk[i] != '\n')
				errline[errlen++] = chunk[i];
		}
	}
}

void
spawn_exit_text(int status, char *buf, size_t len)
{
	if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d%s",
		    WTERMSIG(status), WTERMSIG(status) == SIGSYS ?
		    " (forbidden system call)" : "");
	else
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
}
