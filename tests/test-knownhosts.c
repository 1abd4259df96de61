/*
 * test-knownhosts.c: the known_hosts parser, lookup and append.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "knownhosts.h"
#include "tap.h"
#include "util.h"

/* Two keys in base64 (bytes 0x01.. and 0x02..) and a 31-byte one. */
#define KEY1_B64	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KEY2_B64	"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define SHORT_B64	"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=="

static uint8_t	 key1[KEY_LEN], key2[KEY_LEN], key3[KEY_LEN];

/* Parse text; return 0/-1 and leave the error line in *errline. */
static int
parse(const char *text, struct knownhosts *kh, size_t *errline, char *err,
    size_t errlen)
{
	*errline = 0;
	return kh_parse(kh, text, strlen(text), err, errlen, errline);
}

static void
expect_bad(const char *text, size_t line, const char *what, const char *needle)
{
	struct knownhosts	 kh;
	char			 err[256] = "";
	size_t			 errline;
	int			 rc;

	kh_init(&kh);
	rc = parse(text, &kh, &errline, err, sizeof(err));
	tap_ok(rc == -1 && errline == line && strstr(err, needle) != NULL,
	    "rejects %s at line %zu (\"%s\")", what, line, err);
	kh_free(&kh);
}

static void
test_good_file(void)
{
	struct knownhosts	 kh;
	const char		*text =
	    "# known servers\n"
	    "\n"
	    "   \t\n"
	    "chat.example.org:7777 secchat-x25519 " KEY1_B64 "\n"
	    "  # indented comment\n"
	    "[::1]:7777 secchat-x25519 " KEY2_B64 " my laptop\n"
	    "Chat.Example.ORG:10000\tsecchat-x25519\t" KEY2_B64 "\n"
	    "[fe80::1%eth0]:1 secchat-x25519 " KEY1_B64;	/* no newline */
	char			 err[256];
	size_t			 errline, line;
	int			 rc;

	kh_init(&kh);
	rc = parse(text, &kh, &errline, err, sizeof(err));
	tap_ok(rc == 0, "good file parses");
	tap_ok(kh.n == 4, "four entries (got %zu)", kh.n);
	if (kh.n != 4) {
		kh_free(&kh);
		return;
	}
	tap_ok(strcmp(kh.entries[0].hostport, "chat.example.org:7777") == 0 &&
	    kh.entries[0].line == 4 &&
	    memcmp(kh.entries[0].pub, key1, KEY_LEN) == 0,
	    "first entry: host, line 4, key");
	tap_ok(strcmp(kh.entries[1].hostport, "[::1]:7777") == 0 &&
	    kh.entries[1].line == 6 &&
	    memcmp(kh.entries[1].pub, key2, KEY_LEN) == 0,
	    "bracketed IPv6 entry with a comment after the key");
	tap_ok(strcmp(kh.entries[2].hostport, "chat.example.org:10000") == 0,
	    "host names are lowercased, tabs separate fields");
	tap_ok(strcmp(kh.entries[3].hostport, "[fe80::1%eth0]:1") == 0 &&
	    kh.entries[3].line == 8, "last line without newline");

	line = 0;
	tap_ok(kh_lookup(&kh, "chat.example.org:7777", key1, &line) ==
	    KH_MATCH && line == 4, "lookup: match, line 4");
	line = 0;
	tap_ok(kh_lookup(&kh, "chat.example.org:7777", key2, &line) ==
	    KH_MISMATCH && line == 4, "lookup: mismatch reports line 4");
	tap_ok(kh_lookup(&kh, "chat.example.org:9998", key1, NULL) ==
	    KH_UNKNOWN, "lookup: other port is unknown");
	tap_ok(kh_lookup(&kh, "other.example.org:7777", key1, NULL) ==
	    KH_UNKNOWN, "lookup: other host is unknown");
	line = 0;
	tap_ok(kh_lookup(&kh, "[::1]:7777", key2, &line) == KH_MATCH &&
	    line == 6, "lookup: IPv6 match, line 6");
	line = 0;
	tap_ok(kh_lookup(&kh, "[::1]:7777", key3, &line) == KH_MISMATCH &&
	    line == 6, "lookup: IPv6 mismatch, line 6");
	tap_ok(kh_lookup(&kh, "::1:7777", key2, NULL) == KH_UNKNOWN,
	    "lookup: unbracketed spelling does not match");
	kh_free(&kh);
}

