/*
 * client.c: the client's connection and its end: connecting (again),
 * saying goodbye, the exit status, and messages from secchat itself.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <netdb.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "e2e_client.h"
#include "chatlog.h"
#include "events.h"
#include "input.h"
#include "login.h"
#include "rooms.h"
#include "output.h"
#include "peers.h"
#include "session.h"
#include "tty.h"
#include "util.h"

#define HELLO_TIMEOUT_MS	30000	/* hello and handshake, by default */
#define SLOW_NOTE_MS		3000	/* then say what we are waiting for */
#define MAX_RECONNECTS		3	/* after a login timeout */
#define LAG_NOTE_MS		2000	/* a lag this long is shown */
#define RECONNECT_CONNECT_S	10	/* connect timeout when reconnecting */

void
client_set_status(struct client *c, int status)
{
	if (!c->status_set) {
		c->status = status;
		c->status_set = 1;
	}
}

/* A status that overrides whatever was set before. */
void
client_force_status(struct client *c, int status)
{
	c->status = status;
	c->status_set = 1;
}

/*
 * A message from secchat itself.  On the terminal it goes above the input
 * line; otherwise to stderr.  The text may hold what the user typed or the
 * server sent, so it is made safe either way.
 */
void
client_note(const struct client *c, const char *fmt, ...)
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
void
client_refuse(struct client *c, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		err(EXIT_ERROR, "vasprintf");
	va_end(ap);
	client_note(c, "%s", msg);
	free(msg);
	c->failures++;
}

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

/* Exits if no address answers, unless again: then -1. */
static int
connect_server(struct client *c, int again)
{
	const struct options	*o = c->o;
	struct addrinfo		 hints, *res, *ai;
	char			 addr[NI_MAXHOST];
	int			 fd = -1, rc, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = o->family;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(o->host, o->port, &hints, &res)) != 0) {
		client_note(again ? c : NULL, "cannot resolve %s: %s", o->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (again)
			return -1;
		exit(EXIT_CONNECT);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(addr, "?", sizeof(addr));
		if (o->verbose)
			client_note(NULL, "connecting to %s port %s", addr,
			    o->port);
		/* Reconnecting blocks the terminal: not for minutes. */
		if ((fd = connect_one(ai, again && o->connect_timeout == 0 ?
		    RECONNECT_CONNECT_S : o->connect_timeout)) != -1) {
			strlcpy(c->addr, addr, sizeof(c->addr));
			break;
		}
		saved = errno;
		if (o->verbose || ai->ai_next == NULL)
			client_note(again ? c : NULL, "connect to %s port %s: "
			    "%s", addr, o->port, strerror(saved));
	}
	freeaddrinfo(res);
	if (fd == -1 && again)
		return -1;
	if (fd == -1)
		exit(EXIT_CONNECT);
	if (o->verbose)
		client_note(NULL, "connected to %s port %s", c->addr, o->port);
	return fd;
}

int
client_hello_timeout_ms(const struct client *c)
{
	return c->o->connect_timeout > 0 ? c->o->connect_timeout * 1000 :
	    HELLO_TIMEOUT_MS;
}

/* Start a session on the connection c->fd. */
static void
start_session(struct client *c)
{
	struct cs_params	 params;
	uint64_t		 now;

	memset(&params, 0, sizeof(params));
	params.priv = c->priv;
	params.pub = c->pub;
	params.suites = c->o->suites;
	params.nsuites = c->o->nsuites;
	if ((c->cs = cs_new(&params)) == NULL)
		errx(EXIT_ERROR, "cannot start a session");
	c->prompted = 0;
	c->login_timeout = 0;
	c->key_refused = 0;
	c->more_seen = 0;
	/* ConnectTimeout bounds the hello and the handshake too. */
	now = mono_ms();
	c->deadline = now + (uint64_t)client_hello_timeout_ms(c);
	c->slow_note_at = client_hello_timeout_ms(c) > SLOW_NOTE_MS ?
	    now + SLOW_NOTE_MS : 0;
}

/* Connect, and start a session on the connection. */
void
client_connect(struct client *c)
{
	c->fd = connect_server(c, 0);
	start_session(c);
}

/*
 * Connect again with the login we already have: the server stopped
 * waiting (LoginGraceTime) while a person answered a prompt.  Returns -1
 * if we have tried often enough.
 */
int
client_reconnect(struct client *c, const char *why)
{
	if (!c->have_login || c->reconnects >= MAX_RECONNECTS)
		return -1;
	c->reconnects++;
	client_note(c, "%s; connecting again", why);
	cs_free(c->cs);
	c->cs = NULL;
	close(c->fd);
	client_connect(c);
	return 0;
}

