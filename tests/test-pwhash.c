/*
 * test-pwhash.c: Argon2id and passlib-compatible PBKDF2 hash strings.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "pwhash.h"
#include "tap.h"

/*
 * Written by passlib 1.7 (passlib.hash.pbkdf2_sha256.using(rounds=R,
 * salt=S).hash(P)); each was also checked against Python's hashlib.
 */
static const struct {
	const char	*hash;
	const char	*password;
	const char	*what;
} passlib_hashes[] = {
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "password", "1000 rounds, salt \"saltsaltsaltsalt\"" },
	{ "$pbkdf2-sha256$1$AAEC/v8$"
	  "/Gk0RTKBlO7eTQ7EpdisklLodrGzE9v9dAjGEqZa/fc",
	  "x", "1 round, 5-byte salt with '/'" },
	{ "$pbkdf2-sha256$4096$AAECAwQFBgcICQoLDA0ODw$"
	  "8Apm/tLd2.05OrGgNwZGw5YZuX2zLps9x76j2FTkpy8",
	  "p\xc3\xa4ssw\xc3\xb6rd \xe2\x98\x83", "UTF-8 password, '.' in checksum" },
	{ "$pbkdf2-sha256$12345$$"
	  "6eVIdQT5AhAtiGRHBTjPwp0BCxhEUmhp5C0MpP6qwa8",
	  "correct horse battery staple", "empty salt" },
	{ "$pbkdf2-sha256$2000$././././././././././././$"
	  "NO4IyXJNHQapFBUj8aehqxiFEv8sunQgqSrn4eG.Kfc",
	  "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x81\xae\xe3\x83\x91"
	  "\xe3\x82\xb9\xe3\x83\xaf\xe3\x83\xbc\xe3\x83\x89",
	  "Japanese password, salt of 0xfb 0xff 0xbf" },
};

#define GOOD_PBKDF2 \
	"$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$" \
	"8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA"

