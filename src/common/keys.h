/*
 * keys.h: X25519 key files and fingerprints.
 *
 * A private key file holds one line:
 *     secchat-x25519-private BASE64(32-byte private key)
 * and its public half beside it, PATH.pub:
 *     secchat-x25519 BASE64(32-byte public key) [comment]
 * Base64 is the standard alphabet with padding.  Fingerprints are
 * "SHA256:" and the unpadded standard base64 of the SHA-256 of the raw
 * public key, as ssh prints them.
 */
#ifndef SECCHAT_KEYS_H
#define SECCHAT_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEY_LEN			32
#define FINGERPRINT_LEN		51	/* "SHA256:" + 43 + NUL */
#define KEYFILE_MAX		4096

void	keys_fingerprint(const uint8_t pub[KEY_LEN], char out[FINGERPRINT_LEN]);

/* Parsers over a buffer (fuzzed).  Return 0 or -1. */
int	keys_parse_private(const char *buf, size_t len, uint8_t priv[KEY_LEN]);
int	keys_parse_public(const char *buf, size_t len, uint8_t pub[KEY_LEN]);
/* The public half of a private key. */
void	keys_public(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN]);

/*
 * Load a private key file.  Refuses a file that is not a regular file or is
 * readable or writable by group or others, as ssh does; err gets a message
 * naming the file.  Returns 0 or -1.
 */
int	keys_load(const char *path, uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN],
	    char *err, size_t errlen);
/*
 * Generate a key pair and write PATH (mode 0600) and PATH.pub (0644),
 * refusing to overwrite.  Returns 0 or -1 with err set.
 */
int	keys_generate(const char *path, const char *comment,
	    uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN], char *err, size_t errlen);

/* Standard base64 with padding; returns length or -1. */
int	b64_encode(const uint8_t *, size_t, char *out, size_t outmax);
int	b64_decode(const char *, size_t, uint8_t *out, size_t outmax);

#endif
