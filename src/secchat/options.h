/*
 * options.h: secchat's command line (flags, -o Keyword=value, the host)
 * and its exit statuses, which scripts rely on as much (secchat(1)).
 */
#ifndef SECCHAT_OPTIONS_H
#define SECCHAT_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

#define EXIT_OK			0
#define EXIT_ERROR		1
#define EXIT_USAGE		2
#define EXIT_CONNECT		3
#define EXIT_AUTH		4
#define EXIT_HOSTKEY		5
#define EXIT_REFUSED		6
#define EXIT_DISCONNECTED	7
#define EXIT_UNDELIVERED	8	/* pipe mode: a request failed */

enum hostkey_policy {
	HK_ASK,
	HK_ACCEPT_NEW,
	HK_STRICT,	/* "yes" */
	HK_NO		/* accept and add unknown keys; changed keys refused */
};

struct options {
	int		 family;
	const char	*port;
	const char	*user;
	const char	*identity;
	const char	*password_file;
	int		 password_fd;		/* -1: none */
	const char	*known_hosts;
	enum hostkey_policy policy;
	uint8_t		 suites[HELLO_MAX_SUITES];
	size_t		 nsuites;
	int		 connect_timeout;	/* seconds; 0: the system's */
	int		 verbose;
	int		 show_fingerprint;
	int		 show_public;		/* -K */
	int		 set_passphrase;	/* -N */
	const char	*known_peers;		/* KnownPeersFile */
	int		 passphrase_fd;		/* PassphraseFd; -1: none */
	int		 key_login;		/* KeyLogin (default yes) */
	const char	*host;
};

/* Fill o from the command line; a mistake exits with EXIT_USAGE. */
void	 opt_parse(struct options *o, int argc, char *argv[]);
void	 opt_usage(void) __attribute__((noreturn));
/*
 * Where the identity and known_hosts live unless an option says otherwise:
 * $XDG_CONFIG_HOME/secchat, or ~/.config/secchat.  The caller frees it.
 */
char	*opt_config_dir(void);

#endif
