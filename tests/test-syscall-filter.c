/*
 * test-syscall-filter: run the sandbox's seccomp program in a small
 * classic-BPF interpreter and check its verdicts, without installing it.
 * The integration tests check the installed filter (a forbidden call kills
 * the worker); this one checks each rule, including the ones no test
 * process would survive breaking.
 */
#include "config.h"

#include <string.h>

#include "tap.h"
#include "syscall_filter.h"

#ifdef HAVE_SECCOMP
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <linux/futex.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>

#include "sandbox.h"

/*
 * The instructions syscall_filter_build() may emit: load a word of
 * seccomp_data, AND with a constant, compare (JEQ, JGE, JSET with a
 * constant), return.  Anything else, a jump out of the program or falling
 * off its end is an error (-1).
 */
static long long
run(const struct sock_filter *p, size_t len, const struct seccomp_data *d)
{
	const unsigned char	*data = (const unsigned char *)d;
	unsigned int		 a = 0, pc = 0, steps = 0;
	int			 cond;

	while (pc < len && steps++ < 10000) {
		const struct sock_filter *i = &p[pc];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k % 4 != 0 || i->k + 4 > sizeof(*d))
				return -1;
			memcpy(&a, data + i->k, 4);
			pc++;
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			pc++;
			continue;
		case BPF_RET | BPF_K:
			return i->k;
		case BPF_JMP | BPF_JEQ | BPF_K:
			cond = a == i->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			cond = a >= i->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			cond = (a & i->k) != 0;
			break;
		default:
			return -1;
		}
		pc += 1 + (cond ? i->jt : i->jf);
	}
	return -1;
}

static struct sock_filter	prog[SYSCALL_FILTER_MAX];
static size_t			proglen;

/* The verdict on system call nr with these arguments (the rest zero). */
static long long
call(int nr, unsigned long long a0, unsigned long long a1,
    unsigned long long a2, unsigned long long a3, unsigned long long a4)
{
	struct seccomp_data	d;

	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = syscall_filter_arch();
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	d.args[3] = a3;
	d.args[4] = a4;
	return run(prog, proglen, &d);
}

static long long
verdict(int nr, unsigned long long arg2)
{
	return call(nr, 0, 0, arg2, 0, 0);
}

#define ALLOW		((long long)SECCOMP_RET_ALLOW)
#define KILL		((long long)SECCOMP_RET_KILL_PROCESS)
#define REFUSE		((long long)(SECCOMP_RET_ERRNO | EACCES))
#define HIGH(x)		((unsigned long long)(x) << 32)

/* The sanitizer runtimes map code of their own: their builds allow it. */
#ifdef SANITIZER_BUILD
#define EXEC_VERDICT	ALLOW
#define EXEC_WORDS	"is allowed (sanitizer build)"
#else
#define EXEC_VERDICT	KILL
#define EXEC_WORDS	"kills"
#endif

/*
 * The fcntl commands, by the kernel's numbers (the same on x86-64 and
 * AArch64; not every C library names them all).  Only F_GETFL and
 * F_SETFL are allowed.
 */
static const struct { unsigned int cmd; const char *name; } fcntl_cmds[] = {
	{ 0, "F_DUPFD" }, { 1, "F_GETFD" }, { 2, "F_SETFD" },
	{ 5, "F_GETLK" }, { 6, "F_SETLK" }, { 7, "F_SETLKW" },
	{ 8, "F_SETOWN" }, { 9, "F_GETOWN" }, { 10, "F_SETSIG" },
	{ 11, "F_GETSIG" }, { 15, "F_SETOWN_EX" }, { 16, "F_GETOWN_EX" },
	{ 17, "F_GETOWNER_UIDS" }, { 36, "F_OFD_GETLK" },
	{ 37, "F_OFD_SETLK" }, { 38, "F_OFD_SETLKW" },
	{ 1024, "F_SETLEASE" }, { 1025, "F_GETLEASE" }, { 1026, "F_NOTIFY" },
	{ 1027, "F_DUPFD_QUERY" }, { 1028, "F_CREATED_QUERY" },
	{ 1029, "F_CANCELLK" }, { 1030, "F_DUPFD_CLOEXEC" },
	{ 1031, "F_SETPIPE_SZ" }, { 1032, "F_GETPIPE_SZ" },
	{ 1033, "F_ADD_SEALS" }, { 1034, "F_GET_SEALS" },
	{ 1035, "F_GET_RW_HINT" }, { 1036, "F_SET_RW_HINT" },
	{ 1037, "F_GET_FILE_RW_HINT" }, { 1038, "F_SET_FILE_RW_HINT" },
	{ 1039, "F_GETDELEG" }, { 1040, "F_SETDELEG" },
};

