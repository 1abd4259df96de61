/*
 * conf.c: secchatd.conf, read the way sshd reads sshd_config.
 *
 * The parser is a function over a buffer: it never reads past len, rejects
 * NUL bytes and overlong lines, and stops at the first problem with
 * "FILE:LINE: message".  As in sshd, the first value given for a keyword
 * is the one used (later ones are still checked), except ListenAddress,
 * which accumulates.  The caller's struct is only changed when the whole
 * file parses, so a bad file given to a running daemon changes nothing.
 *
 * This file holds the keyword table and the file reader; the values'
 * parsers and printers are in conf_value.c.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "conf_value.h"
#include "util.h"
#include "wire.h"

/* keyword, value, and one to notice extras; AuthenticationMethods' lists */
#define WORDS_MAX	(2 + CONFIG_AUTH_LISTS)

#define FIELD(f)	offsetof(struct config, f), \
			    sizeof(((struct config *)NULL)->f)

/* In the order of struct config; config_print and the manual follow it. */
static const struct conf_keyword keywords[] = {
	{ "ListenAddress", KW_LISTEN, FIELD(listen), 0, 0 },
	{ "Port", KW_PORT, FIELD(port), 0, 65535 },
	{ "HostKey", KW_PATH, FIELD(hostkey), 0, 0 },
	{ "UsersFile", KW_PATH, FIELD(usersfile), 0, 0 },
	{ "PidFile", KW_PATH_NONE, FIELD(pidfile), 0, 0 },
	{ "ControlSocket", KW_PATH_NONE, FIELD(control_socket), 0, 0 },
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
	{ "Engine", KW_ENGINE, FIELD(engine), 0, 0 },
	{ "RedisAddress", KW_ENDPOINT, FIELD(redis_address), 0, 0 },
	{ "RedisPasswordFile", KW_PATH_NONE, FIELD(redis_password_file), 0, 0 },
	{ "NodeName", KW_WORD, FIELD(node_name), 0, 0 },
	{ "RedisKeyPrefix", KW_WORD, FIELD(redis_prefix), 0, 0 },
	{ "RedisStartup", KW_STARTUP, FIELD(redis_startup), 0, 0 },
	{ "LogLevel", KW_LOGLEVEL, FIELD(log_verbose), 0, 0 },
};
#define NKEYWORDS	(sizeof(keywords) / sizeof(keywords[0]))

/* The parse, and the keywords given a value so far. */
struct conf_reader {
	struct conf_parse	 p;
	unsigned char		 seen[NKEYWORDS];
	int			 methods_seen;	/* global AuthenticationMethods */
	int			 in_match;	/* in cfg->match[nmatch - 1] */
};

/*
 * NodeName's default: the host name up to its first dot, if it is a valid
 * name; "node" otherwise.
 */
