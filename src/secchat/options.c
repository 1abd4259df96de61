/*
 * options.c: the command line, with the options ssh users know (-o
 * StrictHostKeyChecking, UserKnownHostsFile, ConnectTimeout, Ciphers),
 * and the directory the files it names default to.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <err.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cliconf.h"
#include "colour.h"
#include "noise.h"
#include "options.h"
#include "util.h"
#include "wire.h"

#define DEFAULT_PORT		"9999"
#define DEFAULT_HOST		"localhost"
#define DEFAULT_ALIVE_INTERVAL	30	/* s of silence, then a PING */
#define DEFAULT_ALIVE_COUNT_MAX	3	/* unanswered: the link is dead */

void
opt_usage(void)
{
	fprintf(stderr,
	    "usage: secchat [-46lv] [-F config] [-i identity] [-o option] "
	    "[-P password_file]\n"
	    "               [-p port] [-u user] [host]\n"
	    "       secchat -K | -N [-i identity] [-o PassphraseFd=N]\n"
	    "       secchat -R host[:port] [-F config] "
	    "[-o KnownHostsFile=file]\n");
	exit(EXIT_USAGE);
}

static int
parse_suite(const char *name, uint8_t *id)
{
	const char	*hex = name;
	int		 v;
	uint8_t		 b;

	if (strcasecmp(name, "aes256-gcm") == 0) {
		*id = SUITE_AESGCM;
		return 0;
	}
	if (strcasecmp(name, "chacha20-poly1305") == 0) {
		*id = SUITE_CHACHAPOLY;
		return 0;
	}
	/* Raw ids, for testing servers: "0x7f" or "unknown-suite-0x7f". */
	if (strncasecmp(hex, "unknown-suite-", 14) == 0)
		hex += 14;
	if (strlen(hex) != 4 || hex[0] != '0' || (hex[1] != 'x' &&
	    hex[1] != 'X'))
		return -1;
	if ((v = hex_decode(hex + 2, &b, 1)) != 1 || b == SUITE_NONE)
		return -1;
	*id = b;
	return 0;
}

static void
default_suites(struct options *o)
{
	o->nsuites = 0;
	if (noise_aesgcm_available())
		o->suites[o->nsuites++] = SUITE_AESGCM;
	o->suites[o->nsuites++] = SUITE_CHACHAPOLY;
}

static int
parse_ciphers(struct options *o, const char *list, char *errbuf,
    size_t errlen)
{
	char	*copy, *p, *name;
	size_t	 i;
	int	 rc = -1;

	if ((copy = strdup(list)) == NULL)
		err(EXIT_ERROR, "strdup");
	o->nsuites = 0;
	for (p = copy; (name = strsep(&p, ",")) != NULL; ) {
		uint8_t id;

		if (parse_suite(name, &id) == -1) {
			snprintf(errbuf, errlen, "unknown cipher \"%s\" "
			    "(known: aes256-gcm, chacha20-poly1305)", name);
			goto out;
		}
		if (id == SUITE_AESGCM && !noise_aesgcm_available())
			errx(EXIT_ERROR, "aes256-gcm is not available on this "
			    "CPU");
		for (i = 0; i < o->nsuites; i++)
			if (o->suites[i] == id) {
				snprintf(errbuf, errlen, "cipher \"%s\" listed "
				    "twice", name);
				goto out;
			}
		if (o->nsuites == HELLO_MAX_SUITES) {
			snprintf(errbuf, errlen, "at most %d ciphers",
			    HELLO_MAX_SUITES);
			goto out;
		}
		o->suites[o->nsuites++] = id;
	}
	rc = 0;
 out:
	free(copy);
	if (rc == -1)
		default_suites(o);
	return rc;
}

/*
 * The keywords of -o and of the configuration file.  Each has a bit in
 * o->set, so that the first value given for it wins (the command line
 * comes first); several names may share one (UserKnownHostsFile and
 * KnownHostsFile).
 */
