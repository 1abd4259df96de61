/*
 * test-crypto: HKDF as Noise uses it (RFC 5869) and PBKDF2-HMAC-SHA256
 * (RFC 8018) against published values; the RFC 7914 PBKDF2 vectors are run
 * separately by pbkdf2-vectors.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "tap.h"

static int
unhex(const char *hex, uint8_t *out, size_t outlen)
{
	size_t	 len;

	return sodium_hex2bin(out, outlen, hex, strlen(hex), NULL, &len,
	    NULL) == 0 && len == outlen ? 0 : -1;
}

/*
 * RFC 5869 test case 3: SHA-256, empty salt, empty info, L = 42.  An empty
 * HMAC key and 32 zero bytes are the same key (HMAC pads with zeros), so a
 * zero chaining key stands in for the empty salt.
 */
static void
test_hkdf_rfc5869(void)
{
	static const char okm_hex[] =
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	    "9d201395faa4b61a96c8";
	uint8_t		 ck[HASHLEN], ikm[22], okm[42];
	uint8_t		 o1[HASHLEN], o2[HASHLEN], o3[HASHLEN];
	uint8_t		 p1[HASHLEN], p2[HASHLEN];

	memset(ck, 0, sizeof(ck));
	memset(ikm, 0x0b, sizeof(ikm));
	if (unhex(okm_hex, okm, sizeof(okm)) == -1) {
		tap_ok(0, "HKDF: test vector decodes");
		return;
	}
	hkdf_noise(ck, ikm, sizeof(ikm), o1, o2, NULL);
	tap_ok(memcmp(o1, okm, HASHLEN) == 0 &&
	    memcmp(o2, okm + HASHLEN, sizeof(okm) - HASHLEN) == 0,
	    "HKDF: RFC 5869 test case 3 (first 42 bytes)");

	hkdf_noise(ck, ikm, sizeof(ikm), p1, p2, o3);
	tap_ok(memcmp(o1, p1, HASHLEN) == 0 && memcmp(o2, p2, HASHLEN) == 0 &&
	    memcmp(o3, o2, HASHLEN) != 0 && !sodium_is_zero(o3, HASHLEN),
	    "HKDF: three outputs extend the two-output result");

	ck[0] = 1;
	hkdf_noise(ck, ikm, sizeof(ikm), p1, p2, NULL);
	tap_ok(memcmp(o1, p1, HASHLEN) != 0, "HKDF: the chaining key is the "
	    "salt");
}

struct pbkdf2_case {
	const char	*pass;
	size_t		 passlen;
	const char	*salt;
	size_t		 saltlen;
	uint32_t	 iterations;
	const char	*dk_hex;
};

static const struct pbkdf2_case pbkdf2_cases[] = {
	{ "password", 8, "salt", 4, 1,
	    "120fb6cffcf8b32c43e7225256c4f837"
	    "a86548c92ccc35480805987cb70be17b" },
	{ "password", 8, "salt", 4, 2,
	    "ae4d0c95af6b46d32d0adff928f06dd0"
	    "2a303f8ef3c251dfd6e2d85a95474c43" },
	{ "password", 8, "salt", 4, 4096,
	    "c5e478d59288c841aa530db6845c4c8d"
	    "962893a001ce4e11a4963873aa98134a" },
	/* 40 bytes: a second, partial block. */
	{ "passwordPASSWORDpassword", 24,
	    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096,
	    "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1"
	    "c635518c7dac47e9" },
	/* NUL bytes inside password and salt. */
	{ "pass\0word", 9, "sa\0lt", 5, 4096,
	    "89b69d0516f829893c696226650a8687" }
};

static void
test_pbkdf2(void)
{
	const struct pbkdf2_case	*c;
	uint8_t				 want[64], dk[64];
	size_t				 i, dklen;

	for (i = 0; i < sizeof(pbkdf2_cases) / sizeof(pbkdf2_cases[0]); i++) {
		c = &pbkdf2_cases[i];
		dklen = strlen(c->dk_hex) / 2;
		tap_ok(unhex(c->dk_hex, want, dklen) == 0 &&
		    pbkdf2_hmac_sha256((const uint8_t *)c->pass, c->passlen,
		    (const uint8_t *)c->salt, c->saltlen, c->iterations, dk,
		    dklen) == 0 && memcmp(dk, want, dklen) == 0,
		    "PBKDF2: %zu-byte password, %zu-byte salt, %u iterations, "
		    "%zu bytes", c->passlen, c->saltlen, c->iterations, dklen);
	}

	memset(dk, 0x5a, sizeof(dk));
	tap_ok(pbkdf2_hmac_sha256((const uint8_t *)"password", 8,
	    (const uint8_t *)"salt", 4, 0, dk, 32) == -1,
	    "PBKDF2: zero iterations rejected");
	tap_ok(pbkdf2_hmac_sha256((const uint8_t *)"password", 8,
	    (const uint8_t *)"salt", 4, 1, dk, 0) == -1,
	    "PBKDF2: zero-length output rejected");
}

int
main(void)
{
	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	test_hkdf_rfc5869();
	test_pbkdf2();
	return tap_done();
}
