/*
 * fuzz-e2e.c: end-to-end payloads (e2e_payload_type, e2e_in_accept,
 * e2e_in_open) and the plaintexts inside them.
 *
 * The input is tried three ways: as a payload from the relay (which can
 * forge nothing: a HELLO or DATA that opens would be a break), and as a
 * plaintext sealed with a session key known here, so that the plaintext
 * parser sees everything a malicious sender could make.  A plaintext that
 * opens must obey the rules of section 11.5, seal back to a payload that
 * opens to the same message, and not open twice.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "e2e.h"
#include "noise.h"
#include "util.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define PLAIN_MAX	4096

static const uint8_t	 sess_key[NOISE_KEYLEN] = { 0x42, 0x17 };
static const uint8_t	 sess_sid[E2E_SID_LEN] = { 's', 'e', 's', 's' };
static uint8_t		 scratch[E2E_PAYLOAD_MAX];
static uint8_t		 my_priv[NOISE_KEYLEN], my_pub[NOISE_KEYLEN];
static uint8_t		 peer_priv[NOISE_KEYLEN], peer_pub[NOISE_KEYLEN];

static void
init_once(void)
{
	static int	 done;

	if (done)
		return;
	if (sodium_init() < 0)
		abort();
	memset(my_priv, 0x11, sizeof(my_priv));
	memset(peer_priv, 0x22, sizeof(peer_priv));
	crypto_scalarmult_base(my_pub, my_priv);
	crypto_scalarmult_base(peer_pub, peer_priv);
	done = 1;
}

static void
session_in(struct e2e_in *in)
{
	memset(in, 0, sizeof(*in));
	in->ready = 1;
	memcpy(in->sid, sess_sid, E2E_SID_LEN);
	memcpy(in->k, sess_key, NOISE_KEYLEN);
	memcpy(in->peer, peer_pub, NOISE_KEYLEN);
}

static void
session_out(struct e2e_out *o, uint64_t n)
{
	memset(o, 0, sizeof(*o));
	o->state = E2E_OUT_READY;
	memcpy(o->sid, sess_sid, E2E_SID_LEN);
	noise_cs_init(&o->send, NOISE_CHACHAPOLY, sess_key);
	o->n = n;
}

/* What the relay can send: nothing it makes up may open. */
static void
as_payload(const uint8_t *data, size_t size)
{
	struct e2e_in		 in;
	struct e2e_plain	 pl;
	struct buf		 answer;
	uint8_t			 sid[E2E_SID_LEN];
	int			 type;

	type = e2e_payload_type(data, size, sid);
	if (type != -1 && (size > E2E_PAYLOAD_MAX ||
	    memcmp(sid, data + 1, E2E_SID_LEN) != 0))
		abort();
	session_in(&in);
	if (size >= 1 + E2E_SID_LEN && size <= E2E_PAYLOAD_MAX) {
		/* Give it the session's sid so the tag is what stops it. */
		uint8_t	*copy = malloc(size);

		if (copy == NULL)
			abort();
		memcpy(copy, data, size);
		memcpy(copy + 1, sess_sid, E2E_SID_LEN);
		if (e2e_in_open(&in, copy, size, scratch, &pl) == 0)
			abort();
		free(copy);
	}
	buf_init(&answer, 0);
	memset(&in, 0, sizeof(in));
	if (e2e_in_accept(&in, my_priv, my_pub, "bob", peer_pub, "alice",
	    data, size, &answer) == 0)
		abort();
	if (in.ready || buf_used(&answer) != 0)
		abort();
	buf_free(&answer);
}

/* What a malicious sender can send: any plaintext, properly sealed. */
static void
as_plaintext(const uint8_t *data, size_t size)
{
	struct e2e_in		 in;
	struct e2e_out		 o;
	struct e2e_plain	 pl, pl2;
	struct noise_cipherstate cs;
	struct buf		 b, b2;
	uint8_t			*d;
	size_t			 padded, total, ctlen;
	char			 text[PLAIN_MAX], to[SECCHAT_NAME_MAX + 1];
	size_t			 textlen;

	if (size > PLAIN_MAX)
		size = PLAIN_MAX;
	padded = e2e_padded_len(size);
	total = E2E_DATA_HDRLEN + padded + NOISE_TAGLEN;
	buf_init(&b, 0);
	if ((d = buf_reserve(&b, total)) == NULL)
		abort();
	d[0] = E2E_DATA;
	memcpy(d + 1, sess_sid, E2E_SID_LEN);
	put_u64(d + 1 + E2E_SID_LEN, 0);
	memset(d + E2E_DATA_HDRLEN, 0, padded);
	memcpy(d + E2E_DATA_HDRLEN, data, size);
	noise_cs_init(&cs, NOISE_CHACHAPOLY, sess_key);
	if (noise_cs_encrypt(&cs, d, E2E_DATA_HDRLEN, d + E2E_DATA_HDRLEN,
	    padded, d + E2E_DATA_HDRLEN, &ctlen) == -1)
		abort();
	buf_commit(&b, total);

	session_in(&in);
	if (e2e_in_open(&in, buf_head(&b), buf_used(&b), scratch, &pl) == -1) {
		if (in.any)
			abort();	/* a refusal changed the session */
		buf_free(&b);
		return;
	}
	if (pl.kind < E2E_TEXT || pl.kind > E2E_SENT_ACTION ||
	    pl.text < (const char *)scratch ||
	    pl.text + pl.textlen > (const char *)scratch + padded ||
	    !valid_text(pl.text, pl.textlen, PLAIN_MAX))
		abort();
	if ((pl.kind == E2E_SENT_TEXT || pl.kind == E2E_SENT_ACTION) !=
	    (pl.to[0] != '\0'))
		abort();
	memcpy(text, pl.text, pl.textlen);
	textlen = pl.textlen;
	memcpy(to, pl.to, sizeof(to));
	if (e2e_in_open(&in, buf_head(&b), buf_used(&b), scratch, &pl2) == 0)
		abort();	/* a replay */

	/* The same message sealed by the real code opens the same. */
	session_out(&o, 1);
	buf_init(&b2, 0);
	if (e2e_out_seal(&o, pl.kind, to[0] != '\0' ? to : NULL, text,
	    textlen, textlen, &b2) == -1)
		abort();
	if (buf_used(&b2) > e2e_payload_max(textlen))
		abort();
	if (e2e_in_open(&in, buf_head(&b2), buf_used(&b2), scratch,
	    &pl2) == -1 || pl2.kind != pl.kind || pl2.textlen != textlen ||
	    memcmp(pl2.text, text, textlen) != 0 || strcmp(pl2.to, to) != 0)
		abort();
	buf_free(&b2);
	buf_free(&b);
	e2e_out_clear(&o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	init_once();
	as_payload(data, size);
	as_plaintext(data, size);
	return 0;
}
