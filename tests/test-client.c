/*
 * test-client.c: what the terminal client shows and takes, without a
 * terminal: the line editor fed bytes (tty.c), the lines made of events
 * (output.c), the rows a long line is cut into, the reasons text cannot be
 * sent (session.c), the first-contact question (knownhosts.c), and the
 * command table with /help (commands.c).
 */
#include "config.h"

#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "commands.h"
#include "e2e.h"
#include "keys.h"
#include "knownhosts.h"
#include "output.h"
#include "session.h"
#include "tap.h"
#include "tty.h"
#include "wire.h"

static char	 got[TTY_LINE_MAX + 1];
static int	 ngot;

static void
take_line(void *arg, const char *line)
{
	(void)arg;
	ngot++;
	if (line == NULL)
		strlcpy(got, "(eof)", sizeof(got));
	else
		strlcpy(got, line, sizeof(got));
}

/* Feed s to the editor; the line it submits, or NULL. */
static const char *
typed(const char *s)
{
	ngot = 0;
	got[0] = '\0';
	tty_feed((const unsigned char *)s, strlen(s), take_line, NULL);
	return ngot == 1 ? got : NULL;
}

static void
test_editor(void)
{
	const char	*line;

	/* A fresh system has no LANG: the C locale. */
	setlocale(LC_CTYPE, "C");
	line = typed("h\xc3\xa9llo w\xc3\xb6rld \xe2\x82\xac\r");
	tap_ok(line != NULL && strcmp(line, "h\xc3\xa9llo w\xc3\xb6rld "
	    "\xe2\x82\xac") == 0, "C locale: typed UTF-8 is kept (got \"%s\")",
	    line ? line : "(none)");
	line = typed("a\tb\r");
	tap_ok(line != NULL && strcmp(line, "a       b") == 0,
	    "a Tab is kept as spaces to the next tab stop (got \"%s\")",
	    line ? line : "(none)");
	line = typed("12345678\tx\r");
	tap_ok(line != NULL && strcmp(line, "12345678        x") == 0,
	    "a Tab at a tab stop is eight spaces");
	line = typed("\xc3\xa9\t|\r");
	tap_ok(line != NULL && strcmp(line, "\xc3\xa9       |") == 0,
	    "tab stops count columns, not bytes");
	line = typed("a\xff" "b\xc3(\r");
	tap_ok(line != NULL && strcmp(line, "ab(") == 0,
	    "bytes that are not UTF-8 are left out (got \"%s\")",
	    line ? line : "(none)");
	line = typed("x\xc2\x85y\r");
	tap_ok(line != NULL && strcmp(line, "xy") == 0,
	    "a C1 control (U+0085) is not taken");
	if (setlocale(LC_CTYPE, "C.UTF-8") != NULL) {
		line = typed("h\xc3\xa9llo\tx\r");
		tap_ok(line != NULL && strcmp(line, "h\xc3\xa9llo   x") == 0,
		    "UTF-8 locale: the same");
	} else
		tap_skip("no C.UTF-8 locale", "UTF-8 locale: the same");
	setlocale(LC_CTYPE, "C");
}

static struct cs_event
event(enum cs_event_type type, const char *room, const char *user,
    const char *text)
{
	struct cs_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.time = 1700000000123ULL;
	/* Only read. */
	ev.room = (char *)room;
	ev.user = (char *)user;
	ev.text = (char *)text;
	return ev;
}

