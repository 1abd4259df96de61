/*
 * session.h: the client side of the secchat protocol as a state machine
 * that does no I/O of its own (doc/protocol.md).
 *
 * The caller owns the socket.  It writes whatever cs_output() holds, feeds
 * every byte it reads to cs_input(), reports end of file with cs_eof(), and
 * drains the decoded events with cs_event_next().  One process can thus
 * drive one session (secchat) or hundreds in one poll loop (secchat-bench).
 *
 *	cs = cs_new(&params);			client hello is now in output
 *	loop:
 *		write(fd, buf_head(out), buf_used(out)); buf_consume(out, n);
 *		n = read(fd, ...); n == 0 ? cs_eof(cs) : cs_input(cs, p, n);
 *		while ((ev = cs_event_next(cs)) != NULL) {
 *			CS_EV_SERVER_KEY: check ev->key; cs_verdict(cs, ok);
 *			...
 *			cs_event_free(ev);
 *		}
 *		if (cs_finished(cs) && buf_used(out) == 0) close(fd);
 *
 * Any failure to decrypt or decode ends the session with one CS_EV_ERROR.
 */
#ifndef SECCHAT_SESSION_H
#define SECCHAT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "util.h"
#include "wire.h"

#define CS_PASSWORD_MAX		1024	/* bytes */
/*
 * The longest text that fits in one record of any message that carries
 * text (type, room or user name and text, each string with its length).
 * Servers usually allow less (MaxMessageLength) and answer longer text
 * with ERROR.
 */
#define CS_TEXT_MAX		(RECORD_MAX_PLAINTEXT - 1 - 2 * 2 - \
				    SECCHAT_NAME_MAX)
#define CS_OUTPUT_MAX		(256 * 1024)	/* unsent bytes we queue */

struct cs_params {
	const uint8_t	*priv;		/* identity key pair, KEY_LEN each */
	const uint8_t	*pub;
	const uint8_t	*suites;	/* suite ids to offer, best first */
	size_t		 nsuites;	/* 1..HELLO_MAX_SUITES */
	/*
	 * The login, copied (the password is wiped once sent).  Either may
	 * be NULL, to be given with cs_set_login() once the server's key is
	 * known and before cs_verdict(): the AUTH goes in handshake message 3.
	 */
	const char	*user;
	const char	*password;
	size_t		 passwordlen;
	/*
	 * If not NULL, the server must present this key: the session checks
	 * it itself and emits no CS_EV_SERVER_KEY (a load generator's mode).
	 */
	const uint8_t	*server_key;
	/* Do not offer capability 0x81 (act as a version 1 client). */
	int		 no_extensions;
};

