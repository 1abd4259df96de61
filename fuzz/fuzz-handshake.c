/*
 * fuzz-handshake.c: the Noise XX handshake, from both ends.
 *
 * The first input byte chooses the side and the suite: bit 0 AES-GCM
 * (skipped where the CPU cannot run it) instead of ChaCha20-Poly1305,
 * bit 1 the client (initiator) instead of the server (responder).  The
 * rest is a stream of frames, each one message from the peer:
 *
 *   server: message 1, then message 3, then records
 *   client: (after writing message 1) message 2, then records
 *
 * Every static and ephemeral key is fixed, so runs are deterministic and
 * valid messages can be made in advance for the seed corpus.  A message
 * that fails to read must leave the handshake state exactly as it was; one
 * that reads must move it on, and then our own next message must write,
 * unless the peer's ephemeral key is a low-order point.
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
#define FLAG_CLIENT	0x02

/* The fixed keys: private halves; the public ones are derived once. */
static const uint8_t server_static[NOISE_KEYLEN] = {
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
	0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27,
	0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f
};
static const uint8_t client_static[NOISE_KEYLEN] = {
	0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
	0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0x3e, 0x3f,
	0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
	0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f
};
static const uint8_t server_ephemeral[NOISE_KEYLEN] = {
	0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
	0x58, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f,
	0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67,
	0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f
};
static const uint8_t client_ephemeral[NOISE_KEYLEN] = {
	0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97,
	0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
	0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
	0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf
};
static uint8_t	 server_public[NOISE_KEYLEN], client_public[NOISE_KEYLEN];

/* The first application message, carried by message 3. */
#define FUZZ_USER	"alice"
#define FUZZ_PASSWORD	"correct horse"

static uint8_t	 msgbuf[NOISE_MAX_MSG], payload[NOISE_MAX_MSG];

static void
fuzz_setup(void)
{
	static int	 ready;

	if (ready)
		return;
	if (sodium_init() < 0)
		abort();
	crypto_scalarmult_base(server_public, server_static);
	crypto_scalarmult_base(client_public, client_static);
	ready = 1;
}

/* The prologue both ends use: the two hellos, as on the wire. */
static size_t
fuzz_prologue(uint8_t suite, uint8_t *out, size_t outmax)
{
	static const uint8_t	 offer[] = { SUITE_AESGCM, SUITE_CHACHAPOLY };
	int			 c, s;

	c = hello_client_encode(out, outmax, offer, sizeof(offer));
	if (c < 0)
		abort();
	s = hello_server_encode(out + c, outmax - (size_t)c, suite, NULL);
	if (s < 0)
		abort();
	return (size_t)c + (size_t)s;
}

/* Start one side of the handshake; -1 if this machine lacks the suite. */
static int
fuzz_hs_init(struct noise_handshake *hs, uint8_t flags)
{
	uint8_t			 prologue[64];
	size_t			 plen;
	enum noise_cipher	 cipher = NOISE_CHACHAPOLY;
	uint8_t			 suite = SUITE_CHACHAPOLY;
	int			 client = (flags & FLAG_CLIENT) != 0;

	fuzz_setup();
	if (flags & FLAG_AESGCM) {
		if (!noise_aesgcm_available())
			return -1;
		cipher = NOISE_AESGCM;
		suite = SUITE_AESGCM;
	}
	plen = fuzz_prologue(suite, prologue, sizeof(prologue));
	if (noise_hs_init(hs, NOISE_XX, cipher, client, prologue, plen,
	    client ? client_static : server_static,
	    client ? client_public : server_public, NULL) == -1)
		abort();
	noise_hs_fix_ephemeral(hs, client ? client_ephemeral :
	    server_ephemeral);
	return 0;
}

/* Everything a failed read must not have touched. */
static int
same_state(const struct noise_handshake *a, const struct noise_handshake *b)
{
	return a->pattern == b->pattern && a->cipher == b->cipher &&
	    a->initiator == b->initiator && a->msgno == b->msgno &&
	    a->failed == b->failed &&
	    memcmp(a->ck, b->ck, sizeof(a->ck)) == 0 &&
	    memcmp(a->h, b->h, sizeof(a->h)) == 0 &&
	    memcmp(a->cs.k, b->cs.k, sizeof(a->cs.k)) == 0 &&
	    a->cs.n == b->cs.n && a->cs.has_key == b->cs.has_key &&
	    a->cs.cipher == b->cs.cipher &&
	    memcmp(a->s_pub, b->s_pub, sizeof(a->s_pub)) == 0 &&
	    a->has_s == b->has_s &&
	    memcmp(a->e_priv, b->e_priv, sizeof(a->e_priv)) == 0 &&
	    memcmp(a->e_pub, b->e_pub, sizeof(a->e_pub)) == 0 &&
	    a->has_e == b->has_e &&
	    memcmp(a->rs, b->rs, sizeof(a->rs)) == 0 &&
	    a->has_rs == b->has_rs &&
	    memcmp(a->re, b->re, sizeof(a->re)) == 0 &&
	    a->has_re == b->has_re;
}

