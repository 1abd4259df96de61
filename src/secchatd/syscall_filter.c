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
#include <linux/futex.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>

#include "syscall_arch.h"

/*
 * The two 32-bit words of a system call argument: arguments are 64-bit
 * fields in struct seccomp_data, and classic BPF loads 32 bits at a time.
 * Where the kernel takes an argument as int or unsigned int (a command, a
 * clock, an advice value) only the low word counts, as in the kernel;
 * where it takes an unsigned long (flags it checks in full, a pointer)
 * the high word is checked too.
 */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define ARG_LO(n)	(offsetof(struct seccomp_data, args[n]) + 4)
#define ARG_HI(n)	offsetof(struct seccomp_data, args[n])
#else
#define ARG_LO(n)	offsetof(struct seccomp_data, args[n])
#define ARG_HI(n)	(offsetof(struct seccomp_data, args[n]) + 4)
#endif

#define KILL		SECCOMP_RET_KILL_PROCESS
#define ALLOW		SECCOMP_RET_ALLOW

/*
 * What every sandboxed child may do with any arguments: use the
 * descriptors it was given, its own memory and signal mask, read the time
 * and random bytes, and exit.  None of these can reach another process:
 * read, write, readv, writev, recvfrom, recvmsg, close, shutdown, lseek,
 * getsockopt and fstat act on the caller's own descriptors, which the
 * kernel checks (lseek on a socket fails; getsockopt only reads, and the
 * one option that changes anything, TCP_ZEROCOPY_RECEIVE, needs the
 * socket mapped, which the mmap rule below forbids).  sendmsg's header
 * is in memory the filter cannot read, and needs no rule: every socket a
 * child holds is connected, so an address in it is refused; descriptors
 * it carries are refused by the receiving process where none is due; and
 * credentials it carries can only be the sender's own.  The calls that
 * x86-64 has and aarch64 lacks (open, stat, access, poll, time) are
 * conditional.  fstat(3) is newfstatat(2) in glibc 2.33 and later, and
 * that call can also look up a path: a compromised child can learn
 * whether a path exists, which the chroot (as root) makes moot.
 * epoll_ctl and epoll_wait (epoll_pwait on aarch64) work only on an epoll
 * set the caller holds, and none can be made in the sandbox
 * (epoll_create1 is not allowed): the broker makes its one before.
 */
static const unsigned int allowed[] = {
	__NR_read, __NR_write, __NR_readv, __NR_writev,
	__NR_recvfrom, __NR_recvmsg, __NR_sendmsg,
	__NR_ppoll, __NR_close, __NR_shutdown, __NR_exit, __NR_exit_group,
	__NR_rt_sigreturn, __NR_rt_sigprocmask, __NR_restart_syscall,
	__NR_gettimeofday, __NR_nanosleep, __NR_getrandom, __NR_munmap,
	__NR_brk, __NR_getpid, __NR_gettid, __NR_lseek, __NR_getsockopt,
	/* glibc's qsort asks how much memory there is before sorting. */
	__NR_sysinfo,
	__NR_epoll_ctl, __NR_epoll_pwait,
#ifdef __NR_epoll_wait
	__NR_epoll_wait,
#endif
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
	/*
	 * The sanitizer runtimes' reports, leak checks and stack maps.
	 * SANITIZER_BUILD is set only when the compiler instruments the
	 * code with AddressSanitizer or UndefinedBehaviorSanitizer, which
	 * only the test suite does (build-aux/test-all).  With these a
	 * taken-over child could signal (kill, tgkill), trace (ptrace) and
	 * rename (prctl) any process of its uid, and fork: the isolation the
	 * filter gives does not hold in such a build, and it must never be
	 * deployed.
	 */
	__NR_sigaltstack, __NR_prctl, __NR_sched_yield, __NR_clone,
	__NR_wait4, __NR_ptrace, __NR_readlinkat, __NR_getppid,
	__NR_rt_sigaction, __NR_prlimit64, __NR_set_robust_list,
	__NR_tgkill, __NR_kill, __NR_pipe2, __NR_setrlimit, __NR_getrlimit,
	__NR_sched_getaffinity, __NR_dup, __NR_getdents64,
	/* They map and protect code of their own and give memory back. */
	__NR_mmap, __NR_mprotect, __NR_madvise,
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

/*
 * The mmap flags the C libraries under the code use: glibc's malloc maps
 * private anonymous memory, with MAP_NORESERVE for its heaps and
 * MAP_HUGETLB (and a page size) when the glibc.malloc.hugetlb tunable,
 * which the master passes on, asks for huge pages; libsodium's Argon2
 * adds MAP_POPULATE.  MAP_PRIVATE and MAP_ANONYMOUS must be set.
 */
#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT	26
#define MAP_HUGE_MASK	0x3f
#endif
#define MMAP_FLAGS_ALLOWED	(MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | \
	MAP_POPULATE | MAP_HUGETLB | (MAP_HUGE_MASK << MAP_HUGE_SHIFT))

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct program {
	struct sock_filter	*insn;
	size_t			 len, max;
	int			 too_far;	/* a block longer than a jump */
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

static void
ret(struct program *p, unsigned int action)
{
	emit(p, BPF_RET | BPF_K, action, 0, 0);
}

/* A = one 32-bit word of seccomp_data. */
static void
bpf_load_arg(struct program *p, unsigned int offset)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

/* "if A == k return action", in two instructions. */
static void
return_if(struct program *p, unsigned int k, unsigned int action)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, 0, 1);
	ret(p, action);
}

