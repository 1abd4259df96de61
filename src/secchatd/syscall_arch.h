/*
 * syscall_arch.h: the audit architecture a seccomp program must check.
 *
 * Only architectures whose system call list has been checked against
 * what the C library really calls are listed.  Others differ in ways the
 * filter does not handle: 32-bit x86 and s390x multiplex the socket calls
 * through socketcall(2), s390x passes mmap's arguments in memory, ppc64
 * has a separate send(2), 32-bit ARM has mmap2 only.  configure includes
 * this file to decide whether the filter can be built; elsewhere the
 * daemon is built without one, as with --without-seccomp.
 */
#ifndef SECCHAT_SYSCALL_ARCH_H
#define SECCHAT_SYSCALL_ARCH_H

#include <linux/audit.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#define SECCOMP_X32_BIT		0x40000000U
#elif defined(__aarch64__) && !defined(__ILP32__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#else
#error "no seccomp filter for this architecture: configure --without-seccomp"
#endif

#endif
