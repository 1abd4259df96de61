/*
 * test-input.c: the line editor without a terminal.  The operations over
 * a line buffer (lineedit.c): insertion, word movement and deletion, the
 * history with the line being typed kept, the ^R search, the reading of a
 * bracketed paste split across reads; Tab completion (complete.c); and
 * the same keys as bytes fed to the editor (tty.c), with the question a
 * paste of several lines asks.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "complete.h"
#include "lineedit.h"
#include "session.h"
#include "tap.h"
#include "tty.h"

static struct le_line	 L;

static void
line_is(const char *want, size_t cur, const char *what)
{
	tap_ok(strcmp(L.buf, want) == 0 && L.cur == cur && L.len ==
	    strlen(want), "%s (got \"%s\" at %zu)", what, L.buf, L.cur);
}

static void
set(const char *s, size_t cur)
{
	le_set(&L, s, strlen(s));
	L.cur = cur;
}

static void
test_editing(void)
{
	char	*big;

	set("", 0);
	tap_ok(le_insert(&L, "helo", 4) == 0, "insert");
	L.cur = 3;
	(void)le_insert(&L, "l", 1);
	line_is("hello", 4, "insert at the cursor");
	le_right(&L);
	le_right(&L);
	line_is("hello", 5, "Right stops at the end");
	set("a\xc3\xa9z", 4);
	le_left(&L);
	le_left(&L);
	line_is("a\xc3\xa9z", 1, "Left steps over a whole UTF-8 character");
	le_delete(&L);
	line_is("az", 1, "Delete takes the whole character");

	if ((big = malloc(LE_LINE_MAX)) == NULL)
		abort();
	memset(big, 'x', LE_LINE_MAX);
	set("ab", 1);
	tap_ok(le_insert(&L, big, LE_LINE_MAX - 2) == 0 &&
	    L.len == LE_LINE_MAX, "the line fills up to its limit");
	tap_ok(le_insert(&L, "y", 1) == -1 && L.len == LE_LINE_MAX,
	    "and no further");
	free(big);

	set("hello, w\xc3\xb6rld  foo", 18);
	le_word_left(&L);
	line_is("hello, w\xc3\xb6rld  foo", 15, "Alt-b: start of the word");
	le_word_left(&L);
	line_is("hello, w\xc3\xb6rld  foo", 7,
	    "Alt-b again: over blanks and a non-ASCII letter");
	le_word_left(&L);
	le_word_left(&L);
	line_is("hello, w\xc3\xb6rld  foo", 0, "Alt-b stops at the start");
	le_word_right(&L);
	line_is("hello, w\xc3\xb6rld  foo", 5, "Alt-f: end of the word");
	le_word_right(&L);
	line_is("hello, w\xc3\xb6rld  foo", 13, "Alt-f over punctuation");

	set("hello big world", 6);
	le_kill_word(&L);
	line_is("hello  world", 6, "Alt-d deletes to the end of the word");
	le_kill_word(&L);
	line_is("hello ", 6, "Alt-d over blanks to the next word's end");
	set("see /join-room now", 14);
	le_kill_word_back(&L);
	line_is("see /join- now", 10, "Alt-Backspace stops at punctuation");
	set("see /join-room  now", 16);
	le_rubout_word(&L);
	line_is("see now", 4, "^W goes back to the blank before");
	set("abc def", 3);
	le_kill_to_end(&L);
	line_is("abc", 3, "^K");
	set("abc def", 4);
	le_kill_to_start(&L);
	line_is("def", 0, "^U");
}

static void
test_history(void)
{
	struct le_history	 h;
	char			 s[32];
	int			 i;

	memset(&h, 0, sizeof(h));
	le_hist_add(&h, "one", 3);
	le_hist_add(&h, "two", 3);
	le_hist_add(&h, "two", 3);
	le_hist_add(&h, " secret", 7);
	le_hist_add(&h, "", 0);
	tap_ok(h.n == 2, "no repeats, no empty lines, no line led by a "
	    "blank (%zu entries)", h.n);
	set("draft", 2);
	tap_ok(le_hist_up(&h, &L) == 0, "Up");
	line_is("two", 3, "Up shows the newest line");
	(void)le_hist_up(&h, &L);
	line_is("one", 3, "Up again the one before");
	tap_ok(le_hist_up(&h, &L) == -1, "no further up");
	line_is("one", 3, "and the line stays");
	(void)le_hist_down(&h, &L);
	line_is("two", 3, "Down");
	(void)le_hist_down(&h, &L);
	line_is("draft", 5, "Down past the newest: the half-typed line");
	tap_ok(le_hist_down(&h, &L) == -1, "no further down");
	line_is("draft", 5, "and the draft stays");

	for (i = 0; i < 600; i++) {
		snprintf(s, sizeof(s), "line %d", i);
		le_hist_add(&h, s, strlen(s));
	}
	tap_ok(h.n == LE_HISTORY_MAX && strcmp(h.ent[0], "line 100") == 0 &&
	    strcmp(h.ent[h.n - 1], "line 599") == 0,
	    "at most %d lines, the oldest go first (oldest \"%s\")",
	    LE_HISTORY_MAX, h.ent[0]);
	le_hist_free(&h);
}

static void
test_search(void)
{
	struct le_history	 h;
	struct le_search	 s;

	memset(&h, 0, sizeof(h));
	memset(&s, 0, sizeof(s));
	le_hist_add(&h, "hello alice", 11);
	le_hist_add(&h, "bye bob", 7);
	le_hist_add(&h, "hello bob", 9);
	set("typing", 3);
	le_search_start(&s, &h, &L);
	tap_ok(s.active && s.qlen == 0, "^R starts a search");
	(void)le_search_add(&s, &h, &L, "b", 1);
	line_is("hello bob", 6, "the newest line holding \"b\"");
	(void)le_search_add(&s, &h, &L, "y", 1);
	line_is("bye bob", 0, "a longer query: an older line");
	le_search_back(&s, &h, &L);
	(void)le_search_add(&s, &h, &L, "o", 1);
	line_is("hello bob", 6, "Backspace in the query looks again");
	le_search_start(&s, &h, &L);
	line_is("bye bob", 4, "^R again: the next older match");
	le_search_start(&s, &h, &L);
	tap_ok(s.failed, "no older match: the search says it failed");
	line_is("bye bob", 4, "and the line found stays");
	le_search_cancel(&s, &L);
	line_is("typing", 3, "^G: the line as it was before");
	tap_ok(!s.active, "and the search is over");

	le_search_start(&s, &h, &L);
	(void)le_search_add(&s, &h, &L, "alice", 5);
	le_search_accept(&s);
	line_is("hello alice", 6, "another key keeps the line found");
	le_hist_free(&h);
}

static void
complete_is(const char *line, const char *want, const char *what)
{
	struct completion	 c;
	int			 r;

	memset(&c, 0, sizeof(c));
	set(line, strlen(line));
	r = complete_tab(&c, &L);
	if (want == NULL)
		tap_ok(r == -1 && strcmp(L.buf, line) == 0,
		    "%s: nothing (got \"%s\")", what, L.buf);
	else
		tap_ok(r == 0 && strcmp(L.buf, want) == 0 &&
		    L.cur == strlen(want), "%s (got \"%s\")", what, L.buf);
}

static void
test_complete(void)
{
	struct completion	 c;
	struct cs_event		 ev;
	char			*names[] = { "carol", "Bad\x1b[2J", "dave" };
	struct cs_room		 rl[] = { { "linux", 3 }, { "x\x07", 1 } };

	complete_clear();
	tap_ok(complete_add_user("alice") == 0 &&
	    complete_add_user("alicia") == 0 && complete_add_user("bob") == 0,
	    "users are learnt");
	tap_ok(complete_add_user("e\x1b[2J") == -1 &&
	    complete_add_user("Mallory") == -1 && complete_add_room("a b") ==
	    -1, "names that break the rules are not");
	(void)complete_add_room("lobby");

	memset(&ev, 0, sizeof(ev));
	ev.type = CS_EV_NAMES;
	ev.room = "lounge";
	ev.names = names;
	ev.nnames = 3;
	complete_event(&ev);
	memset(&ev, 0, sizeof(ev));
	ev.type = CS_EV_ROOMLIST;
	ev.rooms = rl;
	ev.nrooms = 2;
	complete_event(&ev);

	complete_is("bo", "bob: ", "a user name at the start of a line");
	complete_is("hi bo", "hi bob ", "a user name later in a line");
	complete_is("ca", "carol: ", "a name from a NAMES list");
	complete_is("Ba", NULL, "a name NAMES gave that breaks the rules");
	complete_is("/jo", "/join ", "a command");
	complete_is("/JO", "/join ", "a command, in any case");
	complete_is("/join lin", "/join linux ", "a room after /join");
	complete_is("/part lou", "/part lounge ", "a room a NAMES was for");
	complete_is("/help pl", "/help plainmsg ", "a command after /help");
	complete_is("/help wh", "/help who", "a prefix of two commands "
	    "(who, whois) completes as far as they agree");
	complete_is("/msg b", "/msg bob ", "a user after /msg");
	complete_is("zz", NULL, "no candidate");
	complete_is("a ", NULL, "no word in text");
	complete_is("/join x", NULL, "not a room that broke the rules");

	memset(&c, 0, sizeof(c));
	set("say al", 6);
	(void)complete_tab(&c, &L);
	line_is("say alic", 8, "several candidates: as far as they agree");
	(void)complete_tab(&c, &L);
	line_is("say alice", 9, "Tab again: the first");
	(void)complete_tab(&c, &L);
	line_is("say alicia", 10, "Tab again: the next");
	(void)complete_tab(&c, &L);
	line_is("say alice", 9, "and round again");
	complete_reset(&c);
	(void)le_insert(&L, " ", 1);
	set("/", 1);
	(void)complete_tab(&c, &L);
	tap_ok(c.ncands >= 8 && L.buf[0] == '/' && L.len > 1,
	    "a lone slash cycles through the commands (%zu, first \"%s\")",
	    c.ncands, L.buf);
}

static void
test_paste(void)
{
	struct le_paste	 p;
	const char	*a = "a\r\nb\tc\x1b[20", *b = "x\x1b[201~";
	size_t		 i, len;
	int		 r = 0, ends = 0;

	memset(&p, 0, sizeof(p));
	le_paste_begin(&p);
	for (i = 0; a[i] != '\0'; i++)
		ends += le_paste_byte(&p, (unsigned char)a[i]) == 1;
	tap_ok(ends == 0 && p.in, "a marker's start is not its end");
	for (i = 0; b[i] != '\0'; i++)
		r = le_paste_byte(&p, (unsigned char)b[i]);
	tap_ok(r == 1 && !p.in, "ESC[201~ split across reads ends the paste");
	tap_ok(p.len == 11 && memcmp(p.buf, "a\r\nb\tc\x1b[20x", 11) == 0,
	    "the paste holds what came between, a false marker kept");
	len = p.len;
	tap_ok(le_paste_lines(p.buf, &len) == 2 && len == 10 &&
	    memcmp(p.buf, "a\nb\tc\x1b[20x", 10) == 0,
	    "CR LF ends one line; the tab is kept");
	le_paste_begin(&p);
	for (i = 0; i < 8; i++)
		(void)le_paste_byte(&p, (unsigned char)"one\rtwo\r"[i]);
	len = p.len;
	tap_ok(le_paste_lines(p.buf, &len) == 2 && len == 7,
	    "a CR alone ends a line; one at the end does not count");
	le_paste_free(&p);
}

/* ---------------------------------------------------------------- tty */

