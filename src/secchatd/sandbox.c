/*
 * sandbox.c: chroot, privilege drop, resource limits and seccomp for the
 * re-executed children (worker, broker, password checker).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <grp.h>
#include <limits.h>
#ifdef HAVE_MALLOC_TRIM
#include <malloc.h>
#endif
#include <pwd.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "syscall_filter.h"

int
sandbox_lookup_user(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL || pw->pw_uid == 0)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	return 0;
}

/*
 * (The paths live on the heap: a worker runs this before its sandbox, and
 * stack pages it touches stay with it for its whole life.)
 */
int
sandbox_check_dir(const char *dir, char *err, size_t errlen)
{
	char		*real, *slash;
	struct stat	 st;
	int		 rv = -1;

	if (dir[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path", dir);
		return -1;
	}
	if ((real = realpath(dir, NULL)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	/* A link anywhere on the way could lead anywhere, "/" included. */
	if (strcmp(real, dir) != 0) {
		snprintf(err, errlen, "%s: the path has a symbolic link or is "
		    "not in canonical form (it is %s)", dir, real);
		goto out;
	}
	for (;;) {
		if (lstat(real, &st) == -1) {
			snprintf(err, errlen, "%s: %s", real, strerror(errno));
			goto out;
		}
		/*
		 * Above the directory itself, a sticky one (/tmp) is safe:
		 * nobody else can rename or remove what root made in it.
		 */
		if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
		    ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
		    (strcmp(real, dir) == 0 || !(st.st_mode & S_ISVTX)))) {
			snprintf(err, errlen, "%s: %s must be a directory owned "
			    "by root and not writable by group or others, as "
			    "must every directory above it (unless sticky)",
			    dir, real);
			goto out;
		}
		if (strcmp(real, "/") == 0)
			break;
		if ((slash = strrchr(real, '/')) == real)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	rv = 0;
out:
	free(real);
	return rv;
}

void
check_privsep_directory(const char *dir)
{
	char	 err[512];

	if (sandbox_check_dir(dir, err, sizeof(err)) == -1)
		fatalx("PrivsepDirectory %s", err);
}

static void
drop_privileges(uid_t uid, gid_t gid, const char *dir)
{

	if (geteuid() != 0) {
		log_debug("not root: no chroot or user change");
		return;
	}
	if (uid == 0)
		fatalx("privilege separation user must not be root");
	check_privsep_directory(dir);
	if (chroot(dir) == -1)
		fatal("chroot %s", dir);
	if (chdir("/") == -1)
		fatal("chdir /");
	if (setgroups(1, &gid) == -1)
		fatal("setgroups");
	if (setresgid(gid, gid, gid) == -1)
		fatal("setresgid");
	if (setresuid(uid, uid, uid) == -1)
		fatal("setresuid");
	/* The old identity must be gone for good. */
	if (setuid(0) != -1 || seteuid(0) != -1 || setgid(0) != -1)
		fatalx("privileges could be regained after dropping them");
}

static void
set_limit(int resource, rlim_t value)
{
	struct rlimit	 rl;

	rl.rlim_cur = rl.rlim_max = value;
	if (setrlimit(resource, &rl) == -1)
		fatal("setrlimit");
}

#ifndef SANITIZER_BUILD
/*
 * value, or the hard limit the process inherited if that is lower: a
 * limit set from outside (ulimit -v) is kept, and raising it would fail.
 */
static rlim_t
lower_limit(int resource, uint64_t value)
{
	struct rlimit	 rl;
	rlim_t		 v;

	v = value >= (uint64_t)RLIM_INFINITY ? RLIM_INFINITY : (rlim_t)value;
	if (getrlimit(resource, &rl) == 0 && rl.rlim_max < v)
		v = rl.rlim_max;
	return v;
}
#endif

/*
 * as_limit: RLIMIT_AS for a role whose memory follows its configuration
 * (the broker); the others have fixed limits.  0: none.
 */
static void
set_limits(enum sandbox_role role, int maxfd, uint64_t as_limit)
{
#ifdef SECCHAT_TEST_HOOKS
	/*
	 * Test builds only: valgrind keeps descriptors and address space of
	 * its own and refuses limits that would take them away.
	 */
	if (getenv("SECCHAT_TEST_VALGRIND") != NULL)
		return;
#endif
	set_limit(RLIMIT_NOFILE, (rlim_t)maxfd + 1);
	/* Cores could hold keys, passwords and message text. */
	set_limit(RLIMIT_CORE, 0);
#ifndef SANITIZER_BUILD
	set_limit(RLIMIT_NPROC, 0);
	switch (role) {
	case SANDBOX_WORKER:
		set_limit(RLIMIT_AS, 256UL * 1024 * 1024);
		break;
	case SANDBOX_AUTHD:
		/* Argon2id at the default parameters needs 64 MiB. */
		set_limit(RLIMIT_AS, 1024UL * 1024 * 1024);
		break;
	case SANDBOX_BROKER:
		if (as_limit != 0)
			set_limit(RLIMIT_AS, lower_limit(RLIMIT_AS, as_limit));
		break;
	}
#else
	/*
	 * Sanitizer runtimes reserve terabytes of shadow memory and may
	 * start a symbolizer.
	 */
	(void)role;
	(void)as_limit;
#endif
}

static void
enter(enum sandbox_role role, uid_t uid, gid_t gid, const char *dir,
    int maxfd, uint64_t as_limit)
{
	drop_privileges(uid, gid, dir);
	set_limits(role, maxfd, as_limit);
#ifdef HAVE_SYS_PRCTL_H
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_NO_NEW_PRIVS)");
	/* No core dumps and no ptrace from the same uid. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		fatal("prctl(PR_SET_DUMPABLE)");
#endif
	syscall_filter_install();
	/*
	 * Set-up touched heap pages that are free now: give them back,
	 * since every worker pays for them in resident memory.
	 */
#ifdef HAVE_MALLOC_TRIM
	malloc_trim(0);
#endif
}

void
sandbox_enter_limited(enum sandbox_role role, const char *user,
    const char *dir, int maxfd, uint64_t as_limit)
{
	uid_t	 uid = 0;
	gid_t	 gid = 0;

	if (geteuid() == 0 && sandbox_lookup_user(user, &uid, &gid) == -1)
		fatalx("privilege separation user %s does not exist or is "
		    "root", user);
	enter(role, uid, gid, dir, maxfd, as_limit);
}

void
sandbox_enter(enum sandbox_role role, const char *user, const char *dir,
    int maxfd)
{
	sandbox_enter_limited(role, user, dir, maxfd, 0);
}

void
sandbox_enter_ids(enum sandbox_role role, uid_t uid, gid_t gid,
    const char *dir, int maxfd)
{
	enter(role, uid, gid, dir, maxfd, 0);
}

int
sandbox_has_seccomp(void)
{
#ifdef HAVE_SECCOMP
	return 1;
#else
	return 0;
#endif
}
