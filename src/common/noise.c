/*
 * noise.c: the Noise Protocol Framework, revision 34, for the patterns NN,
 * NK, XX and IK over X25519, AES-256-GCM or ChaCha20-Poly1305, and SHA-256.
 *
 * The functions follow the specification's own objects: CipherState,
 * SymmetricState (folded into struct noise_handshake) and HandshakeState.
 * Every operation that can fail on a peer's input runs on a copy of the
 * state and commits it only on success, so a forged or damaged message
 * never moves the state on.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "noise.h"

/* The nonce 2^64-1 is reserved: encryption with it is only for rekeying. */
#define NOISE_MAXNONCE		UINT64_MAX
#define NOISE_NONCELEN		12
#define NOISE_MAX_TOKENS	6
#define NOISE_MAX_MESSAGES	3

enum noise_token {
	TOK_END = 0,
	TOK_E,
	TOK_S,
	TOK_EE,
	TOK_ES,
	TOK_SE,
	TOK_SS
};

struct noise_pattern_def {
	enum noise_pattern	 pattern;
	const char		*name;		/* "XX" */
	int			 resp_s_known;	/* "<- s" pre-message */
	int			 init_needs_s;
	int			 resp_needs_s;
	int			 nmsgs;
	enum noise_token	 msgs[NOISE_MAX_MESSAGES][NOISE_MAX_TOKENS];
};

static const struct noise_pattern_def patterns[] = {
	{ NOISE_NN, "NN", 0, 0, 0, 2, {
		{ TOK_E },
		{ TOK_E, TOK_EE } } },
	{ NOISE_NK, "NK", 1, 0, 1, 2, {
		{ TOK_E, TOK_ES },
		{ TOK_E, TOK_EE } } },
	{ NOISE_XX, "XX", 0, 1, 1, 3, {
		{ TOK_E },
		{ TOK_E, TOK_EE, TOK_S, TOK_ES },
		{ TOK_S, TOK_SE } } },
	{ NOISE_IK, "IK", 1, 1, 1, 2, {
		{ TOK_E, TOK_ES, TOK_S, TOK_SS },
		{ TOK_E, TOK_EE, TOK_SE } } }
};

static const struct {
	enum noise_pattern	 pattern;
	enum noise_cipher	 cipher;
	const char		*name;
} protocol_names[] = {
	{ NOISE_NN, NOISE_AESGCM, "Noise_NN_25519_AESGCM_SHA256" },
	{ NOISE_NN, NOISE_CHACHAPOLY, "Noise_NN_25519_ChaChaPoly_SHA256" },
	{ NOISE_NK, NOISE_AESGCM, "Noise_NK_25519_AESGCM_SHA256" },
	{ NOISE_NK, NOISE_CHACHAPOLY, "Noise_NK_25519_ChaChaPoly_SHA256" },
	{ NOISE_XX, NOISE_AESGCM, "Noise_XX_25519_AESGCM_SHA256" },
	{ NOISE_XX, NOISE_CHACHAPOLY, "Noise_XX_25519_ChaChaPoly_SHA256" },
	{ NOISE_IK, NOISE_AESGCM, "Noise_IK_25519_AESGCM_SHA256" },
	{ NOISE_IK, NOISE_CHACHAPOLY, "Noise_IK_25519_ChaChaPoly_SHA256" }
};

/* Why a handshake write failed: only a DH failure ends the handshake. */
#define WRITE_OK	0
#define WRITE_NOROOM	-1
#define WRITE_BROKEN	-2

static const struct noise_pattern_def *
pattern_def(enum noise_pattern pattern)
{
	size_t	 i;

	for (i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++)
		if (patterns[i].pattern == pattern)
			return &patterns[i];
	return NULL;
}

int
noise_aesgcm_available(void)
{
	static int	 available = -1;

	/*
	 * CPU feature detection happens in sodium_init(), which takes a lock
	 * each time: ask once, since every AES-GCM record asks again.
	 */
	if (available == -1)
		available = sodium_init() >= 0 &&
		    crypto_aead_aes256gcm_is_available();
	return available;
}

