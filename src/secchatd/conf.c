/*
 * conf.c: secchatd.conf, read the way sshd reads sshd_config.
 *
 * The parser is a function over a buffer: it never reads past len, rejects
 * NUL bytes and overlong lines, and stops at the first problem with
 * "FILE:LINE: message".  As in sshd, the first value given for a keyword
 * is the one used (later ones are still checked), except ListenAddress,
 * which accumulates.  The caller's struct is only changed when the whole
 * file parses, so a bad file given to a running daemon changes nothing.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "util.h"
#include "wire.h"

#define LINE_MAX_BYTES	1024	/* longest line, without its newline */
#define WORDS_MAX	3	/* keyword, value, and one to notice extras */
#define SHOW_MAX	48	/* bytes of a bad value repeated in a message */
#define SHOW_BUFLEN	(SHOW_MAX * 4 + 4)
#define WHITESPACE	" \t\r"
#define DIGITS		"0123456789"
#define NUMBER_DIGITS	15	/* more digits than any limit below needs */
#define TIME_LIMIT	1000000000LL		/* seconds; beyond any range */
#define SIZE_LIMIT	(1024LL * 1024 * 1024 * 1024)	/* bytes; ditto */
#define KIB		1024LL
#define MIB		(1024LL * 1024)

enum kwtype {
	KW_LISTEN,	/* ListenAddress: host, host:port, [v6]:port */
	KW_PORT,	/* a TCP port, kept as a decimal string */
	KW_PATH,	/* an absolute path */
	KW_PIDFILE,	/* an absolute path or "none" */
	KW_USER,	/* a system user name */
	KW_CIPHERS,	/* comma-separated cipher names */
	KW_NUMBER,	/* an unsigned count */
	KW_TIME,	/* seconds, with optional s/m/h suffixes */
	KW_SIZE,	/* bytes, with optional K/M suffix */
	KW_LOGLEVEL,	/* INFO, VERBOSE or DEBUG */
	KW_COLONS	/* unsigned numbers joined by ':', one per array slot */
};

struct keyword {
	const char	*name;
	enum kwtype	 type;
	size_t		 off;	/* offsetof(struct config, field) */
	size_t		 size;	/* sizeof the field (string buffers) */
	long long	 min;	/* inclusive range of numeric values */
	long long	 max;
};

#define FIELD(f)	offsetof(struct config, f), \
			    sizeof(((struct config *)NULL)->f)

/* In the order of struct config; config_print and the manual follow it. */
static const struct keyword keywords[] = {
	{ "ListenAddress", KW_LISTEN, FIELD(listen), 0, 0 },
	{ "Port", KW_PORT, FIELD(port), 0, 65535 },
	{ "HostKey", KW_PATH, FIELD(hostkey), 0, 0 },
	{ "UsersFile", KW_PATH, FIELD(usersfile), 0, 0 },
	{ "PidFile", KW_PIDFILE, FIELD(pidfile), 0, 0 },
	{ "PrivsepUser", KW_USER, FIELD(privsep_user), 0, 0 },
	{ "PrivsepDirectory", KW_PATH, FIELD(privsep_dir), 0, 0 },
	{ "Ciphers", KW_CIPHERS, FIELD(suites), 0, 0 },
	{ "LoginGraceTime", KW_TIME, FIELD(login_grace), 1, 3600 },
	{ "MaxAuthTries", KW_NUMBER, FIELD(max_auth_tries), 1, 10 },
	{ "MaxSessions", KW_NUMBER, FIELD(max_sessions), 1, 65536 },
	{ "MaxSessionsPerSource", KW_NUMBER, FIELD(max_per_source), 1, 65536 },
	{ "MaxSessionsPerUser", KW_NUMBER, FIELD(max_per_user), 1, 65536 },
	{ "MaxMessageLength", KW_NUMBER, FIELD(max_message), 1, 60000 },
	{ "MaxRoomsPerSession", KW_NUMBER, FIELD(max_rooms), 1, 1024 },
	{ "FloodBurst", KW_NUMBER, FIELD(flood_burst), 1, 100000 },
	{ "FloodRate", KW_NUMBER, FIELD(flood_rate), 1, 100000 },
	{ "SendQueueSize", KW_SIZE, FIELD(send_queue), 16 * KIB, 256 * MIB },
	{ "HistoryLength", KW_NUMBER, FIELD(history), 0, 10000 },
	{ "HistoryBytes", KW_SIZE, FIELD(history_bytes),
	    64 * KIB, 1024 * MIB },
	{ "RoomHistoryBytes", KW_SIZE, FIELD(room_history_bytes),
	    16 * KIB, 1024 * MIB },
	{ "ClientAliveInterval", KW_TIME, FIELD(alive_interval), 1, 86400 },
	{ "ClientAliveTimeout", KW_TIME, FIELD(alive_timeout), 1, 3600 },
	{ "MaxAuthFailuresPerSource", KW_NUMBER, FIELD(auth_fail_limit),
	    1, 100000 },
	{ "AuthFailureWindow", KW_TIME, FIELD(auth_fail_window), 1, 86400 },
	{ "MaxAuthPending", KW_NUMBER, FIELD(max_auth_pending), 1, 10000 },
	{ "MaxAuthPendingPerSource", KW_NUMBER,
	    FIELD(max_auth_pending_source), 1, 10000 },
	{ "MaxStartups", KW_COLONS, FIELD(startups), 0, 100000 },
	{ "PerSourceConnectionRate", KW_COLONS, FIELD(conn_rate), 0, 100000 },
	{ "PerSourceNetBlockSize", KW_COLONS, FIELD(netblock), 0, 128 },
	{ "LogLevel", KW_LOGLEVEL, FIELD(log_verbose), 0, 0 },
};
#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

