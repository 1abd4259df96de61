/*
 * events.c: the client's side of each event its session decodes: shown
 * (output.c makes the line), and acted on where it changes the rooms, the
 * login (login.c) or the connection's end and the exit status.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chatlog.h"
#include "client.h"
#include "commands.h"
#include "complete.h"
#include "e2e_client.h"
#include "events.h"
#include "ignore.h"
#include "input.h"
#include "keys.h"
#include "login.h"
#include "output.h"
#include "peers.h"
#include "rooms.h"
#include "session.h"
#include "tty.h"
#include "util.h"
#include "window.h"
#include "wire.h"

/* The user who last wrote to us privately, for /reply. */
static char	 last_private[SECCHAT_NAME_MAX + 1];

const char *
events_last_private(void)
{
	return last_private[0] != '\0' ? last_private : NULL;
}

/*
 * Whether an event is from someone on the ignore list (ignore.h): their
 * room lines, actions, private messages, history and comings and goings
 * are not shown.  Our own copies (E2E_SENT_*) are never hidden.
 */
static int
ignored(const struct cs_event *ev)
{
	switch (ev->type) {
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
	case CS_EV_PRIVATE:
	case CS_EV_HISTORY:
	case CS_EV_ARRIVED:
	case CS_EV_DEPARTED:
		return ignore_has(ev->user);
	case CS_EV_E2E_TEXT:
		return (ev->code == E2E_TEXT || ev->code == E2E_ACTION) &&
		    ignore_has(ev->user);
	default:
		return 0;
	}
}

static void
note_private(const struct cs_event *ev)
{
	if (ev->user == NULL || !valid_username(ev->user, strlen(ev->user)))
		return;
	if (ev->type == CS_EV_PRIVATE || (ev->type == CS_EV_E2E_TEXT &&
	    (ev->code == E2E_TEXT || ev->code == E2E_ACTION)))
		strlcpy(last_private, ev->user, sizeof(last_private));
}

/* Write one line: on the terminal above the prompt, or on stdout. */
static void
put_line(struct client *c, char *line)
{
	if (line == NULL)
		return;
	if (c->interactive)
		tty_print(line);
	else if (puts(line) == EOF) {
		/* Nobody reads our output any more. */
		client_set_status(c, EXIT_ERROR);
		client_leave(c, "exit");
	}
	free(line);
}

/* "1d 2h", "3h 04m", "5m 06s", "7s": how long, for people. */
static void
idle_words(uint64_t ms, char *out, size_t outlen)
{
	uint64_t	 s = ms / 1000;

	if (s >= 86400)
		snprintf(out, outlen, "%llud %lluh", (unsigned long long)(s /
		    86400), (unsigned long long)(s % 86400 / 3600));
	else if (s >= 3600)
		snprintf(out, outlen, "%lluh %02llum", (unsigned long long)(s /
		    3600), (unsigned long long)(s % 3600 / 60));
	else if (s >= 60)
		snprintf(out, outlen, "%llum %02llus", (unsigned long long)(s /
		    60), (unsigned long long)(s % 60));
	else
		snprintf(out, outlen, "%llus", (unsigned long long)s);
}

/* What the pins say of a key of user: verified, seen, new or changed. */
static const char *
pin_word(const struct client *c, const char *user, const uint8_t *key)
{
	if (!c->e2e_ready)
		return "unknown";
	switch (peers_judge(&c->pins, c->e2e.hostport, user, key)) {
	case PEER_USE_VERIFIED:
		return "verified";
	case PEER_USE_SEEN:
		return "seen";
	case PEER_PIN_NEW:
		return "new";
	case PEER_HOLD_CHANGED:
		return "changed";
	}
	return "unknown";
}

static char *
xasprintf_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *
xasprintf_line(const char *fmt, ...)
{
	va_list	 ap;
	char	*line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		line = NULL;
	va_end(ap);
	return line;
}

/*
 * The events of protocol section 11.8, which output.c does not know:
 * every string from the network is made safe with out_safe() first.
 *
 * Pipe mode:
 *   TIME away USER TEXT		USER is away (the answer to a private
 *					message, or to our own /away)
 *   TIME back USER			USER is back
 *   TIME away-names ROOM USER...	who of a room is away, after names
 *   TIME whois USER ROOMS IDLE [AWAYTEXT]
 *					ROOMS joined by commas ("-": none),
 *					IDLE in whole seconds
 *   TIME whois-key USER FINGERPRINT PIN
 *					one per key after whois; PIN is
 *					verified, seen, new or changed
 */
