/*
 * sandbox.h: what a re-executed child gives up before it touches untrusted
 * input.
 *
 * In order: (as root) chroot to an empty root-owned directory, chdir("/"),
 * setgroups, setresgid, setresuid to the privilege-separation user, and a
 * check that the old ids cannot be regained; then, in every mode, resource
 * limits, PR_SET_NO_NEW_PRIVS and a seccomp allow-list that kills the
 * process on any other system call.
 */
#ifndef SECCHAT_SANDBOX_H
#define SECCHAT_SANDBOX_H

enum sandbox_role {
	SANDBOX_WORKER,
	SANDBOX_BROKER,
	SANDBOX_AUTHD
};

/*
 * maxfd: the highest descriptor the process will ever hold (RLIMIT_NOFILE
 * becomes maxfd + 1).  Exits the process on any failure: a child that
 * cannot be sandboxed must not run.
 */
void	sandbox_enter(enum sandbox_role, const char *user, const char *dir,
	    int maxfd);
/* 1 if this build has a seccomp filter. */
int	sandbox_has_seccomp(void);

#endif
