/*
 * syscall_filter.h: the seccomp allow-list of the sandboxed children, as a
 * classic BPF program written by hand (as OpenSSH does) rather than built
 * with libseccomp: building costs every worker heap pages and a shared
 * object, and the program is short enough to read.
 *
 * The program checks the architecture (anything else is killed), then
 * allows the listed system calls; allows fcntl, sendto, the clocks,
 * futex, mremap, mmap, mprotect and madvise only with the arguments the
 * code needs (syscall_filter.c says which and why: above all no O_ASYNC,
 * F_SETOWN or F_SETSIG, with which a process could signal any other of
 * its uid, and no PROT_EXEC); fails open/openat/stat/access with EACCES
 * (libc may try to read locale or time zone files); and kills the process
 * on anything else.
 */
#ifndef SECCHAT_SYSCALL_FILTER_H
#define SECCHAT_SYSCALL_FILTER_H

#include <stddef.h>

#ifdef HAVE_SECCOMP
#include <linux/filter.h>

/* Room for every rule, with the sanitizer builds' longer list. */
#define SYSCALL_FILTER_MAX	256

/*
 * Writes the program into prog (room for max instructions); returns its
 * length, or 0 if it does not fit.  A pure function, so that a test can
 * run the program it returns.
 */
size_t	syscall_filter_build(struct sock_filter *prog, size_t max);
/* The audit architecture the program accepts. */
unsigned int syscall_filter_arch(void);
#endif

/* Build and install the filter; exits the process if that fails. */
void	syscall_filter_install(void);

#endif
