/*
 * test-safety.c: safety numbers (doc/protocol.md section 11.6) against
 * the vectors of tests/vectors/safety-numbers.txt, then their symmetry
 * and formatting.
 *
 *	test-safety [FILE ...]
 *
 * Each vector of each file named (without one, the shipped file under
 * $top_srcdir) is one TAP line.  Without arguments the checks that do not
 * come from a file follow, among them that a vector changed in one digit,
 * key byte or id letter is caught.  A malformed file is a failure.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "safety.h"
#include "tap.h"
#include "vectorfile.h"

#define DEFAULT_FILE	"tests/vectors/safety-numbers.txt"
#define MAX_ID		256
#define MAX_VECTORS	64

struct svec {
	unsigned long	 line;
	unsigned	 iterations;
	uint8_t		 key_a[32], key_b[32];
	char		 id_a[MAX_ID], id_b[MAX_ID];
	char		 number[SAFETY_DIGITS + 1];
	int		 have;	/* bits: which fields were given */
};

#define HAVE_ITER	0x01
#define HAVE_KEY_A	0x02
#define HAVE_ID_A	0x04
#define HAVE_KEY_B	0x08
#define HAVE_ID_B	0x10
#define HAVE_NUMBER	0x20
#define HAVE_ALL	0x3f

/* The vectors read, kept for the tamper checks. */
static struct svec	 vecs[MAX_VECTORS];
static size_t		 nvecs;

static int
all_digits(const char *s, size_t n)
{
	size_t	 i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* 1 if the vector's number is what the code computes, both ways round. */
static int
check_vector(const struct svec *v)
{
	char	 ab[SAFETY_DIGITS + 1], ba[SAFETY_DIGITS + 1];

	safety_number_iter(v->key_a, v->id_a, strlen(v->id_a), v->key_b,
	    v->id_b, strlen(v->id_b), v->iterations, ab);
	safety_number_iter(v->key_b, v->id_b, strlen(v->id_b), v->key_a,
	    v->id_a, strlen(v->id_a), v->iterations, ba);
	return strcmp(ab, v->number) == 0 && strcmp(ba, v->number) == 0;
}

static void
report(const char *file, const struct svec *v)
{
	tap_ok(check_vector(v), "%s:%lu: %s/%s, iterations=%u", file, v->line,
	    v->id_a, v->id_b, v->iterations);
	if (nvecs < MAX_VECTORS)
		vecs[nvecs++] = *v;
}

static int
key_hex(const char *s, uint8_t key[32])
{
	return strlen(s) == 64 && hex_decode(s, key, 32) == 32 ? 0 : -1;
}

static void
run_file(const char *file)
{
	FILE		*fp;
	char		 line[1024], *w[3];
	struct svec	 v;
	unsigned long	 lineno = 0;
	int		 in = 0, nw;
	char		*end;
	unsigned long	 it;

	if ((fp = fopen(file, "r")) == NULL) {
		tap_ok(0, "%s: %s", file, strerror(errno));
		return;
	}
	memset(&v, 0, sizeof(v));
	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(fp)) {
			tap_ok(0, "%s:%lu: line too long", file, lineno);
			goto out;
		}
		if (vf_ignorable(line))
			continue;
		nw = vf_split_words(line, w, 2);
		if (nw == 1 && strcmp(w[0], "vector") == 0 && !in) {
			memset(&v, 0, sizeof(v));
			v.line = lineno;
			in = 1;
		} else if (nw == 1 && strcmp(w[0], "end") == 0 && in) {
			if (v.have != HAVE_ALL) {
				tap_ok(0, "%s:%lu: vector lacks a field",
				    file, lineno);
				goto out;
			}
			report(file, &v);
			in = 0;
		} else if (nw == 2 && in && strcmp(w[0], "iterations") == 0) {
			errno = 0;
			it = strtoul(w[1], &end, 10);
			if (errno != 0 || *end != '\0' || it == 0 ||
			    it > 1000000)
				goto bad;
			v.iterations = (unsigned)it;
			v.have |= HAVE_ITER;
		} else if (nw == 2 && in && strcmp(w[0], "key_a") == 0) {
			if (key_hex(w[1], v.key_a) == -1)
				goto bad;
			v.have |= HAVE_KEY_A;
		} else if (nw == 2 && in && strcmp(w[0], "key_b") == 0) {
			if (key_hex(w[1], v.key_b) == -1)
				goto bad;
			v.have |= HAVE_KEY_B;
		} else if (nw == 2 && in && strcmp(w[0], "id_a") == 0) {
			if (strlcpy(v.id_a, w[1], sizeof(v.id_a)) >=
			    sizeof(v.id_a))
				goto bad;
			v.have |= HAVE_ID_A;
		} else if (nw == 2 && in && strcmp(w[0], "id_b") == 0) {
			if (strlcpy(v.id_b, w[1], sizeof(v.id_b)) >=
			    sizeof(v.id_b))
				goto bad;
			v.have |= HAVE_ID_B;
		} else if (nw == 2 && in && strcmp(w[0], "number") == 0) {
			if (!all_digits(w[1], SAFETY_DIGITS))
				goto bad;
			memcpy(v.number, w[1], SAFETY_DIGITS + 1);
			v.have |= HAVE_NUMBER;
		} else
			goto bad;
	}
	if (ferror(fp))
		tap_ok(0, "%s: read error", file);
	else if (in)
		tap_ok(0, "%s: the last vector has no end", file);
	goto out;
 bad:
	tap_ok(0, "%s:%lu: malformed line", file, lineno);
 out:
	fclose(fp);
}

