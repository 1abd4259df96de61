/*
 * test-noise: behaviour of the Noise state machines beyond the public
 * vectors: full XX handshakes between two in-memory parties, and what
 * happens to damaged, replayed, reordered or oversized messages.  Every test
 * runs with both ciphers.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "noise.h"
#include "tap.h"

struct party {
	uint8_t				 s_priv[NOISE_KEYLEN];
	uint8_t				 s_pub[NOISE_KEYLEN];
	struct noise_handshake		 hs;
	struct noise_cipherstate	 send, recv;
	int				 dh_calls;
	int				 dh_fail;	/* callback refuses */
};

struct pair {
	struct party	 ini, resp;
	const char	*cipher;	/* for test names */
};

static uint8_t	 msg[NOISE_MAX_MSG], copy[NOISE_MAX_MSG];
static uint8_t	 out[NOISE_MAX_MSG];
static uint8_t	 big[NOISE_MAX_MSG + 1];

static const uint8_t prologue[] = "secchat test";

static const char *
cipher_name(enum noise_cipher cipher)
{
	return cipher == NOISE_AESGCM ? "AESGCM" : "ChaChaPoly";
}

static void
keypair(uint8_t priv[NOISE_KEYLEN], uint8_t pub[NOISE_KEYLEN])
{
	randombytes_buf(priv, NOISE_KEYLEN);
	crypto_scalarmult_base(pub, priv);
}

/* The stand-in for a private key held by another process. */
static int
remote_dh(void *arg, const uint8_t pub[NOISE_KEYLEN],
    uint8_t shared[NOISE_KEYLEN])
{
	struct party	*p = arg;

	p->dh_calls++;
	if (p->dh_fail)
		return -1;
	return crypto_scalarmult(shared, p->s_priv, pub);
}

static int
zero_dh(void *arg, const uint8_t pub[NOISE_KEYLEN],
    uint8_t shared[NOISE_KEYLEN])
{
	struct party	*p = arg;

	p->dh_calls++;
	memset(shared, 0, NOISE_KEYLEN);
	return 0;
}

/* Set up an XX pair; with use_dh the private keys stay out of the state. */
static int
xx_init(struct pair *pp, enum noise_cipher cipher, int ini_dh, int resp_dh)
{
	memset(pp, 0, sizeof(*pp));
	pp->cipher = cipher_name(cipher);
	keypair(pp->ini.s_priv, pp->ini.s_pub);
	keypair(pp->resp.s_priv, pp->resp.s_pub);
	if (noise_hs_init(&pp->ini.hs, NOISE_XX, cipher, 1, prologue,
	    sizeof(prologue), ini_dh ? NULL : pp->ini.s_priv, pp->ini.s_pub,
	    NULL) == -1 ||
	    noise_hs_init(&pp->resp.hs, NOISE_XX, cipher, 0, prologue,
	    sizeof(prologue), resp_dh ? NULL : pp->resp.s_priv, pp->resp.s_pub,
	    NULL) == -1)
		return -1;
	if (ini_dh)
		noise_hs_set_dh(&pp->ini.hs, remote_dh, &pp->ini);
	if (resp_dh)
		noise_hs_set_dh(&pp->resp.hs, remote_dh, &pp->resp);
	return 0;
}

/* One handshake message from w to r, carrying payload text. */
static int
hs_step(struct party *w, struct party *r, const char *text)
{
	size_t	 len, plen;

	if (noise_hs_write(&w->hs, (const uint8_t *)text, strlen(text), msg,
	    &len) == -1)
		return -1;
	if (noise_hs_read(&r->hs, msg, len, out, &plen) == -1)
		return -1;
	if (plen != strlen(text) || memcmp(out, text, plen) != 0)
		return -1;
	return 0;
}

static int
xx_complete(struct pair *pp)
{
	if (hs_step(&pp->ini, &pp->resp, "one") == -1 ||
	    hs_step(&pp->resp, &pp->ini, "two") == -1 ||
	    hs_step(&pp->ini, &pp->resp, "three") == -1)
		return -1;
	if (noise_hs_split(&pp->ini.hs, &pp->ini.send, &pp->ini.recv) == -1 ||
	    noise_hs_split(&pp->resp.hs, &pp->resp.send, &pp->resp.recv) == -1)
		return -1;
	return 0;
}

static void
pair_clear(struct pair *pp)
{
	noise_hs_clear(&pp->ini.hs);
	noise_hs_clear(&pp->resp.hs);
	noise_cs_clear(&pp->ini.send);
	noise_cs_clear(&pp->ini.recv);
	noise_cs_clear(&pp->resp.send);
	noise_cs_clear(&pp->resp.recv);
	sodium_memzero(pp, sizeof(*pp));
}

