/*
 * histogram.c: latencies, for percentiles.  The buckets are log-linear:
 * HIST_SUB exact values, then for each power of two HIST_SUB buckets
 * spanning it, so the relative error is the same at 50 us as at 5 s.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

static size_t
histogram_index(uint64_t v)
{
	unsigned	 k;

	if (v < HIST_SUB)
		return (size_t)v;
	if (v >= (1ULL << (HIST_MAX_BITS + 1)))
		v = (1ULL << (HIST_MAX_BITS + 1)) - 1;
	k = 63 - (unsigned)__builtin_clzll(v);
	return HIST_SUB + (size_t)(k - HIST_SUB_BITS) * HIST_SUB +
	    (size_t)((v >> (k - HIST_SUB_BITS)) - HIST_SUB);
}

/* The middle of bucket i. */
static uint64_t
histogram_value(size_t i)
{
	size_t		 g, sub;
	unsigned	 shift;

	if (i < HIST_SUB)
		return i;
	g = (i - HIST_SUB) / HIST_SUB;
	sub = (i - HIST_SUB) % HIST_SUB;
	shift = (unsigned)g;
	return ((HIST_SUB + sub) << shift) + ((1ULL << shift) >> 1);
}

void
histogram_add(struct histogram *h, uint64_t v)
{
	h->b[histogram_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

uint64_t
histogram_percentile(const struct histogram *h, double p)
{
	uint64_t	 rank, seen = 0, v;
	size_t		 i;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(p * (double)h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_NBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			v = histogram_value(i);
			/* The bucket's middle may lie above every sample. */
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}
