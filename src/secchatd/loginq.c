/*
 * loginq.c: the queue of password checks and the throttling decisions
 * (loginq.h).
 *
 * A source may fail MaxAuthFailuresPerSource times in a window, at any
 * accounts.  Once an account has drawn twice that many failures from
 * anywhere, each source gets only MaxAuthTries failures at that account:
 * a guesser spread over many addresses gains little from each, while the
 * account's own user, who mistyped once or twice, still gets in with the
 * right password.
 *
 * An attempt counts as a failure from the moment it is made, and one that
 * succeeds is taken back: attempts whose connection closes before the
 * answer still count, and simultaneous first attempts cannot all pass the
 * check before any is recorded.  Without the ones still waiting for the
 * checker the counts are the failures: past a limit, the answer is "too
 * many failed logins", final.  With them, the counts say whether one more
 * check could go past a limit once they are answered: then the answer is
 * "server busy", so that many users behind one address logging in at once
 * are held back, not refused as guessers, and no more checks are made than
 * the limits allow.
 */
#include "config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "loginq.h"
#include "throttle.h"
#include "util.h"

/* The throttle's keys for a source, an account, and the two together. */
struct login_keys {
	char	 source[THROTTLE_KEY_MAX];
	char	 user[THROTTLE_KEY_MAX];
	char	 pair[THROTTLE_KEY_MAX];
};

/* Checks queued or at the checker: from a source, for a user, for both. */
struct login_pending {
	unsigned	 source, user, pair;
};

void
loginq_init(struct login_queue *q, uint64_t window_ms)
{
	memset(q, 0, sizeof(*q));
	TAILQ_INIT(&q->waiting);
	throttle_init(&q->failures, 4096, window_ms);
}

void
loginq_free(struct login_queue *q)
{
	struct login_check	*c;

	if ((c = loginq_take_current(q)) != NULL)
		loginq_check_free(q, c);
	while ((c = TAILQ_FIRST(&q->waiting)) != NULL) {
		TAILQ_REMOVE(&q->waiting, c, entry);
		loginq_check_free(q, c);
	}
	throttle_free(&q->failures);
}

static void
login_keys(struct login_keys *k, const char *source, const char *user)
{
	snprintf(k->source, sizeof(k->source), "a:%s", source);
	snprintf(k->user, sizeof(k->user), "u:%s", user);
	snprintf(k->pair, sizeof(k->pair), "p:%s %s", source, user);
}

static void
pending_add(const struct login_check *c, const char *source,
    const char *user, struct login_pending *n)
{
	int	 same_source = strcmp(c->source, source) == 0;
	int	 same_user = strcmp(c->user, user) == 0;

	n->source += same_source;
	n->user += same_user;
	n->pair += same_source && same_user;
}

static void
pending_count(const struct login_queue *q, const char *source,
    const char *user, struct login_pending *n)
{
	struct login_check	*c;

	memset(n, 0, sizeof(*n));
	if (q->current != NULL)
		pending_add(q->current, source, user, n);
	TAILQ_FOREACH(c, &q->waiting, entry)
		pending_add(c, source, user, n);
}

/* a - b, or 0: an entry evicted from a full table counts fewer. */
static unsigned
less(unsigned a, unsigned b)
{
	return a > b ? a - b : 0;
}

/* Whether the counts, less the pending ones p, are past a limit. */
static int
over_limits(struct login_queue *q, const struct config *conf,
    const char *source, const char *user, const struct login_pending *p,
    uint64_t now)
{
	struct login_keys	 k;

	login_keys(&k, source, user);
	if (less(throttle_count(&q->failures, k.source, now), p->source) >=
	    conf->auth_fail_limit)
		return 1;
	if (less(throttle_count(&q->failures, k.user, now), p->user) <
	    2 * conf->auth_fail_limit)
		return 0;
	return less(throttle_count(&q->failures, k.pair, now), p->pair) >=
	    conf->max_auth_tries;
}