static const struct {
	const char	*name;
	uint8_t		 suite;
} ciphers[] = {
	{ "aes256-gcm", SUITE_AESGCM },
	{ "chacha20-poly1305", SUITE_CHACHAPOLY },
};
#define NCIPHERS	(sizeof(ciphers) / sizeof(ciphers[0]))

struct parse {
	struct config	*cfg;
	const char	*file;
	size_t		 lineno;
	char		*err;
	size_t		 errlen;
	unsigned char	 seen[NKEYWORDS];
};

static int	perr(struct parse *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	strlcpy(cfg->listen[0].host, "127.0.0.1", sizeof(cfg->listen[0].host));
	strlcpy(cfg->listen[1].host, "::1", sizeof(cfg->listen[1].host));
	cfg->nlisten = 2;
	strlcpy(cfg->port, "9999", sizeof(cfg->port));
	strlcpy(cfg->hostkey, SYSCONFDIR "/secchat/host_key",
	    sizeof(cfg->hostkey));
	strlcpy(cfg->usersfile, SYSCONFDIR "/secchat/users",
	    sizeof(cfg->usersfile));
	strlcpy(cfg->pidfile, RUNSTATEDIR "/secchatd.pid",
	    sizeof(cfg->pidfile));
	strlcpy(cfg->privsep_user, PRIVSEP_USER, sizeof(cfg->privsep_user));
	strlcpy(cfg->privsep_dir, PRIVSEP_PATH, sizeof(cfg->privsep_dir));
	cfg->suites[0] = SUITE_AESGCM;
	cfg->suites[1] = SUITE_CHACHAPOLY;
	cfg->nsuites = 2;
	cfg->login_grace = 30;
	cfg->max_auth_tries = 3;
	cfg->max_sessions = 1024;
	cfg->max_per_source = 32;
	cfg->max_per_user = 16;
	cfg->max_message = 4096;
	cfg->max_rooms = 32;
	cfg->flood_burst = 20;
	cfg->flood_rate = 2;
	cfg->send_queue = 1024 * 1024;
	cfg->history = 50;
	cfg->history_bytes = 64 * 1024 * 1024;
	cfg->room_history_bytes = 256 * 1024;
	cfg->alive_interval = 120;
	cfg->alive_timeout = 30;
	cfg->auth_fail_limit = 10;
	cfg->auth_fail_window = 300;
	cfg->max_auth_pending = 64;
	cfg->max_auth_pending_source = 4;
	/* sshd's defaults: early drop from 10 unauthenticated, all at 100. */
	cfg->startups[0] = 10;
	cfg->startups[1] = 30;
	cfg->startups[2] = 100;
	cfg->conn_rate[0] = 10;
	cfg->conn_rate[1] = 30;
	cfg->netblock[0] = 32;
	cfg->netblock[1] = 64;
	cfg->log_verbose = 0;
}