int
noise_parse_name(const char *name, enum noise_pattern *pattern,
    enum noise_cipher *cipher)
{
	size_t	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < sizeof(protocol_names) / sizeof(protocol_names[0]);
	    i++) {
		if (strcmp(name, protocol_names[i].name) == 0) {
			*pattern = protocol_names[i].pattern;
			*cipher = protocol_names[i].cipher;
			return 0;
		}
	}
	return -1;
}

const char *
noise_name(enum noise_pattern pattern, enum noise_cipher cipher)
{
	size_t	 i;

	for (i = 0; i < sizeof(protocol_names) / sizeof(protocol_names[0]);
	    i++)
		if (protocol_names[i].pattern == pattern &&
		    protocol_names[i].cipher == cipher)
			return protocol_names[i].name;
	return NULL;
}

/* ------------------------------------------------------------ CipherState */

/*
 * libsodium's one-call AES-GCM expands the key, derives GHASH's powers
 * and wipes them again for every record; a session seals thousands of
 * records under one key, so the expansion is kept with the key.
 */
static void
cs_expand(struct noise_cipherstate *cs)
{
	cs->has_aes = cs->cipher == NOISE_AESGCM && noise_aesgcm_available() &&
	    crypto_aead_aes256gcm_beforenm(&cs->aes, cs->k) == 0;
}

void
noise_cs_init(struct noise_cipherstate *cs, enum noise_cipher cipher,
    const uint8_t k[NOISE_KEYLEN])
{
	sodium_memzero(cs, sizeof(*cs));
	cs->cipher = cipher;
	if (k != NULL) {
		memcpy(cs->k, k, NOISE_KEYLEN);
		cs->has_key = 1;
		cs_expand(cs);
	}
	cs->n = 0;
}

/*
 * The 96-bit AEAD nonce: four zero bytes, then the counter, big-endian for
 * AES-GCM and little-endian for ChaCha20-Poly1305 (specification 12.3, 12.4).
 */
static void
make_nonce(enum noise_cipher cipher, uint64_t n, uint8_t nonce[NOISE_NONCELEN])
{
	int	 i;

	memset(nonce, 0, NOISE_NONCELEN);
	for (i = 0; i < 8; i++) {
		if (cipher == NOISE_AESGCM)
			nonce[4 + i] = (n >> (56 - 8 * i)) & 0xff;
		else
			nonce[4 + i] = (n >> (8 * i)) & 0xff;
	}
}

/* ENCRYPT(k, n, ad, plaintext) of the specification; no nonce checks. */
static int
aead_encrypt(const struct noise_cipherstate *cs, uint64_t n,
    const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen,
    uint8_t *out)
{
	uint8_t			 nonce[NOISE_NONCELEN];
	unsigned long long	 clen = 0;
	int			 rc = -1;

	make_nonce(cs->cipher, n, nonce);
	if (cs->cipher == NOISE_CHACHAPOLY)
		rc = crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, pt,
		    ptlen, ad, adlen, NULL, nonce, cs->k);
	else if (cs->cipher == NOISE_AESGCM && cs->has_aes)
		rc = crypto_aead_aes256gcm_encrypt_afternm(out, &clen, pt,
		    ptlen, ad, adlen, NULL, nonce, &cs->aes);
	if (rc != 0 || clen != ptlen + NOISE_TAGLEN)
		return -1;
	return 0;
}

static int
aead_decrypt(const struct noise_cipherstate *cs, uint64_t n,
    const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
    uint8_t *out)
{
	uint8_t			 nonce[NOISE_NONCELEN];
	unsigned long long	 mlen = 0;
	int			 rc = -1;

	make_nonce(cs->cipher, n, nonce);
	if (cs->cipher == NOISE_CHACHAPOLY)
		rc = crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen,
		    NULL, ct, ctlen, ad, adlen, nonce, cs->k);
	else if (cs->cipher == NOISE_AESGCM && cs->has_aes)
		rc = crypto_aead_aes256gcm_decrypt_afternm(out, &mlen, NULL,
		    ct, ctlen, ad, adlen, nonce, &cs->aes);
	if (rc != 0 || mlen != ctlen - NOISE_TAGLEN)
		return -1;
	return 0;
}

