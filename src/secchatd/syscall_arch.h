/*
 * syscall_arch.h: the audit architecture a seccomp program must check.
 *
 * Only architectures whose C library makes the socket calls directly are
 * listed: 32-bit x86 multiplexes them through socketcall(2), which this
 * filter does not take apart.  configure includes this file to decide
 * whether the seccomp filter can be built (elsewhere: --without-seccomp).
 */
#ifndef SECCHAT_SYSCALL_ARCH_H
#define SECCHAT_SYSCALL_ARCH_H

#include <linux/audit.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_X86_64
#define SECCOMP_X32_BIT		0x40000000U
#elif defined(__aarch64__) && !defined(__ILP32__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__arm__) && defined(__ARM_EABI__) && defined(__ARMEL__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_ARM
#elif defined(__riscv) && __riscv_xlen == 64
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define SECCOMP_AUDIT_ARCH	AUDIT_ARCH_S390X
#else
#error "no seccomp filter for this architecture: configure --without-seccomp"
#endif

#endif
