/*
 * login.c: getting in.  The identity key is loaded before connecting;
 * the user name and password are asked for only once the server's key is
 * trusted, as ssh does, and kept (until login) to connect again should the
 * server stop waiting while a person answered.  A "server busy" answer is
 * met with the same login again, a little later.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chatlog.h"
#include "client.h"
#include "e2e_client.h"
#include "events.h"
#include "hostcheck.h"
#include "keys.h"
#include "login.h"
#include "output.h"
#include "rooms.h"
#include "session.h"
#include "tty.h"
#include "window.h"
#include "util.h"

#define LOGIN_TIMEOUT_MS	60000	/* the answer to AUTH */
#define AUTH_BUSY_TEXT		"server busy; try again" /* protocol.md */
#define AUTH_BUSY_RETRIES	30	/* then give up as on a failure */

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

static int	read_line_fd(int, char *, size_t);

/*
 * The passphrase of an encrypted identity: one line from PassphraseFd, or
 * asked on the terminal (readpassphrase(3) puts it back on ^C).
 */
static int
ask_passphrase(void *arg, const char *prompt, char *buf, size_t bufmax)
{
	const struct options	*o = arg;
	size_t			 len;

	if (o->passphrase_fd != -1) {
		if (read_line_fd(o->passphrase_fd, buf, bufmax) == -1)
			return -1;
		len = strlen(buf);
		if (len > 0 && buf[len - 1] == '\r')
			buf[len - 1] = '\0';
		return 0;
	}
	if (readpassphrase(prompt, buf, bufmax, RPP_REQUIRE_TTY) == NULL) {
		client_check_interrupted();
		return -1;
	}
	return 0;
}

static char *
identity_path(const struct options *o, const char *dir)
{
	char	*path;

	if (o->identity != NULL) {
		if ((path = strdup(o->identity)) == NULL)
			err(EXIT_ERROR, "strdup");
	} else if (asprintf(&path, "%s/identity", dir) == -1)
		err(EXIT_ERROR, "asprintf");
	return path;
}

/*
 * Load the identity key; create the default one on first use.  An
 * identity named with -i must exist.
 */
void
login_load_identity(const struct options *o, const char *dir,
    uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN])
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
	} else if (keys_load_ask(p, priv, pub, ask_passphrase, (void *)o,
	    errbuf, sizeof(errbuf)) == -1)
		errx(EXIT_ERROR, "identity: %s", errbuf);
	free(path);
}

void
login_print_public(const struct options *o, const char *dir,
    const uint8_t pub[KEY_LEN])
{
	char		 line[KEYFILE_MAX], comment[300], *path, *pubpath, *buf;
	uint8_t		 filepub[KEY_LEN];
	size_t		 len;

	/* The .pub file's own line (with its comment) if it is this key. */
	path = identity_path(o, dir);
	if (asprintf(&pubpath, "%s.pub", path) == -1)
		err(EXIT_ERROR, "asprintf");
	if ((buf = read_small_file(pubpath, KEYFILE_MAX, &len)) != NULL &&
	    keys_parse_public(buf, len, filepub) == 0 &&
	    memcmp(filepub, pub, KEY_LEN) == 0) {
		len = strcspn(buf, "\n");
		printf("%.*s\n", (int)len, buf);
	} else {
		key_comment(comment, sizeof(comment));
		if (keys_public_line(pub, comment, line, sizeof(line)) == -1)
			errx(EXIT_ERROR, "cannot format the public key");
		printf("%s\n", line);
	}
	free(buf);
	free(pubpath);
	free(path);
}

void
login_set_passphrase(const struct options *o, const char *dir,
    const uint8_t priv[KEY_LEN])
{
	char	 pass[KEYS_PASSPHRASE_MAX + 1], again[KEYS_PASSPHRASE_MAX + 1];
	char	 errbuf[512], *path;
	int	 rc, clear;

	path = identity_path(o, dir);
	if (o->passphrase_fd != -1) {
		if (ask_passphrase((void *)o, "", pass, sizeof(pass)) == -1)
			err(EXIT_ERROR, "PassphraseFd %d", o->passphrase_fd);
	} else {
		if (readpassphrase("New passphrase (empty for none): ", pass,
		    sizeof(pass), RPP_REQUIRE_TTY) == NULL ||
		    readpassphrase("Same passphrase again: ", again,
		    sizeof(again), RPP_REQUIRE_TTY) == NULL) {
			client_check_interrupted();
			errx(EXIT_ERROR, "cannot read a passphrase: no "
			    "terminal; use -o PassphraseFd=N");
		}
		rc = strcmp(pass, again);
		sodium_memzero(again, sizeof(again));
		if (rc != 0) {
			sodium_memzero(pass, sizeof(pass));
			errx(EXIT_ERROR, "the passphrases do not match");
		}
	}
	clear = pass[0] == '\0';
	rc = keys_save_private(path, priv, pass, errbuf, sizeof(errbuf));
	sodium_memzero(pass, sizeof(pass));
	if (rc == -1)
		errx(EXIT_ERROR, "%s", errbuf);
	fprintf(stderr, "secchat: %s: %s\n", path, clear ?
	    "saved without a passphrase" : "passphrase set");
	free(path);
}