static void
test_duplicate_hosts(void)
{
	struct knownhosts	 kh;
	const char		*text =
	    "h:1 secchat-x25519 " KEY1_B64 "\n"
	    "h:1 secchat-x25519 " KEY2_B64 "\n";
	char			 err[256];
	size_t			 errline, line = 0;

	kh_init(&kh);
	tap_ok(parse(text, &kh, &errline, err, sizeof(err)) == 0,
	    "two keys for one host parse");
	tap_ok(kh_lookup(&kh, "h:1", key2, &line) == KH_MATCH && line == 2,
	    "second key for the host matches at line 2");
	line = 0;
	tap_ok(kh_lookup(&kh, "h:1", key3, &line) == KH_MISMATCH && line == 1,
	    "mismatch names the first line for the host");
	kh_free(&kh);
}

static void
test_bad_files(void)
{
	char	 longline[KH_LINE_MAX + 64];
	char	 nul[] = "h:1 secchat-x25519 " KEY1_B64 "\n\0\n";
	struct knownhosts kh;
	char	 err[256];
	size_t	 errline = 0;

	expect_bad("# ok\nh:1 secchat-x25519 " KEY1_B64 "\n"
	    "h:1 secchat-x25519 AQEBAQEBAQEBAQEBAQEB*QEBAQEBAQEBAQEBAQEBAQE=\n",
	    3, "bad base64", "bad key");
	expect_bad("h:1 secchat-x25519 " SHORT_B64 "\n", 1,
	    "a 31-byte key", "bad key");
	expect_bad("h:1 secchat-x25519 " KEY1_B64 "AAAA\n", 1,
	    "a 35-byte key", "bad key");
	expect_bad("\n\nh:1 secchat-x25519\n", 3, "a missing key",
	    "missing key");
	expect_bad("h:1\n", 1, "a missing key type", "missing key type");
	expect_bad("h:1 ssh-ed25519 " KEY1_B64 "\n", 1, "another key type",
	    "unknown key type");
	expect_bad("h secchat-x25519 " KEY1_B64 "\n", 1, "a missing port",
	    "HOST:PORT");
	expect_bad("h:0 secchat-x25519 " KEY1_B64 "\n", 1, "port 0",
	    "HOST:PORT");
	expect_bad("h:65536 secchat-x25519 " KEY1_B64 "\n", 1, "port 65536",
	    "HOST:PORT");
	expect_bad("h:07777 secchat-x25519 " KEY1_B64 "\n", 1,
	    "a port with a leading zero", "HOST:PORT");
	expect_bad("::1:7777 secchat-x25519 " KEY1_B64 "\n", 1,
	    "an unbracketed IPv6 address", "HOST:PORT");
	expect_bad("[::1:7777 secchat-x25519 " KEY1_B64 "\n", 1,
	    "an unclosed bracket", "HOST:PORT");
	expect_bad("[::1] secchat-x25519 " KEY1_B64 "\n", 1,
	    "a bracketed address without a port", "HOST:PORT");
	expect_bad("[host]:1 secchat-x25519 " KEY1_B64 "\n", 1,
	    "a bracketed name", "HOST:PORT");
	expect_bad(":1 secchat-x25519 " KEY1_B64 "\n", 1, "an empty host",
	    "HOST:PORT");
	expect_bad("h\x1b[2J:1 secchat-x25519 " KEY1_B64 "\n", 1,
	    "an escape byte", "control character");
	expect_bad("h:1 secchat-x25519 " KEY1_B64 "\r\n", 1,
	    "a carriage return", "control character");

	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "h:1 secchat-x25519 " KEY1_B64 " ",
	    strlen("h:1 secchat-x25519 " KEY1_B64 " "));
	expect_bad(longline, 1, "an over-long line", "too long");

	kh_init(&kh);
	tap_ok(kh_parse(&kh, nul, sizeof(nul) - 1, err, sizeof(err),
	    &errline) == -1 && errline == 2, "rejects a NUL byte at line 2");
	kh_free(&kh);
}

