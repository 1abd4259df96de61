/*
 * test-e2e.c: end-to-end sessions (doc/protocol.md section 11.5): the
 * handshake, sealing and opening across rekeys, the replay window, and
 * that every forged, replayed or misdirected payload is refused without
 * changing the session.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "e2e.h"
#include "noise.h"
#include "tap.h"
#include "util.h"
#include "wire.h"

struct party {
	const char	*user;
	uint8_t		 priv[NOISE_KEYLEN], pub[NOISE_KEYLEN];
};

static struct party	 alice = { "alice", {0}, {0} };
static struct party	 bob = { "bob", {0}, {0} };
static struct party	 carol = { "carol", {0}, {0} };

static uint8_t		 scratch[E2E_PAYLOAD_MAX];

static void
make_party(struct party *p)
{
	randombytes_buf(p->priv, sizeof(p->priv));
	crypto_scalarmult_base(p->pub, p->priv);
}

/* A session from a to b; 0 if the whole handshake worked. */
static int
handshake(const struct party *a, const struct party *b, struct e2e_out *o,
    struct e2e_in *in)
{
	struct buf	 hello, answer;
	int		 rc = -1;

	buf_init(&hello, 0);
	buf_init(&answer, 0);
	if (e2e_out_start(o, a->priv, a->pub, a->user, b->pub, b->user,
	    &hello) == 0 &&
	    e2e_in_accept(in, b->priv, b->pub, b->user, a->pub, a->user,
	    buf_head(&hello), buf_used(&hello), &answer) == 0 &&
	    e2e_out_answer(o, buf_head(&answer), buf_used(&answer)) == 0)
		rc = 0;
	buf_free(&hello);
	buf_free(&answer);
	return rc;
}

/* Seal text into a fresh buffer the caller frees. */
static int
seal(struct e2e_out *o, const char *text, struct buf *b)
{
	buf_init(b, 0);
	return e2e_out_seal(o, E2E_TEXT, NULL, text, strlen(text), 4096, b);
}

/* Open b; 1 if it opened to exactly text. */
static int
opens_to(struct e2e_in *in, const struct buf *b, const char *text)
{
	struct e2e_plain	 pl;

	if (e2e_in_open(in, buf_head(b), buf_used(b), scratch, &pl) == -1)
		return 0;
	return pl.kind == E2E_TEXT && pl.textlen == strlen(text) &&
	    memcmp(pl.text, text, pl.textlen) == 0 && pl.to[0] == '\0';
}

/* Open must fail and leave the session byte for byte as it was. */
static int
refused_unchanged(struct e2e_in *in, const uint8_t *p, size_t len)
{
	struct e2e_in		 before;
	struct e2e_plain	 pl;

	memcpy(&before, in, sizeof(before));

	if (e2e_in_open(in, p, len, scratch, &pl) != -1)
		return 0;
	return memcmp(&before, in, sizeof(before)) == 0;
}

static void
test_handshake(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	 hello, answer;
	uint8_t		 sid[E2E_SID_LEN];

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	buf_init(&hello, 0);
	buf_init(&answer, 0);
	tap_ok(e2e_out_start(&o, alice.priv, alice.pub, "alice", bob.pub,
	    "bob", &hello) == 0 && o.state == E2E_OUT_WAIT,
	    "start: a HELLO, waiting for the answer");
	tap_ok(buf_used(&hello) == E2E_HELLO_LEN &&
	    e2e_payload_type(buf_head(&hello), buf_used(&hello), sid) ==
	    E2E_HELLO && memcmp(sid, o.sid, E2E_SID_LEN) == 0,
	    "HELLO is 105 bytes with the session's sid");
	tap_ok(e2e_in_accept(&in, bob.priv, bob.pub, "bob", alice.pub,
	    "alice", buf_head(&hello), buf_used(&hello), &answer) == 0 &&
	    in.ready && memcmp(in.peer, alice.pub, NOISE_KEYLEN) == 0 &&
	    memcmp(in.sid, o.sid, E2E_SID_LEN) == 0,
	    "accept: the responder knows the sid and the initiator's key");
	tap_ok(buf_used(&answer) == E2E_ANSWER_LEN &&
	    e2e_payload_type(buf_head(&answer), buf_used(&answer), sid) ==
	    E2E_ANSWER && memcmp(sid, o.sid, E2E_SID_LEN) == 0,
	    "ANSWER is 57 bytes with the same sid");
	{
		struct buf	 b;

		tap_ok(seal(&o, "early", &b) == -1 && buf_used(&b) == 0,
		    "nothing is sealed before the answer");
		buf_free(&b);
	}
	tap_ok(e2e_out_answer(&o, buf_head(&answer), buf_used(&answer)) ==
	    0 && o.state == E2E_OUT_READY && o.n == 0,
	    "answer: the initiator is ready");
	tap_ok(sodium_is_zero((const uint8_t *)&o.hs, sizeof(o.hs)),
	    "the spent handshake is wiped");
	tap_ok(e2e_out_answer(&o, buf_head(&answer), buf_used(&answer)) ==
	    -1 && o.state == E2E_OUT_READY, "a second answer is refused");
	buf_free(&hello);
	buf_free(&answer);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
	tap_ok(sodium_is_zero((const uint8_t *)&o, sizeof(o)) &&
	    sodium_is_zero((const uint8_t *)&in, sizeof(in)),
	    "clear wipes both ends");
}