/* Encrypt text with send and check that recv gets it back. */
static int
transport(struct noise_cipherstate *send, struct noise_cipherstate *recv,
    const char *text)
{
	size_t	 len, plen;

	if (noise_cs_encrypt(send, NULL, 0, (const uint8_t *)text,
	    strlen(text), msg, &len) == -1 ||
	    len != strlen(text) + NOISE_TAGLEN)
		return -1;
	if (noise_cs_decrypt(recv, NULL, 0, msg, len, out, &plen) == -1)
		return -1;
	return plen == strlen(text) && memcmp(out, text, plen) == 0 ? 0 : -1;
}

static void
test_xx_handshake(enum noise_cipher cipher, int ini_dh, int resp_dh)
{
	struct pair	 p;
	const char	*how;
	int		 ok, rs_before, rs2, rs3;

	how = ini_dh && resp_dh ? "both keys behind callbacks" :
	    resp_dh ? "responder key behind callback" : "keys in memory";
	if (xx_init(&p, cipher, ini_dh, resp_dh) == -1) {
		tap_ok(0, "%s XX (%s): init", p.cipher, how);
		return;
	}
	ok = noise_hs_status(&p.ini.hs) == NOISE_HS_WRITE &&
	    noise_hs_status(&p.resp.hs) == NOISE_HS_READ;
	rs_before = noise_hs_remote_static(&p.ini.hs) == NULL &&
	    noise_hs_remote_static(&p.resp.hs) == NULL;
	ok = ok && hs_step(&p.ini, &p.resp, "one") == 0;
	ok = ok && noise_hs_remote_static(&p.resp.hs) == NULL;
	ok = ok && hs_step(&p.resp, &p.ini, "two") == 0;
	rs2 = ok && noise_hs_remote_static(&p.ini.hs) != NULL &&
	    memcmp(noise_hs_remote_static(&p.ini.hs), p.resp.s_pub,
	    NOISE_KEYLEN) == 0 && noise_hs_remote_static(&p.resp.hs) == NULL;
	ok = ok && hs_step(&p.ini, &p.resp, "three") == 0;
	rs3 = ok && noise_hs_remote_static(&p.resp.hs) != NULL &&
	    memcmp(noise_hs_remote_static(&p.resp.hs), p.ini.s_pub,
	    NOISE_KEYLEN) == 0;
	ok = ok && noise_hs_status(&p.ini.hs) == NOISE_HS_SPLIT &&
	    noise_hs_status(&p.resp.hs) == NOISE_HS_SPLIT &&
	    memcmp(noise_hs_hash(&p.ini.hs), noise_hs_hash(&p.resp.hs),
	    NOISE_HASHLEN) == 0;
	tap_ok(ok, "%s XX (%s): three messages, equal handshake hashes",
	    p.cipher, how);
	tap_ok(rs_before && rs2, "%s XX (%s): responder's static key known "
	    "to the initiator after message 2", p.cipher, how);
	tap_ok(rs3, "%s XX (%s): initiator's static key known to the "
	    "responder after message 3", p.cipher, how);
	tap_ok(p.ini.dh_calls == (ini_dh ? 1 : 0) &&
	    p.resp.dh_calls == (resp_dh ? 1 : 0),
	    "%s XX (%s): the callback did every static DH (%d, %d calls)",
	    p.cipher, how, p.ini.dh_calls, p.resp.dh_calls);

	ok = ok && noise_hs_split(&p.ini.hs, &p.ini.send, &p.ini.recv) == 0 &&
	    noise_hs_split(&p.resp.hs, &p.resp.send, &p.resp.recv) == 0;
	ok = ok && transport(&p.ini.send, &p.resp.recv, "hello") == 0 &&
	    transport(&p.resp.send, &p.ini.recv, "hi there") == 0 &&
	    transport(&p.ini.send, &p.resp.recv, "") == 0 &&
	    transport(&p.resp.send, &p.ini.recv, "bye") == 0;
	tap_ok(ok && p.ini.send.n == 2 && p.resp.recv.n == 2,
	    "%s XX (%s): transport both ways", p.cipher, how);
	pair_clear(&p);
}

