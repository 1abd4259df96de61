/*
 * secchat: the terminal client.
 *
 * One poll loop over the server socket, standard input and a signal
 * self-pipe drives a session (session.c), shows what the server sends
 * (output.c) and, on a terminal, edits the input line (tty.c).
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <poll.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "knownhosts.h"
#include "noise.h"
#include "output.h"
#include "session.h"
#include "tty.h"
#include "util.h"
#include "wire.h"

#define DEFAULT_PORT		"9999"
#define DEFAULT_HOST		"localhost"

#define EXIT_OK			0
#define EXIT_ERROR		1
#define EXIT_USAGE		2
#define EXIT_CONNECT		3
#define EXIT_AUTH		4
#define EXIT_HOSTKEY		5
#define EXIT_REFUSED		6
#define EXIT_DISCONNECTED	7
#define EXIT_UNDELIVERED	8	/* pipe mode: a request failed */

#define HELLO_TIMEOUT_MS	30000	/* hello and handshake, by default */
#define SLOW_NOTE_MS		3000	/* then say what we are waiting for */
#define LOGIN_TIMEOUT_MS	60000	/* the answer to AUTH */
#define CLOSE_TIMEOUT_MS	20000	/* silence after our BYE */
#define STDIN_LINE_MAX		(CS_TEXT_MAX + 64)
#define OUTPUT_HIGH_WATER	65536	/* stop reading input above this */
#define MAX_ROOMS		256
#define MAX_RECONNECTS		3	/* after a login timeout */
#define AUTH_BUSY_TEXT		"server busy; try again"	/* protocol.md */
#define AUTH_BUSY_RETRIES	30	/* then give up as on a failure */
/*
 * A PING after every PING_EVERY requests: its PONG shows that the server
 * has read them (it reads at its flood rate, secchatd.conf(5)).  Pipe mode
 * reads no more input while PINGS_OUT_MAX are unanswered, so that at the
 * end of input only a few requests wait to be read and the wait for the
 * server's close (CLOSE_TIMEOUT_MS of silence) always sees progress.
 */
#define PING_EVERY		8
#define PINGS_OUT_MAX		2

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
	const char	*host;
};

struct client {
	struct options	*o;
	char		 hostport[KH_HOSTPORT_MAX];
	char		 addr[NI_MAXHOST];	/* the address we reached */
	struct knownhosts kh;
	struct csession	*cs;
	int		 fd;
	int		 interactive;
	/* Until login, for connecting again (wiped then). */
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	int		 have_login;
	char		 password[CS_PASSWORD_MAX + 2];
	int		 password_from_tty;
	int		 prompted;		/* a person answered on this
						   connection */
	int		 reconnects;
	int		 login_timeout;		/* the server said so */
	char		 user[SECCHAT_NAME_MAX + 1];
	int		 status;		/* exit status so far */
	int		 status_set;
	int		 ready;			/* logged in */
	int		 quitting;		/* we said BYE */
	uint64_t	 deadline;		/* mono ms, 0: none */
	uint64_t	 slow_note_at;		/* mono ms, 0: none */
	uint64_t	 auth_retry_at;		/* mono ms, 0: none */
	unsigned	 busy_answers;		/* "server busy" to our AUTH */
	unsigned long	 failures;		/* requests not sent, refused */
	/* Our PINGs (see PING_EVERY). */
	unsigned int	 since_ping;
	unsigned int	 pings_out;
	uint64_t	 ping_token;
	/* Rooms. */
	char		 current[SECCHAT_NAME_MAX + 1];
	char		 rooms[MAX_ROOMS][SECCHAT_NAME_MAX + 1];
	size_t		 nrooms;
	/* Standard input in pipe mode. */
	int		 stdin_open;
	int		 stdin_eof;
	char		*inbuf;
	size_t		 inlen;
	int		 skipping;		/* dropping an over-long line */
	unsigned long	 lineno;
};

static int	sigpipe[2] = { -1, -1 };

static void	note(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	refuse(struct client *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	leave(struct client *, const char *);
static void	pump_stdin(struct client *);

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: secchat [-46lv] [-i identity] [-o option] "
	    "[-P password_file]\n"
	    "               [-p port] [-u user] [host]\n");
	exit(EXIT_USAGE);
}

static void
set_status(struct client *c, int status)
{
	if (!c->status_set) {
		c->status = status;
		c->status_set = 1;
	}
}

/* A status that overrides whatever was set before. */
static void
force_status(struct client *c, int status)
{
	c->status = status;
	c->status_set = 1;
}

/*
 * A message from secchat itself.  On the terminal it goes above the input
 * line; otherwise to stderr.  The text may hold what the user typed or the
 * server sent, so it is made safe either way.
 */
static void
note(struct client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *safe;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		err(EXIT_ERROR, "vasprintf");
	va_end(ap);
	safe = out_safe(msg);
	if (c != NULL && tty_active()) {
		char *line;

		if (asprintf(&line, "secchat: %s", safe) == -1)
			err(EXIT_ERROR, "asprintf");
		tty_print(line);
		free(line);
	} else {
		fprintf(stderr, "secchat: %s\n", safe);
		fflush(stderr);
	}
	free(safe);
	free(msg);
}

/*
 * A request that is not sent, and why.  In pipe mode it makes the exit
 * status EXIT_UNDELIVERED: a script must learn that a line was lost.
 */
static void
refuse(struct client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		err(EXIT_ERROR, "vasprintf");
	va_end(ap);
	note(c, "%s", msg);
	free(msg);
	c->failures++;
}