static void
test_both_ways(void)
{
	struct e2e_out	 ab, ba;
	struct e2e_in	 at_b, at_a;
	struct buf	 m1, m2;
	int		 ok;

	memset(&ab, 0, sizeof(ab));
	memset(&ba, 0, sizeof(ba));
	memset(&at_a, 0, sizeof(at_a));
	memset(&at_b, 0, sizeof(at_b));
	ok = handshake(&alice, &bob, &ab, &at_b) == 0 &&
	    handshake(&bob, &alice, &ba, &at_a) == 0;
	tap_ok(ok, "two sessions, one each way");
	tap_ok(memcmp(ab.sid, ba.sid, E2E_SID_LEN) != 0, "with their own sids");
	ok = seal(&ab, "hello bob", &m1) == 0 &&
	    seal(&ba, "hello alice", &m2) == 0;
	tap_ok(ok && opens_to(&at_b, &m1, "hello bob") &&
	    opens_to(&at_a, &m2, "hello alice"), "each reads the other");
	tap_ok(refused_unchanged(&at_a, buf_head(&m1), buf_used(&m1)),
	    "a payload of one session does not open in the other");
	buf_free(&m1);
	buf_free(&m2);
	e2e_out_clear(&ab);
	e2e_out_clear(&ba);
	e2e_in_clear(&at_a);
	e2e_in_clear(&at_b);
}

/* 3000 messages in order: across two rekeys. */
static void
test_many(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	 b;
	char		 text[64];
	int		 i, bad = 0, samekey = 0;
	uint8_t		 k0[NOISE_KEYLEN];

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1) {
		tap_ok(0, "handshake for many messages");
		return;
	}
	memcpy(k0, in.k, sizeof(k0));
	for (i = 0; i < 3000; i++) {
		snprintf(text, sizeof(text), "message %d", i);
		if (seal(&o, text, &b) == -1 || !opens_to(&in, &b, text))
			bad++;
		buf_free(&b);
		if (i == 1023 && memcmp(k0, in.k, sizeof(k0)) == 0)
			samekey++;
		if (i == 1024 && memcmp(k0, in.k, sizeof(k0)) == 0)
			samekey += 10;
	}
	tap_ok(bad == 0, "3000 messages in order all open (%d failed)", bad);
	tap_ok(samekey == 1, "the key changes at message 1024, not before");
	tap_ok(in.epoch == 2 && in.has_prev && in.top == 2999 &&
	    o.n == 3000, "after 3000 messages: epoch 2, top 2999");
	sodium_memzero(k0, sizeof(k0));
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

/* Seal count messages "m<n>" into bufs[]. */
static int
seal_many(struct e2e_out *o, struct buf *bufs, int count)
{
	char	 text[32];
	int	 i;

	for (i = 0; i < count; i++) {
		snprintf(text, sizeof(text), "m%llu",
		    (unsigned long long)o->n);
		if (seal(o, text, &bufs[i]) == -1)
			return -1;
	}
	return 0;
}

static int
opens_as(struct e2e_in *in, const struct buf *b, uint64_t n)
{
	char	 text[32];

	snprintf(text, sizeof(text), "m%llu", (unsigned long long)n);
	return opens_to(in, b, text);
}