static void
test_split_wipes(enum noise_cipher cipher)
{
	struct pair	 p;
	uint8_t		 k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];
	int		 ok;

	ok = xx_init(&p, cipher, 0, 0) == 0 &&
	    noise_hs_split(&p.ini.hs, &p.ini.send, &p.ini.recv) == -1;
	tap_ok(ok, "%s: split before the handshake is complete refused",
	    p.cipher);
	ok = ok && hs_step(&p.ini, &p.resp, "one") == 0 &&
	    hs_step(&p.resp, &p.ini, "two") == 0 &&
	    hs_step(&p.ini, &p.resp, "three") == 0;
	/* Split: (k1, k2) = HKDF(ck, ""); the initiator sends with k1. */
	hkdf_noise(p.ini.hs.ck, NULL, 0, k1, k2, NULL);
	ok = ok &&
	    noise_hs_split(&p.ini.hs, &p.ini.send, &p.ini.recv) == 0 &&
	    noise_hs_split(&p.resp.hs, &p.resp.send, &p.resp.recv) == 0;
	tap_ok(ok && memcmp(p.ini.send.k, k1, NOISE_KEYLEN) == 0 &&
	    memcmp(p.ini.recv.k, k2, NOISE_KEYLEN) == 0 &&
	    p.ini.send.n == 0 && p.ini.send.has_key,
	    "%s: split gives the initiator k1 to send and k2 to receive",
	    p.cipher);
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	tap_ok(ok && sodium_is_zero(p.ini.hs.ck, NOISE_HASHLEN) &&
	    sodium_is_zero(p.ini.hs.s_priv, NOISE_KEYLEN) &&
	    sodium_is_zero(p.ini.hs.e_priv, NOISE_KEYLEN) &&
	    sodium_is_zero(p.resp.hs.e_priv, NOISE_KEYLEN) &&
	    !p.ini.hs.cs.has_key,
	    "%s: split wipes the chaining key and private keys", p.cipher);
	tap_ok(ok && memcmp(p.ini.send.k, p.resp.recv.k, NOISE_KEYLEN) == 0 &&
	    memcmp(p.resp.send.k, p.ini.recv.k, NOISE_KEYLEN) == 0 &&
	    memcmp(p.ini.send.k, p.ini.recv.k, NOISE_KEYLEN) != 0,
	    "%s: split orients send and receive keys for each side",
	    p.cipher);
	tap_ok(ok && noise_hs_split(&p.ini.hs, &p.ini.send, &p.ini.recv) == -1,
	    "%s: a second split is refused", p.cipher);
	noise_hs_clear(&p.resp.hs);
	noise_cs_clear(&p.resp.send);
	tap_ok(sodium_is_zero((uint8_t *)&p.resp.hs, sizeof(p.resp.hs)) &&
	    sodium_is_zero((uint8_t *)&p.resp.send, sizeof(p.resp.send)),
	    "%s: noise_hs_clear and noise_cs_clear wipe everything", p.cipher);
	pair_clear(&p);
}

/*
 * A damaged record must be refused and leave the receiver's state exactly
 * as it was; the next genuine record must still decrypt.
 */
static void
test_transport_damage(enum noise_cipher cipher)
{
	struct pair			 p;
	struct noise_cipherstate	 saved;
	uint8_t				 r1[64], r2[64], r3[64];
	size_t				 l1, l2, l3, plen, i;
	int				 ok, all;

	if (xx_init(&p, cipher, 0, 0) == -1 || xx_complete(&p) == -1) {
		tap_ok(0, "%s: set up transport", p.cipher);
		return;
	}
	ok = noise_cs_encrypt(&p.ini.send, NULL, 0, (const uint8_t *)"first",
	    5, r1, &l1) == 0 &&
	    noise_cs_encrypt(&p.ini.send, NULL, 0, (const uint8_t *)"second",
	    6, r2, &l2) == 0 &&
	    noise_cs_encrypt(&p.ini.send, NULL, 0, (const uint8_t *)"third",
	    5, r3, &l3) == 0;
	tap_ok(ok && l1 == 5 + NOISE_TAGLEN, "%s: three records sealed",
	    p.cipher);
	saved = p.resp.recv;

	all = 1;
	for (i = 0; i < l1; i++)
		if (noise_cs_decrypt(&p.resp.recv, NULL, 0, r1, i, out,
		    &plen) == 0)
			all = 0;
	tap_ok(all && memcmp(&saved, &p.resp.recv, sizeof(saved)) == 0,
	    "%s: every truncation refused, state unchanged", p.cipher);

	memcpy(copy, r1, l1);
	copy[l1] = 0;
	tap_ok(noise_cs_decrypt(&p.resp.recv, NULL, 0, copy, l1 + 1, out,
	    &plen) == -1 && memcmp(&saved, &p.resp.recv, sizeof(saved)) == 0,
	    "%s: over-long record refused, state unchanged", p.cipher);

	all = 1;
	for (i = 0; i < l1; i++) {
		memcpy(copy, r1, l1);
		copy[i] ^= 0x01;
		if (noise_cs_decrypt(&p.resp.recv, NULL, 0, copy, l1, out,
		    &plen) == 0)
			all = 0;
		copy[i] ^= 0x81;
		if (noise_cs_decrypt(&p.resp.recv, NULL, 0, copy, l1, out,
		    &plen) == 0)
			all = 0;
	}
	tap_ok(all && memcmp(&saved, &p.resp.recv, sizeof(saved)) == 0,
	    "%s: a bit flipped in each of the %zu bytes refused, state "
	    "unchanged", p.cipher, l1);

	tap_ok(noise_cs_decrypt(&p.resp.recv, (const uint8_t *)"x", 1, r1, l1,
	    out, &plen) == -1 && memcmp(&saved, &p.resp.recv,
	    sizeof(saved)) == 0, "%s: wrong associated data refused",
	    p.cipher);

	tap_ok(noise_cs_decrypt(&p.resp.recv, NULL, 0, r1, l1, out,
	    &plen) == 0 && plen == 5 && memcmp(out, "first", 5) == 0 &&
	    p.resp.recv.n == saved.n + 1,
	    "%s: the genuine record decrypts after the failures", p.cipher);

	saved = p.resp.recv;
	tap_ok(noise_cs_decrypt(&p.resp.recv, NULL, 0, r1, l1, out,
	    &plen) == -1 && memcmp(&saved, &p.resp.recv, sizeof(saved)) == 0,
	    "%s: replayed record refused, state unchanged", p.cipher);

	tap_ok(noise_cs_decrypt(&p.resp.recv, NULL, 0, r3, l3, out,
	    &plen) == -1 && memcmp(&saved, &p.resp.recv, sizeof(saved)) == 0,
	    "%s: record out of order refused, state unchanged", p.cipher);

	ok = noise_cs_decrypt(&p.resp.recv, NULL, 0, r2, l2, out,
	    &plen) == 0 && plen == 6 && memcmp(out, "second", 6) == 0;
	ok = ok && noise_cs_decrypt(&p.resp.recv, NULL, 0, r3, l3, out,
	    &plen) == 0 && plen == 5 && memcmp(out, "third", 5) == 0;
	tap_ok(ok, "%s: the records then decrypt in order", p.cipher);

	/* In place, as the header allows. */
	memcpy(copy, "in place", 8);
	ok = noise_cs_encrypt(&p.resp.send, NULL, 0, copy, 8, copy, &l1) == 0 &&
	    noise_cs_decrypt(&p.ini.recv, NULL, 0, copy, l1, copy,
	    &plen) == 0 && plen == 8 && memcmp(copy, "in place", 8) == 0;
	tap_ok(ok, "%s: encrypt and decrypt in place", p.cipher);
	pair_clear(&p);
}

