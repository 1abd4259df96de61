/*
 * events.c: the client's side of each event its session decodes: shown
 * (output.c makes the line), and acted on where it changes the rooms, the
 * login (login.c) or the connection's end and the exit status.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "complete.h"
#include "e2e_client.h"
#include "events.h"
#include "input.h"
#include "login.h"
#include "output.h"
#include "rooms.h"
#include "session.h"
#include "tty.h"
#include "util.h"

void
events_show(struct client *c, const struct cs_event *ev)
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
			client_set_status(c, EXIT_ERROR);
			client_leave(c, "exit");
			return;
		}
		free(line);
	}
}

static void
server_bye(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL ? ev->text : "";

	events_show(c, ev);
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
		client_note(c, "disconnected by the server%s%s",
		    *reason ? ": " : "", reason);
		client_set_status(c, EXIT_DISCONNECTED);
	}
}

static void
refused(struct client *c, const struct cs_event *ev)
{
	const char	*reason = ev->text != NULL ? ev->text : "";

	client_note(c, "%s refused the connection: %s", c->o->host,
	    *reason ? reason : "no reason given");
	client_set_status(c, EXIT_REFUSED);
}

static void
closed(struct client *c, const struct cs_event *ev)
{
	if (c->login_timeout) {
		c->login_timeout = 0;
		if (client_reconnect(c, "the server stopped waiting for the "
		    "login (login timeout)") == 0)
			return;
		client_note(c, "disconnected by the server: login timeout");
		client_set_status(c, EXIT_DISCONNECTED);
	}
	tty_stop();
	/* A loss already reported (a read error, say) is not told twice. */
	if (ev->code == CS_CLOSE_LOST && !c->status_set) {
		client_note(c, "connection lost: %s", ev->text ? ev->text : "");
		client_set_status(c, EXIT_ERROR);
	}
	client_set_status(c, EXIT_OK);
}

static void
pong(struct client *c, const struct cs_event *ev)
{
	/* Only our own PINGs are answered with PONG. */
	if (c->pings_out > 0 && ev->token <= c->ping_token)
		c->pings_out--;
	input_pump(c);
}

static void
handle_event(struct client *c, struct cs_event *ev)
{
	complete_event(ev);
	switch (ev->type) {
	case CS_EV_REFUSED:
		refused(c, ev);
		break;
	case CS_EV_SERVER_KEY:
		login_server_key(c, ev);
		break;
	case CS_EV_AUTH_OK:
		login_ok(c, ev);
		break;
	case CS_EV_AUTH_FAIL:
		login_failed(c, ev);
		break;
	case CS_EV_BYE:
		server_bye(c, ev);
		break;
	case CS_EV_ERROR:
		tty_stop();
		client_note(c, "protocol error: %s", ev->text ? ev->text : "");
		client_set_status(c, EXIT_ERROR);
		break;
	case CS_EV_CLOSED:
		closed(c, ev);
		break;
	case CS_EV_JOINED:
		rooms_joined(c, ev->room);
		events_show(c, ev);
		break;
	case CS_EV_PARTED:
		events_show(c, ev);
		rooms_parted(c, ev->room);
		break;
	case CS_EV_SERVER_ERROR:
		/* The answer to one of our requests: it failed. */
		c->failures++;
		events_show(c, ev);
		rooms_join_refused(c, ev->code);
		break;
	case CS_EV_PONG:
		pong(c, ev);
		break;
	case CS_EV_AUTH_MORE:
		login_more(c, ev);
		break;
	case CS_EV_KEYLIST:
		if (c->e2e_ready)
			e2ec_keylist(&c->e2e, ev->user, ev->keys, ev->nkeys);
		break;
	case CS_EV_E2E_FROM:
		if (c->e2e_ready)
			e2ec_from(&c->e2e, ev->time, ev->user, ev->key,
			    ev->data, ev->datalen);
		break;
	case CS_EV_E2E_FAIL:
		if (c->e2e_ready)
			e2ec_fail(&c->e2e, ev->user, ev->key, ev->text);
		break;
	default:
		events_show(c, ev);
		break;
	}
}

void
events_drain(struct client *c)
{
	struct cs_event	*ev;

	/* A handler may start a new session: c->cs is read afresh. */
	while ((ev = cs_event_next(c->cs)) != NULL) {
		handle_event(c, ev);
		cs_event_free(ev);
		client_e2e_pump(c);
	}
}
