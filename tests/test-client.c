/*
 * test-client.c: what the terminal client shows and takes, without a
 * terminal: the line editor fed bytes (tty.c), the lines made of events
 * (output.c), the rows a long line is cut into, the reasons text cannot be
 * sent (session.c) and the first-contact question (knownhosts.c).
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

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
	tap_ok(line != NULL && strstr(line, "[private from alice] hi") &&
	    strstr(line, "->") == NULL,
	    "a private message reads as from its sender (\"%s\")", line);
	free(line);
	line = out_tty_own_private("bob", "psst");
	tap_ok(line != NULL && strstr(line, "[private to bob] psst") != NULL,
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
	n = kh_format_line("localhost:9999", k1, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	n = kh_format_line("other:9999", k2, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	n = kh_format_line("[::1]:9999", k1, line, sizeof(line));
	strlcat(text, line, sizeof(text));
	(void)n;
	tap_ok(kh_parse(&kh, text, strlen(text), err, sizeof(err), NULL) == 0,
	    "known hosts parse");
	tap_ok(kh_other_names(&kh, "127.0.0.1:9999", k2, "kh", out,
	    sizeof(out)) == 0 && strcmp(out, "This key is known by the "
	    "following other names:\n    kh:2: other:9999") == 0,
	    "a key known under another name is listed (\"%s\")", out);
	tap_ok(kh_other_names(&kh, "127.0.0.1:9999", k1, "kh", out,
	    sizeof(out)) == 0 && strstr(out, "kh:1: localhost:9999\n    "
	    "kh:3: [::1]:9999") != NULL, "two other names (\"%s\")", out);
	memset(k2, 3, sizeof(k2));
	tap_ok(kh_other_names(&kh, "127.0.0.1:9999", k2, "kh", out,
	    sizeof(out)) == 0 && strcmp(out, "This key is not known by any "
	    "other names.") == 0, "an unknown key: said so only then");
	for (i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "h%d:1", i);
		(void)kh_remember(&kh, line, k1, (size_t)i + 10);
	}
	tap_ok(kh_other_names(&kh, "127.0.0.1:9999", k1, "kh", out,
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
	return tap_done();
}