/* ---------------------------------------------------------------- helpers */

/* Record "FILE:LINE: message" and fail. */
static int
perr(struct parse *p, const char *fmt, ...)
{
	char	 msg[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->err != NULL && p->errlen > 0)
		snprintf(p->err, p->errlen, "%s:%zu: %s", p->file, p->lineno,
		    msg);
	return -1;
}

/*
 * A word from the file, made safe to repeat in a message that may reach a
 * terminal or syslog: anything but printable ASCII becomes \xNN, and long
 * words are cut short.
 */
static const char *
show(const char *s, char *out, size_t outlen)
{
	size_t	 o = 0, i;

	for (i = 0; s[i] != '\0' && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == SHOW_MAX) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    c);
	}
	out[o] = '\0';
	return out;
}

static unsigned *
uint_field(struct config *cfg, const struct keyword *kw)
{
	return (unsigned *)(void *)((char *)cfg + kw->off);
}

static const unsigned *
uint_cfield(const struct config *cfg, const struct keyword *kw)
{
	return (const unsigned *)(const void *)((const char *)cfg + kw->off);
}

static char *
str_field(struct config *cfg, const struct keyword *kw)
{
	return (char *)cfg + kw->off;
}

static const char *
str_cfield(const struct config *cfg, const struct keyword *kw)
{
	return (const char *)cfg + kw->off;
}

static const struct keyword *
find_keyword(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYWORDS; i++)
		if (strcasecmp(name, keywords[i].name) == 0)
			return &keywords[i];
	return NULL;
}

static int
all_digits(const char *s)
{
	return s[0] != '\0' && s[strspn(s, DIGITS)] == '\0';
}

/*
 * A leading run of digits as a number in 0..max.  strtonum alone would
 * also take signs and blanks, which have no place in this file.
 */
static const char *
digits_value(const char *s, size_t len, long long max, long long *out)
{
	char		 digits[NUMBER_DIGITS + 1];
	const char	*errstr;

	if (len == 0)
		return "invalid";
	if (len > NUMBER_DIGITS)
		return "too large";
	memcpy(digits, s, len);
	digits[len] = '\0';
	*out = strtonum(digits, 0, max, &errstr);
	return errstr;
}

/* Seconds: "90", "90s", "2m", "1h30m".  Units: s, m, h (either case). */
static const char *
time_value(const char *s, long long *out)
{
	const char	*errstr;
	long long	 total = 0, n, unit;
	size_t		 len;

	if (*s == '\0')
		return "invalid";
	while (*s != '\0') {
		len = strspn(s, DIGITS);
		if ((errstr = digits_value(s, len, TIME_LIMIT, &n)) != NULL)
			return errstr;
		s += len;
		switch (*s) {
		case '\0':
			unit = 1;
			break;
		case 's':
		case 'S':
			unit = 1;
			s++;
			break;
		case 'm':
		case 'M':
			unit = 60;
			s++;
			break;
		case 'h':
		case 'H':
			unit = 3600;
			s++;
			break;
		default:
			return "invalid";
		}
		if (n > (TIME_LIMIT - total) / unit)
			return "too large";
		total += n * unit;
	}
	*out = total;
	return NULL;
}

/* Bytes: "65536", "64K", "2M" (suffixes in either case). */
static const char *
size_value(const char *s, long long *out)
{
	const char	*errstr;
	long long	 n, unit;
	size_t		 len;

	len = strspn(s, DIGITS);
	if ((errstr = digits_value(s, len, SIZE_LIMIT, &n)) != NULL)
		return errstr;
	switch (s[len]) {
	case '\0':
		unit = 1;
		break;
	case 'k':
	case 'K':
		unit = KIB;
		break;
	case 'm':
	case 'M':
		unit = MIB;
		break;
	default:
		return "invalid";
	}
	if (unit != 1 && s[len + 1] != '\0')
		return "invalid";
	if (n > SIZE_LIMIT / unit)
		return "too large";
	*out = n * unit;
	return NULL;
}