static void
check_fcntl(void)
{
	size_t		 i;
	unsigned int	 cmd;
	int		 all;

	_Static_assert(F_GETFL == 3 && F_SETFL == 4, "fcntl numbers");
	tap_ok(call(__NR_fcntl, 5, F_GETFL, 0, 0, 0) == ALLOW,
	    "fcntl F_GETFL is allowed");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, O_RDWR | O_NONBLOCK, 0, 0) ==
	    ALLOW, "fcntl F_SETFL O_NONBLOCK is allowed");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, 0, 0, 0) == ALLOW,
	    "fcntl F_SETFL 0 is allowed");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, O_ASYNC, 0, 0) == KILL,
	    "fcntl F_SETFL O_ASYNC kills");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, O_RDWR | O_NONBLOCK | O_ASYNC,
	    0, 0) == KILL, "fcntl F_SETFL O_NONBLOCK|O_ASYNC kills");
	/* The kernel reads F_SETFL's flags as an int: so does the filter. */
	tap_ok(call(__NR_fcntl, 5, F_SETFL, HIGH(0xffffffff) | O_ASYNC, 0,
	    0) == KILL, "fcntl F_SETFL O_ASYNC with the high word set kills");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, HIGH(0xffffffff) | O_NONBLOCK, 0,
	    0) == ALLOW, "fcntl F_SETFL O_NONBLOCK with garbage in the high "
	    "word is allowed (the kernel ignores it)");
	tap_ok(call(__NR_fcntl, 5, F_SETFL, HIGH(O_ASYNC), 0, 0) == ALLOW,
	    "fcntl F_SETFL with O_ASYNC's bit only in the high word is "
	    "allowed (the kernel sees no O_ASYNC)");
	/* The kernel takes cmd as an unsigned int: the high word is not cmd. */
	tap_ok(call(__NR_fcntl, 5, HIGH(1) | 8, HIGH(0xffffffff) | 0xfffff000,
	    0, 0) == KILL, "fcntl F_SETOWN to a negative pid, dressed up with "
	    "high bits in cmd, kills");
	tap_ok(call(__NR_fcntl, 5, HIGH(0xffffffff) | F_SETFL, O_ASYNC, 0, 0) ==
	    KILL, "fcntl F_SETFL O_ASYNC with high bits in cmd kills");
	tap_ok(call(__NR_fcntl, 5, HIGH(1) | F_GETFL, 0, 0, 0) == ALLOW,
	    "fcntl F_GETFL with high bits in cmd is allowed (the kernel sees "
	    "F_GETFL)");
	for (i = 0; i < sizeof(fcntl_cmds) / sizeof(fcntl_cmds[0]); i++)
		tap_ok(call(__NR_fcntl, 5, fcntl_cmds[i].cmd, 0, 0, 0) == KILL,
		    "fcntl %s kills", fcntl_cmds[i].name);
	tap_ok(call(__NR_fcntl, 5, 8, (unsigned long long)-1234, 0, 0) == KILL,
	    "fcntl F_SETOWN to a process group kills");
	tap_ok(call(__NR_fcntl, 5, 10, 9, 0, 0) == KILL,
	    "fcntl F_SETSIG SIGKILL kills");
	all = 1;
	for (cmd = 0; cmd < 4096; cmd++)
		if (cmd != F_GETFL && cmd != F_SETFL &&
		    call(__NR_fcntl, 5, cmd, 0, 0, 0) != KILL)
			all = 0;
	tap_ok(all && call(__NR_fcntl, 5, 0x80000000, 0, 0, 0) == KILL &&
	    call(__NR_fcntl, 5, 0xffffffff, 0, 0, 0) == KILL,
	    "every other fcntl command (0..4095, 2^31, 2^32-1) kills");
}

/* CPU clock of a process, as glibc's clock_getcpuclockid() makes it. */
#define PROCESS_CPUCLOCK(pid)	(((unsigned int)~(pid) << 3) | 2U)