int
noise_cs_encrypt(struct noise_cipherstate *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
    size_t *outlen)
{
	if (!cs->has_key) {
		if (ptlen > NOISE_MAX_MSG)
			return -1;
		if (ptlen > 0)
			memmove(out, pt, ptlen);
		*outlen = ptlen;
		return 0;
	}
	if (ptlen > NOISE_MAX_PAYLOAD || cs->n == NOISE_MAXNONCE)
		return -1;
	if (aead_encrypt(cs, cs->n, ad, adlen, pt, ptlen, out) == -1)
		return -1;
	cs->n++;
	*outlen = ptlen + NOISE_TAGLEN;
	return 0;
}

int
noise_cs_decrypt(struct noise_cipherstate *cs, const uint8_t *ad,
    size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *out,
    size_t *outlen)
{
	if (!cs->has_key) {
		if (ctlen > NOISE_MAX_MSG)
			return -1;
		if (ctlen > 0)
			memmove(out, ct, ctlen);
		*outlen = ctlen;
		return 0;
	}
	if (ctlen < NOISE_TAGLEN || ctlen > NOISE_MAX_MSG ||
	    cs->n == NOISE_MAXNONCE)
		return -1;
	/* The nonce advances only once the tag has been verified. */
	if (aead_decrypt(cs, cs->n, ad, adlen, ct, ctlen, out) == -1)
		return -1;
	cs->n++;
	*outlen = ctlen - NOISE_TAGLEN;
	return 0;
}

/* REKEY(k): the first 32 bytes of ENCRYPT(k, maxnonce, zerolen, zeros). */
void
noise_cs_rekey(struct noise_cipherstate *cs)
{
	uint8_t	 zeros[NOISE_KEYLEN], out[NOISE_KEYLEN + NOISE_TAGLEN];

	if (!cs->has_key)
		return;
	memset(zeros, 0, sizeof(zeros));
	if (aead_encrypt(cs, NOISE_MAXNONCE, NULL, 0, zeros, sizeof(zeros),
	    out) == 0) {
		memcpy(cs->k, out, NOISE_KEYLEN);
		cs_expand(cs);
	} else {
		/* Unreachable for a valid state; never keep the old key. */
		sodium_memzero(cs->k, sizeof(cs->k));
		sodium_memzero(&cs->aes, sizeof(cs->aes));
		cs->has_key = cs->has_aes = 0;
		cs->n = NOISE_MAXNONCE;
	}
	sodium_memzero(out, sizeof(out));
}

void
noise_cs_clear(struct noise_cipherstate *cs)
{
	sodium_memzero(cs, sizeof(*cs));
}

/* --------------------------------------------------------- SymmetricState */

static void
mix_hash(struct noise_handshake *hs, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state	 st;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, NOISE_HASHLEN);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
	sodium_memzero(&st, sizeof(st));
}

static void
mix_key(struct noise_handshake *hs, const uint8_t *ikm, size_t ikmlen)
{
	uint8_t	 temp_k[NOISE_HASHLEN];

	hkdf_noise(hs->ck, ikm, ikmlen, hs->ck, temp_k, NULL);
	noise_cs_init(&hs->cs, hs->cipher, temp_k);
	sodium_memzero(temp_k, sizeof(temp_k));
}

static int
encrypt_and_hash(struct noise_handshake *hs, const uint8_t *pt, size_t ptlen,
    uint8_t *out, size_t *outlen)
{
	if (noise_cs_encrypt(&hs->cs, hs->h, NOISE_HASHLEN, pt, ptlen, out,
	    outlen) == -1)
		return -1;
	mix_hash(hs, out, *outlen);
	return 0;
}

/*
 * The next h is computed before decrypting: out may overlap ct, and the
 * ciphertext, not the plaintext, is what goes into the hash.
 */
static int
decrypt_and_hash(struct noise_handshake *hs, const uint8_t *ct, size_t ctlen,
    uint8_t *out, size_t *outlen)
{
	crypto_hash_sha256_state	 st;
	uint8_t				 next_h[NOISE_HASHLEN];
	int				 rc;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, NOISE_HASHLEN);
	crypto_hash_sha256_update(&st, ct, ctlen);
	crypto_hash_sha256_final(&st, next_h);
	rc = noise_cs_decrypt(&hs->cs, hs->h, NOISE_HASHLEN, ct, ctlen, out,
	    outlen);
	if (rc == 0)
		memcpy(hs->h, next_h, NOISE_HASHLEN);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(next_h, sizeof(next_h));
	return rc;
}

