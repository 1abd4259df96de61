/*
 * sengine.h: the server side of the secchat protocol for one client, as a
 * state machine that does no I/O of its own (doc/protocol.md).
 *
 * It is the counterpart of the client's engine (src/secchat/session.h):
 * the hello, the Noise XX handshake as responder, the AUTH exchange, the
 * record layer, input validation, flood control and the orderly close.
 * The worker (worker.c) owns the sockets, the IPC channels and the clock;
 * tests and the fuzzer drive the same engine in memory.
 *
 * Bytes from the client go in with se_in_space()/se_in_commit() (or
 * se_input()); bytes for the client are in se_output(), to be written and
 * buf_consume()d.  Input is acted on only by se_process(): call it after
 * anything that may let the session go on (new input, an answer from
 * outside, time passing, output written).  What the engine needs from
 * outside it asks for through struct se_ops, and the answers come back
 * through the entry points below.  Every entry point that may act on time
 * takes the caller's monotonic clock in ms; the engine never reads one.
 *
 *	se = se_new(&params, &ops, arg, now);
 *	loop:
 *		if (se_finished(se, now)) exit;
 *		poll: input if se_wants_input(), output if se_wants_output(),
 *		    at the latest at se_next_due()
 *		se_in_space(); read(); se_in_commit() (or se_client_eof()...)
 *		write(buf_head(se_output(se)), ...); buf_consume()
 *		answers: se_dh_result(), se_logged_in(), se_auth_fail(),
 *		    se_app(), se_shutdown()
 *		se_tick(se, now); se_process(se, now);
 *
 * The ops are called from inside the entry points; they must not call
 * back into any engine (queue the request and answer later).
 */
#ifndef SECCHAT_SENGINE_H
#define SECCHAT_SENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "noise.h"
#include "wire.h"

enum se_state {
	SE_HELLO,		/* waiting for the client's hello */
	SE_HS1,			/* waiting for Noise message 1 */
	SE_DHWAIT,		/* waiting for the DH with the host key */
	SE_HS3,			/* waiting for Noise message 3 (with AUTH) */
	SE_AUTHWAIT,		/* the login is being checked */
	SE_AUTHRETRY,		/* waiting for another AUTH record */
	SE_ACTIVE,		/* logged in */
	SE_LEAVING,		/* BYE passed on: relaying the last answers */
	SE_CLOSING		/* flushing the last bytes out */
};

struct se_params {
	const uint8_t	*suites;	/* the server's order of preference */
	size_t		 nsuites;	/* 1..HELLO_MAX_SUITES */
	int		 aesgcm_ok;	/* this CPU runs AES-GCM */
	const uint8_t	*host_pub;	/* NOISE_KEYLEN, copied */
	const char	*peer;		/* "ADDRESS port N", for the log */
	uint32_t	 login_grace;	/* s */
	uint32_t	 max_message;	/* bytes of text in SAY, ACT, PRIVMSG */
	uint32_t	 flood_burst;	/* records, at least 1 */
	uint32_t	 flood_rate;	/* records a second, at least 1 */
	uint32_t	 alive_interval; /* s of silence before a PING, or 0 */
	uint32_t	 alive_timeout;	/* s to wait for its answer */
	int		 extensions;	/* agree to HELLO_CAP_E2E if offered */
};

/*
 * What the engine asks of the outside.  arg is se_new()'s.  A function
 * that returns int returns -1 when it cannot take the request (a full
 * queue), and the session then closes.
 */
struct se_ops {
	/*
	 * DH(host key, pub), done where the host key is: answer with
	 * se_dh_result().  Asked at most once, before login.
	 */
	int	(*host_dh)(void *arg, const uint8_t pub[NOISE_KEYLEN]);
	/*
	 * Check a login: answer with se_logged_in() or se_auth_fail().  The
	 * password is wiped when this returns.
	 */
	int	(*check_login)(void *arg, const uint8_t key[NOISE_KEYLEN],
		    const char *user, size_t userlen, const char *password,
		    size_t passwordlen);
	/*
	 * Check a key login (protocol section 11.3; extended sessions only,
	 * at most once): the client's static key, the handshake hash after
	 * message 2, the user and the proof.  Answer with se_logged_in(),
	 * se_auth_more() or se_auth_fail().  May be NULL: AUTH_KEY is then
	 * refused as if the key were not accepted.
	 */
	int	(*check_key)(void *arg, const uint8_t key[NOISE_KEYLEN],
		    const uint8_t hs2[NOISE_HASHLEN], const char *user,
		    size_t userlen, const uint8_t proof[WIRE_KEYLEN]);
	/* One validated application message from the client, for the broker. */
	int	(*to_broker)(void *arg, const uint8_t *msg, size_t len);
	/* The session ends, for this reason (for the log); called once. */
	void	(*closing)(void *arg, const char *reason);
	/* A line for the log, priority as in syslog(3); may be NULL. */
	void	(*log)(void *arg, int priority, const char *line);
#ifdef SECCHAT_TEST_HOOKS
	/*
	 * Test builds: a logged-in client said SE_TEST_HOOK_PREFIX NAME in a
	 * room; run the planted misbehaviour NAME, if any.  May be NULL.
	 */
	void	(*test_hook)(void *arg, const char *name, size_t len);
#endif
};

