/*
 * mode_memory.h: "secchat-bench memory": -n idle sessions, -W seconds to
 * settle, then RSS, PSS and private memory of every worker and of the
 * broker and master, before and after.  Needs -P, and root to read the
 * sandboxed processes.
 */
#ifndef SECCHAT_BENCH_MODE_MEMORY_H
#define SECCHAT_BENCH_MODE_MEMORY_H

/* Prints the result; 0 if every session and its worker was measured. */
int	run_memory(void);

#endif
