/*
 * test-cliconf: the client's configuration file (the parser over a
 * buffer, Host patterns, the first value winning, the command line
 * winning over the file) and secchat -R's filter of known_hosts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cliconf.h"
#include "khremove.h"
#include "options.h"
#include "tap.h"

static int
parse(struct cliconf *cf, const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	return cliconf_parse(cf, "cfg", text, strlen(text), err, errlen);
}

/* A parse error, and that it names this line. */
static void
bad(const char *text, const char *want, const char *what)
{
	struct cliconf	 cf;
	char		 err[256];
	int		 rc;

	cliconf_init(&cf);
	rc = parse(&cf, text, err, sizeof(err));
	tap_ok(rc == -1 && strstr(err, want) != NULL, "%s (%s)", what, err);
	cliconf_free(&cf);
}

static int
apply_set(void *arg, const char *key, const char *val, char *err,
    size_t errlen)
{
	return opt_set(arg, key, val, 1, err, errlen);
}

static void
test_patterns(void)
{
	tap_ok(cliconf_pattern_match("*", "anything"), "* matches all");
	tap_ok(cliconf_pattern_match("*", ""), "* matches empty");
	tap_ok(cliconf_pattern_match("chat.*.org", "chat.example.org"),
	    "* in the middle");
	tap_ok(!cliconf_pattern_match("chat.*.org", "chat.example.net"),
	    "the rest must match too");
	tap_ok(cliconf_pattern_match("h?st", "host"), "? is one character");
	tap_ok(!cliconf_pattern_match("h?st", "hst"), "? is not none");
	tap_ok(cliconf_pattern_match("CHAT.Example.ORG", "chat.example.org"),
	    "without regard to case");
	tap_ok(cliconf_pattern_match("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaab"),
	    "several stars");
	tap_ok(!cliconf_pattern_match(
	    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
	    "many stars, no match, in reasonable time");
	tap_ok(!cliconf_pattern_match("host", "host2"), "no prefix match");
}

static void
test_parse(void)
{
	struct cliconf	 cf;
	char		 err[256];
	const char	*text =
	    "# a comment\n"
	    "\n"
	    "Port 7000\n"
	    "Host work *.corp.example !old.corp.example\n"
	    "\tUser alice\n"
	    "  IdentityFile = \"/keys/my work key\"\r\n"
	    "Host *\n"
	    "    User=bob\n"
	    "    ServerAliveInterval 10";

	cliconf_init(&cf);
	tap_ok(parse(&cf, text, err, sizeof(err)) == 0, "a file parses (%s)",
	    err);
	tap_ok(cf.nitems == 5 && cf.nblocks == 3, "5 items in 3 blocks");
	tap_ok(cf.nitems == 5 && strcmp(cf.items[0].key, "Port") == 0 &&
	    strcmp(cf.items[0].value, "7000") == 0 && cf.items[0].block == 0 &&
	    cf.items[0].line == 3, "Port before any Host: block 0, line 3");
	tap_ok(cf.nitems == 5 && strcmp(cf.items[2].value,
	    "/keys/my work key") == 0, "a quoted value is taken whole, "
	    "CR and '=' handled");
	tap_ok(cf.nitems == 5 && strcmp(cf.items[3].value, "bob") == 0 &&
	    cf.items[3].line == 8, "Key=value");
	tap_ok(cf.nblocks == 3 && cf.blocks[1].npatterns == 3 &&
	    strcmp(cf.blocks[1].patterns[2], "!old.corp.example") == 0,
	    "a Host line's patterns");
	tap_ok(cliconf_block_matches(&cf.blocks[1], "a.corp.example") &&
	    cliconf_block_matches(&cf.blocks[1], "WORK") &&
	    !cliconf_block_matches(&cf.blocks[1], "old.corp.example") &&
	    !cliconf_block_matches(&cf.blocks[1], "other"),
	    "a block matches by its patterns, ! excludes");
	cliconf_free(&cf);

	bad("Port 1\nFrobnicate yes\n", "cfg line 2: unknown keyword "
	    "\"Frobnicate\"", "an unknown keyword names its line");
	bad("\n\nUser\n", "line 3: User wants a value", "a missing value");
	bad("Host\n", "line 1: Host wants a value", "Host without patterns");
	bad("Host a !\n", "line 1: \"!\" without", "a lone !");
	bad("User \"alice\n", "line 1: unterminated quote", "an open quote");
	bad("User \"alice\" x\n", "line 1: text after", "text after quotes");
	bad("Match host x\n", "line 1: Match", "Match is refused");
	bad("User al\x1b[2Jice\n", "line 1: control character",
	    "a control character");
	{
		char	 big[CLICONF_LINE_MAX + 32];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "User ", 5);
		bad(big, "line 1: longer than", "an over-long line");
	}
	{
		struct cliconf	 c2;
		const char	 nul[] = "User a\nPort 1\0\n";

		cliconf_init(&c2);
		tap_ok(cliconf_parse(&c2, "cfg", nul, sizeof(nul) - 1, err,
		    sizeof(err)) == -1 && strstr(err, "line 2: NUL") != NULL,
		    "a NUL byte (%s)", err);
		cliconf_free(&c2);
	}
	cliconf_init(&cf);
	tap_ok(parse(&cf, "", err, sizeof(err)) == 0 && cf.nitems == 0,
	    "an empty file");
	cliconf_free(&cf);
}