unsigned
loginq_throttled_sources(const struct login_queue *q,
    const struct config *conf, uint64_t now)
{
	const struct throttle_entry	*e;
	size_t				 i;
	unsigned			 n = 0;

	for (i = 0; i < q->failures.n; i++) {
		e = &q->failures.v[i];
		/* Within the window, as the throttle counts it. */
		if (now >= e->last_ms &&
		    now - e->last_ms >= q->failures.window_ms)
			continue;
		n += strncmp(e->key, "a:", 2) == 0 &&
		    e->failures >= conf->auth_fail_limit;
	}
	return n;
}

enum login_verdict
loginq_decide(struct login_queue *q, const struct config *conf,
    const char *source, const char *user, int checker_ready, uint64_t now)
{
	struct login_pending	 pending, none;

	pending_count(q, source, user, &pending);
	memset(&none, 0, sizeof(none));
	if (over_limits(q, conf, source, user, &pending, now))
		return LOGIN_THROTTLED;
	if (q->pending >= conf->max_auth_pending || !checker_ready ||
	    pending.source >= conf->max_auth_pending_source ||
	    over_limits(q, conf, source, user, &none, now))
		return LOGIN_BUSY;
	return LOGIN_CHECK;
}

struct login_check *
loginq_check_new(struct login_queue *q, uint32_t session, const char *source,
    const char *user, const char *peer)
{
	struct login_check	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if (++q->next_req == 0)
		q->next_req = 1;
	c->session = session;
	c->req = q->next_req;
	strlcpy(c->source, source, sizeof(c->source));
	strlcpy(c->user, user, sizeof(c->user));
	strlcpy(c->peer, peer, sizeof(c->peer));
	buf_init(&c->msg, 0);
	return c;
}

int
loginq_check_request(struct login_check *c, const uint8_t *name,
    size_t namelen, const uint8_t *password, size_t pwlen)
{
	if (buf_put_u32(&c->msg, c->req) == -1 ||
	    buf_put_str(&c->msg, name, namelen) == -1 ||
	    buf_put_str(&c->msg, password, pwlen) == -1)
		return -1;
	return 0;
}

void
loginq_check_discard(struct login_check *c)
{
	buf_free(&c->msg);	/* wipes the password */
	free(c);
}

void
loginq_add(struct login_queue *q, struct login_check *c, uint64_t now)
{
	TAILQ_INSERT_TAIL(&q->waiting, c, entry);
	q->pending++;
	loginq_count_attempt(q, c->source, c->user, 0, now);
}

struct login_check *
loginq_next(struct login_queue *q)
{
	if (q->current != NULL)
		return NULL;
	return TAILQ_FIRST(&q->waiting);
}

void
loginq_sent(struct login_queue *q, struct login_check *c)
{
	TAILQ_REMOVE(&q->waiting, c, entry);
	buf_free(&c->msg);
	q->current = c;
}

struct login_check *
loginq_answered(struct login_queue *q, uint32_t req, uint32_t session)
{
	struct login_check	*c = q->current;

	if (c == NULL || c->req != req || c->session != session)
		return NULL;
	q->current = NULL;
	return c;
}

struct login_check *
loginq_take_current(struct login_queue *q)
{
	struct login_check	*c = q->current;

	q->current = NULL;
	return c;
}

struct login_check *
loginq_withdraw(struct login_queue *q, uint32_t session)
{
	struct login_check	*c;

	TAILQ_FOREACH(c, &q->waiting, entry)
		if (c->session == session)
			break;
	if (c != NULL)
		TAILQ_REMOVE(&q->waiting, c, entry);
	return c;
}

void
loginq_check_free(struct login_queue *q, struct login_check *c)
{
	loginq_check_discard(c);
	q->pending--;
}

void
loginq_count_attempt(struct login_queue *q, const char *source,
    const char *user, int succeeded, uint64_t now)
{
	struct login_keys	 k;

	login_keys(&k, source, user);
	if (succeeded) {
		throttle_unfail(&q->failures, k.source, now);
		throttle_unfail(&q->failures, k.user, now);
		throttle_unfail(&q->failures, k.pair, now);
	} else {
		throttle_fail(&q->failures, k.source, now);
		throttle_fail(&q->failures, k.user, now);
		throttle_fail(&q->failures, k.pair, now);
	}
}