/*
 * Say goodbye.  The server answers everything sent before, then closes
 * the connection (doc/protocol.md 7.6): we read until it does.
 */
void
client_leave(struct client *c, const char *reason)
{
	int	 rc;

	if (c->quitting)
		return;
	/* No connection to say goodbye on: leave at once. */
	if (c->cs == NULL || c->down || (c->was_ready && !c->ready)) {
		c->quitting = 1;
		c->stop_now = 1;
		client_force_status(c, EXIT_OK);
		tty_stop();
		return;
	}
	c->quitting = 1;
	if (!c->ready)
		client_set_status(c, EXIT_ERROR);
	client_set_status(c, EXIT_OK);
	if (reason == NULL || *reason == '\0')
		reason = "exit";
	if ((rc = cs_bye(c->cs, reason)) == CS_E_TEXT)
		rc = cs_bye(c->cs, "exit");
	if (rc != 0)
		client_note(c, "cannot say goodbye: %s", cs_strerror(rc));
	c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	c->stdin_open = 0;
	tty_stop();
	if (c->interactive && c->pings_out > 0)
		client_note(c, "waiting for the server to take in your last "
		    "lines (interrupt again to leave at once)");
}

/*
 * A prompt came back empty-handed.  An interrupt (readpassphrase has put
 * the terminal back and passed the signal on) ends secchat quietly.
 */
void
client_check_interrupted(void)
{
	if (errno == EINTR)
		exit(EXIT_ERROR);
}

void
client_e2e_pump(struct client *c)
{
	struct e2ec_req	*r;
	struct cs_event	*ev;
	char		 errbuf[512];
	int		 rc;

	if (!c->e2e_ready)
		return;
	while ((r = e2ec_req_next(&c->e2e)) != NULL) {
		if (r->type == E2EC_REQ_KEYS)
			rc = cs_keys(c->cs, r->user);
		else
			rc = cs_e2e(c->cs, r->user, r->device, r->payload,
			    r->len);
		if (rc == 0)
			cmd_request_sent(c);
		else
			client_refuse(c, "end-to-end message to %s: %s; not "
			    "sent", r->user, cs_strerror(rc));
		e2ec_req_free(r);
	}
	while ((ev = e2ec_event_next(&c->e2e)) != NULL) {
		/* In pipe mode a script must learn that a line was lost. */
		if (ev->type == CS_EV_E2E_FAILED)
			c->failures++;
		if (ev->type != CS_EV_E2E_OWN || c->interactive)
			events_show(c, ev);
		cs_event_free(ev);
	}
	if (e2ec_pins_changed(&c->e2e) && peers_save(&c->pins, c->pins_path,
	    errbuf, sizeof(errbuf)) == -1)
		client_note(c, "cannot write the pinned keys: %s", errbuf);
}

/* ---------------------------------------------------------------- reconnect */

int
client_reconnect_enabled(const struct client *c)
{
	if (c->o->reconnect == OPT_AUTO)
		return c->interactive;
	return c->o->reconnect;
}

int
client_will_reconnect(const struct client *c)
{
	if (!client_reconnect_enabled(c) || !c->was_ready || c->quitting ||
	    c->no_reconnect || c->stop_now)
		return 0;
	/* A login or a host key refused now is refused again. */
	if (c->status_set && (c->status == EXIT_AUTH ||
	    c->status == EXIT_HOSTKEY))
		return 0;
	return 1;
}

/*
 * What a server says when it ends the session on purpose: a kick is the
 * administrator's will, a protocol error would come again.  A restart,
 * a shutdown or an internal error is worth another try.
 */
void
client_server_bye(struct client *c, const char *reason)
{
	if (strncmp(reason, "kicked", 6) == 0 ||
	    strncmp(reason, "protocol error", 14) == 0 ||
	    strncmp(reason, "authentication", 14) == 0)
		c->no_reconnect = 1;
}

static void
schedule_reconnect(struct client *c)
{
	unsigned int	 delay = c->backoff_ms;

	/* Up to a quarter more, so that many clients do not come at once. */
	delay += randombytes_uniform(delay / 4 + 1);
	c->reconnect_at = mono_ms() + delay;
	client_note(c, "reconnecting in %u.%u s (attempt %u; /quit to "
	    "leave)", delay / 1000, delay % 1000 / 100, c->attempts + 1);
	c->backoff_ms = c->backoff_ms * 2 > RECONNECT_MAX_MS ?
	    RECONNECT_MAX_MS : c->backoff_ms * 2;
}

