/*
 * commands.c: what a typed line does.  A line without a slash is said in
 * the current room; "/name arguments" runs the command that cmd_table
 * names, and the same table gives /help its text, so that no command can
 * be run that /help does not list, nor listed that cannot be run.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"
#include "commands.h"
#include "e2e_client.h"
#include "events.h"
#include "ignore.h"
#include "options.h"
#include "output.h"
#include "query.h"
#include "rooms.h"
#include "session.h"
#include "tty.h"
#include "util.h"
#include "window.h"
#include "wire.h"

#define HELP_COLUMN	16	/* where the summaries start in /help */

static void	run_me(struct client *, const struct command *, char *);
static void	run_msg(struct client *, const struct command *, char *);
static void	run_plainmsg(struct client *, const struct command *, char *);
static void	run_verify(struct client *, const struct command *, char *);
static void	run_trust(struct client *, const struct command *, char *);
static void	run_accept(struct client *, const struct command *, char *);
static void	run_join(struct client *, const struct command *, char *);
static void	run_part(struct client *, const struct command *, char *);
static void	run_who(struct client *, const struct command *, char *);
static void	run_rooms(struct client *, const struct command *, char *);
static void	run_help(struct client *, const struct command *, char *);
static void	run_reply(struct client *, const struct command *, char *);
static void	run_query(struct client *, const struct command *, char *);
static void	run_away(struct client *, const struct command *, char *);
static void	run_back(struct client *, const struct command *, char *);
static void	run_ignore(struct client *, const struct command *, char *);
static void	run_unignore(struct client *, const struct command *, char *);
static void	run_whois(struct client *, const struct command *, char *);
static void	run_clear(struct client *, const struct command *, char *);

/* What we said to /away, to say again after a reconnection. */
static char	 away_text[AWAY_TEXT_MAX + 1];
static void	run_window(struct client *, const struct command *, char *);
static void	run_quit(struct client *, const struct command *, char *);

