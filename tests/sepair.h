/*
 * sepair.h: the client's protocol engine (src/secchat/session.c) and the
 * server's (src/secchatd/sengine.c) connected in memory, for the unit
 * tests.  The test plays the server engine's outside: the master that
 * holds the host key and checks logins, and the broker.  What the engine
 * asks of it is recorded in struct pair, and the test answers through the
 * engine's entry points.  Time is the pair's own clock, moved by the test.
 */
#ifndef SECCHAT_SEPAIR_H
#define SECCHAT_SEPAIR_H

#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "sengine.h"
#include "session.h"
#include "wire.h"

#define PAIR_MSGS	64	/* messages to the broker kept for checks */

struct pair {
	struct csession	*cs;		/* NULL: the test speaks raw bytes */
	struct sengine	*se;
	uint64_t	 now;
	struct se_params sp;
	uint8_t		 suites[HELLO_MAX_SUITES];
	uint8_t		 host_priv[NOISE_KEYLEN], host_pub[NOISE_KEYLEN];
	/* The master. */
	int		 dh_asked, dh_answered;
	int		 dh_fail;	/* answer the DH as failed */
	int		 dh_hold;	/* do not answer the DH yet */
	uint8_t		 dh_pub[NOISE_KEYLEN];
	int		 logins;	/* logins asked to check */
	uint8_t		 login_key[NOISE_KEYLEN];
	char		 login_user[SECCHAT_NAME_MAX + 1];
	char		 login_pw[CS_PASSWORD_MAX + 1];
	size_t		 login_pwlen;
	int		 closings;	/* ops->closing calls */
	char		 close_reason[128];
	/* The broker. */
	uint8_t		*msgs[PAIR_MSGS];
	size_t		 msglens[PAIR_MSGS];
	int		 nmsgs;		/* all to_broker calls */
	int		 broker_full;	/* refuse what comes */
	/* The client. */
	struct buf	 raw;		/* a raw client's bytes not yet taken */
	int		 stall;		/* reads nothing from the server */
	int		 hooks;		/* test hooks run */
};

static int
pair_host_dh(void *arg, const uint8_t pub[NOISE_KEYLEN])
{
	struct pair	*pp = arg;

	pp->dh_asked++;
	memcpy(pp->dh_pub, pub, NOISE_KEYLEN);
	return 0;
}

static int
pair_check_login(void *arg, const uint8_t key[NOISE_KEYLEN], const char *user,
    size_t userlen, const char *pw, size_t pwlen)
{
	struct pair	*pp = arg;

	pp->logins++;
	memcpy(pp->login_key, key, NOISE_KEYLEN);
	if (userlen >= sizeof(pp->login_user) || pwlen >= sizeof(pp->login_pw))
		return -1;
	memcpy(pp->login_user, user, userlen);
	pp->login_user[userlen] = '\0';
	memcpy(pp->login_pw, pw, pwlen);
	pp->login_pw[pwlen] = '\0';
	pp->login_pwlen = pwlen;
	return 0;
}

static int
pair_to_broker(void *arg, const uint8_t *msg, size_t len)
{
	struct pair	*pp = arg;

	if (pp->broker_full)
		return -1;
	if (pp->nmsgs < PAIR_MSGS) {
		if ((pp->msgs[pp->nmsgs] = malloc(len)) == NULL)
			abort();
		memcpy(pp->msgs[pp->nmsgs], msg, len);
		pp->msglens[pp->nmsgs] = len;
	}
	pp->nmsgs++;
	return 0;
}

static void
pair_closing(void *arg, const char *reason)
{
	struct pair	*pp = arg;

	pp->closings++;
	strlcpy(pp->close_reason, reason, sizeof(pp->close_reason));
}

#ifdef SECCHAT_TEST_HOOKS
static void
pair_test_hook(void *arg, const char *name, size_t len)
{
	struct pair	*pp = arg;

	(void)name;
	(void)len;
	pp->hooks++;
}
#endif

static const struct se_ops pair_ops = {
	.host_dh = pair_host_dh,
	.check_login = pair_check_login,
	.to_broker = pair_to_broker,
	.closing = pair_closing,
#ifdef SECCHAT_TEST_HOOKS
	.test_hook = pair_test_hook,
#endif
};

/*
 * The server's limits as the daemon's defaults would give them, with
 * both suites, AES-GCM first where this CPU has it.
 */
static void __attribute__((unused))
pair_init(struct pair *pp)
{
	memset(pp, 0, sizeof(*pp));
	buf_init(&pp->raw, 0);
	pp->now = 1000000;
	randombytes_buf(pp->host_priv, sizeof(pp->host_priv));
	crypto_scalarmult_base(pp->host_pub, pp->host_priv);
	pp->suites[0] = SUITE_AESGCM;
	pp->suites[1] = SUITE_CHACHAPOLY;
	pp->sp.suites = pp->suites;
	pp->sp.nsuites = 2;
	pp->sp.aesgcm_ok = noise_aesgcm_available();
	pp->sp.host_pub = pp->host_pub;
	pp->sp.peer = "127.0.0.1 port 40000";
	pp->sp.login_grace = 30;
	pp->sp.max_message = 4096;
	pp->sp.flood_burst = 20;
	pp->sp.flood_rate = 5;
	pp->sp.alive_interval = 60;
	pp->sp.alive_timeout = 30;
}

