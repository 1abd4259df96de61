/*
 * e2e.c: end-to-end sessions between two clients' identity keys
 * (doc/protocol.md section 11.5).
 *
 * Everything here works on buffers: the payloads come from and go to the
 * server, which relays them and may forge, replay, reorder or drop any of
 * them.  Each function first works on a copy of the session and stores it
 * back only once everything succeeded, so a payload that fails changes
 * nothing.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "e2e.h"
#include "noise.h"
#include "util.h"
#include "wire.h"

#define E2E_PROLOGUE		"secchat e2e v1"
#define E2E_PROLOGUE_MAX	(sizeof(E2E_PROLOGUE) + 1 + \
				    2 * SECCHAT_NAME_MAX + 1)
#define E2E_HS1_LEN		(E2E_HELLO_LEN - 1 - E2E_SID_LEN)
#define E2E_HS2_LEN		(E2E_ANSWER_LEN - 1 - E2E_SID_LEN)
#define E2E_AD_LEN		E2E_DATA_HDRLEN
/* Both handshake messages carry an empty payload: 96 bytes at most. */
#define E2E_HSBUF		128
/*
 * How many epochs a receiver follows the sender forward in one step.  A
 * forged counter costs the receiver one REKEY per epoch it skips before
 * the tag can be checked; 256 epochs (262144 lost messages) is far more
 * than a relay loses and still cheap.
 */
#define E2E_MAX_SKIP		256
/* A plaintext: kind, the to string for copies, the text string. */
#define E2E_PLAIN_FIXED		(1 + 2)
#define E2E_PLAIN_TO		(2 + SECCHAT_NAME_MAX)

static int
is_sent_kind(enum e2e_kind kind)
{
	return kind == E2E_SENT_TEXT || kind == E2E_SENT_ACTION;
}

static int
valid_kind(int kind)
{
	return kind >= E2E_TEXT && kind <= E2E_SENT_ACTION;
}

/* "secchat e2e v1" 0x00 initiator 0x00 responder: binds both names. */
static int
make_prologue(const char *initiator, const char *responder,
    uint8_t out[E2E_PROLOGUE_MAX], size_t *lenp)
{
	size_t	 il, rl, off;

	if (initiator == NULL || responder == NULL)
		return -1;
	il = strnlen(initiator, SECCHAT_NAME_MAX + 1);
	rl = strnlen(responder, SECCHAT_NAME_MAX + 1);
	if (!valid_username(initiator, il) || !valid_username(responder, rl))
		return -1;
	off = sizeof(E2E_PROLOGUE) - 1;
	memcpy(out, E2E_PROLOGUE, off);
	out[off++] = 0x00;
	memcpy(out + off, initiator, il);
	off += il;
	out[off++] = 0x00;
	memcpy(out + off, responder, rl);
	off += rl;
	*lenp = off;
	return 0;
}

int
e2e_payload_type(const uint8_t *p, size_t len, uint8_t sid[E2E_SID_LEN])
{
	size_t	 body;
	int	 type;

	if (p == NULL || len < 1 + E2E_SID_LEN || len > E2E_PAYLOAD_MAX)
		return -1;
	type = p[0];
	switch (type) {
	case E2E_HELLO:
		if (len != E2E_HELLO_LEN)
			return -1;
		break;
	case E2E_ANSWER:
		if (len != E2E_ANSWER_LEN)
			return -1;
		break;
	case E2E_RESET:
		if (len != E2E_RESET_LEN)
			return -1;
		break;
	case E2E_DATA:
		/* A whole number of padding buckets, at least one. */
		if (len < E2E_DATA_HDRLEN + NOISE_TAGLEN + E2E_PAD)
			return -1;
		body = len - E2E_DATA_HDRLEN - NOISE_TAGLEN;
		if (body % E2E_PAD != 0)
			return -1;
		break;
	default:
		return -1;
	}
	if (sid != NULL)
		memcpy(sid, p + 1, E2E_SID_LEN);
	return type;
}

size_t
e2e_padded_len(size_t len)
{
	if (len == 0)
		return E2E_PAD;
	if (len > SIZE_MAX - (E2E_PAD - 1))
		return SIZE_MAX;
	return (len + E2E_PAD - 1) / E2E_PAD * E2E_PAD;
}

size_t
e2e_payload_max(size_t max_text)
{
	size_t	 plain;

	if (max_text > E2E_PAYLOAD_MAX)
		return E2E_PAYLOAD_MAX;
	plain = E2E_PLAIN_FIXED + E2E_PLAIN_TO + max_text;
	plain = E2E_DATA_HDRLEN + e2e_padded_len(plain) + NOISE_TAGLEN;
	return plain < E2E_PAYLOAD_MAX ? plain : E2E_PAYLOAD_MAX;
}

/* ---------------------------------------------------------------- sender */