const struct command cmd_table[] = {
	{ "me", { NULL }, CMD_ARGS_TEXT, "ACTION",
	    "act in the current room",
	    "The others in the room see \"* USER ACTION\", USER being your "
	    "name.",
	    run_me },
	{ "msg", { "m", NULL }, CMD_ARGS_USER_TEXT, "USER TEXT",
	    "send a private message, end to end",
	    "TEXT is encrypted for each of USER's devices (and copied to your "
	    "own other ones): the server cannot read it.  Keys are pinned on "
	    "first use; a new key of a user you have verified is not used "
	    "until /accept.  Where the server or USER cannot take end-to-end "
	    "messages, nothing is sent and secchat says why: /plainmsg then "
	    "sends it the old way.",
	    run_msg },
	{ "reply", { "r", NULL }, CMD_ARGS_TEXT, "TEXT",
	    "answer the last private message, end to end",
	    "As /msg to whoever last wrote to you privately (end to end or "
	    "not): the answer always goes end to end.",
	    run_reply },
	{ "query", { "q", NULL }, CMD_ARGS_USER_OPT, "[USER]",
	    "talk privately with USER",
	    "Lines without a slash then go to USER end to end, as /msg.  "
	    "/query alone, or /join, goes back to the room.",
	    run_query },
	{ "plainmsg", { NULL }, CMD_ARGS_USER_TEXT, "USER TEXT",
	    "send a private message the server can read",
	    "The server passes TEXT to USER's sessions and can read it; the "
	    "lines show \"NOT end-to-end\".  The server says so if USER is "
	    "not online.",
	    run_plainmsg },
	{ "verify", { NULL }, CMD_ARGS_USER, "USER",
	    "show the safety numbers of USER's pinned keys",
	    "For each key of USER pinned here: its fingerprint, whether it is "
	    "verified, and the 60-digit safety number of your key and it.  "
	    "Compare the number with USER's own /verify of you, in person or "
	    "on a call; if it matches, /trust USER.",
	    run_verify },
	{ "trust", { NULL }, CMD_ARGS_USER, "USER",
	    "mark USER's pinned keys verified",
	    "Only after comparing safety numbers (/verify).  A key that USER "
	    "shows later is then not used until /accept, and is warned about.",
	    run_trust },
	{ "accept", { NULL }, CMD_ARGS_USER, "USER",
	    "use the new keys of USER a warning named",
	    "Pins them as seen (not verified): /verify USER to compare them.",
	    run_accept },
	{ "join", { "j", NULL }, CMD_ARGS_ROOM, "ROOM",
	    "join a room and make it current",
	    "The server creates ROOM if it is empty; your next line goes "
	    "there.  Room names are 1 to 32 of A-Z, a-z, 0-9, _, . and -.",
	    run_join },
	{ "part", { "p", NULL }, CMD_ARGS_ROOM_OPT, "[ROOM]",
	    "leave a room (the current one)",
	    "ROOM is the current one by default.  Leaving the current room "
	    "makes the room joined last before it current.",
	    run_part },
	{ "who", { "w", NULL }, CMD_ARGS_ROOM_OPT, "[ROOM]",
	    "list the members of a room",
	    "ROOM is the current one by default.  A server that knows away "
	    "says who of them is away.",
	    run_who },
	{ "whois", { NULL }, CMD_ARGS_USER, "USER",
	    "tell about USER: rooms, idle time, away, keys",
	    "The rooms USER is in, how long since USER last wrote, the away "
	    "text if any, and the fingerprint of each key USER is online "
	    "with, with what your pins say of it (verified, seen, new or "
	    "changed).",
	    run_whois },
	{ "away", { NULL }, CMD_ARGS_TEXT_OPT, "[TEXT]",
	    "mark yourself away",
	    "Others see TEXT (\"away\" if none) when they /whois you or write "
	    "to you privately, and /who marks you.  At most 160 bytes.  For "
	    "all your sessions, until /back or your last session leaves.",
	    run_away },
	{ "back", { NULL }, CMD_ARGS_NONE, "",
	    "no longer away",
	    NULL,
	    run_back },
	{ "ignore", { NULL }, CMD_ARGS_USER_OPT, "[USER]",
	    "hide USER's lines (alone: list)",
	    "Messages, actions, private messages, arrivals and departures of "
	    "USER are not shown.  The list is kept in ~/.config/secchat/ignore "
	    "and only here: the server and USER are not told.",
	    run_ignore },
	{ "unignore", { NULL }, CMD_ARGS_USER, "USER",
	    "show USER's lines again",
	    NULL,
	    run_unignore },
	{ "clear", { NULL }, CMD_ARGS_NONE, "",
	    "clear the screen",
	    NULL,
	    run_clear },
	{ "rooms", { NULL }, CMD_ARGS_NONE, "",
	    "list the rooms",
	    "Every room, and how many members it has.",
	    run_rooms },
	{ "window", { "win", NULL }, CMD_ARGS_TEXT_OPT, "[N]",
	    "switch to window N, or list the windows",
	    "Window 1 is the status window; each room joined and each "
	    "/query has its own.  Alt-1 to Alt-9 (Alt-0: 10) switch too; "
	    "PageUp and PageDown scroll the window's lines.",
	    run_window },
	{ "help", { NULL }, CMD_ARGS_COMMAND_OPT, "[COMMAND]",
	    "list the commands",
	    "With a COMMAND, tell about that one.  Command names may be "
	    "written in any case.",
	    run_help },
	{ "quit", { "exit", NULL }, CMD_ARGS_TEXT_OPT, "[REASON]",
	    "leave (also: exit)",
	    "The others in your rooms see \"quit\", or \"quit: REASON\".  A "
	    "line holding only \"exit\" leaves too.  The server answers "
	    "everything sent before, then closes.",
	    run_quit },
	{ NULL, { NULL }, CMD_ARGS_NONE, NULL, NULL, NULL, NULL }
};