/* The lines the server never confirmed: say so, they may be lost. */
static void
report_unconfirmed(struct client *c)
{
	size_t	 i;

	for (i = 0; i < c->nunconfirmed; i++) {
		client_note(c, "not confirmed before the connection was lost, "
		    "may not have been sent: \"%s\" (Up recalls it)",
		    c->unconfirmed[i].text);
		free(c->unconfirmed[i].text);
	}
	c->nunconfirmed = 0;
}

int
client_connection_over(struct client *c)
{
	if (!client_will_reconnect(c))
		return 0;
	if (c->cs != NULL) {
		cs_free(c->cs);
		c->cs = NULL;
	}
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
	report_unconfirmed(c);
	/*
	 * Pipe mode: requests after the last PING answered may not have
	 * reached the server, and a script must learn so (EXIT_UNDELIVERED).
	 */
	if (!c->interactive && !c->down && (c->pings_out > 0 ||
	    c->since_ping > 0))
		client_refuse(c, "requests sent just before the connection was "
		    "lost may not have arrived");
	/* The rooms to join again; the server tells anew which we are in. */
	if (!c->down && c->ready) {
		memcpy(c->rejoin, c->rooms, c->nrooms * sizeof(c->rooms[0]));
		c->nrejoin = c->nrooms;
		strlcpy(c->rejoin_current, c->current,
		    sizeof(c->rejoin_current));
		c->nrooms = 0;
	}
	c->ready = 0;
	c->down = 1;
	c->rejoining = 0;
	c->deadline = 0;
	c->slow_note_at = 0;
	c->auth_retry_at = 0;
	c->pings_out = 0;
	c->since_ping = 0;
	c->alive_out = 0;
	c->alive_at = 0;
	c->lag_token = 0;
	c->busy_answers = 0;
	c->reconnects = 0;
	/* What ended this connection does not end secchat. */
	c->status = EXIT_OK;
	c->status_set = 0;
	if (c->backoff_ms == 0)
		c->backoff_ms = RECONNECT_FIRST_MS;
	schedule_reconnect(c);
	return 1;
}

void
client_try_reconnect(struct client *c)
{
	c->reconnect_at = 0;
	c->attempts++;
	client_note(c, "reconnecting to %s port %s (attempt %u)", c->o->host,
	    c->o->port, c->attempts);
	if ((c->fd = connect_server(c, 1)) == -1) {
		schedule_reconnect(c);
		return;
	}
	c->down = 0;
	start_session(c);
}

void
client_logged_in_again(struct client *c)
{
	size_t	 i, n;
	char	*line;

	client_note(c, "reconnected after %u attempt%s", c->attempts,
	    c->attempts == 1 ? "" : "s");
	c->attempts = 0;
	c->backoff_ms = 0;
	rooms_rejoin(c);
	/* The server forgot our away text with our last session. */
	if (cmd_away_text() != NULL && *cmd_away_text() != '\0' &&
	    cs_extended(c->cs))
		(void)cs_away(c->cs, cmd_away_text());
	/* Now that the rooms are asked for, what was typed meanwhile. */
	n = c->nheld;
	c->nheld = 0;
	for (i = 0; i < n; i++) {
		line = c->held[i];
		c->held[i] = NULL;
		if (!c->quitting && !c->down) {
			unsigned long before = c->failures;

			client_note(c, "sending what you typed while "
			    "disconnected: \"%s\"", line);
			cmd_line(c, line);
			client_line_done(c, line, before);
		}
		free(line);
	}
	input_pump(c);
}

int
client_hold_line(struct client *c, const char *line)
{
	char		 word[16];
	size_t		 n;
	const struct command *cmd;

	if (!c->was_ready || c->ready || c->quitting)
		return 0;
	if (line[strspn(line, " \t")] == '\0')
		return 1;
	/* /quit (or exit) leaves now: there is nobody to say it to. */
	if (strcmp(line, "exit") == 0)
		cmd = cmd_find("quit");
	else if (line[0] == '/' && line[1] != '/' &&
	    (n = strcspn(line + 1, " \t")) < sizeof(word)) {
		memcpy(word, line + 1, n);
		word[n] = '\0';
		cmd = cmd_find(word);
	} else
		cmd = NULL;
	if (cmd != NULL && cmd == cmd_find("quit")) {
		client_leave(c, "exit");
		return 1;
	}
	if (c->nheld == HELD_MAX) {
		client_note(c, "not sent: \"%s\": %d lines already wait for "
		    "the connection (Up recalls it)", line, HELD_MAX);
		return 1;
	}
	if ((c->held[c->nheld] = strdup(line)) == NULL)
		err(EXIT_ERROR, "strdup");
	c->nheld++;
	client_note(c, "not sent yet (disconnected): \"%s\" goes once "
	    "reconnected", line);
	return 1;
}