int
e2e_out_start(struct e2e_out *o, const uint8_t my_priv[NOISE_KEYLEN],
    const uint8_t my_pub[NOISE_KEYLEN], const char *my_user,
    const uint8_t peer_pub[NOISE_KEYLEN], const char *peer_user,
    struct buf *out)
{
	struct e2e_out	 t;
	uint8_t		 prologue[E2E_PROLOGUE_MAX];
	uint8_t		 msg[1 + E2E_SID_LEN + E2E_HSBUF];
	size_t		 plen, mlen;
	int		 rc = -1;

	memset(&t, 0, sizeof(t));
	if (make_prologue(my_user, peer_user, prologue, &plen) == -1)
		goto out;
	if (noise_hs_init(&t.hs, NOISE_IK, NOISE_CHACHAPOLY, 1, prologue,
	    plen, my_priv, my_pub, peer_pub) == -1)
		goto out;
	randombytes_buf(t.sid, sizeof(t.sid));
	msg[0] = E2E_HELLO;
	memcpy(msg + 1, t.sid, E2E_SID_LEN);
	if (noise_hs_write(&t.hs, NULL, 0, msg + 1 + E2E_SID_LEN,
	    &mlen) == -1 || mlen != E2E_HS1_LEN)
		goto out;
	if (buf_append(out, msg, E2E_HELLO_LEN) == -1)
		goto out;
	t.state = E2E_OUT_WAIT;
	e2e_out_clear(o);
	*o = t;
	rc = 0;
 out:
	sodium_memzero(&t, sizeof(t));
	sodium_memzero(msg, sizeof(msg));
	return rc;
}

int
e2e_out_answer(struct e2e_out *o, const uint8_t *p, size_t len)
{
	struct noise_handshake		 hs;
	struct noise_cipherstate	 send, recv;
	uint8_t				 sid[E2E_SID_LEN];
	uint8_t				 payload[E2E_HSBUF];
	size_t				 plen;
	int				 rc = -1;

	memset(&send, 0, sizeof(send));
	memset(&recv, 0, sizeof(recv));
	if (o->state != E2E_OUT_WAIT ||
	    e2e_payload_type(p, len, sid) != E2E_ANSWER ||
	    memcmp(sid, o->sid, E2E_SID_LEN) != 0)
		return -1;
	hs = o->hs;
	if (noise_hs_read(&hs, p + 1 + E2E_SID_LEN, E2E_HS2_LEN, payload,
	    &plen) == -1 || plen != 0 ||
	    noise_hs_status(&hs) != NOISE_HS_SPLIT)
		goto out;
	if (noise_hs_split(&hs, &send, &recv) == -1)
		goto out;
	/* One-way: the receiving half of the split is never used. */
	noise_hs_clear(&o->hs);
	o->send = send;
	o->n = 0;
	o->state = E2E_OUT_READY;
	rc = 0;
 out:
	noise_hs_clear(&hs);
	noise_cs_clear(&send);
	noise_cs_clear(&recv);
	return rc;
}

/*
 * The plaintext of section 11.5 into dst (padded size): kind, the "to"
 * string for copies, the text string, zeros.
 */
static void
encode_plain(uint8_t *dst, size_t padded, enum e2e_kind kind, const char *to,
    size_t tolen, const char *text, size_t textlen)
{
	size_t	 off = 0;

	dst[off++] = (uint8_t)kind;
	if (is_sent_kind(kind)) {
		put_u16(dst + off, (uint16_t)tolen);
		off += 2;
		memcpy(dst + off, to, tolen);
		off += tolen;
	}
	put_u16(dst + off, (uint16_t)textlen);
	off += 2;
	memcpy(dst + off, text, textlen);
	off += textlen;
	memset(dst + off, 0, padded - off);
}

