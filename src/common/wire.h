/*
 * wire.h: the secchat wire protocol, version 1 (doc/protocol.md).
 *
 * Layers, outermost first:
 *   frame      2-byte big-endian length L (1..65535), then L bytes
 *   hello      the first frame each way, in the clear
 *   handshake  Noise XX messages, one per frame
 *   record     one Noise transport message per frame (AEAD, empty AD)
 *   message    one application message per record: a type byte and fields
 *
 * Every decoder here is a function over a buffer, strict about lengths (a
 * message must be consumed exactly), and fuzzed.
 */
#ifndef SECCHAT_WIRE_H
#define SECCHAT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "noise.h"

#define FRAME_HDRLEN		2
#define FRAME_MAX		65535	/* payload bytes */
#define RECORD_MAX_PLAINTEXT	(FRAME_MAX - NOISE_TAGLEN)

/*
 * Look for one whole frame at the start of buf.  Returns 1 and sets
 * *payload, *plen and *consumed when one is there, 0 when more bytes are
 * needed, -1 when the frame is malformed (length 0).
 */
int	frame_parse(const uint8_t *buf, size_t len, const uint8_t **payload,
	    size_t *plen, size_t *consumed);
/* Append a frame holding p to out; -1 if plen is 0 or > FRAME_MAX. */
int	frame_append(struct buf *out, const uint8_t *p, size_t plen);

/* ---------------------------------------------------------------- hello */
#define HELLO_MAGIC		"SECCHAT1"
#define HELLO_MAGICLEN		8
#define HELLO_MAX_SUITES	8
#define SUITE_NONE		0x00	/* server: nothing acceptable */
#define SUITE_AESGCM		0x01	/* Noise_XX_25519_AESGCM_SHA256 */
#define SUITE_CHACHAPOLY	0x02	/* Noise_XX_25519_ChaChaPoly_SHA256 */
#define HELLO_REASON_MAX	200
/*
 * Ids 0x80..0xff in a client hello's suite list are capabilities, not
 * suites (doc/protocol.md section 11.1).  A server that has them answers
 * with the same byte after the chosen suite.
 */
#define HELLO_CAP_MIN		0x80
#define HELLO_CAP_E2E		0x81	/* key login, key directory, E2E */
#define HELLO_CAP_BATCH		0x82	/* BATCH records (section 11.9) */
#define HELLO_MAX_CAPS		(HELLO_MAX_SUITES - 1)

/* The client's hello: magic, n (1..8), n suite ids.  Returns length or -1. */
int	hello_client_encode(uint8_t *out, size_t outmax, const uint8_t *suites,
	    size_t nsuites);
/* Returns 0 or -1; suites must hold HELLO_MAX_SUITES. */
int	hello_client_decode(const uint8_t *p, size_t len, uint8_t *suites,
	    size_t *nsuites);
/*
 * The server's hello: magic and the chosen suite.  A refusal (SUITE_NONE)
 * may carry a UTF-8 reason ("server full", ...) after the suite byte.
 */
int	hello_server_encode(uint8_t *out, size_t outmax, uint8_t suite,
	    const char *reason);
/*
 * The same, agreeing to the capabilities caps (ncaps of them, strictly
 * ascending, each >= HELLO_CAP_MIN; none: a plain hello) after the suite.
 */
int	hello_server_encode_caps(uint8_t *out, size_t outmax, uint8_t suite,
	    const uint8_t *caps, size_t ncaps);
/*
 * As hello_server_decode, for a client that offered the capabilities in
 * offered (noffered of them): agreed (room for HELLO_MAX_CAPS) gets the
 * ones the server agreed to, *nagreed their number.  After a chosen suite
 * anything but a strictly ascending run of offered capabilities is
 * malformed.
 */
int	hello_server_decode_caps(const uint8_t *p, size_t len,
	    const uint8_t *offered, size_t noffered, uint8_t *suite,
	    uint8_t *agreed, size_t *nagreed, char *reason, size_t reasonmax);
