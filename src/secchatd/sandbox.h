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

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

/* Sanitizer runtimes make system calls of their own (reports, leak checks). */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define SANITIZER_BUILD 1
#endif
#endif

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
/*
 * The same with an address-space limit in bytes (RLIMIT_AS), for a
 * process whose memory follows its configuration: the broker.
 */
void	sandbox_enter_limited(enum sandbox_role, const char *user,
	    const char *dir, int maxfd, uint64_t as_limit);
/*
 * The same with the user already looked up (by the master, once): the
 * worker then never loads the name service, which costs every one of
 * them memory.
 */
void	sandbox_enter_ids(enum sandbox_role, uid_t, gid_t, const char *dir,
	    int maxfd);
/* uid and gid of a user that exists and is not root; 0 or -1. */
int	sandbox_lookup_user(const char *user, uid_t *uid, gid_t *gid);
/*
 * The chroot directory, as sshd checks ChrootDirectory: an absolute path
 * with no symbolic link in it, a directory, and it and every directory
 * above it owned by root and not writable by group or others.  0, or -1
 * with err set.
 */
int	sandbox_check_dir(const char *dir, char *err, size_t errlen);
/* The same, exiting with the reason on failure. */
void	check_privsep_directory(const char *dir);
/* 1 if this build has a seccomp filter. */
int	sandbox_has_seccomp(void);

#endif