/* InitializeSymmetric: a name of at most HASHLEN bytes is used as is. */
static void
initialize_symmetric(struct noise_handshake *hs, const char *name)
{
	size_t	 len = strlen(name);

	memset(hs->h, 0, sizeof(hs->h));
	if (len <= NOISE_HASHLEN)
		memcpy(hs->h, name, len);
	else
		crypto_hash_sha256(hs->h, (const uint8_t *)name, len);
	memcpy(hs->ck, hs->h, NOISE_HASHLEN);
	noise_cs_init(&hs->cs, hs->cipher, NULL);
}

/* --------------------------------------------------------- HandshakeState */

/* The static private key is here unless a callback stands in for it. */
static int
has_static_private(const struct noise_handshake *hs)
{
	return hs->has_s && !sodium_is_zero(hs->s_priv, NOISE_KEYLEN);
}

int
noise_hs_init(struct noise_handshake *hs, enum noise_pattern pattern,
    enum noise_cipher cipher, int initiator, const uint8_t *prologue,
    size_t prologuelen, const uint8_t *s_priv, const uint8_t *s_pub,
    const uint8_t *rs)
{
	const struct noise_pattern_def	*def;
	const char			*name;
	uint8_t				 pub[NOISE_KEYLEN];
	int				 needs_s, needs_rs;

	sodium_memzero(hs, sizeof(*hs));
	hs->failed = 1;
	if (sodium_init() < 0)
		return -1;
	if ((def = pattern_def(pattern)) == NULL ||
	    (name = noise_name(pattern, cipher)) == NULL)
		return -1;
	if (cipher == NOISE_AESGCM && !noise_aesgcm_available())
		return -1;
	if (prologue == NULL && prologuelen != 0)
		return -1;
	needs_s = initiator ? def->init_needs_s : def->resp_needs_s;
	needs_rs = initiator && def->resp_s_known;
	if (needs_s != (s_priv != NULL || s_pub != NULL) ||
	    needs_rs != (rs != NULL))
		return -1;

	hs->pattern = pattern;
	hs->cipher = cipher;
	hs->initiator = initiator ? 1 : 0;
	if (needs_s) {
		if (s_priv != NULL) {
			if (crypto_scalarmult_base(pub, s_priv) != 0 ||
			    (s_pub != NULL &&
			    sodium_memcmp(pub, s_pub, NOISE_KEYLEN) != 0)) {
				sodium_memzero(hs, sizeof(*hs));
				hs->failed = 1;
				return -1;
			}
			memcpy(hs->s_priv, s_priv, NOISE_KEYLEN);
			memcpy(hs->s_pub, pub, NOISE_KEYLEN);
		} else
			memcpy(hs->s_pub, s_pub, NOISE_KEYLEN);
		hs->has_s = 1;
	}
	if (needs_rs) {
		memcpy(hs->rs, rs, NOISE_KEYLEN);
		hs->has_rs = 1;
	}

	initialize_symmetric(hs, name);
	mix_hash(hs, prologue, prologuelen);
	if (def->resp_s_known)
		mix_hash(hs, initiator ? hs->rs : hs->s_pub, NOISE_KEYLEN);
	hs->msgno = 0;
	hs->failed = 0;
	return 0;
}

void
noise_hs_set_dh(struct noise_handshake *hs, noise_dh_fn fn, void *arg)
{
	hs->dh_static = fn;
	hs->dh_arg = arg;
}

void
noise_hs_fix_ephemeral(struct noise_handshake *hs,
    const uint8_t e_priv[NOISE_KEYLEN])
{
	memcpy(hs->e_priv, e_priv, NOISE_KEYLEN);
	hs->fixed_e = 1;
}

enum noise_hs_status
noise_hs_status(const struct noise_handshake *hs)
{
	const struct noise_pattern_def	*def;
	int				 ours;

	if (hs->failed || (def = pattern_def(hs->pattern)) == NULL)
		return NOISE_HS_FAILED;
	if (hs->msgno >= def->nmsgs)
		return NOISE_HS_SPLIT;
	/* The initiator writes the even-numbered messages. */
	ours = (hs->msgno % 2 == 0) == (hs->initiator != 0);
	return ours ? NOISE_HS_WRITE : NOISE_HS_READ;
}

