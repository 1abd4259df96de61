/*
 * login.c: the master's part in a login (login.h).
 *
 * Nothing slow runs here: the password is hashed by the checker, to which
 * the checks are handed one at a time; the decisions are in loginq.c.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "children.h"
#include "ipc.h"
#include "keys.h"
#include "log.h"
#include "login.h"
#include "loginq.h"
#include "master.h"
#include "mlog.h"
#include "pwhash.h"
#include "sessions.h"
#include "util.h"

#define AUTH_BUSY_REASON	"server busy; try again"
#define AUTH_FAIL_REASON	"invalid user name or password"
#define AUTH_THROTTLED_REASON	"too many failed logins; try again later"
#define AUTH_USER_FULL_REASON	"too many sessions for this user"

static struct login_queue	 lq;

void
login_init(void)
{
	loginq_init(&lq, (uint64_t)mctx.conf->auth_fail_window * 1000);
}

static void
login_reply_fail(struct msession *s, const char *reason, int final)
{
	struct buf	 b;
	unsigned	 max = mctx.conf->max_auth_tries;
	unsigned	 left = s->tries >= max ? 0 : max - s->tries;

	if (final)
		left = 0;
	/*
	 * The worker closes after a final refusal: say why when it is
	 * reaped.
	 */
	if (left == 0) {
		strlcpy(s->reason, reason, sizeof(s->reason));
		s->worker_reason = 0;
	}
	buf_init(&b, 0);
	buf_put_u8(&b, (uint8_t)left);
	buf_put_u8(&b, left == 0 ? 1 : 0);
	buf_put_str(&b, reason, strlen(reason));
	if (ipc_composev(&s->chan, IMSG_W_AUTH_FAIL, s->id, &b) == -1)
		msession_kill(s, "cannot queue AUTH_FAIL");
	buf_free(&b);
	s->state = MS_PREAUTH;
}

void
login_dispatch(void)
{
	struct mchild		*authd = mchild_get(MCHILD_AUTHD);
	struct login_check	*c;

	if (authd->pid <= 0 || authd->killed || !authd->ready ||
	    (c = loginq_next(&lq)) == NULL)
		return;
	if (ipc_composev(&authd->chan, IMSG_A_CHECK, c->session,
	    &c->msg) == -1)
		return;		/* the channel is full: next turn */
	loginq_sent(&lq, c);
}

/*
 * A check not yet handed to the checker is dropped; it has been counted as
 * a failure already.  The one at the checker is answered, and accounted
 * for, when it returns.
 */
void
login_abandon(struct msession *s)
{
	struct login_check	*c;

	if ((c = loginq_withdraw(&lq, s->id)) == NULL)
		return;
	log_info("Failed login for %s from %s: connection closed before "
	    "the password was checked", s->user, s->peer);
	loginq_check_free(&lq, c);
}

void
login_auth(struct msession *s, const struct ipc_msg *im)
{
	struct reader		 r;
	struct login_check	*c = NULL;
	enum login_verdict	 verdict;
	const uint8_t		*key, *user, *pw;
	size_t			 ulen, pwlen;
	uint64_t		 now;

	rd_init(&r, im->data, im->len);
	key = rd_bytes(&r, KEY_LEN);
	user = rd_str(&r, &ulen);
	pw = rd_str(&r, &pwlen);
	/*
	 * The worker's decoder enforces these; a worker that does not is
	 * lying.
	 */
	if (rd_done(&r) == -1 || !s->dh_done || s->state != MS_PREAUTH ||
	    pwlen == 0 || pwlen > PWHASH_MAX_PASSWORD || ulen == 0 ||
	    ulen > 255) {
		msession_kill(s, "bad AUTH request");
		return;
	}
	if (++s->tries > mctx.conf->max_auth_tries) {
		msession_kill(s, "too many AUTH requests");
		return;
	}
	keys_fingerprint(key, s->fpr);
	if (valid_username((const char *)user, ulen)) {
		memcpy(s->user, user, ulen);
		s->user[ulen] = '\0';
	} else
		strlcpy(s->user, "(invalid name)", sizeof(s->user));
	now = mono_ms();
	verdict = loginq_decide(&lq, mctx.conf, s->source, s->user,
	    mchild_get(MCHILD_AUTHD)->ready, now);
	if (verdict == LOGIN_THROTTLED) {
		mlog_conn("throttled login for %s from %s", s->user, s->peer);
		login_reply_fail(s, AUTH_THROTTLED_REASON, 1);
		return;
	}
	if (verdict == LOGIN_BUSY || (c = loginq_check_new(&lq, s->id,
	    s->source, s->user, s->peer)) == NULL) {
		mlog_conn("throttled login for %s from %s: too many password "
		    "checks waiting", s->user, s->peer);
		s->tries--;
		login_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	if (loginq_check_request(c, user, ulen, pw, pwlen) == -1) {
		loginq_check_discard(c);
		s->tries--;
		login_reply_fail(s, AUTH_BUSY_REASON, 0);
		return;
	}
	s->auth_req = c->req;
	loginq_add(&lq, c, now);
	s->state = MS_AUTHPENDING;
	login_dispatch();
}

void
login_result(struct mchild *authd, const struct ipc_msg *im)
{
	struct reader		 r;
	struct msession		*s;
	struct login_check	*c;
	uint32_t		 req;
	uint8_t			 ok;

	rd_init(&r, im->data, im->len);
	req = rd_u32(&r);
	ok = rd_u8(&r);
	if (rd_done(&r) == -1 || ok > 1 ||
	    (c = loginq_answered(&lq, req, im->session)) == NULL) {
		mchild_misbehaved(authd, "bad RESULT");
		return;
	}
	if ((s = msession_by_id(c->session)) == NULL ||
	    s->state != MS_AUTHPENDING || s->auth_req != req) {
		/*
		 * Its connection closed while the checker worked on it.  The
		 * attempt stays counted, even with the right password: a
		 * connection reset must not be a way to guess for free.
		 */
		log_info("%s login for %s from %s: connection closed before "
		    "the answer", ok ? "Abandoned" : "Failed", c->user,
		    c->peer);
		loginq_check_free(&lq, c);
		login_dispatch();
		return;
	}
	loginq_check_free(&lq, c);
	s->auth_req = 0;
	if (ok && valid_username(s->user, strlen(s->user))) {
		loginq_count_attempt(&lq, s->source, s->user, 1, mono_ms());
		if (msessions_of_user(s->user) >= mctx.conf->max_per_user) {
			log_info("refused login for %s from %s: %s", s->user,
			    s->peer, AUTH_USER_FULL_REASON);
			login_reply_fail(s, AUTH_USER_FULL_REASON, 1);
		} else
			msession_activate(s);
	} else {
		log_info("Failed login for %s from %s key %s", s->user,
		    s->peer, s->fpr);
		login_reply_fail(s, AUTH_FAIL_REASON, 0);
	}
	login_dispatch();
}

/*
 * The check it was working on is lost, through no fault of the session's:
 * it may try again.  The queued ones wait for the new checker.
 */
void
login_checker_lost(void)
{
	struct login_check	*c;
	struct msession		*s;

	if ((c = loginq_take_current(&lq)) == NULL)
		return;
	loginq_count_attempt(&lq, c->source, c->user, 1, mono_ms());
	if ((s = msession_by_id(c->session)) != NULL &&
	    s->state == MS_AUTHPENDING && s->auth_req == c->req) {
		s->auth_req = 0;
		s->tries--;
		login_reply_fail(s, AUTH_BUSY_REASON, 0);
	}
	loginq_check_free(&lq, c);
}