/* Read one peer message; on failure the state must not have moved. */
static int
read_message(struct noise_handshake *hs, const uint8_t *msg, size_t len,
    size_t *plen)
{
	struct noise_handshake	 before;
	int			 msgno = hs->msgno;

	memcpy(&before, hs, sizeof(before));
	if (noise_hs_read(hs, msg, len, payload, plen) == -1) {
		if (!same_state(&before, hs))
			abort();
		sodium_memzero(&before, sizeof(before));
		return -1;
	}
	if (hs->msgno != msgno + 1 || *plen > len)
		abort();
	sodium_memzero(&before, sizeof(before));
	return 0;
}

/* Does the server's ephemeral key give an all-zero DH with pub? */
static int
low_order(const uint8_t pub[NOISE_KEYLEN])
{
	uint8_t	 shared[NOISE_KEYLEN];
	int	 rc;

	rc = crypto_scalarmult(shared, server_ephemeral, pub);
	sodium_memzero(shared, sizeof(shared));
	return rc != 0;
}

static void
write_message(struct noise_handshake *hs, const uint8_t *p, size_t plen,
    size_t *outlen)
{
	if (noise_hs_status(hs) != NOISE_HS_WRITE ||
	    noise_hs_write(hs, p, plen, msgbuf, outlen) == -1)
		abort();
}

/* After the handshake: the remaining frames are records. */
static void
records(struct noise_handshake *hs, const uint8_t *data, size_t size,
    enum wire_dir from)
{
	struct noise_cipherstate	 send, recv;
	struct wire_msg			 m;
	const uint8_t			*ct;
	size_t				 off = 0, ctlen, consumed, ptlen;

	if (noise_hs_status(hs) != NOISE_HS_SPLIT ||
	    noise_hs_split(hs, &send, &recv) == -1)
		abort();
	while (frame_parse(data + off, size - off, &ct, &ctlen,
	    &consumed) == 1) {
		if (record_open(&recv, ct, ctlen, payload, &ptlen) == 0)
			(void)wire_decode(payload, ptlen, from, &m);
		off += consumed;
	}
	noise_cs_clear(&send);
	noise_cs_clear(&recv);
}

/* The next frame of the input, or NULL. */
static const uint8_t *
next_frame(const uint8_t *data, size_t size, size_t *off, size_t *len)
{
	const uint8_t	*p;
	size_t		 consumed;

	if (frame_parse(data + *off, size - *off, &p, len, &consumed) != 1)
		return NULL;
	*off += consumed;
	return p;
}

static void
server(struct noise_handshake *hs, const uint8_t *data, size_t size)
{
	struct wire_msg	 m;
	const uint8_t	*msg;
	size_t		 off = 0, len, plen, outlen;

	if ((msg = next_frame(data, size, &off, &len)) == NULL ||
	    read_message(hs, msg, len, &plen) == -1)
		return;
	/* Message 1 is the client's ephemeral key in the clear. */
	if (len < NOISE_KEYLEN || memcmp(hs->re, msg, NOISE_KEYLEN) != 0)
		abort();
	/*
	 * Message 2 mixes in DH(e, re) and must fail, ending the handshake,
	 * exactly when that is all zeros (the client sent a low-order point).
	 */
	if (low_order(hs->re)) {
		if (noise_hs_write(hs, NULL, 0, msgbuf, &outlen) != -1 ||
		    noise_hs_status(hs) != NOISE_HS_FAILED)
			abort();
		return;
	}
	write_message(hs, NULL, 0, &outlen);
	if ((msg = next_frame(data, size, &off, &len)) == NULL ||
	    read_message(hs, msg, len, &plen) == -1)
		return;
	if (noise_hs_remote_static(hs) == NULL)
		abort();
	(void)wire_decode(payload, plen, FROM_CLIENT, &m);
	records(hs, data + off, size - off, FROM_CLIENT);
}

static void
client(struct noise_handshake *hs, const uint8_t *data, size_t size)
{
	struct buf	 auth;
	const uint8_t	*msg;
	size_t		 off = 0, len, plen, outlen;

	write_message(hs, NULL, 0, &outlen);
	if ((msg = next_frame(data, size, &off, &len)) == NULL ||
	    read_message(hs, msg, len, &plen) == -1)
		return;
	/* Message 2 carries the server's static key. */
	if (noise_hs_remote_static(hs) == NULL)
		abort();
	buf_init(&auth, 0);
	if (wire_put_simple(&auth, MSG_AUTH, FUZZ_USER, strlen(FUZZ_USER),
	    FUZZ_PASSWORD, strlen(FUZZ_PASSWORD)) == -1)
		abort();
	write_message(hs, buf_head(&auth), buf_used(&auth), &outlen);
	buf_free(&auth);
	records(hs, data + off, size - off, FROM_SERVER);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct noise_handshake	 hs;

	if (size == 0 || fuzz_hs_init(&hs, data[0]) == -1)
		return 0;
	if (data[0] & FLAG_CLIENT)
		client(&hs, data + 1, size - 1);
	else
		server(&hs, data + 1, size - 1);
	noise_hs_clear(&hs);
	return 0;
}
