/*
 * e2e.h: end-to-end sessions between two clients' identity keys
 * (doc/protocol.md section 11.5), as functions over buffers.
 *
 * A session carries messages one way: from the device that started it
 * (struct e2e_out, the Noise IK initiator) to the device it was started
 * with (struct e2e_in, the responder).  The server relays the payloads
 * these functions make and never sees their plaintext.
 *
 * Every function returns 0 on success and -1 on failure; a failure leaves
 * the session as it was (a forged or replayed payload changes nothing) and
 * appends nothing to the output buffer.  A start or an accept that works
 * replaces whatever session the struct held (wiping it).  The structs hold
 * keys: zero them before first use and clear them when done.
 */
#ifndef SECCHAT_E2E_H
#define SECCHAT_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "noise.h"
#include "util.h"

#define E2E_SID_LEN		8
#define E2E_HELLO		0x01	/* payload types */
#define E2E_ANSWER		0x02
#define E2E_DATA		0x03
#define E2E_RESET		0x04
#define E2E_HELLO_LEN		(1 + E2E_SID_LEN + 96)
#define E2E_ANSWER_LEN		(1 + E2E_SID_LEN + 48)
#define E2E_DATA_HDRLEN		(1 + E2E_SID_LEN + 8)
#define E2E_RESET_LEN		(1 + E2E_SID_LEN)
#define E2E_PAD			256	/* padding bucket, bytes */
#define E2E_REKEY_EVERY		1024	/* messages per key */
#define E2E_WINDOW		64	/* replay window, messages */

/* What a plaintext is (its first byte). */
enum e2e_kind {
	E2E_TEXT = 1,		/* a private message */
	E2E_ACTION = 2,		/* a private /me */
	E2E_SENT_TEXT = 3,	/* a copy of one this user sent, for its devices */
	E2E_SENT_ACTION = 4
};

enum e2e_out_state {
	E2E_OUT_NONE = 0,
	E2E_OUT_WAIT,		/* HELLO sent, waiting for the ANSWER */
	E2E_OUT_READY		/* sending */
};

struct e2e_out {
	enum e2e_out_state	 state;
	uint8_t			 sid[E2E_SID_LEN];
	struct noise_handshake	 hs;
	struct noise_cipherstate send;	/* the key of the current epoch */
	uint64_t		 n;	/* next message counter */
};

struct e2e_in {
	int			 ready;
	uint8_t			 sid[E2E_SID_LEN];
	uint8_t			 peer[NOISE_KEYLEN];	/* its static key */
	uint8_t			 k[NOISE_KEYLEN];	/* epoch key */
	uint8_t			 kprev[NOISE_KEYLEN];	/* epoch - 1 */
	int			 has_prev;
	uint64_t		 epoch;	/* of k */
	uint64_t		 top;	/* highest n accepted */
	uint64_t		 seen;	/* bit i: top - i was accepted */
	int			 any;	/* something was accepted */
};

/* A decrypted message; text points into the caller's buffer. */
struct e2e_plain {
	enum e2e_kind	 kind;
	char		 to[SECCHAT_NAME_MAX + 1];	/* for E2E_SENT_* */
	const char	*text;		/* not NUL-terminated */
	size_t		 textlen;
};

/* A payload's type (E2E_HELLO...) and session id, or -1 if malformed. */
int	e2e_payload_type(const uint8_t *p, size_t len,
	    uint8_t sid[E2E_SID_LEN]);
/* The padded length of a plaintext of len bytes. */
size_t	e2e_padded_len(size_t len);
/*
 * The largest payload a text of max_text bytes can need (a sent copy to a
 * user of the longest name), capped at E2E_PAYLOAD_MAX: the server's limit.
 */
size_t	e2e_payload_max(size_t max_text);

/*
 * Start a session from me (my key pair, my user name) to the device
 * peer_pub of peer_user: appends a HELLO payload to out.
 */
int	e2e_out_start(struct e2e_out *, const uint8_t my_priv[NOISE_KEYLEN],
	    const uint8_t my_pub[NOISE_KEYLEN], const char *my_user,
	    const uint8_t peer_pub[NOISE_KEYLEN], const char *peer_user,
	    struct buf *out);
/* The peer's ANSWER: the session becomes ready. */
int	e2e_out_answer(struct e2e_out *, const uint8_t *p, size_t len);
/*
 * Seal one message: appends a DATA payload to out.  to is the recipient
 * for the E2E_SENT_* kinds, else NULL.  text must follow the text rules
 * of section 6.3 and be at most max_text bytes.
 */
int	e2e_out_seal(struct e2e_out *, enum e2e_kind, const char *to,
	    const char *text, size_t textlen, size_t max_text, struct buf *out);
void	e2e_out_clear(struct e2e_out *);

/*
 * A HELLO from the device peer_device of peer_user to me: requires the
 * static key in it to be peer_device, and appends an ANSWER to out.
 */
int	e2e_in_accept(struct e2e_in *, const uint8_t my_priv[NOISE_KEYLEN],
	    const uint8_t my_pub[NOISE_KEYLEN], const char *my_user,
	    const uint8_t peer_device[NOISE_KEYLEN], const char *peer_user,
	    const uint8_t *p, size_t len, struct buf *out);
/*
 * Open a DATA payload of this session into scratch (at least len bytes);
 * out's text points into scratch.  Refuses replays, old epochs, bad tags,
 * bad padding and texts that break the rules, and counters more than 256
 * epochs (of E2E_REKEY_EVERY) ahead.  Wipe scratch when done with it.
 */
int	e2e_in_open(struct e2e_in *, const uint8_t *p, size_t len,
	    uint8_t *scratch, struct e2e_plain *out);
void	e2e_in_clear(struct e2e_in *);

/* Append a RESET for sid to out. */
int	e2e_reset(const uint8_t sid[E2E_SID_LEN], struct buf *out);

#endif