#ifdef SECCHAT_TEST_HOOKS
#define SE_TEST_HOOK_PREFIX	"secchat-test-hook:"
#endif

/* Errors of se_app(). */
#define SE_E_STATE	-1	/* not logged in */
#define SE_E_LENGTH	-2	/* empty, or longer than a record holds */

struct sengine;

/* NULL on bad parameters or no memory. */
struct sengine	*se_new(const struct se_params *, const struct se_ops *,
		    void *arg, uint64_t now);
void		 se_free(struct sengine *);	/* wipes every secret */

/*
 * Where to put the next bytes read from the client: returns 1 with at
 * most one read's worth of room, 0 when the input buffer is full (a
 * whole frame waits its turn, so input was not wanted), -1 when out of
 * memory (the session is closing).  After BYE the room is a sink: what
 * the client still sends is read and dropped.
 */
int		 se_in_space(struct sengine *, uint8_t **, size_t *,
		    uint64_t now);
void		 se_in_commit(struct sengine *, size_t);
/*
 * For callers without a socket: take as much of p as the session wants
 * now (none while flood control or a pending answer holds it, so the
 * rest waits where it is, as in a socket), handling it as it goes.
 * Returns the bytes taken.
 */
size_t		 se_input(struct sengine *, const uint8_t *p, size_t len,
		    uint64_t now);
/* Handle the whole frames received, as far as state and flood allow. */
void		 se_process(struct sengine *, uint64_t now);
/* The client closed its side (read returned 0). */
void		 se_client_eof(struct sengine *, uint64_t now);
/* The connection failed: nothing more can be read or sent. */
void		 se_client_lost(struct sengine *, uint64_t now);

/* Bytes for the client. */
struct buf	*se_output(struct sengine *);
int		 se_wants_input(const struct sengine *, uint64_t now);
int		 se_wants_output(const struct sengine *);
/* So much output waits that the broker should not be read. */
int		 se_out_full(const struct sengine *);

/*
 * The answers from outside.  Once the session is closing they are taken
 * and dropped (they may have crossed the close); -1 when none was asked
 * (or, for se_logged_in(), the name is not valid).
 */
/* To ops->host_dh: the shared secret, or NULL if it failed. */
int		 se_dh_result(struct sengine *, const uint8_t *shared,
		    uint64_t now);
/* To ops->check_login. */
int		 se_logged_in(struct sengine *, const char *user, size_t len,
		    uint64_t now);
int		 se_auth_fail(struct sengine *, uint8_t tries_left, int final,
		    const char *reason, size_t len, uint64_t now);
/* To ops->check_key: the key is accepted, these methods are still needed. */
int		 se_auth_more(struct sengine *, const char *methods, size_t len,
		    uint64_t now);
/*
 * An application message from the broker, to seal; SE_E_* on error.  On
 * a session that agreed to BATCH records it waits for se_flush_app(),
 * which the caller makes once it has handed over what it had.
 */
int		 se_app(struct sengine *, const uint8_t *msg, size_t len,
		    uint64_t now);
void		 se_flush_app(struct sengine *, uint64_t now);
/* The broker has closed the session's channel after its last answer. */
void		 se_broker_closed(struct sengine *, uint64_t now);
/* Close: BYE client_reason (if any and if possible), log_reason to ops. */
void		 se_close(struct sengine *, const char *client_reason,
		    const char *log_reason, uint64_t now);
/* The server is stopping the session: close with this reason. */
void		 se_shutdown(struct sengine *, const char *reason,
		    uint64_t now);
/*
 * Queue a BYE now, whatever the state, if the client can still read one
 * (the process is about to exit).  Returns 1 if one was queued.
 */
int		 se_bye(struct sengine *, const char *reason, uint64_t now);

/* Act on the timers: login grace, keepalive, the close after BYE. */
void		 se_tick(struct sengine *, uint64_t now);
/* When se_tick() or se_process() next has something to do. */
uint64_t	 se_next_due(const struct sengine *, uint64_t now);
/* Closing, and the last bytes are out (or never will be): exit now. */
int		 se_finished(const struct sengine *, uint64_t now);
/* Free idle buffers; returns 0 if any still holds bytes (nothing freed). */
int		 se_trim(struct sengine *);

enum se_state	 se_state(const struct sengine *);
const char	*se_user(const struct sengine *);	/* once logged in */
/* The suite the hello chose (SUITE_NONE before it). */
uint8_t		 se_suite(const struct sengine *);
/* Both hellos agreed to the extensions of protocol section 11. */
int		 se_extended(const struct sengine *);
const char	*se_close_reason(const struct sengine *);	/* or "" */

#endif
