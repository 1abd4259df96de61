/*
 * test-keys.c: key file parsing, loading, generation and fingerprints;
 * passphrase-protected key files, public key lines, key-login proofs.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "keys.h"
#include "tap.h"
#include "util.h"

/* RFC 7748 section 6.1: Alice's X25519 key pair. */
static const uint8_t alice_priv[KEY_LEN] = {
	0x77, 0x07, 0x6d, 0x0a, 0x73, 0x18, 0xa5, 0x7d,
	0x3c, 0x16, 0xc1, 0x72, 0x51, 0xb2, 0x66, 0x45,
	0xdf, 0x4c, 0x2f, 0x87, 0xeb, 0xc0, 0x99, 0x2a,
	0xb1, 0x77, 0xfb, 0xa5, 0x1d, 0xb9, 0x2c, 0x2a
};
static const uint8_t alice_pub[KEY_LEN] = {
	0x85, 0x20, 0xf0, 0x09, 0x89, 0x30, 0xa7, 0x54,
	0x74, 0x8b, 0x7d, 0xdc, 0xb4, 0x3e, 0xf7, 0x5a,
	0x0d, 0xbf, 0x3a, 0x0d, 0x26, 0x38, 0x1a, 0xf4,
	0xeb, 0xa4, 0xa9, 0x8e, 0xaa, 0x9b, 0x4e, 0x6a
};
#define ALICE_PRIV_B64	"dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo="
#define ALICE_PUB_B64	"hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo="
/*
 * Computed independently:
 *   printf 8520...4e6a | xxd -r -p | sha256sum | xxd -r -p | base64
 * less the trailing '='.
 */
#define ALICE_FP	"SHA256:MAyclgO5Kks57TlYv5JAEUgE20/TcwEsDKR0MtY0Ja4"

static char	 dir[PATH_MAX];

static void
path_in_dir(char *out, size_t outlen, const char *name)
{
	int	 n;

	n = snprintf(out, outlen, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= outlen) {
		fprintf(stderr, "path too long\n");
		exit(1);
	}
}

static int
write_file(const char *path, const char *data, size_t len, mode_t mode)
{
	int	 fd;
	ssize_t	 n;

	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) == -1)
		return -1;
	n = write(fd, data, len);
	close(fd);
	if (chmod(path, mode) == -1)
		return -1;
	return n == (ssize_t)len ? 0 : -1;
}

static void
test_fingerprint(void)
{
	char	 fp[FINGERPRINT_LEN];
	uint8_t	 pub[KEY_LEN];

	keys_fingerprint(alice_pub, fp);
	tap_ok(strcmp(fp, ALICE_FP) == 0, "fingerprint of RFC 7748 Alice: %s",
	    fp);
	tap_ok(strlen(fp) == FINGERPRINT_LEN - 1, "fingerprint is %d chars",
	    FINGERPRINT_LEN - 1);
	keys_public(alice_priv, pub);
	tap_ok(memcmp(pub, alice_pub, KEY_LEN) == 0,
	    "keys_public matches RFC 7748");
}