/* ---------------------------------------------------------------- table */

const struct command *
cmd_find(const char *name)
{
	const struct command	*cmd;
	size_t			 i;

	for (cmd = cmd_table; cmd->name != NULL; cmd++) {
		if (strcasecmp(name, cmd->name) == 0)
			return cmd;
		for (i = 0; cmd->aliases[i] != NULL; i++)
			if (strcasecmp(name, cmd->aliases[i]) == 0)
				return cmd;
	}
	return NULL;
}

int
cmd_args_required(enum cmd_args args)
{
	return args == CMD_ARGS_TEXT || args == CMD_ARGS_USER_TEXT ||
	    args == CMD_ARGS_ROOM || args == CMD_ARGS_USER;
	/* CMD_ARGS_USER_OPT: /query and /ignore do something alone. */
}

/* "/join ROOM      join a room and make it current" */
static void
help_entry(const char *usage, const char *summary, cmd_emit_fn emit,
    void *arg)
{
	char	 line[256];

	snprintf(line, sizeof(line), "%-*s %s", HELP_COLUMN - 1, usage,
	    summary);
	emit(arg, line);
}

static void
command_usage(const struct command *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "/%s%s%s", cmd->name, *cmd->synopsis ? " " : "",
	    cmd->synopsis);
}

int
cmd_help(const char *topic, cmd_emit_fn emit, void *arg)
{
	const struct command	*cmd;
	char			 usage[64], line[256];
	size_t			 i;

	if (topic != NULL && *topic != '\0') {
		if (*topic == '/')
			topic++;
		if ((cmd = cmd_find(topic)) == NULL)
			return -1;
		command_usage(cmd, usage, sizeof(usage));
		help_entry(usage, cmd->summary, emit, arg);
		if (cmd->detail != NULL)
			emit(arg, cmd->detail);
		if (cmd->aliases[0] != NULL) {
			strlcpy(line, "Also:", sizeof(line));
			for (i = 0; cmd->aliases[i] != NULL; i++) {
				strlcat(line, " /", sizeof(line));
				strlcat(line, cmd->aliases[i], sizeof(line));
			}
			emit(arg, line);
		}
		return 0;
	}
	help_entry("text", "say text in the current room", emit, arg);
	for (cmd = cmd_table; cmd->name != NULL; cmd++) {
		command_usage(cmd, usage, sizeof(usage));
		help_entry(usage, cmd->summary, emit, arg);
	}
	help_entry("//text", "say text that starts with a slash", emit, arg);
	return 0;
}

/* ---------------------------------------------------------------- requests */

/*
 * A request has been queued.  Every PING_EVERY of them a PING follows,
 * whose PONG shows that the server has read that far.
 */
void
cmd_request_sent(struct client *c)
{
	if (++c->since_ping < PING_EVERY)
		return;
	c->since_ping = 0;
	if (cs_ping(c->cs, ++c->ping_token) == 0)
		c->pings_out++;
}

/* The result of a cs_*() request: counted if sent, told if not. */
static void
report_send(struct client *c, int rc, const char *what, const char *text)
{
	char		 why[128];
	const char	*problem;

	if (rc == 0) {
		cmd_request_sent(c);
		return;
	}
	if (rc == CS_E_TEXT && text != NULL && (problem =
	    cs_text_problem(text, strlen(text), why, sizeof(why))) != NULL)
		client_refuse(c, "%s: the text %s; not sent", what, problem);
	else
		client_refuse(c, "%s: %s; not sent", what, cs_strerror(rc));
}

static void
refuse_usage(struct client *c, const struct command *cmd)
{
	char	 usage[64];

	command_usage(cmd, usage, sizeof(usage));
	client_refuse(c, "usage: %s", usage);
}

