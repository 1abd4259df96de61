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

#include "buf.h"
#include "keys.h"
#include "util.h"

#define PRIVATE_TAG	"secchat-x25519-private "
#define PUBLIC_TAG	"secchat-x25519 "
#define KEY_B64_LEN	44	/* base64 of 32 bytes, with padding */
/* The first word of an encrypted private key, and its AEAD's data. */
#define ENC_WORD	"secchat-x25519-private-encrypted"
#define ENC_TAG		ENC_WORD " "
#define ENC_SALT	crypto_pwhash_argon2id_SALTBYTES
#define ENC_NONCE	crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define ENC_CT		(KEY_LEN + crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define ENC_BIN		(ENC_SALT + 8 + 8 + ENC_NONCE + ENC_CT)
#define ENC_B64_LEN	(((ENC_BIN) + 2) / 3 * 4)
/*
 * What a key file may ask of Argon2id: the limits come from the file, so
 * a damaged or planted one must not make the client hang or run out of
 * memory.  libsodium's "sensitive" limits, and a little more time.
 */
#define ENC_OPS_MAX	(4 * crypto_pwhash_argon2id_OPSLIMIT_SENSITIVE)
#define ENC_MEM_MAX	crypto_pwhash_argon2id_MEMLIMIT_SENSITIVE
#define ASK_TRIES	3

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
	if (keys_is_encrypted(text, len)) {
		snprintf(err, errlen, "%s: encrypted; a passphrase is needed",
		    path);
		sodium_memzero(priv, KEY_LEN);
		rc = -1;
	} else if (keys_parse_private(text, len, priv) == -1) {
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

/* ------------------------------------------------ passphrase-protected keys */

int
keys_is_encrypted(const char *buf, size_t len)
{
	return len >= sizeof(ENC_TAG) - 1 &&
	    memcmp(buf, ENC_TAG, sizeof(ENC_TAG) - 1) == 0;
}

/*
 * The fields of an encrypted key line, checked for shape and for limits
 * this program is willing to spend; bin gets the decoded bytes.
 */
static int
parse_encrypted(const char *buf, size_t len, uint8_t bin[ENC_BIN],
    unsigned long long *ops, size_t *mem)
{
	size_t		 taglen = sizeof(ENC_TAG) - 1;
	uint64_t	 o, m;

	len = strip_newline(buf, len);
	if (len != taglen + ENC_B64_LEN || !keys_is_encrypted(buf, len))
		return -1;
	if (b64_decode(buf + taglen, ENC_B64_LEN, bin, ENC_BIN) != ENC_BIN)
		return -1;
	o = get_u64(bin + ENC_SALT);
	m = get_u64(bin + ENC_SALT + 8);
	if (o < crypto_pwhash_argon2id_OPSLIMIT_MIN || o > ENC_OPS_MAX ||
	    m < crypto_pwhash_argon2id_MEMLIMIT_MIN || m > ENC_MEM_MAX)
		return -1;
	*ops = (unsigned long long)o;
	*mem = (size_t)m;
	return 0;
}

int
keys_parse_private_pass(const char *buf, size_t len, const char *pass,
    size_t passlen, uint8_t priv[KEY_LEN])
{
	uint8_t			 bin[ENC_BIN], key[KEY_LEN], tmp[KEY_LEN];
	unsigned long long	 ops, ptlen;
	size_t			 mem;
	const uint8_t		*salt, *nonce, *ct;
	int			 rc = -1;

	if (parse_encrypted(buf, len, bin, &ops, &mem) == -1)
		return -1;
	salt = bin;
	nonce = bin + ENC_SALT + 16;
	ct = nonce + ENC_NONCE;
	if (crypto_pwhash(key, sizeof(key), pass, passlen, salt, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto out;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(tmp, &ptlen, NULL, ct,
	    ENC_CT, (const uint8_t *)ENC_WORD, sizeof(ENC_WORD) - 1, nonce,
	    key) != 0 || ptlen != KEY_LEN)
		goto out;
	memcpy(priv, tmp, KEY_LEN);
	rc = 0;
 out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(tmp, sizeof(tmp));
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

int
keys_encrypt_private(const uint8_t priv[KEY_LEN], const char *pass,
    size_t passlen, unsigned long long ops, size_t mem, char *out,
    size_t outmax)
{
	uint8_t			 bin[ENC_BIN], key[KEY_LEN];
	unsigned long long	 ctlen;
	size_t			 taglen = sizeof(ENC_TAG) - 1;
	int			 rc = -1;

	if (ops < crypto_pwhash_argon2id_OPSLIMIT_MIN || ops > ENC_OPS_MAX ||
	    mem < crypto_pwhash_argon2id_MEMLIMIT_MIN || mem > ENC_MEM_MAX ||
	    outmax < taglen + ENC_B64_LEN + 2)
		return -1;
	randombytes_buf(bin, ENC_SALT);
	put_u64(bin + ENC_SALT, (uint64_t)ops);
	put_u64(bin + ENC_SALT + 8, (uint64_t)mem);
	randombytes_buf(bin + ENC_SALT + 16, ENC_NONCE);
	if (crypto_pwhash(key, sizeof(key), pass, passlen, bin, ops, mem,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		goto out;
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    bin + ENC_SALT + 16 + ENC_NONCE, &ctlen, priv, KEY_LEN,
	    (const uint8_t *)ENC_WORD, sizeof(ENC_WORD) - 1, NULL,
	    bin + ENC_SALT + 16, key);
	memcpy(out, ENC_TAG, taglen);
	if (b64_encode(bin, ENC_BIN, out + taglen, outmax - taglen) !=
	    ENC_B64_LEN)
		goto out;
	out[taglen + ENC_B64_LEN] = '\n';
	out[taglen + ENC_B64_LEN + 1] = '\0';
	rc = (int)(taglen + ENC_B64_LEN + 1);
 out:
	sodium_memzero(key, sizeof(key));
	sodium_memzero(bin, sizeof(bin));
	return rc;
}

/* The text of a private key file: encrypted, or in the clear. */
static int
private_line(const uint8_t priv[KEY_LEN], const char *pass, char *out,
    size_t outmax)
{
	char	 b64[KEY_B64_LEN + 1];
	int	 n;

	if (pass != NULL && *pass != '\0')
		return keys_encrypt_private(priv, pass, strlen(pass),
		    crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE,
		    crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE, out, outmax);
	if (b64_encode(priv, KEY_LEN, b64, sizeof(b64)) != KEY_B64_LEN)
		return -1;
	n = snprintf(out, outmax, PRIVATE_TAG "%s\n", b64);
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= outmax)
		return -1;
	return n;
}

int
keys_load_ask(const char *path, uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN],
    keys_ask_fn ask, void *arg, char *err, size_t errlen)
{
	char			*text, *pass = NULL, prompt[PATH_MAX + 64];
	uint8_t			 bin[ENC_BIN];
	unsigned long long	 ops;
	size_t			 len, mem;
	int			 rc = -1, i;

	if ((text = read_private_file(path, KEYFILE_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	if (!keys_is_encrypted(text, len) || ask == NULL) {
		sodium_memzero(text, len + 1);
		free(text);
		return keys_load(path, priv, pub, err, errlen);
	}
	/* A damaged file is not a wrong passphrase: say so before asking. */
	if (parse_encrypted(text, len, bin, &ops, &mem) == -1) {
		snprintf(err, errlen, "%s: not a secchat private key", path);
		goto out;
	}
	if ((pass = sodium_malloc(KEYS_PASSPHRASE_MAX)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s: ", path);
	for (i = 0; i < ASK_TRIES; i++) {
		memset(pass, 0, KEYS_PASSPHRASE_MAX);
		if (ask(arg, prompt, pass, KEYS_PASSPHRASE_MAX) == -1) {
			snprintf(err, errlen, "%s: no passphrase given", path);
			goto out;
		}
		pass[KEYS_PASSPHRASE_MAX - 1] = '\0';
		if (keys_parse_private_pass(text, len, pass, strlen(pass),
		    priv) == 0) {
			keys_public(priv, pub);
			rc = 0;
			goto out;
		}
	}
	snprintf(err, errlen, "%s: wrong passphrase (%d tries)", path,
	    ASK_TRIES);
 out:
	if (rc == -1)
		sodium_memzero(priv, KEY_LEN);
	if (pass != NULL)
		sodium_free(pass);	/* wipes it */
	sodium_memzero(bin, sizeof(bin));
	sodium_memzero(text, len + 1);
	free(text);
	return rc;
}

int
keys_save_private(const char *path, const uint8_t priv[KEY_LEN],
    const char *pass, char *err, size_t errlen)
{
	char	 tmppath[PATH_MAX], line[KEYFILE_MAX];
	int	 n, rc = -1;

	n = snprintf(tmppath, sizeof(tmppath), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmppath)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((n = private_line(priv, pass, line, sizeof(line))) == -1) {
		snprintf(err, errlen, "%s: cannot encrypt the key", path);
		goto out;
	}
	/* A temporary file left by a crash is ours to replace. */
	if (unlink(tmppath) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", tmppath, strerror(errno));
		goto out;
	}
	if (write_new_file(tmppath, 0600, line, (size_t)n, err, errlen) == -1)
		goto out;
	if (rename(tmppath, path) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmppath);
		goto out;
	}
	sync_parent(path);
	rc = 0;
 out:
	sodium_memzero(line, sizeof(line));
	return rc;
}

int
keys_public_line(const uint8_t pub[KEY_LEN], const char *comment, char *out,
    size_t outmax)
{
	char	 b64[KEY_B64_LEN + 1];
	int	 n;

	if (comment == NULL)
		comment = "";
	if (*comment != '\0' && !valid_comment(comment, strlen(comment)))
		return -1;
	if (b64_encode(pub, KEY_LEN, b64, sizeof(b64)) != KEY_B64_LEN)
		return -1;
	n = snprintf(out, outmax, PUBLIC_TAG "%s%s%s", b64,
	    *comment != '\0' ? " " : "", comment);
	if (n < 0 || (size_t)n >= outmax)
		return -1;
	return 0;
}

/* ------------------------------------------------------------- key login */

#define KEYPROOF_SALT	"secchat key login v1"

int
keyproof_make(const uint8_t ss[KEY_LEN], const uint8_t hs2[32],
    const char *user, uint8_t proof[KEYPROOF_LEN])
{
	crypto_auth_hmacsha256_state	 st;
	uint8_t				 prk[crypto_auth_hmacsha256_BYTES];
	uint8_t				 k[crypto_auth_hmacsha256_BYTES];
	static const uint8_t		 one = 0x01;

	if (user == NULL)
		return -1;
	/* HKDF-SHA256 (RFC 5869), empty info, one block. */
	crypto_auth_hmacsha256_init(&st, (const uint8_t *)KEYPROOF_SALT,
	    sizeof(KEYPROOF_SALT) - 1);
	crypto_auth_hmacsha256_update(&st, ss, KEY_LEN);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, k);
	/* hs2 has a fixed length, so hs2 || user reads one way only. */
	crypto_auth_hmacsha256_init(&st, k, sizeof(k));
	crypto_auth_hmacsha256_update(&st, hs2, 32);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)user,
	    strlen(user));
	crypto_auth_hmacsha256_final(&st, proof);
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(k, sizeof(k));
	return 0;
}

int
keyproof_verify(const uint8_t ss[KEY_LEN], const uint8_t hs2[32],
    const char *user, const uint8_t proof[KEYPROOF_LEN])
{
	uint8_t	 want[KEYPROOF_LEN];
	int	 rc;

	if (keyproof_make(ss, hs2, user, want) == -1)
		return -1;
	rc = sodium_memcmp(want, proof, KEYPROOF_LEN) == 0 ? 0 : -1;
	sodium_memzero(want, sizeof(want));
	return rc;
}