static void
test_parse_private(void)
{
	static const struct {
		const char	*text;
		const char	*what;
	} bad[] = {
		{ "", "empty" },
		{ "secchat-x25519-private " ALICE_PRIV_B64 "\n\n",
		  "two newlines" },
		{ "secchat-x25519-private " ALICE_PRIV_B64 "\r\n", "CRLF" },
		{ "secchat-x25519-private " ALICE_PRIV_B64 " ", "trailing space" },
		{ "secchat-x25519-private " ALICE_PRIV_B64 " comment\n",
		  "a comment" },
		{ "secchat-x25519-private  " ALICE_PRIV_B64, "two spaces" },
		{ " secchat-x25519-private " ALICE_PRIV_B64, "leading space" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo",
		  "missing padding" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCp=",
		  "non-zero unused bits" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LA==",
		  "31-byte key" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoA",
		  "33-byte key (no padding)" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCoAAA==",
		  "33-byte key" },
		{ "secchat-x25519 " ALICE_PRIV_B64, "public tag" },
		{ "secchat-x25519-private " ALICE_PRIV_B64 "\n"
		  "secchat-x25519-private " ALICE_PRIV_B64 "\n", "two key lines" },
		{ "secchat-x25519-private dwdtCnMYpX08FsFyUbJm*d9ML4frwJkqsXf7pR25LCo=",
		  "bad character" },
	};
	uint8_t		 k[KEY_LEN];
	const char	*good = "secchat-x25519-private " ALICE_PRIV_B64 "\n";
	size_t		 i;

	memset(k, 0, sizeof(k));
	tap_ok(keys_parse_private(good, strlen(good), k) == 0 &&
	    memcmp(k, alice_priv, KEY_LEN) == 0, "private key with newline");
	memset(k, 0, sizeof(k));
	tap_ok(keys_parse_private(good, strlen(good) - 1, k) == 0 &&
	    memcmp(k, alice_priv, KEY_LEN) == 0, "private key without newline");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(keys_parse_private(bad[i].text, strlen(bad[i].text),
		    k) == -1, "private key refused: %s", bad[i].what);
	tap_ok(keys_parse_private(good, strlen(good) - 2, k) == -1,
	    "private key refused: truncated buffer");
}

static void
test_parse_public(void)
{
	static const struct {
		const char	*text;
		const char	*what;
	} good[] = {
		{ "secchat-x25519 " ALICE_PUB_B64, "bare" },
		{ "secchat-x25519 " ALICE_PUB_B64 "\n", "with newline" },
		{ "secchat-x25519 " ALICE_PUB_B64 " alice@example\n",
		  "with comment" },
		{ "secchat-x25519 " ALICE_PUB_B64 " two words", "comment, spaces" },
	}, bad[] = {
		{ "", "empty" },
		{ "secchat-x25519 " ALICE_PUB_B64 " \n", "empty comment" },
		{ "secchat-x25519 " ALICE_PUB_B64 "\talice", "tab before comment" },
		{ "secchat-x25519 " ALICE_PUB_B64 " al\rice", "CR in comment" },
		{ "secchat-x25519 " ALICE_PUB_B64 " alice\n\n", "two newlines" },
		{ "secchat-x25519 " ALICE_PUB_B64 "\nsecchat-x25519 "
		  ALICE_PUB_B64 "\n", "two key lines" },
		{ "secchat-x25519-private " ALICE_PUB_B64, "private tag" },
		{ "secchat-x25519 hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTg==",
		  "31-byte key" },
		{ "secchat-x25519 hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo",
		  "missing padding" },
	};
	static const char nul[] = "secchat-x25519 " ALICE_PUB_B64 " a\0b";
	uint8_t		 k[KEY_LEN];
	size_t		 i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		memset(k, 0, sizeof(k));
		tap_ok(keys_parse_public(good[i].text, strlen(good[i].text),
		    k) == 0 && memcmp(k, alice_pub, KEY_LEN) == 0,
		    "public key accepted: %s", good[i].what);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(keys_parse_public(bad[i].text, strlen(bad[i].text),
		    k) == -1, "public key refused: %s", bad[i].what);
	tap_ok(keys_parse_public(nul, sizeof(nul) - 1, k) == -1,
	    "public key refused: NUL in comment");
}

static void
test_b64(void)
{
	uint8_t	 in[40], out[40];
	char	 enc[64];
	size_t	 n;
	int	 ok = 1, len;

	for (n = 0; n <= sizeof(in); n++) {
		randombytes_buf(in, n);
		len = b64_encode(in, n, enc, sizeof(enc));
		if (len != (int)((n + 2) / 3 * 4) ||
		    b64_decode(enc, (size_t)len, out, sizeof(out)) != (int)n ||
		    memcmp(in, out, n) != 0)
			ok = 0;
	}
	tap_ok(ok, "b64 round trips for 0..40 random bytes");
	tap_ok(b64_encode(in, 3, enc, 4) == -1,
	    "b64 encode refuses a short buffer");
	tap_ok(b64_decode("QQ", 2, out, sizeof(out)) == -1,
	    "b64 decode wants padding");
	tap_ok(b64_decode("QR==", 4, out, sizeof(out)) == -1,
	    "b64 decode refuses non-zero unused bits");
	tap_ok(b64_decode("QQ== ", 5, out, sizeof(out)) == -1,
	    "b64 decode refuses trailing space");
	tap_ok(b64_decode("QUJD", 4, out, 2) == -1,
	    "b64 decode refuses a short output buffer");
	tap_ok(b64_decode("QQ==", 4, out, sizeof(out)) == 1 && out[0] == 'A',
	    "b64 decodes QQ==");
}

