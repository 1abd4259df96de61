/*
 * pwhash.h: password hash strings.
 *
 *   $argon2id$v=19$m=...,t=...,p=...$SALT$HASH   libsodium crypto_pwhash_str
 *   $pbkdf2-sha256$ROUNDS$SALT$CHECKSUM          passlib's format: salt and
 *        checksum in "adapted base64" (the standard alphabet with '.' for
 *        '+', no padding); the checksum is 32 bytes.
 */
#ifndef SECCHAT_PWHASH_H
#define SECCHAT_PWHASH_H

#include <stddef.h>
#include <stdint.h>

#define PWHASH_MAX_PASSWORD	1024	/* bytes */
#define PBKDF2_DEFAULT_ROUNDS	600000
#define PBKDF2_SALTLEN		16	/* what we write */
#define PBKDF2_MAX_SALT		1024	/* what passlib allows, and we read */
#define PBKDF2_DKLEN		32	/* the checksum */

/* The length of n bytes in adapted base64. */
#define AB64_LEN(n)		(((n) * 4 + 2) / 3)
/*
 * The room for the longest hash string we accept, with its NUL: passlib
 * writes salts of up to PBKDF2_MAX_SALT bytes and up to 4294967295 rounds,
 * so "$pbkdf2-sha256$4294967295$SALT$CHECKSUM" can be 1436 characters.
 * libsodium's Argon2id strings are far shorter.
 */
#define PWHASH_MAXLEN	(sizeof("$pbkdf2-sha256$4294967295$$") - 1 + \
	AB64_LEN(PBKDF2_MAX_SALT) + AB64_LEN(PBKDF2_DKLEN) + 1)

enum pwhash_alg {
	PWHASH_ARGON2ID = 1,
	PWHASH_PBKDF2_SHA256 = 2
};

/* Parse "argon2id" or "pbkdf2-sha256"; -1 if unknown. */
int	pwhash_alg_parse(const char *, enum pwhash_alg *);

/*
 * Create a hash string of pw into out (PWHASH_MAXLEN bytes).  rounds is used
 * for PBKDF2 only; 0 means the default.  Returns 0 or -1.
 */
int	pwhash_create(enum pwhash_alg, const char *pw, size_t pwlen,
	    uint32_t rounds, char *out, size_t outlen);
/* 0 if pw matches hash; -1 if not, or if hash is malformed. */
int	pwhash_verify(const char *hash, const char *pw, size_t pwlen);
/*
 * Do the work of a verification against a hash that matches nothing, so an
 * unknown user costs what a real one does.  Always returns -1.
 */
int	pwhash_verify_dummy(const char *pw, size_t pwlen);
/* The hash the dummy verification checks against (for the tests). */
const char *pwhash_dummy_hash(void);
/* 1 if the hash's parameters are below the current defaults, else 0. */
int	pwhash_needs_rehash(const char *hash);
/* 1 if the string is a hash we can verify (well-formed). */
int	pwhash_valid(const char *hash);

/* passlib's adapted base64.  Return output length, or -1. */
int	ab64_encode(const uint8_t *, size_t, char *out, size_t outmax);
int	ab64_decode(const char *, size_t, uint8_t *out, size_t outmax);

#endif