/* Kill unless A == k. */
static void
kill_unless(struct program *p, unsigned int k)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, k, 1, 0);
	ret(p, KILL);
}

/* Kill if A has any bit of mask. */
static void
kill_if_any(struct program *p, unsigned int mask)
{
	emit(p, BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1);
	ret(p, KILL);
}

/* Kill if A >= k, unsigned: a negative int is a large number here. */
static void
kill_if_at_least(struct program *p, unsigned int k)
{
	emit(p, BPF_JMP | BPF_JGE | BPF_K, k, 0, 1);
	ret(p, KILL);
}

/*
 * A block of rules for one system call: "if nr == n, apply the rules,
 * which return on every path; else skip them".  A still holds nr when
 * the block starts; the rules may load arguments into it because every
 * path through them returns.  end_call() patches the skip once the
 * block's length is known.
 */
static size_t
begin_call(struct program *p, unsigned int nr)
{
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 0);
	return p->len - 1;
}

static void
end_call(struct program *p, size_t at)
{
	size_t	 skip = p->len - at - 1;

	if (skip > 255)
		p->too_far = 1;
	else if (at < p->max)
		p->insn[at].jf = (unsigned char)skip;
}

/*
 * fcntl: only what set_nonblock() does (the worker to its three
 * descriptors, the broker to each session's socket it receives): F_GETFL,
 * and F_SETFL without O_ASYNC.  O_ASYNC with F_SETOWN and F_SETSIG makes
 * the kernel send a signal of the caller's choice, on the descriptor's
 * next I/O, to any process or process group of the same uid: the other
 * workers, the broker and the password checker.  F_SETOWN, F_SETOWN_EX,
 * F_SETSIG, leases, F_NOTIFY, the F_DUPFD family, locks, pipe sizes and
 * every other command kill.  The kernel takes cmd as an unsigned int and
 * looks at F_SETFL's flags as an int, so only the low words count (and
 * the C calling convention does not promise the high half of an int
 * passed through fcntl's "..." is zero).
 */
static void
rule_fcntl(struct program *p)
{
	size_t	 at = begin_call(p, __NR_fcntl);

	bpf_load_arg(p, ARG_LO(1));
	return_if(p, F_GETFL, ALLOW);
	kill_unless(p, F_SETFL);
	bpf_load_arg(p, ARG_LO(2));
	kill_if_any(p, O_ASYNC);
	ret(p, ALLOW);
	end_call(p, at);
}

/*
 * sendto: only without an address, as send(2) calls it.  Every socket a
 * child holds is connected; this keeps any socket it might ever be given
 * from reaching anywhere else.  The address is a pointer: both words.
 */
static void
rule_sendto(struct program *p)
{
	size_t	 at = begin_call(p, __NR_sendto);

	bpf_load_arg(p, ARG_LO(4));
	kill_unless(p, 0);
	bpf_load_arg(p, ARG_HI(4));
	kill_unless(p, 0);
	ret(p, ALLOW);
	end_call(p, at);
}

/*
 * clock_gettime and clock_nanosleep: only the system's fixed clocks,
 * CLOCK_REALTIME to CLOCK_TAI.  A negative clock id names the CPU clock
 * of any process, which the kernel lets anyone read: a way to watch when
 * the password checker works or another session is busy.  (It also names
 * clock devices by descriptor, which no child holds.)  clockid_t is an
 * int: the low word.
 */
static void
rule_clock(struct program *p, unsigned int nr)
{
	size_t	 at = begin_call(p, nr);

	bpf_load_arg(p, ARG_LO(0));
	kill_if_at_least(p, CLOCK_TAI + 1);
	ret(p, ALLOW);
	end_call(p, at);
}

/*
 * futex: wait and wake, with or without a bit set, the only operations
 * the C library of a single-threaded process can need.  The
 * priority-inheritance operations act on whichever task a futex word
 * names and have been the way into the kernel of more than one exploit;
 * they and the requeue operations kill.  op is an int: the low word,
 * without the private and clock flags.
 */
static void
rule_futex(struct program *p)
{
	size_t	 at = begin_call(p, __NR_futex);

	bpf_load_arg(p, ARG_LO(1));
	emit(p, BPF_ALU | BPF_AND | BPF_K, (unsigned int)FUTEX_CMD_MASK, 0, 0);
	return_if(p, FUTEX_WAIT, ALLOW);
	return_if(p, FUTEX_WAKE, ALLOW);
	return_if(p, FUTEX_WAIT_BITSET, ALLOW);
	return_if(p, FUTEX_WAKE_BITSET, ALLOW);
	ret(p, KILL);
	end_call(p, at);
}

