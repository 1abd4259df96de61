/*
 * keys.h: X25519 key files and fingerprints.
 *
 * A private key file holds one line:
 *     secchat-x25519-private BASE64(32-byte private key)
 * and its public half beside it, PATH.pub:
 *     secchat-x25519 BASE64(32-byte public key) [comment]
 * A private key protected by a passphrase is one line instead:
 *     secchat-x25519-private-encrypted BASE64(salt(16) || opslimit(8) ||
 *         memlimit(8) || nonce(24) || XChaCha20-Poly1305(key)(48))
 * the AEAD key being Argon2id(passphrase, salt, opslimit, memlimit), the
 * limits big-endian, and the associated data the line's first word.
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
 * readable or writable by group or others, as ssh does, and an encrypted
 * one ("encrypted; a passphrase is needed"); err gets a message naming the
 * file.  Returns 0 or -1.
 */
int	keys_load(const char *path, uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN],
	    char *err, size_t errlen);
/*
 * Generate a key pair and write PATH (mode 0600) and PATH.pub (0644),
 * refusing to overwrite.  Returns 0 or -1 with err set.
 */
int	keys_generate(const char *path, const char *comment,
	    uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN], char *err, size_t errlen);

/*
 * Passphrases.  A callback asks for one (readpassphrase in the client,
 * a fixed string in tests): it fills buf (NUL-terminated) and returns 0,
 * or -1 to give up.
 */
#define KEYS_PASSPHRASE_MAX	1024
typedef int (*keys_ask_fn)(void *arg, const char *prompt, char *buf,
    size_t bufmax);
/* True when a key file's text is an encrypted private key. */
int	keys_is_encrypted(const char *buf, size_t len);
/* Parse an encrypted private key with a passphrase; -1 if it is wrong. */
int	keys_parse_private_pass(const char *buf, size_t len, const char *pass,
	    size_t passlen, uint8_t priv[KEY_LEN]);
/*
 * The encrypted key file's line (with its '\n') for priv, with the given
 * Argon2id limits (keys_save_private uses libsodium's "interactive"
 * ones); out needs KEYS_ENCRYPTED_LINE bytes.  Returns the length or -1.
 */
#define KEYS_ENCRYPTED_LINE	176
int	keys_encrypt_private(const uint8_t priv[KEY_LEN], const char *pass,
	    size_t passlen, unsigned long long opslimit, size_t memlimit,
	    char *out, size_t outmax);
/*
 * keys_load, asking ask (if the file is encrypted) up to 3 times for the
 * passphrase.  ask may be NULL: an encrypted file is then an error.  A
 * damaged encrypted file is refused before asking; ask returning -1 stops
 * at once ("no passphrase given"); three wrong ones give "wrong
 * passphrase".  The prompt is "Enter passphrase for PATH: ".
 */
int	keys_load_ask(const char *path, uint8_t priv[KEY_LEN],
	    uint8_t pub[KEY_LEN], keys_ask_fn ask, void *arg, char *err,
	    size_t errlen);
/*
 * Rewrite the private key file PATH atomically (PATH.tmp, mode 0600,
 * fsync, rename), encrypted with pass (Argon2id "interactive" limits:
 * about 64 MiB and a fraction of a second), or in the clear when pass is
 * NULL or empty.  PATH.pub is left alone.  Returns 0 or -1 with err set.
 */
int	keys_save_private(const char *path, const uint8_t priv[KEY_LEN],
	    const char *pass, char *err, size_t errlen);
/*
 * The one line "secchat-x25519 BASE64 comment" for a public key, without
 * a '\n' (no comment: no blank either).  Returns 0, or -1 when out is too
 * small or the comment is not one line.
 */
int	keys_public_line(const uint8_t pub[KEY_LEN], const char *comment,
	    char *out, size_t outmax);

/*
 * Key login (doc/protocol.md section 11.3).  ss is X25519 of the
 * client's and the server's static keys; hs2 the handshake hash after
 * message 2.  keyproof_verify compares in constant time.
 */
#define KEYPROOF_LEN		32
int	keyproof_make(const uint8_t ss[KEY_LEN], const uint8_t hs2[32],
	    const char *user, uint8_t proof[KEYPROOF_LEN]);
int	keyproof_verify(const uint8_t ss[KEY_LEN], const uint8_t hs2[32],
	    const char *user, const uint8_t proof[KEYPROOF_LEN]);

/* Standard base64 with padding; returns length or -1. */
int	b64_encode(const uint8_t *, size_t, char *out, size_t outmax);
int	b64_decode(const char *, size_t, uint8_t *out, size_t outmax);

#endif