/* A changed digit, key byte or id letter must not pass. */
static void
test_tamper(void)
{
	struct svec	 t;
	size_t		 i;
	int		 caught;

	tap_ok(nvecs >= 2, "at least two vectors were read (%zu)", nvecs);
	for (i = 0; i < nvecs; i++) {
		caught = 1;
		t = vecs[i];
		t.number[(i * 7) % SAFETY_DIGITS] ^= 1;
		caught &= !check_vector(&t);
		t = vecs[i];
		t.key_a[i % 32] ^= 0x01;
		caught &= !check_vector(&t);
		t = vecs[i];
		t.key_b[31 - i % 32] ^= 0x80;
		caught &= !check_vector(&t);
		t = vecs[i];
		t.id_a[0] ^= 0x01;
		caught &= !check_vector(&t);
		t = vecs[i];
		t.iterations++;
		caught &= !check_vector(&t);
		tap_ok(caught, "vector %zu: a changed digit, key, id or "
		    "iteration count is caught", i + 1);
	}
}

static void
test_properties(void)
{
	uint8_t	 a[32], b[32];
	char	 n1[SAFETY_DIGITS + 1], n2[SAFETY_DIGITS + 1];
	char	 fa[SAFETY_FP_DIGITS + 1], fb[SAFETY_FP_DIGITS + 1];
	char	 f[SAFETY_FORMATTED_LEN];
	size_t	 i;
	int	 ok;

	randombytes_buf(a, sizeof(a));
	randombytes_buf(b, sizeof(b));
	safety_number(a, "alice", b, "bob", n1);
	safety_number(b, "bob", a, "alice", n2);
	tap_ok(strcmp(n1, n2) == 0, "the number is the same from both sides");
	tap_ok(all_digits(n1, SAFETY_DIGITS), "60 digits");

	safety_fingerprint(a, "alice", 5, SAFETY_ITERATIONS, fa);
	safety_fingerprint(b, "bob", 3, SAFETY_ITERATIONS, fb);
	tap_ok(all_digits(fa, SAFETY_FP_DIGITS) &&
	    all_digits(fb, SAFETY_FP_DIGITS), "fingerprints are 30 digits");
	tap_ok(strncmp(n1, strcmp(fa, fb) <= 0 ? fa : fb, 30) == 0 &&
	    strcmp(n1 + 30, strcmp(fa, fb) <= 0 ? fb : fa) == 0,
	    "the smaller fingerprint comes first");

	safety_number(a, "alice", b, "bobby", n2);
	tap_ok(strcmp(n1, n2) != 0, "another id, another number");
	safety_number(a, "bob", b, "alice", n2);
	tap_ok(strcmp(n1, n2) != 0, "ids swapped between keys, another number");
	safety_number(a, "alice", a, "alice", n2);
	tap_ok(strncmp(n2, n2 + 30, 30) == 0, "the same party twice repeats");

	safety_format(n1, f);
	ok = strlen(f) == SAFETY_FORMATTED_LEN - 1;
	for (i = 0; ok && i < SAFETY_FORMATTED_LEN - 1; i++) {
		if (i % 6 == 5)
			ok = f[i] == ' ';
		else
			ok = f[i] == n1[i - i / 6];
	}
	tap_ok(ok, "formatted as 12 groups of 5: %s", f);
	safety_format("000000000000000000000000000000"
	    "123456789012345678901234567890", f);
	tap_ok(strcmp(f, "00000 00000 00000 00000 00000 00000 "
	    "12345 67890 12345 67890 12345 67890") == 0,
	    "formatting keeps leading zeros");
}

int
main(int argc, char *argv[])
{
	const char	*srcdir;
	char		 path[4096];

	if (argc > 1)
		return vf_main(argc, argv, DEFAULT_FILE, run_file);
	/* vf_main would print the plan; the other checks come first. */
	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	if ((srcdir = getenv("top_srcdir")) == NULL || *srcdir == '\0')
		srcdir = ".";
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", srcdir,
	    DEFAULT_FILE) >= sizeof(path)) {
		tap_ok(0, "top_srcdir too long");
		return tap_done();
	}
	run_file(path);
	test_tamper();
	test_properties();
	return tap_done();
}