enum cs_event_type {
	CS_EV_REFUSED = 1,	/* hello refused; text: reason, maybe "" */
	CS_EV_SERVER_KEY,	/* key: the server's static key; cs_verdict() */
	CS_EV_AUTH_OK,		/* user */
	CS_EV_AUTH_FAIL,	/* code: tries left; text: reason */
	CS_EV_MESSAGE,		/* time, room, user: sender, text */
	CS_EV_ACTION,		/* time, room, user: sender, text */
	CS_EV_PRIVATE,		/* time, user: sender, text */
	CS_EV_HISTORY,		/* time, room, user, code: HISTORY_*, text */
	CS_EV_JOINED,		/* room */
	CS_EV_PARTED,		/* room */
	CS_EV_ARRIVED,		/* time, room, user */
	CS_EV_DEPARTED,		/* time, room, user, text: reason */
	CS_EV_NAMES,		/* room, names[nnames] */
	CS_EV_ROOMLIST,		/* rooms[nrooms] */
	CS_EV_NOTICE,		/* text */
	CS_EV_SERVER_ERROR,	/* code: enum wire_error, text */
	CS_EV_PONG,		/* token: the answer to cs_ping() */
	CS_EV_BYE,		/* text: the server's reason; it closes next */
	CS_EV_ERROR,		/* text: why the session failed; it is over */
	CS_EV_CLOSED,		/* code: CS_CLOSE_*; text: what was going on */
	/* Extended sessions only (doc/protocol.md section 11). */
	CS_EV_AUTH_MORE,	/* text: methods still needed; cs_auth() */
	CS_EV_KEYLIST,		/* user, keys[nkeys] */
	CS_EV_E2E_FROM,		/* time, user: sender, key: its device,
				   data[datalen]: the payload */
	CS_EV_E2E_FAIL,		/* user, key: the device, text: reason */
	/*
	 * Not from the server: what the end-to-end manager (e2e_client.c)
	 * shows, in the same shape so that output.c renders them all.
	 */
	CS_EV_E2E_TEXT,		/* time, user: sender, text, code: enum
				   e2e_kind, to: recipient of a SENT_* copy,
				   token: 1 if the sending key is verified */
	CS_EV_E2E_OWN,		/* user: recipient, text, code: enum
				   e2e_kind, token: 1 if all keys verified */
	CS_EV_KEY_NEW,		/* user, key: pinned on first use */
	CS_EV_KEY_CHANGED,	/* user, key: new key of a verified user */
	CS_EV_E2E_FAILED,	/* user, text: reason */
	CS_EV_SAFETY,		/* user, key, text: the 60 digits, token: 1
				   if the key is verified */
	/* Extended sessions only: away and whois (protocol section 11.8). */
	CS_EV_AWAYNOTE,		/* user, text: away text, "" for back */
	CS_EV_WHOISINFO,	/* user, room: the rooms joined by commas
				   (maybe ""), token: idle ms, text: away
				   text (maybe ""), keys[nkeys] */
	CS_EV_AWAYNAMES		/* room, names[nnames]: those away */
};

#define CS_CLOSE_CLEAN	0	/* after a BYE either way */
#define CS_CLOSE_LOST	1	/* the server closed without saying BYE */

struct cs_room {
	char		*name;
	unsigned int	 members;
};

struct cs_key {
	uint8_t		 key[KEY_LEN];
	uint8_t		 flags;		/* KEYLIST_ONLINE, KEYLIST_ENROLLED */
};

struct cs_event {
	enum cs_event_type	 type;
	uint64_t		 time;	/* ms since the epoch: the message's own
					   time, else when it arrived */
	unsigned int		 code;
	uint64_t		 token;
	char			*room;	/* owned, NUL-terminated, or NULL */
	char			*user;
	char			*text;
	char			**names;
	size_t			 nnames;
	struct cs_room		*rooms;
	size_t			 nrooms;
	uint8_t			 key[KEY_LEN];
	struct cs_key		*keys;	/* owned, for CS_EV_KEYLIST */
	size_t			 nkeys;
	uint8_t			*data;	/* owned, for CS_EV_E2E_FROM */
	size_t			 datalen;
	char			*to;	/* owned, or NULL */
	struct cs_event		*next;
};

enum cs_state {
	CS_ST_HELLO,		/* waiting for the server's hello */
	CS_ST_HANDSHAKE,	/* waiting for Noise message 2 */
	CS_ST_VERDICT,		/* waiting for cs_verdict() */
	CS_ST_AUTH,		/* AUTH sent, waiting for the answer */
	CS_ST_AUTH_RETRY,	/* AUTH_FAIL with tries left: cs_auth() */
	CS_ST_READY,		/* authenticated */
	CS_ST_CLOSING,		/* BYE sent or received; waiting for close */
	CS_ST_DONE		/* over: flush the output, then close */
};

/* Errors from the sending helpers. */
#define CS_E_STATE	-1	/* not now (not authenticated, or over) */
#define CS_E_NAME	-2	/* room or user name breaks the rules */
#define CS_E_TEXT	-3	/* text empty, too long or not UTF-8 */
#define CS_E_FULL	-4	/* too much unsent output */
#define CS_E_NOMEM	-5
#define CS_E_NOEXT	-6	/* the server did not agree to section 11 */

