/*
 * conf_value.c: the values of secchatd.conf, one parser and one printer per
 * kind of value (conf_value.h).
 *
 * Each parser is a function over a NUL-terminated word from one line: it
 * checks the whole value, with the keyword's range, before it stores
 * anything, and says what is wrong with the word shown safely.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "conf_value.h"
#include "util.h"
#include "wire.h"

#define DIGITS		"0123456789"
#define NUMBER_DIGITS	15	/* more digits than any limit needs */
#define TIME_LIMIT	1000000000LL		/* seconds; beyond any range */
#define SIZE_LIMIT	(1024LL * 1024 * 1024 * 1024)	/* bytes; ditto */

static const struct {
	const char	*name;
	uint8_t		 suite;
} ciphers[] = {
	{ "aes256-gcm", SUITE_AESGCM },
	{ "chacha20-poly1305", SUITE_CHACHAPOLY },
};
#define NCIPHERS	(sizeof(ciphers) / sizeof(ciphers[0]))

/* ---------------------------------------------------------------- helpers */

/* Record "FILE:LINE: message" and fail. */
int
conf_perr(struct conf_parse *p, const char *fmt, ...)
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
const char *
conf_show(const char *s, char *out, size_t outlen)
{
	size_t	 o = 0, i;

	for (i = 0; s[i] != '\0' && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == CONF_SHOW_MAX) {
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
uint_field(struct config *cfg, const struct conf_keyword *kw)
{
	return (unsigned *)(void *)((char *)cfg + kw->off);
}

static const unsigned *
uint_cfield(const struct config *cfg, const struct conf_keyword *kw)
{
	return (const unsigned *)(const void *)((const char *)cfg + kw->off);
}

static char *
str_field(struct config *cfg, const struct conf_keyword *kw)
{
	return (char *)cfg + kw->off;
}

static const char *
str_cfield(const struct config *cfg, const struct conf_keyword *kw)
{
	return (const char *)cfg + kw->off;
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
set_colons(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char		 shown[CONF_SHOW_BUFLEN];
	unsigned	 val[4], *field = uint_field(p->cfg, kw);
	size_t		 want = kw->size / sizeof(unsigned), got = 0, len;
	const char	*s = v, *errstr;
	long long	 n;

	for (;;) {
		len = strspn(s, DIGITS);
		if (got == want || (s[len] != ':' && s[len] != '\0'))
			return conf_perr(p, "%s: value \"%s\" is not %zu "
			    "numbers joined by ':'", kw->name,
			    conf_show(v, shown, sizeof(shown)), want);
		if ((errstr = digits_value(s, len, kw->max, &n)) != NULL ||
		    (errstr = range_check(n, kw->min, kw->max)) != NULL)
			return conf_perr(p, "%s: value \"%s\" is %s (each "
			    "allowed %lld..%lld)", kw->name,
			    conf_show(v, shown, sizeof(shown)), errstr, kw->min,
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
		return conf_perr(p, "%s: value \"%s\" is not %zu numbers "
		    "joined by ':'", kw->name,
		    conf_show(v, shown, sizeof(shown)), want);
	if (kw->off == offsetof(struct config, startups) && val[0] == 0)
		return conf_perr(p, "%s: start must be at least 1", kw->name);
	if (kw->off == offsetof(struct config, startups) &&
	    (val[0] > val[2] || val[1] > 100))
		return conf_perr(p, "%s: start must not exceed full, and rate "
		    "is a percentage", kw->name);
	if (kw->off == offsetof(struct config, conn_rate) &&
	    (val[0] == 0) != (val[1] == 0))
		return conf_perr(p, "%s: rate and burst are both 0 (off) or "
		    "both positive", kw->name);
	if (kw->off == offsetof(struct config, netblock) &&
	    (val[0] > 32 || val[1] > 128))
		return conf_perr(p, "%s: at most 32 bits for IPv4 and 128 for "
		    "IPv6", kw->name);
	if (apply)
		memcpy(field, val, want * sizeof(unsigned));
	return 0;
}

static int
set_number(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char		 shown[CONF_SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if (!all_digits(v))
		errstr = "invalid";
	else
		n = strtonum(v, kw->min, kw->max, &errstr);
	if (errstr != NULL)
		return conf_perr(p, "%s: value \"%s\" is %s "
		    "(allowed %lld..%lld)", kw->name,
		    conf_show(v, shown, sizeof(shown)), errstr, kw->min,
		    kw->max);
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

static int
set_time(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char		 shown[CONF_SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if ((errstr = time_value(v, &n)) == NULL)
		errstr = range_check(n, kw->min, kw->max);
	if (errstr != NULL)
		return conf_perr(p, "%s: time \"%s\" is %s "
		    "(allowed %lld..%lld seconds)", kw->name,
		    conf_show(v, shown, sizeof(shown)), errstr, kw->min,
		    kw->max);
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

static int
set_size(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char		 shown[CONF_SHOW_BUFLEN], lo[32], hi[32];
	const char	*errstr;
	long long	 n = 0;

	if ((errstr = size_value(v, &n)) == NULL)
		errstr = range_check(n, kw->min, kw->max);
	if (errstr != NULL)
		return conf_perr(p, "%s: size \"%s\" is %s "
		    "(allowed %s..%s bytes)", kw->name,
		    conf_show(v, shown, sizeof(shown)), errstr,
		    size_text(kw->min, lo, sizeof(lo)),
		    size_text(kw->max, hi, sizeof(hi)));
	if (apply)
		*uint_field(p->cfg, kw) = (unsigned)n;
	return 0;
}

/* A port number, checked and stored in its canonical decimal form. */
static int
port_value(struct conf_parse *p, const char *name, const char *v, char *out,
    size_t outlen)
{
	char		 shown[CONF_SHOW_BUFLEN];
	const char	*errstr;
	long long	 n = 0;

	if (!all_digits(v))
		errstr = "invalid";
	else
		n = strtonum(v, 0, 65535, &errstr);
	/* Port 0: the kernel picks a free port (the log says which). */
	if (errstr != NULL)
		return conf_perr(p, "%s: port \"%s\" is %s (allowed 0..65535)",
		    name, conf_show(v, shown, sizeof(shown)), errstr);
	snprintf(out, outlen, "%lld", n);
	return 0;
}

static int
set_port(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
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
set_path(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	size_t	 i;

	if (kw->type == KW_PATH_NONE && strcasecmp(v, "none") == 0) {
		if (apply)
			strlcpy(str_field(p->cfg, kw), "none", kw->size);
		return 0;
	}
	if (v[0] != '/')
		return conf_perr(p, "%s: path must be absolute%s", kw->name,
		    kw->type == KW_PATH_NONE ? " (or \"none\")" : "");
	if (strlen(v) >= kw->size)
		return conf_perr(p, "%s: path too long (at most %zu bytes)",
		    kw->name, kw->size - 1);
	for (i = 0; v[i] != '\0'; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return conf_perr(p, "%s: control character in path",
			    kw->name);
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

/* The portable user name rule of POSIX, which every system accepts. */
static int
set_user(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char	 shown[CONF_SHOW_BUFLEN];
	size_t	 len = strlen(v);

	if (len >= kw->size || v[0] == '-' || v[strspn(v,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    DIGITS "_.-")] != '\0')
		return conf_perr(p, "%s: invalid user name \"%s\"", kw->name,
		    conf_show(v, shown, sizeof(shown)));
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

/* One of two words, stored as given. */
static int
set_choice(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply, const char *a, const char *b)
{
	char	 shown[CONF_SHOW_BUFLEN];

	if (strcmp(v, a) != 0 && strcmp(v, b) != 0)
		return conf_perr(p, "%s: \"%s\" is neither %s nor %s",
		    kw->name, conf_show(v, shown, sizeof(shown)), a, b);
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

/* Engine: redis only if this build has the Redis engine (hiredis). */
static int
set_engine(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	if (set_choice(p, kw, v, 0, "memory", "redis") == -1)
		return -1;
#ifndef HAVE_HIREDIS
	if (strcmp(v, "redis") == 0)
		return conf_perr(p, "%s: redis: this secchatd was built "
		    "without Redis support (hiredis); rebuild it with "
		    "libhiredis-dev installed", kw->name);
#endif
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

/*
 * RedisAddress: an absolute path is a Unix socket; anything else is
 * host:port (a name or IPv4 address, or [IPv6]:port).
 */
static int
set_endpoint(struct conf_parse *p, const struct conf_keyword *kw,
    const char *v, int apply)
{
	char		 shown[CONF_SHOW_BUFLEN];
	const char	*colon, *port;
	size_t		 i, hostlen;

	if (v[0] == '/') {
		if (strlen(v) >= CONFIG_SOCKET_PATH_MAX)
			return conf_perr(p, "%s: socket path too long (at "
			    "most %d bytes)", kw->name,
			    CONFIG_SOCKET_PATH_MAX - 1);
		return set_path(p, kw, v, apply);
	}
	if (strlen(v) >= kw->size)
		return conf_perr(p, "%s: too long", kw->name);
	if ((colon = strrchr(v, ':')) == NULL || colon == v)
		goto bad;
	port = colon + 1;
	if (*port == '\0' || port[strspn(port, DIGITS)] != '\0' ||
	    strlen(port) > 5 || atoi(port) < 1 || atoi(port) > 65535)
		goto bad;
	hostlen = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hostlen < 3 || v[hostlen - 1] != ']')
			goto bad;
		for (i = 1; i < hostlen - 1; i++)
			if (!isxdigit((unsigned char)v[i]) && v[i] != ':' &&
			    v[i] != '.')
				goto bad;
	} else
		for (i = 0; i < hostlen; i++)
			if (!isalnum((unsigned char)v[i]) && v[i] != '.' &&
			    v[i] != '-')
				goto bad;
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
 bad:
	return conf_perr(p, "%s: \"%s\" is neither an absolute path nor "
	    "host:port", kw->name, conf_show(v, shown, sizeof(shown)));
}

/* NodeName, RedisKeyPrefix: they become parts of Redis keys. */
static int
set_word(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char	 shown[CONF_SHOW_BUFLEN];

	if (strlen(v) >= kw->size || v[strspn(v,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    DIGITS "_.-")] != '\0')
		return conf_perr(p, "%s: \"%s\" is not 1 to %zu letters, "
		    "digits, '.', '_' or '-'", kw->name,
		    conf_show(v, shown, sizeof(shown)), kw->size - 1);
	if (apply)
		strlcpy(str_field(p->cfg, kw), v, kw->size);
	return 0;
}

static int
set_ciphers(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char	 list[CONF_LINE_MAX + 1], shown[CONF_SHOW_BUFLEN];
	char	*rest, *name;
	uint8_t	 suites[sizeof(p->cfg->suites)];
	size_t	 n = 0, i, j;

	strlcpy(list, v, sizeof(list));
	rest = list;
	while ((name = strsep(&rest, ",")) != NULL) {
		if (*name == '\0')
			return conf_perr(p, "%s: empty cipher name in list",
			    kw->name);
		for (i = 0; i < NCIPHERS; i++)
			if (strcmp(name, ciphers[i].name) == 0)
				break;
		if (i == NCIPHERS)
			return conf_perr(p, "%s: unknown cipher \"%s\"",
			    kw->name, conf_show(name, shown, sizeof(shown)));
		for (j = 0; j < n; j++)
			if (suites[j] == ciphers[i].suite)
				return conf_perr(p,
				    "%s: cipher \"%s\" listed twice",
				    kw->name, name);
		/* Cannot happen while names are unique; kept for safety. */
		if (n == sizeof(suites))
			return conf_perr(p, "%s: too many ciphers", kw->name);
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
set_loglevel(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int apply)
{
	char	 shown[CONF_SHOW_BUFLEN];
	int	 verbose;

	if (strcasecmp(v, "INFO") == 0)
		verbose = 0;
	else if (strcasecmp(v, "VERBOSE") == 0 || strcasecmp(v, "DEBUG") == 0)
		verbose = 1;
	else
		return conf_perr(p, "%s: unknown level \"%s\" "
		    "(INFO, VERBOSE or DEBUG)", kw->name,
		    conf_show(v, shown, sizeof(shown)));
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
set_listen(struct conf_parse *p, const struct conf_keyword *kw, const char *v,
    int first)
{
	struct listen_addr	 la;
	struct config		*cfg = p->cfg;
	char			 shown[CONF_SHOW_BUFLEN];
	const char		*host = v, *port = NULL, *colon, *rbracket;
	size_t			 hostlen;
	int			 ok;

	memset(&la, 0, sizeof(la));
	colon = strchr(v, ':');
	if (v[0] == '[') {
		host = v + 1;
		if ((rbracket = strchr(host, ']')) == NULL)
			return conf_perr(p, "%s: missing ']' in \"%s\"",
			    kw->name, conf_show(v, shown, sizeof(shown)));
		hostlen = (size_t)(rbracket - host);
		if (rbracket[1] == ':')
			port = rbracket + 2;
		else if (rbracket[1] != '\0')
			return conf_perr(p, "%s: junk after ']' in \"%s\"",
			    kw->name, conf_show(v, shown, sizeof(shown)));
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
		return conf_perr(p, "%s: bad address \"%s\"", kw->name,
		    conf_show(v, shown, sizeof(shown)));
	memcpy(la.host, host, hostlen);
	la.host[hostlen] = '\0';
	if (port != NULL &&
	    port_value(p, kw->name, port, la.port, sizeof(la.port)) == -1)
		return -1;

	if (first)
		cfg->nlisten = 0;
	if (cfg->nlisten >= CONFIG_MAX_LISTEN)
		return conf_perr(p, "%s: too many addresses (at most %d)",
		    kw->name, CONFIG_MAX_LISTEN);
	cfg->listen[cfg->nlisten++] = la;
	return 0;
}

/* ---------------------------------------------------------------- methods */

static const struct {
	char	 name[12];
	unsigned bit;
} auth_method_names[] = {
	{ "publickey", AUTH_M_PUBLICKEY },
	{ "password", AUTH_M_PASSWORD },
};
#define NMETHODS	(sizeof(auth_method_names) / sizeof(auth_method_names[0]))

int
conf_methods_set(struct conf_parse *p, char **words, int n,
    struct auth_methods *out)
{
	struct auth_methods	 am;
	char			 shown[CONF_SHOW_BUFLEN];
	const char		*w, *comma;
	size_t			 len, k;
	unsigned		 mask, bit;
	int			 i, j;

	memset(&am, 0, sizeof(am));
	for (i = 0; i < n; i++) {
		mask = 0;
		for (w = words[i]; ; w = comma + 1) {
			comma = strchr(w, ',');
			len = comma != NULL ? (size_t)(comma - w) : strlen(w);
			bit = 0;
			for (k = 0; k < NMETHODS; k++)
				if (strlen(auth_method_names[k].name) == len &&
				    strncmp(w, auth_method_names[k].name,
				    len) == 0)
					bit = auth_method_names[k].bit;
			if (bit == 0)
				return conf_perr(p, "AuthenticationMethods: "
				    "unknown method \"%s\" (password or "
				    "publickey)", conf_show(words[i], shown,
				    sizeof(shown)));
			if (mask & bit)
				return conf_perr(p, "AuthenticationMethods: "
				    "a method twice in one list");
			mask |= bit;
			if (comma == NULL)
				break;
		}
		for (j = 0; j < am.n; j++)
			if (am.list[j] == mask)
				return conf_perr(p, "AuthenticationMethods: "
				    "the same list twice");
		if (am.n == CONFIG_AUTH_LISTS)
			return conf_perr(p, "AuthenticationMethods: too many "
			    "lists");
		am.list[am.n++] = (uint8_t)mask;
	}
	if (am.n == 0)
		return conf_perr(p, "AuthenticationMethods: missing value");
	if (out != NULL)
		*out = am;
	return 0;
}

void
conf_methods_print(const struct auth_methods *am, FILE *fp)
{
	size_t	 k;
	int	 i, first;

	fputs("authenticationmethods", fp);
	for (i = 0; i < am->n; i++) {
		putc(' ', fp);
		first = 1;
		for (k = 0; k < NMETHODS; k++)
			if (am->list[i] & auth_method_names[k].bit) {
				fprintf(fp, "%s%s", first ? "" : ",",
				    auth_method_names[k].name);
				first = 0;
			}
	}
	putc('\n', fp);
}

/* ---------------------------------------------------------------- dispatch */

int
conf_value_set(struct conf_parse *p, const struct conf_keyword *kw,
    const char *v, int apply)
{
	switch (kw->type) {
	case KW_LISTEN:
		/* Accumulates; "apply" here means "replace the defaults". */
		return set_listen(p, kw, v, apply);
	case KW_PORT:
		return set_port(p, kw, v, apply);
	case KW_PATH:
	case KW_PATH_NONE:
		return set_path(p, kw, v, apply);
	case KW_USER:
		return set_user(p, kw, v, apply);
	case KW_CIPHERS:
		return set_ciphers(p, kw, v, apply);
	case KW_NUMBER:
		return set_number(p, kw, v, apply);
	case KW_TIME:
		return set_time(p, kw, v, apply);
	case KW_SIZE:
		return set_size(p, kw, v, apply);
	case KW_LOGLEVEL:
		return set_loglevel(p, kw, v, apply);
	case KW_COLONS:
		return set_colons(p, kw, v, apply);
	case KW_ENGINE:
		return set_engine(p, kw, v, apply);
	case KW_STARTUP:
		return set_choice(p, kw, v, apply, "retry", "fail");
	case KW_ENDPOINT:
		return set_endpoint(p, kw, v, apply);
	case KW_WORD:
		return set_word(p, kw, v, apply);
	default:
		return conf_perr(p, "%s: internal error", kw->name);
	}
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
	    s[strcspn(s, CONF_WHITESPACE)] != '\0')
		fprintf(fp, "\"%s\"\n", s);
	else
		fprintf(fp, "%s\n", s);
}

const char *
config_cipher_name(uint8_t suite)
{
	size_t	 i;

	for (i = 0; i < NCIPHERS; i++)
		if (ciphers[i].suite == suite)
			return ciphers[i].name;
	return "unknown";
}

void
conf_value_print(const struct config *cfg, const struct conf_keyword *kw,
    FILE *fp)
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
			    config_cipher_name(cfg->suites[i]));
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

