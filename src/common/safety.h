/*
 * safety.h: safety numbers (doc/protocol.md section 11.6), Signal's
 * numeric fingerprint, version 0, over X25519 identity keys.
 */
#ifndef SECCHAT_SAFETY_H
#define SECCHAT_SAFETY_H

#include <stddef.h>
#include <stdint.h>

#define SAFETY_ITERATIONS	5200
#define SAFETY_FP_DIGITS	30
#define SAFETY_DIGITS		60
/* 12 groups of 5 digits, a space between two, and the NUL. */
#define SAFETY_FORMATTED_LEN	(SAFETY_DIGITS + 11 + 1)

/*
 * One party's 30 digits: key is the 32-byte X25519 public key (encoded
 * as 0x05 || key, as Signal does), id its user name.  iterations is
 * SAFETY_ITERATIONS but for test vectors made with another count.
 */
void	safety_fingerprint(const uint8_t key[32], const char *id,
	    size_t idlen, unsigned iterations, char out[SAFETY_FP_DIGITS + 1]);
/* The 60 digits of two parties: the same whichever is a and which b. */
void	safety_number(const uint8_t key_a[32], const char *id_a,
	    const uint8_t key_b[32], const char *id_b,
	    char out[SAFETY_DIGITS + 1]);
/* The same with another iteration count (test vectors). */
void	safety_number_iter(const uint8_t key_a[32], const char *id_a,
	    size_t idlen_a, const uint8_t key_b[32], const char *id_b,
	    size_t idlen_b, unsigned iterations, char out[SAFETY_DIGITS + 1]);
/* "12345 67890 ...": 12 groups of 5. */
void	safety_format(const char digits[SAFETY_DIGITS + 1],
	    char out[SAFETY_FORMATTED_LEN]);

#endif
