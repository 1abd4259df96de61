/*
 * stamp.h: the text of a fan-out message and the receiver's check of it,
 * shared by the secchat fan-out and the IRC mode so that both count and
 * time deliveries in exactly the same way.
 *
 * A message's text is "SENDER SEQ T " and padding, where T is
 * CLOCK_MONOTONIC in ns when the message was queued: the receiver, in the
 * same process, reads its latency off the text without any table of what
 * was sent.
 */
#ifndef SECCHAT_BENCH_STAMP_H
#define SECCHAT_BENCH_STAMP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Per receiver and sender: what arrived, as a sliding window of 64
 * sequence numbers, which tells a duplicate from a late arrival.
 */
struct seq_window {
	uint64_t	 next;		/* highest sequence seen + 1 */
	uint64_t	 window;	/* bit i: next - 1 - i arrived */
};

enum seq_verdict {
	SEQ_IN_ORDER,	/* the next one, or after a gap that may yet fill */
	SEQ_LATE,	/* fills a gap, or too old to tell: out of order */
	SEQ_DUPLICATE
};

/*
 * Write "SENDER SEQ T " and 'x' padding to size bytes (or the header
 * alone, if longer) into text, which has room for size + 64 + 1 bytes.
 */
void		 stamp_format(char *text, unsigned size, int sender,
		    uint64_t seq, uint64_t t);
/* 0, or -1 if the text is not a stamp. */
int		 stamp_parse(const char *text, uint64_t *sender, uint64_t *seq,
		    uint64_t *t);
/* Record that seq arrived, and say how it fits what came before. */
enum seq_verdict seq_window_note(struct seq_window *, uint64_t seq);

#endif