static void
test_nonce_limit(enum noise_cipher cipher)
{
	struct pair	 p;
	uint8_t		 nonce[12];
	size_t		 len, plen;
	int		 ok;

	if (xx_init(&p, cipher, 0, 0) == -1 || xx_complete(&p) == -1) {
		tap_ok(0, "%s: set up transport", p.cipher);
		return;
	}
	p.ini.send.n = UINT64_MAX - 1;
	p.resp.recv.n = UINT64_MAX - 1;
	ok = transport(&p.ini.send, &p.resp.recv, "last") == 0 &&
	    p.ini.send.n == UINT64_MAX && p.resp.recv.n == UINT64_MAX;
	tap_ok(ok, "%s: nonce 2^64-2 still usable", p.cipher);
	tap_ok(noise_cs_encrypt(&p.ini.send, NULL, 0, (const uint8_t *)"x", 1,
	    msg, &len) == -1 && p.ini.send.n == UINT64_MAX,
	    "%s: encrypt with nonce 2^64-1 refused", p.cipher);

	/*
	 * A record genuinely sealed with nonce 2^64-1 (four zero bytes and
	 * eight 0xff, the same in either byte order) must still not open.
	 */
	memset(nonce, 0xff, sizeof(nonce));
	memset(nonce, 0, 4);
	if (cipher == NOISE_AESGCM)
		crypto_aead_aes256gcm_encrypt(msg, NULL, (const uint8_t *)"x",
		    1, NULL, 0, NULL, nonce, p.ini.recv.k);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt(msg, NULL,
		    (const uint8_t *)"x", 1, NULL, 0, NULL, nonce,
		    p.ini.recv.k);
	p.ini.recv.n = UINT64_MAX;
	tap_ok(noise_cs_decrypt(&p.ini.recv, NULL, 0, msg, 1 + NOISE_TAGLEN,
	    out, &plen) == -1 && p.ini.recv.n == UINT64_MAX,
	    "%s: decrypt with nonce 2^64-1 refused", p.cipher);
	pair_clear(&p);
}

