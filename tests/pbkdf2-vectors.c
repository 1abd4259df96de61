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
#include "vectorfile.h"

#define DEFAULT_FILE	"tests/vectors/pbkdf2-sha256-rfc7914.txt"
#define NAME_HEX	24	/* hex digits of an input in a test name */

struct hexbuf {
	uint8_t		*p;
	size_t		 len;
};

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
	if (errstr != NULL || vf_hex(w[1], &pass.p, &pass.len) == -1 ||
	    vf_hex(w[2], &salt.p, &salt.len) == -1 ||
	    vf_hex(w[5], &want.p, &want.len) == -1 ||
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
		if (vf_ignorable(line))
			continue;
		if (vf_split_words(line, w, 6) != 6 || strcmp(w[0], "pbkdf2") != 0)
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
	return vf_main(argc, argv, DEFAULT_FILE, run_file);
}
