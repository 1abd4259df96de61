/*
 * pwhash.c: password hash strings.
 *
 * New hashes are Argon2id at libsodium's "interactive" limits.  PBKDF2-SHA256
 * is accepted in passlib's format so that an existing user database can be
 * imported unchanged; secchat-passwd can also write it for sites that must
 * use a FIPS-approved construction.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "pwhash.h"

#define ARGON2ID_PREFIX		"$argon2id$"
#define PBKDF2_PREFIX		"$pbkdf2-sha256$"

#define ARGON2ID_OPSLIMIT	crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE
#define ARGON2ID_MEMLIMIT	crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE

/* The parts of a parsed "$pbkdf2-sha256$ROUNDS$SALT$CHECKSUM". */
struct pbkdf2_hash {
	uint32_t	rounds;
	uint8_t		salt[PBKDF2_MAX_SALT];
	size_t		saltlen;
	uint8_t		checksum[PBKDF2_DKLEN];
};

static const char ab64_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./";

int
pwhash_alg_parse(const char *s, enum pwhash_alg *alg)
{
	if (strcmp(s, "argon2id") == 0)
		*alg = PWHASH_ARGON2ID;
	else if (strcmp(s, "pbkdf2-sha256") == 0)
		*alg = PWHASH_PBKDF2_SHA256;
	else
		return -1;
	return 0;
}

int
ab64_encode(const uint8_t *p, size_t n, char *out, size_t outmax)
{
	size_t	 i, len;

	/* sodium_bin2base64 aborts on a short buffer: check first. */
	if (n > (size_t)(INT32_MAX / 4 * 3) ||
	    outmax < sodium_base64_ENCODED_LEN(n,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING))
		return -1;
	sodium_bin2base64(out, outmax, p, n,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	len = strlen(out);
	for (i = 0; i < len; i++)
		if (out[i] == '+')
			out[i] = '.';
	return (int)len;
}

static int
ab64_value(char c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(ab64_chars, c)) == NULL)
		return -1;
	return (int)(p - ab64_chars);
}

/*
 * Strict: only the 64 characters, no padding, no length that leaves a lone
 * character, and the unused low bits of the last character must be zero,
 * so that every byte string has exactly one encoding.
 */
int
ab64_decode(const char *s, size_t len, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	size_t	 i, n = 0;
	int	 bits = 0, v;

	if (len % 4 == 1 || len > (size_t)INT32_MAX)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = ab64_value(s[i])) == -1)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == outmax)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	if (bits > 0 && (acc & ((1U << bits) - 1)) != 0)
		return -1;
	return (int)n;
}