static void
test_rekey(enum noise_cipher cipher)
{
	struct pair			 p;
	struct noise_cipherstate	 trial;
	uint8_t				 oldk[NOISE_KEYLEN];
	uint8_t				 zeros[NOISE_KEYLEN], nonce[12];
	uint8_t				 expect[NOISE_KEYLEN + NOISE_TAGLEN];
	uint64_t			 n;
	int				 ok;

	if (xx_init(&p, cipher, 0, 0) == -1 || xx_complete(&p) == -1) {
		tap_ok(0, "%s: set up transport", p.cipher);
		return;
	}
	ok = transport(&p.ini.send, &p.resp.recv, "before") == 0;
	memcpy(oldk, p.ini.send.k, NOISE_KEYLEN);
	n = p.ini.send.n;

	/* REKEY: ENCRYPT(k, 2^64-1, "", zeros), computed independently. */
	memset(zeros, 0, sizeof(zeros));
	memset(nonce, 0xff, sizeof(nonce));
	memset(nonce, 0, 4);
	if (cipher == NOISE_AESGCM)
		crypto_aead_aes256gcm_encrypt(expect, NULL, zeros,
		    sizeof(zeros), NULL, 0, NULL, nonce, oldk);
	else
		crypto_aead_chacha20poly1305_ietf_encrypt(expect, NULL, zeros,
		    sizeof(zeros), NULL, 0, NULL, nonce, oldk);

	noise_cs_rekey(&p.ini.send);
	tap_ok(memcmp(p.ini.send.k, expect, NOISE_KEYLEN) == 0 &&
	    p.ini.send.n == n, "%s: rekey gives ENCRYPT(k, maxnonce, zeros) "
	    "and keeps the nonce", p.cipher);
	trial = p.ini.send;
	tap_ok(ok && transport(&trial, &p.resp.recv, "one side") == -1 &&
	    p.resp.recv.n == n, "%s: after a one-sided rekey records are "
	    "refused", p.cipher);
	noise_cs_clear(&trial);
	noise_cs_rekey(&p.resp.recv);
	tap_ok(transport(&p.ini.send, &p.resp.recv, "after") == 0 &&
	    transport(&p.resp.send, &p.ini.recv, "other way") == 0,
	    "%s: when both sides rekey they agree", p.cipher);
	sodium_memzero(oldk, sizeof(oldk));
	sodium_memzero(expect, sizeof(expect));
	pair_clear(&p);
}

static void
test_too_large(enum noise_cipher cipher)
{
	struct pair			 p;
	struct noise_handshake		 saved;
	struct noise_cipherstate	 cs;
	size_t				 len;
	int				 ok;

	if (xx_init(&p, cipher, 0, 0) == -1) {
		tap_ok(0, "%s: init", p.cipher);
		return;
	}
	/* XX message 1 is e (32 bytes) and the payload in the clear. */
	memcpy(&saved, &p.ini.hs, sizeof(saved));
	tap_ok(noise_hs_write(&p.ini.hs, big, NOISE_MAX_MSG - NOISE_KEYLEN + 1,
	    msg, &len) == -1 && memcmp(&saved, &p.ini.hs, sizeof(saved)) == 0 &&
	    noise_hs_status(&p.ini.hs) == NOISE_HS_WRITE,
	    "%s: handshake payload one byte too large refused, state "
	    "unchanged", p.cipher);
	ok = noise_hs_write(&p.ini.hs, big, NOISE_MAX_MSG - NOISE_KEYLEN, msg,
	    &len) == 0 && len == NOISE_MAX_MSG;
	tap_ok(ok, "%s: handshake message of exactly %d bytes written",
	    p.cipher, NOISE_MAX_MSG);
	tap_ok(ok && noise_hs_read(&p.resp.hs, msg, len, out, &len) == 0 &&
	    len == NOISE_MAX_MSG - NOISE_KEYLEN, "%s: and read", p.cipher);

	/* Message 2 carries a tag on s and on the payload. */
	memcpy(&saved, &p.resp.hs, sizeof(saved));
	tap_ok(noise_hs_write(&p.resp.hs, big, NOISE_MAX_MSG - 32 - 48 - 15,
	    msg, &len) == -1 &&
	    memcmp(&saved, &p.resp.hs, sizeof(saved)) == 0 &&
	    noise_hs_write(&p.resp.hs, big, NOISE_MAX_MSG - 32 - 48 - 16,
	    msg, &len) == 0 && len == NOISE_MAX_MSG,
	    "%s: encrypted handshake payload limit exact", p.cipher);
	pair_clear(&p);

	noise_cs_init(&cs, cipher, big);
	tap_ok(noise_cs_encrypt(&cs, NULL, 0, big, NOISE_MAX_PAYLOAD + 1, msg,
	    &len) == -1 && cs.n == 0, "%s: transport payload over %d bytes "
	    "refused", cipher_name(cipher), NOISE_MAX_PAYLOAD);
	tap_ok(noise_cs_encrypt(&cs, NULL, 0, big, NOISE_MAX_PAYLOAD, msg,
	    &len) == 0 && len == NOISE_MAX_MSG && cs.n == 1,
	    "%s: transport payload of %d bytes sealed", cipher_name(cipher),
	    NOISE_MAX_PAYLOAD);
	noise_cs_init(&cs, cipher, big);
	tap_ok(noise_cs_decrypt(&cs, NULL, 0, big, NOISE_MAX_MSG + 1, out,
	    &len) == -1 && cs.n == 0, "%s: transport message over %d bytes "
	    "refused", cipher_name(cipher), NOISE_MAX_MSG);
	noise_cs_clear(&cs);
}