/* Each is GOOD_PBKDF2 (password "password") spoiled in one way. */
static const struct {
	const char	*hash;
	const char	*what;
} malformed[] = {
	{ "", "empty string" },
	{ "$pbkdf2-sha256$1000$c2FsdH", "truncated after the salt" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$", "empty checksum" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQ",
	  "checksum of 31 bytes (truncated)" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQAA",
	  "checksum of 33 bytes" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA=",
	  "'=' padding" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQB",
	  "non-zero unused bits (passlib accepts; we want one encoding)" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQ*",
	  "bad character in checksum" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRz+Wx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "'+' in salt (ab64 uses '.')" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdAAAA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "salt of length 4n+1" },
	{ "$pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds 0" },
	{ "$pbkdf2-sha256$4294967296$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds 2^32" },
	{ "$pbkdf2-sha256$99999999999999999999$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds overflowing 64 bits" },
	{ "$pbkdf2-sha256$01000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds with a leading zero (passlib refuses too)" },
	{ "$pbkdf2-sha256$+1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds with a sign" },
	{ "$pbkdf2-sha256$ 1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "rounds with a space" },
	{ "$pbkdf2-sha256$$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "empty rounds" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA$",
	  "extra '$' at the end" },
	{ "$pbkdf2-sha256$1000$c2FsdHNh$bHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "extra '$' in the salt" },
	{ "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA\n",
	  "trailing newline" },
	{ "$pbkdf2-sha512$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "another digest" },
	{ "pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$"
	  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA",
	  "no leading '$'" },
	{ "$argon2id$v=19$m=65536,t=2,p=1$", "truncated argon2id" },
	{ "$argon2id$garbage", "garbage argon2id" },
};

static void
test_passlib_fixtures(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(passlib_hashes) / sizeof(passlib_hashes[0]);
	    i++) {
		const char *h = passlib_hashes[i].hash;
		const char *pw = passlib_hashes[i].password;

		tap_ok(pwhash_valid(h), "passlib hash valid: %s",
		    passlib_hashes[i].what);
		tap_ok(pwhash_verify(h, pw, strlen(pw)) == 0,
		    "passlib hash verifies: %s", passlib_hashes[i].what);
		tap_ok(pwhash_verify(h, "Password", 8) == -1,
		    "passlib hash refuses a wrong password: %s",
		    passlib_hashes[i].what);
	}
}

static void
test_malformed(void)
{
	size_t	 i;

	tap_ok(pwhash_verify(GOOD_PBKDF2, "password", 8) == 0,
	    "the unspoiled base hash verifies");
	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		tap_ok(!pwhash_valid(malformed[i].hash),
		    "not valid: %s", malformed[i].what);
		tap_ok(pwhash_verify(malformed[i].hash, "password", 8) == -1,
		    "verify refuses: %s", malformed[i].what);
	}
	/* Valid at the limit; too costly to verify, so only parsed. */
	tap_ok(pwhash_valid("$pbkdf2-sha256$4294967295$c2FsdHNhbHRzYWx0c2FsdA$"
	    "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA"),
	    "rounds UINT32_MAX is valid");
}

/*
 * passlib's own bounds for pbkdf2_sha256 (salt_size 0..1024, rounds
 * 1..2^32-1), written out rather than taken from pwhash.h, so that the
 * test says what passlib allows whatever the header says.
 */
#define PASSLIB_MAX_SALT	1024
#define PASSLIB_MAX_HASHLEN	1436	/* 15 + 10 + 1 + 1366 + 1 + 43 */

/* "$pbkdf2-sha256$ROUNDS$" + ab64(saltlen random bytes) + "$" + GOOD's. */
static size_t
long_salt_hash(char *h, size_t hlen, const char *rounds, size_t saltlen)
{
	uint8_t	 salt[PASSLIB_MAX_SALT + 8];
	char	 salt64[sizeof(salt) * 2];
	int	 n;

	randombytes_buf(salt, saltlen);
	if (ab64_encode(salt, saltlen, salt64, sizeof(salt64)) == -1)
		return 0;
	n = snprintf(h, hlen, "$pbkdf2-sha256$%s$%s$%s", rounds, salt64,
	    "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA");
	return n < 0 || (size_t)n >= hlen ? 0 : (size_t)n;
}

static void
test_long_strings(void)
{
	char	 h[2048];
	size_t	 len;

	tap_ok(PWHASH_MAXLEN == PASSLIB_MAX_HASHLEN + 1,
	    "PWHASH_MAXLEN holds passlib's longest hash and its NUL (%zu)",
	    (size_t)PWHASH_MAXLEN);
	/* The longest: the largest salt and the most rounds. */
	len = long_salt_hash(h, sizeof(h), "4294967295", PASSLIB_MAX_SALT);
	tap_ok(len == PASSLIB_MAX_HASHLEN && pwhash_valid(h),
	    "a %zu-byte string with a 1024-byte salt and 2^32-1 rounds is "
	    "valid", len);
	/* One past: a 1025-byte salt makes it a character too long... */
	len = long_salt_hash(h, sizeof(h), "4294967295", PASSLIB_MAX_SALT + 1);
	tap_ok(len == PASSLIB_MAX_HASHLEN + 1 && !pwhash_valid(h),
	    "a %zu-byte string (a 1025-byte salt) is refused", len);
	/* ...and with fewer rounds it is short enough, but still refused. */
	len = long_salt_hash(h, sizeof(h), "1000", PASSLIB_MAX_SALT + 1);
	tap_ok(len < PASSLIB_MAX_HASHLEN && !pwhash_valid(h) &&
	    pwhash_verify(h, "password", 8) == -1,
	    "a 1025-byte salt is refused in a %zu-byte string", len);
	len = long_salt_hash(h, sizeof(h), "1000", PASSLIB_MAX_SALT);
	tap_ok(len > 0 && pwhash_valid(h) && pwhash_needs_rehash(h) == 1,
	    "a 1024-byte salt at 1000 rounds is valid (and weak)");
	/* The old limit: a salt of 143 bytes made 256 characters. */
	len = long_salt_hash(h, sizeof(h), "29000", 143);
	tap_ok(len == 256 && pwhash_valid(h), "a %zu-byte string with a "
	    "143-byte salt is valid", len);
}

/* Find an interpreter that has passlib, or NULL. */
static const char *
python_with_passlib(void)
{
	static const char *const candidates[] = {
		"/usr/bin/python3", "python3"
	};
	char	 cmd[128];
	FILE	*fp;
	size_t	 i;

	for (i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
		snprintf(cmd, sizeof(cmd),
		    "%s -c 'import passlib' >/dev/null 2>&1", candidates[i]);
		if ((fp = popen(cmd, "r")) != NULL && pclose(fp) == 0)
			return candidates[i];
	}
	return NULL;
}

/*
 * Hashes passlib writes itself, at salt sizes around the old limit (143
 * bytes made 256 characters) and up to passlib's maximum; and passlib
 * refusing one byte more, which is where our bound is too.
 */
static void
test_passlib_salt_sizes(void)
{
	static const size_t	 sizes[] = { 0, 1, 16, 142, 143, 144, 512,
	    1023, 1024 };
	const char		*py, *pw = "long salt, same password";
	char			 cmd[1024], line[2048], *sp;
	FILE			*fp;
	size_t			 n = 0, want, len;
	int			 good = 0, refused = 0;

	if ((py = python_with_passlib()) == NULL) {
		tap_skip("python3 with passlib not available",
		    "passlib hashes with salts of 0 to 1024 bytes");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s -c 'import sys\n"
	    "from passlib.hash import pbkdf2_sha256 as p\n"
	    "for n in (0, 1, 16, 142, 143, 144, 512, 1023, 1024):\n"
	    "    print(n, p.using(salt_size=n, rounds=29000).hash(sys.argv[1]))\n"
	    "try:\n"
	    "    p.using(salt_size=1025)\n"
	    "    print(\"1025 accepted\")\n"
	    "except ValueError:\n"
	    "    print(\"1025 refused\")\n' '%s' 2>&1", py, pw);
	if ((fp = popen(cmd, "r")) == NULL) {
		tap_ok(0, "run %s", py);
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "1025 refused") == 0) {
			refused = 1;
			continue;
		}
		if (n >= sizeof(sizes) / sizeof(sizes[0]) ||
		    (sp = strchr(line, ' ')) == NULL) {
			tap_diag("passlib said: %s", line);
			continue;
		}
		want = sizes[n++];
		sp++;
		len = strlen(sp);
		good = pwhash_valid(sp) &&
		    pwhash_verify(sp, pw, strlen(pw)) == 0 &&
		    pwhash_verify(sp, "wrong", 5) == -1;
		tap_ok(good && strtoul(line, NULL, 10) == want,
		    "passlib's hash with a %zu-byte salt (%zu characters) is "
		    "valid and verifies", want, len);
		if (want == 1024)
			tap_ok(len == 21 + 1366 + 1 + 43 &&
			    len < PWHASH_MAXLEN, "its length is as computed");
	}
	pclose(fp);
	tap_ok(n == sizeof(sizes) / sizeof(sizes[0]), "passlib wrote %zu "
	    "hashes", n);
	tap_ok(refused, "passlib refuses a 1025-byte salt, as we do");
}