static int
file_mode(const char *path)
{
	struct stat	 st;

	if (lstat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

static void
test_generate(void)
{
	char	 path[PATH_MAX], pubpath[PATH_MAX], err[256];
	char	 fp1[FINGERPRINT_LEN], fp2[FINGERPRINT_LEN], *text;
	uint8_t	 priv[KEY_LEN], pub[KEY_LEN], priv2[KEY_LEN], pub2[KEY_LEN];
	size_t	 len;

	path_in_dir(path, sizeof(path), "host_key");
	path_in_dir(pubpath, sizeof(pubpath), "host_key.pub");
	tap_ok(keys_generate(path, "test host", priv, pub, err,
	    sizeof(err)) == 0, "generate a key pair");
	tap_ok(file_mode(path) == 0600, "private key file mode 0600 (%04o)",
	    file_mode(path));
	tap_ok(file_mode(pubpath) == 0644, "public key file mode 0644 (%04o)",
	    file_mode(pubpath));

	tap_ok(keys_load(path, priv2, pub2, err, sizeof(err)) == 0 &&
	    memcmp(priv, priv2, KEY_LEN) == 0 &&
	    memcmp(pub, pub2, KEY_LEN) == 0, "load gives the generated pair");
	text = read_small_file(pubpath, KEYFILE_MAX, &len);
	tap_ok(text != NULL && keys_parse_public(text, len, pub2) == 0 &&
	    memcmp(pub, pub2, KEY_LEN) == 0, "the .pub file holds the public key");
	tap_ok(text != NULL && len > 10 &&
	    strcmp(text + len - 10, "test host\n") == 0,
	    "the .pub file carries the comment");
	free(text);
	keys_fingerprint(pub, fp1);
	keys_public(priv, pub2);
	keys_fingerprint(pub2, fp2);
	tap_ok(strcmp(fp1, fp2) == 0 && strncmp(fp1, "SHA256:", 7) == 0,
	    "fingerprint of the generated key: %s", fp1);

	tap_ok(keys_generate(path, NULL, priv2, pub2, err, sizeof(err)) == -1,
	    "generate refuses to overwrite: %s", err);
	tap_ok(keys_load(path, priv2, pub2, err, sizeof(err)) == 0 &&
	    memcmp(priv, priv2, KEY_LEN) == 0,
	    "the existing key is unchanged");

	/* A .pub in the way: the new private file must not be left behind. */
	path_in_dir(path, sizeof(path), "other_key");
	path_in_dir(pubpath, sizeof(pubpath), "other_key.pub");
	write_file(pubpath, "x", 1, 0644);
	tap_ok(keys_generate(path, NULL, priv2, pub2, err, sizeof(err)) == -1 &&
	    access(path, F_OK) == -1, "a stray .pub fails the generation "
	    "without leaving a private key");
	unlink(pubpath);

	path_in_dir(path, sizeof(path), "bad_comment");
	tap_ok(keys_generate(path, "two\nlines", priv2, pub2, err,
	    sizeof(err)) == -1 && access(path, F_OK) == -1,
	    "a comment with a newline is refused");

	path_in_dir(path, sizeof(path), "no_comment");
	path_in_dir(pubpath, sizeof(pubpath), "no_comment.pub");
	text = NULL;
	tap_ok(keys_generate(path, NULL, priv2, pub2, err, sizeof(err)) == 0 &&
	    (text = read_small_file(pubpath, KEYFILE_MAX, &len)) != NULL &&
	    len == 15 + 44 + 1, "no comment: the .pub line is just the key");
	free(text);
	tap_ok(memcmp(priv, priv2, KEY_LEN) != 0, "two generated keys differ");
}

static void
test_load_checks(void)
{
	char	 path[PATH_MAX], link[PATH_MAX], err[512];
	char	 big[KEYFILE_MAX + 2];
	uint8_t	 priv[KEY_LEN], pub[KEY_LEN];
	const char *text = "secchat-x25519-private " ALICE_PRIV_B64 "\n";

	path_in_dir(path, sizeof(path), "fixed_key");
	write_file(path, text, strlen(text), 0644);
	err[0] = '\0';
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1 &&
	    strstr(err, "Permissions 0644 for '") != NULL &&
	    strstr(err, "are too open") != NULL, "mode 0644 refused: %s", err);
	chmod(path, 0640);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "mode 0640 refused");
	chmod(path, 0602);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "mode 0602 refused");
	chmod(path, 0600);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == 0 &&
	    memcmp(priv, alice_priv, KEY_LEN) == 0 &&
	    memcmp(pub, alice_pub, KEY_LEN) == 0,
	    "mode 0600 accepted; pair is Alice's");
	chmod(path, 0400);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == 0,
	    "mode 0400 accepted");

	path_in_dir(link, sizeof(link), "link_key");
	tap_ok(symlink(path, link) == 0 &&
	    keys_load(link, priv, pub, err, sizeof(err)) == -1,
	    "a symbolic link is refused: %s", err);
	unlink(link);

	path_in_dir(path, sizeof(path), "garbage_key");
	write_file(path, "not a key\n", 10, 0600);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "garbage is refused: %s", err);

	path_in_dir(path, sizeof(path), "empty_key");
	write_file(path, "", 0, 0600);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "an empty file is refused");

	path_in_dir(path, sizeof(path), "big_key");
	memset(big, 'A', sizeof(big));
	write_file(path, big, sizeof(big), 0600);
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "an oversized file is refused: %s", err);

	path_in_dir(path, sizeof(path), "fifo_key");
	tap_ok(mkfifo(path, 0600) == 0 &&
	    keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "a FIFO is refused without blocking: %s", err);

	tap_ok(keys_load(dir, priv, pub, err, sizeof(err)) == -1,
	    "a directory is refused: %s", err);
	path_in_dir(path, sizeof(path), "missing_key");
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1,
	    "a missing file is refused");
}

