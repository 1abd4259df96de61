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
	int		 reconnect;		/* Reconnect: OPT_AUTO, 0, 1 */
	int		 alive_interval;	/* ServerAliveInterval, s; 0 off */
	int		 alive_count_max;	/* ServerAliveCountMax */
	int		 log;			/* Log */
	const char	*log_dir;		/* LogDir; NULL: the default */
	const char	*config_file;		/* -F; NULL: the default */
	int		 no_config;		/* -F none */
	const char	*remove_host;		/* -R */
	int		 colour;		/* Colour: enum colour_want */
	int		 bell;			/* Bell (default yes) */
	int		 title;			/* Title (default yes) */
	int		 seconds;		/* Seconds (default no) */
	const char	*host;
	const char	*host_arg;		/* the host as given, for Host
						   patterns and -R */
	/* Which keywords are set (OPT_KW_*), so that the first wins. */
	uint32_t	 set;
	/* Strings made here (paths with ~ expanded), freed by opt_free(). */
	char		**owned;
	size_t		 nowned;
};

#define OPT_AUTO	-1

/*
 * Fill o from the command line; a mistake exits with EXIT_USAGE.  The
 * configuration file is read after (opt_read_config()): the command line
 * wins over it.
 */
void	 opt_parse(struct options *o, int argc, char *argv[]);
/*
 * Set one keyword (the names -o and the configuration file take: User,
 * Port, IdentityFile, AddressFamily, KnownHostsFile, and every -o option).
 * from_file: a value for a keyword already set is ignored (the first one
 * wins), and a leading "~/" is the home directory.  Returns 0, or -1 with
 * err set.
 */
int	 opt_set(struct options *o, const char *key, const char *val,
	    int from_file, char *err, size_t errlen);
/* Whether key is a keyword opt_set() takes. */
int	 opt_keyword_known(const char *key);
/*
 * Read the configuration file (-F, else config in opt_config_dir()) and
 * apply the entries whose Host patterns match the host.  Exits with
 * EXIT_USAGE on a mistake in it, naming the file and line.
 */
void	 opt_read_config(struct options *o, const char *dir);
void	 opt_free(struct options *o);
void	 opt_usage(void) __attribute__((noreturn));
/*
 * Where the identity and known_hosts live unless an option says otherwise:
 * $XDG_CONFIG_HOME/secchat, or ~/.config/secchat.  The caller frees it.
 */
char	*opt_config_dir(void);

#endif
