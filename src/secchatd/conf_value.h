/*
 * conf_value.h: the values of secchatd.conf, one parser and one printer per
 * kind of value.  conf.c holds the keyword table, which names the kind of
 * each keyword, and reads the file line by line; this is what it calls for
 * a keyword's value.  Internal to those two files.
 */
#ifndef SECCHAT_CONF_VALUE_H
#define SECCHAT_CONF_VALUE_H

#include <stddef.h>
#include <stdio.h>

#include "conf.h"

#define CONF_LINE_MAX		1024	/* longest line, without its newline */
#define CONF_SHOW_MAX		48	/* bytes of a bad value in a message */
#define CONF_SHOW_BUFLEN	(CONF_SHOW_MAX * 4 + 4)
#define CONF_WHITESPACE		" \t\r"
#define KIB			1024LL
#define MIB			(1024LL * 1024)

enum conf_kwtype {
	KW_LISTEN,	/* ListenAddress: host, host:port, [v6]:port */
	KW_PORT,	/* a TCP port, kept as a decimal string */
	KW_PATH,	/* an absolute path */
	KW_PATH_NONE,	/* an absolute path or "none" */
	KW_USER,	/* a system user name */
	KW_CIPHERS,	/* comma-separated cipher names */
	KW_NUMBER,	/* an unsigned count */
	KW_TIME,	/* seconds, with optional s/m/h suffixes */
	KW_SIZE,	/* bytes, with optional K/M suffix */
	KW_LOGLEVEL,	/* INFO, VERBOSE or DEBUG */
	KW_COLONS,	/* unsigned numbers joined by ':', one per array slot */
	KW_ENGINE,	/* memory or redis */
	KW_STARTUP,	/* retry or fail */
	KW_ENDPOINT,	/* an absolute path (Unix socket) or host:port */
	KW_WORD		/* a name of [A-Za-z0-9._-] */
};

/*
 * The name is an array, not a pointer: a table of pointers is written by
 * the dynamic linker at start, which costs every re-executed child a
 * private page; without them the table stays shared.
 */
struct conf_keyword {
	char		  name[32];
	enum conf_kwtype  type;
	size_t		  off;	/* offsetof(struct config, field) */
	size_t		  size;	/* sizeof the field (string buffers) */
	long long	  min;	/* inclusive range of numeric values */
	long long	  max;
};

/* Where the parse is, for "FILE:LINE: message". */
struct conf_parse {
	struct config	*cfg;
	const char	*file;
	size_t		 lineno;
	char		*err;
	size_t		 errlen;
};

/* Record "FILE:LINE: message" and fail (returns -1). */
int	conf_perr(struct conf_parse *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/*
 * A word from the file, made safe to repeat in a message that may reach a
 * terminal or syslog.  out holds CONF_SHOW_BUFLEN bytes.
 */
const char *conf_show(const char *, char *out, size_t outlen);
/*
 * Check a keyword's value, and store it if apply (the first value given
 * wins; later ones are only checked).  For ListenAddress, which
 * accumulates, apply means "replace the built-in addresses".
 */
int	conf_value_set(struct conf_parse *, const struct conf_keyword *,
	    const char *value, int apply);
/*
 * AuthenticationMethods' value: words[0..n) each a comma-separated list of
 * "password" and "publickey".  Stored in out (if not NULL) when all are
 * good.
 */
int	conf_methods_set(struct conf_parse *, char **words, int n,
	    struct auth_methods *out);
/* "AuthenticationMethods LIST ..." as config_print writes it. */
void	conf_methods_print(const struct auth_methods *, FILE *);
/* Print a keyword's effective value as a config_print line (or lines). */
void	conf_value_print(const struct config *, const struct conf_keyword *,
	    FILE *);

#endif
