/*
 * e2e_client.h: the client's end-to-end private messages (doc/protocol.md
 * sections 11.4 to 11.6) as a state machine without I/O, like the session
 * engine.
 *
 * The caller feeds it what the user asks (e2ec_send, /accept, /trust,
 * /verify) and what the server sends (KEYLIST, E2E_FROM, E2E_FAIL); the
 * manager answers with requests for the server (e2ec_req_next: KEYS and
 * E2E, to be sent with cs_keys() and cs_e2e()) and with events to show
 * (e2ec_event_next: CS_EV_E2E_TEXT, CS_EV_KEY_NEW, ...), and says when
 * the pins changed and the known_peers file is to be written.
 *
 * Per device of a peer it writes to, one outbound session (struct
 * e2e_out); per session a peer started with us, one inbound (struct
 * e2e_in), found by its sid.  A text waits until the KEYLISTs of the peer
 * and of our own user have come (copies go to our other devices), then
 * until the device's ANSWER.  Which keys are used follows the pins
 * (peers.h): a key pinned on first use is used; a new key of a user with a
 * verified key is not, until /accept.
 */
#ifndef SECCHAT_E2E_CLIENT_H
#define SECCHAT_E2E_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "e2e.h"
#include "keys.h"
#include "knownhosts.h"
#include "peers.h"
#include "session.h"
#include "util.h"

/* The longest text sent end to end; the server's MaxMessageLength rules. */
#define E2EC_TEXT_MAX		60000
#define E2EC_QUEUE_MAX		256	/* texts waiting, in all and per device */
#define E2EC_IN_MAX		512	/* inbound sessions kept */
#define E2EC_HELD_MAX		64	/* changed keys waiting for /accept */

enum e2ec_req_type {
	E2EC_REQ_KEYS = 1,	/* KEYS(user) */
	E2EC_REQ_E2E		/* E2E(user, device, payload) */
};

struct e2ec_req {
	enum e2ec_req_type	 type;
	char			 user[SECCHAT_NAME_MAX + 1];
	uint8_t			 device[KEY_LEN];
	uint8_t			*payload;	/* owned */
	size_t			 len;
	struct e2ec_req		*next;
};

struct e2ec_text;
struct e2ec_msg;
struct e2ec_out;
struct e2ec_in;

struct e2ec_held {
	char		 user[SECCHAT_NAME_MAX + 1];
	uint8_t		 key[KEY_LEN];
};

struct e2ec {
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	char		 user[SECCHAT_NAME_MAX + 1];
	char		 hostport[KH_HOSTPORT_MAX];
	struct peers	*pins;
	int		 pins_dirty;
	struct e2ec_msg	*msgs;		/* waiting for KEYLISTs, in order */
	size_t		 nmsgs;
	struct e2ec_out	*outs;
	struct e2ec_in	*ins;
	size_t		 nins;
	uint64_t	 in_serial;
	struct e2ec_held held[E2EC_HELD_MAX];
	size_t		 nheld;
	struct e2ec_req	*reqhead, **reqtail;
	struct cs_event	*evhead, **evtail;
};

/* pins stays the caller's; it must outlive the manager. */
void	e2ec_init(struct e2ec *, const uint8_t priv[KEY_LEN],
	    const uint8_t pub[KEY_LEN], const char *user, const char *hostport,
	    struct peers *pins);
void	e2ec_free(struct e2ec *);	/* wipes keys and texts */

/*
 * /msg: send text (of kind E2E_TEXT or E2E_ACTION) to user end to end.
 * Returns 0 (queued: the outcome comes as events), or -1 if it cannot be
 * queued (bad name or text, too much waiting, no memory).
 */
int	e2ec_send(struct e2ec *, const char *to, enum e2e_kind,
	    const char *text);

/* What the server sent. */
void	e2ec_keylist(struct e2ec *, const char *user, const struct cs_key *,
	    size_t nkeys);
void	e2ec_from(struct e2ec *, uint64_t time, const char *sender,
	    const uint8_t device[KEY_LEN], const uint8_t *payload, size_t len);
void	e2ec_fail(struct e2ec *, const char *user,
	    const uint8_t device[KEY_LEN], const char *reason);

/* /accept: pin as seen the held keys of user; how many. */
size_t	e2ec_accept(struct e2ec *, const char *user);
/* /trust: mark user's pinned keys verified; how many were not. */
size_t	e2ec_trust(struct e2ec *, const char *user, size_t *pinned);
/* /verify: one CS_EV_SAFETY per pinned key of user; how many. */
size_t	e2ec_verify(struct e2ec *, const char *user);
/* How many keys of user wait for /accept. */
size_t	e2ec_held_count(const struct e2ec *, const char *user);

/* The next request for the server / event to show (the caller frees it). */
struct e2ec_req	*e2ec_req_next(struct e2ec *);
void		 e2ec_req_free(struct e2ec_req *);
struct cs_event	*e2ec_event_next(struct e2ec *);
/* True once after the pins changed: write known_peers. */
int		 e2ec_pins_changed(struct e2ec *);

#endif
