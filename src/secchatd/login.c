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

#include <sodium.h>

#include "buf.h"
#include "children.h"
#include "conf.h"
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
#include "users.h"
#include "util.h"

#define AUTH_BUSY_REASON	"server busy; try again"
#define AUTH_KEY_REASON		"key not accepted"
#define AUTH_FAIL_REASON	"invalid user name or password"
#define AUTH_THROTTLED_REASON	"too many failed logins; try again later"
#define AUTH_USER_FULL_REASON	"too many sessions for this user"
#define ACCOUNT_REMOVED_REASON	"account removed"
#define ACCOUNT_LOCKED_REASON	"account locked"

static struct login_queue	 lq;

/*
 * The keys enrolled in the users file, user and key, sorted: the checker
 * sends them after each reading of the file (into loading), and its
 * RELOADED puts them in place.  Public data.
 */
struct enrolled_key {
	char	 user[SECCHAT_NAME_MAX + 1];
	uint8_t	 key[KEY_LEN];
};
struct enrolled_table {
	struct enrolled_key	*v;
	size_t			 n, cap;
};
static struct enrolled_table	 enrolled, loading;
static int			 loading_active;
static unsigned			 loading_user_keys;	/* of the last user */

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

/* The names of the methods in mask, for AUTH_MORE. */
static const char *
methods_text(unsigned mask)
{
	if (mask == AUTH_M_PASSWORD)
		return "password";
	if (mask == AUTH_M_PUBLICKEY)
		return "publickey";
	return "password,publickey";
}

/* The key is accepted; the worker waits for an AUTH with the rest. */
static void
login_reply_more(struct msession *s, const char *methods)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_str(&b, methods, strlen(methods)) == -1 ||
	    ipc_composev(&s->chan, IMSG_W_AUTH_MORE, s->id, &b) == -1)
		msession_kill(s, "cannot queue AUTH_MORE");
	buf_free(&b);
	s->state = MS_PREAUTH;
}

/*
 * Keep the key and user name a request claims, for the logs and the
 * decision; a name that is not one is logged as such, never as sent.
 */
static void
login_note_claim(struct msession *s, const uint8_t *key, const uint8_t *user,
    size_t ulen)
{
	keys_fingerprint(key, s->fpr);
	memcpy(s->key, key, KEY_LEN);
	if (valid_username((const char *)user, ulen)) {
		memcpy(s->user, user, ulen);
		s->user[ulen] = '\0';
	} else
		strlcpy(s->user, "(invalid name)", sizeof(s->user));
}

static void
login_key_refused(struct msession *s, const char *why)
{
	log_info("Refused key for %s from %s key %s: %s", s->user, s->peer,
	    s->fpr, why);
	login_reply_fail(s, AUTH_KEY_REASON, 0);
}

/*
 * A key login is decided here at once: the proof is a few hashes and a
 * scalar multiplication, no work for the checker.  A wrong proof counts
 * as a failed login (it is a guess at nothing, or an attack on the
 * worker); a key that is not enrolled, or a method not allowed, does not
 * (it is an honest client trying its key first) but is logged.
 */
