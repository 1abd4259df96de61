/*
 * pbkdf2-vectors: run PBKDF2-HMAC-SHA256 test vectors, one per line:
 *
 *	pbkdf2 PASSWORD_HEX SALT_HEX ITERATIONS DKLEN DK_HEX
 *
 * "-" is an empty hex string; lines starting with '#' are comments.  One
 * TAP line per vector.  Without arguments it reads the shipped RFC 7914
 * vectors from $top_srcdir/tests/vectors.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto.h"
#include "tap.h"

#define DEFAULT_FILE	"tests/vectors/pbkdf2-sha256-rfc7914.txt"
#define NAME_HEX	24	/* hex digits of an input in a test name */

struct hexbuf {
	uint8_t		*p;
	size_t		 len;
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a hex word ("-" is empty) into a fresh allocation. */
static int
hex_decode(const char *s, struct hexbuf *b)
{
	size_t	 len, i;
	int	 hi, lo;

	b->p = NULL;
	b->len = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	len = strlen(s);
	if (len == 0 || len % 2 != 0 || (b->p = malloc(len / 2)) == NULL)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if ((hi = hexval((unsigned char)s[2 * i])) == -1 ||
		    (lo = hexval((unsigned char)s[2 * i + 1])) == -1) {
			free(b->p);
			b->p = NULL;
			return -1;
		}
		b->p[i] = (hi << 4) | lo;
	}
	b->len = len / 2;
	return 0;
}

static int
split_words(char *line, char **words, int max)
{
	char	*p = line;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return max + 1;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* A short form of a hex word for the test name. */
static void
shorten(const char *hex, char *out, size_t outlen)
{
	if (strlen(hex) <= NAME_HEX)
		strlcpy(out, hex, outlen);
	else
		snprintf(out, outlen, "%.*s...", NAME_HEX, hex);
}

static void
run_line(char **w, const char *file, unsigned long lineno)
{
	struct hexbuf	 pass = { NULL, 0 }, salt = { NULL, 0 };
	struct hexbuf	 want = { NULL, 0 };
	uint8_t		*dk = NULL;
	const char	*errstr = NULL;
	char		 pname[NAME_HEX + 4], sname[NAME_HEX + 4];
	long long	 iter, dklen = 0;
	int		 ok = 0;

	shorten(w[1], pname, sizeof(pname));
	shorten(w[2], sname, sizeof(sname));
	iter = strtonum(w[3], 1, UINT32_MAX, &errstr);
	if (errstr == NULL)
		dklen = strtonum(w[4], 1, 1 << 20, &errstr);
	if (errstr != NULL || hex_decode(w[1], &pass) == -1 ||
	    hex_decode(w[2], &salt) == -1 || hex_decode(w[5], &want) == -1 ||
	    want.len != (size_t)dklen) {
		tap_ok(0, "%s:%lu: malformed pbkdf2 vector", file, lineno);
		goto out;
	}
	if ((dk = malloc(dklen)) == NULL) {
		tap_ok(0, "%s:%lu: out of memory", file, lineno);
		goto out;
	}
	if (pbkdf2_hmac_sha256(pass.p, pass.len, salt.p, salt.len,
	    (uint32_t)iter, dk, dklen) == 0)
		ok = memcmp(dk, want.p, dklen) == 0;
	tap_ok(ok, "pbkdf2 password=%s salt=%s iterations=%lld dklen=%lld",
	    pname, sname, iter, dklen);
out:
	free(pass.p);
	free(salt.p);
	free(want.p);
	free(dk);
}

/* Strip the line ending; returns 1 for a blank or comment line. */
static int
ignorable(char *line)
{
	size_t	 len = strlen(line);
	char	*p;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	return *p == '\0' || *p == '#';
}

static void
run_file(const char *file)
{
	FILE		*fp;
	char		*line = NULL, *w[6];
	size_t		 linecap = 0;
	ssize_t		 n;
	unsigned long	 lineno = 0;

	if ((fp = fopen(file, "r")) == NULL) {
		tap_ok(0, "%s: %s", file, strerror(errno));
		return;
	}
	while ((n = getline(&line, &linecap, fp)) != -1) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			tap_ok(0, "%s:%lu: NUL byte", file, lineno);
			continue;
		}
		if (ignorable(line))
			continue;
		if (split_words(line, w, 6) != 6 || strcmp(w[0], "pbkdf2") != 0)
			tap_ok(0, "%s:%lu: malformed line", file, lineno);
		else
			run_line(w, file, lineno);
	}
	if (ferror(fp))
		tap_ok(0, "%s: read error", file);
	free(line);
	fclose(fp);
}

int
main(int argc, char *argv[])
{
	const char	*srcdir;
	char		 path[4096];
	int		 i;

	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	if (argc == 1) {
		if ((srcdir = getenv("top_srcdir")) == NULL || *srcdir == '\0')
			srcdir = ".";
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", srcdir,
		    DEFAULT_FILE) >= sizeof(path)) {
			tap_ok(0, "top_srcdir too long");
			return tap_done();
		}
		run_file(path);
	}
	for (i = 1; i < argc; i++)
		run_file(argv[i]);
	if (tap_n == 0)
		tap_ok(0, "no vectors found");
	return tap_done();
}
