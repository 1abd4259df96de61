/*
 * test-users.c: parsing, formatting, loading and saving the users file.
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

#include "tap.h"
#include "users.h"

/* Real hashes: passlib 1.7 wrote the first; libsodium the second. */
#define H_PBKDF2 "$pbkdf2-sha256$1000$c2FsdHNhbHRzYWx0c2FsdA$" \
	"8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA"
#define H_ARGON2 "$argon2id$v=19$m=65536,t=2,p=1$gpmse/haj2kItLap1rAYvQ$" \
	"hmHu+sfNmEZLiM57wdPHXVJIiiHozAUd84shM2/sg3k"

/*
 * passlib's longest pbkdf2-sha256 hash: 2^32-1 rounds and a 1024-byte salt
 * (1366 characters of adapted base64; 'A's decode to zero bytes).
 */
#define MAX_HASH_LEN	1436
#define MAX_NAME	"abcdefghijabcdefghijabcdefghijab"	/* 32 */
/* "name:!hash", and then 16 ":key=BASE64" */
#define MAX_HASH_LINE	(32 + 2 + MAX_HASH_LEN)
#define KEY_FIELD_CHARS	(1 + 4 + 44)
#define MAX_LINE	(MAX_HASH_LINE + 16 * KEY_FIELD_CHARS)

static char	 dir[PATH_MAX];

static void
make_max_hash(char *h, size_t saltchars)
{
	size_t	 n;

	n = (size_t)sprintf(h, "$pbkdf2-sha256$4294967295$");
	memset(h + n, 'A', saltchars);
	sprintf(h + n + saltchars, "$%s",
	    "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA");
}

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
parse_str(struct users *u, const char *s, char *err, size_t errlen)
{
	err[0] = '\0';
	return users_parse(u, s, strlen(s), err, errlen);
}

static void
test_parse_good(void)
{
	static const char text[] =
	    "# secchat users\n"
	    "\n"
	    "alice:" H_ARGON2 "\n"
	    "   \t\n"
	    "bob:!" H_PBKDF2 "\n"
	    "#carol:" H_PBKDF2 "\n"
	    "_svc.bot-1:" H_PBKDF2;	/* no final newline */
	struct users	 u;
	char		 err[256];

	users_init(&u);
	tap_ok(parse_str(&u, text, err, sizeof(err)) == 0,
	    "good file parses %s", err);
	tap_ok(u.n == 3, "three users (%zu)", u.n);
	tap_ok(u.n == 3 && strcmp(u.v[0].name, "alice") == 0 &&
	    strcmp(u.v[0].hash, H_ARGON2) == 0 && !u.v[0].locked,
	    "alice: argon2id, active");
	tap_ok(u.n == 3 && strcmp(u.v[1].name, "bob") == 0 &&
	    strcmp(u.v[1].hash, H_PBKDF2) == 0 && u.v[1].locked,
	    "bob: pbkdf2, locked, hash without '!'");
	tap_ok(u.n == 3 && strcmp(u.v[2].name, "_svc.bot-1") == 0,
	    "last line without newline");
	tap_ok(users_find(&u, "carol") == NULL, "a commented-out user is "
	    "not there");
	tap_ok(users_find(&u, "bob") == &u.v[1], "users_find");
	users_free(&u);
	tap_ok(u.v == NULL && u.n == 0, "users_free empties");

	tap_ok(users_parse(&u, "", 0, err, sizeof(err)) == 0 && u.n == 0,
	    "an empty file is no users");
	tap_ok(parse_str(&u, "\n\n# nothing\n", err, sizeof(err)) == 0 &&
	    u.n == 0, "only comments is no users");
	users_free(&u);
}