static void
free_many(struct buf *bufs, int count)
{
	int	 i;

	for (i = 0; i < count; i++)
		buf_free(&bufs[i]);
}

static void
test_window(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	*m;
	int		 i, ok;

	if ((m = calloc(2200, sizeof(*m))) == NULL)
		abort();
	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1 ||
	    seal_many(&o, m, 100) == -1) {
		tap_ok(0, "setup for the window");
		return;
	}
	tap_ok(opens_as(&in, &m[0], 0), "message 0 opens");
	tap_ok(refused_unchanged(&in, buf_head(&m[0]), buf_used(&m[0])),
	    "its replay is refused, nothing changes");
	ok = 1;
	for (i = 9; i >= 1; i--)
		ok &= opens_as(&in, &m[i], (uint64_t)i);
	tap_ok(ok, "9 to 1 in reverse order open");
	ok = 1;
	for (i = 0; i < 10; i++)
		ok &= refused_unchanged(&in, buf_head(&m[i]), buf_used(&m[i]));
	tap_ok(ok, "and each of 0..9 replayed is refused");

	tap_ok(opens_as(&in, &m[99], 99), "99 opens, skipping ahead");
	ok = 1;
	for (i = 10; i <= 35; i++)
		ok &= refused_unchanged(&in, buf_head(&m[i]), buf_used(&m[i]));
	tap_ok(ok, "10..35 (64 or more below the top) are refused");
	ok = 1;
	for (i = 36; i <= 98; i++)
		ok &= opens_as(&in, &m[i], (uint64_t)i);
	tap_ok(ok, "36..98 (within 63 of the top) open late");
	ok = 1;
	for (i = 36; i <= 99; i++)
		ok &= refused_unchanged(&in, buf_head(&m[i]), buf_used(&m[i]));
	tap_ok(ok, "and none of them opens twice");
	free_many(m, 100);

	/* Up to 1019 in order, then 1020..1100 out of order. */
	ok = 1;
	while (o.n < 1020) {
		if (seal_many(&o, &m[0], 1) == -1 ||
		    !opens_as(&in, &m[0], o.n - 1))
			ok = 0;
		buf_free(&m[0]);
	}
	tap_ok(ok, "in order up to 1019");
	if (seal_many(&o, m, 81) == -1) {	/* m[i] is n = 1020 + i */
		tap_ok(0, "seal 1020..1100");
		return;
	}
	ok = 1;
	for (i = 4; i < 10; i++)
		ok &= opens_as(&in, &m[i], 1020 + (uint64_t)i);
	tap_ok(ok && in.epoch == 1 && in.has_prev,
	    "1024..1029 open first: the receiver is in epoch 1");
	ok = 1;
	for (i = 3; i >= 0; i--)
		ok &= opens_as(&in, &m[i], 1020 + (uint64_t)i);
	tap_ok(ok, "1020..1023 still open late with the previous key");
	ok = opens_as(&in, &m[80], 1100);
	for (i = 10; i <= 16; i++)
		ok &= refused_unchanged(&in, buf_head(&m[i]), buf_used(&m[i]));
	tap_ok(ok, "after 1100, 1030..1036 are out of the window");
	free_many(m, 81);

	/* Skip two epochs at once: 1101..3100, 3100 opens first. */
	if (seal_many(&o, m, 2000) == -1) {	/* m[i] is n = 1101 + i */
		tap_ok(0, "seal 1101..3100");
		return;
	}
	tap_ok(opens_as(&in, &m[3100 - 1101], 3100) && in.epoch == 3,
	    "3100 opens after a gap of two epochs");
	tap_ok(opens_as(&in, &m[3071 - 1101], 3071),
	    "3071 (the epoch before, within the window) opens");
	tap_ok(refused_unchanged(&in, buf_head(&m[3036 - 1101]),
	    buf_used(&m[3036 - 1101])) &&
	    refused_unchanged(&in, buf_head(&m[2100 - 1101]),
	    buf_used(&m[2100 - 1101])),
	    "3036 (64 below) and 2100 (two epochs back) are refused");
	free_many(m, 2000);
	free(m);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