static void
test_hostport(void)
{
	char	 hp[KH_HOSTPORT_MAX];
	char	 big[300];

	tap_ok(kh_hostport("Chat.Example.org", 7777, hp, sizeof(hp)) == 0 &&
	    strcmp(hp, "chat.example.org:7777") == 0, "hostport: name");
	tap_ok(kh_hostport("::1", 7777, hp, sizeof(hp)) == 0 &&
	    strcmp(hp, "[::1]:7777") == 0, "hostport: IPv6 is bracketed");
	tap_ok(kh_hostport("127.0.0.1", 1, hp, sizeof(hp)) == 0 &&
	    strcmp(hp, "127.0.0.1:1") == 0, "hostport: IPv4");
	tap_ok(kh_hostport("", 7777, hp, sizeof(hp)) == -1,
	    "hostport: empty host refused");
	tap_ok(kh_hostport("a b", 7777, hp, sizeof(hp)) == -1,
	    "hostport: space refused");
	tap_ok(kh_hostport("h", 0, hp, sizeof(hp)) == -1 &&
	    kh_hostport("h", 65536, hp, sizeof(hp)) == -1,
	    "hostport: port out of range refused");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tap_ok(kh_hostport(big, 1, hp, sizeof(hp)) == -1,
	    "hostport: over-long host refused");
	tap_ok(kh_hostport("h", 7777, hp, 5) == -1,
	    "hostport: short output buffer refused");
}

static void
test_add(void)
{
	char			 dir[] = "/tmp/test-knownhosts.XXXXXX";
	char			 path[512], sub[256], err[768], line[512];
	char			*text;
	struct knownhosts	 kh;
	struct stat		 st;
	size_t			 len, errline;
	int			 n;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(sub, sizeof(sub), "%s/config/secchat", dir);
	snprintf(path, sizeof(path), "%s/known_hosts", sub);

	tap_ok(kh_add(path, "[::1]:7777", key1, err, sizeof(err)) == 0,
	    "add creates the file and its directories");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	    "new file has mode 0600");
	tap_ok(stat(sub, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_mode & 077) == 0, "new directory is private");
	tap_ok(kh_add(path, "h:1", key2, err, sizeof(err)) == 0,
	    "a second add appends");

	n = kh_format_line("[::1]:7777", key1, line, sizeof(line));
	text = read_small_file(path, 4096, &len);
	tap_ok(text != NULL && n > 0 && strncmp(text, line, (size_t)n) == 0,
	    "first line is the formatted entry");

	kh_init(&kh);
	tap_ok(text != NULL && kh_parse(&kh, text, len, err, sizeof(err),
	    &errline) == 0 && kh.n == 2, "written file parses back");
	tap_ok(kh_lookup(&kh, "[::1]:7777", key1, NULL) == KH_MATCH &&
	    kh_lookup(&kh, "h:1", key2, NULL) == KH_MATCH,
	    "both added keys match");
	kh_free(&kh);
	free(text);

	/* A file without a final newline gets one before the new line. */
	unlink(path);
	{
		FILE *fp = fopen(path, "w");
		if (fp != NULL) {
			fputs("a:1 secchat-x25519 " KEY1_B64, fp);
			fclose(fp);
		}
	}
	tap_ok(kh_add(path, "b:2", key2, err, sizeof(err)) == 0,
	    "add to a file lacking a final newline");
	kh_init(&kh);
	tap_ok(kh_load(&kh, path, err, sizeof(err)) == 0 && kh.n == 2 &&
	    kh.entries[1].line == 2, "the new entry is on its own line");
	kh_free(&kh);

	kh_init(&kh);
	snprintf(line, sizeof(line), "%s/missing", dir);
	tap_ok(kh_load(&kh, line, err, sizeof(err)) == 0 && kh.n == 0,
	    "a missing file is an empty list");
	kh_free(&kh);

	{
		FILE *fp = fopen(path, "a");
		if (fp != NULL) {
			fputs("junk\n", fp);
			fclose(fp);
		}
	}
	kh_init(&kh);
	tap_ok(kh_load(&kh, path, err, sizeof(err)) == -1 &&
	    strstr(err, path) != NULL && strstr(err, "line 3") != NULL,
	    "load error names the file and line (%s)", err);
	kh_free(&kh);

	unlink(path);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/config", dir);
	rmdir(sub);
	rmdir(dir);
}

int
main(void)
{
	if (sodium_init() == -1) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	memset(key1, 1, sizeof(key1));
	memset(key2, 2, sizeof(key2));
	memset(key3, 3, sizeof(key3));
	test_good_file();
	test_duplicate_hosts();
	test_bad_files();
	test_hostport();
	test_add();
	return tap_done();
}