/* ---------------------------------------------------------------- options */

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
			usage();
		}
		if (id == SUITE_AESGCM && !noise_aesgcm_available())
			errx(EXIT_ERROR, "aes256-gcm is not available on this "
			    "CPU");
		for (i = 0; i < o->nsuites; i++)
			if (o->suites[i] == id) {
				warnx("cipher \"%s\" listed twice", name);
				usage();
			}
		if (o->nsuites == HELLO_MAX_SUITES) {
			warnx("at most %d ciphers", HELLO_MAX_SUITES);
			usage();
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
		usage();
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
		usage();
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
			usage();
		}
	} else if (strcasecmp(key, "UserKnownHostsFile") == 0)
		o->known_hosts = val;
	else if (strcasecmp(key, "Ciphers") == 0)
		parse_ciphers(o, val);
	else if (strcasecmp(key, "ConnectTimeout") == 0)
		o->connect_timeout = parse_int("ConnectTimeout", val, 1, 86400);
	else if (strcasecmp(key, "PasswordFd") == 0)
		o->password_fd = parse_int("PasswordFd", val, 0, INT_MAX);
	else {
		warnx("unknown option \"%s\"", key);
		usage();
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

static void
parse_args(struct options *o, int argc, char *argv[])
{
	int	 ch;

	memset(o, 0, sizeof(*o));
	o->family = AF_UNSPEC;
	o->port = DEFAULT_PORT;
	o->password_fd = -1;
	o->policy = HK_ASK;
	o->host = DEFAULT_HOST;
	default_suites(o);

	while ((ch = getopt(argc, argv, "46hi:lo:P:p:u:v")) != -1) {
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
		case 'l':
			o->show_fingerprint = 1;
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
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage();
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
		usage();
	if (o->password_file != NULL && o->password_fd != -1) {
		warnx("-P and PasswordFd exclude each other");
		usage();
	}
	if (o->user != NULL && !valid_username(o->user, strlen(o->user))) {
		warnx("invalid user name \"%s\"", o->user);
		usage();
	}
}

/* ---------------------------------------------------------------- files */

/* $XDG_CONFIG_HOME/secchat, or ~/.config/secchat. */
static char *
config_dir(void)
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

static void
key_comment(char *out, size_t len)
{
	struct passwd	*pw = getpwuid(getuid());
	char		 host[256];

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(out, len, "%s@%s", pw != NULL ? pw->pw_name : "secchat", host);
}

/*
 * Load the identity key; create the default one on first use.  An
 * identity named with -i must exist.
 */
static void
load_identity(const struct options *o, const char *dir, uint8_t priv[KEY_LEN],
    uint8_t pub[KEY_LEN])
{
	char		 errbuf[512], comment[300], fp[FINGERPRINT_LEN];
	char		*path = NULL;
	const char	*p = o->identity;
	struct stat	 st;

	if (p == NULL) {
		if (asprintf(&path, "%s/identity", dir) == -1)
			err(EXIT_ERROR, "asprintf");
		p = path;
	}
	if (o->identity == NULL && lstat(p, &st) == -1 && errno == ENOENT) {
		if (mkdir_parents(dir, 0700) == -1)
			err(EXIT_ERROR, "%s", dir);
		key_comment(comment, sizeof(comment));
		if (keys_generate(p, comment, priv, pub, errbuf,
		    sizeof(errbuf)) == -1)
			errx(EXIT_ERROR, "cannot create an identity: %s",
			    errbuf);
		keys_fingerprint(pub, fp);
		fprintf(stderr, "secchat: created a new identity key %s\n"
		    "secchat: its fingerprint is %s\n", p, fp);
	} else if (keys_load(p, priv, pub, errbuf, sizeof(errbuf)) == -1)
		errx(EXIT_ERROR, "identity: %s", errbuf);
	free(path);
}

/* ---------------------------------------------------------------- secrets */

/* Read one line from fd, a byte at a time so nothing after it is used. */
static int
read_line_fd(int fd, char *buf, size_t size)
{
	size_t	 n = 0;
	ssize_t	 r;
	char	 ch;

	for (;;) {
		r = read(fd, &ch, 1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0 || ch == '\n')
			break;
		if (n + 1 >= size) {
			errno = EMSGSIZE;
			return -1;
		}
		buf[n++] = ch;
	}
	buf[n] = '\0';
	return 0;
}

/* The first line of a file, or the whole file if it has no newline. */
static int
read_password_file(const char *path, char *buf, size_t size)
{
	int	 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = read_line_fd(fd, buf, size);
	close(fd);
	return rc;
}

static void
check_password(const char *pw, const char *from)
{
	size_t	 len = strlen(pw);

	if (len > 0 && pw[len - 1] == '\r')
		errx(EXIT_ERROR, "%s: the password ends with a carriage "
		    "return (a file with DOS line ends?)", from);
	if (len == 0)
		errx(EXIT_ERROR, "%s: empty password", from);
	if (len > CS_PASSWORD_MAX)
		errx(EXIT_ERROR, "%s: password longer than %d bytes", from,
		    CS_PASSWORD_MAX);
}

/*
 * A prompt came back empty-handed.  An interrupt (readpassphrase has put
 * the terminal back and passed the signal on) ends secchat quietly.
 */
static void
check_interrupted(void)
{
	if (errno == EINTR)
		exit(EXIT_ERROR);
}

/*
 * Ask on the terminal.  readpassphrase(3) restores the terminal and
 * re-raises the signal itself if ^C interrupts it.
 */
static int
ask_password(struct client *c, const char *why, char *buf, size_t size)
{
	char	 prompt[512];

	snprintf(prompt, sizeof(prompt), "%s%s@%s's password: ", why,
	    c->user, c->o->host);
	c->prompted = 1;
	if (readpassphrase(prompt, buf, size, RPP_REQUIRE_TTY) == NULL)
		return -1;
	return 0;
}

/* The password, into c->password, where it stays until login. */
static void
get_password(struct client *c)
{
	const struct options	*o = c->o;
	char			 what[64], *buf = c->password;
	size_t			 size = sizeof(c->password);

	if (o->password_file != NULL) {
		if (read_password_file(o->password_file, buf, size) == -1)
			err(EXIT_ERROR, "%s", o->password_file);
		check_password(buf, o->password_file);
		return;
	}
	if (o->password_fd != -1) {
		snprintf(what, sizeof(what), "PasswordFd %d", o->password_fd);
		if (read_line_fd(o->password_fd, buf, size) == -1)
			err(EXIT_ERROR, "%s", what);
		check_password(buf, what);
		return;
	}
	if (ask_password(c, "", buf, size) == -1) {
		check_interrupted();
		errx(EXIT_ERROR, "cannot read a password: no terminal; use "
		    "-P FILE or -o PasswordFd=N");
	}
	check_password(buf, "password");
	c->password_from_tty = 1;
}

static void
get_user(struct client *c)
{
	struct passwd	*pw;
	char		 buf[256];

	if (c->o->user != NULL) {
		strlcpy(c->user, c->o->user, sizeof(c->user));
		return;
	}
	/* As ssh does: the login name, if it can be a secchat user name. */
	if ((pw = getpwuid(getuid())) != NULL &&
	    valid_username(pw->pw_name, strlen(pw->pw_name))) {
		strlcpy(c->user, pw->pw_name, sizeof(c->user));
		return;
	}
	c->prompted = 1;
	if (readpassphrase("User: ", buf, sizeof(buf),
	    RPP_ECHO_ON | RPP_REQUIRE_TTY) == NULL) {
		check_interrupted();
		errx(EXIT_USAGE, "no user name (the login name cannot be "
		    "one): give one with -u USER");
	}
	if (!valid_username(buf, strlen(buf))) {
		char *safe = out_safe(buf);
		errx(EXIT_USAGE, "invalid user name \"%s\" (1 to %d of a-z, "
		    "0-9, _, . and -, starting with a letter or _)", safe,
		    SECCHAT_NAME_MAX);
	}
	strlcpy(c->user, buf, sizeof(c->user));
}

/* ---------------------------------------------------------------- connect */

/* Connect one address, waiting at most timeout_s (0: the system's). */
static int
connect_one(const struct addrinfo *ai, int timeout_s)
{
	struct pollfd	 pfd;
	socklen_t	 len = sizeof(int);
	int		 fd, rc, soerr = 0;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, ai->ai_protocol);
	if (fd == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	do
		rc = poll(&pfd, 1, timeout_s > 0 ? timeout_s * 1000 : -1);
	while (rc == -1 && errno == EINTR);
	if (rc == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (rc == -1)
		goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
		goto fail;
	if (soerr != 0) {
		errno = soerr;
		goto fail;
	}
	return fd;
 fail:
	rc = errno;
	close(fd);
	errno = rc;
	return -1;
}

static int
connect_server(struct client *c)
{
	const struct options	*o = c->o;
	struct addrinfo		 hints, *res, *ai;
	char			 addr[NI_MAXHOST];
	int			 fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(o->host, o->port, &hints, &res)) != 0) {
		note(NULL, "cannot resolve %s: %s", o->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		exit(EXIT_CONNECT);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(addr, "?", sizeof(addr));
		if (o->verbose)
			note(NULL, "connecting to %s port %s", addr, o->port);
		if ((fd = connect_one(ai, o->connect_timeout)) != -1) {
			strlcpy(c->addr, addr, sizeof(c->addr));
			break;
		}
		saved = errno;
		if (o->verbose || ai->ai_next == NULL)
			note(NULL, "connect to %s port %s: %s", addr, o->port,
			    strerror(saved));
	}
	freeaddrinfo(res);
	if (fd == -1)
		exit(EXIT_CONNECT);
	if (o->verbose)
		note(NULL, "connected to %s port %s", c->addr, o->port);
	return fd;
}

static int
hello_timeout_ms(const struct client *c)
{
	return c->o->connect_timeout > 0 ? c->o->connect_timeout * 1000 :
	    HELLO_TIMEOUT_MS;
}

/* Connect, and start a session on the connection. */
static void
start_session(struct client *c)
{
	struct cs_params	 params;
	uint64_t		 now;

	c->fd = connect_server(c);
	memset(&params, 0, sizeof(params));
	params.priv = c->priv;
	params.pub = c->pub;
	params.suites = c->o->suites;
	params.nsuites = c->o->nsuites;
	if ((c->cs = cs_new(&params)) == NULL)
		errx(EXIT_ERROR, "cannot start a session");
	c->prompted = 0;
	c->login_timeout = 0;
	/* ConnectTimeout bounds the hello and the handshake too. */
	now = mono_ms();
	c->deadline = now + (uint64_t)hello_timeout_ms(c);
	c->slow_note_at = hello_timeout_ms(c) > SLOW_NOTE_MS ?
	    now + SLOW_NOTE_MS : 0;
}

/* ---------------------------------------------------------------- host keys */

static void
warn_changed(struct client *c, const uint8_t *key, size_t line)
{
	char	 fp[FINGERPRINT_LEN];

	keys_fingerprint(key, fp);
	fprintf(stderr,
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@    WARNING: SERVER HOST KEY HAS CHANGED!                @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
	    "Someone could be eavesdropping on you right now "
	    "(man-in-the-middle attack)!\n"
	    "It is also possible that the server's key has just been "
	    "changed.\n"
	    "The fingerprint for the key sent by the server is\n"
	    "%s.\n"
	    "Please contact your system administrator.\n"
	    "Offending key in %s:%zu\n"
	    "Remove that line if you know the new key is genuine.\n",
	    fp, c->o->known_hosts, line);
	note(NULL, "host key for %s has changed; refusing to connect "
	    "(no password was sent)", c->hostport);
}

static int
remember_key(struct client *c, const uint8_t *key)
{
	struct knownhosts	 fresh;
	char			 errbuf[512];

	if (kh_add(c->o->known_hosts, c->hostport, key, errbuf,
	    sizeof(errbuf)) == -1) {
		note(NULL, "cannot record the host key: %s", errbuf);
		return -1;
	}
	note(NULL, "Warning: permanently added '%s' (%s) to the list of "
	    "known hosts.", c->hostport, KH_KEYTYPE);
	/*
	 * Known from now on, should we have to connect again: the file
	 * again (for its line numbers), else the key alone.
	 */
	kh_init(&fresh);
	if (kh_load(&fresh, c->o->known_hosts, errbuf, sizeof(errbuf)) == 0 &&
	    kh_lookup(&fresh, c->hostport, key, NULL) == KH_MATCH) {
		kh_free(&c->kh);
		c->kh = fresh;
	} else {
		kh_free(&fresh);
		if (kh_remember(&c->kh, c->hostport, key, 0) == -1)
			err(EXIT_ERROR, "kh_remember");
	}
	return 0;
}

/* Ask yes or no on the terminal; -1 if there is none. */
static int
ask_yes_no(struct client *c, const uint8_t *key)
{
	char	 fp[FINGERPRINT_LEN], answer[128], prompt[4096];
	char	 names[2048];

	keys_fingerprint(key, fp);
	/* A list too long for the buffer is cut short: no harm. */
	(void)kh_other_names(&c->kh, c->hostport, key, c->o->known_hosts,
	    names, sizeof(names));
	snprintf(prompt, sizeof(prompt),
	    "The authenticity of server '%s (%s)' can't be established.\n"
	    "%s key fingerprint is %s.\n"
	    "%s\n"
	    "Are you sure you want to continue connecting "
	    "(yes/no/[fingerprint])? ",
	    c->hostport, c->addr, KH_KEYTYPE, fp, names);
	c->prompted = 1;
	for (;;) {
		if (readpassphrase(prompt, answer, sizeof(answer),
		    RPP_ECHO_ON | RPP_REQUIRE_TTY) == NULL)
			return -1;
		switch (kh_answer(answer, fp)) {
		case KH_ANSWER_YES:
			return 1;
		case KH_ANSWER_NO:
			return 0;
		case KH_ANSWER_WRONG_FP:
			snprintf(prompt, sizeof(prompt), "That fingerprint is "
			    "not the server's.\nPlease type 'yes', 'no' or "
			    "the fingerprint: ");
			break;
		default:
			snprintf(prompt, sizeof(prompt), "Please type 'yes', "
			    "'no' or the fingerprint: ");
			break;
		}
	}
}

/* Decide about the server's key: 1 accept, 0 refuse. */
static int
check_host_key(struct client *c, const uint8_t *key)
{
	char	 fp[FINGERPRINT_LEN];
	size_t	 line = 0;
	int	 yes;

	switch (kh_lookup(&c->kh, c->hostport, key, &line)) {
	case KH_MATCH:
		return 1;
	case KH_MISMATCH:
		warn_changed(c, key, line);
		return 0;
	case KH_UNKNOWN:
		break;
	}
	keys_fingerprint(key, fp);
	switch (c->o->policy) {
	case HK_STRICT:
		note(NULL, "no host key is known for %s (fingerprint %s) and "
		    "you have requested strict checking", c->hostport, fp);
		return 0;
	case HK_ACCEPT_NEW:
	case HK_NO:
		return remember_key(c, key) == 0;
	case HK_ASK:
		break;
	}
	if ((yes = ask_yes_no(c, key)) == -1) {
		check_interrupted();
		note(NULL, "the key of %s is not known and there is no "
		    "terminal to ask on", c->hostport);
		note(NULL, "its fingerprint is %s; if that is right, connect "
		    "once with -o StrictHostKeyChecking=accept-new", fp);
		return 0;
	}
	if (!yes)
		return 0;
	return remember_key(c, key) == 0;
}

/* ---------------------------------------------------------------- rooms */

static int
room_index(const struct client *c, const char *room)
{
	size_t	 i;

	for (i = 0; i < c->nrooms; i++)
		if (strcmp(c->rooms[i], room) == 0)
			return (int)i;
	return -1;
}

static void
update_prompt(struct client *c)
{
	char	 prompt[SECCHAT_NAME_MAX + 8];

	if (!c->interactive)
		return;
	if (c->current[0] != '\0')
		snprintf(prompt, sizeof(prompt), "[%s] ", c->current);
	else
		strlcpy(prompt, "> ", sizeof(prompt));
	tty_set_prompt(prompt);
}

static void
set_current(struct client *c, const char *room)
{
	strlcpy(c->current, room, sizeof(c->current));
	update_prompt(c);
}

static void
room_joined(struct client *c, const char *room)
{
	if (room_index(c, room) == -1 && c->nrooms < MAX_ROOMS)
		strlcpy(c->rooms[c->nrooms++], room, sizeof(c->rooms[0]));
	set_current(c, room);
}

static void
room_parted(struct client *c, const char *room)
{
	int	 i = room_index(c, room);

	if (i != -1) {
		memmove(c->rooms[i], c->rooms[i + 1],
		    (c->nrooms - (size_t)i - 1) * sizeof(c->rooms[0]));
		c->nrooms--;
	}
	if (strcmp(c->current, room) == 0)
		set_current(c, c->nrooms > 0 ? c->rooms[c->nrooms - 1] : "");
}

/*
 * /join switches rooms at once, so that a script's next line goes to the
 * new room.  If the server refuses a join (the errors a JOIN can get), go
 * back to a room we are in.
 */
static void
join_refused(struct client *c, unsigned int code)
{
	if (code != ERR_BAD_REQUEST && code != ERR_BAD_NAME &&
	    code != ERR_LIMIT)
		return;
	if (c->current[0] != '\0' && room_index(c, c->current) == -1)
		set_current(c, c->nrooms > 0 ? c->rooms[c->nrooms - 1] : "");
}

/* ---------------------------------------------------------------- commands */

/*
 * Say goodbye.  The server answers everything sent before, then closes
 * the connection (doc/protocol.md 7.6): we read until it does.
 */
static void
leave(struct client *c, const char *reason)
{
	int	 rc;

	if (c->quitting)
		return;
	c->quitting = 1;
	if (!c->ready)
		set_status(c, EXIT_ERROR);
	set_status(c, EXIT_OK);
	if (reason == NULL || *reason == '\0')
		reason = "exit";
	if ((rc = cs_bye(c->cs, reason)) == CS_E_TEXT)
		rc = cs_bye(c->cs, "exit");
	if (rc != 0)
		note(c, "cannot say goodbye: %s", cs_strerror(rc));
	c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	c->stdin_open = 0;
	tty_stop();
	if (c->interactive && c->pings_out > 0)
		note(c, "waiting for the server to take in your last lines "
		    "(interrupt again to leave at once)");
}

/*
 * A request has been queued.  Every PING_EVERY of them a PING follows,
 * whose PONG shows that the server has read that far.
 */
static void
sent(struct client *c)
{
	if (++c->since_ping < PING_EVERY)
		return;
	c->since_ping = 0;
	if (cs_ping(c->cs, ++c->ping_token) == 0)
		c->pings_out++;
}

static void
show_help(void)
{
	static const char *const help[] = {
		"text            say text in the current room",
		"/me ACTION      act in the current room",
		"/msg USER TEXT  send a private message",
		"/join ROOM      join a room and make it current",
		"/part [ROOM]    leave a room (the current one)",
		"/who [ROOM]     list the members of a room",
		"/rooms          list the rooms",
		"/help           list the commands",
		"/quit [REASON]  leave (also: exit)",
		"//text          say text that starts with a slash",
	};
	size_t	 i;

	for (i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		if (tty_active())
			tty_print(help[i]);
		else
			fprintf(stderr, "%s\n", help[i]);
	}
}

/* The result of a cs_*() request: counted if sent, told if not. */
static void
report_send(struct client *c, int rc, const char *what, const char *text)
{
	char		 why[128];
	const char	*problem;

	if (rc == 0) {
		sent(c);
		return;
	}
	if (rc == CS_E_TEXT && text != NULL && (problem =
	    cs_text_problem(text, strlen(text), why, sizeof(why))) != NULL)
		refuse(c, "%s: the text %s; not sent", what, problem);
	else
		refuse(c, "%s: %s; not sent", what, cs_strerror(rc));
}

/* The room a command names, or the current one. */
static const char *
room_arg(struct client *c, const char *arg, const char *cmd)
{
	if (*arg != '\0') {
		if (!valid_roomname(arg, strlen(arg))) {
			refuse(c, "%s: invalid room name \"%s\"", cmd, arg);
			return NULL;
		}
		return arg;
	}
	if (c->current[0] == '\0') {
		refuse(c, "%s: you are in no room; name one", cmd);
		return NULL;
	}
	return c->current;
}

/* Show our own line: the server does not echo it. */
static void
echo(struct client *c, char *line)
{
	if (line != NULL && tty_active())
		tty_print(line);
	free(line);
}

static void
say(struct client *c, const char *text)
{
	int	 rc;

	if (c->current[0] == '\0') {
		refuse(c, "you are in no room: /join ROOM first");
		return;
	}
	rc = cs_say(c->cs, c->current, text);
	report_send(c, rc, "message", text);
	if (rc == 0 && c->interactive)
		echo(c, out_tty_own(CS_EV_MESSAGE, c->current, c->user, text,
		    c->current));
}

static void
act(struct client *c, const char *text)
{
	int	 rc;

	if (*text == '\0') {
		refuse(c, "usage: /me ACTION");
		return;
	}
	if (c->current[0] == '\0') {
		refuse(c, "you are in no room: /join ROOM first");
		return;
	}
	rc = cs_act(c->cs, c->current, text);
	report_send(c, rc, "/me", text);
	if (rc == 0 && c->interactive)
		echo(c, out_tty_own(CS_EV_ACTION, c->current, c->user, text,
		    c->current));
}

static void
cmd_msg(struct client *c, char *arg)
{
	char	*text = arg + strcspn(arg, " ");
	int	 rc;

	if (*text != '\0')
		*text++ = '\0';
	if (*arg == '\0' || *text == '\0') {
		refuse(c, "usage: /msg USER TEXT");
		return;
	}
	if (!valid_username(arg, strlen(arg))) {
		refuse(c, "/msg: invalid user name \"%s\"", arg);
		return;
	}
	rc = cs_privmsg(c->cs, arg, text);
	report_send(c, rc, "/msg", text);
	if (rc == 0 && c->interactive)
		echo(c, out_tty_own_private(arg, text));
}

static void
cmd_join(struct client *c, const char *arg)
{
	int	 rc;

	if (*arg == '\0' || strchr(arg, ' ') != NULL) {
		refuse(c, "usage: /join ROOM");
		return;
	}
	if (!valid_roomname(arg, strlen(arg))) {
		refuse(c, "/join: invalid room name \"%s\" (1 to %d of A-Z, "
		    "a-z, 0-9, _, . and -)", arg, SECCHAT_NAME_MAX);
		return;
	}
	rc = cs_join(c->cs, arg);
	report_send(c, rc, "/join", NULL);
	if (rc == 0)
		set_current(c, arg);
}

/* Like /join, /part moves on at once: to the last other room joined. */
static void
cmd_part(struct client *c, const char *arg)
{
	const char	*room;
	size_t		 i;
	int		 rc;

	if ((room = room_arg(c, arg, "/part")) == NULL)
		return;
	rc = cs_part(c->cs, room);
	report_send(c, rc, "/part", NULL);
	if (rc != 0 || strcmp(room, c->current) != 0)
		return;
	for (i = c->nrooms; i > 0; i--)
		if (strcmp(c->rooms[i - 1], c->current) != 0)
			break;
	set_current(c, i > 0 ? c->rooms[i - 1] : "");
}

static int
blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* Run a /command; line points after the slash.  Names are case-blind. */
static void
command(struct client *c, char *line)
{
	char		*arg = line + strcspn(line, " \t"), *end;
	const char	*room;

	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	/* Blanks after the arguments are no part of them. */
	for (end = arg + strlen(arg); end > arg && blank(end[-1]); end--)
		end[-1] = '\0';

	if (strcasecmp(line, "quit") == 0)
		leave(c, arg);
	else if (strcasecmp(line, "help") == 0)
		show_help();
	else if (strcasecmp(line, "me") == 0)
		act(c, arg);
	else if (strcasecmp(line, "msg") == 0)
		cmd_msg(c, arg);
	else if (strcasecmp(line, "join") == 0)
		cmd_join(c, arg);
	else if (strcasecmp(line, "part") == 0)
		cmd_part(c, arg);
	else if (strcasecmp(line, "who") == 0) {
		if ((room = room_arg(c, arg, "/who")) != NULL)
			report_send(c, cs_who(c->cs, room), "/who", NULL);
	} else if (strcasecmp(line, "rooms") == 0)
		report_send(c, cs_rooms(c->cs), "/rooms", NULL);
	else
		refuse(c, "unknown command /%s; /help lists commands", line);
}

static void
handle_line(struct client *c, char *line)
{
	if (c->quitting || !c->ready)
		return;
	/* Nothing to say: an empty or blank line is not sent. */
	if (line[strspn(line, " \t")] == '\0')
		return;
	if (strcmp(line, "exit") == 0)
		leave(c, "exit");
	else if (line[0] == '/' && line[1] == '/')
		say(c, line + 1);
	else if (line[0] == '/')
		command(c, line + 1);
	else
		say(c, line);
}

/* The line editor's callback. */
static void
tty_line(void *arg, const char *line)
{
	struct client	*c = arg;
	char		*copy;

	if (line == NULL) {
		leave(c, "exit");
		return;
	}
	if ((copy = strdup(line)) == NULL)
		err(EXIT_ERROR, "strdup");
	handle_line(c, copy);
	free(copy);
}

/* ---------------------------------------------------------------- stdin */

static void
pipe_line(struct client *c, char *line, size_t len)
{
	char		 why[128];
	const char	*problem;

	c->lineno++;
	/* A file with DOS line ends: the CR is part of the line's end. */
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len > 0 && (problem = cs_text_problem(line, len, why,
	    sizeof(why))) != NULL) {
		refuse(c, "input line %lu %s; not sent", c->lineno, problem);
		return;
	}
	handle_line(c, line);
}

/* Whether pipe mode may act on another line now (see PING_EVERY). */
static int
window_open(const struct client *c)
{
	return c->pings_out < PINGS_OUT_MAX &&
	    buf_used(cs_output(c->cs)) < OUTPUT_HIGH_WATER;
}

/*
 * Act on the whole lines read so far, as far as the window allows; at the
 * end of input, on the last line even without a newline, and then leave.
 */
static void
pump_stdin(struct client *c)
{
	char	*start = c->inbuf, *nl;
	size_t	 left = c->inlen, n;

	if (c->interactive || !c->ready)
		return;
	while (!c->quitting && window_open(c) && left > 0 &&
	    (nl = memchr(start, '\n', left)) != NULL) {
		n = (size_t)(nl - start);
		*nl = '\0';
		if (c->skipping)
			c->skipping = 0;
		else
			pipe_line(c, start, n);
		start = nl + 1;
		left -= n + 1;
	}
	memmove(c->inbuf, start, left);
	c->inlen = left;
	if (c->quitting || !c->stdin_eof)
		return;
	if (c->inlen > 0 && memchr(c->inbuf, '\n', c->inlen) != NULL)
		return;		/* whole lines wait for the window */
	if (c->inlen > 0) {
		if (!window_open(c))
			return;
		c->inbuf[c->inlen] = '\0';
		if (!c->skipping)
			pipe_line(c, c->inbuf, c->inlen);
		c->inlen = 0;
	}
	leave(c, "exit");
}

static void
read_stdin(struct client *c)
{
	unsigned char	 buf[4096];
	ssize_t		 n;

	if (c->interactive) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n > 0)
			tty_feed(buf, (size_t)n, tty_line, c);
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			leave(c, "exit");
		return;
	}
	n = read(STDIN_FILENO, c->inbuf + c->inlen, STDIN_LINE_MAX - c->inlen);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		note(c, "standard input: %s", strerror(errno));
		c->stdin_eof = 1;
		pump_stdin(c);
		return;
	}
	if (n == 0)
		c->stdin_eof = 1;
	c->inlen += (size_t)n;
	pump_stdin(c);
	if (c->inlen == STDIN_LINE_MAX &&
	    memchr(c->inbuf, '\n', c->inlen) == NULL) {
		if (!c->skipping) {
			c->lineno++;
			refuse(c, "input line %lu is longer than %d bytes; not "
			    "sent", c->lineno, STDIN_LINE_MAX);
		}
		c->skipping = 1;
		c->inlen = 0;
	}
}