/* Every byte of a DATA, ANSWER and HELLO flipped in turn. */
static void
test_tamper(void)
{
	struct e2e_out	 o, o2, before;
	struct e2e_in	 in, in2;
	struct buf	 b, hello, answer;
	uint8_t		*p;
	size_t		 i, len;
	int		 ok, ok2;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1 ||
	    seal(&o, "do not touch", &b) == -1) {
		tap_ok(0, "setup for tampering");
		return;
	}
	p = buf_head(&b);
	len = buf_used(&b);
	ok = 1;
	for (i = 0; i < len; i++) {
		p[i] ^= 0x01;
		ok &= refused_unchanged(&in, p, len);
		p[i] ^= 0x01;
	}
	tap_ok(ok, "DATA: every one of %zu bytes changed is refused, the "
	    "session unchanged", len);
	tap_ok(refused_unchanged(&in, p, len - 1) &&
	    refused_unchanged(&in, p, len - 256),
	    "DATA: cut short is refused");
	tap_ok(opens_to(&in, &b, "do not touch"), "the original still opens");
	buf_free(&b);
	e2e_out_clear(&o);
	e2e_in_clear(&in);

	/* HELLO: everything but the sid is authenticated. */
	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	buf_init(&hello, 0);
	buf_init(&answer, 0);
	e2e_out_start(&o, alice.priv, alice.pub, "alice", bob.pub, "bob",
	    &hello);
	p = buf_head(&hello);
	ok = 1;
	for (i = 0; i < E2E_HELLO_LEN; i++) {
		if (i >= 1 && i < 1 + E2E_SID_LEN)
			continue;
		p[i] ^= 0x20;
		ok &= e2e_in_accept(&in, bob.priv, bob.pub, "bob", alice.pub,
		    "alice", p, E2E_HELLO_LEN, &answer) == -1 &&
		    !in.ready && buf_used(&answer) == 0;
		p[i] ^= 0x20;
	}
	tap_ok(ok, "HELLO: each byte but the sid's changed is refused");
	/* A changed sid makes an ANSWER the initiator does not take. */
	p[1] ^= 0x01;
	ok = e2e_in_accept(&in, bob.priv, bob.pub, "bob", alice.pub,
	    "alice", p, E2E_HELLO_LEN, &answer) == 0;
	memcpy(&before, &o, sizeof(o));
	ok &= e2e_out_answer(&o, buf_head(&answer), buf_used(&answer)) == -1 &&
	    memcmp(&before, &o, sizeof(o)) == 0;
	tap_ok(ok, "HELLO: a changed sid gets an ANSWER the initiator refuses");
	p[1] ^= 0x01;

	/* ANSWER: every byte. */
	e2e_in_clear(&in);
	buf_reset(&answer);
	if (e2e_in_accept(&in, bob.priv, bob.pub, "bob", alice.pub, "alice",
	    p, E2E_HELLO_LEN, &answer) == -1) {
		tap_ok(0, "accept the untouched HELLO");
		return;
	}
	p = buf_head(&answer);
	ok = 1;
	memcpy(&before, &o, sizeof(o));
	for (i = 0; i < E2E_ANSWER_LEN; i++) {
		p[i] ^= 0x04;
		ok &= e2e_out_answer(&o, p, E2E_ANSWER_LEN) == -1 &&
		    memcmp(&before, &o, sizeof(o)) == 0;
		p[i] ^= 0x04;
	}
	tap_ok(ok, "ANSWER: every byte changed is refused, the initiator "
	    "still waiting");
	tap_ok(e2e_out_answer(&o, p, E2E_ANSWER_LEN - 1) == -1,
	    "ANSWER: cut short is refused");
	/* The ANSWER of another session to bob. */
	memset(&o2, 0, sizeof(o2));
	memset(&in2, 0, sizeof(in2));
	ok2 = handshake(&alice, &bob, &o2, &in2) == 0;
	{
		struct buf	 h2, a2;

		buf_init(&h2, 0);
		buf_init(&a2, 0);
		ok2 &= e2e_out_start(&o2, alice.priv, alice.pub, "alice",
		    bob.pub, "bob", &h2) == 0;
		ok2 &= e2e_in_accept(&in2, bob.priv, bob.pub, "bob",
		    alice.pub, "alice", buf_head(&h2), buf_used(&h2),
		    &a2) == 0;
		/* Same sid as ours, but another handshake's message. */
		memcpy(buf_head(&a2) + 1, o.sid, E2E_SID_LEN);
		ok2 &= e2e_out_answer(&o, buf_head(&a2), buf_used(&a2)) == -1;
		buf_free(&h2);
		buf_free(&a2);
	}
	tap_ok(ok2, "the ANSWER of another handshake is refused");
	tap_ok(e2e_out_answer(&o, p, E2E_ANSWER_LEN) == 0,
	    "the untouched ANSWER is taken");
	{
		struct buf	 d;

		ok = seal(&o, "after all that", &d) == 0 &&
		    opens_to(&in, &d, "after all that");
		buf_free(&d);
	}
	tap_ok(ok, "and the session works");
	buf_free(&hello);
	buf_free(&answer);
	e2e_out_clear(&o);
	e2e_out_clear(&o2);
	e2e_in_clear(&in);
	e2e_in_clear(&in2);
}

