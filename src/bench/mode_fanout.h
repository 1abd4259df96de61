/*
 * mode_fanout.h: "secchat-bench fanout": N sessions in the lobby, the
 * first S each saying -r messages a second (or, with -r 0, keeping -q in
 * flight); every receiver checks that each sender's messages arrive
 * complete, once, in order and from the right account, and measures
 * their latency.  With -P, the daemon's CPU time per delivery.
 */
#ifndef SECCHAT_BENCH_MODE_FANOUT_H
#define SECCHAT_BENCH_MODE_FANOUT_H

/* Prints the result; 0 if nothing was missing, duplicated or reordered. */
int	run_fanout(void);

#endif