/* The Argon2id limits the tests use: the smallest, to stay quick. */
#define T_OPS	crypto_pwhash_argon2id_OPSLIMIT_MIN
#define T_MEM	crypto_pwhash_argon2id_MEMLIMIT_MIN

/* A keys_ask_fn answering from a list, counting the questions. */
struct answers {
	const char	*const *list;
	int		 n, asked;
};

static int
ask_from_list(void *arg, const char *prompt, char *buf, size_t bufmax)
{
	struct answers	*a = arg;

	if (prompt == NULL || strstr(prompt, "passphrase") == NULL)
		return -1;
	if (a->asked >= a->n || a->list[a->asked] == NULL) {
		a->asked++;
		return -1;
	}
	strlcpy(buf, a->list[a->asked++], bufmax);
	return 0;
}

static void
test_passphrase(void)
{
	char		 line[KEYS_ENCRYPTED_LINE], line2[KEYS_ENCRYPTED_LINE];
	char		 path[PATH_MAX], err[512], *text;
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	size_t		 len, i;
	int		 n, ok;
	static const char *const wrong3[] = { "a", "b", "c", "sesame" };
	static const char *const third[] = { "a", "b", "sesame" };
	static const char *const giveup[] = { "a", NULL };
	struct answers	 ans;

	n = keys_encrypt_private(alice_priv, "sesame", 6, T_OPS, T_MEM, line,
	    sizeof(line));
	tap_ok(n > 0 && (size_t)n == strlen(line) && line[n - 1] == '\n' &&
	    strncmp(line, "secchat-x25519-private-encrypted ", 33) == 0,
	    "an encrypted key is one line");
	tap_ok(keys_is_encrypted(line, (size_t)n) &&
	    !keys_is_encrypted("secchat-x25519-private " ALICE_PRIV_B64 "\n",
	    68), "keys_is_encrypted tells the two apart");
	tap_ok(keys_parse_private(line, (size_t)n, priv) == -1,
	    "the plain parser refuses it");
	memset(priv, 0, sizeof(priv));
	tap_ok(keys_parse_private_pass(line, (size_t)n, "sesame", 6,
	    priv) == 0 && memcmp(priv, alice_priv, KEY_LEN) == 0,
	    "the right passphrase opens it");
	tap_ok(keys_parse_private_pass(line, (size_t)n - 1, "sesame", 6,
	    priv) == 0, "with or without its newline");
	tap_ok(keys_parse_private_pass(line, (size_t)n, "sesamE", 6,
	    priv) == -1 && keys_parse_private_pass(line, (size_t)n, "sesame",
	    5, priv) == -1 && keys_parse_private_pass(line, (size_t)n, "", 0,
	    priv) == -1, "a wrong passphrase does not");
	tap_ok(keys_encrypt_private(alice_priv, "sesame", 6, T_OPS, T_MEM,
	    line2, sizeof(line2)) == n && strcmp(line, line2) != 0,
	    "a fresh salt and nonce each time");
	tap_ok(keys_encrypt_private(alice_priv, "sesame", 6, T_OPS, T_MEM,
	    line2, (size_t)n) == -1, "a short output buffer is refused");

	/* Every base64 character changed in turn (the padding aside). */
	ok = 1;
	for (i = 33; i < (size_t)n - 2; i += 3) {
		memcpy(line2, line, (size_t)n + 1);
		line2[i] = line2[i] == 'A' ? 'B' : 'A';
		ok &= keys_parse_private_pass(line2, (size_t)n, "sesame", 6,
		    priv) == -1;
	}
	tap_ok(ok, "a tampered salt, limit, nonce or ciphertext is refused");
	memcpy(line2, line, (size_t)n + 1);
	memcpy(line2, "secchat-x25519-private-encryptex", 32);
	tap_ok(keys_parse_private_pass(line2, (size_t)n, "sesame", 6,
	    priv) == -1, "a changed first word is refused");
	{
		/* Limits a planted file might ask for: refused unread. */
		uint8_t	 bin[104];
		char	 big[KEYS_ENCRYPTED_LINE];

		b64_decode(line + 33, 140, bin, sizeof(bin));
		put_u64(bin + 16 + 8, (uint64_t)1 << 40);	/* memlimit */
		memcpy(big, line, 33);
		b64_encode(bin, sizeof(bin), big + 33, sizeof(big) - 33);
		tap_ok(keys_parse_private_pass(big, strlen(big), "sesame", 6,
		    priv) == -1, "a memory limit of 1 TiB is refused");
		b64_decode(line + 33, 140, bin, sizeof(bin));
		put_u64(bin + 16, 1000000);			/* opslimit */
		b64_encode(bin, sizeof(bin), big + 33, sizeof(big) - 33);
		tap_ok(keys_parse_private_pass(big, strlen(big), "sesame", 6,
		    priv) == -1, "an opslimit of a million is refused");
	}

	/* Files. */
	path_in_dir(path, sizeof(path), "enc_key");
	write_file(path, line, (size_t)n, 0600);
	err[0] = '\0';
	tap_ok(keys_load(path, priv, pub, err, sizeof(err)) == -1 &&
	    strstr(err, "encrypted; a passphrase is needed") != NULL,
	    "keys_load refuses an encrypted file: %s", err);
	tap_ok(keys_load_ask(path, priv, pub, NULL, NULL, err,
	    sizeof(err)) == -1 && strstr(err, "a passphrase is needed") !=
	    NULL, "so does keys_load_ask without a way to ask");
	ans.list = third;
	ans.n = 3;
	ans.asked = 0;
	memset(priv, 0, sizeof(priv));
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == 0 && ans.asked == 3 &&
	    memcmp(priv, alice_priv, KEY_LEN) == 0 &&
	    memcmp(pub, alice_pub, KEY_LEN) == 0,
	    "right on the third try: Alice's pair");
	ans.list = wrong3;
	ans.n = 4;
	ans.asked = 0;
	err[0] = '\0';
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == -1 && ans.asked == 3 &&
	    strstr(err, "wrong passphrase") != NULL &&
	    sodium_is_zero(priv, KEY_LEN), "three wrong tries and no more: %s",
	    err);
	ans.list = giveup;
	ans.n = 2;
	ans.asked = 0;
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == -1 && ans.asked == 2,
	    "giving up stops asking: %s", err);

	memcpy(line2, line, (size_t)n + 1);
	line2[60] = line2[60] == 'A' ? 'B' : 'A';
	write_file(path, line2, (size_t)n, 0600);
	ans.list = third;
	ans.n = 3;
	ans.asked = 0;
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == -1, "a tampered file does not open: %s", err);
	write_file(path, "secchat-x25519-private-encrypted AAAA\n", 38, 0600);
	ans.asked = 0;
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == -1 && ans.asked == 0 &&
	    strstr(err, "not a secchat private key") != NULL,
	    "a damaged file is said to be so, without asking: %s", err);
	write_file(path, line, (size_t)n, 0644);
	ans.asked = 0;
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == -1 && ans.asked == 0,
	    "an encrypted file open to others is refused too: %s", err);

	/* keys_save_private: in the clear and encrypted, atomically. */
	tap_ok(keys_save_private(path, alice_priv, "open sesame", err,
	    sizeof(err)) == 0 && file_mode(path) == 0600,
	    "save encrypted over a file of mode 0644: now 0600");
	text = read_small_file(path, KEYFILE_MAX, &len);
	tap_ok(text != NULL && keys_is_encrypted(text, len),
	    "the file is encrypted");
	free(text);
	ans.list = (const char *const[]){ "open sesame" };
	ans.n = 1;
	ans.asked = 0;
	memset(priv, 0, sizeof(priv));
	tap_ok(keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == 0 && memcmp(priv, alice_priv, KEY_LEN) == 0,
	    "and opens with its passphrase");
	tap_ok(keys_save_private(path, alice_priv, "", err, sizeof(err)) ==
	    0 && keys_load(path, priv, pub, err, sizeof(err)) == 0 &&
	    memcmp(priv, alice_priv, KEY_LEN) == 0,
	    "an empty passphrase saves it in the clear");
	tap_ok(keys_save_private(path, alice_priv, NULL, err, sizeof(err)) ==
	    0 && keys_load_ask(path, priv, pub, ask_from_list, &ans, err,
	    sizeof(err)) == 0 && memcmp(pub, alice_pub, KEY_LEN) == 0,
	    "so does NULL; keys_load_ask reads a clear file too");
	{
		char	 tmp[PATH_MAX];

		path_in_dir(tmp, sizeof(tmp), "enc_key.tmp");
		tap_ok(access(tmp, F_OK) == -1, "no temporary file is left");
		write_file(tmp, "stale", 5, 0644);
		tap_ok(keys_save_private(path, alice_priv, NULL, err,
		    sizeof(err)) == 0 && access(tmp, F_OK) == -1,
		    "a stale temporary file is replaced");
	}
	path_in_dir(path, sizeof(path), "no/such/dir/key");
	tap_ok(keys_save_private(path, alice_priv, NULL, err,
	    sizeof(err)) == -1, "saving where it cannot: %s", err);
}