/* The room a command names, or the current one. */
static const char *
room_arg(struct client *c, const char *arg, const struct command *cmd)
{
	if (*arg != '\0') {
		if (!valid_roomname(arg, strlen(arg))) {
			client_refuse(c, "/%s: invalid room name \"%s\"",
			    cmd->name, arg);
			return NULL;
		}
		return arg;
	}
	if (c->current[0] == '\0') {
		client_refuse(c, "/%s: you are in no room; name one",
		    cmd->name);
		return NULL;
	}
	return c->current;
}

/* Show our own line: the server does not echo it. */
static void
echo(char *line)
{
	if (line != NULL && tty_active())
		tty_print(line);
	free(line);
}

static void
say(struct client *c, const char *text)
{
	int			 rc;

	if (c->current[0] == '\0') {
		client_refuse(c, "you are in no room: /join ROOM first");
		return;
	}
	rc = cs_say(c->cs, c->current, text);
	report_send(c, rc, "message", text);
	if (rc == 0 && c->interactive)
		echo(out_tty_own(CS_EV_MESSAGE, c->current, c->user, text,
		    c->current));
}

/* ---------------------------------------------------------------- commands */

static void
run_me(struct client *c, const struct command *cmd, char *arg)
{
	int	 rc;

	(void)cmd;
	if (c->current[0] == '\0') {
		client_refuse(c, "you are in no room: /join ROOM first");
		return;
	}
	rc = cs_act(c->cs, c->current, arg);
	report_send(c, rc, "/me", arg);
	if (rc == 0 && c->interactive)
		echo(out_tty_own(CS_EV_ACTION, c->current, c->user, arg,
		    c->current));
}

/* Split "USER TEXT"; NULL (refused) unless both are there and USER valid. */
static char *
user_and_text(struct client *c, const struct command *cmd, char *arg)
{
	char	*text = arg + strcspn(arg, " ");

	if (*text != '\0')
		*text++ = '\0';
	if (*text == '\0') {
		refuse_usage(c, cmd);
		return NULL;
	}
	if (!valid_username(arg, strlen(arg))) {
		client_refuse(c, "/%s: invalid user name \"%s\"", cmd->name,
		    arg);
		return NULL;
	}
	return text;
}

static void	send_e2e(struct client *, const char *user, const char *text);

static void
run_msg(struct client *c, const struct command *cmd, char *arg)
{
	char		*text;

	if ((text = user_and_text(c, cmd, arg)) != NULL)
		send_e2e(c, arg, text);
}

/* /msg's work: TEXT to USER end to end, or why not. */
static void
send_e2e(struct client *c, const char *arg, const char *text)
{
	char		 why[128];
	const char	*problem;

	if (c->cs == NULL || !cs_extended(c->cs) || !c->e2e_ready) {
		client_refuse(c, "/msg: end-to-end messages are unavailable on "
		    "this server; not sent (/plainmsg %s TEXT sends it through "
		    "the server, which can read it)", arg);
		return;
	}
	if ((problem = cs_text_problem(text, strlen(text), why,
	    sizeof(why))) != NULL) {
		client_refuse(c, "/msg: the text %s; not sent", problem);
		return;
	}
	if (strlen(text) > E2EC_TEXT_MAX) {
		client_refuse(c, "/msg: the text is longer than %d bytes; not "
		    "sent", E2EC_TEXT_MAX);
		return;
	}
	if (e2ec_send(&c->e2e, arg, E2E_TEXT, text) == -1) {
		client_refuse(c, "/msg: too many messages waiting; not sent");
		return;
	}
	/* The outcome (sent, or why not) comes with the key directory. */
	client_e2e_pump(c);
}

static void
run_plainmsg(struct client *c, const struct command *cmd, char *arg)
{
	char	*text;
	int	 rc;

	if ((text = user_and_text(c, cmd, arg)) == NULL)
		return;
	rc = cs_privmsg(c->cs, arg, text);
	report_send(c, rc, "/plainmsg", text);
	if (rc == 0 && c->interactive)
		echo(out_tty_own_plain(arg, text));
}