/*
 * A damaged handshake message is refused and the handshake still accepts
 * the genuine one: every byte of XX messages 2 and 3 in turn.
 */
static int
hs_damage(struct party *w, struct party *r, const char *text,
    const char *cipher, int msgno)
{
	struct noise_handshake	 saved;
	size_t			 len, plen, i;
	int			 all;

	if (noise_hs_write(&w->hs, (const uint8_t *)text, strlen(text), msg,
	    &len) == -1) {
		tap_ok(0, "%s: write message %d", cipher, msgno);
		return -1;
	}
	memcpy(&saved, &r->hs, sizeof(saved));
	all = 1;
	for (i = 0; i < len; i++) {
		memcpy(copy, msg, len);
		copy[i] ^= 0x04;
		if (noise_hs_read(&r->hs, copy, len, out, &plen) == 0)
			all = 0;
	}
	tap_ok(all && memcmp(&saved, &r->hs, sizeof(saved)) == 0,
	    "%s: XX message %d with any one of its %zu bytes damaged refused, "
	    "state unchanged", cipher, msgno, len);
	all = 1;
	for (i = 0; i < len; i++)
		if (noise_hs_read(&r->hs, msg, i, out, &plen) == 0)
			all = 0;
	memcpy(copy, msg, len);
	copy[len] = 0;
	if (noise_hs_read(&r->hs, copy, len + 1, out, &plen) == 0)
		all = 0;
	tap_ok(all && memcmp(&saved, &r->hs, sizeof(saved)) == 0,
	    "%s: XX message %d truncated or over-long refused, state unchanged",
	    cipher, msgno);
	all = noise_hs_read(&r->hs, msg, len, out, &plen) == 0 &&
	    plen == strlen(text) && memcmp(out, text, plen) == 0;
	tap_ok(all, "%s: XX message %d: the genuine message is then accepted",
	    cipher, msgno);
	return all ? 0 : -1;
}

static void
test_handshake_damage(enum noise_cipher cipher)
{
	struct pair	 p;
	size_t		 len, plen;
	int		 ok;

	if (xx_init(&p, cipher, 0, 0) == -1) {
		tap_ok(0, "%s: init", p.cipher);
		return;
	}
	tap_ok(noise_hs_read(&p.ini.hs, msg, 40, out, &plen) == -1 &&
	    noise_hs_write(&p.resp.hs, NULL, 0, msg, &len) == -1 &&
	    noise_hs_status(&p.ini.hs) == NOISE_HS_WRITE &&
	    noise_hs_status(&p.resp.hs) == NOISE_HS_READ,
	    "%s: reading or writing out of turn refused", p.cipher);
	tap_ok(noise_hs_read(&p.resp.hs, msg, NOISE_KEYLEN - 1, out,
	    &plen) == -1 && noise_hs_status(&p.resp.hs) == NOISE_HS_READ,
	    "%s: XX message 1 shorter than a key refused", p.cipher);
	ok = hs_step(&p.ini, &p.resp, "one") == 0 &&
	    hs_damage(&p.resp, &p.ini, "two", p.cipher, 2) == 0 &&
	    hs_damage(&p.ini, &p.resp, "three", p.cipher, 3) == 0;
	ok = ok && noise_hs_split(&p.ini.hs, &p.ini.send, &p.ini.recv) == 0 &&
	    noise_hs_split(&p.resp.hs, &p.resp.send, &p.resp.recv) == 0 &&
	    transport(&p.ini.send, &p.resp.recv, "after damage") == 0 &&
	    transport(&p.resp.send, &p.ini.recv, "both ways") == 0;
	tap_ok(ok, "%s: the handshake completes after the damaged messages",
	    p.cipher);
	pair_clear(&p);
}

/* A peer ephemeral of low order makes DH all zeros: refused. */
static void
test_low_order(enum noise_cipher cipher)
{
	struct pair	 p;
	size_t		 len, plen;
	int		 ok;

	if (xx_init(&p, cipher, 0, 0) == -1) {
		tap_ok(0, "%s: init", p.cipher);
		return;
	}
	ok = hs_step(&p.ini, &p.resp, "one") == 0 &&
	    noise_hs_write(&p.resp.hs, NULL, 0, msg, &len) == 0;
	memset(msg, 0, NOISE_KEYLEN);
	tap_ok(ok && noise_hs_read(&p.ini.hs, msg, len, out, &plen) == -1 &&
	    noise_hs_status(&p.ini.hs) == NOISE_HS_READ,
	    "%s: all-zero ephemeral key from the peer refused", p.cipher);
	pair_clear(&p);
}