static void
test_public_line(void)
{
	char	 out[256];
	uint8_t	 pub[KEY_LEN];

	tap_ok(keys_public_line(alice_pub, "alice@laptop", out,
	    sizeof(out)) == 0 && strcmp(out, "secchat-x25519 " ALICE_PUB_B64
	    " alice@laptop") == 0, "public line with a comment: %s", out);
	tap_ok(keys_public_line(alice_pub, NULL, out, sizeof(out)) == 0 &&
	    strcmp(out, "secchat-x25519 " ALICE_PUB_B64) == 0 &&
	    keys_public_line(alice_pub, "", out, sizeof(out)) == 0 &&
	    strcmp(out, "secchat-x25519 " ALICE_PUB_B64) == 0,
	    "without a comment, no blank");
	tap_ok(keys_parse_public(out, strlen(out), pub) == 0 &&
	    memcmp(pub, alice_pub, KEY_LEN) == 0, "and it parses back");
	tap_ok(keys_public_line(alice_pub, "a\nb", out, sizeof(out)) == -1,
	    "a comment of two lines is refused");
	tap_ok(keys_public_line(alice_pub, NULL, out, 59) == -1 &&
	    keys_public_line(alice_pub, NULL, out, 60) == 0,
	    "the output must hold the line and its NUL");
}