/* A user name argument for commands that need no end-to-end state. */
static int
plain_user_arg(struct client *c, const struct command *cmd, const char *arg)
{
	if (strchr(arg, ' ') != NULL) {
		refuse_usage(c, cmd);
		return 0;
	}
	if (!valid_username(arg, strlen(arg))) {
		client_refuse(c, "/%s: invalid user name \"%s\"", cmd->name,
		    arg);
		return 0;
	}
	return 1;
}

/* The same, for the commands on end-to-end state (after login). */
static int
user_arg(struct client *c, const struct command *cmd, const char *arg)
{
	if (!plain_user_arg(c, cmd, arg))
		return 0;
	if (!c->e2e_ready) {
		client_refuse(c, "/%s: not logged in", cmd->name);
		return 0;
	}
	return 1;
}

static void
run_verify(struct client *c, const struct command *cmd, char *arg)
{
	if (!user_arg(c, cmd, arg))
		return;
	if (e2ec_verify(&c->e2e, arg) == 0) {
		client_refuse(c, "/verify: no key of %s is pinned for this "
		    "server (keys are pinned when you /msg %s or %s writes to "
		    "you end to end)", arg, arg, arg);
		return;
	}
	if (e2ec_held_count(&c->e2e, arg) > 0)
		client_note(c, "%s also has %zu new key(s) not in use until "
		    "/accept %s", arg, e2ec_held_count(&c->e2e, arg), arg);
	client_e2e_pump(c);
}

static void
run_trust(struct client *c, const struct command *cmd, char *arg)
{
	size_t	 n, pinned;

	if (!user_arg(c, cmd, arg))
		return;
	n = e2ec_trust(&c->e2e, arg, &pinned);
	if (pinned == 0) {
		client_refuse(c, "/trust: no key of %s is pinned for this "
		    "server", arg);
		return;
	}
	client_note(c, "%zu key(s) of %s now verified (%zu pinned)", n, arg,
	    pinned);
	client_e2e_pump(c);
}

static void
run_accept(struct client *c, const struct command *cmd, char *arg)
{
	size_t	 n;

	if (!user_arg(c, cmd, arg))
		return;
	if ((n = e2ec_accept(&c->e2e, arg)) == 0) {
		client_refuse(c, "/accept: no new key of %s waits for /accept",
		    arg);
		return;
	}
	client_note(c, "pinned %zu new key(s) of %s as seen; /verify %s to "
	    "compare safety numbers", n, arg, arg);
	client_e2e_pump(c);
}

static void
run_join(struct client *c, const struct command *cmd, char *arg)
{
	int	 rc;

	if (strchr(arg, ' ') != NULL) {
		refuse_usage(c, cmd);
		return;
	}
	if (!valid_roomname(arg, strlen(arg))) {
		client_refuse(c, "/join: invalid room name \"%s\" (1 to %d of "
		    "A-Z, a-z, 0-9, _, . and -)", arg, SECCHAT_NAME_MAX);
		return;
	}
	rc = cs_join(c->cs, arg);
	report_send(c, rc, "/join", NULL);
	if (rc == 0) {
		rooms_set_current(c, arg);
		query_set(c, NULL);
	}
}

static void
run_part(struct client *c, const struct command *cmd, char *arg)
{
	const char	*room;
	int		 rc;

	if ((room = room_arg(c, arg, cmd)) == NULL)
		return;
	rc = cs_part(c->cs, room);
	report_send(c, rc, "/part", NULL);
	if (rc == 0)
		rooms_leaving(c, room);
}

static void
run_who(struct client *c, const struct command *cmd, char *arg)
{
	const char	*room;

	if ((room = room_arg(c, arg, cmd)) != NULL)
		report_send(c, cs_who(c->cs, room), "/who", NULL);
}