/* Ask the server to confirm what it has read so far, timing the answer. */
static uint64_t
send_ping(struct client *c)
{
	uint64_t	 token = ++c->ping_token;

	if (c->cs == NULL || cs_ping(c->cs, token) != 0)
		return 0;
	c->pings_out++;
	if (c->lag_token == 0) {
		c->lag_token = token;
		c->lag_sent_at = mono_ms();
	}
	return token;
}

void
client_line_done(struct client *c, const char *line,
    unsigned long failures_before)
{
	uint64_t	 token;

	if (!c->interactive || !c->ready || c->quitting || c->cs == NULL ||
	    c->failures != failures_before)
		return;
	if (line[strspn(line, " \t")] == '\0')
		return;
	chatlog_own_line(c, line);
	if ((token = send_ping(c)) == 0)
		return;
	if (c->nunconfirmed == UNCONFIRMED_MAX) {
		free(c->unconfirmed[0].text);
		memmove(&c->unconfirmed[0], &c->unconfirmed[1],
		    (UNCONFIRMED_MAX - 1) * sizeof(c->unconfirmed[0]));
		c->nunconfirmed--;
	}
	if ((c->unconfirmed[c->nunconfirmed].text = strdup(line)) == NULL)
		err(EXIT_ERROR, "strdup");
	c->unconfirmed[c->nunconfirmed++].token = token;
}

void
client_pong(struct client *c, uint64_t token)
{
	size_t	 i, n = 0;

	if (c->lag_token != 0 && token >= c->lag_token) {
		c->lag_ms = (long)(mono_ms() - c->lag_sent_at);
		c->lag_token = 0;
		if (c->lag_ms >= LAG_NOTE_MS || c->o->verbose)
			client_note(c, "lag %ld ms", c->lag_ms);
	}
	for (i = 0; i < c->nunconfirmed && c->unconfirmed[i].token <= token;
	    i++) {
		free(c->unconfirmed[i].text);
		n++;
	}
	memmove(&c->unconfirmed[0], &c->unconfirmed[n],
	    (c->nunconfirmed - n) * sizeof(c->unconfirmed[0]));
	c->nunconfirmed -= n;
	if (c->rejoining && token >= c->rejoin_token)
		c->rejoining = 0;
}

void
client_server_error(struct client *c, unsigned int code)
{
	/*
	 * The server answers in order and we PING after each typed line:
	 * text it refuses is the oldest line not yet confirmed.
	 */
	if (code != ERR_BAD_TEXT || c->nunconfirmed == 0)
		return;
	client_note(c, "not sent: \"%s\": the server refused the text (Up "
	    "recalls it)", c->unconfirmed[0].text);
	free(c->unconfirmed[0].text);
	memmove(&c->unconfirmed[0], &c->unconfirmed[1],
	    (c->nunconfirmed - 1) * sizeof(c->unconfirmed[0]));
	c->nunconfirmed--;
}

void
client_data_received(struct client *c)
{
	c->alive_out = 0;
	c->alive_at = c->ready && c->o->alive_interval > 0 ? mono_ms() +
	    (uint64_t)c->o->alive_interval * 1000 : 0;
}

void
client_alive_check(struct client *c)
{
	if (c->alive_at == 0 || mono_ms() < c->alive_at)
		return;
	if (!c->ready || c->quitting || c->cs == NULL) {
		c->alive_at = 0;
		return;
	}
	if (c->alive_out >= (unsigned int)c->o->alive_count_max) {
		client_note(c, "connection lost: no answer from the server "
		    "for %d s", c->o->alive_interval * c->o->alive_count_max);
		c->alive_at = 0;
		client_set_status(c, EXIT_ERROR);
		cs_eof(c->cs);
		return;
	}
	c->alive_out++;
	/* A keepalive PING times the round trip afresh. */
	c->lag_token = 0;
	(void)send_ping(c);
	c->alive_at = mono_ms() + (uint64_t)c->o->alive_interval * 1000;
}

long
client_lag_ms(const struct client *c)
{
	return c->lag_ms;
}