/* ---------------------------------------------------------------- events */

static void
show(struct client *c, const struct cs_event *ev)
{
	char	*line;

	if (c->interactive) {
		if ((line = out_tty_line(ev, c->current)) != NULL) {
			tty_print(line);
			free(line);
		}
		return;
	}
	if ((line = out_pipe_line(ev)) != NULL) {
		if (puts(line) == EOF) {
			free(line);
			/* Nobody reads our output any more. */
			set_status(c, EXIT_ERROR);
			leave(c, "exit");
			return;
		}
		free(line);
	}
}

/* Forget what was kept only for connecting again. */
static void
forget_login(struct client *c)
{
	sodium_memzero(c->password, sizeof(c->password));
	sodium_memzero(c->priv, sizeof(c->priv));
	c->have_login = 0;
}

/*
 * Connect again with the login we already have: the server stopped
 * waiting (LoginGraceTime) while a person answered a prompt.  Returns -1
 * if we have tried often enough.
 */
static int
reconnect(struct client *c, const char *why)
{
	if (!c->have_login || c->reconnects >= MAX_RECONNECTS)
		return -1;
	c->reconnects++;
	note(c, "%s; connecting again", why);
	cs_free(c->cs);
	c->cs = NULL;
	close(c->fd);
	start_session(c);
	return 0;
}

