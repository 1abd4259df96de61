/*
 * safety.c: safety numbers, Signal's numeric fingerprint version 0
 * (doc/protocol.md section 11.6), so that two users can compare them with
 * the same digits a Signal user would expect to see.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "safety.h"

/* Signal's type byte of a Curve25519 public key. */
#define SAFETY_KEY_TYPE		0x05
#define SAFETY_ENCODED_KEY	33
#define SAFETY_FP_BYTES		30	/* of the hash, 5 per 5 digits */

void
safety_fingerprint(const uint8_t key[32], const char *id, size_t idlen,
    unsigned iterations, char out[SAFETY_FP_DIGITS + 1])
{
	crypto_hash_sha512_state	 st;
	uint8_t				 k[SAFETY_ENCODED_KEY];
	uint8_t				 d[crypto_hash_sha512_BYTES];
	static const uint8_t		 version[2] = { 0x00, 0x00 };
	uint64_t			 v;
	unsigned			 i, j;

	k[0] = SAFETY_KEY_TYPE;
	memcpy(k + 1, key, 32);

	/*
	 * The first round hashes version || K || id || K, every later one
	 * d || K: what libsignal does with one running digest.
	 */
	crypto_hash_sha512_init(&st);
	crypto_hash_sha512_update(&st, version, sizeof(version));
	crypto_hash_sha512_update(&st, k, sizeof(k));
	crypto_hash_sha512_update(&st, (const uint8_t *)id, idlen);
	for (i = 0; i < iterations; i++) {
		if (i > 0) {
			crypto_hash_sha512_init(&st);
			crypto_hash_sha512_update(&st, d, sizeof(d));
		}
		crypto_hash_sha512_update(&st, k, sizeof(k));
		crypto_hash_sha512_final(&st, d);
	}
	if (iterations == 0) {
		/* Not a fingerprint anyone uses; defined for completeness. */
		crypto_hash_sha512_final(&st, d);
	}

	for (i = 0; i < SAFETY_FP_BYTES / 5; i++) {
		v = 0;
		for (j = 0; j < 5; j++)
			v = (v << 8) | d[i * 5 + j];
		v %= 100000;
		for (j = 5; j > 0; j--) {
			out[i * 5 + j - 1] = (char)('0' + v % 10);
			v /= 10;
		}
	}
	out[SAFETY_FP_DIGITS] = '\0';
}

void
safety_number(const uint8_t key_a[32], const char *id_a,
    const uint8_t key_b[32], const char *id_b, char out[SAFETY_DIGITS + 1])
{
	safety_number_iter(key_a, id_a, strlen(id_a), key_b, id_b,
	    strlen(id_b), SAFETY_ITERATIONS, out);
}

void
safety_number_iter(const uint8_t key_a[32], const char *id_a,
    size_t idlen_a, const uint8_t key_b[32], const char *id_b,
    size_t idlen_b, unsigned iterations, char out[SAFETY_DIGITS + 1])
{
	char	 fa[SAFETY_FP_DIGITS + 1], fb[SAFETY_FP_DIGITS + 1];
	int	 a_first;

	safety_fingerprint(key_a, id_a, idlen_a, iterations, fa);
	safety_fingerprint(key_b, id_b, idlen_b, iterations, fb);
	/* The smaller first, so that both sides print the same digits. */
	a_first = strcmp(fa, fb) <= 0;
	memcpy(out, a_first ? fa : fb, SAFETY_FP_DIGITS);
	memcpy(out + SAFETY_FP_DIGITS, a_first ? fb : fa, SAFETY_FP_DIGITS);
	out[SAFETY_DIGITS] = '\0';
}

void
safety_format(const char digits[SAFETY_DIGITS + 1],
    char out[SAFETY_FORMATTED_LEN])
{
	size_t	 i, o = 0;

	for (i = 0; i < SAFETY_DIGITS; i++) {
		if (i > 0 && i % 5 == 0)
			out[o++] = ' ';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}