static void
test_output(void)
{
	struct cs_event	 ev;
	char		*line, pad[128];

	out_init();
	ev = event(CS_EV_PRIVATE, NULL, "alice", "hi");
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "[private from alice, NOT end-to-end] hi") &&
	    strstr(line, "->") == NULL,
	    "a private message reads as from its sender (\"%s\")", line);
	free(line);
	line = out_tty_own_private("bob", "psst");
	tap_ok(line != NULL && strstr(line, "[private to bob, NOT end-to-end] psst") != NULL,
	    "our own reads as to its recipient (\"%s\")", line);
	free(line);

	ev = event(CS_EV_SERVER_ERROR, NULL, NULL, "no such user online: x");
	ev.code = ERR_NO_USER;
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "error: no such user online: x") &&
	    strstr(line, "no such user:") == NULL,
	    "an error says its text once (\"%s\")", line);
	free(line);
	ev.text = (char *)"";
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "error: no such user") != NULL,
	    "an error without text is named by its code (\"%s\")", line);
	free(line);

	snprintf(pad, sizeof(pad), "hi%*s20:01 <bob> fake", 60, "");
	ev = event(CS_EV_MESSAGE, "lobby", "mallory", pad);
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "<mallory> hi[60 spaces]20:01 "
	    "<bob> fake") != NULL, "a long run of spaces is shown by its "
	    "length (\"%s\")", line);
	free(line);
	ev.text = (char *)"a                b";	/* 16 */
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "a                b") != NULL,
	    "sixteen spaces stay spaces");
	free(line);
	ev = event(CS_EV_MESSAGE, "lobby", "mallory", pad);
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, pad) != NULL,
	    "pipe mode keeps the text as it is");
	free(line);
}

/* Every row of w: at most cols - 1 columns; rows after the first indented. */
static int
rows_ok(const char *w, size_t cols, size_t *nrows)
{
	const char	*p = w, *nl;
	size_t		 n;

	*nrows = 0;
	for (;;) {
		nl = strchr(p, '\n');
		n = nl ? (size_t)(nl - p) : strlen(p);
		if (n > cols - 1)
			return 0;
		if (*nrows > 0 && (n < 7 || strncmp(p, "      ", 6) != 0 ||
		    p[6] == ' '))
			return 0;
		(*nrows)++;
		if (nl == NULL)
			return 1;
		p = nl + 1;
	}
}