static void
logged_in(struct client *c, const struct cs_event *ev)
{
	c->ready = 1;
	c->deadline = 0;
	forget_login(c);
	strlcpy(c->user, ev->user, sizeof(c->user));
	if (c->interactive) {
		if (tty_start(STDIN_FILENO, STDOUT_FILENO) == -1)
			err(EXIT_ERROR, "cannot set up the terminal");
		update_prompt(c);
	}
	c->stdin_open = 1;
	show(c, ev);
}

static void
auth_failed(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL && *ev->text != '\0' ?
			    ev->text : "no reason given";
	char		 why[256];
	int		 rc;

	/*
	 * "Server busy" did not count as a try (doc/protocol.md): send the
	 * same login again a little later, as often as a person would.
	 */
	if (ev->code > 0 && strcmp(reason, AUTH_BUSY_TEXT) == 0 &&
	    c->busy_answers < AUTH_BUSY_RETRIES) {
		if (c->busy_answers++ == 0 && c->interactive)
			note(c, "the server is busy; trying again");
		c->auth_retry_at = mono_ms() + 200 +
		    randombytes_uniform(200 * (c->busy_answers < 5 ?
		    c->busy_answers : 5));
		c->deadline = 0;
		return;
	}
	show(c, ev);
	if (ev->code == 0 || !c->password_from_tty) {
		note(c, "authentication failed: the server did not accept the "
		    "password for %s: %s", c->user, reason);
		set_status(c, EXIT_AUTH);
		forget_login(c);
		if (ev->code > 0)
			leave(c, "exit");
		return;
	}
	/* One line, then the prompt: as ssh does. */
	snprintf(why, sizeof(why), "Permission denied: %s (%u %s left).\n",
	    reason, ev->code, ev->code == 1 ? "try" : "tries");
	if (ask_password(c, why, c->password, sizeof(c->password)) == -1) {
		/* An interrupt ends secchat as at the first prompt. */
		if (errno == EINTR)
			force_status(c, EXIT_ERROR);
		else
			set_status(c, EXIT_AUTH);
		forget_login(c);
		leave(c, "exit");
		return;
	}
	if (c->password[0] == '\0' || strlen(c->password) > CS_PASSWORD_MAX) {
		set_status(c, EXIT_AUTH);
		forget_login(c);
		leave(c, "exit");
		return;
	}
	rc = cs_auth(c->cs, c->password, strlen(c->password));
	if (rc != 0) {
		note(c, "cannot send the password: %s", cs_strerror(rc));
		set_status(c, EXIT_ERROR);
		leave(c, "exit");
		return;
	}
	c->deadline = mono_ms() + LOGIN_TIMEOUT_MS;
}