void
login_auth_key(struct msession *s, const struct ipc_msg *im)
{
	struct reader		 r;
	const struct auth_methods *am;
	const uint8_t		*key, *hs2, *proof, *user;
	size_t			 ulen;
	unsigned		 more;
	int			 done;
	uint64_t		 now;

	rd_init(&r, im->data, im->len);
	key = rd_bytes(&r, KEY_LEN);
	hs2 = rd_bytes(&r, KEY_LEN);
	proof = rd_bytes(&r, KEY_LEN);
	user = rd_str(&r, &ulen);
	/* The worker's engine allows these only; one that does not lies. */
	if (rd_done(&r) == -1 || !s->dh_done || s->state != MS_PREAUTH ||
	    !s->extended || s->methods_done != 0 || ulen == 0 || ulen > 255) {
		msession_kill(s, "bad AUTH_KEY request");
		return;
	}
	login_note_claim(s, key, user, ulen);
	now = mono_ms();
	if (loginq_decide(&lq, mctx.conf, s->source, s->user, 1, now) ==
	    LOGIN_THROTTLED) {
		mstats.logins_throttled++;
		mlog_conn("throttled login for %s from %s", s->user, s->peer);
		login_reply_fail(s, AUTH_THROTTLED_REASON, 1);
		return;
	}
	if (!valid_username((const char *)user, ulen) ||
	    !msessions_key_proof_ok(key, hs2, s->user, proof)) {
		if (++s->tries > mctx.conf->max_auth_tries) {
			msession_kill(s, "too many AUTH requests");
			return;
		}
		mstats.login_failures++;
		loginq_count_attempt(&lq, s->source, s->user, 0, now);
		log_info("Refused key for %s from %s key %s: wrong proof",
		    s->user, s->peer, s->fpr);
		login_reply_fail(s, AUTH_KEY_REASON, 0);
		return;
	}
	if (!login_enrolled_find(s->user, key)) {
		login_key_refused(s, "not enrolled");
		return;
	}
	am = config_auth_methods(mctx.conf, s->user);
	if ((done = config_auth_done(am, AUTH_M_PUBLICKEY, &more)) == -1) {
		login_key_refused(s, "publickey not allowed for this user");
		return;
	}
	s->methods_done = AUTH_M_PUBLICKEY;
	if (done == 1) {
		if (msessions_of_user(s->user) >= mctx.conf->max_per_user) {
			log_info("refused login for %s from %s: %s", s->user,
			    s->peer, AUTH_USER_FULL_REASON);
			login_reply_fail(s, AUTH_USER_FULL_REASON, 1);
		} else
			msession_activate(s);
		return;
	}
	log_info("Partial publickey for %s from %s key %s: %s needed",
	    s->user, s->peer, s->fpr, methods_text(more));
	login_reply_more(s, methods_text(more));
}