static const char *
range_check(long long v, long long min, long long max)
{
	if (v < min)
		return "too small";
	if (v > max)
		return "too large";
	return NULL;
}

/* 16384 -> "16K", for messages about SendQueueSize. */
static const char *
size_text(long long v, char *out, size_t outlen)
{
	if (v != 0 && v % MIB == 0)
		snprintf(out, outlen, "%lldM", v / MIB);
	else if (v != 0 && v % KIB == 0)
		snprintf(out, outlen, "%lldK", v / KIB);
	else
		snprintf(out, outlen, "%lld", v);
	return out;
}

/* An IPv6 literal, with an optional %zone. */
static int
valid_ipv6(const char *s, size_t len)
{
	struct in6_addr	 a;
	char		 addr[INET6_ADDRSTRLEN + 64];
	char		*zone;

	if (len == 0 || len >= sizeof(addr))
		return 0;
	memcpy(addr, s, len);
	addr[len] = '\0';
	if ((zone = strchr(addr, '%')) != NULL) {
		*zone++ = '\0';
		if (*zone == '\0' || zone[strspn(zone,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    DIGITS "_.-")] != '\0')
			return 0;
	}
	return inet_pton(AF_INET6, addr, &a) == 1;
}

/*
 * A host name or IPv4 literal.  Names are resolved when the daemon binds;
 * here they only have to look like names.  Something made only of digits
 * and dots must be a well-formed IPv4 address.
 */
static int
valid_hostname(const char *s, size_t len)
{
	struct in_addr	 a;
	char		 host[sizeof(((struct listen_addr *)NULL)->host)];
	size_t		 i;

	if (len == 0 || len >= sizeof(host) || s[0] == '-' || s[0] == '.')
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '.' && s[i] != '_')
			return 0;
	memcpy(host, s, len);
	host[len] = '\0';
	if (host[strspn(host, DIGITS ".")] == '\0')
		return inet_pton(AF_INET, host, &a) == 1;
	return 1;
}

/* ---------------------------------------------------------------- values */

/*
 * "N:N:N", one number for each slot of an unsigned array, each in
 * min..max.  MaxStartups also takes one number N (no early drop: N:100:N).
 * What the numbers mean together is checked here too, with the line.
 */