static void
server_bye(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL ? ev->text : "";

	show(c, ev);
	c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	/* Taken care of when the connection closes: see closed(). */
	if (!c->ready && !c->quitting && strcmp(reason, "login timeout") == 0 &&
	    c->have_login) {
		c->login_timeout = 1;
		return;
	}
	/* After the last failed login the BYE only repeats the news. */
	if (!c->quitting && !(c->status_set && c->status == EXIT_AUTH)) {
		tty_stop();
		note(c, "disconnected by the server%s%s", *reason ? ": " : "",
		    reason);
		set_status(c, EXIT_DISCONNECTED);
	}
}

static void
refused(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL ? ev->text : "";

	note(c, "%s refused the connection: %s", c->o->host,
	    *reason ? reason : "no reason given");
	set_status(c, EXIT_REFUSED);
}

static void
closed(struct client *c, const struct cs_event *ev)
{
	if (c->login_timeout) {
		c->login_timeout = 0;
		if (reconnect(c, "the server stopped waiting for the login "
		    "(login timeout)") == 0)
			return;
		note(c, "disconnected by the server: login timeout");
		set_status(c, EXIT_DISCONNECTED);
	}
	tty_stop();
	/* A loss already reported (a read error, say) is not told twice. */
	if (ev->code == CS_CLOSE_LOST && !c->status_set) {
		note(c, "connection lost: %s", ev->text ? ev->text : "");
		set_status(c, EXIT_ERROR);
	}
	set_status(c, EXIT_OK);
}