void
login_print_fingerprint(const struct options *o, const char *dir,
    const uint8_t pub[KEY_LEN])
{
	char	 fp[FINGERPRINT_LEN];

	keys_fingerprint(pub, fp);
	if (o->identity != NULL)
		printf("%s %s\n", fp, o->identity);
	else
		printf("%s %s/identity\n", fp, dir);
}

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
		client_check_interrupted();
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
		client_check_interrupted();
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

void
login_forget(struct client *c)
{
	sodium_memzero(c->password, sizeof(c->password));
	sodium_memzero(c->priv, sizeof(c->priv));
	c->have_login = 0;
	c->have_password = 0;
}

/* AUTH with the password we hold, and wait for the answer. */
static void
auth_with_password(struct client *c)
{
	int	 rc;

	if ((rc = cs_auth(c->cs, c->password, strlen(c->password))) != 0) {
		client_note(c, "cannot send the password: %s", cs_strerror(rc));
		client_set_status(c, EXIT_ERROR);
		client_leave(c, "exit");
		return;
	}
	c->deadline = mono_ms() + LOGIN_TIMEOUT_MS;
}

/* The password, once, for AUTH after AUTH_MORE or a refused key. */
static void
send_password(struct client *c)
{
	/* Logging in again after a loss asks nobody. */
	if (!c->have_password && c->was_ready) {
		client_note(c, "the server now wants a password: start "
		    "secchat again to give it");
		client_set_status(c, EXIT_AUTH);
		client_leave(c, "exit");
		return;
	}
	if (!c->have_password) {
		get_password(c);
		c->have_password = 1;
	}
	auth_with_password(c);
}