static void
show_away_event(struct client *c, const struct cs_event *ev)
{
	char	 ts[OUT_TIME_MAX], idle[64], fp[FINGERPRINT_LEN];
	char	*user, *text, *room, *names = NULL, *one, *line;
	size_t	 i, nlen = 0;
	FILE	*mf;

	if (c->interactive)
		out_time_hhmm(ev->time, ts);
	else
		out_time_iso(ev->time, ts);
	user = out_safe(ev->user != NULL ? ev->user : "");
	text = out_safe(ev->text != NULL ? ev->text : "");
	room = out_safe(ev->room != NULL ? ev->room : "");
	switch (ev->type) {
	case CS_EV_AWAYNOTE:
		if (strcmp(ev->user, c->user) == 0 && c->interactive)
			line = *text != '\0' ? xasprintf_line("%s you are "
			    "now away: %s", ts, text) : xasprintf_line("%s you "
			    "are back", ts);
		else if (c->interactive)
			line = *text != '\0' ? xasprintf_line("%s %s is "
			    "away: %s", ts, user, text) : xasprintf_line("%s "
			    "%s is back", ts, user);
		else
			line = *text != '\0' ? xasprintf_line("%s away %s %s",
			    ts, user, text) : xasprintf_line("%s back %s", ts,
			    user);
		put_line(c, line);
		break;
	case CS_EV_AWAYNAMES:
		if ((mf = open_memstream(&names, &nlen)) == NULL)
			break;
		for (i = 0; i < ev->nnames; i++) {
			one = out_safe(ev->names[i]);
			fprintf(mf, "%s%s", c->interactive && i > 0 ? ", " :
			    c->interactive ? "" : " ", one);
			free(one);
		}
		fclose(mf);
		if (c->interactive)
			line = ev->nnames == 0 ? NULL : xasprintf_line("%s "
			    "away in %s: %s", ts, room, names);
		else
			line = xasprintf_line("%s away-names %s%s", ts, room,
			    names != NULL ? names : "");
		free(names);
		put_line(c, line);
		break;
	case CS_EV_WHOISINFO:
		idle_words(ev->token, idle, sizeof(idle));
		if (c->interactive) {
			put_line(c, xasprintf_line("%s %s: in %s; idle %s%s%s",
			    ts, user, *room != '\0' ? room : "no room", idle,
			    *text != '\0' ? "; away: " : "", text));
			if (ev->nkeys == 0)
				put_line(c, xasprintf_line("%s %s: no key "
				    "online (end-to-end messages cannot reach "
				    "%s now)", ts, user, user));
		} else
			put_line(c, xasprintf_line("%s whois %s %s %llu%s%s",
			    ts, user, *room != '\0' ? room : "-",
			    (unsigned long long)(ev->token / 1000),
			    *text != '\0' ? " " : "", text));
		for (i = 0; i < ev->nkeys; i++) {
			keys_fingerprint(ev->keys[i].key, fp);
			if (c->interactive)
				line = xasprintf_line("%s %s: key %s (%s)", ts,
				    user, fp, pin_word(c, ev->user,
				    ev->keys[i].key));
			else
				line = xasprintf_line("%s whois-key %s %s %s",
				    ts, user, fp, pin_word(c, ev->user,
				    ev->keys[i].key));
			put_line(c, line);
		}
		break;
	default:
		break;
	}
	free(user);
	free(text);
	free(room);
}

void
events_show(struct client *c, const struct cs_event *ev)
{
	char	*line;

	if (!ignore_loaded())
		cmd_ignore_load(c);
	if (ignored(ev))
		return;
	note_private(ev);
	chatlog_event(c, ev);
	if (ev->type == CS_EV_AWAYNOTE || ev->type == CS_EV_WHOISINFO ||
	    ev->type == CS_EV_AWAYNAMES) {
		show_away_event(c, ev);
		return;
	}
	if (c->interactive) {
		if (window_active()) {
			window_event(c, ev);
			return;
		}
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
	client_server_bye(c, reason);
	c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	/* Taken care of when the connection closes: see closed(). */
	if (!c->ready && !c->quitting && strcmp(reason, "login timeout") == 0 &&
	    c->have_login) {
		c->login_timeout = 1;
		return;
	}
	/* After the last failed login the BYE only repeats the news. */
	if (!c->quitting && !(c->status_set && c->status == EXIT_AUTH)) {
		if (!client_will_reconnect(c))
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
	if (!client_will_reconnect(c))
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
	client_pong(c, ev->token);
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
		if (!client_will_reconnect(c))
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
		client_server_error(c, ev->code);
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
