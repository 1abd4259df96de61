/*
 * test-config.c: secchatd.conf parsing, errors and -T output.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "util.h"
#include "wire.h"
#include "tap.h"

#define DEFAULT_PORT	"9999"	/* the built-in default Port */

static struct config	 cfg;
static char		 err[512];

/* Defaults, then text; the result is in cfg and err. */
static int
parse(const char *text)
{
	config_defaults(&cfg);
	return config_parse(&cfg, text, strlen(text), "t.conf", err,
	    sizeof(err));
}

static int
parse_len(const char *text, size_t len)
{
	config_defaults(&cfg);
	return config_parse(&cfg, text, len, "t.conf", err, sizeof(err));
}

static void
check_error(int rv, const char *want, const char *what)
{
	int	 ok = rv == -1 && strcmp(err, want) == 0;

	tap_ok(ok, "%s", what);
	if (!ok)
		tap_diag("got %d \"%s\", want \"%s\"", rv, err, want);
}

static void
fails(const char *text, const char *want, const char *what)
{
	check_error(parse(text), want, what);
}

static int
parses(const char *text)
{
	int	 rv = parse(text);

	if (rv != 0)
		tap_diag("unexpected error: %s", err);
	return rv == 0;
}

/* config_print's output, NUL-terminated; the caller frees it. */
static char *
printed(const struct config *c)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&out, &len)) == NULL) {
		perror("open_memstream");
		exit(1);
	}
	config_print(c, fp);
	fclose(fp);
	return out;
}