/*
 * Whether the server has closed the connection while we waited for a
 * person.  Before handshake message 3 it has nothing to say (it cannot
 * encrypt yet), so anything to read means it has given up.
 */
static int
server_gave_up(const struct client *c)
{
	struct pollfd	 pfd;

	pfd.fd = c->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && pfd.revents != 0;
}

/*
 * The server has shown its key.  Only once it is trusted do we ask for
 * the login, as ssh does, and send it in handshake message 3.
 */
static void
server_key(struct client *c, const struct cs_event *ev)
{
	int	 rc;

	c->deadline = 0;
	c->slow_note_at = 0;
	if (!check_host_key(c, ev->key)) {
		note(c, "host key verification failed");
		set_status(c, EXIT_HOSTKEY);
		(void)cs_verdict(c->cs, 0);
		return;
	}
	if (!c->have_login) {
		get_user(c);
		get_password(c);
		c->have_login = 1;
	}
	/*
	 * The server's login clock (LoginGraceTime) has run since we
	 * connected, and a person may have taken longer than it allows: if
	 * the server has given up, connect again, now with the answers.
	 */
	if (c->prompted && server_gave_up(c) && reconnect(c, "the server "
	    "stopped waiting while you answered (login timeout)") == 0)
		return;
	rc = cs_set_login(c->cs, c->user, c->password, strlen(c->password));
	if (rc == 0)
		rc = cs_verdict(c->cs, 1);
	if (rc != 0)
		errx(EXIT_ERROR, "cannot send the login: %s", cs_strerror(rc));
	c->deadline = mono_ms() + LOGIN_TIMEOUT_MS;
}