struct csession;

/* NULL on bad parameters or no memory. */
struct csession	*cs_new(const struct cs_params *);
void		 cs_free(struct csession *);	/* wipes every secret */

/* Bytes to send: write them and buf_consume() what was written. */
struct buf	*cs_output(struct csession *);
/* Feed received bytes.  Returns 0, or -1 once the session has failed. */
int		 cs_input(struct csession *, const uint8_t *, size_t);
/* The server closed the connection (read returned 0, or an error). */
void		 cs_eof(struct csession *);
/* The next event (the caller frees it), or NULL. */
struct cs_event	*cs_event_next(struct csession *);
void		 cs_event_free(struct cs_event *);

/* Set (or replace) the login before cs_verdict().  Returns 0 or CS_E_*. */
int		 cs_set_login(struct csession *, const char *user,
		    const char *password, size_t len);
/*
 * Answer CS_EV_SERVER_KEY: accept sends AUTH (CS_E_STATE if no login has
 * been set); reject ends the session with nothing sent.
 */
int		 cs_verdict(struct csession *, int accept);
/*
 * Accept the server's key and log in with the identity key instead
 * (AUTH_KEY, doc/protocol.md 11.3): only on an extended session, with a
 * user set.  The answer is CS_EV_AUTH_OK, CS_EV_AUTH_MORE (then
 * cs_auth() with the password) or CS_EV_AUTH_FAIL.
 */
int		 cs_verdict_key(struct csession *);
/*
 * A password after CS_EV_AUTH_FAIL with tries left, or after
 * CS_EV_AUTH_MORE.
 */
int		 cs_auth(struct csession *, const char *password, size_t len);

int		 cs_say(struct csession *, const char *room, const char *text);
int		 cs_act(struct csession *, const char *room, const char *text);
int		 cs_privmsg(struct csession *, const char *user,
		    const char *text);
int		 cs_join(struct csession *, const char *room);
int		 cs_part(struct csession *, const char *room);
int		 cs_who(struct csession *, const char *room);
int		 cs_rooms(struct csession *);
int		 cs_ping(struct csession *, uint64_t token);
/* Section 11, extended sessions only (else CS_E_NOEXT). */
int		 cs_keys(struct csession *, const char *user);
/* AWAY (text "" or NULL: back) and WHOIS: extended sessions only. */
int		 cs_away(struct csession *, const char *text);
int		 cs_whois(struct csession *, const char *user);
int		 cs_e2e(struct csession *, const char *user,
		    const uint8_t device[KEY_LEN], const uint8_t *payload,
		    size_t len);
/* Say goodbye; the session then waits for the server to close. */
int		 cs_bye(struct csession *, const char *reason);
const char	*cs_strerror(int);
/*
 * What keeps text from going in a message, for a person: "is empty",
 * "holds a carriage return (CR) at byte 4", "is not valid UTF-8 at byte
 * 9"...; NULL if nothing does.  The answer is written to buf.
 */
const char	*cs_text_problem(const char *text, size_t len, char *buf,
		    size_t buflen);

enum cs_state	 cs_state(const struct csession *);
/* True when nothing more will happen but flushing the output. */
int		 cs_finished(const struct csession *);
/* Whether we said BYE (so a close is expected). */
int		 cs_bye_sent(const struct csession *);
uint8_t		 cs_suite(const struct csession *);	/* 0 before hello */
/* The server's static key once received, else NULL. */
const uint8_t	*cs_server_key(const struct csession *);
const char	*cs_user(const struct csession *);
/* Whether both hellos agreed to capability 0x81 (section 11). */
int		 cs_extended(const struct csession *);
/* Whether our login went as AUTH_KEY. */
int		 cs_key_login_sent(const struct csession *);

#endif
