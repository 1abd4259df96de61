/*
 * syscall_filter.c: the sandboxed children's seccomp program.
 */
#include "config.h"

#include <stddef.h>

#include "log.h"
#include "sandbox.h"
#include "syscall_filter.h"

#ifdef HAVE_SECCOMP
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <errno.h>

#include "syscall_arch.h"

/*
 * The low 32 bits of a system call argument: arguments are 64-bit fields
 * in struct seccomp_data, and PROT_EXEC lives in the low word.
 */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + 4)
#else
#define ARG_LO(n)	offsetof(struct seccomp_data, args[n])
#endif

/*
 * What every sandboxed child may do: talk on the descriptors it was given,
 * manage memory, read clocks and random bytes, and exit.  The calls that
 * x86-64 has and aarch64 lacks (open, stat, access, poll, time) are
 * conditional.  fstat(3) is newfstatat(2) in glibc 2.33 and later, and
 * that call can also look up a path: a compromised child can learn
 * whether a path exists, which the chroot (as root) makes moot.
 */
static const unsigned int allowed[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev,
	__NR_recvfrom, __NR_recvmsg, __NR_sendto, __NR_sendmsg,
	__NR_ppoll, __NR_close, __NR_shutdown, __NR_exit, __NR_exit_group,
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_clock_gettime, __NR_gettimeofday, __NR_nanosleep,
	__NR_clock_nanosleep, __NR_getrandom, __NR_munmap, __NR_mremap,
	__NR_brk, __NR_madvise, __NR_futex, __NR_getpid, __NR_gettid,
	__NR_lseek, __NR_fcntl, __NR_getsockopt,
	/* glibc's qsort asks how much memory there is before sorting. */
	__NR_sysinfo,
#ifdef __NR_poll
	__NR_poll,
#endif
#ifdef __NR_time
	__NR_time,
#endif
#ifdef __NR_fstat
	__NR_fstat,
#endif
#ifdef __NR_newfstatat
	__NR_newfstatat,
#endif
#ifdef SANITIZER_BUILD
	/* The sanitizer runtimes' reports, leak checks and stack maps. */
	__NR_sigaltstack, __NR_prctl, __NR_sched_yield, __NR_clone,
	__NR_wait4, __NR_ptrace, __NR_readlinkat, __NR_getppid,
	__NR_rt_sigaction, __NR_prlimit64, __NR_set_robust_list,
	__NR_tgkill, __NR_kill, __NR_pipe2, __NR_setrlimit, __NR_getrlimit,
	__NR_sched_getaffinity, __NR_dup, __NR_getdents64,
#ifdef __NR_clone3
	__NR_clone3,
#endif
#ifdef __NR_rseq
	__NR_rseq,
#endif
#ifdef __NR_readlink
	__NR_readlink,
#endif
#endif
};

/* Refused with EACCES instead of killing: libc looks for optional files. */
static const unsigned int refused[] = {
	__NR_openat,
#ifdef __NR_open
	__NR_open,
#endif
#ifdef __NR_stat
	__NR_stat,
#endif
#ifdef __NR_access
	__NR_access,
#endif
};

/* Allowed only without PROT_EXEC: no new executable memory, ever. */
static const unsigned int no_exec[] = {
	__NR_mmap, __NR_mprotect,
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct program {
	struct sock_filter	*insn;
	size_t			 len, max;
};

static void
emit(struct program *p, unsigned short code, unsigned int k,
    unsigned char jt, unsigned char jf)
{
	if (p->len < p->max) {
		p->insn[p->len].code = code;
		p->insn[p->len].jt = jt;
		p->insn[p->len].jf = jf;
		p->insn[p->len].k = k;
	}
	p->len++;
}

/* "if nr == n return action", in two instructions. */
static void
emit_return_if(struct program *p, unsigned int nr, unsigned int action)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1);
	emit(p, BPF_RET | BPF_K, action, 0, 0);
}

unsigned int
syscall_filter_arch(void)
{
	return SECCOMP_AUDIT_ARCH;
}

size_t
syscall_filter_build(struct sock_filter *insn, size_t max)
{
	struct program	 p = { insn, 0, max };
	size_t		 i;

	/* Another architecture's system call numbers mean other calls. */
	emit(&p, BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, arch), 0, 0);
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_AUDIT_ARCH, 1, 0);
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	emit(&p, BPF_LD | BPF_W | BPF_ABS,
	    offsetof(struct seccomp_data, nr), 0, 0);
#ifdef SECCOMP_X32_BIT
	/* x32 calls share the arch value; their numbers have this bit. */
	emit(&p, BPF_JMP | BPF_JGE | BPF_K, SECCOMP_X32_BIT, 0, 1);
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#endif
	for (i = 0; i < NELEM(allowed); i++)
		emit_return_if(&p, allowed[i], SECCOMP_RET_ALLOW);
	for (i = 0; i < NELEM(refused); i++)
		emit_return_if(&p, refused[i],
		    SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA));
	for (i = 0; i < NELEM(no_exec); i++) {
#ifdef SANITIZER_BUILD
		/* The runtimes map and protect code of their own. */
		emit_return_if(&p, no_exec[i], SECCOMP_RET_ALLOW);
#else
		/* Both outcomes return, so A may be clobbered. */
		emit(&p, BPF_JMP | BPF_JEQ | BPF_K, no_exec[i], 0, 4);
		emit(&p, BPF_LD | BPF_W | BPF_ABS, ARG_LO(2), 0, 0);
		emit(&p, BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 1, 0);
		emit(&p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
		emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#endif
	}
	emit(&p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	return p.len <= max ? p.len : 0;
}

void
syscall_filter_install(void)
{
	struct sock_filter	insn[SYSCALL_FILTER_MAX];
	struct sock_fprog	prog;
	size_t			len;

	if ((len = syscall_filter_build(insn, SYSCALL_FILTER_MAX)) == 0)
		fatalx("seccomp program does not fit");
	prog.len = (unsigned short)len;
	prog.filter = insn;
	/* The caller has set PR_SET_NO_NEW_PRIVS, which this requires. */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == -1)
		fatal("prctl(PR_SET_SECCOMP)");
}

#else /* !HAVE_SECCOMP */

void
syscall_filter_install(void)
{
}

#endif
