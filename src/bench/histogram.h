/*
 * histogram.h: latencies in nanoseconds, kept in buckets whose width is
 * 1/128 of their value (under 1% error) from 0 to 2^40 ns (18 minutes),
 * so that millions of samples cost a fixed 35 KiB and any percentile can
 * be read at the end.
 */
#ifndef SECCHAT_BENCH_HISTOGRAM_H
#define SECCHAT_BENCH_HISTOGRAM_H

#include <stdint.h>

#define HIST_SUB_BITS	7
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_MAX_BITS	40
#define HIST_NBUCKETS	(HIST_SUB + (HIST_MAX_BITS - HIST_SUB_BITS + 1) * \
			    HIST_SUB)

/* All zero is an empty histogram. */
struct histogram {
	uint64_t	 b[HIST_NBUCKETS];
	uint64_t	 count, max, sum;
};

void		 histogram_add(struct histogram *, uint64_t ns);
/* The value at or below which a fraction p (0..1) of the samples lie. */
uint64_t	 histogram_percentile(const struct histogram *, double p);

#endif