/* accept with these names and peer device; 0 if it worked. */
static int
try_accept(const struct party *a, const char *a_says_me,
    const char *a_says_peer, const uint8_t *peer_pub, const char *b_user,
    const char *b_says_peer, const uint8_t *device)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	 hello, answer;
	int		 rc = -1;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	buf_init(&hello, 0);
	buf_init(&answer, 0);
	if (e2e_out_start(&o, a->priv, a->pub, a_says_me, peer_pub,
	    a_says_peer, &hello) == 0 &&
	    e2e_in_accept(&in, bob.priv, bob.pub, b_user, device, b_says_peer,
	    buf_head(&hello), buf_used(&hello), &answer) == 0)
		rc = 0;
	if (rc == -1 && (in.ready || buf_used(&answer) != 0))
		rc = 2;		/* a failure that left traces */
	buf_free(&hello);
	buf_free(&answer);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
	return rc;
}

static void
test_binding(void)
{
	tap_ok(try_accept(&alice, "alice", "bob", bob.pub, "bob", "alice",
	    alice.pub) == 0, "the right keys and names: accepted");
	tap_ok(try_accept(&alice, "alice", "bob", carol.pub, "bob", "alice",
	    alice.pub) == -1, "a HELLO for another responder key: refused");
	tap_ok(try_accept(&alice, "alice", "bob", bob.pub, "bob", "alice",
	    carol.pub) == -1, "the initiator's key is not the device the "
	    "server named: refused");
	tap_ok(try_accept(&carol, "alice", "bob", bob.pub, "bob", "alice",
	    alice.pub) == -1, "carol's HELLO passed off as alice's: refused");
	tap_ok(try_accept(&alice, "alice", "bob", bob.pub, "bob", "mallory",
	    alice.pub) == -1, "another initiator name: refused");
	tap_ok(try_accept(&alice, "alice", "bobby", bob.pub, "bob", "alice",
	    alice.pub) == -1, "another responder name: refused");
	tap_ok(try_accept(&alice, "alice", "bob", bob.pub, "bob", "Alice",
	    alice.pub) == -1, "an invalid name: refused");
	{
		struct e2e_out	 o;
		struct buf	 b;

		memset(&o, 0, sizeof(o));
		buf_init(&b, 0);
		tap_ok(e2e_out_start(&o, alice.priv, alice.pub, "alice",
		    bob.pub, "this-name-is-far-too-long-for-secchat", &b) ==
		    -1 && buf_used(&b) == 0 && o.state == E2E_OUT_NONE,
		    "start refuses an invalid name, changing nothing");
		buf_free(&b);
	}
}

static size_t
sealed_len(struct e2e_out *o, enum e2e_kind kind, const char *to,
    size_t textlen, size_t max_text)
{
	struct buf	 b;
	char		*text;
	size_t		 len = 0;

	if ((text = malloc(textlen + 1)) == NULL)
		abort();
	memset(text, 'x', textlen);
	buf_init(&b, 0);
	if (e2e_out_seal(o, kind, to, text, textlen, max_text, &b) == 0)
		len = buf_used(&b);
	buf_free(&b);
	free(text);
	return len;
}