static void
check_clocks(void)
{
	static const int	 nr[] = { __NR_clock_gettime,
	    __NR_clock_nanosleep };
	static const char	*name[] = { "clock_gettime", "clock_nanosleep" };
	size_t			 i;

	for (i = 0; i < 2; i++) {
		tap_ok(call(nr[i], CLOCK_REALTIME, 0, 0, 0, 0) == ALLOW &&
		    call(nr[i], CLOCK_MONOTONIC, 0, 0, 0, 0) == ALLOW &&
		    call(nr[i], CLOCK_BOOTTIME, 0, 0, 0, 0) == ALLOW &&
		    call(nr[i], CLOCK_TAI, 0, 0, 0, 0) == ALLOW,
		    "%s on the system clocks is allowed", name[i]);
		tap_ok(call(nr[i], HIGH(1) | CLOCK_MONOTONIC, 0, 0, 0, 0) ==
		    ALLOW, "%s: the high word is not part of a clock id",
		    name[i]);
		tap_ok(call(nr[i], PROCESS_CPUCLOCK(1), 0, 0, 0, 0) == KILL,
		    "%s on another process's CPU clock kills", name[i]);
		tap_ok(call(nr[i], PROCESS_CPUCLOCK(0), 0, 0, 0, 0) == KILL &&
		    call(nr[i], CLOCK_TAI + 1, 0, 0, 0, 0) == KILL &&
		    call(nr[i], 0xffffffff, 0, 0, 0, 0) == KILL,
		    "%s on any other clock id kills", name[i]);
	}
}

static void
check_futex(void)
{
	static const struct { int op; const char *name; } killed[] = {
		{ 2, "FUTEX_FD" }, { FUTEX_REQUEUE, "FUTEX_REQUEUE" },
		{ FUTEX_CMP_REQUEUE, "FUTEX_CMP_REQUEUE" },
		{ FUTEX_WAKE_OP, "FUTEX_WAKE_OP" },
		{ FUTEX_LOCK_PI, "FUTEX_LOCK_PI" },
		{ FUTEX_UNLOCK_PI, "FUTEX_UNLOCK_PI" },
		{ FUTEX_TRYLOCK_PI, "FUTEX_TRYLOCK_PI" },
		{ FUTEX_WAIT_REQUEUE_PI, "FUTEX_WAIT_REQUEUE_PI" },
		{ FUTEX_CMP_REQUEUE_PI, "FUTEX_CMP_REQUEUE_PI" },
		{ 13, "FUTEX_LOCK_PI2" },
		{ FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG,
		    "FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG" },
	};
	size_t	 i;

	tap_ok(call(__NR_futex, 0, FUTEX_WAIT, 0, 0, 0) == ALLOW &&
	    call(__NR_futex, 0, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 0, 0, 0) ==
	    ALLOW && call(__NR_futex, 0, FUTEX_WAIT_BITSET |
	    FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME, 0, 0, 0) == ALLOW &&
	    call(__NR_futex, 0, FUTEX_WAKE_BITSET, 0, 0, 0) == ALLOW,
	    "futex wait and wake (private, bitset, realtime) are allowed");
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++)
		tap_ok(call(__NR_futex, 0, (unsigned int)killed[i].op, 0, 0,
		    0) == KILL, "futex %s kills", killed[i].name);
}

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif

/* The sanitizer builds allow mmap and madvise with any arguments. */
#ifdef SANITIZER_BUILD
#define MEM_VERDICT	ALLOW
#define MEM_WORDS	"is allowed (sanitizer build)"
#else
#define MEM_VERDICT	KILL
#define MEM_WORDS	"kills"
#endif