static void
test_pbkdf2_create(void)
{
	char	 h[PWHASH_MAXLEN], h2[PWHASH_MAXLEN];
	uint32_t r;

	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, "s3cret", 6, 1000, h,
	    sizeof(h)) == 0, "pbkdf2 create");
	tap_ok(strncmp(h, "$pbkdf2-sha256$1000$", 20) == 0 &&
	    strlen(h) == 20 + 22 + 1 + 43, "pbkdf2 format: %s", h);
	tap_ok(pwhash_valid(h), "pbkdf2 hash is valid");
	tap_ok(pwhash_verify(h, "s3cret", 6) == 0, "pbkdf2 verifies");
	tap_ok(pwhash_verify(h, "s3cre", 5) == -1, "pbkdf2 refuses a prefix");
	tap_ok(pwhash_verify(h, "s3cret!", 7) == -1,
	    "pbkdf2 refuses a longer password");
	tap_ok(pwhash_needs_rehash(h) == 1, "1000 rounds needs a rehash");
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, "s3cret", 6, 1000, h2,
	    sizeof(h2)) == 0 && strcmp(h, h2) != 0,
	    "two hashes of one password differ (random salt)");
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, "s3cret", 6, 1000, h2,
	    40) == -1, "create refuses a short output buffer");
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, "", 0, 1000, h2,
	    sizeof(h2)) == -1, "create refuses an empty password");

	r = PBKDF2_DEFAULT_ROUNDS;
	snprintf(h2, sizeof(h2), "$pbkdf2-sha256$%u$c2FsdHNhbHRzYWx0c2FsdA$"
	    "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA", (unsigned)r);
	tap_ok(pwhash_valid(h2) && pwhash_needs_rehash(h2) == 0,
	    "default rounds need no rehash");
	snprintf(h2, sizeof(h2), "$pbkdf2-sha256$%u$c2FsdHNhbHRzYWx0c2FsdA$"
	    "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA", (unsigned)r - 1);
	tap_ok(pwhash_needs_rehash(h2) == 1, "default - 1 rounds need one");
}

static void
test_pbkdf2_default_rounds(void)
{
	char	 h[PWHASH_MAXLEN];
	char	 want[32];

	snprintf(want, sizeof(want), "$pbkdf2-sha256$%d$",
	    PBKDF2_DEFAULT_ROUNDS);
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, "pw", 2, 0, h,
	    sizeof(h)) == 0 && strncmp(h, want, strlen(want)) == 0,
	    "rounds 0 means the default, %d", PBKDF2_DEFAULT_ROUNDS);
}