/* True when the client hello's suite list holds cap. */
int	hello_has_cap(const uint8_t *suites, size_t nsuites, uint8_t cap);
/* reason gets the refusal text (NUL-terminated, may be empty). */
int	hello_server_decode(const uint8_t *p, size_t len, uint8_t *suite,
	    char *reason, size_t reasonmax);
/* The Noise cipher for a suite id, or 0 if the id is unknown. */
enum noise_cipher suite_cipher(uint8_t suite);
const char *suite_name(uint8_t suite);

/* ---------------------------------------------------------------- records */
/*
 * Encrypt pt as one transport message and append it to out as a frame.
 * Open: decrypt one frame's payload into pt (at least ctlen bytes); on
 * failure the cipher state is unchanged.
 */
int	record_seal(struct noise_cipherstate *, const uint8_t *pt, size_t ptlen,
	    struct buf *out);
int	record_open(struct noise_cipherstate *, const uint8_t *ct, size_t ctlen,
	    uint8_t *pt, size_t *ptlen);

/* ---------------------------------------------------------------- messages */
/*
 * Field codes in the table in wire.c:  s string (2-byte length + UTF-8),
 * t time (8-byte ms since the epoch), q 64-bit token, b byte,
 * N name list (2-byte count, then that many strings),
 * R room list (2-byte count, then per room: string and 2-byte member count),
 * K key list (2-byte count, then per key: 32 bytes and a flags byte).
 */
enum wire_type {
	/* client to server */
	MSG_AUTH	= 0x01,	/* s user, s password */
	MSG_AUTH_KEY	= 0x04,	/* s user, s proof (32): extended only */
	MSG_E2E		= 0x17,	/* s user, s device (32), s payload: ext. */
	MSG_KEYS	= 0x2a,	/* s user: extended only */
	MSG_AWAY	= 0x2c,	/* s away text (empty: back): ext. */
	MSG_WHOIS	= 0x2d,	/* s user: extended only */
	MSG_SAY		= 0x10,	/* s room, s text */
	MSG_ACT		= 0x12,	/* s room, s text (/me) */
	MSG_PRIVMSG	= 0x13,	/* s user, s text */
	MSG_JOIN	= 0x20,	/* s room */
	MSG_PART	= 0x21,	/* s room */
	MSG_WHO		= 0x22,	/* s room */
	MSG_ROOMS	= 0x23,	/* (nothing) */
	/* either way */
	MSG_PING	= 0x30,	/* q token */
	MSG_PONG	= 0x31,	/* q token */
	MSG_BYE		= 0x3f,	/* s reason */
	/* server to client */
	MSG_AUTH_OK	= 0x02,	/* s user */
	MSG_AUTH_FAIL	= 0x03,	/* b tries left, s reason */
	MSG_AUTH_MORE	= 0x05,	/* s methods still needed: extended only */
	MSG_E2E_FROM	= 0x18,	/* t, s sender, s device (32), s payload */
	MSG_E2E_FAIL	= 0x19,	/* s user, s device (32), s reason */
	MSG_KEYLIST	= 0x2b,	/* s user, K keys: extended only */
	MSG_AWAYNOTE	= 0x1a,	/* s user, s away text: extended only */
	MSG_WHOISINFO	= 0x2e,	/* s user, s rooms, t idle, s away, K: ext. */
	MSG_AWAYNAMES	= 0x2f,	/* s room, N users away: extended only */
	MSG_BATCHREC	= 0x32,	/* BATCH: M messages; HELLO_CAP_BATCH only */
	MSG_MESSAGE	= 0x11,	/* t time, s room, s sender, s text */
	MSG_ACTION	= 0x14,	/* t time, s room, s sender, s text */
	MSG_PRIVATE	= 0x15,	/* t time, s sender, s text */
	MSG_HISTORY	= 0x16,	/* t time, s room, s sender, b kind, s text */
	MSG_JOINED	= 0x24,	/* s room: you are now in it */
	MSG_PARTED	= 0x25,	/* s room: you have left it */
	MSG_ARRIVED	= 0x26,	/* t time, s room, s user */
	MSG_DEPARTED	= 0x27,	/* t time, s room, s user, s reason */
	MSG_NAMES	= 0x28,	/* s room, N users */
	MSG_ROOMLIST	= 0x29,	/* R rooms */
	MSG_NOTICE	= 0x3d,	/* s text */
	MSG_ERROR	= 0x3e	/* b code, s text */
};

