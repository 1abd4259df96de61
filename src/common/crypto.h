/*
 * crypto.h: the constructions secchat builds on libsodium's primitives:
 * HMAC-SHA256 based HKDF (RFC 5869, as Noise uses it) and PBKDF2-HMAC-SHA256
 * (RFC 8018).  Both are proven against public test vectors in tests/.
 */
#ifndef SECCHAT_CRYPTO_H
#define SECCHAT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define HASHLEN	32

/*
 * Noise's HKDF(chaining_key, input_key_material, num_outputs): salt is ck,
 * info is empty.  out3 may be NULL for two outputs.
 */
void	hkdf_noise(const uint8_t ck[HASHLEN], const uint8_t *ikm, size_t ikmlen,
	    uint8_t out1[HASHLEN], uint8_t out2[HASHLEN], uint8_t *out3);

/* Returns 0, or -1 if iterations is 0 or dklen is 0 or too large. */
int	pbkdf2_hmac_sha256(const uint8_t *pass, size_t passlen,
	    const uint8_t *salt, size_t saltlen, uint32_t iterations,
	    uint8_t *dk, size_t dklen);

#endif