static void
test_wrap(void)
{
	char	 line[512], *w;
	size_t	 nrows;

	w = tty_wrap("20:01 <alice> short", 80);
	tap_ok(w != NULL && strcmp(w, "20:01 <alice> short") == 0,
	    "a short line is one row");
	free(w);
	/* Padding that would put a fake line at the start of a row. */
	/* 19 + 60 columns: the fake would start the terminal's next row. */
	snprintf(line, sizeof(line), "20:01 <mallory> hi %.60s20:01 <bob> "
	    "fake", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxx");
	w = tty_wrap(line, 80);
	tap_ok(w != NULL && rows_ok(w, 80, &nrows) && nrows == 2,
	    "a long line: rows of at most 79 columns, all but the first "
	    "indented");
	tap_ok(w != NULL && strstr(w, "\n20:01") == NULL,
	    "no row but the first starts at the left edge");
	tap_diag("%s", w ? w : "");
	free(w);
	memset(line, 'x', 300);
	line[300] = '\0';
	w = tty_wrap(line, 40);
	tap_ok(w != NULL && rows_ok(w, 40, &nrows) && nrows == 9,
	    "a long word is cut at the width: 39 + 8 x 33 columns");
	free(w);
	w = tty_wrap("aaaa bbbb cccc", 10);
	tap_ok(w != NULL && strcmp(w, "aaaa bbbb\n    cccc") == 0,
	    "rows break at a space (\"%s\")", w);
	free(w);
	w = tty_wrap("aaa bbbbbbb", 10);
	tap_ok(w != NULL && strcmp(w, "aaa bbbbb\n    bb") == 0,
	    "but not at one early in the row (\"%s\")", w);
	free(w);
	w = tty_wrap("aaaaa bbbbbbb", 10);
	tap_ok(w != NULL && strcmp(w, "aaaaa \n    bbbbb\n    bb") == 0,
	    "at one in its second half (\"%s\")", w);
	free(w);
	w = tty_wrap("", 80);
	tap_ok(w != NULL && *w == '\0', "an empty line is one empty row");
	free(w);
}

static void
test_text_problem(void)
{
	char		 buf[128];
	const char	*p;

	p = cs_text_problem("hello", 5, buf, sizeof(buf));
	tap_ok(p == NULL, "plain text can be sent");
	p = cs_text_problem("", 0, buf, sizeof(buf));
	tap_ok(p != NULL && strcmp(p, "is empty") == 0, "empty: \"%s\"", p);
	p = cs_text_problem("ab\rc", 4, buf, sizeof(buf));
	tap_ok(p != NULL && strcmp(p, "holds a carriage return (CR) at byte 3")
	    == 0, "CR named: \"%s\"", p);
	p = cs_text_problem("a\0b", 3, buf, sizeof(buf));
	tap_ok(p != NULL && strstr(p, "NUL byte at byte 2") != NULL,
	    "NUL named: \"%s\"", p);
	p = cs_text_problem("h\xc3\xa9\xff", 4, buf, sizeof(buf));
	tap_ok(p != NULL && strcmp(p, "is not valid UTF-8 at byte 4") == 0,
	    "bad UTF-8 located: \"%s\"", p);
	p = cs_text_problem("\xed\xa0\x80", 3, buf, sizeof(buf));
	tap_ok(p != NULL && strstr(p, "UTF-8 at byte 1") != NULL,
	    "a surrogate is not UTF-8");
	p = cs_text_problem("tab\tand \x1b", 9, buf, sizeof(buf));
	tap_ok(p == NULL, "tab and ESC may be sent (receivers escape them)");
}

static void
test_first_contact(void)
{
	struct knownhosts	 kh;
	uint8_t			 k1[KEY_LEN], k2[KEY_LEN];
	char			 err[256], out[2048], line[256];
	char			 fp[FINGERPRINT_LEN];
	char			 text[4096] = "";
	int			 i, n;

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	kh_init(&kh);
	n = kh_format_line("localhost:7777", k1, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	n = kh_format_line("other:7777", k2, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	n = kh_format_line("[::1]:7777", k1, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	(void)n;
	tap_ok(kh_parse(&kh, text, strlen(text), err, sizeof(err), NULL) == 0,
	    "known hosts parse");
	tap_ok(kh_other_names(&kh, "127.0.0.1:7777", k2, "kh", out,
	    sizeof(out)) == 0 && strcmp(out, "This key is known by the "
	    "following other names:\n    kh:2: other:7777") == 0,
	    "a key known under another name is listed (\"%s\")", out);
	tap_ok(kh_other_names(&kh, "127.0.0.1:7777", k1, "kh", out,
	    sizeof(out)) == 0 && strstr(out, "kh:1: localhost:7777\n    "
	    "kh:3: [::1]:7777") != NULL, "two other names (\"%s\")", out);
	memset(k2, 3, sizeof(k2));
	tap_ok(kh_other_names(&kh, "127.0.0.1:7777", k2, "kh", out,
	    sizeof(out)) == 0 && strcmp(out, "This key is not known by any "
	    "other names.") == 0, "an unknown key: said so only then");
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "h%d:1", i);
		(void)kh_remember(&kh, line, k1, (size_t)i + 10);
	}
	tap_ok(kh_other_names(&kh, "127.0.0.1:7777", k1, "kh", out,
	    sizeof(out)) == 0 && strstr(out, "and 6 more") != NULL,
	    "a long list is cut short");
	tap_ok(kh_lookup(&kh, "h3:1", k1, NULL) == KH_MATCH,
	    "a remembered key is known");
	kh_free(&kh);

	keys_fingerprint(k1, fp);
	tap_ok(kh_answer("yes", fp) == KH_ANSWER_YES &&
	    kh_answer(" YES ", fp) == KH_ANSWER_YES &&
	    kh_answer("no", fp) == KH_ANSWER_NO &&
	    kh_answer("y", fp) == KH_ANSWER_OTHER, "yes and no");
	tap_ok(kh_answer(fp, fp) == KH_ANSWER_YES, "the fingerprint is a yes");
	snprintf(line, sizeof(line), "  %s.", fp);
	tap_ok(kh_answer(line, fp) == KH_ANSWER_YES,
	    "pasted with blanks and the sentence's full stop too");
	snprintf(line, sizeof(line), "%s", fp);
	line[10] = line[10] == 'A' ? 'B' : 'A';
	tap_ok(kh_answer(line, fp) == KH_ANSWER_WRONG_FP,
	    "another fingerprint is not");
	tap_ok(kh_answer("SHA256:", fp) == KH_ANSWER_WRONG_FP,
	    "nor a bare prefix");
}

/* The lines /help emits, one after another with a newline each. */
static void
collect(void *arg, const char *line)
{
	char	*text = arg;

	strlcat(text, line, 4096);
	strlcat(text, "\n", 4096);
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)toupper((unsigned char)*s);
}

/* Whether text has a line that starts with start and holds inside. */
static int
has_line(const char *text, const char *start, const char *inside)
{
	const char	*p = text, *nl;
	size_t		 n = strlen(start);

	for (; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		if (strncmp(p, start, n) == 0 && (p[n] == ' ' || p + n == nl) &&
		    memmem(p, (size_t)(nl - p), inside, strlen(inside)) != NULL)
			return 1;
		if (*nl == '\0')
			break;
	}
	return 0;
}

/* Each line of text as a diagnostic, so that TAP reads no line of it. */
static void
diag_lines(const char *text)
{
	const char	*p, *nl;

	for (p = text; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		tap_diag("%.*s", (int)(nl - p), p);
		if (*nl == '\0')
			break;
	}
}

/* What cmd_line(c, line) writes to stderr, where pipe mode's notes go. */
static void
run_line(struct client *c, const char *line, char *out, size_t size)
{
	char	 copy[256];
	FILE	*tmp;
	size_t	 n;
	int	 saved;

	strlcpy(copy, line, sizeof(copy));
	out[0] = '\0';
	if ((tmp = tmpfile()) == NULL || (saved = dup(STDERR_FILENO)) == -1)
		return;
	fflush(stderr);
	(void)dup2(fileno(tmp), STDERR_FILENO);
	cmd_line(c, copy);
	fflush(stderr);
	(void)dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void
test_commands(void)
{
	const struct command	*cmd;
	struct client		 c;
	char			 name[64], usage[80], text[4096];
	size_t			 i, ncmds = 0, naliases = 0;
	int			 by_name = 1, by_alias = 1;
	int			 listed = 1, each = 1;

	for (cmd = cmd_table; cmd->name != NULL; cmd++) {
		ncmds++;
		strlcpy(name, cmd->name, sizeof(name));
		if (cmd_find(name) != cmd)
			by_name = 0;
		upper(name);
		if (cmd_find(name) != cmd)
			by_name = 0;
		name[0] = (char)tolower((unsigned char)name[0]);
		if (cmd_find(name) != cmd)
			by_name = 0;
		for (i = 0; cmd->aliases[i] != NULL; i++) {
			naliases++;
			strlcpy(name, cmd->aliases[i], sizeof(name));
			if (cmd_find(name) != cmd)
				by_alias = 0;
			upper(name);
			if (cmd_find(name) != cmd)
				by_alias = 0;
		}
	}
	tap_ok(ncmds >= 8 && by_name, "each of the %zu commands is found by its "
	    "name in lower, upper and mixed case", ncmds);
	tap_ok(naliases > 0 && by_alias, "and by each of its %zu aliases, in any "
	    "case", naliases);
	cmd = cmd_find("quit");
	tap_ok(cmd != NULL && cmd_find("exit") == cmd &&
	    cmd_find("Exit") == cmd, "/exit is /quit");
	tap_ok(cmd_find("frobnicate") == NULL && cmd_find("") == NULL &&
	    cmd_find("jo") == NULL && cmd_find("join ") == NULL &&
	    cmd_find("/join") == NULL, "an unknown name, a prefix or a name "
	    "with more to it is no command");

	text[0] = '\0';
	tap_ok(cmd_help(NULL, collect, text) == 0, "/help");
	for (cmd = cmd_table; cmd->name != NULL; cmd++) {
		snprintf(usage, sizeof(usage), "/%s", cmd->name);
		if (!has_line(text, usage, cmd->summary)) {
			tap_diag("/%s is not listed", cmd->name);
			listed = 0;
		}
	}
	tap_ok(listed, "/help lists every command of the table, with its "
	    "summary");
	tap_ok(has_line(text, "/join", "/join ROOM      join a room") &&
	    has_line(text, "/help", "/help [COMMAND] list the commands") &&
	    has_line(text, "text", "say text in the current room") &&
	    has_line(text, "//text", "starts with a slash"),
	    "in columns, with the arguments, and how to just talk");
	diag_lines(text);
	for (cmd = cmd_table; cmd->name != NULL; cmd++) {
		text[0] = '\0';
		strlcpy(name, cmd->name, sizeof(name));
		upper(name);
		snprintf(usage, sizeof(usage), "/%s", cmd->name);
		if (cmd_help(name, collect, text) != 0 ||
		    !has_line(text, usage, cmd->summary) ||
		    (cmd->detail != NULL && strstr(text, cmd->detail) == NULL))
			each = 0;
	}
	tap_ok(each, "/help NAME tells about each command: its arguments, "
	    "summary and more");
	text[0] = '\0';
	tap_ok(cmd_help("/exit", collect, text) == 0 &&
	    has_line(text, "/quit", "[REASON]") &&
	    strstr(text, "Also: /exit") != NULL,
	    "/help /exit: an alias, with the slash, tells about /quit and its "
	    "aliases");
	text[0] = '\0';
	tap_ok(cmd_help("frobnicate", collect, text) == -1 && text[0] == '\0',
	    "/help of an unknown command says nothing itself");

	/* The same through a typed line, in pipe mode (notes on stderr). */
	memset(&c, 0, sizeof(c));
	c.ready = 1;
	c.fd = -1;
	run_line(&c, "/frobnicate now", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: unknown command /frobnicate; /help "
	    "lists commands\n") == 0 && c.failures == 1,
	    "an unknown command is refused, saying so, and counts as a failed "
	    "request");
	run_line(&c, "/HeLp", text, sizeof(text));
	diag_lines(text);
	tap_ok(has_line(text, "/join", "join a room") &&
	    has_line(text, "/quit", "leave") && c.failures == 1,
	    "/HeLp runs /help");
	run_line(&c, "/help  Join ", text, sizeof(text));
	diag_lines(text);
	tap_ok(has_line(text, "/join", "join a room") &&
	    !has_line(text, "/quit", "leave") && c.failures == 1,
	    "/help Join tells about /join alone");
	run_line(&c, "/help frobnicate", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: /help: unknown command /frobnicate; "
	    "/help lists commands\n") == 0 && c.failures == 2,
	    "/help of an unknown command is refused");
	run_line(&c, "/ME", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: usage: /me ACTION\n") == 0 &&
	    c.failures == 3, "a missing argument: the usage from the table");
	run_line(&c, "/msg bob", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: usage: /msg USER TEXT\n") == 0 &&
	    c.failures == 4, "/msg with no text");
	run_line(&c, "/join a b", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: usage: /join ROOM\n") == 0 &&
	    c.failures == 5, "/join with two words");
	run_line(&c, "/who", text, sizeof(text));
	diag_lines(text);
	tap_ok(strcmp(text, "secchat: /who: you are in no room; name one\n")
	    == 0 && c.failures == 6, "/who with no room");
	/* No session agreed to the extensions: /msg says so, sends nothing. */
	run_line(&c, "/msg bob hello there", text, sizeof(text));
	diag_lines(text);
	tap_ok(strstr(text, "end-to-end messages are unavailable on this "
	    "server") != NULL && strstr(text, "/plainmsg bob") != NULL &&
	    c.failures == 7, "/msg without extensions: refused, pointing to "
	    "/plainmsg");
	run_line(&c, "/verify bob carol", text, sizeof(text));
	tap_ok(strcmp(text, "secchat: usage: /verify USER\n") == 0 &&
	    c.failures == 8, "/verify takes one user");
	run_line(&c, "/trust B@d", text, sizeof(text));
	tap_ok(strstr(text, "invalid user name") != NULL && c.failures == 9,
	    "/trust of a bad name");
	run_line(&c, "/accept", text, sizeof(text));
	tap_ok(strcmp(text, "secchat: usage: /accept USER\n") == 0 &&
	    c.failures == 10, "/accept needs a user");
}

