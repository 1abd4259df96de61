/*
 * test-login.c: the master's password-check queue and throttling decisions
 * (loginq.c): what a login attempt is answered with given the failures
 * counted and the checks pending, and the queue that hands the checker one
 * check at a time.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "loginq.h"
#include "tap.h"

#define WINDOW_MS	300000
#define NOW		1000000		/* any time after the start */
#define SRC		"192.0.2.1/32"
#define SRC2		"192.0.2.2/32"

static struct config	 conf;
static struct login_queue q;

static void
reset(void)
{
	loginq_free(&q);
	loginq_init(&q, WINDOW_MS);
	config_defaults(&conf);
}

static void
fail_n(const char *source, const char *user, unsigned n)
{
	while (n-- > 0)
		loginq_count_attempt(&q, source, user, 0, NOW);
}

/* Queue a check as login_auth does; NULL if that failed. */
static struct login_check *
queue(uint32_t session, const char *source, const char *user)
{
	struct login_check	*c;

	if ((c = loginq_check_new(&q, session, source, user,
	    "192.0.2.1 port 4000")) == NULL)
		return NULL;
	if (loginq_check_request(c, (const uint8_t *)user, strlen(user),
	    (const uint8_t *)"secret", 6) == -1) {
		loginq_check_discard(c);
		return NULL;
	}
	loginq_add(&q, c, NOW);
	return c;
}

static enum login_verdict
decide(const char *source, const char *user)
{
	return loginq_decide(&q, &conf, source, user, 1, NOW);
}

static void
test_limits(void)
{
	char		 source[32];
	unsigned	 i;

	reset();
	tap_ok(decide(SRC, "alice") == LOGIN_CHECK,
	    "a first attempt is checked");
	tap_ok(loginq_decide(&q, &conf, SRC, "alice", 0, NOW) == LOGIN_BUSY,
	    "no checker ready: busy");

	/* MaxAuthFailuresPerSource (10), at any accounts. */
	for (i = 0; i < 9; i++) {
		snprintf(source, sizeof(source), "user%u", i);
		fail_n(SRC, source, 1);
	}
	tap_ok(decide(SRC, "alice") == LOGIN_CHECK,
	    "9 failures from a source: still checked");
	tap_ok(loginq_throttled_sources(&q, &conf, NOW) == 0,
	    "no source counted as throttled yet");
	fail_n(SRC, "bob", 1);
	tap_ok(decide(SRC, "alice") == LOGIN_THROTTLED,
	    "10 failures from a source, at other accounts: throttled");
	tap_ok(loginq_throttled_sources(&q, &conf, NOW) == 1 &&
	    loginq_throttled_sources(&q, &conf, NOW + WINDOW_MS) == 0,
	    "the control socket counts one throttled source, none a window "
	    "later");
	tap_ok(decide(SRC2, "alice") == LOGIN_CHECK,
	    "another source is not throttled for it");
	tap_ok(loginq_decide(&q, &conf, SRC, "alice", 1,
	    NOW + WINDOW_MS + 1) == LOGIN_CHECK,
	    "failures are forgotten one window after the last");

	/* A success takes its attempt back. */
	reset();
	for (i = 0; i < 10; i++) {
		fail_n(SRC, "alice", 1);
		loginq_count_attempt(&q, SRC, "alice", 1, NOW);
	}
	tap_ok(decide(SRC, "alice") == LOGIN_CHECK,
	    "attempts that succeeded are not failures");

	/*
	 * An account that drew twice MaxAuthFailuresPerSource failures from
	 * anywhere: each source gets MaxAuthTries (3) failures at it.
	 */
	reset();
	fail_n(SRC, "alice", 3);
	tap_ok(decide(SRC, "alice") == LOGIN_CHECK,
	    "3 failures at an account not under attack: still checked");
	for (i = 0; i < 17; i++) {
		snprintf(source, sizeof(source), "198.51.100.%u/32", i);
		fail_n(source, "alice", 1);
	}
	tap_ok(decide(SRC, "alice") == LOGIN_THROTTLED,
	    "20 failures at the account: a source with 3 there is throttled");
	tap_ok(decide(SRC2, "alice") == LOGIN_CHECK,
	    "a source without failures there is still checked");
	tap_ok(decide(SRC, "bob") == LOGIN_CHECK,
	    "the throttled source is still checked at another account");
}