/* DH(local key pair, remote public key); the static one may be remote. */
static int
dh(struct noise_handshake *hs, int local_static, const uint8_t *remote,
    uint8_t shared[NOISE_KEYLEN])
{
	int	 rc;

	if (local_static) {
		if (!hs->has_s)
			return -1;
		if (hs->dh_static != NULL)
			rc = hs->dh_static(hs->dh_arg, remote, shared);
		else if (has_static_private(hs))
			rc = crypto_scalarmult(shared, hs->s_priv, remote);
		else
			rc = -1;
	} else {
		if (!hs->has_e)
			return -1;
		rc = crypto_scalarmult(shared, hs->e_priv, remote);
	}
	/* An all-zero result means a low-order point: never accept it. */
	if (rc != 0 || sodium_is_zero(shared, NOISE_KEYLEN)) {
		sodium_memzero(shared, NOISE_KEYLEN);
		return -1;
	}
	return 0;
}

/* The DH tokens ee, es, se, ss, from this side's point of view. */
static int
mix_dh(struct noise_handshake *hs, enum noise_token tok)
{
	uint8_t		 shared[NOISE_KEYLEN];
	const uint8_t	*remote;
	int		 local_static, remote_static, rc;

	switch (tok) {
	case TOK_EE:
		local_static = 0;
		remote_static = 0;
		break;
	case TOK_ES:
		local_static = !hs->initiator;
		remote_static = hs->initiator;
		break;
	case TOK_SE:
		local_static = hs->initiator;
		remote_static = !hs->initiator;
		break;
	case TOK_SS:
		local_static = 1;
		remote_static = 1;
		break;
	default:
		return -1;
	}
	if (remote_static ? !hs->has_rs : !hs->has_re)
		return -1;
	remote = remote_static ? hs->rs : hs->re;
	rc = dh(hs, local_static, remote, shared);
	if (rc == 0)
		mix_key(hs, shared, sizeof(shared));
	sodium_memzero(shared, sizeof(shared));
	return rc;
}

static int
write_tokens(struct noise_handshake *hs, const enum noise_token *toks,
    const uint8_t *payload, size_t payloadlen, uint8_t *out, size_t *outlen)
{
	size_t	 off = 0, n, need;
	int	 i;

	for (i = 0; i < NOISE_MAX_TOKENS && toks[i] != TOK_END; i++) {
		switch (toks[i]) {
		case TOK_E:
			if (!hs->fixed_e)
				randombytes_buf(hs->e_priv, NOISE_KEYLEN);
			if (crypto_scalarmult_base(hs->e_pub, hs->e_priv) != 0)
				return WRITE_BROKEN;
			hs->has_e = 1;
			memcpy(out + off, hs->e_pub, NOISE_KEYLEN);
			off += NOISE_KEYLEN;
			mix_hash(hs, hs->e_pub, NOISE_KEYLEN);
			break;
		case TOK_S:
			if (!hs->has_s)
				return WRITE_BROKEN;
			if (encrypt_and_hash(hs, hs->s_pub, NOISE_KEYLEN,
			    out + off, &n) == -1)
				return WRITE_BROKEN;
			off += n;
			break;
		default:
			if (mix_dh(hs, toks[i]) == -1)
				return WRITE_BROKEN;
			break;
		}
	}
	/* Tokens take at most 96 bytes, so off is far below the limit here. */
	need = payloadlen + (hs->cs.has_key ? NOISE_TAGLEN : 0);
	if (payloadlen > NOISE_MAX_MSG || need > NOISE_MAX_MSG - off)
		return WRITE_NOROOM;
	if (encrypt_and_hash(hs, payload, payloadlen, out + off, &n) == -1)
		return WRITE_BROKEN;
	*outlen = off + n;
	return WRITE_OK;
}