void
login_auth(struct msession *s, const struct ipc_msg *im)
{
	struct reader		 r;
	struct login_check	*c = NULL;
	enum login_verdict	 verdict;
	const uint8_t		*key, *user, *pw;
	size_t			 ulen, pwlen;
	unsigned		 more;
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
	/* After a key was accepted: the same handshake, the same key. */
	if ((s->methods_done & AUTH_M_PUBLICKEY) &&
	    sodium_memcmp(s->key, key, KEY_LEN) != 0) {
		msession_kill(s, "AUTH with another key than AUTH_KEY's");
		return;
	}
	/* A password for another user than the key's starts afresh. */
	if ((s->methods_done & AUTH_M_PUBLICKEY) &&
	    (ulen != strlen(s->user) || memcmp(s->user, user, ulen) != 0))
		s->methods_done = 0;
	login_note_claim(s, key, user, ulen);
	/*
	 * A password that cannot complete any of the user's lists of
	 * methods is refused as a wrong one, after the same work, so that
	 * the answer tells nothing of the account.
	 */
	s->pw_refused = config_auth_done(config_auth_methods(mctx.conf,
	    s->user), s->methods_done | AUTH_M_PASSWORD, &more) != 1;
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
	if (ok && s->pw_refused)
		log_info("Refused password for %s from %s: its "
		    "AuthenticationMethods need publickey", s->user, s->peer);
	if (ok && !s->pw_refused && valid_username(s->user, strlen(s->user))) {
		s->methods_done |= AUTH_M_PASSWORD;
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

/* ------------------------------------------------------------ keys */

static int
enrolled_cmp(const void *a, const void *b)
{
	const struct enrolled_key	*x = a, *y = b;
	int				 c;

	if ((c = strcmp(x->user, y->user)) != 0)
		return c;
	return memcmp(x->key, y->key, KEY_LEN);
}

static void
enrolled_free(struct enrolled_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

void
login_enrolled_reset(struct mchild *authd, const struct ipc_msg *im)
{
	if (im->len != 0) {
		mchild_misbehaved(authd, "bad ENROLLED_RESET");
		return;
	}
	enrolled_free(&loading);
	loading_active = 1;
	loading_user_keys = 0;
}

void
login_enrolled_add(struct mchild *authd, const struct ipc_msg *im)
{
	struct reader		 r;
	struct enrolled_key	*e, *nv;
	const uint8_t		*user, *key;
	size_t			 ulen, ncap;

	rd_init(&r, im->data, im->len);
	user = rd_str(&r, &ulen);
	key = rd_bytes(&r, KEY_LEN);
	if (rd_done(&r) == -1 || !loading_active ||
	    !valid_username((const char *)user, ulen)) {
		mchild_misbehaved(authd, "bad ENROLLED");
		return;
	}
	/* The checker sends a user's keys together, at most 16 of them. */
	if (loading.n > 0 && strlen(loading.v[loading.n - 1].user) == ulen &&
	    memcmp(loading.v[loading.n - 1].user, user, ulen) == 0) {
		if (++loading_user_keys > USERS_KEYS_MAX) {
			mchild_misbehaved(authd, "too many keys for a user");
			return;
		}
	} else
		loading_user_keys = 1;
	if (loading.n == loading.cap) {
		ncap = loading.cap == 0 ? 64 : loading.cap * 2;
		if ((nv = reallocarray(loading.v, ncap, sizeof(*nv))) == NULL) {
			log_warn("enrolled keys");
			mchild_misbehaved(authd, "out of memory for its keys");
			return;
		}
		loading.v = nv;
		loading.cap = ncap;
	}
	e = &loading.v[loading.n++];
	memcpy(e->user, user, ulen);
	e->user[ulen] = '\0';
	memcpy(e->key, key, KEY_LEN);
}

void
login_enrolled_commit(void)
{
	if (!loading_active)
		return;
	loading_active = 0;
	if (loading.n > 1)
		qsort(loading.v, loading.n, sizeof(*loading.v), enrolled_cmp);
	enrolled_free(&enrolled);
	enrolled = loading;
	memset(&loading, 0, sizeof(loading));
	log_debug("%zu enrolled key%s", enrolled.n, enrolled.n == 1 ? "" :
	    "s");
	login_enrolled_to_broker();
}

void
login_enrolled_to_broker(void)
{
	struct mchild	*broker = mchild_get(MCHILD_BROKER);
	struct buf	 b;
	size_t		 i;

	if (broker->pid <= 0 || broker->killed)
		return;		/* told when it starts */
	if (ipc_compose(&broker->chan, IMSG_B_ENROLLED_RESET, 0, -1, NULL,
	    0) == -1) {
		log_warnx("cannot queue the enrolled keys for the broker");
		return;
	}
	for (i = 0; i < enrolled.n; i++) {
		buf_init(&b, 0);
		if (buf_put_str(&b, enrolled.v[i].user,
		    strlen(enrolled.v[i].user)) == -1 ||
		    buf_append(&b, enrolled.v[i].key, KEY_LEN) == -1 ||
		    ipc_composev(&broker->chan, IMSG_B_ENROLLED, 0, &b) == -1) {
			buf_free(&b);
			log_warnx("cannot queue the enrolled keys for the "
			    "broker");
			return;
		}
		buf_free(&b);
	}
}

int
login_enrolled_find(const char *user, const uint8_t *key)
{
	struct enrolled_key	 k;

	/* bsearch may not be given the NULL of an empty table. */
	if (enrolled.n == 0 ||
	    strlcpy(k.user, user, sizeof(k.user)) >= sizeof(k.user))
		return 0;
	memcpy(k.key, key, KEY_LEN);
	return bsearch(&k, enrolled.v, enrolled.n, sizeof(*enrolled.v),
	    enrolled_cmp) != NULL;
}