/* A decimal in 1..UINT32_MAX without sign, spaces or leading zeros. */
static int
parse_rounds(const char *s, size_t len, uint32_t *rounds)
{
	uint64_t v = 0;
	size_t	 i;

	if (len == 0 || len > 10 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*rounds = (uint32_t)v;
	return 0;
}

static int
pbkdf2_parse(const char *hash, struct pbkdf2_hash *ph)
{
	const char	*p, *end, *dollar;
	size_t		 plen = sizeof(PBKDF2_PREFIX) - 1;
	int		 n;

	if (strncmp(hash, PBKDF2_PREFIX, plen) != 0)
		return -1;
	p = hash + plen;
	end = p + strlen(p);

	if ((dollar = memchr(p, '$', (size_t)(end - p))) == NULL ||
	    parse_rounds(p, (size_t)(dollar - p), &ph->rounds) == -1)
		return -1;
	p = dollar + 1;

	if ((dollar = memchr(p, '$', (size_t)(end - p))) == NULL ||
	    (n = ab64_decode(p, (size_t)(dollar - p), ph->salt,
	    sizeof(ph->salt))) == -1)
		return -1;
	ph->saltlen = (size_t)n;
	p = dollar + 1;

	/* A further '$' is not in the alphabet, so the decoder refuses it. */
	if (ab64_decode(p, (size_t)(end - p), ph->checksum,
	    sizeof(ph->checksum)) != PBKDF2_DKLEN)
		return -1;
	return 0;
}

/* Long strings are refused before any parser sees them. */
static int
hash_length_ok(const char *hash)
{
	return strnlen(hash, PWHASH_MAXLEN) < PWHASH_MAXLEN;
}

static int
is_argon2id(const char *hash)
{
	return strncmp(hash, ARGON2ID_PREFIX, sizeof(ARGON2ID_PREFIX) - 1) == 0;
}

static int
is_pbkdf2(const char *hash)
{
	return strncmp(hash, PBKDF2_PREFIX, sizeof(PBKDF2_PREFIX) - 1) == 0;
}

/* libsodium's decoder checks the whole string; -1 means malformed. */
static int
argon2id_valid(const char *hash)
{
	return crypto_pwhash_argon2id_str_needs_rehash(hash,
	    ARGON2ID_OPSLIMIT, ARGON2ID_MEMLIMIT) != -1;
}

int
pwhash_valid(const char *hash)
{
	struct pbkdf2_hash	 ph;
	int			 ok;

	if (!hash_length_ok(hash))
		return 0;
	if (is_argon2id(hash))
		return argon2id_valid(hash);
	if (is_pbkdf2(hash)) {
		ok = pbkdf2_parse(hash, &ph) == 0;
		sodium_memzero(&ph, sizeof(ph));
		return ok;
	}
	return 0;
}

static int
password_length_ok(size_t pwlen)
{
	return pwlen >= 1 && pwlen <= PWHASH_MAX_PASSWORD;
}

static int
argon2id_create(const char *pw, size_t pwlen, char *out, size_t outlen)
{
	char	 tmp[crypto_pwhash_argon2id_STRBYTES];
	int	 rc = -1;

	if (crypto_pwhash_str_alg(tmp, pw, pwlen, ARGON2ID_OPSLIMIT,
	    ARGON2ID_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) == 0 &&
	    strlcpy(out, tmp, outlen) < outlen)
		rc = 0;
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

static int
pbkdf2_create(const char *pw, size_t pwlen, uint32_t rounds, char *out,
    size_t outlen)
{
	uint8_t	 salt[PBKDF2_SALTLEN], dk[PBKDF2_DKLEN];
	char	 salt64[sizeof(salt) * 2], dk64[sizeof(dk) * 2];
	int	 n, rc = -1;

	if (rounds == 0)
		rounds = PBKDF2_DEFAULT_ROUNDS;
	randombytes_buf(salt, sizeof(salt));
	if (pbkdf2_hmac_sha256((const uint8_t *)pw, pwlen, salt, sizeof(salt),
	    rounds, dk, sizeof(dk)) == -1)
		goto out;
	if (ab64_encode(salt, sizeof(salt), salt64, sizeof(salt64)) == -1 ||
	    ab64_encode(dk, sizeof(dk), dk64, sizeof(dk64)) == -1)
		goto out;
	n = snprintf(out, outlen, PBKDF2_PREFIX "%u$%s$%s", (unsigned)rounds,
	    salt64, dk64);
	if (n < 0 || (size_t)n >= outlen)
		goto out;
	rc = 0;
 out:
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(dk64, sizeof(dk64));
	if (rc == -1 && outlen > 0)
		out[0] = '\0';
	return rc;
}

int
pwhash_create(enum pwhash_alg alg, const char *pw, size_t pwlen,
    uint32_t rounds, char *out, size_t outlen)
{
	if (!password_length_ok(pwlen) || outlen == 0)
		return -1;
	switch (alg) {
	case PWHASH_ARGON2ID:
		return argon2id_create(pw, pwlen, out, outlen);
	case PWHASH_PBKDF2_SHA256:
		return pbkdf2_create(pw, pwlen, rounds, out, outlen);
	}
	return -1;
}

static int
pbkdf2_verify(const char *hash, const char *pw, size_t pwlen)
{
	struct pbkdf2_hash	 ph;
	uint8_t			 dk[PBKDF2_DKLEN];
	int			 rc = -1;

	if (pbkdf2_parse(hash, &ph) == -1)
		goto out;
	if (pbkdf2_hmac_sha256((const uint8_t *)pw, pwlen, ph.salt, ph.saltlen,
	    ph.rounds, dk, sizeof(dk)) == -1)
		goto out;
	if (sodium_memcmp(dk, ph.checksum, sizeof(dk)) == 0)
		rc = 0;
 out:
	sodium_memzero(dk, sizeof(dk));
	sodium_memzero(&ph, sizeof(ph));
	return rc;
}

int
pwhash_verify(const char *hash, const char *pw, size_t pwlen)
{
	if (!password_length_ok(pwlen) || !hash_length_ok(hash))
		return -1;
	if (is_argon2id(hash))
		return crypto_pwhash_argon2id_str_verify(hash, pw, pwlen) == 0 ?
		    0 : -1;
	if (is_pbkdf2(hash))
		return pbkdf2_verify(hash, pw, pwlen);
	return -1;
}

/*
 * The dummy hash is made on first use from a random secret nobody knows.
 * Making it is one Argon2id computation at the default limits, which is
 * what a verification costs, so the first call is no cheaper than the rest.
 * Not thread-safe: each daemon process is single-threaded.
 */
static char	 dummy_hash[crypto_pwhash_argon2id_STRBYTES];

/* A hash of a random secret, at the default parameters; made once. */
const char *
pwhash_dummy_hash(void)
{
	uint8_t	 secret[32];

	if (dummy_hash[0] == '\0') {
		randombytes_buf(secret, sizeof(secret));
		if (crypto_pwhash_str_alg(dummy_hash, (const char *)secret,
		    sizeof(secret), ARGON2ID_OPSLIMIT, ARGON2ID_MEMLIMIT,
		    crypto_pwhash_ALG_ARGON2ID13) != 0)
			dummy_hash[0] = '\0';
		sodium_memzero(secret, sizeof(secret));
	}
	return dummy_hash;
}

int
pwhash_verify_dummy(const char *pw, size_t pwlen)
{
	int	 first = dummy_hash[0] == '\0';
	const char *dummy = pwhash_dummy_hash();

	/* The first call made the hash, which costs as much as a check. */
	if (first)
		return -1;
	/* Only the work matters: even a match would be a failure. */
	if (password_length_ok(pwlen) &&
	    crypto_pwhash_argon2id_str_verify(dummy, pw, pwlen) == 0)
		return -1;
	return -1;
}

/*
 * libsodium reports any difference from the given limits; only hashes
 * weaker than ours are worth replacing, so a stronger one is left alone.
 */
static int
argon2id_needs_rehash(const char *hash)
{
	unsigned long long	 m, t;
	const char		*p;

	switch (crypto_pwhash_argon2id_str_needs_rehash(hash,
	    ARGON2ID_OPSLIMIT, ARGON2ID_MEMLIMIT)) {
	case 0:
		return 0;
	case 1:
		break;
	default:
		return 0;	/* malformed: nothing to upgrade */
	}
	/* Well-formed, so "$m=M,t=T," is present and in range. */
	if ((p = strstr(hash, "$m=")) == NULL ||
	    sscanf(p, "$m=%llu,t=%llu,", &m, &t) != 2)
		return 0;
	return m < ARGON2ID_MEMLIMIT / 1024 || t < ARGON2ID_OPSLIMIT;
}

int
pwhash_needs_rehash(const char *hash)
{
	struct pbkdf2_hash	 ph;
	int			 weak;

	if (!hash_length_ok(hash))
		return 0;
	if (is_argon2id(hash))
		return argon2id_needs_rehash(hash);
	if (is_pbkdf2(hash)) {
		weak = pbkdf2_parse(hash, &ph) == 0 &&
		    ph.rounds < PBKDF2_DEFAULT_ROUNDS;
		sodium_memzero(&ph, sizeof(ph));
		return weak;
	}
	return 0;
}