/*
 * mremap: only as realloc(3) calls it, with MREMAP_MAYMOVE or nothing.
 * MREMAP_FIXED would move a mapping over whatever lies at an address of
 * the caller's choosing, MREMAP_DONTUNMAP would leave an empty copy
 * behind.  The kernel checks all 64 bits of the flags.
 */
static void
rule_mremap(struct program *p)
{
	size_t	 at = begin_call(p, __NR_mremap);

	bpf_load_arg(p, ARG_HI(3));
	kill_unless(p, 0);
	bpf_load_arg(p, ARG_LO(3));
	kill_if_any(p, ~(unsigned int)MREMAP_MAYMOVE);
	ret(p, ALLOW);
	end_call(p, at);
}

#ifndef SANITIZER_BUILD
/* Kill unless A has bit. */
static void
kill_unless_set(struct program *p, unsigned int bit)
{
	emit(p, BPF_JMP | BPF_JSET | BPF_K, bit, 1, 0);
	ret(p, KILL);
}

/*
 * mmap: never PROT_EXEC, and only private anonymous memory (flags as
 * above): no descriptor is mapped (a TCP socket can be, which opens the
 * kernel's zero-copy receive path; so can the password checker's users
 * file), nothing shared, nothing placed over an existing mapping
 * (MAP_FIXED), locked or growing down.  The kernel reads PROT_EXEC in
 * the low word of prot, and takes flags as an unsigned long: the high
 * word must be zero.
 */
static void
rule_mmap(struct program *p)
{
	size_t	 at = begin_call(p, __NR_mmap);

	bpf_load_arg(p, ARG_LO(2));
	kill_if_any(p, PROT_EXEC);
	bpf_load_arg(p, ARG_HI(3));
	kill_unless(p, 0);
	bpf_load_arg(p, ARG_LO(3));
	kill_if_any(p, ~(unsigned int)MMAP_FLAGS_ALLOWED);
	kill_unless_set(p, MAP_PRIVATE);
	kill_unless_set(p, MAP_ANONYMOUS);
	ret(p, ALLOW);
	end_call(p, at);
}

/* mprotect: never PROT_EXEC, so no memory ever becomes code. */
static void
rule_mprotect(struct program *p)
{
	size_t	 at = begin_call(p, __NR_mprotect);

	bpf_load_arg(p, ARG_LO(2));
	kill_if_any(p, PROT_EXEC);
	ret(p, ALLOW);
	end_call(p, at);
}

/*
 * madvise: MADV_DONTNEED, with which glibc's malloc_trim() gives pages
 * back, and MADV_HUGEPAGE, which the glibc.malloc.hugetlb tunable makes
 * malloc use.  Others kill: MADV_MERGEABLE would offer the process's
 * pages to the kernel's same-page merging, whose timing tells whether
 * another process holds the same page; MADV_REMOVE punches holes in
 * shared memory; MADV_HWPOISON and MADV_SOFT_OFFLINE take physical pages
 * away.  The advice is an int: the low word.
 */
static void
rule_madvise(struct program *p)
{
	size_t	 at = begin_call(p, __NR_madvise);

	bpf_load_arg(p, ARG_LO(2));
	return_if(p, MADV_DONTNEED, ALLOW);
	return_if(p, MADV_HUGEPAGE, ALLOW);
	ret(p, KILL);
	end_call(p, at);
}
#endif

unsigned int
syscall_filter_arch(void)
{
	return SECCOMP_AUDIT_ARCH;
}

size_t
syscall_filter_build(struct sock_filter *insn, size_t max)
{
	struct program	 p = { insn, 0, max, 0 };
	size_t		 i;

	/* Another architecture's system call numbers mean other calls. */
	bpf_load_arg(&p, offsetof(struct seccomp_data, arch));
	emit(&p, BPF_JMP | BPF_JEQ | BPF_K, SECCOMP_AUDIT_ARCH, 1, 0);
	ret(&p, KILL);
	bpf_load_arg(&p, offsetof(struct seccomp_data, nr));
#ifdef SECCOMP_X32_BIT
	/* x32 calls share the arch value; their numbers have this bit. */
	kill_if_at_least(&p, SECCOMP_X32_BIT);
#endif
	for (i = 0; i < NELEM(allowed); i++)
		return_if(&p, allowed[i], ALLOW);
	rule_sendto(&p);
	rule_fcntl(&p);
	rule_clock(&p, __NR_clock_gettime);
	rule_clock(&p, __NR_clock_nanosleep);
	rule_futex(&p);
	rule_mremap(&p);
#ifndef SANITIZER_BUILD
	rule_mmap(&p);
	rule_mprotect(&p);
	rule_madvise(&p);
#endif
	for (i = 0; i < NELEM(refused); i++)
		return_if(&p, refused[i],
		    SECCOMP_RET_ERRNO | (EACCES & SECCOMP_RET_DATA));
	ret(&p, KILL);
	return p.len <= max && !p.too_far ? p.len : 0;
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