static void
run_rooms(struct client *c, const struct command *cmd, char *arg)
{
	(void)cmd;
	(void)arg;
	report_send(c, cs_rooms(c->cs), "/rooms", NULL);
}

/* Help goes where secchat's own messages go: it is not chat. */
static void
help_line(void *arg, const char *line)
{
	(void)arg;
	if (tty_active())
		tty_print(line);
	else
		fprintf(stderr, "%s\n", line);
}

static void
run_help(struct client *c, const struct command *cmd, char *arg)
{
	(void)cmd;
	if (cmd_help(arg, help_line, NULL) == -1)
		client_refuse(c, "/help: unknown command /%s; /help lists "
		    "commands", *arg == '/' ? arg + 1 : arg);
}

static void
run_window(struct client *c, const struct command *cmd, char *arg)
{
	const char	*errstr;
	long long	 n;

	(void)cmd;
	if (!window_active()) {
		client_refuse(c, "/window: there are windows only on a "
		    "terminal");
		return;
	}
	if (*arg == '\0') {
		window_list();
		return;
	}
	n = strtonum(arg, 1, WINDOW_MAX, &errstr);
	if (errstr != NULL || n > window_count()) {
		client_refuse(c, "/window: no window %s (/window lists them)",
		    arg);
		return;
	}
	(void)window_show((int)n);
}

static void
run_quit(struct client *c, const struct command *cmd, char *arg)
{
	(void)cmd;
	client_leave(c, arg);
}

static void
run_reply(struct client *c, const struct command *cmd, char *arg)
{
	const char	*to = events_last_private();

	(void)cmd;
	if (to == NULL) {
		client_refuse(c, "/reply: nobody has written to you privately "
		    "yet");
		return;
	}
	send_e2e(c, to, arg);
}

static void
run_query(struct client *c, const struct command *cmd, char *arg)
{
	if (*arg == '\0') {
		if (query_target() != NULL)
			client_note(c, "private talk with %s ended; lines go "
			    "to %s", query_target(), c->current[0] != '\0' ?
			    c->current : "no room");
		query_set(c, NULL);
		return;
	}
	if (!plain_user_arg(c, cmd, arg))
		return;
	query_set(c, arg);
	client_note(c, "talking privately with %s, end to end: lines without "
	    "a slash go to %s (/query alone to stop)", arg, arg);
}

static void
run_away(struct client *c, const struct command *cmd, char *arg)
{
	const char	*text = *arg != '\0' ? arg : "away";
	int		 rc;

	(void)cmd;
	if (strlen(text) > AWAY_TEXT_MAX) {
		client_refuse(c, "/away: the text is longer than %d bytes; not "
		    "sent", AWAY_TEXT_MAX);
		return;
	}
	if (c->cs != NULL && !cs_extended(c->cs)) {
		client_refuse(c, "/away: this server does not know away; not "
		    "sent");
		return;
	}
	rc = cs_away(c->cs, text);
	report_send(c, rc, "/away", text);
	/* The server's AWAYNOTE confirms it. */
	if (rc == 0)
		strlcpy(away_text, text, sizeof(away_text));
}

static void
run_back(struct client *c, const struct command *cmd, char *arg)
{
	int	 rc;

	(void)cmd;
	(void)arg;
	if (c->cs != NULL && !cs_extended(c->cs)) {
		client_refuse(c, "/back: this server does not know away; not "
		    "sent");
		return;
	}
	rc = cs_away(c->cs, "");
	report_send(c, rc, "/back", NULL);
	if (rc == 0)
		away_text[0] = '\0';
}

const char *
cmd_away_text(void)
{
	return away_text;
}

void
cmd_ignore_load(struct client *c)
{
	char	*dir, *path, why[256];

	if (ignore_loaded())
		return;
	dir = opt_config_dir();
	if (asprintf(&path, "%s/ignore", dir) == -1)
		err(EXIT_ERROR, "asprintf");
	free(dir);
	if (ignore_load(path, why, sizeof(why)) == -1)
		client_note(c, "ignore list not read: %s", why);
	free(path);
}