static void
test_parse_bad(void)
{
	static char	 longline[MAX_LINE + 2];
	static const struct {
		const char	*text;
		const char	*err;
		const char	*what;
	} bad[] = {
		{ "Alice:" H_PBKDF2 "\n", "line 1: invalid user name",
		  "upper case name" },
		{ "# x\n1alice:" H_PBKDF2 "\n", "line 2: invalid user name",
		  "digit first" },
		{ ":" H_PBKDF2 "\n", "line 1: invalid user name", "empty name" },
		{ "abcdefghijabcdefghijabcdefghijabc:" H_PBKDF2 "\n",
		  "line 1: invalid user name", "33-byte name" },
		{ " alice:" H_PBKDF2 "\n", "line 1: invalid user name",
		  "leading space" },
		{ "al ice:" H_PBKDF2 "\n", "line 1: invalid user name",
		  "space in name" },
		{ "alice " H_PBKDF2 "\n", "line 1: missing ':'",
		  "missing colon" },
		{ "alice:\n", "line 1: invalid password hash", "empty hash" },
		{ "alice:!\n", "line 1: invalid password hash", "only '!'" },
		{ "alice:!!" H_PBKDF2 "\n", "line 1: invalid password hash",
		  "two '!'" },
		{ "alice:x" H_PBKDF2 "\n", "line 1: invalid password hash",
		  "junk before the hash" },
		{ "alice:" H_PBKDF2 " \n", "line 1: invalid password hash",
		  "space after the hash" },
		{ "alice:" H_PBKDF2 "\r\n", "line 1: invalid password hash",
		  "CRLF" },
		{ "alice:$pbkdf2-sha256$0$c2FsdHNhbHRzYWx0c2FsdA$"
		  "8nX7hwFEzIB8aPajJTYK8weHQc5Ngz0pFVAKvSu4jQA\n",
		  "line 1: invalid password hash", "malformed pbkdf2" },
		{ "alice:$argon2id$v=19$m=65536\n",
		  "line 1: invalid password hash", "malformed argon2id" },
		{ "alice:" H_PBKDF2 ":x\n", "line 1: unknown field after the "
		  "hash", "a second colon" },
		{ "alice:" H_PBKDF2 "\nbob:" H_ARGON2 "\nalice:" H_ARGON2 "\n",
		  "line 3: duplicate user alice (first on line 1)",
		  "duplicate" },
		{ "b:" H_PBKDF2 "\na:" H_PBKDF2 "\nb:" H_PBKDF2 "\n"
		  "a:" H_PBKDF2 "\n",
		  "line 3: duplicate user b (first on line 1)",
		  "the earliest duplicate is reported" },
	};
	struct users	 u;
	char		 err[256], buf[64];
	size_t		 i;

	users_init(&u);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tap_ok(parse_str(&u, bad[i].text, err, sizeof(err)) == -1 &&
		    strncmp(err, bad[i].err, strlen(bad[i].err)) == 0 &&
		    u.n == 0, "refused, %s: %s", bad[i].what, err);
	}

	/* A long comment is still a long line. */
	memset(longline, 'a', MAX_LINE + 1);
	longline[0] = '#';
	longline[MAX_LINE + 1] = '\0';
	tap_ok(parse_str(&u, longline, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 1: line too long") == 0, "over-long line: %s",
	    err);
	memcpy(buf, "alice:\0", 7);
	tap_ok(users_parse(&u, buf, 7, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 1: NUL byte") == 0, "NUL byte: %s", err);

	/* An error after good lines leaves nothing behind. */
	tap_ok(parse_str(&u, "alice:" H_PBKDF2 "\nbob\n", err,
	    sizeof(err)) == -1 && u.n == 0 && u.v == NULL,
	    "a failed parse leaves the set empty");
	users_free(&u);
}

/* Many users, a duplicate far apart: found by the sort, not by luck. */
static void
test_parse_many(void)
{
	struct users	 u;
	char		*text, err[256];
	size_t		 i, off = 0, cap = 5001 * 128;

	users_init(&u);
	if ((text = malloc(cap)) == NULL) {
		tap_ok(0, "malloc");
		return;
	}
	for (i = 0; i < 5000; i++)
		off += (size_t)snprintf(text + off, cap - off, "u%zu:%s\n", i,
		    H_PBKDF2);
	tap_ok(users_parse(&u, text, off, err, sizeof(err)) == 0 &&
	    u.n == 5000, "5000 users parse");
	snprintf(text + off, cap - off, "u17:%s\n", H_PBKDF2);
	tap_ok(parse_str(&u, text, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 5001: duplicate user u17 (first on line 18)")
	    == 0, "duplicate among 5001 lines: %s", err);
	free(text);
	users_free(&u);
}

/* "MAX_NAME:!hash" and 16 keys, and a newline; returns the length. */
static size_t
line_with_keys(char *text, size_t size, const char *h)
{
	uint8_t	 key[32];
	size_t	 n, i;

	n = (size_t)snprintf(text, size, "%s:!%s", MAX_NAME, h);
	for (i = 0; i < 16; i++) {
		memset(key, (int)i + 1, sizeof(key));
		n += (size_t)snprintf(text + n, size - n, ":key=");
		n += (size_t)b64_encode(key, sizeof(key), text + n, size - n);
	}
	n += (size_t)snprintf(text + n, size - n, "\n");
	return n;
}

/* passlib's longest hashes fit, in a line of the longest possible kind. */
static void
test_long_hashes(void)
{
	static char	 h[MAX_HASH_LEN + 8], text[2 * MAX_LINE + 64];
	struct users	 u, u2;
	char		 err[256];
	size_t		 n;

	users_init(&u);
	make_max_hash(h, 1366);
	tap_ok(strlen(h) == MAX_HASH_LEN, "a hash of %zu characters",
	    strlen(h));
	n = (size_t)snprintf(text, sizeof(text), "%s:!%s\nbob:%s\n",
	    MAX_NAME, h, H_PBKDF2);
	tap_ok(strchr(text, '\n') - text == MAX_HASH_LINE &&
	    users_parse(&u, text, n, err, sizeof(err)) == 0 && u.n == 2 &&
	    u.v[0].locked && strcmp(u.v[0].hash, h) == 0,
	    "a line of %d characters with passlib's longest hash parses",
	    MAX_HASH_LINE);
	/* With 16 keys, the longest line of all; a character more is too long. */
	users_init(&u2);
	n = line_with_keys(text, sizeof(text), h);
	tap_ok(n - 1 == MAX_LINE && users_parse(&u2, text, n, err,
	    sizeof(err)) == 0 && u2.n == 1 && u2.v[0].nkeys == 16,
	    "a line of %d characters with 16 keys parses", MAX_LINE);
	users_free(&u2);
	tap_ok(users_add(&u, "carol", h) == 0 &&
	    users_set_hash(users_find(&u, "bob"), h) == 0 &&
	    strcmp(users_find(&u, "bob")->hash, h) == 0,
	    "add and set take it too");
	tap_ok(users_set_hash(users_find(&u, "bob"), "x") == -1 &&
	    strcmp(users_find(&u, "bob")->hash, h) == 0,
	    "set refuses a malformed hash and keeps the old one");
	/* One salt character more: a 1025-byte salt, and one byte too long. */
	make_max_hash(h, 1367);
	n = line_with_keys(text, sizeof(text), h);
	tap_ok(users_parse(&u, text, n, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 1: line too long") == 0,
	    "a line of %d characters is too long: %s", MAX_LINE + 1, err);
	n = (size_t)snprintf(text, sizeof(text), "bob:%s\n", h);
	tap_ok(users_parse(&u, text, n, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 1: invalid password hash") == 0,
	    "a hash of %zu characters is refused: %s", strlen(h), err);
	users_free(&u);
}

/* The daemon's reading: bad lines cost only their own accounts. */
static void
test_skip_bad(void)
{
	static const char text[] =
	    "alice:" H_ARGON2 "\n"			/* 1 */
	    "Bob:" H_PBKDF2 "\n"			/* 2: bad name */
	    "carol:!" H_PBKDF2 "\n"			/* 3 */
	    "dave:" H_PBKDF2 "x\n"			/* 4: bad hash */
	    "# a comment\n"				/* 5 */
	    "erin:" H_PBKDF2 "\n";			/* 6 */
	static const char dups[] =
	    "frank:" H_PBKDF2 "\n"			/* 1 */
	    "alice:" H_ARGON2 "\n"			/* 2 */
	    "alice nohash\n"				/* 3: no colon */
	    "grace:" H_PBKDF2 "\n"			/* 4 */
	    "alice:" H_PBKDF2 "\n"			/* 5: duplicate */
	    "heidi:\n"					/* 6: empty hash */
	    "alice:" H_PBKDF2 "\n"			/* 7: duplicate */
	    "ivan:" H_PBKDF2 "\n";			/* 8 */
	static const char good[] = "alice:" H_ARGON2 "\n";
	struct users	 u;
	char		 report[USERS_REPORT_MAX], err[256];
	size_t		 nbad = 99;

	users_init(&u);
	tap_ok(users_parse_skip_bad(&u, text, strlen(text), &nbad, report,
	    sizeof(report)) == 0 && nbad == 2 && u.n == 3 &&
	    strcmp(u.v[0].name, "alice") == 0 &&
	    strcmp(u.v[1].name, "carol") == 0 && u.v[1].locked &&
	    strcmp(u.v[2].name, "erin") == 0,
	    "two bad lines left out, three accounts kept");
	tap_ok(strcmp(report, "line 2: invalid user name; line 4: invalid "
	    "password hash") == 0, "the report names both lines: %s", report);
	tap_ok(parse_str(&u, text, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 2: invalid user name") == 0 && u.n == 0,
	    "the strict parse of the same file fails: %s", err);

	tap_ok(users_parse_skip_bad(&u, dups, strlen(dups), &nbad, report,
	    sizeof(report)) == 0 && nbad == 5 && u.n == 3 &&
	    strcmp(u.v[0].name, "frank") == 0 &&
	    strcmp(u.v[1].name, "grace") == 0 &&
	    strcmp(u.v[2].name, "ivan") == 0 && users_find(&u, "alice") ==
	    NULL, "every line of a repeated name is left out");
	tap_ok(strcmp(report, "line 3: missing ':' between name and hash; "
	    "line 5: duplicate user alice (first on line 2); none of its "
	    "lines is used; line 6: invalid password hash; 2 more lines left "
	    "out") == 0, "the first three in line order, and a count: %s",
	    report);

	tap_ok(users_parse_skip_bad(&u, good, strlen(good), &nbad, report,
	    sizeof(report)) == 0 &&
	    nbad == 0 && report[0] == '\0' && u.n == 1,
	    "a good file: nothing left out, an empty report");
	tap_ok(users_parse_skip_bad(&u, "bad\n", 4, &nbad, report,
	    sizeof(report)) == 0 && nbad == 1 && u.n == 0 && u.v == NULL,
	    "nothing good: no accounts, one line left out");
	users_free(&u);
}

static void
test_too_many(void)
{
	struct users	 u;
	char		*text, err[256], report[USERS_REPORT_MAX];
	size_t		 i, off = 0, cap = (size_t)(USERS_MAX + 1) * 96, nbad;

	users_init(&u);
	if ((text = malloc(cap)) == NULL) {
		tap_ok(0, "malloc");
		return;
	}
	for (i = 0; i < USERS_MAX + 1; i++)
		off += (size_t)snprintf(text + off, cap - off, "u%zu:%s\n", i,
		    H_PBKDF2);
	tap_ok(users_parse(&u, text, off, err, sizeof(err)) == -1 &&
	    strstr(err, "too many users") != NULL,
	    "more than USERS_MAX users refused: %s", err);
	tap_ok(users_parse_skip_bad(&u, text, off, &nbad, report,
	    sizeof(report)) == 0 && u.n == USERS_MAX && nbad == 1 &&
	    strcmp(report, "line 100001: too many users") == 0,
	    "skipping: the first USERS_MAX are kept: %s", report);
	free(text);
	users_free(&u);
}

static void
test_edit_and_format(void)
{
	struct users	 u, u2;
	char		*s, err[256];
	size_t		 len;

	users_init(&u);
	users_init(&u2);
	tap_ok(users_add(&u, "carol", H_PBKDF2) == 0 &&
	    users_add(&u, "alice", H_ARGON2) == 0 &&
	    users_add(&u, "bob", H_PBKDF2) == 0 && u.n == 3, "add three users");
	tap_ok(users_add(&u, "alice", H_PBKDF2) == -1, "add refuses a "
	    "duplicate");
	tap_ok(users_add(&u, "Dave", H_PBKDF2) == -1, "add refuses a bad name");
	tap_ok(users_add(&u, "dave", "$pbkdf2-sha256$1000$$x") == -1,
	    "add refuses a bad hash");
	tap_ok(users_add(&u, "dave", "!" H_PBKDF2) == -1,
	    "add refuses a '!' hash (locking is a flag)");
	users_find(&u, "alice")->locked = 1;

	s = users_format(&u, &len);
	tap_ok(s != NULL && strcmp(s, "carol:" H_PBKDF2 "\nalice:!" H_ARGON2
	    "\nbob:" H_PBKDF2 "\n") == 0 && len == strlen(s),
	    "format keeps order and marks the locked user");
	tap_ok(s != NULL && users_parse(&u2, s, len, err, sizeof(err)) == 0 &&
	    u2.n == 3 && strcmp(u2.v[1].name, "alice") == 0 &&
	    u2.v[1].locked && strcmp(u2.v[1].hash, H_ARGON2) == 0,
	    "parse(format(x)) == x");
	free(s);

	tap_ok(users_remove(&u, "alice") == 0 && u.n == 2 &&
	    strcmp(u.v[0].name, "carol") == 0 &&
	    strcmp(u.v[1].name, "bob") == 0, "remove keeps the order");
	tap_ok(users_remove(&u, "alice") == -1, "remove of a missing user "
	    "fails");
	users_free(&u);
	s = users_format(&u, &len);
	tap_ok(s != NULL && len == 0 && *s == '\0', "format of no users is "
	    "empty");
	free(s);
	users_free(&u2);
}

static int
write_file(const char *path, const char *text, mode_t mode)
{
	size_t	 len = strlen(text);
	int	 fd, ok;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) == -1)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	return close(fd) == 0 && ok ? 0 : -1;
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
test_save_load(void)
{
	struct users	 u, u2;
	char		 path[PATH_MAX], tmp[PATH_MAX], lock[PATH_MAX];
	char		 link[PATH_MAX], err[512];

	users_init(&u);
	users_init(&u2);
	path_in_dir(path, sizeof(path), "users");
	path_in_dir(tmp, sizeof(tmp), "users.tmp");
	path_in_dir(lock, sizeof(lock), "users.lock");
	users_add(&u, "alice", H_ARGON2);
	users_add(&u, "bob", H_PBKDF2);
	users_find(&u, "bob")->locked = 1;

	umask(0);
	tap_ok(users_save(&u, path, err, sizeof(err)) == 0, "save %s", err);
	tap_ok(file_mode(path) == 0600, "saved file is 0600 even with umask "
	    "0 (%04o)", file_mode(path));
	tap_ok(access(tmp, F_OK) == -1, "no temporary file is left");
	tap_ok(file_mode(lock) == 0600, "lock file is 0600");
	tap_ok(users_load(&u2, path, err, sizeof(err)) == 0 && u2.n == 2 &&
	    strcmp(u2.v[1].name, "bob") == 0 && u2.v[1].locked &&
	    strcmp(u2.v[1].hash, H_PBKDF2) == 0, "load gives what was saved");

	/* A stale temporary file from a crash does not get in the way. */
	tap_ok(write_file(tmp, "junk\n", 0644) == 0, "a stale %s", tmp);
	users_remove(&u, "alice");
	umask(077);
	tap_ok(users_save(&u, path, err, sizeof(err)) == 0 &&
	    file_mode(path) == 0600 && access(tmp, F_OK) == -1,
	    "save over a stale temporary file; 0600 with umask 077");
	tap_ok(users_load(&u2, path, err, sizeof(err)) == 0 && u2.n == 1 &&
	    strcmp(u2.v[0].name, "bob") == 0, "load after the second save");
	umask(022);

	chmod(path, 0640);
	tap_ok(users_load(&u2, path, err, sizeof(err)) == -1 &&
	    strstr(err, "Permissions 0640 for '") != NULL &&
	    strstr(err, "too open") != NULL && u2.n == 0,
	    "mode 0640 refused: %s", err);
	chmod(path, 0604);
	tap_ok(users_load(&u2, path, err, sizeof(err)) == -1,
	    "mode 0604 refused");
	chmod(path, 0400);
	tap_ok(users_load(&u2, path, err, sizeof(err)) == 0,
	    "mode 0400 accepted");
	chmod(path, 0600);

	path_in_dir(link, sizeof(link), "users-link");
	tap_ok(symlink(path, link) == 0 &&
	    users_load(&u2, link, err, sizeof(err)) == -1,
	    "a symbolic link is refused: %s", err);
	unlink(link);
	tap_ok(users_load(&u2, dir, err, sizeof(err)) == -1,
	    "a directory is refused: %s", err);

	path_in_dir(link, sizeof(link), "missing");
	errno = 0;
	tap_ok(users_load(&u2, link, err, sizeof(err)) == -1 &&
	    errno == ENOENT, "a missing file fails with ENOENT: %s", err);

	/* A bad line: the message names the file and the line. */
	write_file(link, "alice:" H_PBKDF2 "\nBob:" H_PBKDF2 "\n", 0600);
	tap_ok(users_load(&u2, link, err, sizeof(err)) == -1 &&
	    strstr(err, "missing: line 2: invalid user name") != NULL,
	    "a bad file is refused: %s", err);
	unlink(link);

	path_in_dir(link, sizeof(link), "nodir/users");
	tap_ok(users_save(&u, link, err, sizeof(err)) == -1,
	    "save into a missing directory fails: %s", err);

	unlink(path);
	unlink(lock);
	users_free(&u);
	users_free(&u2);
}

/* key= fields and accounts without a password ("*"). */
#define K1	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="	/* 32 x 0x01 */
#define K2	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="	/* 32 x 0x02 */

static void
test_keys(void)
{
	static const struct {
		const char	*text, *err, *what;
	} bad[] = {
		{ "alice:*:key=AQEB\n", "line 1: invalid key", "a short key" },
		{ "alice:*:key=" K1 "x\n", "line 1: invalid key",
		  "a long key" },
		{ "alice:*:key=AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQF=\n",
		  "line 1: invalid key", "non-zero unused bits" },
		{ "alice:*:key=" K1 ":key=" K1 "\n", "line 1: duplicate key",
		  "the same key twice" },
		{ "alice:*:kex=" K1 "\n", "line 1: unknown field after the "
		  "hash", "an unknown field" },
		{ "alice:*:\n", "line 1: unknown field after the hash",
		  "an empty field" },
		{ "alice:**\n", "line 1: invalid password hash", "\"**\"" },
		{ "alice::key=" K1 "\n", "line 1: invalid password hash",
		  "no hash before the keys" },
	};
	struct users	 u;
	struct user_entry *e;
	uint8_t		 k[32];
	char		 err[256], text[4096], *out;
	size_t		 i, n, len;

	users_init(&u);
	tap_ok(parse_str(&u, "alice:*:key=" K1 ":key=" K2 "\n"
	    "bob:!" H_PBKDF2 ":key=" K2 "\ncarol:*\n", err,
	    sizeof(err)) == 0 && u.n == 3, "keys and \"*\" parse: %s", err);
	e = users_find(&u, "alice");
	memset(k, 2, sizeof(k));
	tap_ok(e != NULL && e->nkeys == 2 && users_no_password(e) &&
	    !e->locked && users_key_find(e, k) == 1, "alice: two keys, no "
	    "password");
	e = users_find(&u, "bob");
	tap_ok(e != NULL && e->nkeys == 1 && e->locked &&
	    !users_no_password(e), "bob: locked, one key");
	out = users_format(&u, &len);
	tap_ok(out != NULL && strcmp(out, "alice:*:key=" K1 ":key=" K2 "\n"
	    "bob:!" H_PBKDF2 ":key=" K2 "\ncarol:*\n") == 0,
	    "format writes them back");
	free(out);
	e = users_find(&u, "carol");
	memset(k, 7, sizeof(k));
	tap_ok(users_key_add(e, k) == 1 && users_key_add(e, k) == 0 &&
	    e->nkeys == 1, "add a key, and again");
	tap_ok(users_key_del(e, k) == 0 && e->nkeys == 0 &&
	    users_key_del(e, k) == -1, "delete it, and again");
	for (i = 0; i < 16; i++) {
		memset(k, (int)i + 10, sizeof(k));
		(void)users_key_add(e, k);
	}
	memset(k, 99, sizeof(k));
	tap_ok(e->nkeys == 16 && users_key_add(e, k) == -1,
	    "no 17th key");
	users_free(&u);

	n = (size_t)snprintf(text, sizeof(text), "alice:*");
	for (i = 0; i < 17; i++) {
		memset(k, (int)i + 1, sizeof(k));
		n += (size_t)snprintf(text + n, sizeof(text) - n, ":key=");
		n += (size_t)b64_encode(k, sizeof(k), text + n,
		    sizeof(text) - n);
	}
	snprintf(text + n, sizeof(text) - n, "\n");
	tap_ok(parse_str(&u, text, err, sizeof(err)) == -1 &&
	    strcmp(err, "line 1: too many keys") == 0,
	    "17 keys are refused: %s", err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(parse_str(&u, bad[i].text, err, sizeof(err)) == -1 &&
		    strcmp(err, bad[i].err) == 0, "refused, %s: %s",
		    bad[i].what, err);
	users_free(&u);
}

int
main(void)
{
	const char	*t;

	if (sodium_init() == -1) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	if ((t = getenv("TMPDIR")) == NULL || *t == '\0')
		t = "/tmp";
	snprintf(dir, sizeof(dir), "%s/test-users.XXXXXX", t);
	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp %s: %s", dir, strerror(errno));
		return tap_done();
	}
	test_parse_good();
	test_parse_bad();
	test_parse_many();
	test_long_hashes();
	test_skip_bad();
	test_too_many();
	test_edit_and_format();
	test_save_load();
	test_keys();
	if (rmdir(dir) == -1)
		tap_diag("cannot remove %s: %s", dir, strerror(errno));
	return tap_done();
}
