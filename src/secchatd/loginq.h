/*
 * loginq.h: the master's queue of password checks and its throttling
 * decisions, as functions over their inputs without I/O (the time is
 * passed in).  login.c ties them to the sessions and the checker.
 */
#ifndef SECCHAT_LOGINQ_H
#define SECCHAT_LOGINQ_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "buf.h"
#include "conf.h"
#include "proto.h"
#include "throttle.h"
#include "util.h"

/*
 * A password check waiting for the checker.  The checker is handed one at
 * a time, so a check whose connection has closed meanwhile is dropped
 * here instead of being worked on, and the master's channel to it never
 * holds more than one.
 */
struct login_check {
	TAILQ_ENTRY(login_check) entry;
	uint32_t		 session;
	uint32_t		 req;
	char			 source[ADMIT_SOURCE_MAX];
	char			 user[SECCHAT_NAME_MAX + 16];
	char			 peer[PEER_NAME_MAX];
	struct buf		 msg;	/* u32 req, str user, str password */
};
TAILQ_HEAD(login_checks, login_check);

struct login_queue {
	struct login_checks	 waiting;	/* not yet at the checker */
	struct login_check	*current;	/* at the checker */
	unsigned		 pending;	/* waiting and at the checker */
	uint32_t		 next_req;
	struct throttle		 failures;	/* per source, user, both */
};

enum login_verdict {
	LOGIN_CHECK,		/* queue the check */
	LOGIN_BUSY,		/* "server busy": it may try again */
	LOGIN_THROTTLED		/* too many failures: refused, final */
};

/* Failures are forgotten window_ms after the last one. */
void	loginq_init(struct login_queue *, uint64_t window_ms);
/* Frees every check and the throttle's table. */
void	loginq_free(struct login_queue *);
/*
 * What to do with a login attempt from source (a net block) as user:
 * the failures counted so far, the checks pending, the limits in conf
 * and whether the checker is ready decide.
 */
enum login_verdict loginq_decide(struct login_queue *, const struct config *,
	    const char *source, const char *user, int checker_ready,
	    uint64_t now_ms);
/* A new check with the next request number, or NULL (out of memory). */
struct login_check *loginq_check_new(struct login_queue *, uint32_t session,
	    const char *source, const char *user, const char *peer);
/* Build its request to the checker; -1 if it cannot be (discard it). */
int	loginq_check_request(struct login_check *, const uint8_t *name,
	    size_t namelen, const uint8_t *password, size_t pwlen);
/* Free a check that was never added. */
void	loginq_check_discard(struct login_check *);
/* Queue a check; the attempt counts as a failure from now on. */
void	loginq_add(struct login_queue *, struct login_check *, uint64_t now_ms);
/* The check to hand the checker, if it has none and one is waiting. */
struct login_check *loginq_next(struct login_queue *);
/* That check was handed over: its password is wiped here. */
void	loginq_sent(struct login_queue *, struct login_check *);
/*
 * The checker's answer to req for session: the check it was working on,
 * which is no longer at the checker, or NULL if it was not asked that.
 */
struct login_check *loginq_answered(struct login_queue *, uint32_t req,
	    uint32_t session);
/* The check at the checker, taken back (the checker is gone), or NULL. */
struct login_check *loginq_take_current(struct login_queue *);
/* A waiting check of session taken out of the queue, or NULL. */
struct login_check *loginq_withdraw(struct login_queue *, uint32_t session);
/* Free a check that was added and is no longer queued or at the checker. */
void	loginq_check_free(struct login_queue *, struct login_check *);
/*
 * Sources refused now for MaxAuthFailuresPerSource failures in the window
 * (whatever checks are pending), for the control socket's counters.
 */
unsigned loginq_throttled_sources(const struct login_queue *,
	    const struct config *, uint64_t now_ms);
/* An attempt counted as failed, or taken back if it succeeded. */
void	loginq_count_attempt(struct login_queue *, const char *source,
	    const char *user, int succeeded, uint64_t now_ms);

#endif