enum opt_kw {
	OPT_KW_USER, OPT_KW_PORT, OPT_KW_IDENTITY, OPT_KW_FAMILY,
	OPT_KW_KNOWN_HOSTS, OPT_KW_STRICT, OPT_KW_CIPHERS, OPT_KW_TIMEOUT,
	OPT_KW_PASSWORD_FD, OPT_KW_PASSPHRASE_FD, OPT_KW_KNOWN_PEERS,
	OPT_KW_KEY_LOGIN, OPT_KW_RECONNECT, OPT_KW_ALIVE, OPT_KW_ALIVE_MAX,
	OPT_KW_LOG, OPT_KW_LOG_DIR, OPT_KW_HOSTNAME, OPT_KW_COLOUR,
	OPT_KW_BELL, OPT_KW_TITLE, OPT_KW_SECONDS
};

static const struct {
	const char	*name;
	enum opt_kw	 kw;
	int		 path;		/* ~/ is expanded in the file */
} keywords[] = {
	{ "User",			OPT_KW_USER,		0 },
	{ "Port",			OPT_KW_PORT,		0 },
	{ "IdentityFile",		OPT_KW_IDENTITY,	1 },
	{ "AddressFamily",		OPT_KW_FAMILY,		0 },
	{ "KnownHostsFile",		OPT_KW_KNOWN_HOSTS,	1 },
	{ "UserKnownHostsFile",		OPT_KW_KNOWN_HOSTS,	1 },
	{ "StrictHostKeyChecking",	OPT_KW_STRICT,		0 },
	{ "Ciphers",			OPT_KW_CIPHERS,		0 },
	{ "ConnectTimeout",		OPT_KW_TIMEOUT,		0 },
	{ "PasswordFd",			OPT_KW_PASSWORD_FD,	0 },
	{ "PassphraseFd",		OPT_KW_PASSPHRASE_FD,	0 },
	{ "KnownPeersFile",		OPT_KW_KNOWN_PEERS,	1 },
	{ "KeyLogin",			OPT_KW_KEY_LOGIN,	0 },
	{ "Reconnect",			OPT_KW_RECONNECT,	0 },
	{ "ServerAliveInterval",	OPT_KW_ALIVE,		0 },
	{ "ServerAliveCountMax",	OPT_KW_ALIVE_MAX,	0 },
	{ "Log",			OPT_KW_LOG,		0 },
	{ "LogDir",			OPT_KW_LOG_DIR,		1 },
	{ "HostName",			OPT_KW_HOSTNAME,	0 },
	{ "Colour",			OPT_KW_COLOUR,		0 },
	{ "Color",			OPT_KW_COLOUR,		0 },
	{ "Bell",			OPT_KW_BELL,		0 },
	{ "Title",			OPT_KW_TITLE,		0 },
	{ "Seconds",			OPT_KW_SECONDS,		0 },
};

static int
find_keyword(const char *key)
{
	size_t	 i;

	for (i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (strcasecmp(key, keywords[i].name) == 0)
			return (int)i;
	return -1;
}

int
opt_keyword_known(const char *key)
{
	return find_keyword(key) != -1;
}

static const char *
keep(struct options *o, char *s)
{
	char	**n;

	if (s == NULL)
		err(EXIT_ERROR, "strdup");
	if ((n = reallocarray(o->owned, o->nowned + 1, sizeof(*n))) == NULL)
		err(EXIT_ERROR, "reallocarray");
	o->owned = n;
	o->owned[o->nowned++] = s;
	return s;
}

/* "~/x" (or "~") in the file is the home directory's. */
static const char *
expand_home(struct options *o, const char *val)
{
	const char	*home;
	struct passwd	*pw;
	char		*s;

	if (val[0] != '~' || (val[1] != '/' && val[1] != '\0'))
		return val;
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			errx(EXIT_ERROR, "cannot find the home directory");
		home = pw->pw_dir;
	}
	if (asprintf(&s, "%s%s", home, val + 1) == -1)
		err(EXIT_ERROR, "asprintf");
	return keep(o, s);
}