static void
run_ignore(struct client *c, const struct command *cmd, char *arg)
{
	char	 err[256], line[1024];
	size_t	 i;
	int	 rv;

	cmd_ignore_load(c);
	if (*arg == '\0') {
		if (ignore_count() == 0) {
			client_note(c, "you ignore nobody");
			return;
		}
		strlcpy(line, "ignored:", sizeof(line));
		for (i = 0; i < ignore_count(); i++) {
			strlcat(line, " ", sizeof(line));
			strlcat(line, ignore_name(i), sizeof(line));
		}
		client_note(c, "%s", line);
		return;
	}
	if (!plain_user_arg(c, cmd, arg))
		return;
	if ((rv = ignore_add(arg, err, sizeof(err))) == -1)
		client_refuse(c, "/ignore: %s", err);
	else
		client_note(c, rv == 1 ? "ignoring %s" : "already ignoring %s",
		    arg);
}

static void
run_unignore(struct client *c, const struct command *cmd, char *arg)
{
	char	 err[256];
	int	 rv;

	cmd_ignore_load(c);
	if (!plain_user_arg(c, cmd, arg))
		return;
	if ((rv = ignore_remove(arg, err, sizeof(err))) == -1)
		client_refuse(c, "/unignore: %s", err);
	else
		client_note(c, rv == 1 ? "no longer ignoring %s" :
		    "%s was not ignored", arg);
}

static void
run_whois(struct client *c, const struct command *cmd, char *arg)
{
	if (!plain_user_arg(c, cmd, arg))
		return;
	if (c->cs != NULL && !cs_extended(c->cs)) {
		client_refuse(c, "/whois: this server does not know whois; not "
		    "sent");
		return;
	}
	report_send(c, cs_whois(c->cs, arg), "/whois", NULL);
}

/*
 * Clear the terminal and draw the prompt again.  Our own escape
 * sequence, never a peer's; in pipe mode there is nothing to clear.
 */
static void
run_clear(struct client *c, const struct command *cmd, char *arg)
{
	(void)cmd;
	(void)arg;
	if (!c->interactive || !tty_active())
		return;
	fputs("\033[H\033[2J", stdout);
	fflush(stdout);
	tty_winch();
}

/* ---------------------------------------------------------------- lines */

static int
is_blank(int ch)
{
	return ch == ' ' || ch == '\t';
}

/* Run a /command; line points after the slash. */
static void
dispatch(struct client *c, char *line)
{
	const struct command	*cmd;
	char			*arg = line + strcspn(line, " \t"), *end;

	if (*arg != '\0')
		*arg++ = '\0';
	arg += strspn(arg, " \t");
	/* Blanks after the arguments are no part of them. */
	for (end = arg + strlen(arg); end > arg && is_blank(end[-1]); end--)
		end[-1] = '\0';

	if ((cmd = cmd_find(line)) == NULL) {
		client_refuse(c, "unknown command /%s; /help lists commands",
		    line);
		return;
	}
	if (cmd_args_required(cmd->args) && *arg == '\0') {
		refuse_usage(c, cmd);
		return;
	}
	cmd->run(c, cmd, arg);
}

void
cmd_line(struct client *c, char *line)
{
	if (c->quitting || !c->ready)
		return;
	/* Nothing to say: an empty or blank line is not sent. */
	if (line[strspn(line, " \t")] == '\0')
		return;
	if (strcmp(line, "exit") == 0)
		client_leave(c, "exit");
	else if (line[0] == '/' && line[1] == '/' && query_target() != NULL)
		send_e2e(c, query_target(), line + 1);
	else if (line[0] == '/' && line[1] == '/')
		say(c, line + 1);
	else if (line[0] == '/')
		dispatch(c, line + 1);
	else if (query_target() != NULL)
		send_e2e(c, query_target(), line);
	else
		say(c, line);
}