/* The other direction: passlib accepts what we write. */
static void
test_passlib_accepts_ours(void)
{
	const char	*py;
	char		 h[PWHASH_MAXLEN], cmd[PWHASH_MAXLEN + 256], out[32];
	FILE		*fp;
	int		 ok = 0;

	if ((py = python_with_passlib()) == NULL) {
		tap_skip("python3 with passlib not available",
		    "passlib verifies our pbkdf2 hash");
		tap_skip("python3 with passlib not available",
		    "passlib refuses a wrong password");
		return;
	}
	/* The hash and password hold no shell metacharacters. */
	if (pwhash_create(PWHASH_PBKDF2_SHA256, "hunter2", 7, 1000, h,
	    sizeof(h)) == -1) {
		tap_ok(0, "pbkdf2 create for passlib");
		return;
	}
	snprintf(cmd, sizeof(cmd), "%s -c 'import sys; "
	    "from passlib.hash import pbkdf2_sha256; "
	    "print(pbkdf2_sha256.verify(sys.argv[1], sys.argv[2]))' "
	    "hunter2 '%s' 2>&1", py, h);
	if ((fp = popen(cmd, "r")) != NULL) {
		ok = fgets(out, sizeof(out), fp) != NULL &&
		    strcmp(out, "True\n") == 0;
		pclose(fp);
	}
	tap_ok(ok, "passlib (%s) verifies our hash %s", py, h);

	snprintf(cmd, sizeof(cmd), "%s -c 'import sys; "
	    "from passlib.hash import pbkdf2_sha256; "
	    "print(pbkdf2_sha256.verify(sys.argv[1], sys.argv[2]))' "
	    "hunter3 '%s' 2>&1", py, h);
	ok = 0;
	if ((fp = popen(cmd, "r")) != NULL) {
		ok = fgets(out, sizeof(out), fp) != NULL &&
		    strcmp(out, "False\n") == 0;
		pclose(fp);
	}
	tap_ok(ok, "passlib refuses a wrong password for our hash");
}

static void
test_argon2id(void)
{
	char	 h[PWHASH_MAXLEN], weak[crypto_pwhash_STRBYTES];
	char	 strong[crypto_pwhash_STRBYTES];
	const char *dummy;

	tap_ok(pwhash_create(PWHASH_ARGON2ID, "correct horse", 13, 0, h,
	    sizeof(h)) == 0, "argon2id create");
	tap_ok(strncmp(h, "$argon2id$v=19$", 15) == 0, "argon2id format: %s",
	    h);
	tap_ok(pwhash_valid(h), "argon2id hash is valid");
	tap_ok(pwhash_verify(h, "correct horse", 13) == 0, "argon2id verifies");
	tap_ok(pwhash_verify(h, "correct horsf", 13) == -1,
	    "argon2id refuses a wrong password");
	tap_ok(pwhash_verify(h, "correct horse", 12) == -1,
	    "argon2id refuses a prefix");
	tap_ok(pwhash_needs_rehash(h) == 0, "default argon2id needs no rehash");

	tap_ok(crypto_pwhash_str_alg(weak, "pw", 2,
	    crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN,
	    crypto_pwhash_ALG_ARGON2ID13) == 0 && pwhash_valid(weak) &&
	    pwhash_verify(weak, "pw", 2) == 0,
	    "a weak argon2id hash still verifies");
	tap_ok(pwhash_needs_rehash(weak) == 1, "a weak argon2id hash needs a "
	    "rehash");
	tap_ok(crypto_pwhash_str_alg(strong, "pw", 2,
	    crypto_pwhash_OPSLIMIT_INTERACTIVE + 1,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) == 0 &&
	    pwhash_needs_rehash(strong) == 0,
	    "a stronger argon2id hash is not downgraded");

	tap_ok(crypto_pwhash_str_alg(weak, "pw", 2,
	    crypto_pwhash_argon2i_OPSLIMIT_MIN,
	    crypto_pwhash_argon2i_MEMLIMIT_MIN, crypto_pwhash_ALG_ARGON2I13) == 0 && !pwhash_valid(weak) &&
	    pwhash_verify(weak, "pw", 2) == -1, "argon2i is not accepted");

	tap_ok(pwhash_verify_dummy("correct horse", 13) == -1,
	    "dummy verify fails (first call)");
	tap_ok(pwhash_verify_dummy("correct horse", 13) == -1,
	    "dummy verify fails (second call)");
	/*
	 * The same cost as a real account, shown without a clock: the dummy
	 * hash is Argon2id at exactly the parameters of a new account's
	 * (everything before the salt is the same).
	 */
	dummy = pwhash_dummy_hash();
	tap_ok(strrchr(dummy, '$') != NULL && strrchr(h, '$') != NULL &&
	    strncmp(dummy, h, (size_t)(strchr(h + 30, '$') - h)) == 0 &&
	    pwhash_needs_rehash(dummy) == 0,
	    "the dummy hash has a new account's parameters (%.40s)", dummy);
}

