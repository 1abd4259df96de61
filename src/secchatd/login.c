/*
 * login.c: the master's part in a login (login.h).
 *
 * Nothing slow runs here: the password is hashed by the checker, to which
 * the checks are handed one at a time; the decisions are in loginq.c.
 *
 * A login is decided once, but an account can be removed or locked while
 * its sessions go on.  After each reload the checker has read, the
 * checker is asked which of the users logged in are now removed or
 * locked (ACCOUNTS: their names, in batches, one at a time), and their
 * sessions are ended with that reason.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "children.h"
#include "control.h"
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
#define ACCOUNT_REMOVED_REASON	"account removed"
#define ACCOUNT_LOCKED_REASON	"account locked"

static struct login_queue	 lq;

/* The account check after a reload (login_accounts_check). */
static struct {
	int		 active;	/* an ACCOUNTS is at the checker */
	int		 again;		/* a later reload waits its turn */
	unsigned	 seq, again_seq;	/* the reloads' numbers */
	uint32_t	 req;
	char		(*names)[SECCHAT_NAME_MAX + 1];	/* sorted */
	size_t		 n, asked, next;	/* batch: [asked, next) */
	unsigned	 ended;
} acc;

static void	accounts_start(unsigned);

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
		mstats.logins_throttled++;
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
		mstats.login_failures++;
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

	/* An account check in flight is lost with it. */
	if (acc.active) {
		control_reload_note(acc.seq, "the password checker exited "
		    "during the account check; logged-in users not checked");
		control_reload_done(acc.again ? acc.again_seq : acc.seq);
		free(acc.names);
		memset(&acc, 0, sizeof(acc));
	}
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

unsigned
login_throttled_sources(void)
{
	return loginq_throttled_sources(&lq, mctx.conf, mono_ms());
}

/* ------------------------------------------------------------ accounts */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
accounts_finish(void)
{
	unsigned	 again = acc.again, again_seq = acc.again_seq;

	control_reload_note(acc.seq, "ended %u session%s of removed or "
	    "locked accounts", acc.ended, acc.ended == 1 ? "" : "s");
	control_reload_done(acc.seq);
	free(acc.names);
	memset(&acc, 0, sizeof(acc));
	if (again)
		accounts_start(again_seq);
}

/* The next batch of names, as many as fit in one ACCOUNTS. */
static void
accounts_send(void)
{
	struct mchild	*authd = mchild_get(MCHILD_AUTHD);
	struct buf	 names, pl;
	size_t		 len;
	int		 rc;

	buf_init(&names, 0);
	acc.asked = acc.next;
	while (acc.next < acc.n) {
		len = strlen(acc.names[acc.next]);
		if (buf_used(&names) + (buf_used(&names) > 0) + len >
		    ACCOUNTS_NAMES_MAX)
			break;
		if (buf_used(&names) > 0)
			(void)buf_append(&names, "\n", 1);
		(void)buf_append(&names, acc.names[acc.next], len);
		acc.next++;
	}
	buf_init(&pl, 0);
	if (++acc.req == 0)
		acc.req = 1;
	rc = authd->pid <= 0 || authd->killed ||
	    buf_put_u32(&pl, acc.req) == -1 ||
	    buf_put_str(&pl, buf_head(&names), buf_used(&names)) == -1 ||
	    ipc_composev(&authd->chan, IMSG_A_ACCOUNTS, 0, &pl) == -1;
	buf_free(&pl);
	buf_free(&names);
	if (rc) {
		log_warnx("cannot ask the password checker about the "
		    "logged-in accounts");
		control_reload_note(acc.seq, "cannot ask the password checker "
		    "about the logged-in accounts");
		accounts_finish();
		return;
	}
	acc.active = 1;
}

/* The distinct names of the users logged in, then the first batch. */
static void
accounts_start(unsigned seq)
{
	struct msession	*s = NULL;
	size_t		 n = 0, i, j;

	acc.seq = seq;
	if ((acc.names = reallocarray(NULL, msessions_count() + 1,
	    sizeof(*acc.names))) == NULL)
		fatal("reallocarray");
	while ((s = msession_next(s)) != NULL)
		if (s->state == MS_ACTIVE)
			strlcpy(acc.names[n++], s->user, sizeof(*acc.names));
	qsort(acc.names, n, sizeof(*acc.names), name_cmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || strcmp(acc.names[i], acc.names[j - 1]) != 0)
			memmove(acc.names[j++], acc.names[i],
			    sizeof(*acc.names));
	acc.n = j;
	if (acc.n == 0)
		accounts_finish();
	else
		accounts_send();
}

void
login_accounts_check(unsigned seq)
{
	/* One check at a time; the latest reload's waits for this one. */
	if (acc.active || acc.names != NULL) {
		acc.again = 1;
		acc.again_seq = seq;
		return;
	}
	accounts_start(seq);
}

/*
 * Each name of a newline-separated list, if every one is a name the
 * checker was asked about in this batch; apply is then called for each
 * (NULL: only check).  -1 if one is not.
 */
static int
accounts_each(const uint8_t *p, size_t len, const char *reason,
    void (*apply)(const char *, const char *))
{
	char	 name[SECCHAT_NAME_MAX + 1];
	size_t	 i, start = 0;

	if (len == 0)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '\n')
			continue;
		if (!valid_username((const char *)p + start, i - start))
			return -1;
		memcpy(name, p + start, i - start);
		name[i - start] = '\0';
		if (bsearch(name, acc.names + acc.asked, acc.next - acc.asked,
		    sizeof(*acc.names), name_cmp) == NULL)
			return -1;
		if (apply != NULL)
			apply(name, reason);
		start = i + 1;
	}
	return 0;
}

static void
accounts_end_user(const char *user, const char *reason)
{
	struct msession	*s = NULL;
	unsigned	 n = 0;

	while ((s = msession_next(s)) != NULL) {
		if (s->state != MS_ACTIVE || strcmp(s->user, user) != 0)
			continue;
		msession_end(s, reason, reason);
		n++;
	}
	if (n == 0)
		return;
	log_info("users file: %s: %s; ending %u session%s", user, reason, n,
	    n == 1 ? "" : "s");
	acc.ended += n;
	mstats.accounts_ended += n;
}

void
login_accounts_result(struct mchild *authd, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*removed, *locked;
	size_t		 rlen, llen;
	uint32_t	 req;

	rd_init(&r, im->data, im->len);
	req = rd_u32(&r);
	removed = rd_str(&r, &rlen);
	locked = rd_str(&r, &llen);
	/* Only names it was asked about: it cannot end anyone else's. */
	if (rd_done(&r) == -1 || !acc.active || req != acc.req ||
	    accounts_each(removed, rlen, NULL, NULL) == -1 ||
	    accounts_each(locked, llen, NULL, NULL) == -1) {
		mchild_misbehaved(authd, "bad ACCOUNTS");
		return;
	}
	(void)accounts_each(removed, rlen, ACCOUNT_REMOVED_REASON,
	    accounts_end_user);
	(void)accounts_each(locked, llen, ACCOUNT_LOCKED_REASON,
	    accounts_end_user);
	acc.active = 0;
	if (acc.next < acc.n)
		accounts_send();
	else
		accounts_finish();
}