static int
yes_no(const char *val, int *out)
{
	if (strcasecmp(val, "yes") == 0)
		*out = 1;
	else if (strcasecmp(val, "no") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
number(const char *val, long long min, long long max, int *out,
    const char *what, char *errbuf, size_t errlen)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(val, min, max, &errstr);
	if (errstr != NULL) {
		snprintf(errbuf, errlen, "%s %s: %s", what, val, errstr);
		return -1;
	}
	*out = (int)v;
	return 0;
}

int
opt_set(struct options *o, const char *key, const char *val, int from_file,
    char *errbuf, size_t errlen)
{
	int		 i, v;
	enum opt_kw	 kw;

	if ((i = find_keyword(key)) == -1) {
		snprintf(errbuf, errlen, "unknown option \"%s\"", key);
		return -1;
	}
	kw = keywords[i].kw;
	if (from_file && (o->set & (1U << kw)))
		return 0;
	if (from_file && keywords[i].path)
		val = expand_home(o, val);
	key = keywords[i].name;

	switch (kw) {
	case OPT_KW_USER:
		if (!valid_username(val, strlen(val))) {
			snprintf(errbuf, errlen, "invalid user name \"%s\"",
			    val);
			return -1;
		}
		o->user = val;
		break;
	case OPT_KW_PORT:
		if (number(val, 1, 65535, &v, "port", errbuf, errlen) == -1)
			return -1;
		o->port = val;
		break;
	case OPT_KW_IDENTITY:
		o->identity = val;
		break;
	case OPT_KW_FAMILY:
		if (strcasecmp(val, "any") == 0)
			o->family = AF_UNSPEC;
		else if (strcasecmp(val, "inet") == 0)
			o->family = AF_INET;
		else if (strcasecmp(val, "inet6") == 0)
			o->family = AF_INET6;
		else {
			snprintf(errbuf, errlen, "AddressFamily: want any, "
			    "inet or inet6");
			return -1;
		}
		break;
	case OPT_KW_KNOWN_HOSTS:
		o->known_hosts = val;
		break;
	case OPT_KW_STRICT:
		if (strcasecmp(val, "ask") == 0)
			o->policy = HK_ASK;
		else if (strcasecmp(val, "accept-new") == 0)
			o->policy = HK_ACCEPT_NEW;
		else if (strcasecmp(val, "yes") == 0)
			o->policy = HK_STRICT;
		else if (strcasecmp(val, "no") == 0 ||
		    strcasecmp(val, "off") == 0)
			o->policy = HK_NO;
		else {
			snprintf(errbuf, errlen, "StrictHostKeyChecking: want "
			    "ask, accept-new, yes or no");
			return -1;
		}
		break;
	case OPT_KW_CIPHERS:
		if (parse_ciphers(o, val, errbuf, errlen) == -1)
			return -1;
		break;
	case OPT_KW_TIMEOUT:
		if (number(val, 1, 86400, &o->connect_timeout, key, errbuf,
		    errlen) == -1)
			return -1;
		break;
	case OPT_KW_PASSWORD_FD:
		if (number(val, 0, INT_MAX, &o->password_fd, key, errbuf,
		    errlen) == -1)
			return -1;
		break;
	case OPT_KW_PASSPHRASE_FD:
		if (number(val, 0, INT_MAX, &o->passphrase_fd, key, errbuf,
		    errlen) == -1)
			return -1;
		break;
	case OPT_KW_KNOWN_PEERS:
		o->known_peers = val;
		break;
	case OPT_KW_KEY_LOGIN:
	case OPT_KW_RECONNECT:
	case OPT_KW_LOG:
	case OPT_KW_BELL:
	case OPT_KW_TITLE:
	case OPT_KW_SECONDS:
		if (yes_no(val, &v) == -1) {
			snprintf(errbuf, errlen, "%s: want yes or no", key);
			return -1;
		}
		if (kw == OPT_KW_KEY_LOGIN)
			o->key_login = v;
		else if (kw == OPT_KW_RECONNECT)
			o->reconnect = v;
		else if (kw == OPT_KW_LOG)
			o->log = v;
		else if (kw == OPT_KW_BELL)
			o->bell = v;
		else if (kw == OPT_KW_TITLE)
			o->title = v;
		else
			o->seconds = v;
		break;
	case OPT_KW_COLOUR: {
		enum colour_want	 want;

		if (colour_parse_want(val, &want) == -1) {
			snprintf(errbuf, errlen, "Colour: want auto, yes or "
			    "no");
			return -1;
		}
		o->colour = (int)want;
		break;
	}
	case OPT_KW_ALIVE:
		if (number(val, 0, 86400, &o->alive_interval, key, errbuf,
		    errlen) == -1)
			return -1;
		break;
	case OPT_KW_ALIVE_MAX:
		if (number(val, 1, 1000, &o->alive_count_max, key, errbuf,
		    errlen) == -1)
			return -1;
		break;
	case OPT_KW_LOG_DIR:
		o->log_dir = val;
		o->log = 1;
		break;
	case OPT_KW_HOSTNAME:
		if (*val == '\0' || strcspn(val, " \t") != strlen(val)) {
			snprintf(errbuf, errlen, "HostName: want one name");
			return -1;
		}
		o->host = val;
		break;
	}
	o->set |= 1U << kw;
	return 0;
}

/* -o Keyword=value (or "Keyword value"), as ssh takes it. */
static void
parse_option(struct options *o, const char *arg)
{
	char		 key[64], errbuf[256];
	const char	*val;
	size_t		 klen;

	klen = strcspn(arg, "= \t");
	val = arg + klen;
	val += strspn(val, " \t");
	if (*val == '=')
		val++;
	val += strspn(val, " \t");
	if (klen == 0 || klen >= sizeof(key) || *val == '\0') {
		warnx("bad option \"%s\" (want Keyword=value)", arg);
		opt_usage();
	}
	memcpy(key, arg, klen);
	key[klen] = '\0';
	if (opt_set(o, key, val, 0, errbuf, sizeof(errbuf)) == -1) {
		warnx("%s", errbuf);
		opt_usage();
	}
}

/* A flag that sets a keyword: as -o Keyword=value. */
static void
flag_option(struct options *o, const char *key, const char *val)
{
	char	 errbuf[256];

	if (opt_set(o, key, val, 0, errbuf, sizeof(errbuf)) == -1) {
		warnx("%s", errbuf);
		opt_usage();
	}
}

void
opt_parse(struct options *o, int argc, char *argv[])
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->port = DEFAULT_PORT;
	o->password_fd = -1;
	o->passphrase_fd = -1;
	o->key_login = 1;
	o->colour = COLOUR_AUTO;
	o->bell = 1;
	o->title = 1;
	o->policy = HK_ASK;
	o->host = DEFAULT_HOST;
	o->reconnect = OPT_AUTO;
	o->alive_interval = DEFAULT_ALIVE_INTERVAL;
	o->alive_count_max = DEFAULT_ALIVE_COUNT_MAX;
	default_suites(o);

	while ((ch = getopt(argc, argv, "46F:hi:KlNo:P:p:R:u:v")) != -1) {
		switch (ch) {
		case '4':
			flag_option(o, "AddressFamily", "inet");
			break;
		case '6':
			flag_option(o, "AddressFamily", "inet6");
			break;
		case 'F':
			if (strcmp(optarg, "none") == 0)
				o->no_config = 1;
			else
				o->config_file = optarg;
			break;
		case 'i':
			flag_option(o, "IdentityFile", optarg);
			break;
		case 'K':
			o->show_public = 1;
			break;
		case 'l':
			o->show_fingerprint = 1;
			break;
		case 'N':
			o->set_passphrase = 1;
			break;
		case 'o':
			parse_option(o, optarg);
			break;
		case 'P':
			o->password_file = optarg;
			break;
		case 'p':
			flag_option(o, "Port", optarg);
			break;
		case 'R':
			if (*optarg == '\0')
				opt_usage();
			o->remove_host = optarg;
			break;
		case 'u':
			flag_option(o, "User", optarg);
			break;
		case 'v':
			o->verbose++;
			break;
		default:
			opt_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (o->remove_host != NULL && argc > 0))
		opt_usage();
	if (argc == 1) {
		if ((o->set & (1U << OPT_KW_HOSTNAME)) == 0)
			o->host = argv[0];
		o->host_arg = argv[0];
	} else
		o->host_arg = o->host;
	if (*o->host_arg == '\0')
		opt_usage();
	if (o->show_public + o->set_passphrase + o->show_fingerprint +
	    (o->remove_host != NULL) > 1) {
		warnx("-K, -l, -N and -R exclude each other");
		opt_usage();
	}
	if (o->password_file != NULL && o->password_fd != -1) {
		warnx("-P and PasswordFd exclude each other");
		opt_usage();
	}
}

/* After the configuration file: what it may have changed. */
static void
opt_finish(struct options *o)
{
	/* "[::1]", as in URLs and known_hosts, means the address inside. */
	if (o->host[0] == '[' && o->host[strlen(o->host) - 1] == ']') {
		char *h = strdup(o->host + 1);

		h = (char *)keep(o, h);
		h[strlen(h) - 1] = '\0';
		o->host = h;
	}
	if (*o->host == '\0')
		opt_usage();
	if (o->password_file != NULL && o->password_fd != -1) {
		warnx("-P and PasswordFd exclude each other");
		opt_usage();
	}
}

static int
apply_one(void *arg, const char *key, const char *val, char *errbuf,
    size_t errlen)
{
	struct options	*o = arg;

	return opt_set(o, key, val, 1, errbuf, errlen);
}

void
opt_read_config(struct options *o, const char *dir)
{
	struct cliconf	 conf;
	char		 errbuf[512], *path = NULL;
	const char	*file = o->config_file;

	if (o->no_config) {
		opt_finish(o);
		return;
	}
	if (file == NULL) {
		if (asprintf(&path, "%s/config", dir) == -1)
			err(EXIT_ERROR, "asprintf");
		file = path;
	}
	cliconf_init(&conf);
	/* Only a file named with -F must exist. */
	if (cliconf_load(&conf, file, o->config_file != NULL, errbuf,
	    sizeof(errbuf)) == -1)
		errx(EXIT_USAGE, "%s", errbuf);
	/* Host patterns are matched against the name as typed, as ssh does. */
	if (cliconf_apply(&conf, o->remove_host != NULL ? o->remove_host :
	    o->host_arg, apply_one, o, errbuf, sizeof(errbuf)) == -1)
		errx(EXIT_USAGE, "%s", errbuf);
	/* The values live on in o. */
	cliconf_give(&conf, &o->owned, &o->nowned);
	cliconf_free(&conf);
	free(path);
	opt_finish(o);
}

void
opt_free(struct options *o)
{
	size_t	 i;

	for (i = 0; i < o->nowned; i++)
		free(o->owned[i]);
	free(o->owned);
	o->owned = NULL;
	o->nowned = 0;
}

char *
opt_config_dir(void)
{
	const char	*xdg = getenv("XDG_CONFIG_HOME"), *home;
	struct passwd	*pw;
	char		*dir;

	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&dir, "%s/secchat", xdg) == -1)
			err(EXIT_ERROR, "asprintf");
		return dir;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			errx(EXIT_ERROR, "cannot find the home directory");
		home = pw->pw_dir;
	}
	if (asprintf(&dir, "%s/.config/secchat", home) == -1)
		err(EXIT_ERROR, "asprintf");
	return dir;
}
