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

#define THROTTLE_KEY_MAX	64

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

#endif