static void
pong(struct client *c, const struct cs_event *ev)
{
	/* Only our own PINGs are answered with PONG. */
	if (c->pings_out > 0 && ev->token <= c->ping_token)
		c->pings_out--;
	pump_stdin(c);
}

static void
handle_event(struct client *c, struct cs_event *ev)
{
	switch (ev->type) {
	case CS_EV_REFUSED:
		refused(c, ev);
		break;
	case CS_EV_SERVER_KEY:
		server_key(c, ev);
		break;
	case CS_EV_AUTH_OK:
		logged_in(c, ev);
		break;
	case CS_EV_AUTH_FAIL:
		auth_failed(c, ev);
		break;
	case CS_EV_BYE:
		server_bye(c, ev);
		break;
	case CS_EV_ERROR:
		tty_stop();
		note(c, "protocol error: %s", ev->text ? ev->text : "");
		set_status(c, EXIT_ERROR);
		break;
	case CS_EV_CLOSED:
		closed(c, ev);
		break;
	case CS_EV_JOINED:
		room_joined(c, ev->room);
		show(c, ev);
		break;
	case CS_EV_PARTED:
		show(c, ev);
		room_parted(c, ev->room);
		break;
	case CS_EV_SERVER_ERROR:
		/* The answer to one of our requests: it failed. */
		c->failures++;
		show(c, ev);
		join_refused(c, ev->code);
		break;
	case CS_EV_PONG:
		pong(c, ev);
		break;
	default:
		show(c, ev);
		break;
	}
}

static void
drain_events(struct client *c)
{
	struct cs_event	*ev;

	/* A handler may start a new session: c->cs is read afresh. */
	while ((ev = cs_event_next(c->cs)) != NULL) {
		handle_event(c, ev);
		cs_event_free(ev);
	}
}

/* ---------------------------------------------------------------- signals */

static void
on_signal(int sig)
{
	int		 saved = errno;
	unsigned char	 b = (unsigned char)sig;

	(void)write(sigpipe[1], &b, 1);
	errno = saved;
}

static void
catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, NULL) == -1)
		err(EXIT_ERROR, "sigaction");
}

static void
setup_signals(struct client *c)
{
	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		err(EXIT_ERROR, "pipe2");
	catch(SIGINT);
	catch(SIGTERM);
	catch(SIGHUP);
	if (c->interactive) {
		catch(SIGTSTP);
		catch(SIGWINCH);
	}
}

/* Stop as ^Z asks, with the terminal as the shell expects it. */
static void
stop_self(void)
{
	int	 raw = tty_active();

	tty_suspend();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* ...and here we are again after SIGCONT. */
	catch(SIGTSTP);
	if (raw)
		tty_resume();
}

static void
read_signals(struct client *c)
{
	unsigned char	 sigs[32];
	ssize_t		 n, i;

	while ((n = read(sigpipe[0], sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGTSTP:
				stop_self();
				break;
			case SIGWINCH:
				tty_winch();
				break;
			default:
				/* A second one does not wait for the server. */
				if (c->quitting) {
					tty_stop();
					exit(c->status);
				}
				if (!c->ready)
					set_status(c, EXIT_ERROR);
				leave(c, "exit");
				break;
			}
		}
	}
}

/* ---------------------------------------------------------------- loop */

static void
socket_read(struct client *c)
{
	uint8_t	 buf[65536];
	ssize_t	 n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		if (!cs_finished(c->cs) && !c->quitting)
			note(c, "connection lost: %s", strerror(errno));
		set_status(c, c->quitting ? EXIT_OK : EXIT_ERROR);
		cs_eof(c->cs);
		return;
	}
	if (n == 0) {
		cs_eof(c->cs);
		return;
	}
	/* The server is still at work on what we sent: keep waiting. */
	if (c->quitting)
		c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	(void)cs_input(c->cs, buf, (size_t)n);
	sodium_memzero(buf, (size_t)n);
}

/* Returns -1 if the connection is gone. */
static int
socket_write(struct client *c)
{
	struct buf	*out = cs_output(c->cs);
	ssize_t		 n;

	if (buf_used(out) == 0)
		return 0;
	n = send(c->fd, buf_head(out), buf_used(out), MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (!cs_finished(c->cs) && !c->quitting) {
			tty_stop();
			note(c, "connection lost: %s", strerror(errno));
			set_status(c, EXIT_ERROR);
		}
		buf_reset(out);
		cs_eof(c->cs);
		return -1;
	}
	buf_consume(out, (size_t)n);
	return 0;
}

static int
poll_timeout(const struct client *c)
{
	uint64_t	 now, due = c->deadline;

	if (c->auth_retry_at != 0 && (due == 0 || c->auth_retry_at < due))
		due = c->auth_retry_at;
	if (c->slow_note_at != 0 && (due == 0 || c->slow_note_at < due))
		due = c->slow_note_at;
	if (due == 0)
		return -1;
	now = mono_ms();
	return now >= due ? 0 : (int)(due - now);
}