/* Run opt_parse on argv, then the file for host, as secchat does. */
static int
configure(struct options *o, const char *text, const char *host,
    const char **args, char *err, size_t errlen)
{
	struct cliconf	 cf;
	char		*argv[16];
	int		 argc = 0, rc;

	argv[argc++] = (char *)"secchat";
	while (*args != NULL && argc < 15)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	optind = 1;
	opt_parse(o, argc, argv);
	cliconf_init(&cf);
	rc = parse(&cf, text, err, errlen);
	if (rc == 0)
		rc = cliconf_apply(&cf, host, apply_set, o, err, errlen);
	cliconf_give(&cf, &o->owned, &o->nowned);
	cliconf_free(&cf);
	return rc;
}

static void
test_precedence(void)
{
	struct options	 o;
	char		 err[256];
	const char	*text =
	    "Host chat.example.org\n"
	    "  User alice\n"
	    "  Port 7000\n"
	    "  IdentityFile ~/work-id\n"
	    "  Reconnect no\n"
	    "Host *.example.org\n"
	    "  User bob\n"
	    "  Port 7001\n"
	    "  ServerAliveInterval 5\n"
	    "Host *\n"
	    "  Port 7002\n"
	    "  LogDir /tmp/logs\n"
	    "  StrictHostKeyChecking yes\n";
	const char	*none[] = { NULL };
	const char	*cmdline[] = { "-p", "8000", "-o", "user=carol",
			    "-o", "ServerAliveInterval=0", NULL };
	const char	*bad_args[] = { NULL };

	setenv("HOME", "/home/tester", 1);
	tap_ok(configure(&o, text, "chat.example.org", none, err,
	    sizeof(err)) == 0, "the file applies (%s)", err);
	tap_ok(o.user != NULL && strcmp(o.user, "alice") == 0,
	    "the first matching User wins");
	tap_ok(strcmp(o.port, "7000") == 0, "the first matching Port wins");
	tap_ok(o.identity != NULL && strcmp(o.identity,
	    "/home/tester/work-id") == 0, "~/ in IdentityFile is $HOME");
	tap_ok(o.reconnect == 0, "Reconnect no");
	tap_ok(o.alive_interval == 5, "a later block gives what the first "
	    "did not");
	tap_ok(o.log == 1 && o.log_dir != NULL &&
	    strcmp(o.log_dir, "/tmp/logs") == 0, "LogDir turns logging on");
	tap_ok(o.policy == HK_STRICT, "Host * applies too");
	opt_free(&o);

	tap_ok(configure(&o, text, "other.host", none, err, sizeof(err)) ==
	    0 && o.user == NULL && strcmp(o.port, "7002") == 0 &&
	    o.reconnect == OPT_AUTO && o.alive_interval == 30,
	    "another host gets only Host *, and the defaults");
	opt_free(&o);

	tap_ok(configure(&o, text, "chat.example.org", cmdline, err,
	    sizeof(err)) == 0, "with a command line (%s)", err);
	tap_ok(strcmp(o.port, "8000") == 0 && o.user != NULL &&
	    strcmp(o.user, "carol") == 0 && o.alive_interval == 0,
	    "the command line wins over the file (-p, -o, any case)");
	tap_ok(o.identity != NULL && o.reconnect == 0,
	    "what the command line leaves is still taken from the file");
	opt_free(&o);

	tap_ok(configure(&o, "Host x\nPort 70019\n", "x", bad_args, err,
	    sizeof(err)) == -1 && strstr(err, "cfg line 2: port 70019") !=
	    NULL, "a bad value names its line (%s)", err);
	opt_free(&o);
	tap_ok(configure(&o, "Host x\nUser Not-Valid!\n", "x", bad_args, err,
	    sizeof(err)) == -1 && strstr(err, "line 2: invalid user") != NULL,
	    "a bad user name names its line (%s)", err);
	opt_free(&o);
	tap_ok(configure(&o, "Host y\nPort 70019\n", "x", bad_args, err,
	    sizeof(err)) == 0, "a block that does not match is not checked "
	    "for values");
	opt_free(&o);
	tap_ok(configure(&o, "AddressFamily inet6\nReconnect yes\n"
	    "ServerAliveCountMax 5\nKnownHostsFile ~/kh\n", "x", bad_args, err,
	    sizeof(err)) == 0 && o.family != 0 && o.reconnect == 1 &&
	    o.alive_count_max == 5 && o.known_hosts != NULL &&
	    strcmp(o.known_hosts, "/home/tester/kh") == 0,
	    "AddressFamily, Reconnect, ServerAliveCountMax, KnownHostsFile");
	opt_free(&o);
}

