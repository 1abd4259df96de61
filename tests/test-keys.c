/*
 * test-keys.c: key file parsing, loading, generation and fingerprints.
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

static void
cleanup(void)
{
	static const char *const names[] = {
		"host_key", "host_key.pub", "no_comment", "no_comment.pub",
		"fixed_key", "garbage_key", "empty_key", "big_key", "fifo_key",
		"other_key", "other_key.pub", "bad_comment", "bad_comment.pub",
		"link_key"
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
	cleanup();
	return tap_done();
}