int
noise_hs_write(struct noise_handshake *hs, const uint8_t *payload,
    size_t payloadlen, uint8_t *out, size_t *outlen)
{
	struct noise_handshake		 tmp;
	const struct noise_pattern_def	*def;
	int				 rc;

	if (noise_hs_status(hs) != NOISE_HS_WRITE ||
	    (payload == NULL && payloadlen != 0))
		return -1;
	def = pattern_def(hs->pattern);
	tmp = *hs;
	rc = write_tokens(&tmp, def->msgs[hs->msgno], payload, payloadlen,
	    out, outlen);
	if (rc == WRITE_OK) {
		tmp.msgno++;
		*hs = tmp;
	} else if (rc == WRITE_BROKEN)
		hs->failed = 1;
	sodium_memzero(&tmp, sizeof(tmp));
	return rc == WRITE_OK ? 0 : -1;
}

static int
read_tokens(struct noise_handshake *hs, const enum noise_token *toks,
    const uint8_t *msg, size_t msglen, uint8_t *payload, size_t *payloadlen)
{
	size_t	 off = 0, n, need;
	int	 i;

	for (i = 0; i < NOISE_MAX_TOKENS && toks[i] != TOK_END; i++) {
		switch (toks[i]) {
		case TOK_E:
			if (msglen - off < NOISE_KEYLEN)
				return -1;
			memcpy(hs->re, msg + off, NOISE_KEYLEN);
			hs->has_re = 1;
			off += NOISE_KEYLEN;
			mix_hash(hs, hs->re, NOISE_KEYLEN);
			break;
		case TOK_S:
			need = NOISE_KEYLEN +
			    (hs->cs.has_key ? NOISE_TAGLEN : 0);
			if (msglen - off < need)
				return -1;
			if (decrypt_and_hash(hs, msg + off, need, hs->rs,
			    &n) == -1 || n != NOISE_KEYLEN)
				return -1;
			hs->has_rs = 1;
			off += need;
			break;
		default:
			if (mix_dh(hs, toks[i]) == -1)
				return -1;
			break;
		}
	}
	return decrypt_and_hash(hs, msg + off, msglen - off, payload,
	    payloadlen);
}

int
noise_hs_read(struct noise_handshake *hs, const uint8_t *msg, size_t msglen,
    uint8_t *payload, size_t *payloadlen)
{
	struct noise_handshake		 tmp;
	const struct noise_pattern_def	*def;
	int				 rc;

	if (noise_hs_status(hs) != NOISE_HS_READ || msglen > NOISE_MAX_MSG ||
	    (msg == NULL && msglen != 0))
		return -1;
	def = pattern_def(hs->pattern);
	tmp = *hs;
	rc = read_tokens(&tmp, def->msgs[hs->msgno], msg, msglen, payload,
	    payloadlen);
	if (rc == 0) {
		tmp.msgno++;
		*hs = tmp;
	}
	sodium_memzero(&tmp, sizeof(tmp));
	return rc;
}

/*
 * Split, oriented for the caller.  Afterwards only the public results stay:
 * the handshake hash and the peer's static key; the handshake is spent.
 */
int
noise_hs_split(struct noise_handshake *hs, struct noise_cipherstate *send,
    struct noise_cipherstate *recv)
{
	uint8_t	 k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];

	if (noise_hs_status(hs) != NOISE_HS_SPLIT)
		return -1;
	hkdf_noise(hs->ck, NULL, 0, k1, k2, NULL);
	if (hs->initiator) {
		noise_cs_init(send, hs->cipher, k1);
		noise_cs_init(recv, hs->cipher, k2);
	} else {
		noise_cs_init(send, hs->cipher, k2);
		noise_cs_init(recv, hs->cipher, k1);
	}
	sodium_memzero(k1, sizeof(k1));
	sodium_memzero(k2, sizeof(k2));
	sodium_memzero(hs->ck, sizeof(hs->ck));
	noise_cs_clear(&hs->cs);
	sodium_memzero(hs->s_priv, sizeof(hs->s_priv));
	sodium_memzero(hs->e_priv, sizeof(hs->e_priv));
	hs->has_e = 0;
	hs->fixed_e = 0;
	hs->dh_static = NULL;
	hs->dh_arg = NULL;
	hs->failed = 1;
	return 0;
}

const uint8_t *
noise_hs_hash(const struct noise_handshake *hs)
{
	return hs->h;
}

const uint8_t *
noise_hs_remote_static(const struct noise_handshake *hs)
{
	return hs->has_rs ? hs->rs : NULL;
}

void
noise_hs_clear(struct noise_handshake *hs)
{
	sodium_memzero(hs, sizeof(*hs));
}