static void
count_removed(void *arg, const struct kh_entry *e)
{
	(void)e;
	(*(int *)arg)++;
}

static void
test_remove(void)
{
	struct khr_spec	 sp;
	char		 err[256], *out;
	size_t		 outlen;
	int		 n, seen;
	const char	*kh =
	    "# my servers\n"
	    "chat.example.org:7001 secchat-x25519 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= first\n"
	    "chat.example.org:7000 secchat-x25519 "
	    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE= second\n"
	    "[::1]:7001 secchat-x25519 "
	    "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n"
	    "other.example.org:7001 secchat-x25519 "
	    "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n";

	tap_ok(khr_spec("chat.example.org:7000", &sp) == 0 &&
	    strcmp(sp.exact, "chat.example.org:7000") == 0, "host:port");
	tap_ok(khr_spec("CHAT.example.org", &sp) == 0 &&
	    strcmp(sp.prefix, "chat.example.org") == 0 &&
	    khr_matches(&sp, "chat.example.org:1") &&
	    !khr_matches(&sp, "chat.example.org.evil:1"),
	    "a host alone names every port, and only that host");
	tap_ok(khr_spec("::1", &sp) == 0 && khr_matches(&sp, "[::1]:7001"),
	    "a bare IPv6 address");
	tap_ok(khr_spec("[::1]:7001", &sp) == 0 &&
	    khr_matches(&sp, "[::1]:7001"), "[v6]:port");
	tap_ok(khr_spec("", &sp) == -1 && khr_spec("bad host", &sp) == -1,
	    "an empty or spaced host is refused");

	(void)khr_spec("chat.example.org:7000", &sp);
	seen = 0;
	n = khr_filter(kh, strlen(kh), &sp, &out, &outlen, count_removed,
	    &seen, err, sizeof(err));
	tap_ok(n == 1 && seen == 1 && strstr(out, "second") == NULL &&
	    strstr(out, "first") != NULL && strstr(out, "# my servers\n") ==
	    out, "host:port removes that line only, the comment kept");
	free(out);
	(void)khr_spec("chat.example.org", &sp);
	n = khr_filter(kh, strlen(kh), &sp, &out, &outlen, NULL, NULL, err,
	    sizeof(err));
	tap_ok(n == 2 && strstr(out, "chat.example.org") == NULL &&
	    strstr(out, "other.example.org") != NULL && outlen == strlen(out),
	    "host removes every port's line");
	free(out);
	(void)khr_spec("nowhere", &sp);
	n = khr_filter(kh, strlen(kh), &sp, &out, &outlen, NULL, NULL, err,
	    sizeof(err));
	tap_ok(n == 0 && strcmp(out, kh) == 0, "nothing found: unchanged");
	free(out);
	n = khr_filter("garbage line\n", 13, &sp, &out, &outlen, NULL, NULL,
	    err, sizeof(err));
	tap_ok(n == -1 && strstr(err, "line 1") != NULL,
	    "a damaged file is refused (%s)", err);
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	test_patterns();
	test_parse();
	test_precedence();
	test_remove();
	return tap_done();
}