static void
test_password_limits(void)
{
	static char	 big[PWHASH_MAX_PASSWORD + 1];
	char		 h[PWHASH_MAXLEN];

	memset(big, 'a', sizeof(big));
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, big, PWHASH_MAX_PASSWORD, 1,
	    h, sizeof(h)) == 0 &&
	    pwhash_verify(h, big, PWHASH_MAX_PASSWORD) == 0,
	    "a password of PWHASH_MAX_PASSWORD bytes works");
	tap_ok(pwhash_create(PWHASH_PBKDF2_SHA256, big, sizeof(big), 1, h,
	    sizeof(h)) == -1, "a longer password is refused by create");
	tap_ok(pwhash_verify(GOOD_PBKDF2, big, sizeof(big)) == -1,
	    "a longer password is refused by verify");
	tap_ok(pwhash_verify(GOOD_PBKDF2, "", 0) == -1,
	    "an empty password is refused by verify");
}

static void
test_alg_parse(void)
{
	enum pwhash_alg	 a = 0;

	tap_ok(pwhash_alg_parse("argon2id", &a) == 0 && a == PWHASH_ARGON2ID,
	    "alg argon2id");
	tap_ok(pwhash_alg_parse("pbkdf2-sha256", &a) == 0 &&
	    a == PWHASH_PBKDF2_SHA256, "alg pbkdf2-sha256");
	tap_ok(pwhash_alg_parse("pbkdf2", &a) == -1 &&
	    pwhash_alg_parse("ARGON2ID", &a) == -1, "unknown algs refused");
}

static void
test_ab64(void)
{
	uint8_t	 in[64], out[64];
	char	 enc[128];
	size_t	 n;
	int	 ok = 1, len, i;

	for (n = 0; n <= sizeof(in); n++) {
		randombytes_buf(in, n);
		len = ab64_encode(in, n, enc, sizeof(enc));
		if (len != (int)((n * 4 + 2) / 3) ||
		    strcspn(enc, "+=") != (size_t)len ||
		    ab64_decode(enc, (size_t)len, out, sizeof(out)) != (int)n ||
		    memcmp(in, out, n) != 0)
			ok = 0;
	}
	tap_ok(ok, "ab64 round trips for 0..64 random bytes");

	for (i = 0; i < 18; i += 3) {
		in[i] = 0xfb;
		in[i + 1] = 0xff;
		in[i + 2] = 0xbf;
	}
	len = ab64_encode(in, 18, enc, sizeof(enc));
	tap_ok(len == 24 && strcmp(enc, "././././././././././././") == 0,
	    "ab64 uses '.' where base64 has '+': %s", enc);
	tap_ok(ab64_decode("././", 4, out, sizeof(out)) == 3 &&
	    out[0] == 0xfb && out[1] == 0xff && out[2] == 0xbf,
	    "ab64 decodes '.'");
	tap_ok(ab64_decode("+/+/", 4, out, sizeof(out)) == -1,
	    "ab64 refuses '+'");
	tap_ok(ab64_decode("AAAA", 4, out, 2) == -1,
	    "ab64 decode refuses a short output buffer");
	tap_ok(ab64_decode("A", 1, out, sizeof(out)) == -1,
	    "ab64 refuses a lone character");
	tap_ok(ab64_decode("AB", 2, out, sizeof(out)) == -1,
	    "ab64 refuses non-zero unused bits");
	tap_ok(ab64_decode("AQ", 2, out, sizeof(out)) == 1 && out[0] == 1,
	    "ab64 decodes \"AQ\" to 0x01");
	tap_ok(ab64_encode(in, 18, enc, 24) == -1,
	    "ab64 encode refuses a short output buffer (no room for NUL)");
	tap_ok(ab64_decode("QUJ\0", 4, out, sizeof(out)) == -1,
	    "ab64 refuses an embedded NUL");
}

int
main(void)
{
	if (sodium_init() == -1) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	test_alg_parse();
	test_ab64();
	test_passlib_fixtures();
	test_malformed();
	test_long_strings();
	test_pbkdf2_create();
	test_pbkdf2_default_rounds();
	test_password_limits();
	test_passlib_accepts_ours();
	test_passlib_salt_sizes();
	test_argon2id();
	return tap_done();
}