static void
test_sizes(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	size_t		 one, edge, past, m;
	const size_t	 bucket1 = E2E_DATA_HDRLEN + E2E_PAD + NOISE_TAGLEN;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1) {
		tap_ok(0, "handshake for sizes");
		return;
	}
	tap_ok(e2e_padded_len(1) == 256 && e2e_padded_len(256) == 256 &&
	    e2e_padded_len(257) == 512 && e2e_padded_len(0) == 256,
	    "padded lengths");
	/* kind, 2-byte length, text: 253 bytes of text fill one bucket. */
	one = sealed_len(&o, E2E_TEXT, NULL, 1, 4096);
	edge = sealed_len(&o, E2E_TEXT, NULL, 253, 4096);
	past = sealed_len(&o, E2E_TEXT, NULL, 254, 4096);
	tap_ok(one == bucket1 && edge == bucket1,
	    "texts of 1 and 253 bytes give the same payload (%zu, %zu)",
	    one, edge);
	tap_ok(past == bucket1 + E2E_PAD, "254 bytes: one bucket more (%zu)",
	    past);
	/* A copy also carries the 2-byte length and "bob". */
	edge = sealed_len(&o, E2E_SENT_TEXT, "bob", 248, 4096);
	past = sealed_len(&o, E2E_SENT_TEXT, "bob", 249, 4096);
	tap_ok(edge == bucket1 && past == bucket1 + E2E_PAD,
	    "a copy to bob: 248 bytes fill a bucket, 249 do not");

	tap_ok(sealed_len(&o, E2E_TEXT, NULL, 100, 100) != 0 &&
	    sealed_len(&o, E2E_TEXT, NULL, 101, 100) == 0,
	    "max_text 100: 100 bytes are sealed, 101 refused");
	tap_ok(sealed_len(&o, E2E_TEXT, NULL, 65277, 70000) ==
	    E2E_DATA_HDRLEN + 65280 + NOISE_TAGLEN &&
	    sealed_len(&o, E2E_TEXT, NULL, 65278, 70000) == 0,
	    "the payload limit: 65277 bytes fit, 65278 would pass %d",
	    E2E_PAYLOAD_MAX);
	m = e2e_payload_max(4096);
	tap_ok(m == E2E_DATA_HDRLEN + 4352 + NOISE_TAGLEN &&
	    sealed_len(&o, E2E_SENT_ACTION,
	    "abcdefghijklmnopqrstuvwxyz012345", 4096, 4096) == m,
	    "e2e_payload_max(4096) is the payload of the longest copy (%zu)",
	    m);
	tap_ok(e2e_payload_max(65000) ==
	    E2E_DATA_HDRLEN + 65280 + NOISE_TAGLEN &&
	    e2e_payload_max(65300) == E2E_PAYLOAD_MAX &&
	    e2e_payload_max(SIZE_MAX) == E2E_PAYLOAD_MAX &&
	    e2e_payload_max(1) == bucket1, "e2e_payload_max is capped");
	/* What was sealed and refused above did not burn counters. */
	tap_ok(o.n == 8, "only sealed messages count (%llu)",
	    (unsigned long long)o.n);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

static void
test_texts(void)
{
	struct e2e_out		 o, before;
	struct e2e_in		 in;
	struct buf		 b;
	struct e2e_plain	 pl;
	int			 ok;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1) {
		tap_ok(0, "handshake for texts");
		return;
	}
	buf_init(&b, 0);
	memcpy(&before, &o, sizeof(o));
	ok = e2e_out_seal(&o, E2E_TEXT, NULL, "a\nb", 3, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_TEXT, NULL, "a\rb", 3, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_TEXT, NULL, "a\0b", 3, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_TEXT, NULL, "\xff", 1, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_TEXT, NULL, "", 0, 100, &b) == -1 &&
	    e2e_out_seal(&o, 0, NULL, "x", 1, 100, &b) == -1 &&
	    e2e_out_seal(&o, 5, NULL, "x", 1, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_SENT_TEXT, NULL, "x", 1, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_SENT_TEXT, "Bob", "x", 1, 100, &b) == -1 &&
	    e2e_out_seal(&o, E2E_TEXT, "bob", "x", 1, 100, &b) == -1;
	tap_ok(ok && buf_used(&b) == 0 && memcmp(&before, &o, sizeof(o)) == 0,
	    "texts against section 6.3, bad kinds and recipients: refused, "
	    "nothing changes");

	ok = e2e_out_seal(&o, E2E_ACTION, NULL, "waves \xc3\xa9", 8, 100,
	    &b) == 0 &&
	    e2e_in_open(&in, buf_head(&b), buf_used(&b), scratch, &pl) == 0 &&
	    pl.kind == E2E_ACTION && pl.textlen == 8 &&
	    memcmp(pl.text, "waves \xc3\xa9", 8) == 0 && pl.to[0] == '\0';
	tap_ok(ok, "an action in UTF-8 round trip");
	buf_reset(&b);
	ok = e2e_out_seal(&o, E2E_SENT_TEXT, "carol", "hi carol", 8, 100,
	    &b) == 0 &&
	    e2e_in_open(&in, buf_head(&b), buf_used(&b), scratch, &pl) == 0 &&
	    pl.kind == E2E_SENT_TEXT && strcmp(pl.to, "carol") == 0 &&
	    pl.textlen == 8 && memcmp(pl.text, "hi carol", 8) == 0;
	tap_ok(ok, "a copy of a text sent to carol round trip");
	buf_reset(&b);
	ok = e2e_out_seal(&o, E2E_SENT_ACTION,
	    "abcdefghijklmnopqrstuvwxyz012345", "x", 1, 100, &b) == 0 &&
	    e2e_in_open(&in, buf_head(&b), buf_used(&b), scratch, &pl) == 0 &&
	    pl.kind == E2E_SENT_ACTION && strlen(pl.to) == 32;
	tap_ok(ok, "a copy to a user of the longest name");
	buf_free(&b);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

