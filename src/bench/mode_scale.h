/*
 * mode_scale.h: "secchat-bench scale": sessions in steps of -i up to the
 * cap -n, each step held -W seconds, until a step does not fully succeed.
 * Reports how many sessions were held at most and why the next failed.
 */
#ifndef SECCHAT_BENCH_MODE_SCALE_H
#define SECCHAT_BENCH_MODE_SCALE_H

/* Prints the result; 0 if any session was held at all. */
int	run_scale(void);

#endif
