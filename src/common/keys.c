/*
 * keys.c: X25519 key files and fingerprints.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "util.h"

#define PRIVATE_TAG	"secchat-x25519-private "
#define PUBLIC_TAG	"secchat-x25519 "
#define KEY_B64_LEN	44	/* base64 of 32 bytes, with padding */

int
b64_encode(const uint8_t *p, size_t n, char *out, size_t outmax)
{
	/* sodium_bin2base64 aborts on a short buffer: check first. */
	if (n > (size_t)(INT32_MAX / 4 * 3) ||
	    outmax < sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL))
		return -1;
	sodium_bin2base64(out, outmax, p, n, sodium_base64_VARIANT_ORIGINAL);
	return (int)strlen(out);
}

/*
 * The whole input must be base64: no whitespace, the exact padding, and
 * zero unused bits (libsodium checks both).
 */
int
b64_decode(const char *s, size_t len, uint8_t *out, size_t outmax)
{
	size_t	 n;

	if (len > (size_t)INT32_MAX)
		return -1;
	if (len == 0)
		return 0;
	/*
	 * libsodium 1.0.18 reads every byte from 0x80 up as '/': refuse
	 * anything outside the alphabet first, so a key has one spelling.
	 */
	for (n = 0; n < len; n++) {
		unsigned char c = (unsigned char)s[n];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '='))
			return -1;
	}
	if (sodium_base642bin(out, outmax, s, len, NULL, &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	return (int)n;
}

void
keys_fingerprint(const uint8_t pub[KEY_LEN], char out[FINGERPRINT_LEN])
{
	uint8_t	 digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, pub, KEY_LEN);
	memcpy(out, "SHA256:", 7);
	sodium_bin2base64(out + 7, FINGERPRINT_LEN - 7, digest, sizeof(digest),
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}

void
keys_public(const uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN])
{
	crypto_scalarmult_base(pub, priv);
}

/* Decode exactly KEY_B64_LEN characters into exactly KEY_LEN bytes. */
static int
parse_key_b64(const char *s, uint8_t key[KEY_LEN])
{
	uint8_t	 tmp[KEY_LEN];
	int	 rc;

	rc = b64_decode(s, KEY_B64_LEN, tmp, sizeof(tmp)) == KEY_LEN ? 0 : -1;
	if (rc == 0)
		memcpy(key, tmp, KEY_LEN);
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

/* A line may end with one '\n' and nothing else may follow it. */
static size_t
strip_newline(const char *buf, size_t len)
{
	if (len > 0 && buf[len - 1] == '\n')
		return len - 1;
	return len;
}

int
keys_parse_private(const char *buf, size_t len, uint8_t priv[KEY_LEN])
{
	size_t	 taglen = sizeof(PRIVATE_TAG) - 1;

	len = strip_newline(buf, len);
	if (len != taglen + KEY_B64_LEN ||
	    memcmp(buf, PRIVATE_TAG, taglen) != 0)
		return -1;
	return parse_key_b64(buf + taglen, priv);
}

/* A comment is free text on the same line: no NUL, CR or LF. */
static int
valid_comment(const char *s, size_t len)
{
	return len > 0 && memchr(s, '\0', len) == NULL &&
	    memchr(s, '\r', len) == NULL && memchr(s, '\n', len) == NULL;
}

int
keys_parse_public(const char *buf, size_t len, uint8_t pub[KEY_LEN])
{
	size_t	 taglen = sizeof(PUBLIC_TAG) - 1, keyend;

	len = strip_newline(buf, len);
	keyend = taglen + KEY_B64_LEN;
	if (len < keyend || memcmp(buf, PUBLIC_TAG, taglen) != 0)
		return -1;
	if (len > keyend && (buf[keyend] != ' ' ||
	    !valid_comment(buf + keyend + 1, len - keyend - 1)))
		return -1;
	return parse_key_b64(buf + taglen, pub);
}

int
keys_load(const char *path, uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN],
    char *err, size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc = 0;

	if ((text = read_private_file(path, KEYFILE_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	if (keys_parse_private(text, len, priv) == -1) {
		snprintf(err, errlen, "%s: not a secchat private key", path);
		sodium_memzero(priv, KEY_LEN);
		rc = -1;
	} else
		keys_public(priv, pub);
	sodium_memzero(text, len + 1);
	free(text);
	return rc;
}

/* Create path exclusively with the given mode and write line to it. */
static int
write_new_file(const char *path, mode_t mode, const char *line, size_t len,
    char *err, size_t errlen)
{
	int	 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    mode);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (write_full(fd, line, len) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

/* Make the new directory entries durable too. */
static void
sync_parent(const char *path)
{
	char	 copy[PATH_MAX];
	int	 fd;

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy))
		return;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

int
keys_generate(const char *path, const char *comment, uint8_t priv[KEY_LEN],
    uint8_t pub[KEY_LEN], char *err, size_t errlen)
{
	char	 pubpath[PATH_MAX], line[KEYFILE_MAX];
	char	 b64[KEY_B64_LEN + 1];
	int	 n, rc = -1;

	if (comment == NULL)
		comment = "";
	if (*comment != '\0' && !valid_comment(comment, strlen(comment))) {
		snprintf(err, errlen, "key comment must be one line");
		return -1;
	}
	if (strlen(comment) > KEYFILE_MAX / 2) {
		snprintf(err, errlen, "key comment too long");
		return -1;
	}
	n = snprintf(pubpath, sizeof(pubpath), "%s.pub", path);
	if (n < 0 || (size_t)n >= sizeof(pubpath)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}

	/* What crypto_box_keypair does; X25519 clamps the scalar itself. */
	randombytes_buf(priv, KEY_LEN);
	keys_public(priv, pub);

	b64_encode(priv, KEY_LEN, b64, sizeof(b64));
	n = snprintf(line, sizeof(line), PRIVATE_TAG "%s\n", b64);
	if (write_new_file(path, 0600, line, (size_t)n, err, errlen) == -1)
		goto out;

	b64_encode(pub, KEY_LEN, b64, sizeof(b64));
	n = snprintf(line, sizeof(line), PUBLIC_TAG "%s%s%s\n", b64,
	    *comment != '\0' ? " " : "", comment);
	if (write_new_file(pubpath, 0644, line, (size_t)n, err, errlen) == -1) {
		unlink(path);
		goto out;
	}
	sync_parent(path);
	rc = 0;
 out:
	sodium_memzero(line, sizeof(line));
	sodium_memzero(b64, sizeof(b64));
	if (rc == -1) {
		sodium_memzero(priv, KEY_LEN);
		sodium_memzero(pub, KEY_LEN);
	}
	return rc;
}