static void
config_default_node_name(char *out, size_t outlen)
{
	char	 host[256];
	size_t	 len;

	memset(host, 0, sizeof(host));
	if (gethostname(host, sizeof(host) - 1) == -1)
		host[0] = '\0';
	host[strcspn(host, ".")] = '\0';
	len = strlen(host);
	if (len == 0 || len >= outlen || host[strspn(host,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-")] != '\0')
		strlcpy(out, "node", outlen);
	else
		strlcpy(out, host, outlen);
}

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
	strlcpy(cfg->control_socket, RUNSTATEDIR "/secchatd.sock",
	    sizeof(cfg->control_socket));
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
	strlcpy(cfg->engine, "memory", sizeof(cfg->engine));
	strlcpy(cfg->redis_address, RUNSTATEDIR "/redis/redis-server.sock",
	    sizeof(cfg->redis_address));
	strlcpy(cfg->redis_password_file, "none",
	    sizeof(cfg->redis_password_file));
	config_default_node_name(cfg->node_name, sizeof(cfg->node_name));
	strlcpy(cfg->redis_prefix, "secchat", sizeof(cfg->redis_prefix));
	strlcpy(cfg->redis_startup, "retry", sizeof(cfg->redis_startup));
	cfg->log_verbose = 0;
	/* Either a password or an enrolled key, as before keys existed. */
	cfg->auth_methods.list[0] = AUTH_M_PASSWORD;
	cfg->auth_methods.list[1] = AUTH_M_PUBLICKEY;
	cfg->auth_methods.n = 2;
	cfg->nmatch = 0;
}

/* ---------------------------------------------------------------- login */

static int
match_names_user(const char *names, const char *user)
{
	const char	*comma;
	size_t		 len, ulen = strlen(user);

	for (;; names = comma + 1) {
		comma = strchr(names, ',');
		len = comma != NULL ? (size_t)(comma - names) : strlen(names);
		if (len == ulen && strncmp(names, user, len) == 0)
			return 1;
		if (comma == NULL)
			return 0;
	}
}

const struct auth_methods *
config_auth_methods(const struct config *cfg, const char *user)
{
	int	 i;

	for (i = 0; i < cfg->nmatch; i++)
		if (cfg->match[i].methods.n > 0 &&
		    match_names_user(cfg->match[i].users, user))
			return &cfg->match[i].methods;
	return &cfg->auth_methods;
}

int
config_auth_done(const struct auth_methods *am, unsigned done, unsigned *more)
{
	int	 i, part = 0;

	*more = 0;
	for (i = 0; i < am->n; i++) {
		if ((am->list[i] & ~done) == 0)
			return 1;
		if (!part && (done & ~am->list[i]) == 0) {
			part = 1;
			*more = am->list[i] & ~done;
		}
	}
	return part ? 0 : -1;
}

/*
 * "Match User NAME[,NAME...]" starts a block, "Match all" ends one.  A
 * block may hold only AuthenticationMethods, and lasts until the next
 * Match or the end of the file.
 */
static int
parse_match(struct conf_reader *r, char **words, int n)
{
	struct config_match	*m;
	char			 shown[CONF_SHOW_BUFLEN];
	const char		*w, *comma;
	size_t			 len;

	if (n == 2 && strcasecmp(words[1], "all") == 0) {
		r->in_match = 0;
		return 0;
	}
	if (n != 3 || strcasecmp(words[1], "User") != 0)
		return conf_perr(&r->p, "Match: only \"Match User NAME[,NAME"
		    "...]\" and \"Match all\" are supported");
	for (w = words[2]; ; w = comma + 1) {
		comma = strchr(w, ',');
		len = comma != NULL ? (size_t)(comma - w) : strlen(w);
		if (!valid_username(w, len))
			return conf_perr(&r->p, "Match User: invalid user "
			    "name \"%s\"", conf_show(words[2], shown,
			    sizeof(shown)));
		if (comma == NULL)
			break;
	}
	if (strlen(words[2]) >= CONFIG_MATCH_NAMES_MAX)
		return conf_perr(&r->p, "Match User: too many names");
	if (r->p.cfg->nmatch >= CONFIG_MATCH_MAX)
		return conf_perr(&r->p, "Match: too many blocks (at most %d)",
		    CONFIG_MATCH_MAX);
	m = &r->p.cfg->match[r->p.cfg->nmatch++];
	memset(m, 0, sizeof(*m));
	strlcpy(m->users, words[2], sizeof(m->users));
	r->in_match = 1;
	return 0;
}

/* The first value wins, in a Match block as at the top. */
static int
parse_methods(struct conf_reader *r, char **words, int n)
{
	struct auth_methods	*am;

	if (r->in_match) {
		am = &r->p.cfg->match[r->p.cfg->nmatch - 1].methods;
		return conf_methods_set(&r->p, words + 1, n - 1,
		    am->n == 0 ? am : NULL);
	}
	if (conf_methods_set(&r->p, words + 1, n - 1, r->methods_seen ? NULL :
	    &r->p.cfg->auth_methods) == -1)
		return -1;
	r->methods_seen = 1;
	return 0;
}

/* ---------------------------------------------------------------- lines */

static const struct conf_keyword *
find_keyword(const char *name)
{
	size_t	 i;

	for (i = 0; i < NKEYWORDS; i++)
		if (strcasecmp(name, keywords[i].name) == 0)
			return &keywords[i];
	return NULL;
}

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
		s += strspn(s, CONF_WHITESPACE);
		if (n == 1 && !equals && *s == '=') {
			equals = 1;
			s++;
			s += strspn(s, CONF_WHITESPACE);
		}
		if (*s == '\0' || *s == '#' || n == WORDS_MAX)
			break;
		if (n == 0) {
			end = s + strcspn(s, CONF_WHITESPACE "=\"");
			if (*end == '"')
				return "misplaced quote";
			equals = *end == '=';
		} else if (*s == '"') {
			s++;
			if ((end = strchr(s, '"')) == NULL)
				return "unterminated quote";
			if (end[1] != '\0' &&
			    strchr(CONF_WHITESPACE, end[1]) == NULL)
				return "missing blank after closing quote";
		} else {
			end = s + strcspn(s, CONF_WHITESPACE "\"");
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
parse_line(struct conf_reader *r, char *line)
{
	const struct conf_keyword	*kw;
	char				*words[WORDS_MAX];
	char				 shown[CONF_SHOW_BUFLEN];
	const char			*why, *v;
	size_t				 k;
	int				 n, rv;

	if ((why = split_words(line, words, &n)) != NULL)
		return conf_perr(&r->p, "%s", why);
	if (n == 0)
		return 0;
	if (strcasecmp(words[0], "Match") == 0)
		return parse_match(r, words, n);
	if (strcasecmp(words[0], "AuthenticationMethods") == 0)
		return parse_methods(r, words, n);
	if (r->in_match)
		return conf_perr(&r->p, "%s: not allowed in a Match block "
		    "(only AuthenticationMethods is)", conf_show(words[0],
		    shown, sizeof(shown)));
	if ((kw = find_keyword(words[0])) == NULL)
		return conf_perr(&r->p, "unknown keyword \"%s\"",
		    conf_show(words[0], shown, sizeof(shown)));
	if (n < 2)
		return conf_perr(&r->p, "%s: missing value", kw->name);
	if (n > 2)
		return conf_perr(&r->p, "%s: extra arguments after the value",
		    kw->name);
	v = words[1];
	if (*v == '\0')
		return conf_perr(&r->p, "%s: empty value", kw->name);

	/* sshd's rule: the first value wins; later ones are still checked. */
	k = (size_t)(kw - keywords);
	if ((rv = conf_value_set(&r->p, kw, v, !r->seen[k])) == 0)
		r->seen[k] = 1;
	return rv;
}

int
config_parse(struct config *cfg, const char *buf, size_t len,
    const char *filename, char *err, size_t errlen)
{
	struct conf_reader	 r;
	struct config		 work;
	char			 line[CONF_LINE_MAX + 1];
	const char		*nl;
	size_t			 off = 0, linelen;

	memset(&r, 0, sizeof(r));
	work = *cfg;
	r.p.cfg = &work;
	r.p.file = filename != NULL ? filename : "(config)";
	r.p.err = err;
	r.p.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';

	while (off < len) {
		r.p.lineno++;
		nl = memchr(buf + off, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - (buf + off)) : len - off;
		if (memchr(buf + off, '\0', linelen) != NULL)
			return conf_perr(&r.p, "NUL byte in file");
		if (linelen > CONF_LINE_MAX)
			return conf_perr(&r.p,
			    "line too long (at most %d bytes)", CONF_LINE_MAX);
		memcpy(line, buf + off, linelen);
		line[linelen] = '\0';
		if (parse_line(&r, line) == -1)
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

void
config_print(const struct config *cfg, FILE *fp)
{
	size_t	 i;

	int	 m;

	for (i = 0; i < NKEYWORDS; i++)
		conf_value_print(cfg, &keywords[i], fp);
	conf_methods_print(&cfg->auth_methods, fp);
	/* Last: what follows a Match line belongs to its block. */
	for (m = 0; m < cfg->nmatch; m++) {
		fprintf(fp, "match user %s\n", cfg->match[m].users);
		if (cfg->match[m].methods.n > 0) {
			putc('\t', fp);
			conf_methods_print(&cfg->match[m].methods, fp);
		}
	}
}
