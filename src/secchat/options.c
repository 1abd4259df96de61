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

#include "noise.h"
#include "options.h"
#include "util.h"
#include "wire.h"

#define DEFAULT_PORT		"9999"
#define DEFAULT_HOST		"localhost"

void
opt_usage(void)
{
	fprintf(stderr,
	    "usage: secchat [-46lv] [-i identity] [-o option] "
	    "[-P password_file]\n"
	    "               [-p port] [-u user] [host]\n"
	    "       secchat -K | -N [-i identity] [-o PassphraseFd=N]\n");
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
parse_ciphers(struct options *o, const char *list)
{
	char	*copy, *p, *name;
	size_t	 i;

	if ((copy = strdup(list)) == NULL)
		err(EXIT_ERROR, "strdup");
	o->nsuites = 0;
	for (p = copy; (name = strsep(&p, ",")) != NULL; ) {
		uint8_t id;

		if (parse_suite(name, &id) == -1) {
			warnx("unknown cipher \"%s\" (known: aes256-gcm, "
			    "chacha20-poly1305)", name);
			opt_usage();
		}
		if (id == SUITE_AESGCM && !noise_aesgcm_available())
			errx(EXIT_ERROR, "aes256-gcm is not available on this "
			    "CPU");
		for (i = 0; i < o->nsuites; i++)
			if (o->suites[i] == id) {
				warnx("cipher \"%s\" listed twice", name);
				opt_usage();
			}
		if (o->nsuites == HELLO_MAX_SUITES) {
			warnx("at most %d ciphers", HELLO_MAX_SUITES);
			opt_usage();
		}
		o->suites[o->nsuites++] = id;
	}
	free(copy);
}

static int
parse_int(const char *what, const char *s, long long min, long long max)
{
	const char	*errstr;
	long long	 v;

	v = strtonum(s, min, max, &errstr);
	if (errstr != NULL) {
		warnx("%s %s: %s", what, s, errstr);
		opt_usage();
	}
	return (int)v;
}

/* -o Keyword=value (or "Keyword value"), as ssh takes it. */
static void
parse_option(struct options *o, const char *arg)
{
	char		 key[64];
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

	if (strcasecmp(key, "StrictHostKeyChecking") == 0) {
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
			warnx("StrictHostKeyChecking: want ask, accept-new, "
			    "yes or no");
			opt_usage();
		}
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0)
		o->known_hosts = val;
	else if (strcasecmp(key, "Ciphers") == 0)
		parse_ciphers(o, val);
	else if (strcasecmp(key, "ConnectTimeout") == 0)
		o->connect_timeout = parse_int("ConnectTimeout", val, 1, 86400);
	else if (strcasecmp(key, "PasswordFd") == 0)
		o->password_fd = parse_int("PasswordFd", val, 0, INT_MAX);
	else if (strcasecmp(key, "PassphraseFd") == 0)
		o->passphrase_fd = parse_int("PassphraseFd", val, 0, INT_MAX);
	else if (strcasecmp(key, "KnownPeersFile") == 0)
		o->known_peers = val;
	else if (strcasecmp(key, "KeyLogin") == 0) {
		if (strcasecmp(val, "yes") == 0)
			o->key_login = 1;
		else if (strcasecmp(val, "no") == 0)
			o->key_login = 0;
		else {
			warnx("KeyLogin: want yes or no");
			opt_usage();
		}
	}
	else {
		warnx("unknown option \"%s\"", key);
		opt_usage();
	}
}

static void
default_suites(struct options *o)
{
	o->nsuites = 0;
	if (noise_aesgcm_available())
		o->suites[o->nsuites++] = SUITE_AESGCM;
	o->suites[o->nsuites++] = SUITE_CHACHAPOLY;
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
	o->policy = HK_ASK;
	o->host = DEFAULT_HOST;
	default_suites(o);

	while ((ch = getopt(argc, argv, "46hi:KlNo:P:p:u:v")) != -1) {
		switch (ch) {
		case '4':
			o->family = AF_INET;
			break;
		case '6':
			o->family = AF_INET6;
			break;
		case 'i':
			o->identity = optarg;
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
			(void)parse_int("port", optarg, 1, 65535);
			o->port = optarg;
			break;
		case 'u':
			o->user = optarg;
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
	if (argc > 1)
		opt_usage();
	if (argc == 1)
		o->host = argv[0];
	/* "[::1]", as in URLs and known_hosts, means the address inside. */
	if (o->host[0] == '[' && o->host[strlen(o->host) - 1] == ']') {
		char *h = strdup(o->host + 1);

		if (h == NULL)
			err(EXIT_ERROR, "strdup");
		h[strlen(h) - 1] = '\0';
		o->host = h;
	}
	if (*o->host == '\0')
		opt_usage();
	if (o->show_public + o->set_passphrase + o->show_fingerprint > 1) {
		warnx("-K, -l and -N exclude each other");
		opt_usage();
	}
	if (o->password_file != NULL && o->password_fd != -1) {
		warnx("-P and PasswordFd exclude each other");
		opt_usage();
	}
	if (o->user != NULL && !valid_username(o->user, strlen(o->user))) {
		warnx("invalid user name \"%s\"", o->user);
		opt_usage();
	}
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