static void
test_keyproof(void)
{
	uint8_t	 ss[KEY_LEN], hs2[32], proof[KEYPROOF_LEN];
	uint8_t	 want[KEYPROOF_LEN], other[KEY_LEN];
	size_t	 i;

	for (i = 0; i < 32; i++) {
		ss[i] = (uint8_t)i;
		hs2[i] = (uint8_t)(32 + i);
	}
	/*
	 * Computed independently (Python's hmac, RFC 5869 by hand):
	 * prk = HMAC(b"secchat key login v1", ss); k = HMAC(prk, b"\x01");
	 * HMAC(k, hs2 + b"alice").
	 */
	hex_decode("795deb990b0fc5106ff8c147ae211cf6"
	    "9ee7aa901a12f90c34658e694c453e46", want, sizeof(want));
	tap_ok(keyproof_make(ss, hs2, "alice", proof) == 0 &&
	    memcmp(proof, want, sizeof(want)) == 0,
	    "keyproof_make gives the known answer");
	tap_ok(keyproof_verify(ss, hs2, "alice", proof) == 0,
	    "keyproof_verify takes it");
	tap_ok(keyproof_verify(ss, hs2, "alicf", proof) == -1 &&
	    keyproof_verify(ss, hs2, "alic", proof) == -1 &&
	    keyproof_verify(ss, hs2, "bob", proof) == -1,
	    "another user: refused");
	hs2[31] ^= 1;
	tap_ok(keyproof_verify(ss, hs2, "alice", proof) == -1,
	    "another handshake: refused");
	hs2[31] ^= 1;
	memcpy(other, ss, sizeof(other));
	other[0] ^= 0x80;
	tap_ok(keyproof_verify(other, hs2, "alice", proof) == -1,
	    "another shared key: refused");
	proof[KEYPROOF_LEN - 1] ^= 1;
	tap_ok(keyproof_verify(ss, hs2, "alice", proof) == -1,
	    "a changed proof: refused");
	tap_ok(keyproof_make(ss, hs2, NULL, proof) == -1 &&
	    keyproof_verify(ss, hs2, NULL, want) == -1, "no user: refused");
}

static void
cleanup(void)
{
	static const char *const names[] = {
		"host_key", "host_key.pub", "no_comment", "no_comment.pub",
		"fixed_key", "garbage_key", "empty_key", "big_key", "fifo_key",
		"other_key", "other_key.pub", "bad_comment", "bad_comment.pub",
		"link_key", "enc_key", "enc_key.tmp"
	};
	char	 path[PATH_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in_dir(path, sizeof(path), names[i]);
		unlink(path);
	}
	if (rmdir(dir) == -1)
		tap_diag("cannot remove %s: %s", dir, strerror(errno));
}

int
main(void)
{
	const char	*tmp;

	if (sodium_init() == -1) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	umask(022);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test-keys.XXXXXX", tmp);
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp %s: %s", dir, strerror(errno));
		return tap_done();
	}
	test_fingerprint();
	test_b64();
	test_parse_private();
	test_parse_public();
	test_generate();
	test_load_checks();
	test_passphrase();
	test_public_line();
	test_keyproof();
	cleanup();
	return tap_done();
}