static void
check_memory(void)
{
	const unsigned long long	 rw = PROT_READ | PROT_WRITE;
	const unsigned long long	 anon = MAP_PRIVATE | MAP_ANONYMOUS;
	static const struct { unsigned long long flags; const char *name; }
	    bad_mmap[] = {
		{ MAP_PRIVATE, "a descriptor (no MAP_ANONYMOUS)" },
		{ MAP_SHARED | MAP_ANONYMOUS, "MAP_SHARED" },
		{ MAP_SHARED_VALIDATE | MAP_ANONYMOUS, "MAP_SHARED_VALIDATE" },
		{ MAP_ANONYMOUS, "no MAP_PRIVATE" },
		{ MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, "MAP_FIXED" },
		{ MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		    "MAP_FIXED_NOREPLACE" },
		{ MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, "MAP_GROWSDOWN" },
		{ MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, "MAP_LOCKED" },
		{ MAP_PRIVATE | MAP_ANONYMOUS | HIGH(1), "a flag in the high word" },
	};
	static const struct { int advice; const char *name; } bad_advice[] = {
		{ MADV_MERGEABLE, "MADV_MERGEABLE" }, { MADV_REMOVE, "MADV_REMOVE" },
		{ MADV_HWPOISON, "MADV_HWPOISON" }, { 101, "MADV_SOFT_OFFLINE" },
		{ MADV_DONTFORK, "MADV_DONTFORK" }, { MADV_WILLNEED, "MADV_WILLNEED" },
		{ 8, "MADV_FREE" }, { 25, "MADV_COLLAPSE" },
	};
	size_t	 i;
	int	 all;

	tap_ok(call(__NR_mmap, 0, 4096, rw, anon, (unsigned long long)-1) ==
	    ALLOW, "mmap of private anonymous memory is allowed");
	tap_ok(call(__NR_mmap, 0, 4096, PROT_NONE, anon | MAP_NORESERVE, 0) ==
	    ALLOW && call(__NR_mmap, 0, 4096, rw, anon | MAP_POPULATE, 0) ==
	    ALLOW && call(__NR_mmap, 0, 4096, rw, anon | MAP_HUGETLB |
	    (21U << MAP_HUGE_SHIFT), 0) == ALLOW,
	    "mmap with MAP_NORESERVE, MAP_POPULATE or MAP_HUGETLB is allowed");
	tap_ok(call(__NR_mmap, 0, 4096, PROT_READ | PROT_EXEC, anon, 0) ==
	    EXEC_VERDICT, "mmap with PROT_EXEC %s", EXEC_WORDS);
	for (i = 0; i < sizeof(bad_mmap) / sizeof(bad_mmap[0]); i++)
		tap_ok(call(__NR_mmap, 0, 4096, rw, bad_mmap[i].flags, 0) ==
		    MEM_VERDICT, "mmap with %s %s", bad_mmap[i].name, MEM_WORDS);

	tap_ok(verdict(__NR_mprotect, PROT_READ) == ALLOW,
	    "mprotect without PROT_EXEC is allowed");
	tap_ok(verdict(__NR_mprotect, PROT_EXEC) == EXEC_VERDICT,
	    "mprotect with PROT_EXEC %s", EXEC_WORDS);
	/* Only the low word is looked at; high bits must not hide PROT_EXEC. */
	tap_ok(verdict(__NR_mprotect, 0xffffffff00000000ULL | PROT_EXEC) ==
	    EXEC_VERDICT, "mprotect with PROT_EXEC and high bits set %s",
	    EXEC_WORDS);

	tap_ok(call(__NR_mremap, 0, 4096, 8192, MREMAP_MAYMOVE, 0) == ALLOW &&
	    call(__NR_mremap, 0, 8192, 4096, 0, 0) == ALLOW,
	    "mremap with MREMAP_MAYMOVE or no flags is allowed");
	tap_ok(call(__NR_mremap, 0, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED,
	    0x10000) == KILL, "mremap with MREMAP_FIXED kills");
	tap_ok(call(__NR_mremap, 0, 4096, 4096, MREMAP_MAYMOVE |
	    MREMAP_DONTUNMAP, 0) == KILL, "mremap with MREMAP_DONTUNMAP kills");
	tap_ok(call(__NR_mremap, 0, 4096, 8192, HIGH(1) | MREMAP_MAYMOVE, 0) ==
	    KILL, "mremap with a flag in the high word kills");

	tap_ok(call(__NR_madvise, 0, 4096, MADV_DONTNEED, 0, 0) == ALLOW &&
	    call(__NR_madvise, 0, 4096, MADV_HUGEPAGE, 0, 0) == ALLOW,
	    "madvise MADV_DONTNEED and MADV_HUGEPAGE are allowed");
	for (i = 0; i < sizeof(bad_advice) / sizeof(bad_advice[0]); i++)
		tap_ok(call(__NR_madvise, 0, 4096, (unsigned int)bad_advice[i].advice,
		    0, 0) == MEM_VERDICT, "madvise %s %s", bad_advice[i].name,
		    MEM_WORDS);
	all = 1;
	for (i = 0; i < 256; i++)
		if (i != MADV_DONTNEED && i != MADV_HUGEPAGE &&
		    call(__NR_madvise, 0, 4096, i, 0, 0) != MEM_VERDICT)
			all = 0;
	tap_ok(all, "madvise with any other advice (0..255) %s", MEM_WORDS);
}

static void
check_sendto(void)
{
	tap_ok(call(__NR_sendto, 3, 0x1000, 10, MSG_NOSIGNAL, 0) == ALLOW,
	    "sendto without an address is allowed");
	tap_ok(call(__NR_sendto, 3, 0x1000, 10, MSG_NOSIGNAL, 0x7fff0000) ==
	    KILL, "sendto with an address kills");
	tap_ok(call(__NR_sendto, 3, 0x1000, 10, 0, HIGH(1)) == KILL,
	    "sendto with an address above 4 GiB kills");
	tap_ok(verdict(__NR_sendmsg, 0) == ALLOW, "sendmsg is allowed");
}