/* Does out hold exactly this line? */
static int
has_line(const char *out, const char *line)
{
	size_t	 n = strlen(line);
	const char *p;

	for (p = out; (p = strstr(p, line)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return 1;
	return 0;
}

static int
count_lines(const char *s)
{
	int	 n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

static void
test_defaults(void)
{
	config_defaults(&cfg);
	tap_ok(cfg.nlisten == 2 &&
	    strcmp(cfg.listen[0].host, "127.0.0.1") == 0 &&
	    cfg.listen[0].port[0] == '\0' &&
	    strcmp(cfg.listen[1].host, "::1") == 0 &&
	    cfg.listen[1].port[0] == '\0', "default: listen on 127.0.0.1, ::1");
	tap_ok(strcmp(cfg.port, DEFAULT_PORT) == 0, "default: Port 9999");
	tap_ok(strcmp(cfg.hostkey, SYSCONFDIR "/secchat/host_key") == 0,
	    "default: HostKey");
	tap_ok(strcmp(cfg.usersfile, SYSCONFDIR "/secchat/users") == 0,
	    "default: UsersFile");
	tap_ok(strcmp(cfg.pidfile, RUNSTATEDIR "/secchatd.pid") == 0,
	    "default: PidFile");
	tap_ok(strcmp(cfg.control_socket, RUNSTATEDIR "/secchatd.sock") == 0,
	    "default: ControlSocket");
	tap_ok(strcmp(cfg.privsep_user, PRIVSEP_USER) == 0,
	    "default: PrivsepUser");
	tap_ok(strcmp(cfg.privsep_dir, PRIVSEP_PATH) == 0,
	    "default: PrivsepDirectory");
	tap_ok(cfg.nsuites == 2 && cfg.suites[0] == SUITE_AESGCM &&
	    cfg.suites[1] == SUITE_CHACHAPOLY, "default: Ciphers");
	tap_ok(cfg.login_grace == 30 && cfg.max_auth_tries == 3 &&
	    cfg.max_sessions == 1024 && cfg.max_per_source == 32 &&
	    cfg.max_message == 4096 && cfg.max_rooms == 32,
	    "default: session limits");
	tap_ok(cfg.flood_burst == 20 && cfg.flood_rate == 2 &&
	    cfg.send_queue == 1048576 && cfg.history == 50,
	    "default: flood, queue and history");
	tap_ok(cfg.history_bytes == 64 * 1024 * 1024 &&
	    cfg.room_history_bytes == 256 * 1024,
	    "default: HistoryBytes 64M, RoomHistoryBytes 256K");
	tap_ok(cfg.max_per_user == 16, "default: MaxSessionsPerUser 16");
	tap_ok(cfg.alive_interval == 120 && cfg.alive_timeout == 30 &&
	    cfg.auth_fail_limit == 10 && cfg.auth_fail_window == 300 &&
	    cfg.max_auth_pending == 64, "default: keep-alive and auth limits");
	tap_ok(cfg.log_verbose == 0, "default: LogLevel INFO");
	tap_ok(parses("") && strcmp(cfg.port, DEFAULT_PORT) == 0 &&
	    cfg.nlisten == 2, "an empty file keeps the defaults");
}

static void
test_keywords(void)
{
	const char *text =
	    "# every keyword, none at its default\n"
	    "ListenAddress 10.1.2.3\n"
	    "Port 2022\n"
	    "HostKey /srv/chat/key\n"
	    "UsersFile /srv/chat/users\n"
	    "PidFile /run/chat.pid\n"
	    "PrivsepUser _chat\n"
	    "PrivsepDirectory /var/empty/chat\n"
	    "Ciphers chacha20-poly1305,aes256-gcm\n"
	    "LoginGraceTime 45\n"
	    "MaxAuthTries 10\n"
	    "MaxSessions 100\n"
	    "MaxSessionsPerSource 4\n"
	    "MaxMessageLength 60000\n"
	    "MaxRoomsPerSession 8\n"
	    "FloodBurst 5\n"
	    "FloodRate 100000\n"
	    "SendQueueSize 65536\n"
	    "HistoryLength 0\n"
	    "HistoryBytes 2M\n"
	    "RoomHistoryBytes 64K\n"
	    "MaxSessionsPerUser 3\n"
	    "ClientAliveInterval 60\n"
	    "ClientAliveTimeout 10\n"
	    "MaxAuthFailuresPerSource 3\n"
	    "AuthFailureWindow 600\n"
	    "MaxAuthPending 16\n"
	    "LogLevel DEBUG\n";

	tap_ok(parses(text), "all keywords parse");
	tap_ok(cfg.nlisten == 1 && strcmp(cfg.listen[0].host, "10.1.2.3") == 0,
	    "ListenAddress");
	tap_ok(strcmp(cfg.port, "2022") == 0, "Port");
	tap_ok(strcmp(cfg.hostkey, "/srv/chat/key") == 0, "HostKey");
	tap_ok(strcmp(cfg.usersfile, "/srv/chat/users") == 0, "UsersFile");
	tap_ok(strcmp(cfg.pidfile, "/run/chat.pid") == 0, "PidFile");
	tap_ok(strcmp(cfg.privsep_user, "_chat") == 0, "PrivsepUser");
	tap_ok(strcmp(cfg.privsep_dir, "/var/empty/chat") == 0,
	    "PrivsepDirectory");
	tap_ok(cfg.nsuites == 2 && cfg.suites[0] == SUITE_CHACHAPOLY &&
	    cfg.suites[1] == SUITE_AESGCM, "Ciphers keeps the given order");
	tap_ok(cfg.login_grace == 45, "LoginGraceTime");
	tap_ok(cfg.max_auth_tries == 10, "MaxAuthTries");
	tap_ok(cfg.max_sessions == 100, "MaxSessions");
	tap_ok(cfg.max_per_source == 4, "MaxSessionsPerSource");
	tap_ok(cfg.max_message == 60000, "MaxMessageLength");
	tap_ok(cfg.max_rooms == 8, "MaxRoomsPerSession");
	tap_ok(cfg.flood_burst == 5, "FloodBurst");
	tap_ok(cfg.flood_rate == 100000, "FloodRate");
	tap_ok(cfg.send_queue == 65536, "SendQueueSize");
	tap_ok(cfg.history == 0, "HistoryLength 0 (off)");
	tap_ok(cfg.history_bytes == 2 * 1024 * 1024, "HistoryBytes");
	tap_ok(cfg.room_history_bytes == 64 * 1024, "RoomHistoryBytes");
	tap_ok(cfg.max_per_user == 3, "MaxSessionsPerUser");
	tap_ok(cfg.alive_interval == 60, "ClientAliveInterval");
	tap_ok(cfg.alive_timeout == 10, "ClientAliveTimeout");
	tap_ok(cfg.auth_fail_limit == 3, "MaxAuthFailuresPerSource");
	tap_ok(cfg.auth_fail_window == 600, "AuthFailureWindow");
	tap_ok(cfg.max_auth_pending == 16, "MaxAuthPending");
	tap_ok(cfg.log_verbose == 1, "LogLevel DEBUG");

	tap_ok(parses("Ciphers aes256-gcm\n") && cfg.nsuites == 1 &&
	    cfg.suites[0] == SUITE_AESGCM, "Ciphers with one name");
	tap_ok(parses("LogLevel verbose\n") && cfg.log_verbose == 1,
	    "LogLevel VERBOSE, any case");
	tap_ok(parses("LogLevel Info\n") && cfg.log_verbose == 0,
	    "LogLevel INFO, any case");
	tap_ok(parses("PidFile none\n") && strcmp(cfg.pidfile, "none") == 0,
	    "PidFile none");
	tap_ok(parses("MaxAuthTries 1\nMaxMessageLength 1\nFloodRate 1\n") &&
	    cfg.max_auth_tries == 1 && cfg.max_message == 1 &&
	    cfg.flood_rate == 1, "lower bounds are allowed");
	tap_ok(parses("HistoryLength 10000\nSendQueueSize 268435456\n") &&
	    cfg.history == 10000 && cfg.send_queue == 268435456,
	    "upper bounds are allowed");
	tap_ok(parses("HistoryBytes 1024M\nRoomHistoryBytes 1073741824\n"
	    "MaxSessionsPerUser 65536\n") &&
	    cfg.history_bytes == 1073741824 &&
	    cfg.room_history_bytes == 1073741824 &&
	    cfg.max_per_user == 65536,
	    "HistoryBytes, RoomHistoryBytes, MaxSessionsPerUser: maximum");
	tap_ok(parses("HistoryBytes 64K\nRoomHistoryBytes 16384\n"
	    "MaxSessionsPerUser 1\n") && cfg.history_bytes == 65536 &&
	    cfg.room_history_bytes == 16384 && cfg.max_per_user == 1,
	    "HistoryBytes, RoomHistoryBytes, MaxSessionsPerUser: minimum");
}

static void
test_syntax(void)
{
	tap_ok(parses("pOrT 1234\n") && strcmp(cfg.port, "1234") == 0,
	    "keywords are case-insensitive");
	tap_ok(parses("Port=1234\n") && strcmp(cfg.port, "1234") == 0,
	    "Keyword=value");
	tap_ok(parses("Port = 1234\n") && strcmp(cfg.port, "1234") == 0,
	    "Keyword = value");
	tap_ok(parses("  \tPort\t1234   # the port\n") &&
	    strcmp(cfg.port, "1234") == 0, "blanks and a trailing comment");
	tap_ok(parses("# Port 1\n   # Port 2\n\n\t\n") &&
	    strcmp(cfg.port, DEFAULT_PORT) == 0, "comment and blank lines");
	tap_ok(parses("Port 1234\r\nMaxSessions 7\r\n") &&
	    strcmp(cfg.port, "1234") == 0 && cfg.max_sessions == 7,
	    "CRLF line ends");
	tap_ok(parses("Port 1234") && strcmp(cfg.port, "1234") == 0,
	    "last line without a newline");
	tap_ok(parses("Port 01234\n") && strcmp(cfg.port, "1234") == 0,
	    "Port is stored in canonical form");
	fails("Port 1234#x\n", "t.conf:1: Port: port \"1234#x\" is invalid "
	    "(allowed 0..65535)", "'#' inside a word is not a comment");
}

static void
test_quoting(void)
{
	tap_ok(parses("HostKey \"/etc/my keys/host key\"\n") &&
	    strcmp(cfg.hostkey, "/etc/my keys/host key") == 0,
	    "quoted value with blanks");
	tap_ok(parses("UsersFile \"/etc/a#b\" # comment\n") &&
	    strcmp(cfg.usersfile, "/etc/a#b") == 0, "quoted '#'");
	tap_ok(parses("Port \"1234\"\n") && strcmp(cfg.port, "1234") == 0,
	    "quoted number");
	tap_ok(parses("PidFile \"none\"\n") && strcmp(cfg.pidfile, "none") == 0,
	    "quoted none");
	tap_ok(parses("HostKey=\"/a b\"\n") && strcmp(cfg.hostkey, "/a b") == 0,
	    "quoted value after '='");
	fails("Port 1\nHostKey \"/etc/key\n", "t.conf:2: unterminated quote",
	    "unterminated quote");
	fails("HostKey /a\"b\"\n", "t.conf:1: misplaced quote",
	    "quote inside a word");
	fails("HostKey \"/a\"b\n",
	    "t.conf:1: missing blank after closing quote",
	    "junk after a closing quote");
	fails("\"Port\" 1\n", "t.conf:1: misplaced quote", "quoted keyword");
	fails("Port \"\"\n", "t.conf:1: Port: empty value",
	    "empty quoted value");
	fails("HostKey \"/a\" \"/b\"\n",
	    "t.conf:1: HostKey: extra arguments after the value",
	    "two quoted values");
}

static void
test_suffixes(void)
{
	tap_ok(parses("LoginGraceTime 2m\n") && cfg.login_grace == 120, "2m");
	tap_ok(parses("LoginGraceTime 1h\n") && cfg.login_grace == 3600, "1h");
	tap_ok(parses("LoginGraceTime 45s\n") && cfg.login_grace == 45, "45s");
	tap_ok(parses("LoginGraceTime 1m30s\n") && cfg.login_grace == 90,
	    "1m30s");
	tap_ok(parses("LoginGraceTime 1M5\n") && cfg.login_grace == 65,
	    "1M5 (upper-case unit, bare seconds last)");
	tap_ok(parses("ClientAliveInterval 1h30m\n") &&
	    cfg.alive_interval == 5400, "ClientAliveInterval 1h30m");
	tap_ok(parses("AuthFailureWindow 24h\n") &&
	    cfg.auth_fail_window == 86400, "AuthFailureWindow 24h");
	tap_ok(parses("ClientAliveTimeout 5S\n") && cfg.alive_timeout == 5,
	    "ClientAliveTimeout 5S");
	tap_ok(parses("SendQueueSize 64K\n") && cfg.send_queue == 65536, "64K");
	tap_ok(parses("SendQueueSize 16k\n") && cfg.send_queue == 16384, "16k");
	tap_ok(parses("SendQueueSize 2M\n") && cfg.send_queue == 2097152, "2M");
	tap_ok(parses("SendQueueSize 256m\n") && cfg.send_queue == 268435456,
	    "256m");
	fails("LoginGraceTime 1h1s\n", "t.conf:1: LoginGraceTime: time "
	    "\"1h1s\" is too large (allowed 1..3600 seconds)",
	    "time above its range");
	fails("LoginGraceTime 0m\n", "t.conf:1: LoginGraceTime: time "
	    "\"0m\" is too small (allowed 1..3600 seconds)",
	    "time below its range");
	fails("LoginGraceTime 2x\n", "t.conf:1: LoginGraceTime: time "
	    "\"2x\" is invalid (allowed 1..3600 seconds)", "unknown time unit");
	fails("LoginGraceTime m\n", "t.conf:1: LoginGraceTime: time "
	    "\"m\" is invalid (allowed 1..3600 seconds)",
	    "unit without number");
	fails("LoginGraceTime 99999999999999999999\n", "t.conf:1: "
	    "LoginGraceTime: time \"99999999999999999999\" is too large "
	    "(allowed 1..3600 seconds)", "time that overflows");
	fails("ClientAliveTimeout 100000000h\n", "t.conf:1: "
	    "ClientAliveTimeout: time \"100000000h\" is too large "
	    "(allowed 1..3600 seconds)", "time product that overflows");
	fails("SendQueueSize 16383\n", "t.conf:1: SendQueueSize: size "
	    "\"16383\" is too small (allowed 16K..256M bytes)",
	    "size below its range");
	fails("SendQueueSize 257M\n", "t.conf:1: SendQueueSize: size "
	    "\"257M\" is too large (allowed 16K..256M bytes)",
	    "size above its range");
	fails("SendQueueSize 1G\n", "t.conf:1: SendQueueSize: size "
	    "\"1G\" is invalid (allowed 16K..256M bytes)", "unknown size unit");
	fails("SendQueueSize 2MB\n", "t.conf:1: SendQueueSize: size "
	    "\"2MB\" is invalid (allowed 16K..256M bytes)", "junk after unit");
	fails("SendQueueSize K\n", "t.conf:1: SendQueueSize: size "
	    "\"K\" is invalid (allowed 16K..256M bytes)",
	    "unit without number");
	fails("SendQueueSize 2m2\n", "t.conf:1: SendQueueSize: size "
	    "\"2m2\" is invalid (allowed 16K..256M bytes)",
	    "sizes do not add up like times");
	fails("MaxSessions 2m\n", "t.conf:1: MaxSessions: value \"2m\" is "
	    "invalid (allowed 1..65536)", "plain counts take no suffix");
}

static void
test_errors(void)
{
	const char	*bad;
	char		 text[2200];
	size_t		 n;

	fails("Port 1\n\n# note\nBogus 1\n",
	    "t.conf:4: unknown keyword \"Bogus\"", "unknown keyword, line 4");
	fails("Port 1\nBo\001gus\n", "t.conf:2: unknown keyword \"Bo\\x01gus\"",
	    "control characters in messages are escaped");
	fails("Port\n", "t.conf:1: Port: missing value", "missing value");
	fails("\n\nHostKey # comment\n", "t.conf:3: HostKey: missing value",
	    "missing value before a comment");
	fails("\nPort 1 2\n", "t.conf:2: Port: extra arguments after the value",
	    "extra arguments, line 2");
	fails("MaxAuthTries 11\n", "t.conf:1: MaxAuthTries: value \"11\" is "
	    "too large (allowed 1..10)", "number too large, with range");
	fails("\n\n\nMaxAuthTries 0\n", "t.conf:4: MaxAuthTries: value \"0\" "
	    "is too small (allowed 1..10)", "number too small, line 4");
	fails("MaxMessageLength -1\n", "t.conf:1: MaxMessageLength: value "
	    "\"-1\" is invalid (allowed 1..60000)", "negative number");
	fails("MaxMessageLength 60001\n", "t.conf:1: MaxMessageLength: value "
	    "\"60001\" is too large (allowed 1..60000)",
	    "MaxMessageLength max");
	fails("FloodRate 0x10\n", "t.conf:1: FloodRate: value \"0x10\" is "
	    "invalid (allowed 1..100000)", "hexadecimal is not a number here");
	fails("FloodRate \" 5\"\n", "t.conf:1: FloodRate: value \" 5\" is "
	    "invalid (allowed 1..100000)", "blanks inside a number");
	fails("HistoryLength 10001\n", "t.conf:1: HistoryLength: value "
	    "\"10001\" is too large (allowed 0..10000)", "HistoryLength max");
	fails("HistoryBytes 1073741825\n", "t.conf:1: HistoryBytes: size "
	    "\"1073741825\" is too large (allowed 64K..1024M bytes)",
	    "HistoryBytes: one past the maximum");
	fails("HistoryBytes 65535\n", "t.conf:1: HistoryBytes: size "
	    "\"65535\" is too small (allowed 64K..1024M bytes)",
	    "HistoryBytes: one below the minimum");
	fails("RoomHistoryBytes 1025M\n", "t.conf:1: RoomHistoryBytes: size "
	    "\"1025M\" is too large (allowed 16K..1024M bytes)",
	    "RoomHistoryBytes: past the maximum");
	fails("RoomHistoryBytes 1073741825\n", "t.conf:1: RoomHistoryBytes: "
	    "size \"1073741825\" is too large (allowed 16K..1024M bytes)",
	    "RoomHistoryBytes: one past the maximum");
	fails("RoomHistoryBytes 16383\n", "t.conf:1: RoomHistoryBytes: size "
	    "\"16383\" is too small (allowed 16K..1024M bytes)",
	    "RoomHistoryBytes: one below the minimum");
	fails("RoomHistoryBytes 1G\n", "t.conf:1: RoomHistoryBytes: size "
	    "\"1G\" is invalid (allowed 16K..1024M bytes)",
	    "RoomHistoryBytes: no G suffix");
	fails("MaxSessionsPerUser 65537\n", "t.conf:1: MaxSessionsPerUser: "
	    "value \"65537\" is too large (allowed 1..65536)",
	    "MaxSessionsPerUser: one past the maximum");
	fails("MaxSessionsPerUser 0\n", "t.conf:1: MaxSessionsPerUser: "
	    "value \"0\" is too small (allowed 1..65536)",
	    "MaxSessionsPerUser: one below the minimum");
	tap_ok(parses("Port 0\n") && strcmp(cfg.port, "0") == 0,
	    "Port 0 asks for an ephemeral port");
	fails("Port 65536\n", "t.conf:1: Port: port \"65536\" is too large "
	    "(allowed 0..65535)", "port 65536");
	fails("Port ssh\n", "t.conf:1: Port: port \"ssh\" is invalid "
	    "(allowed 0..65535)", "port name");
	fails("Ciphers aes128-ctr\n", "t.conf:1: Ciphers: unknown cipher "
	    "\"aes128-ctr\"", "unknown cipher");
	fails("Ciphers AES256-GCM\n", "t.conf:1: Ciphers: unknown cipher "
	    "\"AES256-GCM\"", "cipher names are case-sensitive");
	fails("Ciphers aes256-gcm,\n", "t.conf:1: Ciphers: empty cipher name "
	    "in list", "empty cipher name");
	fails("Ciphers aes256-gcm,aes256-gcm\n", "t.conf:1: Ciphers: cipher "
	    "\"aes256-gcm\" listed twice", "duplicate cipher");
	fails("LogLevel LOUD\n", "t.conf:1: LogLevel: unknown level \"LOUD\" "
	    "(INFO, VERBOSE or DEBUG)", "unknown log level");
	fails("HostKey etc/key\n", "t.conf:1: HostKey: path must be absolute",
	    "relative path");
	fails("PidFile run.pid\n", "t.conf:1: PidFile: path must be absolute "
	    "(or \"none\")", "relative PidFile");
	fails("ControlSocket ctl.sock\n", "t.conf:1: ControlSocket: path must "
	    "be absolute (or \"none\")", "relative ControlSocket");
	/* A Unix socket's path has room for 107 bytes and a NUL. */
	{
		char	 line[160];

		snprintf(line, sizeof(line), "ControlSocket /%0106d\n", 0);
		tap_ok(parses(line) && strlen(cfg.control_socket) == 107,
		    "a ControlSocket of 107 bytes is accepted");
		snprintf(line, sizeof(line), "ControlSocket /%0107d\n", 0);
		fails(line, "t.conf:1: ControlSocket: path too long (at most "
		    "107 bytes)", "a ControlSocket of 108 bytes is refused");
	}
	tap_ok(parses("ControlSocket none\n") &&
	    strcmp(cfg.control_socket, "none") == 0, "ControlSocket none");
	fails("UsersFile \"/a\tb\"\n", "t.conf:1: UsersFile: control "
	    "character in path", "control character in a path");
	fails("PrivsepUser -x\n", "t.conf:1: PrivsepUser: invalid user name "
	    "\"-x\"", "user name starting with '-'");
	fails("PrivsepUser a:b\n", "t.conf:1: PrivsepUser: invalid user name "
	    "\"a:b\"", "user name with ':'");

	/* A line of exactly 1024 bytes is fine; one more byte is not. */
	memset(text, 0, sizeof(text));
	memcpy(text, "Port 1\n#", 8);
	memset(text + 8, 'x', 1023);
	n = strlen(text);
	text[n] = '\n';
	tap_ok(parses(text), "a 1024-byte line is accepted");
	memset(text + n, 'x', 1);
	text[n + 1] = '\n';
	fails(text, "t.conf:2: line too long (at most 1024 bytes)",
	    "a 1025-byte line is rejected");
	memset(text, 'x', 2100);
	text[2100] = '\0';
	fails(text, "t.conf:1: line too long (at most 1024 bytes)",
	    "a long last line without a newline");

	check_error(parse_len("Port 1\nPort 2\nMaxSessions 5\0\n", 29),
	    "t.conf:3: NUL byte in file", "NUL byte, line 3");
	check_error(parse_len("# c\n\0", 5), "t.conf:2: NUL byte in file",
	    "NUL byte as the last byte");
	check_error(parse_len("# c\0 Bogus\n", 11),
	    "t.conf:1: NUL byte in file", "NUL byte inside a comment");

	/* A failed parse leaves the caller's configuration alone. */
	bad = "Port 1\nListenAddress 10.0.0.1\nBogus\n";
	config_defaults(&cfg);
	tap_ok(config_parse(&cfg, bad, strlen(bad), "t.conf", err,
	    sizeof(err)) == -1 &&
	    strcmp(cfg.port, DEFAULT_PORT) == 0 && cfg.nlisten == 2,
	    "a failed parse changes nothing");
	tap_ok(config_parse(&cfg, "Bogus\n", 6, "t.conf", NULL, 0) == -1,
	    "errors without an error buffer");
}

static void
test_first_wins(void)
{
	tap_ok(parses("Port 1111\nPort 2222\n") &&
	    strcmp(cfg.port, "1111") == 0,
	    "first Port wins");
	tap_ok(parses("MaxAuthTries 5\nmaxauthtries 7\n") &&
	    cfg.max_auth_tries == 5, "first MaxAuthTries wins, any case");
	tap_ok(parses("Ciphers chacha20-poly1305\nCiphers aes256-gcm\n") &&
	    cfg.nsuites == 1 && cfg.suites[0] == SUITE_CHACHAPOLY,
	    "first Ciphers wins");
	tap_ok(parses("PidFile none\nPidFile /run/x.pid\n") &&
	    strcmp(cfg.pidfile, "none") == 0, "first PidFile wins");
	tap_ok(parses("LogLevel DEBUG\nLogLevel INFO\n") &&
	    cfg.log_verbose == 1,
	    "first LogLevel wins");
	tap_ok(parses("SendQueueSize 32K\nSendQueueSize 64K\n") &&
	    cfg.send_queue == 32768, "first SendQueueSize wins");
	fails("Port 1111\nPort 70000\n", "t.conf:2: Port: port \"70000\" is "
	    "too large (allowed 0..65535)", "later values are still checked");
}

static void
test_listen(void)
{
	char	 text[1024];
	size_t	 off = 0;
	int	 i;

	tap_ok(parses("ListenAddress 1.2.3.4\n") && cfg.nlisten == 1 &&
	    strcmp(cfg.listen[0].host, "1.2.3.4") == 0 &&
	    cfg.listen[0].port[0] == '\0', "ListenAddress 1.2.3.4");
	tap_ok(parses("ListenAddress 1.2.3.4:2222\n") && cfg.nlisten == 1 &&
	    strcmp(cfg.listen[0].host, "1.2.3.4") == 0 &&
	    strcmp(cfg.listen[0].port, "2222") == 0,
	    "ListenAddress 1.2.3.4:2222");
	tap_ok(parses("ListenAddress [::1]:2222\n") && cfg.nlisten == 1 &&
	    strcmp(cfg.listen[0].host, "::1") == 0 &&
	    strcmp(cfg.listen[0].port, "2222") == 0,
	    "ListenAddress [::1]:2222");
	tap_ok(parses("ListenAddress [2001:db8::5]\n") &&
	    strcmp(cfg.listen[0].host, "2001:db8::5") == 0 &&
	    cfg.listen[0].port[0] == '\0', "ListenAddress [2001:db8::5]");
	tap_ok(parses("ListenAddress ::1\n") && cfg.nlisten == 1 &&
	    strcmp(cfg.listen[0].host, "::1") == 0 &&
	    cfg.listen[0].port[0] == '\0', "ListenAddress ::1");
	tap_ok(parses("ListenAddress ::\n") &&
	    strcmp(cfg.listen[0].host, "::") == 0, "ListenAddress ::");
	tap_ok(parses("ListenAddress [fe80::1%eth0]:7\n") &&
	    strcmp(cfg.listen[0].host, "fe80::1%eth0") == 0 &&
	    strcmp(cfg.listen[0].port, "7") == 0, "IPv6 with a zone");
	tap_ok(parses("ListenAddress chat.example.org\n") &&
	    strcmp(cfg.listen[0].host, "chat.example.org") == 0 &&
	    cfg.listen[0].port[0] == '\0', "ListenAddress hostname");
	tap_ok(parses("ListenAddress localhost:8080\n") &&
	    strcmp(cfg.listen[0].host, "localhost") == 0 &&
	    strcmp(cfg.listen[0].port, "8080") == 0,
	    "ListenAddress hostname:port");
	tap_ok(parses("ListenAddress 0.0.0.0:080\n") &&
	    strcmp(cfg.listen[0].port, "80") == 0, "port in canonical form");
	tap_ok(parses("ListenAddress 10.0.0.1\nPort 5\nListenAddress [::]:6\n"
	    "ListenAddress host.example\n") && cfg.nlisten == 3 &&
	    strcmp(cfg.listen[0].host, "10.0.0.1") == 0 &&
	    strcmp(cfg.listen[1].host, "::") == 0 &&
	    strcmp(cfg.listen[1].port, "6") == 0 &&
	    strcmp(cfg.listen[2].host, "host.example") == 0 &&
	    strcmp(cfg.port, "5") == 0,
	    "the first ListenAddress replaces the defaults, later ones append");

	for (i = 0; i < CONFIG_MAX_LISTEN; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off,
		    "ListenAddress 10.0.0.%d\n", i + 1);
	tap_ok(parses(text) && cfg.nlisten == CONFIG_MAX_LISTEN,
	    "%d addresses are allowed", CONFIG_MAX_LISTEN);
	snprintf(text + off, sizeof(text) - off, "ListenAddress 10.0.1.1\n");
	fails(text, "t.conf:17: ListenAddress: too many addresses (at most 16)",
	    "one address too many, line 17");

	fails("ListenAddress 1.2.3.4:\n", "t.conf:1: ListenAddress: port \"\" "
	    "is invalid (allowed 0..65535)", "empty port");
	fails("ListenAddress host:65536\n", "t.conf:1: ListenAddress: port "
	    "\"65536\" is too large (allowed 0..65535)", "port 65536");
	fails("ListenAddress [::1\n", "t.conf:1: ListenAddress: missing ']' in "
	    "\"[::1\"", "missing ']'");
	fails("ListenAddress [::1]x\n", "t.conf:1: ListenAddress: junk after "
	    "']' in \"[::1]x\"", "junk after ']'");
	fails("ListenAddress [1.2.3.4]:80\n", "t.conf:1: ListenAddress: bad "
	    "address \"[1.2.3.4]:80\"", "IPv4 in brackets");
	fails("ListenAddress 1.2.3.999\n", "t.conf:1: ListenAddress: bad "
	    "address \"1.2.3.999\"", "bad IPv4 address");
	fails("ListenAddress ::g\n", "t.conf:1: ListenAddress: bad address "
	    "\"::g\"", "bad IPv6 address");
	fails("ListenAddress -host\n", "t.conf:1: ListenAddress: bad address "
	    "\"-host\"", "name starting with '-'");
	fails("ListenAddress ho/st\n", "t.conf:1: ListenAddress: bad address "
	    "\"ho/st\"", "name with '/'");
	fails("ListenAddress :80\n", "t.conf:1: ListenAddress: bad address "
	    "\":80\"", "port without host");
	fails("ListenAddress []:80\n", "t.conf:1: ListenAddress: bad address "
	    "\"[]:80\"", "empty brackets");
}

static void
test_print(void)
{
	struct config	 again;
	char		*out, *out2;

	config_defaults(&cfg);
	out = printed(&cfg);
	tap_ok(has_line(out, "port " DEFAULT_PORT), "-T: the default port");
	tap_ok(has_line(out, "listenaddress 127.0.0.1:" DEFAULT_PORT) &&
	    has_line(out, "listenaddress [::1]:" DEFAULT_PORT),
	    "-T: one listenaddress line per address, with the port");
	tap_ok(has_line(out, "ciphers aes256-gcm,chacha20-poly1305"),
	    "-T: ciphers");
	tap_ok(has_line(out, "hostkey " SYSCONFDIR "/secchat/host_key") &&
	    has_line(out, "usersfile " SYSCONFDIR "/secchat/users") &&
	    has_line(out, "pidfile " RUNSTATEDIR "/secchatd.pid") &&
	    has_line(out, "privsepuser " PRIVSEP_USER) &&
	    has_line(out, "privsepdirectory " PRIVSEP_PATH), "-T: paths");
	tap_ok(has_line(out, "logingracetime 30") &&
	    has_line(out, "maxauthtries 3") &&
	    has_line(out, "maxsessions 1024") &&
	    has_line(out, "maxsessionspersource 32") &&
	    has_line(out, "maxmessagelength 4096") &&
	    has_line(out, "maxroomspersession 32") &&
	    has_line(out, "floodburst 20") && has_line(out, "floodrate 2") &&
	    has_line(out, "sendqueuesize 1048576") &&
	    has_line(out, "historylength 50") &&
	    has_line(out, "historybytes 67108864") &&
	    has_line(out, "roomhistorybytes 262144") &&
	    has_line(out, "maxsessionsperuser 16") &&
	    has_line(out, "clientaliveinterval 120") &&
	    has_line(out, "clientalivetimeout 30") &&
	    has_line(out, "maxauthfailurespersource 10") &&
	    has_line(out, "authfailurewindow 300") &&
	    has_line(out, "maxauthpending 64") &&
	    has_line(out, "maxauthpendingpersource 4") &&
	    has_line(out, "maxsessionsperuser 16") &&
	    has_line(out, "maxstartups 10:30:100") &&
	    has_line(out, "persourceconnectionrate 10:30") &&
	    has_line(out, "persourcenetblocksize 32:64") &&
	    has_line(out, "loglevel INFO"), "-T: limits and log level");
	tap_ok(has_line(out, "controlsocket " RUNSTATEDIR "/secchatd.sock"),
	    "-T: ControlSocket");
	tap_ok(count_lines(out) == 40, "-T: 39 keywords, 40 lines (got %d)",
	    count_lines(out));
	free(out);

	tap_ok(parses("Port 2222\nListenAddress [::1]:7\n"
	    "ListenAddress 10.0.0.1\nLoginGraceTime 2m\nSendQueueSize 64K\n"
	    "PidFile none\nHostKey \"/a b/k\"\nLogLevel VERBOSE\n"
	    "Ciphers chacha20-poly1305\n"), "parse a changed configuration");
	out = printed(&cfg);
	tap_ok(has_line(out, "listenaddress [::1]:7") &&
	    has_line(out, "listenaddress 10.0.0.1:2222") &&
	    !has_line(out, "listenaddress 127.0.0.1:2222"),
	    "-T: listenaddress after a change");
	tap_ok(has_line(out, "logingracetime 120"), "-T: times in seconds");
	tap_ok(has_line(out, "sendqueuesize 65536"), "-T: sizes in bytes");
	tap_ok(has_line(out, "pidfile none"), "-T: pidfile none");
	tap_ok(has_line(out, "hostkey \"/a b/k\""), "-T: quotes blanks");
	tap_ok(has_line(out, "loglevel DEBUG"), "-T: VERBOSE shows as DEBUG");
	tap_ok(has_line(out, "ciphers chacha20-poly1305"), "-T: one cipher");

	/* What -T prints is itself a configuration that means the same. */
	config_defaults(&again);
	tap_ok(config_parse(&again, out, strlen(out), "-T", err,
	    sizeof(err)) == 0, "-T output parses");
	out2 = printed(&again);
	tap_ok(strcmp(out, out2) == 0, "-T output round-trips");
	free(out);
	free(out2);
}

static void
test_load(void)
{
	char	 path[] = "/tmp/test-config.XXXXXX", want[600];
	const char *text = "Port 4242\n# comment\nMaxSessions 0\n";
	int	 fd;

	config_defaults(&cfg);
	snprintf(want, sizeof(want), "/nonexistent/secchatd.conf: %s",
	    strerror(ENOENT));
	tap_ok(config_load(&cfg, "/nonexistent/secchatd.conf", err,
	    sizeof(err)) == -1 && strcmp(err, want) == 0,
	    "missing file: PATH: strerror");

	if ((fd = mkstemp(path)) == -1) {
		tap_skip("mkstemp failed", "config_load from a file");
		return;
	}
	if (write(fd, text, 10) != 10) {
		close(fd);
		unlink(path);
		tap_skip("write failed", "config_load from a file");
		return;
	}
	memset(&cfg, 0, sizeof(cfg));
	tap_ok(config_load(&cfg, path, err, sizeof(err)) == 0 &&
	    strcmp(cfg.port, "4242") == 0 && cfg.max_sessions == 1024 &&
	    cfg.nlisten == 2, "config_load: defaults, then the file");

	if (write(fd, text + 10, strlen(text) - 10) !=
	    (ssize_t)(strlen(text) - 10)) {
		close(fd);
		unlink(path);
		tap_skip("write failed", "config_load error");
		return;
	}
	snprintf(want, sizeof(want), "%s:3: MaxSessions: value \"0\" is too "
	    "small (allowed 1..65536)", path);
	tap_ok(config_load(&cfg, path, err, sizeof(err)) == -1 &&
	    strcmp(err, want) == 0, "config_load: FILE:LINE: message");
	tap_ok(strcmp(cfg.port, "4242") == 0,
	    "config_load: a bad file changes nothing");
	close(fd);
	unlink(path);

	tap_ok(config_load(&cfg, "/", err, sizeof(err)) == -1 &&
	    strncmp(err, "/: ", 3) == 0, "a directory is not a configuration");
}

/* Lines of s that do not start with one of the given prefixes. */
static void
drop_lines(char *s, const char **prefixes)
{
	char	*line = s, *next, *out = s;
	size_t	 i, len;
	int	 keep;

	for (; *line != '\0'; line = next) {
		next = strchr(line, '\n');
		next = next != NULL ? next + 1 : line + strlen(line);
		len = (size_t)(next - line);
		keep = 1;
		for (i = 0; prefixes[i] != NULL; i++)
			if (strncmp(line, prefixes[i],
			    strlen(prefixes[i])) == 0)
				keep = 0;
		if (keep) {
			memmove(out, line, len);
			out += len;
		}
	}
	*out = '\0';
}

/*
 * contrib/secchatd.conf lists every keyword, commented out, at its
 * default.  Checked both as shipped and with the settings uncommented.
 */
static void
test_example(void)
{
	/* These depend on how the build was configured. */
	const char *paths[] = { "hostkey ", "usersfile ", "pidfile ",
	    "privsepuser ", "privsepdirectory ", "redisaddress ", "nodename ",
	    NULL };
	struct config	 dflt;
	const char	*top = getenv("top_srcdir");
	char		 path[1024], *text, *out, *want;
	size_t		 len, i, o;
	int		 settings = 0;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/contrib/secchatd.conf",
	    top != NULL ? top : ".");
	if ((fp = fopen(path, "r")) == NULL) {
		tap_skip("contrib/secchatd.conf not found (set top_srcdir)",
		    "example configuration");
		return;
	}
	fclose(fp);
	config_defaults(&dflt);
	want = printed(&dflt);

	tap_ok(config_load(&cfg, path, err, sizeof(err)) == 0,
	    "example configuration loads");
	out = printed(&cfg);
	tap_ok(strcmp(out, want) == 0, "example as shipped means the defaults");
	free(out);

	/* Uncomment "#Keyword value" lines; "# prose" lines stay comments. */
	text = read_small_file(path, CONFIG_FILE_MAX, &len);
	tap_ok(text != NULL, "read the example");
	if (text == NULL) {
		free(want);
		return;
	}
	for (i = 0, o = 0; i < len; i++) {
		if (text[i] == '#' && (i == 0 || text[i - 1] == '\n') &&
		    i + 1 < len && isalpha((unsigned char)text[i + 1])) {
			settings++;
			continue;
		}
		text[o++] = text[i];
	}
	config_defaults(&cfg);
	tap_ok(config_parse(&cfg, text, o, path, err, sizeof(err)) == 0,
	    "example with every setting uncommented parses");
	tap_ok(settings == count_lines(want),
	    "example sets each keyword, %d settings", settings);
	out = printed(&cfg);
	drop_lines(out, paths);
	drop_lines(want, paths);
	tap_ok(strcmp(out, want) == 0, "example settings are the defaults");
	if (strcmp(out, want) != 0)
		tap_diag("got:\n%s", out);
	free(out);
	free(want);
	free(text);
}

/* Like fails(), for a message checked by a part of it. */
static void
fails_like(const char *text, const char *part, const char *what)
{
	int	 rv = parse(text), ok = rv == -1 && strstr(err, part) != NULL;

	tap_ok(ok, "%s", what);
	if (!ok)
		tap_diag("got %d \"%s\", want \"...%s...\"", rv, err, part);
}

/* The colon-joined values: every form, each bound and one past it. */
/* Engine and the Redis keywords (doc/scaling.md). */
static void
test_engine(void)
{
	char	*out;

	config_defaults(&cfg);
	tap_ok(strcmp(cfg.engine, "memory") == 0 &&
	    strcmp(cfg.redis_prefix, "secchat") == 0 &&
	    strcmp(cfg.redis_startup, "retry") == 0 &&
	    strcmp(cfg.redis_password_file, "none") == 0 &&
	    cfg.node_name[0] != '\0', "Engine memory by default");
	out = printed(&cfg);
	tap_ok(has_line(out, "engine memory") &&
	    has_line(out, "rediskeyprefix secchat") &&
	    has_line(out, "redisstartup retry") &&
	    has_line(out, "redispasswordfile none"), "-T: the engine's lines");
	free(out);
#ifdef HAVE_HIREDIS
	tap_ok(parses("Engine redis\nRedisAddress /run/r.sock\n"
	    "RedisPasswordFile /etc/secchat/redis\nNodeName n-1.a_b\n"
	    "RedisKeyPrefix chat2\nRedisStartup fail\n") &&
	    strcmp(cfg.engine, "redis") == 0 &&
	    strcmp(cfg.redis_address, "/run/r.sock") == 0 &&
	    strcmp(cfg.node_name, "n-1.a_b") == 0 &&
	    strcmp(cfg.redis_prefix, "chat2") == 0 &&
	    strcmp(cfg.redis_startup, "fail") == 0, "Engine redis and its "
	    "keywords");
	out = printed(&cfg);
	tap_ok(has_line(out, "engine redis") &&
	    has_line(out, "redisaddress /run/r.sock") &&
	    has_line(out, "redispasswordfile /etc/secchat/redis") &&
	    has_line(out, "nodename n-1.a_b"), "-T prints them, the password "
	    "file's name only");
	free(out);
#else
	fails("Engine redis\n", "t.conf:1: Engine: redis: this secchatd was "
	    "built without Redis support (hiredis); rebuild it with "
	    "libhiredis-dev installed", "Engine redis without hiredis");
	tap_ok(1, "(no Redis engine in this build)");
#endif
	tap_ok(parses("RedisAddress 10.0.0.1:6379\n") &&
	    parses("RedisAddress redis.example:6380\n") &&
	    parses("RedisAddress [::1]:6379\n"), "RedisAddress host:port");
	fails("Engine mysql\n", "t.conf:1: Engine: \"mysql\" is neither "
	    "memory nor redis", "Engine: an unknown engine");
	fails("RedisAddress localhost\n", "t.conf:1: RedisAddress: "
	    "\"localhost\" is neither an absolute path nor host:port",
	    "RedisAddress without a port");
	fails("RedisAddress h:0\n", "t.conf:1: RedisAddress: \"h:0\" is "
	    "neither an absolute path nor host:port", "RedisAddress port 0");
	fails("RedisAddress h;x:1\n", "t.conf:1: RedisAddress: \"h;x:1\" is "
	    "neither an absolute path nor host:port", "RedisAddress: a bad "
	    "host");
	fails("NodeName a{b}\n", "t.conf:1: NodeName: \"a{b}\" is not 1 to 64 "
	    "letters, digits, '.', '_' or '-'", "NodeName: no braces (hash "
	    "tags)");
	fails("RedisKeyPrefix a:b\n", "t.conf:1: RedisKeyPrefix: \"a:b\" is "
	    "not 1 to 64 letters, digits, '.', '_' or '-'", "RedisKeyPrefix: "
	    "no colon");
	fails("RedisStartup maybe\n", "t.conf:1: RedisStartup: \"maybe\" is "
	    "neither retry nor fail", "RedisStartup: retry or fail");
	fails("RedisPasswordFile secret\n", "t.conf:1: RedisPasswordFile: "
	    "path must be absolute (or \"none\")", "RedisPasswordFile: a "
	    "path");
}

static void
test_colons(void)
{
	tap_ok(parses("MaxStartups 5:50:20\n") && cfg.startups[0] == 5 &&
	    cfg.startups[1] == 50 && cfg.startups[2] == 20,
	    "MaxStartups start:rate:full");
	tap_ok(parses("MaxStartups 40\n") && cfg.startups[0] == 40 &&
	    cfg.startups[1] == 100 && cfg.startups[2] == 40,
	    "MaxStartups N is N:100:N");
	tap_ok(parses("MaxStartups 1:0:100000\n"), "MaxStartups at its bounds");
	fails_like("MaxStartups 0:30:100\n", "start must be at least 1",
	    "MaxStartups start 0");
	fails_like("MaxStartups 1:30:100001\n", "too large",
	    "MaxStartups full one past the maximum");
	fails_like("MaxStartups 10:101:100\n", "percentage",
	    "MaxStartups rate over 100");
	fails_like("MaxStartups 20:30:10\n", "start must not exceed full",
	    "MaxStartups start past full");
	fails_like("MaxStartups 10:30\n", "not 3 numbers", "MaxStartups two values");
	fails_like("MaxStartups 1:2:3:4\n", "not 3 numbers",
	    "MaxStartups four values");
	fails_like("MaxStartups 10::100\n", "invalid", "MaxStartups empty value");
	fails_like("MaxStartups 10:30:100:\n", "not 3 numbers",
	    "MaxStartups trailing colon");
	fails_like("MaxStartups -1:30:100\n", "not 3 numbers", "MaxStartups sign");
	tap_ok(parses("PerSourceConnectionRate 0:0\n") &&
	    cfg.conn_rate[0] == 0 && cfg.conn_rate[1] == 0,
	    "PerSourceConnectionRate 0:0 is off");
	tap_ok(parses("PerSourceConnectionRate 100000:100000\n"),
	    "PerSourceConnectionRate at its maximum");
	fails_like("PerSourceConnectionRate 100001:1\n", "too large",
	    "PerSourceConnectionRate one past");
	fails_like("PerSourceConnectionRate 0:5\n", "both 0",
	    "PerSourceConnectionRate half off");
	fails_like("PerSourceConnectionRate 5\n", "not 2 numbers",
	    "PerSourceConnectionRate one value");
	tap_ok(parses("PerSourceNetBlockSize 32:128\n") &&
	    cfg.netblock[0] == 32 && cfg.netblock[1] == 128,
	    "PerSourceNetBlockSize at its maximum");
	tap_ok(parses("PerSourceNetBlockSize 0:0\n"),
	    "PerSourceNetBlockSize 0:0");
	fails_like("PerSourceNetBlockSize 33:64\n", "at most 32",
	    "PerSourceNetBlockSize IPv4 one past");
	fails_like("PerSourceNetBlockSize 24:129\n", "too large",
	    "PerSourceNetBlockSize IPv6 one past");
	tap_ok(parses("MaxAuthPendingPerSource 10000\nMaxSessionsPerUser "
	    "65536\n") && cfg.max_auth_pending_source == 10000 &&
	    cfg.max_per_user == 65536, "per-source and per-user maxima");
	fails_like("MaxAuthPendingPerSource 0\n", "too small",
	    "MaxAuthPendingPerSource 0");
	fails_like("MaxSessionsPerUser 65537\n", "too large",
	    "MaxSessionsPerUser one past");
}

/* AuthenticationMethods and Match User blocks. */
static void
test_methods(void)
{
	const struct auth_methods	*am;
	unsigned			 more;
	char				*out;

	config_defaults(&cfg);
	am = config_auth_methods(&cfg, "alice");
	tap_ok(am->n == 2 && config_auth_done(am, AUTH_M_PASSWORD, &more) ==
	    1 && config_auth_done(am, AUTH_M_PUBLICKEY, &more) == 1,
	    "default: a password or a key, either");
	tap_ok(parses("AuthenticationMethods publickey,password\n") &&
	    (am = config_auth_methods(&cfg, "x")) != NULL &&
	    config_auth_done(am, AUTH_M_PUBLICKEY, &more) == 0 &&
	    more == AUTH_M_PASSWORD &&
	    config_auth_done(am, AUTH_M_PASSWORD, &more) == 0 &&
	    config_auth_done(am, AUTH_M_PASSWORD | AUTH_M_PUBLICKEY,
	    &more) == 1, "publickey,password: both are needed");
	tap_ok(parses("AuthenticationMethods publickey\n") &&
	    config_auth_done(&cfg.auth_methods, AUTH_M_PASSWORD, &more) ==
	    -1 && config_auth_done(&cfg.auth_methods, AUTH_M_PUBLICKEY,
	    &more) == 1, "publickey: a password alone never is enough");
	tap_ok(parses("AuthenticationMethods password\n"
	    "AuthenticationMethods publickey\n") &&
	    cfg.auth_methods.n == 1 &&
	    cfg.auth_methods.list[0] == AUTH_M_PASSWORD,
	    "the first AuthenticationMethods wins");
	tap_ok(parses("Match User bob,carol\n"
	    "  AuthenticationMethods publickey,password\n"
	    "  AuthenticationMethods password\n"
	    "Match User bob\n"
	    "  AuthenticationMethods publickey\n"
	    "Match all\n"
	    "MaxAuthTries 5\n"
	    "AuthenticationMethods password\n") &&
	    cfg.nmatch == 2 && cfg.max_auth_tries == 5 &&
	    config_auth_methods(&cfg, "alice") == &cfg.auth_methods &&
	    cfg.auth_methods.list[0] == AUTH_M_PASSWORD &&
	    config_auth_methods(&cfg, "bob") == &cfg.match[0].methods &&
	    config_auth_methods(&cfg, "carol")->list[0] ==
	    (AUTH_M_PASSWORD | AUTH_M_PUBLICKEY) &&
	    config_auth_methods(&cfg, "bo") == &cfg.auth_methods,
	    "Match User: the first block naming the user wins; Match all "
	    "ends it; names are exact");
	out = printed(&cfg);
	tap_ok(has_line(out, "authenticationmethods password") &&
	    strstr(out, "match user bob,carol\n\tauthenticationmethods "
	    "publickey,password\nmatch user bob\n\tauthenticationmethods "
	    "publickey\n") != NULL, "-T prints the Match blocks last");
	free(out);
	tap_ok(parses("Match User dave\n") && cfg.nmatch == 1 &&
	    config_auth_methods(&cfg, "dave") == &cfg.auth_methods,
	    "an empty Match block changes nothing");
	fails("Match User bob\nMaxAuthTries 5\n", "t.conf:2: MaxAuthTries: "
	    "not allowed in a Match block (only AuthenticationMethods is)",
	    "only AuthenticationMethods in a Match block");
	fails_like("Match Host x\n", "only \"Match User", "Match Host is "
	    "refused");
	fails_like("Match User Bob\n", "invalid user name", "Match User "
	    "checks the names");
	fails_like("Match User a,,b\n", "invalid user name", "an empty name");
	fails_like("AuthenticationMethods password,keyboard\n",
	    "unknown method", "an unknown method");
	fails_like("AuthenticationMethods password,password\n",
	    "a method twice", "a method twice in a list");
	fails_like("AuthenticationMethods password password\n",
	    "the same list twice", "a list twice");
	fails_like("AuthenticationMethods\n", "missing value",
	    "no list");
}

int
main(void)
{
	test_defaults();
	test_keywords();
	test_syntax();
	test_quoting();
	test_suffixes();
	test_errors();
	test_first_wins();
	test_listen();
	test_print();
	test_load();
	test_example();
	test_methods();
	test_colons();
	test_engine();
	return tap_done();
}