#define GOT_MAX	8
static char	 got[GOT_MAX][256];
static int	 ngot;

static void
take_line(void *arg, const char *line)
{
	(void)arg;
	if (ngot < GOT_MAX)
		strlcpy(got[ngot], line != NULL ? line : "(eof)",
		    sizeof(got[0]));
	ngot++;
}

static void
feed(const char *s)
{
	tty_feed((const unsigned char *)s, strlen(s), take_line, NULL);
}

static int
now_is(const char *want, size_t cur)
{
	size_t		 c;
	const char	*l = tty_current(&c);

	if (strcmp(l, want) != 0 || c != cur) {
		tap_diag("line \"%s\" at %zu", l, c);
		return 0;
	}
	return 1;
}

static void
test_keys(void)
{
	const char	*q;

	setlocale(LC_CTYPE, "C");
	tty_reset();
	ngot = 0;
	feed("first\rsecond\rhalf");
	tap_ok(ngot == 2 && strcmp(got[1], "second") == 0, "Enter sends");
	feed("\x1b[A");
	tap_ok(now_is("second", 6), "Up (ESC [A) recalls the last line");
	feed("\x10");
	tap_ok(now_is("first", 5), "^P the one before");
	feed("\x1b[B\x0e");
	tap_ok(now_is("half", 4), "Down and ^N come back to the half line");
	feed("\x15one two three");
	feed("\x1b[1;5D");
	tap_ok(now_is("one two three", 8), "Ctrl-Left");
	feed("\x1b" "b");
	tap_ok(now_is("one two three", 4), "Alt-b");
	feed("\x1b[1;5C");
	tap_ok(now_is("one two three", 7), "Ctrl-Right");
	feed("\x1b" "f");
	tap_ok(now_is("one two three", 13), "Alt-f");
	feed("\x01\x1b" "d");
	tap_ok(now_is(" two three", 0), "Alt-d");
	feed("\x05\x1b\x7f");
	tap_ok(now_is(" two ", 5), "Alt-Backspace");
	feed("\x15");

	ngot = 0;
	feed("\x12" "fir");
	q = tty_question();
	tap_ok(q != NULL && strstr(q, "fir") != NULL && now_is("first", 0),
	    "^R finds as it is typed (\"%s\")", q ? q : "");
	feed("\r");
	tap_ok(ngot == 1 && strcmp(got[0], "first") == 0 &&
	    tty_question() == NULL, "Enter sends the line found");
	feed("draft\x12zzz");
	tap_ok(tty_question() != NULL && strstr(tty_question(), "failed"),
	    "a query that matches nothing says so");
	feed("\x07");
	tap_ok(now_is("draft", 5) && tty_question() == NULL,
	    "^G gives the line back");
	feed("\x15");

	complete_clear();
	(void)complete_add_user("alice");
	(void)complete_add_user("alicia");
	feed("al\t");
	tap_ok(now_is("alic", 4), "Tab: the common part");
	feed("\t\t");
	tap_ok(now_is("alicia", 6), "Tab, Tab: cycling");
	feed("\x15" "x\tb");
	tap_ok(now_is("x       b", 9), "Tab with nothing to complete keeps "
	    "a tab as spaces");
	feed("\x15");

	/* Bracketed paste. */
	ngot = 0;
	feed("x\x1b[200~one\rtwo\r\r\x1b[2");
	tap_ok(ngot == 0, "a paste being read sends nothing");
	feed("01~");
	q = tty_question();
	tap_ok(q != NULL && strcmp(q, "send 2 lines? (y/n) ") == 0 &&
	    ngot == 0, "two lines pasted: asked (\"%s\")", q ? q : "");
	feed("q");
	tap_ok(tty_question() != NULL, "another key does not answer");
	feed("y");
	tap_ok(ngot == 2 && strcmp(got[0], "xone") == 0 &&
	    strcmp(got[1], "two") == 0 && tty_question() == NULL &&
	    now_is("", 0), "y sends them in order, the typed part first");
	feed("\x1b[A");
	tap_ok(now_is("two", 3), "and they are in the history");
	feed("\x15");

	ngot = 0;
	feed("\x1b[200~a\tb\r\x1b[201~");
	tap_ok(ngot == 0 && now_is("a       b", 9),
	    "one line pasted is inserted, its tab kept, not sent");
	feed("\x15" "<>\x02\x1b[200~l1\nl2\x1b[201~n");
	tap_ok(ngot == 0 && now_is("<l1 l2>", 7) && tty_question() == NULL,
	    "n sends nothing and keeps the text, joined");
	feed("\x15\x1b[200~a\x1b[31mb\x07\x1b[201~");
	tap_ok(now_is("a[31mb", 6), "escape and control bytes in a paste "
	    "are left out");
	feed("\x15\x1b[200~\r\rmid\r\r\x1b[201~");
	tap_ok(tty_question() == NULL && now_is("mid", 3),
	    "one line between blank ones is just inserted");
	feed("\x15");
	tty_reset();
}

int
main(void)
{
	test_editing();
	test_history();
	test_search();
	test_complete();
	test_paste();
	test_keys();
	tap_done();
	return 0;
}