static int
set_colons(struct parse *p, const struct keyword *kw, const char *v,
    int apply)
{
	char		 shown[SHOW_BUFLEN];
	unsigned	 val[4], *field = uint_field(p->cfg, kw);
	size_t		 want = kw->size / sizeof(unsigned), got = 0, len;
	const char	*s = v, *errstr;
	long long	 n;

	for (;;) {
		len = strspn(s, DIGITS);
		if (got == want || (s[len] != ':' && s[len] != '\0'))
			return perr(p, "%s: value \"%s\" is not %zu numbers "
			    "joined by ':'", kw->name,
			    show(v, shown, sizeof(shown)), want);
		if ((errstr = digits_value(s, len, kw->max, &n)) != NULL ||
		    (errstr = range_check(n, kw->min, kw->max)) != NULL)
			return perr(p, "%s: value \"%s\" is %s (each allowed "
			    "%lld..%lld)", kw->name,
			    show(v, shown, sizeof(shown)), errstr, kw->min,
			    kw->max);
		val[got++] = (unsigned)n;
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	if (kw->off == offsetof(struct config, startups) && got == 1) {
		val[2] = val[0];
		val[1] = 100;
		got = 3;
	}
	if (got != want)
		return perr(p, "%s: value \"%s\" is not %zu numbers joined by "
		    "':'", kw->name, show(v, shown, sizeof(shown)), want);
	if (kw->off == offsetof(struct config, startups) && val[0] == 0)
		return perr(p, "%s: start must be at least 1", kw->name);
	if (kw->off == offsetof(struct config, startups) &&
	    (val[0] > val[2] || val[1] > 100))
		return perr(p, "%s: start must not exceed full, and rate is "
		    "a percentage", kw->name);
	if (kw->off == offsetof(struct config, conn_rate) &&
	    (val[0] == 0) != (val[1] == 0))
		return perr(p, "%s: rate and burst are both 0 (off) or both "
		    "positive", kw->name);
	if (kw->off == offsetof(struct config, netblock) &&
	    (val[0] > 32 || val[1] > 128))
		return perr(p, "%s: at most 32 bits for IPv4 and 128 for "
		    "IPv6", kw->name);
	if (apply)
		memcpy(field, val, want * sizeof(unsigned));
	return 0;
}

static int
set_number(struct parse *p, const struct keyword *kw, const char *v,
    int apply)
{
	char		 shown[SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if (!all_digits(v))
		errstr = "invalid";
	else
		n = strtonum(v, kw->min, kw->max, &errstr);
	if (errstr != NULL)
		return perr(p, "%s: value \"%s\" is %s (allowed %lld..%lld)",
		    kw->name, show(v, shown, sizeof(shown)), errstr, kw->min,
		    kw->max);
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

static int
set_time(struct parse *p, const struct keyword *kw, const char *v, int apply)
{
	char		 shown[SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if ((errstr = time_value(v, &n)) == NULL)
		errstr = range_check(n, kw->min, kw->max);
	if (errstr != NULL)
		return perr(p, "%s: time \"%s\" is %s "
		    "(allowed %lld..%lld seconds)", kw->name,
		    show(v, shown, sizeof(shown)), errstr, kw->min, kw->max);
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

static int
set_size(struct parse *p, const struct keyword *kw, const char *v, int apply)
{
	char		 shown[SHOW_BUFLEN], lo[32], hi[32];
	const char	*errstr;
	long long	 n = 0;

	if ((errstr = size_value(v, &n)) == NULL)
		errstr = range_check(n, kw->min, kw->max);
	if (errstr != NULL)
		return perr(p, "%s: size \"%s\" is %s (allowed %s..%s bytes)",
		    kw->name, show(v, shown, sizeof(shown)), errstr,
		    size_text(kw->min, lo, sizeof(lo)),
		    size_text(kw->max, hi, sizeof(hi)));
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

/* A port number, checked and stored in its canonical decimal form. */
static int
port_value(struct parse *p, const char *name, const char *v, char *out,
    size_t outlen)
{
	char		 shown[SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if (!all_digits(v))
		errstr = "invalid";
	else
		n = strtonum(v, 0, 65535, &errstr);
	/* Port 0: the kernel picks a free port (the log says which). */
	if (errstr != NULL)
		return perr(p, "%s: port \"%s\" is %s (allowed 0..65535)",
		    name, show(v, shown, sizeof(shown)), errstr);
	snprintf(out, outlen, "%lld", n);
	return 0;
}

static int
set_port(struct parse *p, const struct keyword *kw, const char *v, int apply)
{
	char	 port[sizeof(p->cfg->port)];

	if (port_value(p, kw->name, v, port, sizeof(port)) == -1)
		return -1;
	if (apply)
		strlcpy(p->cfg->port, port, sizeof(p->cfg->port));
	return 0;
}

/*
 * Paths are absolute because the daemon runs from "/", and free of control
 * characters because they end up in log messages.
 */
static int
set_path(struct parse *p, const struct keyword *kw, const char *v, int apply)
{
	size_t	 i;

	if (kw->type == KW_PIDFILE && strcasecmp(v, "none") == 0) {
		if (apply)
			strlcpy(str_field(p->cfg, kw), "none", kw->size);
		return 0;
	}
	if (v[0] != '/')
		return perr(p, "%s: path must be absolute%s", kw->name,
		    kw->type == KW_PIDFILE ? " (or \"none\")" : "");
	if (strlen(v) >= kw->size)
		return perr(p, "%s: path too long (at most %zu bytes)",
		    kw->name, kw->size - 1);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return perr(p, "%s: control character in path",
			    kw->name);
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

/* The portable user name rule of POSIX, which every system accepts. */
static int
set_user(struct parse *p, const struct keyword *kw, const char *v, int apply)
{
	char	 shown[SHOW_BUFLEN];
	size_t	 len = strlen(v);

	if (len >= kw->size || v[0] == '-' || v[strspn(v,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    DIGITS "_.-")] != '\0')
		return perr(p, "%s: invalid user name \"%s\"", kw->name,
		    show(v, shown, sizeof(shown)));
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

static int
set_ciphers(struct parse *p, const struct keyword *kw, const char *v,
    int apply)
{
	char	 list[LINE_MAX_BYTES + 1], shown[SHOW_BUFLEN];
	char	*rest, *name;
	uint8_t	 suites[sizeof(p->cfg->suites)];
	size_t	 n = 0, i, j;

	strlcpy(list, v, sizeof(list));
	rest = list;
	while ((name = strsep(&rest, ",")) != NULL) {
		if (*name == '\0')
			return perr(p, "%s: empty cipher name in list",
			    kw->name);
		for (i = 0; i < NCIPHERS; i++)
			if (strcmp(name, ciphers[i].name) == 0)
				break;
		if (i == NCIPHERS)
			return perr(p, "%s: unknown cipher \"%s\"", kw->name,
			    show(name, shown, sizeof(shown)));
		for (j = 0; j < n; j++)
			if (suites[j] == ciphers[i].suite)
				return perr(p, "%s: cipher \"%s\" listed twice",
				    kw->name, name);
		/* Cannot happen while names are unique; kept for safety. */
		if (n == sizeof(suites))
			return perr(p, "%s: too many ciphers", kw->name);
		suites[n++] = ciphers[i].suite;
	}
	if (apply) {
		memset(p->cfg->suites, 0, sizeof(p->cfg->suites));
		memcpy(p->cfg->suites, suites, n);
		p->cfg->nsuites = (int)n;
	}
	return 0;
}

static int
set_loglevel(struct parse *p, const struct keyword *kw, const char *v,
    int apply)
{
	char	 shown[SHOW_BUFLEN];
	int	 verbose;

	if (strcasecmp(v, "INFO") == 0)
		verbose = 0;
	else if (strcasecmp(v, "VERBOSE") == 0 || strcasecmp(v, "DEBUG") == 0)
		verbose = 1;
	else
		return perr(p, "%s: unknown level \"%s\" "
		    "(INFO, VERBOSE or DEBUG)", kw->name,
		    show(v, shown, sizeof(shown)));
	if (apply)
		p->cfg->log_verbose = verbose;
	return 0;
}

/*
 * ListenAddress forms: 1.2.3.4, 1.2.3.4:port, name, name:port, ::1 (a bare
 * IPv6 address has no port), [::1] and [::1]:port.  The first line in a
 * file replaces the built-in addresses; later lines add to them.
 */
static int
set_listen(struct parse *p, const struct keyword *kw, const char *v,
    int first)
{
	struct listen_addr	 la;
	struct config		*cfg = p->cfg;
	char			 shown[SHOW_BUFLEN];
	const char		*host = v, *port = NULL, *colon, *rbracket;
	size_t			 hostlen;
	int			 ok;

	memset(&la, 0, sizeof(la));
	colon = strchr(v, ':');
	if (v[0] == '[') {
		host = v + 1;
		if ((rbracket = strchr(host, ']')) == NULL)
			return perr(p, "%s: missing ']' in \"%s\"", kw->name,
			    show(v, shown, sizeof(shown)));
		hostlen = (size_t)(rbracket - host);
		if (rbracket[1] == ':')
			port = rbracket + 2;
		else if (rbracket[1] != '\0')
			return perr(p, "%s: junk after ']' in \"%s\"",
			    kw->name, show(v, shown, sizeof(shown)));
		ok = valid_ipv6(host, hostlen);
	} else if (colon != NULL && strchr(colon + 1, ':') != NULL) {
		hostlen = strlen(v);
		ok = valid_ipv6(host, hostlen);
	} else if (colon != NULL) {
		hostlen = (size_t)(colon - v);
		port = colon + 1;
		ok = valid_hostname(host, hostlen);
	} else {
		hostlen = strlen(v);
		ok = valid_hostname(host, hostlen);
	}
	if (!ok || hostlen >= sizeof(la.host))
		return perr(p, "%s: bad address \"%s\"", kw->name,
		    show(v, shown, sizeof(shown)));
	memcpy(la.host, host, hostlen);
	la.host[hostlen] = '\0';
	if (port != NULL &&
	    port_value(p, kw->name, port, la.port, sizeof(la.port)) == -1)
		return -1;

	if (first)
		cfg->nlisten = 0;
	if (cfg->nlisten >= CONFIG_MAX_LISTEN)
		return perr(p, "%s: too many addresses (at most %d)",
		    kw->name, CONFIG_MAX_LISTEN);
	cfg->listen[cfg->nlisten++] = la;
	return 0;
}

/* ---------------------------------------------------------------- lines */

/*
 * Split a line in place into at most WORDS_MAX words.  Words are separated
 * by blanks; a value may be put in double quotes to hold blanks or '#'; an
 * unquoted '#' at the start of a word begins a comment.  As in sshd_config
 * the keyword may be followed by one '=' instead of, or among, blanks.
 * Returns NULL, or why the line cannot be split.
 */
static const char *
split_words(char *s, char **words, int *nwords)
{
	char	*end;
	int	 n = 0, equals = 0;

	*nwords = 0;
	for (;;) {
		s += strspn(s, WHITESPACE);
		if (n == 1 && !equals && *s == '=') {
			equals = 1;
			s++;
			s += strspn(s, WHITESPACE);
		}
		if (*s == '\0' || *s == '#' || n == WORDS_MAX)
			break;
		if (n == 0) {
			end = s + strcspn(s, WHITESPACE "=\"");
			if (*end == '"')
				return "misplaced quote";
			equals = *end == '=';
		} else if (*s == '"') {
			s++;
			if ((end = strchr(s, '"')) == NULL)
				return "unterminated quote";
			if (end[1] != '\0' &&
			    strchr(WHITESPACE, end[1]) == NULL)
				return "missing blank after closing quote";
		} else {
			end = s + strcspn(s, WHITESPACE "\"");
			if (*end == '"')
				return "misplaced quote";
		}
		words[n++] = s;
		if (*end == '\0')
			s = end;
		else {
			*end = '\0';
			s = end + 1;
		}
	}
	*nwords = n;
	return NULL;
}

static int
parse_line(struct parse *p, char *line)
{
	const struct keyword	*kw;
	char			*words[WORDS_MAX], shown[SHOW_BUFLEN];
	const char		*why, *v;
	size_t			 k;
	int			 n, apply, rv;

	if ((why = split_words(line, words, &n)) != NULL)
		return perr(p, "%s", why);
	if (n == 0)
		return 0;
	if ((kw = find_keyword(words[0])) == NULL)
		return perr(p, "unknown keyword \"%s\"",
		    show(words[0], shown, sizeof(shown)));
	if (n < 2)
		return perr(p, "%s: missing value", kw->name);
	if (n > 2)
		return perr(p, "%s: extra arguments after the value", kw->name);
	v = words[1];
	if (*v == '\0')
		return perr(p, "%s: empty value", kw->name);

	/* sshd's rule: the first value wins; later ones are still checked. */
	k = (size_t)(kw - keywords);
	apply = !p->seen[k];
	switch (kw->type) {
	case KW_LISTEN:
		/* Accumulates; "apply" here means "replace the defaults". */
		rv = set_listen(p, kw, v, apply);
		break;
	case KW_PORT:
		rv = set_port(p, kw, v, apply);
		break;
	case KW_PATH:
	case KW_PIDFILE:
		rv = set_path(p, kw, v, apply);
		break;
	case KW_USER:
		rv = set_user(p, kw, v, apply);
		break;
	case KW_CIPHERS:
		rv = set_ciphers(p, kw, v, apply);
		break;
	case KW_NUMBER:
		rv = set_number(p, kw, v, apply);
		break;
	case KW_TIME:
		rv = set_time(p, kw, v, apply);
		break;
	case KW_SIZE:
		rv = set_size(p, kw, v, apply);
		break;
	case KW_LOGLEVEL:
		rv = set_loglevel(p, kw, v, apply);
		break;
	case KW_COLONS:
		rv = set_colons(p, kw, v, apply);
		break;
	default:
		rv = perr(p, "%s: internal error", kw->name);
		break;
	}
	if (rv == 0)
		p->seen[k] = 1;
	return rv;
}

int
config_parse(struct config *cfg, const char *buf, size_t len,
    const char *filename, char *err, size_t errlen)
{
	struct parse	 p;
	struct config	 work;
	char		 line[LINE_MAX_BYTES + 1];
	const char	*nl;
	size_t		 off = 0, linelen;

	memset(&p, 0, sizeof(p));
	work = *cfg;
	p.cfg = &work;
	p.file = filename != NULL ? filename : "(config)";
	p.err = err;
	p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	while (off < len) {
		p.lineno++;
		nl = memchr(buf + off, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		if (memchr(buf + off, '\0', linelen) != NULL)
			return perr(&p, "NUL byte in file");
		if (linelen > LINE_MAX_BYTES)
			return perr(&p, "line too long (at most %d bytes)",
			    LINE_MAX_BYTES);
		memcpy(line, buf + off, linelen);
		line[linelen] = '\0';
		if (parse_line(&p, line) == -1)
			return -1;
		off += linelen + (nl != NULL ? 1 : 0);
	}
	*cfg = work;
	return 0;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct config	 work;
	char		*buf;
	size_t		 len;
	int		 rv;

	if ((buf = read_small_file(path, CONFIG_FILE_MAX, &len)) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	config_defaults(&work);
	rv = config_parse(&work, buf, len, path, err, errlen);
	free(buf);
	if (rv == 0)
		*cfg = work;
	return rv;
}

/* ---------------------------------------------------------------- print */

static void
print_name(FILE *fp, const char *name)
{
	for (; *name != '\0'; name++)
		putc(tolower((unsigned char)*name), fp);
	putc(' ', fp);
}

/* Quote what the parser would otherwise split or take for a comment. */
static void
print_string(FILE *fp, const char *s)
{
	if (*s == '\0' || *s == '#' || *s == '=' ||
	    s[strcspn(s, WHITESPACE)] != '\0')
		fprintf(fp, "\"%s\"\n", s);
	else
		fprintf(fp, "%s\n", s);
}

static const char *
cipher_name(uint8_t suite)
{
	size_t	 i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].suite == suite)
			return ciphers[i].name;
	return "unknown";
}

static void
print_keyword(const struct config *cfg, const struct keyword *kw, FILE *fp)
{
	const struct listen_addr *la;
	int	 i;

	switch (kw->type) {
	case KW_LISTEN:
		/* Like sshd -T: one line per address, with its real port. */
		for (i = 0; i < cfg->nlisten; i++) {
			la = &cfg->listen[i];
			print_name(fp, kw->name);
			fprintf(fp, strchr(la->host, ':') != NULL ?
			    "[%s]:%s\n" : "%s:%s\n", la->host,
			    la->port[0] != '\0' ? la->port : cfg->port);
		}
		break;
	case KW_CIPHERS:
		print_name(fp, kw->name);
		for (i = 0; i < cfg->nsuites; i++)
			fprintf(fp, "%s%s", i > 0 ? "," : "",
			    cipher_name(cfg->suites[i]));
		putc('\n', fp);
		break;
	case KW_LOGLEVEL:
		print_name(fp, kw->name);
		fprintf(fp, "%s\n", cfg->log_verbose ? "DEBUG" : "INFO");
		break;
	case KW_NUMBER:
	case KW_TIME:
	case KW_SIZE:
		print_name(fp, kw->name);
		fprintf(fp, "%u\n", *uint_cfield(cfg, kw));
		break;
	case KW_COLONS:
		print_name(fp, kw->name);
		for (i = 0; i < (int)(kw->size / sizeof(unsigned)); i++)
			fprintf(fp, "%s%u", i > 0 ? ":" : "",
			    uint_cfield(cfg, kw)[i]);
		putc('\n', fp);
		break;
	default:
		print_name(fp, kw->name);
		print_string(fp, str_cfield(cfg, kw));
		break;
	}
}

void
config_print(const struct config *cfg, FILE *fp)
{
	size_t	 i;

	for (i = 0; i < NKEYWORDS; i++)
		print_keyword(cfg, &keywords[i], fp);
}
