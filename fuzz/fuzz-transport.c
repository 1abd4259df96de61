/*
 * fuzz-transport.c: record_open, the receiving side of the record layer.
 *
 * The first input byte chooses the cipher state: bit 0 the suite (AES-GCM
 * is skipped where the CPU cannot run it), bits 1-2 the first nonce (0, 1,
 * 2^64-2 or the reserved 2^64-1), bit 3 a state without a key.  The rest
 * is opened once as a single record, then read as a stream of frames and
 * opened record by record with one state, as a session does.
 *
 * A record that fails to open must leave the state exactly as it was.  A
 * record that opens must advance the nonce by one, and sealing its
 * plaintext with the peer's state must give back the very same frame: the
 * AEAD is deterministic, so anything else would mean that a record was
 * accepted which the peer never sent.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FLAG_AESGCM	0x01
#define FLAG_NONCE	0x06
#define FLAG_NOKEY	0x08

/* The key both ends of the fuzzed session hold. */
static const uint8_t transport_key[NOISE_KEYLEN] = {
	0x70, 0x71, 0x72, 0x73, 0x74, 0x75, 0x76, 0x77,
	0x78, 0x79, 0x7a, 0x7b, 0x7c, 0x7d, 0x7e, 0x7f,
	0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
	0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f
};

static const uint64_t first_nonce[] = {
	0, 1, UINT64_MAX - 1, UINT64_MAX
};

static uint8_t	 pt[FRAME_MAX];

/* Set up the state the flags ask for; -1 if this machine cannot. */
static int
transport_state(uint8_t flags, struct noise_cipherstate *cs)
{
	enum noise_cipher	 cipher = NOISE_CHACHAPOLY;

	if (flags & FLAG_AESGCM) {
		if (!noise_aesgcm_available())
			return -1;
		cipher = NOISE_AESGCM;
	}
	noise_cs_init(cs, cipher, (flags & FLAG_NOKEY) ? NULL : transport_key);
	cs->n = first_nonce[(flags & FLAG_NONCE) >> 1];
	return 0;
}

/* Open one record; check what it did to the state. */
static int
open_record(struct noise_cipherstate *cs, const uint8_t *ct, size_t ctlen)
{
	struct noise_cipherstate	 before, peer;
	struct buf			 sealed;
	size_t				 ptlen = 0;

	memcpy(&before, cs, sizeof(before));
	if (record_open(cs, ct, ctlen, pt, &ptlen) == -1) {
		if (memcmp(&before, cs, sizeof(before)) != 0)
			abort();
		return -1;
	}
	if (!before.has_key || ctlen < NOISE_TAGLEN ||
	    ptlen != ctlen - NOISE_TAGLEN || cs->n != before.n + 1 ||
	    memcmp(cs->k, before.k, sizeof(cs->k)) != 0 ||
	    cs->has_key != before.has_key || cs->cipher != before.cipher)
		abort();

	memcpy(&peer, &before, sizeof(peer));
	buf_init(&sealed, 0);
	if (record_seal(&peer, pt, ptlen, &sealed) == -1 ||
	    buf_used(&sealed) != FRAME_HDRLEN + ctlen ||
	    get_u16(buf_head(&sealed)) != ctlen ||
	    memcmp(buf_head(&sealed) + FRAME_HDRLEN, ct, ctlen) != 0 ||
	    peer.n != cs->n)
		abort();
	buf_free(&sealed);
	sodium_memzero(&peer, sizeof(peer));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 ready;
	struct noise_cipherstate	 cs;
	const uint8_t			*ct;
	size_t				 off, ctlen, consumed;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = 1;
	}
	if (size == 0)
		return 0;

	/* The whole rest as one record. */
	if (transport_state(data[0], &cs) == -1)
		return 0;
	(void)open_record(&cs, data + 1, size - 1);

	/* The rest as a stream of frames, all opened with one state. */
	(void)transport_state(data[0], &cs);
	off = 1;
	while (frame_parse(data + off, size - off, &ct, &ctlen,
	    &consumed) == 1) {
		(void)open_record(&cs, ct, ctlen);
		off += consumed;
	}
	noise_cs_clear(&cs);
	return 0;
}
