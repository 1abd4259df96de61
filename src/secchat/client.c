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
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "e2e_client.h"
#include "events.h"
#include "output.h"
#include "peers.h"
#include "session.h"
#include "tty.h"
#include "util.h"

#define HELLO_TIMEOUT_MS	30000	/* hello and handshake, by default */
#define SLOW_NOTE_MS		3000	/* then say what we are waiting for */
#define MAX_RECONNECTS		3	/* after a login timeout */

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
		client_note(NULL, "cannot resolve %s: %s", o->host,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		exit(EXIT_CONNECT);
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, addr,
		    sizeof(addr), NULL, 0, NI_NUMERICHOST) != 0)
			strlcpy(addr, "?", sizeof(addr));
		if (o->verbose)
			client_note(NULL, "connecting to %s port %s", addr,
			    o->port);
		if ((fd = connect_one(ai, o->connect_timeout)) != -1) {
			strlcpy(c->addr, addr, sizeof(c->addr));
			break;
		}
		saved = errno;
		if (o->verbose || ai->ai_next == NULL)
			client_note(NULL, "connect to %s port %s: %s", addr,
			    o->port, strerror(saved));
	}
	freeaddrinfo(res);
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

/* Connect, and start a session on the connection. */
void
client_connect(struct client *c)
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
	c->key_refused = 0;
	c->more_seen = 0;
	/* ConnectTimeout bounds the hello and the handshake too. */
	now = mono_ms();
	c->deadline = now + (uint64_t)client_hello_timeout_ms(c);
	c->slow_note_at = client_hello_timeout_ms(c) > SLOW_NOTE_MS ?
	    now + SLOW_NOTE_MS : 0;
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