/*
 * A DATA the sender's key authenticates but whose plaintext breaks the
 * rules: made here by hand from the sender's key.
 */
static int
forge(struct e2e_out *o, const uint8_t *plain, size_t plainlen,
    struct buf *b)
{
	struct noise_cipherstate	 cs = o->send;
	uint8_t				*d;
	size_t				 ctlen, total;

	total = E2E_DATA_HDRLEN + plainlen + NOISE_TAGLEN;
	buf_init(b, 0);
	if ((d = buf_reserve(b, total)) == NULL)
		return -1;
	d[0] = E2E_DATA;
	memcpy(d + 1, o->sid, E2E_SID_LEN);
	put_u64(d + 1 + E2E_SID_LEN, o->n);
	cs.n = o->n;
	if (noise_cs_encrypt(&cs, d, E2E_DATA_HDRLEN, plain, plainlen,
	    d + E2E_DATA_HDRLEN, &ctlen) == -1)
		return -1;
	buf_commit(b, total);
	o->n++;
	noise_cs_clear(&cs);
	return 0;
}

static void
test_forged_plaintexts(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	 b;
	uint8_t		 pt[512];
	int		 ok;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	if (handshake(&alice, &bob, &o, &in) == -1) {
		tap_ok(0, "handshake for forged plaintexts");
		return;
	}
#define PT_OK()	do {						\
	memset(pt, 0, sizeof(pt));				\
	pt[0] = E2E_TEXT; pt[1] = 0; pt[2] = 2;			\
	pt[3] = 'h'; pt[4] = 'i';				\
} while (0)
	PT_OK();
	ok = forge(&o, pt, 256, &b) == 0 && opens_to(&in, &b, "hi");
	tap_ok(ok, "a hand-made plaintext opens (the forger works)");
	buf_free(&b);

	PT_OK();
	pt[255] = 1;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "a padding byte not zero: refused");
	buf_free(&b);
	PT_OK();
	pt[5] = 0x80;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "the byte after the text not zero: refused");
	buf_free(&b);
	PT_OK();
	pt[0] = 0;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "kind 0: refused");
	buf_free(&b);
	PT_OK();
	pt[0] = 5;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "kind 5: refused");
	buf_free(&b);
	PT_OK();
	pt[2] = 254;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "a text length past the plaintext: refused");
	buf_free(&b);
	PT_OK();
	pt[2] = 0;
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "an empty text: refused");
	buf_free(&b);
	PT_OK();
	pt[4] = '\n';
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "a text with a newline: refused");
	buf_free(&b);
	PT_OK();
	pt[0] = E2E_SENT_TEXT;		/* "to" of 2 bytes "hi", no text */
	tap_ok(forge(&o, pt, 256, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "a copy without its text: refused");
	buf_free(&b);
	PT_OK();
	tap_ok(forge(&o, pt, 255, &b) == 0 &&
	    refused_unchanged(&in, buf_head(&b), buf_used(&b)),
	    "a plaintext not a whole bucket: refused");
	buf_free(&b);
	PT_OK();
	tap_ok(forge(&o, pt, 512, &b) == 0 && opens_to(&in, &b, "hi"),
	    "two buckets of padding: fine");
	buf_free(&b);
#undef PT_OK
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

static void
test_payloads(void)
{
	struct buf	 b;
	uint8_t		 sid[E2E_SID_LEN], got[E2E_SID_LEN];
	uint8_t		 p[E2E_HELLO_LEN + 1];
	struct e2e_in	 in;
	int		 ok;

	randombytes_buf(sid, sizeof(sid));
	buf_init(&b, 0);
	ok = e2e_reset(sid, &b) == 0 && buf_used(&b) == E2E_RESET_LEN &&
	    e2e_payload_type(buf_head(&b), buf_used(&b), got) == E2E_RESET &&
	    memcmp(got, sid, E2E_SID_LEN) == 0;
	tap_ok(ok, "RESET round trip");
	tap_ok(e2e_payload_type(buf_head(&b), buf_used(&b) - 1, got) == -1,
	    "a short RESET is malformed");
	buf_free(&b);

	memset(p, 0, sizeof(p));
	p[0] = E2E_HELLO;
	tap_ok(e2e_payload_type(p, E2E_HELLO_LEN, NULL) == E2E_HELLO &&
	    e2e_payload_type(p, E2E_HELLO_LEN - 1, NULL) == -1 &&
	    e2e_payload_type(p, E2E_HELLO_LEN + 1, NULL) == -1,
	    "HELLO only at 105 bytes");
	p[0] = E2E_ANSWER;
	tap_ok(e2e_payload_type(p, E2E_ANSWER_LEN, NULL) == E2E_ANSWER &&
	    e2e_payload_type(p, E2E_ANSWER_LEN + 1, NULL) == -1,
	    "ANSWER only at 57 bytes");
	p[0] = 0x05;
	tap_ok(e2e_payload_type(p, E2E_RESET_LEN, NULL) == -1 &&
	    e2e_payload_type(p, 0, NULL) == -1 &&
	    e2e_payload_type(NULL, 0, NULL) == -1,
	    "unknown types and empty payloads are malformed");
	{
		uint8_t	*d = calloc(1, E2E_PAYLOAD_MAX + 256);

		if (d == NULL)
			abort();
		d[0] = E2E_DATA;
		tap_ok(e2e_payload_type(d, 289, NULL) == E2E_DATA &&
		    e2e_payload_type(d, 545, NULL) == E2E_DATA &&
		    e2e_payload_type(d, 288, NULL) == -1 &&
		    e2e_payload_type(d, 290, NULL) == -1 &&
		    e2e_payload_type(d, 33, NULL) == -1 &&
		    e2e_payload_type(d, 17 + 65280 + 16, NULL) == E2E_DATA &&
		    e2e_payload_type(d, 17 + 65536 + 16, NULL) == -1,
		    "DATA: header, whole buckets and tag, within the limit");
		memset(&in, 0, sizeof(in));
		tap_ok(refused_unchanged(&in, d, 289),
		    "no DATA opens without a session");
		free(d);
	}
}

/* A session started again replaces the old one at both ends. */
static void
test_restart(void)
{
	struct e2e_out	 o;
	struct e2e_in	 in;
	struct buf	 old, b;
	uint8_t		 oldsid[E2E_SID_LEN];
	int		 ok;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	ok = handshake(&alice, &bob, &o, &in) == 0 &&
	    seal(&o, "old", &old) == 0;
	memcpy(oldsid, o.sid, E2E_SID_LEN);
	ok &= handshake(&alice, &bob, &o, &in) == 0;
	tap_ok(ok && memcmp(oldsid, o.sid, E2E_SID_LEN) != 0,
	    "a new session gets a new sid");
	tap_ok(refused_unchanged(&in, buf_head(&old), buf_used(&old)),
	    "the old session's DATA does not open in the new one");
	ok = seal(&o, "new", &b) == 0 && opens_to(&in, &b, "new");
	tap_ok(ok, "the new one works");
	buf_free(&old);
	buf_free(&b);
	e2e_out_clear(&o);
	e2e_in_clear(&in);
}

int
main(void)
{
	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	make_party(&alice);
	make_party(&bob);
	make_party(&carol);
	test_handshake();
	test_both_ways();
	test_many();
	test_window();
	test_tamper();
	test_binding();
	test_sizes();
	test_texts();
	test_forged_plaintexts();
	test_payloads();
	test_restart();
	return tap_done();
}