static void
retry_auth(struct client *c)
{
	int	 rc;

	c->auth_retry_at = 0;
	if (cs_state(c->cs) != CS_ST_AUTH_RETRY)
		return;
	if ((rc = cs_auth(c->cs, c->password, strlen(c->password))) != 0) {
		note(c, "cannot send the password: %s", cs_strerror(rc));
		set_status(c, EXIT_ERROR);
		leave(c, "exit");
		return;
	}
	c->deadline = mono_ms() + LOGIN_TIMEOUT_MS;
}

/* A silent server: say what we wait for rather than show nothing. */
static void
slow_server(struct client *c)
{
	c->slow_note_at = 0;
	if (cs_state(c->cs) != CS_ST_HELLO &&
	    cs_state(c->cs) != CS_ST_HANDSHAKE)
		return;
	note(c, "no answer yet from %s port %s; waiting up to %d s for its %s",
	    c->addr, c->o->port, hello_timeout_ms(c) / 1000,
	    cs_state(c->cs) == CS_ST_HELLO ? "hello" : "handshake");
}

static void
timed_out(struct client *c)
{
	c->deadline = 0;
	tty_stop();
	switch (cs_state(c->cs)) {
	case CS_ST_HELLO:
	case CS_ST_HANDSHAKE:
		note(c, "timed out after %d s waiting for the server's %s: is "
		    "%s port %s a secchat server?", hello_timeout_ms(c) / 1000,
		    cs_state(c->cs) == CS_ST_HELLO ? "hello" : "handshake",
		    c->addr, c->o->port);
		set_status(c, EXIT_CONNECT);
		break;
	case CS_ST_AUTH:
		note(c, "timed out waiting for the server to answer the login");
		set_status(c, EXIT_ERROR);
		break;
	default:
		if (c->quitting || cs_state(c->cs) == CS_ST_CLOSING) {
			note(c, "timed out waiting for the server to close the "
			    "connection: answers to the last requests may be "
			    "missing");
			if (c->status == EXIT_OK)
				force_status(c, EXIT_ERROR);
		} else {
			note(c, "timed out waiting for the server");
			set_status(c, EXIT_ERROR);
		}
		break;
	}
	cs_free(c->cs);
	c->cs = NULL;
}

static void
run(struct client *c)
{
	struct pollfd	 pfd[3];
	int		 n;

	for (;;) {
		drain_events(c);
		if (cs_finished(c->cs) && buf_used(cs_output(c->cs)) == 0)
			break;
		pfd[0].fd = c->fd;
		pfd[0].events = POLLIN;
		if (buf_used(cs_output(c->cs)) > 0)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = sigpipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = STDIN_FILENO;
		pfd[2].events = POLLIN;
		n = 2;
		if (c->stdin_open && !c->quitting && !c->stdin_eof) {
			if (c->interactive ? buf_used(cs_output(c->cs)) <
			    OUTPUT_HIGH_WATER : window_open(c) &&
			    c->inlen < STDIN_LINE_MAX)
				n = 3;
		}
		if (poll(pfd, (nfds_t)n, poll_timeout(c)) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_ERROR, "poll");
		}
		if (pfd[1].revents & POLLIN)
			read_signals(c);
		if (pfd[0].revents & POLLOUT)
			(void)socket_write(c);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			socket_read(c);
		if (n == 3 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			read_stdin(c);
		if (c->slow_note_at != 0 && mono_ms() >= c->slow_note_at)
			slow_server(c);
		if (c->auth_retry_at != 0 && mono_ms() >= c->auth_retry_at)
			retry_auth(c);
		if (c->deadline != 0 && mono_ms() >= c->deadline) {
			timed_out(c);
			return;
		}
	}
	cs_free(c->cs);
	c->cs = NULL;
}

/* ---------------------------------------------------------------- main */

static void
print_fingerprint(const struct options *o, const char *dir,
    const uint8_t pub[KEY_LEN])
{
	char	 fp[FINGERPRINT_LEN];

	keys_fingerprint(pub, fp);
	if (o->identity != NULL)
		printf("%s %s\n", fp, o->identity);
	else
		printf("%s %s/identity\n", fp, dir);
}

static void
load_known_hosts(struct client *c)
{
	char	 errbuf[1024];

	kh_init(&c->kh);
	if (kh_load(&c->kh, c->o->known_hosts, errbuf, sizeof(errbuf)) == -1) {
		note(NULL, "%s", errbuf);
		note(NULL, "fix or remove that line; host key verification "
		    "failed");
		exit(EXIT_HOSTKEY);
	}
}

int
main(int argc, char *argv[])
{
	struct options		 o;
	struct client		 c;
	char			*dir, *khpath = NULL;

	setlocale(LC_CTYPE, "");
	out_init();
	if (sodium_init() == -1)
		errx(EXIT_ERROR, "cannot initialize libsodium");
	signal(SIGPIPE, SIG_IGN);
	parse_args(&o, argc, argv);

	memset(&c, 0, sizeof(c));
	dir = config_dir();
	load_identity(&o, dir, c.priv, c.pub);
	if (o.show_fingerprint) {
		print_fingerprint(&o, dir, c.pub);
		sodium_memzero(c.priv, sizeof(c.priv));
		return EXIT_OK;
	}
	if (o.known_hosts == NULL) {
		if (asprintf(&khpath, "%s/known_hosts", dir) == -1)
			err(EXIT_ERROR, "asprintf");
		o.known_hosts = khpath;
	}

	c.o = &o;
	c.fd = -1;
	c.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!c.interactive) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		if ((c.inbuf = malloc(STDIN_LINE_MAX + 1)) == NULL)
			err(EXIT_ERROR, "malloc");
	}
	if (kh_hostport(o.host, (unsigned int)strtonum(o.port, 1, 65535,
	    NULL), c.hostport, sizeof(c.hostport)) == -1)
		errx(EXIT_USAGE, "invalid host name \"%s\"", o.host);
	load_known_hosts(&c);

	start_session(&c);
	setup_signals(&c);
	run(&c);
	tty_stop();
	forget_login(&c);
	close(c.fd);
	/* Pipe mode: a script must learn that not everything went through. */
	if (!c.interactive && c.status == EXIT_OK && c.failures > 0) {
		note(NULL, "%lu request%s from standard input failed or %s not "
		    "sent (see above)", c.failures, c.failures == 1 ? "" : "s",
		    c.failures == 1 ? "was" : "were");
		c.status = EXIT_UNDELIVERED;
	}
	kh_free(&c.kh);
	free(c.inbuf);
	free(khpath);
	free(dir);
	return c.status;
}