static void
test_dh_callback_failure(enum noise_cipher cipher)
{
	struct pair	 p;
	size_t		 len;
	int		 ok;

	ok = xx_init(&p, cipher, 0, 1) == 0 &&
	    hs_step(&p.ini, &p.resp, "one") == 0;
	p.resp.dh_fail = 1;
	tap_ok(ok && noise_hs_write(&p.resp.hs, NULL, 0, msg, &len) == -1 &&
	    p.resp.dh_calls == 1 &&
	    noise_hs_status(&p.resp.hs) == NOISE_HS_FAILED,
	    "%s: a failing DH callback fails the handshake", p.cipher);
	pair_clear(&p);

	/* A callback that "succeeds" with an all-zero secret is refused too. */
	ok = xx_init(&p, cipher, 0, 1) == 0;
	noise_hs_set_dh(&p.resp.hs, zero_dh, &p.resp);
	tap_ok(ok && hs_step(&p.ini, &p.resp, "one") == 0 &&
	    noise_hs_write(&p.resp.hs, NULL, 0, msg, &len) == -1 &&
	    p.resp.dh_calls == 1, "%s: an all-zero DH result from the "
	    "callback refused", p.cipher);
	pair_clear(&p);

	/* A public key without a private key or a callback cannot do DH. */
	ok = xx_init(&p, cipher, 0, 1) == 0;
	noise_hs_set_dh(&p.resp.hs, NULL, NULL);
	tap_ok(ok && hs_step(&p.ini, &p.resp, "one") == 0 &&
	    noise_hs_write(&p.resp.hs, NULL, 0, msg, &len) == -1,
	    "%s: no private key and no callback: refused", p.cipher);
	pair_clear(&p);
}

/* IK: an initiator with the wrong idea of the responder's key fails. */
static void
test_ik_wrong_key(enum noise_cipher cipher)
{
	struct noise_handshake	 ini, resp;
	uint8_t			 ipriv[NOISE_KEYLEN], ipub[NOISE_KEYLEN];
	uint8_t			 rpriv[NOISE_KEYLEN], rpub[NOISE_KEYLEN];
	uint8_t			 wpriv[NOISE_KEYLEN], wpub[NOISE_KEYLEN];
	const char		*name = noise_name(NOISE_IK, cipher);
	size_t			 len, plen;
	int			 ok;

	keypair(ipriv, ipub);
	keypair(rpriv, rpub);
	keypair(wpriv, wpub);
	ok = noise_hs_init(&ini, NOISE_IK, cipher, 1, NULL, 0, ipriv, ipub,
	    wpub) == 0 &&
	    noise_hs_init(&resp, NOISE_IK, cipher, 0, NULL, 0, rpriv, rpub,
	    NULL) == 0 &&
	    noise_hs_write(&ini, (const uint8_t *)"hi", 2, msg, &len) == 0;
	tap_ok(ok && noise_hs_read(&resp, msg, len, out, &plen) == -1 &&
	    noise_hs_status(&resp) == NOISE_HS_READ,
	    "%s: message 1 for another responder key refused", name);
	noise_hs_clear(&ini);
	ok = noise_hs_init(&ini, NOISE_IK, cipher, 1, NULL, 0, ipriv, ipub,
	    rpub) == 0 &&
	    noise_hs_write(&ini, (const uint8_t *)"hi", 2, msg, &len) == 0 &&
	    noise_hs_read(&resp, msg, len, out, &plen) == 0 &&
	    noise_hs_remote_static(&resp) != NULL &&
	    memcmp(noise_hs_remote_static(&resp), ipub, NOISE_KEYLEN) == 0;
	tap_ok(ok, "%s: then the right message is accepted", name);
	noise_hs_clear(&ini);
	noise_hs_clear(&resp);
	sodium_memzero(ipriv, sizeof(ipriv));
	sodium_memzero(rpriv, sizeof(rpriv));
	sodium_memzero(wpriv, sizeof(wpriv));
}