int
e2e_out_seal(struct e2e_out *o, enum e2e_kind kind, const char *to,
    const char *text, size_t textlen, size_t max_text, struct buf *out)
{
	struct noise_cipherstate	 cs;
	size_t				 tolen = 0, plain, padded, total;
	size_t				 ctlen;
	uint8_t				*dst;
	int				 rc = -1;

	if (o->state != E2E_OUT_READY || !valid_kind(kind))
		return -1;
	if (is_sent_kind(kind)) {
		if (to == NULL)
			return -1;
		tolen = strnlen(to, SECCHAT_NAME_MAX + 1);
		if (!valid_username(to, tolen))
			return -1;
	} else if (to != NULL)
		return -1;
	if (text == NULL || !valid_text(text, textlen, max_text) ||
	    textlen > E2E_PAYLOAD_MAX)
		return -1;
	plain = E2E_PLAIN_FIXED + (is_sent_kind(kind) ? 2 + tolen : 0) +
	    textlen;
	padded = e2e_padded_len(plain);
	total = E2E_DATA_HDRLEN + padded + NOISE_TAGLEN;
	/* Section 11.7: the server refuses anything longer. */
	if (total > E2E_PAYLOAD_MAX)
		return -1;
	/* 2^64 - 1 is no nonce in Noise; no session gets near it. */
	if (o->n >= UINT64_MAX - 1)
		return -1;
	if ((dst = buf_reserve(out, total)) == NULL)
		return -1;

	cs = o->send;
	if (o->n > 0 && o->n % E2E_REKEY_EVERY == 0)
		noise_cs_rekey(&cs);
	cs.n = o->n;
	dst[0] = E2E_DATA;
	memcpy(dst + 1, o->sid, E2E_SID_LEN);
	put_u64(dst + 1 + E2E_SID_LEN, o->n);
	encode_plain(dst + E2E_AD_LEN, padded, kind, to, tolen, text, textlen);
	if (noise_cs_encrypt(&cs, dst, E2E_AD_LEN, dst + E2E_AD_LEN, padded,
	    dst + E2E_AD_LEN, &ctlen) == -1 || ctlen != padded + NOISE_TAGLEN) {
		/* Never leave the plaintext in the buffer's spare room. */
		sodium_memzero(dst, total);
		goto out;
	}
	buf_commit(out, total);
	o->send = cs;
	o->n++;
	rc = 0;
 out:
	noise_cs_clear(&cs);
	return rc;
}

void
e2e_out_clear(struct e2e_out *o)
{
	noise_hs_clear(&o->hs);
	noise_cs_clear(&o->send);
	sodium_memzero(o, sizeof(*o));
}

/* -------------------------------------------------------------- receiver */

int
e2e_in_accept(struct e2e_in *in, const uint8_t my_priv[NOISE_KEYLEN],
    const uint8_t my_pub[NOISE_KEYLEN], const char *my_user,
    const uint8_t peer_device[NOISE_KEYLEN], const char *peer_user,
    const uint8_t *p, size_t len, struct buf *out)
{
	struct noise_handshake		 hs;
	struct noise_cipherstate	 send, recv;
	struct e2e_in			 t;
	uint8_t				 prologue[E2E_PROLOGUE_MAX];
	uint8_t				 sid[E2E_SID_LEN];
	uint8_t				 payload[E2E_HSBUF];
	uint8_t				 msg[1 + E2E_SID_LEN + E2E_HSBUF];
	const uint8_t			*rs;
	size_t				 plen, mlen;
	int				 rc = -1;

	memset(&hs, 0, sizeof(hs));
	memset(&send, 0, sizeof(send));
	memset(&recv, 0, sizeof(recv));
	memset(&t, 0, sizeof(t));
	if (e2e_payload_type(p, len, sid) != E2E_HELLO ||
	    make_prologue(peer_user, my_user, prologue, &plen) == -1)
		return -1;
	if (noise_hs_init(&hs, NOISE_IK, NOISE_CHACHAPOLY, 0, prologue, plen,
	    my_priv, my_pub, NULL) == -1)
		goto out;
	if (noise_hs_read(&hs, p + 1 + E2E_SID_LEN, E2E_HS1_LEN, payload,
	    &plen) == -1 || plen != 0)
		goto out;
	/*
	 * The key the handshake proved must be the device the server said
	 * sent it: otherwise the relay could pass one user's HELLO off as
	 * another's.
	 */
	if ((rs = noise_hs_remote_static(&hs)) == NULL ||
	    sodium_memcmp(rs, peer_device, NOISE_KEYLEN) != 0)
		goto out;
	memcpy(t.peer, rs, NOISE_KEYLEN);
	msg[0] = E2E_ANSWER;
	memcpy(msg + 1, sid, E2E_SID_LEN);
	if (noise_hs_write(&hs, NULL, 0, msg + 1 + E2E_SID_LEN, &mlen) == -1 ||
	    mlen != E2E_HS2_LEN || noise_hs_status(&hs) != NOISE_HS_SPLIT)
		goto out;
	if (noise_hs_split(&hs, &send, &recv) == -1)
		goto out;
	/* One-way: only the initiator's sending key is kept. */
	memcpy(t.k, recv.k, NOISE_KEYLEN);
	memcpy(t.sid, sid, E2E_SID_LEN);
	t.ready = 1;
	if (buf_append(out, msg, E2E_ANSWER_LEN) == -1)
		goto out;
	e2e_in_clear(in);
	*in = t;
	rc = 0;
 out:
	noise_hs_clear(&hs);
	noise_cs_clear(&send);
	noise_cs_clear(&recv);
	sodium_memzero(&t, sizeof(t));
	return rc;
}

/* Refuse n if it was seen or is older than the window. */
static int
window_check(const struct e2e_in *in, uint64_t n)
{
	uint64_t	 d;

	if (!in->any || n > in->top)
		return 0;
	d = in->top - n;
	if (d >= E2E_WINDOW)
		return -1;
	return (in->seen >> d) & 1 ? -1 : 0;
}