int
main(void)
{
	struct seccomp_data	d;
	struct sock_filter	tiny[8];
	size_t			i;
	long long		v;
	int			all_end;
	static const struct { int nr; const char *name; } allowed[] = {
		{ __NR_read, "read" }, { __NR_write, "write" },
		{ __NR_recvmsg, "recvmsg" }, { __NR_sendmsg, "sendmsg" },
		{ __NR_ppoll, "ppoll" }, { __NR_close, "close" },
		{ __NR_exit_group, "exit_group" }, { __NR_getrandom, "getrandom" },
		{ __NR_clock_gettime, "clock_gettime" }, { __NR_brk, "brk" },
		{ __NR_munmap, "munmap" }, { __NR_sysinfo, "sysinfo" },
	};
	static const struct { int nr; const char *name; } killed[] = {
		{ __NR_socket, "socket" }, { __NR_connect, "connect" },
		{ __NR_execve, "execve" }, { __NR_setuid, "setuid" },
		{ __NR_unlinkat, "unlinkat" }, { __NR_chroot, "chroot" },
		{ __NR_bpf, "bpf" }, { __NR_io_uring_setup, "io_uring_setup" },
		{ __NR_tkill, "tkill" }, { __NR_rt_sigqueueinfo,
		    "rt_sigqueueinfo" },
		{ __NR_rt_tgsigqueueinfo, "rt_tgsigqueueinfo" },
		{ __NR_process_vm_readv, "process_vm_readv" },
		{ __NR_process_vm_writev, "process_vm_writev" },
		{ __NR_setpgid, "setpgid" },
		{ __NR_pkey_mprotect, "pkey_mprotect" },
#ifdef __NR_pidfd_send_signal
		{ __NR_pidfd_open, "pidfd_open" },
		{ __NR_pidfd_send_signal, "pidfd_send_signal" },
		{ __NR_process_madvise, "process_madvise" },
#endif
#ifdef __NR_futex_waitv
		{ __NR_futex_waitv, "futex_waitv" },
#endif
		{ __NR_clock_settime, "clock_settime" },
		{ __NR_timer_create, "timer_create" },
#ifndef SANITIZER_BUILD
		/* The sanitizer runtimes need these (see syscall_filter.c). */
		{ __NR_ptrace, "ptrace" }, { __NR_kill, "kill" },
		{ __NR_tgkill, "tgkill" }, { __NR_prctl, "prctl" },
#endif
	};

	proglen = syscall_filter_build(prog, SYSCALL_FILTER_MAX);
	tap_ok(proglen > 0 && proglen <= SYSCALL_FILTER_MAX,
	    "the program fits (%zu instructions)", proglen);
	tap_ok(syscall_filter_build(tiny, sizeof(tiny) / sizeof(tiny[0])) == 0,
	    "a program that does not fit is refused");

	/* Every path ends in a return: no jump lands past the end. */
	all_end = prog[proglen - 1].code == (BPF_RET | BPF_K);
	for (i = 0; i < proglen; i++)
		if (BPF_CLASS(prog[i].code) == BPF_JMP &&
		    (i + 1 + prog[i].jt >= proglen || i + 1 + prog[i].jf >= proglen))
			all_end = 0;
	tap_ok(all_end, "every jump stays inside the program");

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		tap_ok(verdict(allowed[i].nr, 0) == ALLOW, "%s is allowed",
		    allowed[i].name);
	for (i = 0; i < sizeof(killed) / sizeof(killed[0]); i++)
		tap_ok(verdict(killed[i].nr, 0) == KILL, "%s kills",
		    killed[i].name);
	check_fcntl();
	check_sendto();
	check_clocks();
	check_futex();
	check_memory();
	tap_ok(verdict(__NR_openat, 0) == REFUSE, "openat fails with EACCES");
#ifdef __NR_open
	tap_ok(verdict(__NR_open, 0) == REFUSE, "open fails with EACCES");
#endif

	/* The right numbers from another architecture mean other calls. */
	memset(&d, 0, sizeof(d));
	d.nr = __NR_read;
	d.arch = syscall_filter_arch() ^ 1;
	v = run(prog, proglen, &d);
	tap_ok(v == KILL, "another architecture is killed");
	d.arch = 0;
	tap_ok(run(prog, proglen, &d) == KILL, "architecture 0 is killed");
#ifdef __x86_64__
	d.arch = syscall_filter_arch();
	d.nr = 0x40000000 | __NR_read;
	tap_ok(run(prog, proglen, &d) == KILL, "an x32 system call is killed");
#endif
	return tap_done();
}

#else

int
main(void)
{
	tap_skip("built --without-seccomp", "seccomp program");
	return tap_done();
}

#endif