void
login_more(struct client *c, const struct cs_event *ev)
{
	(void)ev;
	c->more_seen = 1;
	if (c->o->verbose)
		client_note(c, "the server accepted the key and asks for the "
		    "password too");
	send_password(c);
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
void
login_server_key(struct client *c, const struct cs_event *ev)
{
	int	 rc, use_key;

	c->deadline = 0;
	c->slow_note_at = 0;
	if (!hc_verify(&c->hc, ev->key, c->addr, &c->prompted)) {
		client_note(c, "host key verification failed");
		client_set_status(c, EXIT_HOSTKEY);
		(void)cs_verdict(c->cs, 0);
		return;
	}
	/* A server that agreed to section 11 is asked to take the key. */
	use_key = cs_extended(c->cs) && c->o->key_login;
	if (!c->have_login) {
		get_user(c);
		c->have_login = 1;
	}
	if (!use_key && !c->have_password && c->was_ready) {
		client_note(c, "a password would be needed to log in again: "
		    "start secchat again to give it");
		client_set_status(c, EXIT_AUTH);
		(void)cs_verdict(c->cs, 0);
		return;
	}
	if (!use_key && !c->have_password) {
		get_password(c);
		c->have_password = 1;
	}
	/*
	 * The server's login clock (LoginGraceTime) has run since we
	 * connected, and a person may have taken longer than it allows: if
	 * the server has given up, connect again, now with the answers.
	 */
	if (c->prompted && server_gave_up(c) && client_reconnect(c, "the "
	    "server stopped waiting while you answered (login timeout)") == 0)
		return;
	if (use_key) {
		rc = cs_set_login(c->cs, c->user, NULL, 0);
		if (rc == 0)
			rc = cs_verdict_key(c->cs);
	} else {
		rc = cs_set_login(c->cs, c->user, c->password,
		    strlen(c->password));
		if (rc == 0)
			rc = cs_verdict(c->cs, 1);
	}
	if (rc != 0)
		errx(EXIT_ERROR, "cannot send the login: %s", cs_strerror(rc));
	c->deadline = mono_ms() + LOGIN_TIMEOUT_MS;
}

void
login_ok(struct client *c, const struct cs_event *ev)
{
	char	 errbuf[512];
	int	 again = c->was_ready;

	c->ready = 1;
	c->was_ready = 1;
	c->deadline = 0;
	strlcpy(c->user, ev->user, sizeof(c->user));
	/* The manager keeps its own copy of the key: it is our E2E identity. */
	if (c->e2e_ready)
		e2ec_free(&c->e2e);
	e2ec_init(&c->e2e, c->priv, c->pub, c->user, c->hc.hostport,
	    &c->pins);
	c->e2e_ready = 1;
	/*
	 * To log in again after a loss without asking, the key and the
	 * password stay (locked in memory, wiped at exit) while reconnecting
	 * is on; otherwise they go now.
	 */
	if (!client_reconnect_enabled(c))
		login_forget(c);
	if (c->interactive && !tty_active()) {
		if (tty_start(STDIN_FILENO, STDOUT_FILENO) == -1)
			err(EXIT_ERROR, "cannot set up the terminal");
		window_start(c, NULL);
	}
	if (c->interactive)
		rooms_update_prompt(c);
	c->stdin_open = 1;
	client_data_received(c);
	if (c->o->log && c->log == NULL) {
		if ((c->log = chatlog_open(c->o->log_dir, c->o->host,
		    c->o->port, c->user, errbuf, sizeof(errbuf))) == NULL)
			client_note(c, "not logging the conversations: %s",
			    errbuf);
	}
	events_show(c, ev);
	if (again)
		client_logged_in_again(c);
}

void
login_failed(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL && *ev->text != '\0' ?
			    ev->text : "no reason given";
	char		 why[256];

	/*
	 * A key the server does not take ("key not accepted", tries left
	 * unchanged): the password, as a version 1 server would want.
	 */
	if (cs_key_login_sent(c->cs) && !c->key_refused && !c->more_seen) {
		c->key_refused = 1;
		if (ev->code > 0) {
			if (c->o->verbose)
				client_note(c, "the server did not accept "
				    "the key: %s", reason);
			send_password(c);
			return;
		}
	}
	/*
	 * "Server busy" did not count as a try (doc/protocol.md): send the
	 * same login again a little later, as often as a person would.
	 */
	if (ev->code > 0 && strcmp(reason, AUTH_BUSY_TEXT) == 0 &&
	    c->busy_answers < AUTH_BUSY_RETRIES) {
		if (c->busy_answers++ == 0 && c->interactive)
			client_note(c, "the server is busy; trying again");
		c->auth_retry_at = mono_ms() + 200 +
		    randombytes_uniform(200 * (c->busy_answers < 5 ?
		    c->busy_answers : 5));
		c->deadline = 0;
		return;
	}
	events_show(c, ev);
	/* Logging in again after a loss asks nobody: it gives up. */
	if (ev->code == 0 || !c->password_from_tty || c->was_ready) {
		/*
		 * A refusal with no tries left that came before any password
		 * was sent (a throttled address, too many sessions) is about
		 * the login, not the key: do not blame the key.
		 */
		if (!c->have_password && ev->code == 0)
			client_note(c, "authentication failed for %s: %s",
			    c->user, reason);
		else
			client_note(c, "authentication failed: the server did "
			    "not accept the %s for %s: %s", c->have_password ?
			    "password" : "key", c->user, reason);
		client_set_status(c, EXIT_AUTH);
		login_forget(c);
		if (ev->code > 0)
			client_leave(c, "exit");
		return;
	}
	/* One line, then the prompt: as ssh does. */
	snprintf(why, sizeof(why), "Permission denied: %s (%u %s left).\n",
	    reason, ev->code, ev->code == 1 ? "try" : "tries");
	if (ask_password(c, why, c->password, sizeof(c->password)) == -1) {
		/* An interrupt ends secchat as at the first prompt. */
		if (errno == EINTR)
			client_force_status(c, EXIT_ERROR);
		else
			client_set_status(c, EXIT_AUTH);
		login_forget(c);
		client_leave(c, "exit");
		return;
	}
	if (c->password[0] == '\0' || strlen(c->password) > CS_PASSWORD_MAX) {
		client_set_status(c, EXIT_AUTH);
		login_forget(c);
		client_leave(c, "exit");
		return;
	}
	auth_with_password(c);
}

void
login_retry(struct client *c)
{
	c->auth_retry_at = 0;
	if (cs_state(c->cs) != CS_ST_AUTH_RETRY)
		return;
	auth_with_password(c);
}