static void
test_init_rules(enum noise_cipher cipher)
{
	struct noise_handshake	 hs;
	uint8_t			 priv[NOISE_KEYLEN], pub[NOISE_KEYLEN];
	uint8_t			 opriv[NOISE_KEYLEN];
	uint8_t			 other[NOISE_KEYLEN];
	uint8_t			 padded[NOISE_HASHLEN], h[NOISE_HASHLEN];
	const char		*name = cipher_name(cipher);

	keypair(priv, pub);
	keypair(opriv, other);
	tap_ok(noise_hs_init(&hs, NOISE_XX, cipher, 1, NULL, 0, NULL, NULL,
	    NULL) == -1 && noise_hs_status(&hs) == NOISE_HS_FAILED,
	    "%s: XX init without the static key it needs refused", name);
	tap_ok(noise_hs_init(&hs, NOISE_XX, cipher, 1, NULL, 0, priv, other,
	    NULL) == -1, "%s: XX init with a mismatched key pair refused",
	    name);
	tap_ok(noise_hs_init(&hs, NOISE_NK, cipher, 1, NULL, 0, NULL, NULL,
	    NULL) == -1, "%s: NK initiator without the responder's key "
	    "refused", name);
	tap_ok(noise_hs_init(&hs, NOISE_NN, cipher, 1, NULL, 0, priv, pub,
	    NULL) == -1, "%s: NN with a static key refused", name);
	tap_ok(noise_hs_init(&hs, NOISE_XX, cipher, 1, NULL, 0, priv, NULL,
	    NULL) == 0 && memcmp(hs.s_pub, pub, NOISE_KEYLEN) == 0,
	    "%s: XX public key derived when not given", name);
	noise_hs_clear(&hs);

	/*
	 * The name (at most 32 bytes) is padded into h, not hashed, and an
	 * empty prologue is still mixed in: h = SHA-256(name || zeros).
	 */
	memset(padded, 0, sizeof(padded));
	memcpy(padded, noise_name(NOISE_NN, cipher),
	    strlen(noise_name(NOISE_NN, cipher)));
	crypto_hash_sha256(h, padded, sizeof(padded));
	tap_ok(noise_hs_init(&hs, NOISE_NN, cipher, 1, NULL, 0, NULL, NULL,
	    NULL) == 0 && memcmp(noise_hs_hash(&hs), h, NOISE_HASHLEN) == 0 &&
	    memcmp(hs.ck, padded, NOISE_HASHLEN) == 0,
	    "%s: initial h and ck for an empty prologue", name);
	noise_hs_clear(&hs);
	sodium_memzero(priv, sizeof(priv));
	sodium_memzero(opriv, sizeof(opriv));
}

static void
test_names(void)
{
	enum noise_pattern	 pat;
	enum noise_cipher	 cip;
	static const enum noise_pattern pats[] = {
		NOISE_NN, NOISE_NK, NOISE_XX, NOISE_IK
	};
	static const char *bad[] = {
		"Noise_KK_25519_ChaChaPoly_SHA256",
		"Noise_XX_448_ChaChaPoly_SHA256",
		"Noise_XX_25519_ChaChaPoly_BLAKE2s",
		"Noise_XXpsk3_25519_ChaChaPoly_SHA256",
		"Noise_XX_25519_ChaChaPoly_SHA25",
		"Noise_XX_25519_ChaChaPoly_SHA2566",
		""
	};
	size_t			 i;
	int			 ok = 1;

	for (i = 0; i < sizeof(pats) / sizeof(pats[0]); i++) {
		if (noise_parse_name(noise_name(pats[i], NOISE_AESGCM), &pat,
		    &cip) == -1 || pat != pats[i] || cip != NOISE_AESGCM)
			ok = 0;
		if (noise_parse_name(noise_name(pats[i], NOISE_CHACHAPOLY),
		    &pat, &cip) == -1 || pat != pats[i] ||
		    cip != NOISE_CHACHAPOLY)
			ok = 0;
	}
	tap_ok(ok && strcmp(noise_name(NOISE_XX, NOISE_CHACHAPOLY),
	    "Noise_XX_25519_ChaChaPoly_SHA256") == 0,
	    "protocol names parse back to their pattern and cipher");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (noise_parse_name(bad[i], &pat, &cip) == 0)
			ok = 0;
	tap_ok(ok && noise_name(0, NOISE_AESGCM) == NULL &&
	    noise_name(NOISE_XX, 0) == NULL,
	    "unsupported protocol names refused");
}

static void
test_cipher(enum noise_cipher cipher)
{
	test_xx_handshake(cipher, 0, 0);
	test_xx_handshake(cipher, 0, 1);
	test_xx_handshake(cipher, 1, 1);
	test_split_wipes(cipher);
	test_transport_damage(cipher);
	test_handshake_damage(cipher);
	test_nonce_limit(cipher);
	test_rekey(cipher);
	test_too_large(cipher);
	test_low_order(cipher);
	test_dh_callback_failure(cipher);
	test_ik_wrong_key(cipher);
	test_init_rules(cipher);
}

int
main(void)
{
	struct noise_handshake	 hs;
	uint8_t			 priv[NOISE_KEYLEN], pub[NOISE_KEYLEN];

	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	randombytes_buf(big, sizeof(big));
	test_names();
	test_cipher(NOISE_CHACHAPOLY);
	if (noise_aesgcm_available())
		test_cipher(NOISE_AESGCM);
	else {
		keypair(priv, pub);
		tap_ok(noise_hs_init(&hs, NOISE_XX, NOISE_AESGCM, 1, NULL, 0,
		    priv, pub, NULL) == -1,
		    "AESGCM handshake refused on this CPU");
		tap_skip("no AES-NI", "AESGCM behaviour tests");
	}
	return tap_done();
}
