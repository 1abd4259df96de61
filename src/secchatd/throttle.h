/*
 * throttle.h: failed-login accounting, kept by the master.
 *
 * Failures are counted per key (a source address, or an account name) and
 * forgotten one window after the last one.  The table is bounded: when it
 * is full the entry with the oldest failure makes room.
 */
#ifndef SECCHAT_THROTTLE_H
#define SECCHAT_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

/* "p:" + an IPv6 address + "/" + a user name fits. */
#define THROTTLE_KEY_MAX	128

struct throttle_entry {
	char		key[THROTTLE_KEY_MAX];
	unsigned	failures;
	uint64_t	last_ms;
};

struct throttle {
	struct throttle_entry	*v;
	size_t			 n, cap;
	uint64_t		 window_ms;
};

void	throttle_init(struct throttle *, size_t cap, uint64_t window_ms);
void	throttle_free(struct throttle *);
/* Failures recorded for key within the window (0 if none). */
unsigned throttle_count(struct throttle *, const char *key, uint64_t now_ms);
void	throttle_fail(struct throttle *, const char *key, uint64_t now_ms);
void	throttle_forget(struct throttle *, const char *key);
/* Take back one failure (an attempt counted when made, that succeeded). */
void	throttle_unfail(struct throttle *, const char *key, uint64_t now_ms);
/*
 * A leaky bucket per key for rates: every admitted event adds one, and the
 * level drains at rate per second; an event that would take the level past
 * burst is refused (0), and adds nothing.  The table's window must be the
 * time a full bucket takes to drain, burst * 1000 / rate ms: an entry that
 * old has drained and is forgotten.
 */
int	throttle_admit(struct throttle *, const char *key, uint64_t now_ms,
	    unsigned rate, unsigned burst);

#endif