/* Start the server engine, and the client with cp unless it is NULL. */
static int __attribute__((unused))
pair_start(struct pair *pp, const struct cs_params *cp)
{
	if ((pp->se = se_new(&pp->sp, &pair_ops, pp, pp->now)) == NULL)
		return -1;
	if (cp != NULL && (pp->cs = cs_new(cp)) == NULL)
		return -1;
	return 0;
}

static void __attribute__((unused))
pair_free(struct pair *pp)
{
	int	 i;

	cs_free(pp->cs);
	se_free(pp->se);
	for (i = 0; i < pp->nmsgs && i < PAIR_MSGS; i++)
		free(pp->msgs[i]);
	buf_free(&pp->raw);
	pp->cs = NULL;
	pp->se = NULL;
}

/* Answer a DH the engine asked for, as the master would. */
static void
pair_answer_dh(struct pair *pp)
{
	uint8_t	 shared[NOISE_KEYLEN];
	int	 ok;

	ok = crypto_scalarmult(shared, pp->host_priv, pp->dh_pub) == 0;
	pp->dh_answered++;
	(void)se_dh_result(pp->se, ok && !pp->dh_fail ? shared : NULL,
	    pp->now);
	sodium_memzero(shared, sizeof(shared));
}

/*
 * Move bytes both ways until nothing moves: the client's output (or the
 * raw client's) into the server as far as it takes it (the rest waits, as
 * in a socket), the server's output into the client unless it stalls or
 * is raw (a raw client takes it itself), the DH answered.
 */
static void __attribute__((unused))
pair_pump(struct pair *pp)
{
	struct buf	*out;
	size_t		 n;
	int		 moved, i;

	for (i = 0; i < 10000; i++) {
		moved = 0;
		se_process(pp->se, pp->now);
		out = pp->cs != NULL ? cs_output(pp->cs) : &pp->raw;
		if (buf_used(out) > 0) {
			n = se_input(pp->se, buf_head(out), buf_used(out),
			    pp->now);
			buf_consume(out, n);
			moved |= n > 0;
		}
		if (pp->dh_asked > pp->dh_answered && !pp->dh_hold) {
			pair_answer_dh(pp);
			moved = 1;
		}
		out = se_output(pp->se);
		if (pp->cs != NULL && !pp->stall && buf_used(out) > 0) {
			(void)cs_input(pp->cs, buf_head(out), buf_used(out));
			buf_consume(out, buf_used(out));
			moved = 1;
		}
		if (!moved)
			break;
	}
}

/* Time passes: the timers run, then the bytes move. */
static void __attribute__((unused))
pair_advance(struct pair *pp, uint64_t ms)
{
	pp->now += ms;
	se_tick(pp->se, pp->now);
	pair_pump(pp);
}

/* The broker sends the client a message. */
static int __attribute__((unused))
pair_app(struct pair *pp, const struct wire_msg *m)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, 0);
	if (wire_encode(&b, m) == -1)
		abort();
	rc = se_app(pp->se, buf_head(&b), buf_used(&b), pp->now);
	buf_free(&b);
	return rc;
}

/* The same, for messages of one or two strings. */
static int __attribute__((unused))
pair_app_simple(struct pair *pp, uint8_t type, const char *a, const char *b)
{
	struct buf	 pt;
	int		 rc;

	buf_init(&pt, 0);
	if (wire_put_simple(&pt, type, a, a ? strlen(a) : 0, b,
	    b ? strlen(b) : 0) == -1)
		abort();
	rc = se_app(pp->se, buf_head(&pt), buf_used(&pt), pp->now);
	buf_free(&pt);
	return rc;
}

/* Message i to the broker, decoded; -1 if there is none or it is bad. */
static int __attribute__((unused))
pair_broker_msg(const struct pair *pp, int i, struct wire_msg *m)
{
	if (i >= pp->nmsgs || i >= PAIR_MSGS)
		return -1;
	return wire_decode(pp->msgs[i], pp->msglens[i], FROM_CLIENT, m);
}

/* The next client event if it has this type, else NULL (and freed). */
static struct cs_event * __attribute__((unused))
pair_event(struct pair *pp, enum cs_event_type type)
{
	struct cs_event	*ev;

	if ((ev = cs_event_next(pp->cs)) != NULL && ev->type != type) {
		cs_event_free(ev);
		return NULL;
	}
	return ev;
}

/* Did the client's next event have this type? */
static int __attribute__((unused))
pair_got(struct pair *pp, enum cs_event_type type)
{
	struct cs_event	*ev = pair_event(pp, type);

	cs_event_free(ev);
	return ev != NULL;
}

/*
 * The server has finished (closing, the last bytes delivered): the worker
 * would close the socket, and the client sees the end of the stream.
 */
static int __attribute__((unused))
pair_server_exits(struct pair *pp)
{
	pair_pump(pp);
	if (!se_finished(pp->se, pp->now))
		return -1;
	cs_eof(pp->cs);
	return 0;
}

#endif
