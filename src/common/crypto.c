/*
 * crypto.c: HKDF as Noise uses it, and PBKDF2-HMAC-SHA256, on libsodium's
 * HMAC-SHA256.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "crypto.h"

void
hkdf_noise(const uint8_t ck[HASHLEN], const uint8_t *ikm, size_t ikmlen,
    uint8_t out1[HASHLEN], uint8_t out2[HASHLEN], uint8_t *out3)
{
	crypto_auth_hmacsha256_state	 st;
	uint8_t				 prk[HASHLEN], t[HASHLEN];
	uint8_t				 ctr;

	/* Extract: PRK = HMAC(salt = ck, ikm). */
	crypto_auth_hmacsha256_init(&st, ck, HASHLEN);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);

	/* Expand with empty info: T(i) = HMAC(PRK, T(i-1) || i). */
	ctr = 1;
	crypto_auth_hmacsha256_init(&st, prk, HASHLEN);
	crypto_auth_hmacsha256_update(&st, &ctr, 1);
	crypto_auth_hmacsha256_final(&st, t);
	memcpy(out1, t, HASHLEN);

	ctr = 2;
	crypto_auth_hmacsha256_init(&st, prk, HASHLEN);
	crypto_auth_hmacsha256_update(&st, t, HASHLEN);
	crypto_auth_hmacsha256_update(&st, &ctr, 1);
	crypto_auth_hmacsha256_final(&st, t);
	memcpy(out2, t, HASHLEN);

	if (out3 != NULL) {
		ctr = 3;
		crypto_auth_hmacsha256_init(&st, prk, HASHLEN);
		crypto_auth_hmacsha256_update(&st, t, HASHLEN);
		crypto_auth_hmacsha256_update(&st, &ctr, 1);
		crypto_auth_hmacsha256_final(&st, t);
		memcpy(out3, t, HASHLEN);
	}
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
}

/*
 * RFC 8018 section 5.2.  The HMAC key schedule is computed once and copied
 * for every iteration: that halves the work of the inner loop.
 */
int
pbkdf2_hmac_sha256(const uint8_t *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint32_t iterations, uint8_t *dk, size_t dklen)
{
	crypto_auth_hmacsha256_state	 keyed, st;
	uint8_t				 u[HASHLEN], t[HASHLEN], ctr[4];
	uint32_t			 block, i;
	size_t				 done, n, k;

	if (iterations == 0 || dklen == 0 || dklen > (size_t)UINT32_MAX * HASHLEN)
		return -1;
	crypto_auth_hmacsha256_init(&keyed, pass, passlen);
	for (block = 1, done = 0; done < dklen; block++) {
		ctr[0] = block >> 24;
		ctr[1] = (block >> 16) & 0xff;
		ctr[2] = (block >> 8) & 0xff;
		ctr[3] = block & 0xff;
		st = keyed;
		crypto_auth_hmacsha256_update(&st, salt, saltlen);
		crypto_auth_hmacsha256_update(&st, ctr, sizeof(ctr));
		crypto_auth_hmacsha256_final(&st, u);
		memcpy(t, u, HASHLEN);
		for (i = 1; i < iterations; i++) {
			st = keyed;
			crypto_auth_hmacsha256_update(&st, u, HASHLEN);
			crypto_auth_hmacsha256_final(&st, u);
			for (k = 0; k < HASHLEN; k++)
				t[k] ^= u[k];
		}
		n = dklen - done < HASHLEN ? dklen - done : HASHLEN;
		memcpy(dk + done, t, n);
		done += n;
	}
	sodium_memzero(&keyed, sizeof(keyed));
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(u, sizeof(u));
	sodium_memzero(t, sizeof(t));
	return 0;
}