static void
test_e2e_lines(void)
{
	struct cs_event	 ev;
	char		*line, fp[FINGERPRINT_LEN];

	memset(&ev, 0, sizeof(ev));
	ev.type = CS_EV_E2E_TEXT;
	ev.time = 1764009662123ULL;
	ev.user = "alice";
	ev.text = "psst";
	ev.code = E2E_TEXT;
	ev.token = 1;
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strcmp(line, "2025-11-24T18:41:02.123Z "
	    "private-e2e alice verified psst") == 0, "pipe: %s", line);
	free(line);
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "[private from alice, "
	    "end-to-end, verified] psst") != NULL, "screen: %s", line);
	free(line);
	ev.code = E2E_ACTION;
	ev.token = 0;
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " private-e2e-action alice "
	    "unverified psst") != NULL, "pipe: %s", line);
	free(line);
	ev.code = E2E_SENT_TEXT;
	ev.to = "bob";
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " private-e2e-sent bob "
	    "unverified psst") != NULL, "pipe: %s", line);
	free(line);
	ev.to = NULL;
	ev.type = CS_EV_E2E_OWN;
	ev.user = "bob";
	ev.code = E2E_TEXT;
	ev.token = 1;
	tap_ok(out_pipe_line(&ev) == NULL, "our own line: none in pipe mode");
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "[private to bob, end-to-end, "
	    "verified] psst") != NULL, "screen: %s", line);
	free(line);
	memset(ev.key, 7, sizeof(ev.key));
	keys_fingerprint(ev.key, fp);
	ev.type = CS_EV_KEY_NEW;
	ev.text = NULL;
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " key-new bob ") != NULL &&
	    strstr(line, fp) != NULL, "pipe: %s", line);
	free(line);
	ev.type = CS_EV_KEY_CHANGED;
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " key-changed bob SHA256:") !=
	    NULL, "pipe: %s", line);
	free(line);
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "WARNING") != NULL &&
	    strstr(line, "/accept bob") != NULL, "screen: %s", line);
	free(line);
	ev.type = CS_EV_E2E_FAILED;
	ev.text = "not online";
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " e2e-failed bob not online") !=
	    NULL, "pipe: %s", line);
	free(line);
	ev.type = CS_EV_SAFETY;
	ev.text = "123456789012345678901234567890123456789012345678901234567890";
	ev.token = 0;
	line = out_pipe_line(&ev);
	tap_ok(line != NULL && strstr(line, " safety-number bob SHA256:") !=
	    NULL && strstr(line, " 1234567890123456789012345678901234567890"
	    "12345678901234567890 seen") != NULL, "pipe: %s", line);
	free(line);
	line = out_tty_line(&ev, "lobby");
	tap_ok(line != NULL && strstr(line, "(seen): safety number 12345 67890 "
	    "12345") != NULL, "screen: %s", line);
	free(line);
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	test_editor();
	test_output();
	test_wrap();
	test_text_problem();
	test_first_contact();
	test_commands();
	test_e2e_lines();
	return tap_done();
}