static void
test_pending(void)
{
	struct login_check	*c;
	char			 user[32];
	unsigned		 i;
	int			 ok = 1;

	/* Pending checks make an attempt wait; completed failures refuse. */
	reset();
	fail_n(SRC, "alice", 9);
	tap_ok(queue(1, SRC, "alice") != NULL, "a check is queued");
	tap_ok(q.pending == 1, "and counted as pending");
	tap_ok(decide(SRC, "alice") == LOGIN_BUSY,
	    "9 failures and 1 pending: busy, not throttled");
	c = loginq_next(&q);
	loginq_sent(&q, c);
	tap_ok(decide(SRC, "alice") == LOGIN_BUSY,
	    "the same while the check is at the checker");
	c = loginq_answered(&q, c->req, 1);
	loginq_count_attempt(&q, SRC, "alice", 1, NOW);
	loginq_check_free(&q, c);
	tap_ok(q.pending == 0 && decide(SRC, "alice") == LOGIN_CHECK,
	    "answered with a match: checked again");
	tap_ok(queue(2, SRC, "alice") != NULL, "another check is queued");
	c = loginq_next(&q);
	loginq_sent(&q, c);
	c = loginq_answered(&q, c->req, 2);
	loginq_check_free(&q, c);
	tap_ok(decide(SRC, "alice") == LOGIN_THROTTLED,
	    "answered with no match: 10 failures, throttled");

	/* MaxAuthPendingPerSource (4). */
	reset();
	for (i = 0; i < 4; i++) {
		snprintf(user, sizeof(user), "user%u", i);
		if (decide(SRC, user) != LOGIN_CHECK ||
		    queue(10 + i, SRC, user) == NULL)
			ok = 0;
	}
	tap_ok(ok, "4 checks pending from one source");
	tap_ok(decide(SRC, "alice") == LOGIN_BUSY,
	    "a fifth from that source: busy");
	tap_ok(decide(SRC2, "alice") == LOGIN_CHECK,
	    "another source is still checked");

	/* MaxAuthPending, over all sources. */
	reset();
	conf.max_auth_pending = 2;
	queue(1, SRC, "alice");
	queue(2, SRC2, "bob");
	tap_ok(decide("203.0.113.9/32", "carol") == LOGIN_BUSY,
	    "MaxAuthPending checks pending: busy for anyone");
}

static void
test_queue(void)
{
	struct login_check	*c1, *c2, *c3;
	struct reader		 r;
	const uint8_t		*p;
	size_t			 len;
	uint32_t		 req;

	reset();
	c1 = queue(1, SRC, "alice");
	c2 = queue(2, SRC2, "bob");
	tap_ok(c1 != NULL && c2 != NULL && c1->req != 0 &&
	    c2->req == c1->req + 1, "requests are numbered in turn");

	rd_init(&r, buf_head(&c1->msg), buf_used(&c1->msg));
	req = rd_u32(&r);
	p = rd_str(&r, &len);
	tap_ok(req == c1->req && p != NULL && len == 5 &&
	    memcmp(p, "alice", 5) == 0 && (p = rd_str(&r, &len)) != NULL &&
	    len == 6 && memcmp(p, "secret", 6) == 0 && rd_done(&r) == 0,
	    "the request: u32 number, str user, str password");

	tap_ok(loginq_next(&q) == c1, "the first queued goes first");
	loginq_sent(&q, c1);
	tap_ok(buf_used(&c1->msg) == 0, "its password is wiped once sent");
	tap_ok(q.current == c1 && loginq_next(&q) == NULL,
	    "the checker has one check at a time");
	tap_ok(loginq_answered(&q, c1->req + 1, 1) == NULL &&
	    loginq_answered(&q, c1->req, 2) == NULL && q.current == c1,
	    "an answer to another request or session is not taken");
	tap_ok(loginq_answered(&q, c1->req, 1) == c1 && q.current == NULL,
	    "the answer takes the check from the checker");
	loginq_check_free(&q, c1);
	tap_ok(loginq_next(&q) == c2, "then the next one goes");

	c3 = queue(3, SRC, "carol");
	tap_ok(loginq_withdraw(&q, 2) == c2 && loginq_next(&q) == c3,
	    "a waiting check is withdrawn when its session goes");
	loginq_check_free(&q, c2);
	loginq_sent(&q, c3);
	tap_ok(loginq_withdraw(&q, 3) == NULL && q.current == c3,
	    "the one at the checker is not withdrawn");
	tap_ok(loginq_take_current(&q) == c3 && q.current == NULL &&
	    q.pending == 1, "a lost checker gives its check back");
	loginq_check_free(&q, c3);
	tap_ok(q.pending == 0, "nothing pending");

	q.next_req = UINT32_MAX;
	c1 = queue(4, SRC, "alice");
	tap_ok(c1 != NULL && c1->req == 1, "request numbers skip 0");
}

int
main(void)
{
	loginq_init(&q, WINDOW_MS);
	test_limits();
	test_pending();
	test_queue();
	loginq_free(&q);
	return tap_done();
}