static void
window_mark(struct e2e_in *in, uint64_t n)
{
	uint64_t	 shift;

	if (!in->any) {
		in->top = n;
		in->seen = 1;
		in->any = 1;
	} else if (n > in->top) {
		shift = n - in->top;
		in->seen = shift >= E2E_WINDOW ? 1 : (in->seen << shift) | 1;
		in->top = n;
	} else
		in->seen |= (uint64_t)1 << (in->top - n);
}

/*
 * Parse a decrypted, padded plaintext.  Everything after the text must be
 * zero: the padding carries nothing.
 */
static int
decode_plain(const uint8_t *pt, size_t ptlen, struct e2e_plain *out)
{
	struct reader	 r;
	const uint8_t	*to = NULL, *text;
	size_t		 tolen = 0, textlen;
	int		 kind;

	rd_init(&r, pt, ptlen);
	kind = rd_u8(&r);
	if (r.err || !valid_kind(kind))
		return -1;
	if (is_sent_kind((enum e2e_kind)kind)) {
		to = rd_str(&r, &tolen);
		if (r.err || !valid_username((const char *)to, tolen))
			return -1;
	}
	text = rd_str(&r, &textlen);
	if (r.err || !valid_text((const char *)text, textlen,
	    E2E_PAYLOAD_MAX))
		return -1;
	if (r.left > 0 && !sodium_is_zero(r.p, r.left))
		return -1;
	memset(out, 0, sizeof(*out));
	out->kind = (enum e2e_kind)kind;
	if (to != NULL)
		memcpy(out->to, to, tolen);
	out->to[tolen] = '\0';
	out->text = (const char *)text;
	out->textlen = textlen;
	return 0;
}

int
e2e_in_open(struct e2e_in *in, const uint8_t *p, size_t len,
    uint8_t *scratch, struct e2e_plain *out)
{
	struct noise_cipherstate	 cs;
	uint8_t				 sid[E2E_SID_LEN];
	uint8_t				 k[NOISE_KEYLEN], kprev[NOISE_KEYLEN];
	uint64_t			 n, epoch, i;
	size_t				 ptlen = 0;
	int				 rc = -1, forward = 0;

	memset(&cs, 0, sizeof(cs));
	if (!in->ready || e2e_payload_type(p, len, sid) != E2E_DATA ||
	    memcmp(sid, in->sid, E2E_SID_LEN) != 0)
		return -1;
	n = get_u64(p + 1 + E2E_SID_LEN);
	if (n == UINT64_MAX || window_check(in, n) == -1)
		return -1;

	/* The key of n's epoch: the current one, the previous, or later. */
	epoch = n / E2E_REKEY_EVERY;
	if (epoch == in->epoch)
		noise_cs_init(&cs, NOISE_CHACHAPOLY, in->k);
	else if (epoch + 1 == in->epoch && in->has_prev)
		noise_cs_init(&cs, NOISE_CHACHAPOLY, in->kprev);
	else if (epoch > in->epoch && epoch - in->epoch <= E2E_MAX_SKIP) {
		noise_cs_init(&cs, NOISE_CHACHAPOLY, in->k);
		for (i = in->epoch; i < epoch; i++) {
			memcpy(kprev, cs.k, NOISE_KEYLEN);
			noise_cs_rekey(&cs);
		}
		memcpy(k, cs.k, NOISE_KEYLEN);
		forward = 1;
	} else
		return -1;

	cs.n = n;
	if (noise_cs_decrypt(&cs, p, E2E_AD_LEN, p + E2E_AD_LEN,
	    len - E2E_AD_LEN, scratch, &ptlen) == -1)
		goto out;
	if (decode_plain(scratch, ptlen, out) == -1) {
		sodium_memzero(scratch, ptlen);
		memset(out, 0, sizeof(*out));
		goto out;
	}
	window_mark(in, n);
	if (forward) {
		/* Keep this epoch's key and the one before; forget older. */
		memcpy(in->kprev, kprev, NOISE_KEYLEN);
		memcpy(in->k, k, NOISE_KEYLEN);
		in->has_prev = 1;
		in->epoch = epoch;
	}
	rc = 0;
 out:
	noise_cs_clear(&cs);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(kprev, sizeof(kprev));
	return rc;
}

void
e2e_in_clear(struct e2e_in *in)
{
	sodium_memzero(in, sizeof(*in));
}

int
e2e_reset(const uint8_t sid[E2E_SID_LEN], struct buf *out)
{
	uint8_t	 msg[E2E_RESET_LEN];

	msg[0] = E2E_RESET;
	memcpy(msg + 1, sid, E2E_SID_LEN);
	return buf_append(out, msg, sizeof(msg));
}