/* Section 11 of doc/protocol.md. */
#define WIRE_KEYLEN		32	/* device keys and key-login proofs */
#define E2E_PAYLOAD_MAX		65440	/* bytes of an E2E payload */
#define KEYLIST_MAX		64	/* entries of a KEYLIST */
#define KEYLIST_ENTRY		(WIRE_KEYLEN + 1)	/* key, flags */
#define KEYLIST_ONLINE		0x01	/* a session of the user has it now */
#define KEYLIST_ENROLLED	0x02	/* enrolled in the users file */
/* Section 11.9: a BATCH holds BATCH_MIN or more messages, none a BATCH. */
#define BATCH_MIN		2
#define BATCH_HDRLEN		3	/* type, count */
#define BATCH_ENTRY_HDRLEN	2	/* each message's length */
/* Section 11.8: away and whois. */
#define AWAY_TEXT_MAX		160	/* bytes of an away text */
#define WHOIS_ROOMS_MAX		4096	/* bytes of WHOISINFO's room list */

#define HISTORY_SAY	0
#define HISTORY_ACTION	1

enum wire_error {
	ERR_BAD_REQUEST	= 1,	/* malformed or not allowed now */
	ERR_NO_ROOM	= 2,	/* no such room, or you are not in it */
	ERR_NO_USER	= 3,	/* no such user online */
	ERR_BAD_TEXT	= 4,	/* too long, or not valid UTF-8 */
	ERR_BAD_NAME	= 5,	/* room or user name breaks the rules */
	ERR_LIMIT	= 6	/* too many rooms, or similar */
};

enum wire_dir {
	FROM_CLIENT = 1,
	FROM_SERVER = 2
};

struct wire_str {
	const char	*p;	/* not NUL-terminated; points into the input */
	size_t		 len;
};

#define WIRE_MAXSTR	4

struct wire_msg {
	uint8_t		 type;
	uint64_t	 time;		/* t */
	uint64_t	 token;		/* q */
	uint8_t		 byte;		/* b */
	struct wire_str	 s[WIRE_MAXSTR];/* the s fields, in order */
	int		 ns;
	uint16_t	 count;		/* entries in an N or R list */
	const uint8_t	*list;		/* the list's entries, validated */
	size_t		 listlen;
};

/*
 * Decode one application message sent in direction dir.  Checks the layout
 * exactly, that every string is valid UTF-8, that user and room fields are
 * valid names and that text fields hold no NUL, CR or LF.  Returns 0 or -1.
 */
int	wire_decode(const uint8_t *p, size_t len, enum wire_dir dir,
	    struct wire_msg *);
/* Append an encoded message; the list (if any) is copied as given. */
int	wire_encode(struct buf *, const struct wire_msg *);
/* The type's name ("SAY"), or NULL if unknown. */
const char *wire_type_name(uint8_t type);
/*
 * True for the types of section 11, which only an extended session may
 * carry: each side checks this after wire_decode.
 */
int	wire_type_extended(uint8_t type);

/* Iterate a decoded N list: returns 1 with the next name, 0 at the end. */
int	wire_names_next(struct reader *, struct wire_str *name);
/* Iterate a decoded K list: returns 1 with the next key and its flags. */
int	wire_keys_next(struct reader *, const uint8_t **key, uint8_t *flags);
/* The next message of a BATCH's M list, not yet decoded itself. */
int	wire_batch_next(struct reader *, const uint8_t **msg, size_t *len);
/* Iterate a decoded R list. */
int	wire_rooms_next(struct reader *, struct wire_str *room, uint16_t *members);

/* Convenience encoders for the common shapes. */
int	wire_put_simple(struct buf *, uint8_t type, const char *s0, size_t l0,
	    const char *s1, size_t l1);

#endif
