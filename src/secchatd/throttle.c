/*
 * throttle.c: failed-login accounting, kept by the master.
 *
 * A small table searched linearly: it is consulted once per login attempt,
 * and its size is bounded by the configuration, so a scan is cheaper than
 * the password check it guards and much simpler than a hash.  Entries whose
 * last failure is a window old are forgotten as they are met; when the
 * table is full the entry with the oldest failure gives way, so an attacker
 * who fills the table can only make it forget the quietest sources.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

void
throttle_init(struct throttle *t, size_t cap, uint64_t window_ms)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap;
	t->window_ms = window_ms;
}

void
throttle_free(struct throttle *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* A clock that steps back counts as "still within the window". */
static int
expired(const struct throttle *t, const struct throttle_entry *e,
    uint64_t now_ms)
{
	return now_ms >= e->last_ms && now_ms - e->last_ms >= t->window_ms;
}

static void
remove_at(struct throttle *t, size_t i)
{
	t->v[i] = t->v[t->n - 1];
	t->n--;
}

/*
 * Keys longer than THROTTLE_KEY_MAX - 1 bytes are compared by their
 * prefix; the callers' keys (addresses, user names) are shorter.
 */
static struct throttle_entry *
lookup(struct throttle *t, const char *key, uint64_t now_ms)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		if (strncmp(t->v[i].key, key, THROTTLE_KEY_MAX - 1) != 0)
			continue;
		if (expired(t, &t->v[i], now_ms)) {
			remove_at(t, i);
			return NULL;
		}
		return &t->v[i];
	}
	return NULL;
}

unsigned
throttle_count(struct throttle *t, const char *key, uint64_t now_ms)
{
	struct throttle_entry	*e;

	if ((e = lookup(t, key, now_ms)) == NULL)
		return 0;
	return e->failures;
}

/* Drop every expired entry; returns 1 if that made room. */
static int
purge(struct throttle *t, uint64_t now_ms)
{
	size_t	 i, before = t->n;

	for (i = 0; i < t->n; ) {
		if (expired(t, &t->v[i], now_ms))
			remove_at(t, i);
		else
			i++;
	}
	return t->n < before;
}

static void
evict_oldest(struct throttle *t)
{
	size_t	 i, oldest = 0;

	for (i = 1; i < t->n; i++)
		if (t->v[i].last_ms < t->v[oldest].last_ms)
			oldest = i;
	remove_at(t, oldest);
}

/*
 * A free slot.  The array is allocated at its full (configured) size the
 * first time anyone fails, so later failures never allocate.  NULL only if
 * cap is 0 or memory is short: then the failure goes unrecorded.
 */
static struct throttle_entry *
new_entry(struct throttle *t, uint64_t now_ms)
{
	if (t->cap == 0)
		return NULL;
	if (t->v == NULL &&
	    (t->v = calloc(t->cap, sizeof(*t->v))) == NULL)
		return NULL;
	if (t->n == t->cap && !purge(t, now_ms))
		evict_oldest(t);
	return &t->v[t->n++];
}

void
throttle_fail(struct throttle *t, const char *key, uint64_t now_ms)
{
	struct throttle_entry	*e;

	if ((e = lookup(t, key, now_ms)) == NULL) {
		if ((e = new_entry(t, now_ms)) == NULL)
			return;
		memset(e, 0, sizeof(*e));
		strlcpy(e->key, key, sizeof(e->key));
	}
	if (e->failures < UINT_MAX)
		e->failures++;
	e->last_ms = now_ms;
}

void
throttle_unfail(struct throttle *t, const char *key, uint64_t now_ms)
{
	struct throttle_entry	*e;

	if ((e = lookup(t, key, now_ms)) == NULL)
		return;
	if (e->failures <= 1)
		remove_at(t, (size_t)(e - t->v));
	else
		e->failures--;
}

#define BUCKET_UNIT	1000	/* one event, in thousandths */

int
throttle_admit(struct throttle *t, const char *key, uint64_t now_ms,
    unsigned rate, unsigned burst)
{
	struct throttle_entry	*e;
	uint64_t		 level, drained;

	if (rate == 0 || burst == 0)
		return 1;
	if ((e = lookup(t, key, now_ms)) == NULL) {
		if ((e = new_entry(t, now_ms)) == NULL)
			return 1;	/* no memory: do not refuse for it */
		memset(e, 0, sizeof(*e));
		strlcpy(e->key, key, sizeof(e->key));
		e->last_ms = now_ms;
	}
	/* A clock that steps back drains nothing. */
	drained = now_ms > e->last_ms ? (now_ms - e->last_ms) * rate : 0;
	level = e->failures > drained ? e->failures - drained : 0;
	e->last_ms = now_ms;
	if (level + BUCKET_UNIT > (uint64_t)burst * BUCKET_UNIT) {
		e->failures = (unsigned)level;
		return 0;
	}
	e->failures = (unsigned)(level + BUCKET_UNIT);
	return 1;
}

void
throttle_forget(struct throttle *t, const char *key)
{
	size_t	 i;

	for (i = 0; i < t->n; i++) {
		if (strncmp(t->v[i].key, key, THROTTLE_KEY_MAX - 1) == 0) {
			remove_at(t, i);
			return;
		}
	}
}
