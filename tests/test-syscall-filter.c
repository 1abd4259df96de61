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
#include <sys/syscall.h>

#include <linux/seccomp.h>

#include <errno.h>

#include "sandbox.h"

/*
 * The instructions syscall_filter_build() may emit: load a word of
 * seccomp_data, compare (JEQ, JGE, JSET with a constant), return.  Anything
 * else, a jump out of the program or falling off its end is an error (-1).
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

static long long
verdict(int nr, unsigned long long arg2)
{
	struct seccomp_data	d;

	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = syscall_filter_arch();
	d.args[2] = arg2;
	return run(prog, proglen, &d);
}

#define ALLOW		((long long)SECCOMP_RET_ALLOW)
#define KILL		((long long)SECCOMP_RET_KILL_PROCESS)
#define REFUSE		((long long)(SECCOMP_RET_ERRNO | EACCES))

/* The sanitizer runtimes map code of their own: their builds allow it. */
#ifdef SANITIZER_BUILD
#define EXEC_VERDICT	ALLOW
#define EXEC_WORDS	"is allowed (sanitizer build)"
#else
#define EXEC_VERDICT	KILL
#define EXEC_WORDS	"kills"
#endif

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
		{ __NR_munmap, "munmap" }, { __NR_madvise, "madvise" },
		{ __NR_sysinfo, "sysinfo" },
	};
	static const struct { int nr; const char *name; } killed[] = {
		{ __NR_socket, "socket" }, { __NR_connect, "connect" },
		{ __NR_execve, "execve" }, { __NR_setuid, "setuid" },
		{ __NR_unlinkat, "unlinkat" }, { __NR_chroot, "chroot" },
		{ __NR_bpf, "bpf" }, { __NR_io_uring_setup, "io_uring_setup" },
#ifndef SANITIZER_BUILD
		/* The sanitizer runtimes need these two. */
		{ __NR_ptrace, "ptrace" }, { __NR_kill, "kill" },
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
	tap_ok(verdict(__NR_mmap, PROT_READ | PROT_WRITE) == ALLOW,
	    "mmap without PROT_EXEC is allowed");
	tap_ok(verdict(__NR_mprotect, PROT_READ) == ALLOW,
	    "mprotect without PROT_EXEC is allowed");
	tap_ok(verdict(__NR_mmap, PROT_READ | PROT_EXEC) == EXEC_VERDICT,
	    "mmap with PROT_EXEC %s", EXEC_WORDS);
	tap_ok(verdict(__NR_mprotect, PROT_EXEC) == EXEC_VERDICT,
	    "mprotect with PROT_EXEC %s", EXEC_WORDS);
	/* Only the low word is looked at; high bits must not hide PROT_EXEC. */
	tap_ok(verdict(__NR_mprotect, 0xffffffff00000000ULL | PROT_EXEC) ==
	    EXEC_VERDICT, "mprotect with PROT_EXEC and high bits set %s",
	    EXEC_WORDS);
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
