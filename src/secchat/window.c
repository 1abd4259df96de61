/*
 * window.c: windows, their scrollback, unread counts, the status row and
 * the title; and where each event's line goes.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "client.h"
#include "colour.h"
#include "e2e.h"
#include "output.h"
#include "rooms.h"
#include "session.h"
#include "tty.h"
#include "util.h"
#include "window.h"

#define STATUS_NAME	"status"

struct window {
	enum window_kind	 kind;
	char			 name[SECCHAT_NAME_MAX + 1];
	char			*lines[WINDOW_LINES];	/* a ring */
	size_t			 head;			/* the oldest */
	size_t			 count;
	size_t			 unread;
	enum window_activity	 act;
	long			 day;			/* of the last line */
};

static struct window	*wins[WINDOW_MAX];
static int		 nwins;
static int		 cur;		/* index of the current window */
static size_t		 scrolled;	/* lines the current one is scrolled */
static struct client	*wc;		/* NULL: no screen (tests, pipe) */
static struct window_opts wopts;

static void	 screen_update(void);

/* ---------------------------------------------------------------- core */

static struct window *
win_new(enum window_kind kind, const char *name)
{
	struct window	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		err(EXIT_ERROR, "calloc");
	w->kind = kind;
	strlcpy(w->name, name, sizeof(w->name));
	return w;
}

static void
win_free(struct window *w)
{
	size_t	 i;

	for (i = 0; i < w->count; i++)
		free(w->lines[(w->head + i) % WINDOW_LINES]);
	free(w);
}

static void
ensure_status(void)
{
	if (nwins == 0) {
		wins[0] = win_new(WIN_STATUS, STATUS_NAME);
		nwins = 1;
		cur = 0;
	}
}

void
window_reset(void)
{
	int	 i;

	for (i = 0; i < nwins; i++)
		win_free(wins[i]);
	nwins = 0;
	scrolled = 0;
	ensure_status();
}

int
window_count(void)
{
	ensure_status();
	return nwins;
}

int
window_current(void)
{
	ensure_status();
	return cur + 1;
}

static struct window *
win_get(int n)
{
	ensure_status();
	return n >= 1 && n <= nwins ? wins[n - 1] : NULL;
}

const char *
window_name(int n)
{
	struct window	*w = win_get(n);

	return w != NULL ? w->name : NULL;
}

enum window_kind
window_kind_of(int n)
{
	struct window	*w = win_get(n);

	return w != NULL ? w->kind : WIN_STATUS;
}

int
window_find(enum window_kind kind, const char *name)
{
	int	 i;

	ensure_status();
	for (i = 0; i < nwins; i++)
		if (wins[i]->kind == kind && strcmp(wins[i]->name, name) == 0)
			return i + 1;
	return 0;
}

int
window_open(enum window_kind kind, const char *name)
{
	int	 n;

	if ((n = window_find(kind, name)) != 0)
		return n;
	if (kind == WIN_STATUS || nwins >= WINDOW_MAX ||
	    (kind == WIN_ROOM && !valid_roomname(name, strlen(name))) ||
	    (kind == WIN_QUERY && !valid_username(name, strlen(name))))
		return -1;
	wins[nwins++] = win_new(kind, name);
	screen_update();
	return nwins;
}

void
window_close(int n)
{
	struct window	*w = win_get(n);

	if (w == NULL || n == 1)
		return;
	win_free(w);
	memmove(&wins[n - 1], &wins[n], (size_t)(nwins - n) * sizeof(wins[0]));
	nwins--;
	if (cur == n - 1) {
		/* The one before it comes on the screen. */
		cur = n - 2;
		scrolled = 0;
	} else if (cur > n - 1)
		cur--;
	screen_update();
}

void
window_add(int n, const char *line, uint64_t ms, int flags)
{
	struct window	*w = win_get(n);
	char		 date[OUT_TIME_MAX], *marker;
	long		 day;
	size_t		 slot;

	if (w == NULL)
		return;
	if (!(flags & WL_HISTORY) && (day = out_day(ms)) != -1) {
		if (w->day != 0 && day != w->day) {
			out_time_date(ms, date);
			if (asprintf(&marker, "%s-- Day changed to %s%s",
			    colour_style(CS_NOTICE), date, colour_reset()) ==
			    -1)
				err(EXIT_ERROR, "asprintf");
			w->day = day;
			window_add(n, marker, ms, WL_HISTORY);
			free(marker);
		}
		w->day = day;
	}
	if (w->count == WINDOW_LINES) {
		free(w->lines[w->head]);
		w->head = (w->head + 1) % WINDOW_LINES;
		w->count--;
	}
	slot = (w->head + w->count) % WINDOW_LINES;
	if ((w->lines[slot] = strdup(line)) == NULL)
		err(EXIT_ERROR, "strdup");
	w->count++;
	if (n - 1 == cur) {
		if (scrolled > 0) {
			/* Kept where the user is reading. */
			if (scrolled < w->count - 1)
				scrolled++;
		} else if (wc != NULL)
			tty_show(line);
		return;
	}
	if ((flags & WL_TALK) && !(flags & WL_HISTORY))
		w->unread++;
	if (flags & WL_MENTION && w->act < WACT_MENTION)
		w->act = WACT_MENTION;
	else if ((flags & WL_TALK) && !(flags & WL_HISTORY) &&
	    w->act < WACT_MESSAGES)
		w->act = WACT_MESSAGES;
	else if (!(flags & WL_HISTORY) && w->act < WACT_EVENTS)
		w->act = WACT_EVENTS;
}

size_t
window_unread(int n)
{
	struct window	*w = win_get(n);

	return w != NULL ? w->unread : 0;
}

enum window_activity
window_activity_of(int n)
{
	struct window	*w = win_get(n);

	return w != NULL ? w->act : WACT_NONE;
}

size_t
window_unread_total(void)
{
	size_t	 total = 0;
	int	 i;

	ensure_status();
	for (i = 0; i < nwins; i++)
		total += wins[i]->unread;
	return total;
}

size_t
window_lines(int n)
{
	struct window	*w = win_get(n);

	return w != NULL ? w->count : 0;
}

const char *
window_line(int n, size_t i)
{
	struct window	*w = win_get(n);

	if (w == NULL || i >= w->count)
		return NULL;
	return w->lines[(w->head + i) % WINDOW_LINES];
}

size_t
window_scrolled(void)
{
	return scrolled;
}

/* Lines a page moves: a screen's worth, less one kept for context. */
static size_t
page_lines(void)
{
	unsigned int	 rows = wc != NULL ? tty_rows() : 24;

	return rows > 4 ? rows - 3 : 1;
}

void
window_page(int dir)
{
	struct window	*w;
	size_t		 page = page_lines();

	ensure_status();
	w = wins[cur];
	if (dir < 0) {
		if (w->count == 0)
			return;
		scrolled += page;
		if (scrolled > w->count - 1)
			scrolled = w->count - 1;
	} else
		scrolled = scrolled > page ? scrolled - page : 0;
	screen_update();
}

int
window_switch(int n)
{
	struct window	*w = win_get(n);

	if (w == NULL)
		return -1;
	cur = n - 1;
	scrolled = 0;
	w->unread = 0;
	w->act = WACT_NONE;
	if (wc != NULL) {
		/* Where a typed line goes follows the window. */
		if (w->kind == WIN_ROOM)
			strlcpy(wc->current, w->name, sizeof(wc->current));
		else if (w->kind == WIN_STATUS)
			wc->current[0] = '\0';
		if (w->kind == WIN_QUERY) {
			char	 prompt[SECCHAT_NAME_MAX + 16];

			snprintf(prompt, sizeof(prompt), "[to %s] ", w->name);
			tty_set_prompt(prompt);
		} else
			rooms_update_prompt(wc);
	}
	screen_update();
	return 0;
}

/* ASCII only: names are ASCII, and isalnum() would follow the locale. */
static int
alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

int
window_mentions(const char *text, const char *user)
{
	size_t		 n = strlen(user);
	const char	*p;

	if (n == 0 || text == NULL)
		return 0;
	for (p = text; *p != '\0'; p++) {
		if (strncasecmp(p, user, n) != 0)
			continue;
		/* A word of its own: no name character either side. */
		if (p > text && (alnum(p[-1]) || p[-1] == '_'))
			continue;
		if (alnum(p[n]) || p[n] == '_' ||
		    ((p[n] == '.' || p[n] == '-') && alnum(p[n + 1])))
			continue;
		return 1;
	}
	return 0;
}

static void
cat_item(char *buf, size_t size, int i)
{
	char	 item[SECCHAT_NAME_MAX + 32], mark[32] = "";
	struct window	*w = wins[i];

	if (i != cur) {
		if (w->unread > 0)
			snprintf(mark, sizeof(mark), "(%zu%s)", w->unread,
			    w->act == WACT_MENTION ? "!" : "");
		else if (w->act == WACT_MENTION)
			strlcpy(mark, "(!)", sizeof(mark));
		else if (w->act == WACT_EVENTS)
			strlcpy(mark, "+", sizeof(mark));
	}
	snprintf(item, sizeof(item), i == cur ? " [%d:%s%s]" : " %d:%s%s",
	    i + 1, w->name, mark);
	strlcat(buf, item, size);
}

void
window_status_text(char *buf, size_t size)
{
	int	 i;

	ensure_status();
	buf[0] = '\0';
	for (i = 0; i < nwins; i++)
		cat_item(buf, size, i);
	if (scrolled > 0) {
		char	 more[64];

		snprintf(more, sizeof(more), " -- %zu more below (PageDown)",
		    scrolled);
		strlcat(buf, more, size);
	}
}

void
window_title_text(char *buf, size_t size)
{
	struct window	*w;
	size_t		 unread = window_unread_total();
	char		 n[32] = "";

	w = wins[cur];
	if (unread > 0)
		snprintf(n, sizeof(n), "%zu unread", unread);
	/* Room names are validated names; nothing else of peers' goes in. */
	if (w->kind == WIN_ROOM && valid_roomname(w->name, strlen(w->name)))
		snprintf(buf, size, "secchat: %s%s%s", w->name,
		    unread > 0 ? ", " : "", n);
	else
		snprintf(buf, size, "secchat%s%s", unread > 0 ? ": " : "", n);
}

/* ---------------------------------------------------------------- screen */

/* The status row and the title, after any change. */
static void
screen_update(void)
{
	char	 text[400], row[512], title[128];
	size_t	 len;

	if (wc == NULL)
		return;
	window_status_text(text, sizeof(text));
	len = strlen(text);
	/* Padded to the width, so that a reversed row is a bar. */
	snprintf(row, sizeof(row), "%s%s%*s%s", colour_style(CS_STATUS), text,
	    (int)(len + 1 < tty_cols() && tty_cols() - len - 1 < 256 ?
	    tty_cols() - len - 1 : 0), "", colour_reset());
	tty_set_status(row);
	if (wopts.title) {
		window_title_text(title, sizeof(title));
		tty_set_title(title);
	}
}

/* The current window, from the line it is scrolled to, on the screen. */
static void
repaint(void)
{
	struct window	 *w;
	const char	**v;
	size_t		  n, i;

	if (wc == NULL)
		return;
	w = wins[cur];
	n = w->count - scrolled;
	if ((v = calloc(n > 0 ? n : 1, sizeof(*v))) == NULL)
		return;
	for (i = 0; i < n; i++)
		v[i] = w->lines[(w->head + i) % WINDOW_LINES];
	screen_update();
	tty_paint(v, n);
	free(v);
}

/* A line of tty_print() (our own messages and lines): the current window. */
static void
keep_line(const char *line)
{
	char	*styled = NULL;

	/* secchat's own complaints stand out. */
	if (strncmp(line, "secchat: ", 9) == 0 &&
	    *colour_style(CS_ERROR) != '\0' &&
	    asprintf(&styled, "%s%s%s", colour_style(CS_ERROR), line,
	    colour_reset()) == -1)
		err(EXIT_ERROR, "asprintf");
	window_add(cur + 1, styled != NULL ? styled : line, now_ms(), 0);
	free(styled);
}

static void
window_key(int wk, int n)
{
	switch (wk) {
	case TTY_WK_SWITCH:
		if (window_switch(n) == 0)
			repaint();
		else
			tty_beep();
		break;
	case TTY_WK_PAGE_UP:
	case TTY_WK_PAGE_DOWN:
		window_page(wk == TTY_WK_PAGE_UP ? -1 : 1);
		repaint();
		break;
	}
}

void
window_start(struct client *c, const struct window_opts *o)
{
	const char	*term = getenv("TERM");

	ensure_status();
	wc = c;
	if (o != NULL)
		wopts = *o;
	else {
		/* From the options, and what the terminal can do. */
		colour_set_mode(colour_decide((enum colour_want)c->o->colour,
		    isatty(STDOUT_FILENO), term, getenv("NO_COLOR")));
		out_set_seconds(c->o->seconds);
		wopts.bell = c->o->bell;
		wopts.title = c->o->title && colour_term_capable(term);
	}
	tty_set_screen(keep_line, repaint, window_key);
	screen_update();
}

int
window_active(void)
{
	return wc != NULL;
}

/* ---------------------------------------------------------------- client */

int
window_show(int n)
{
	if (n < 1 || window_switch(n) == -1)
		return -1;
	repaint();
	return n;
}

void
window_goto_room(const char *room)
{
	int	 n;

	if (wc == NULL)
		return;
	if (*room == '\0')
		n = 1;
	else if ((n = window_open(WIN_ROOM, room)) == -1)
		return;
	if (n != cur + 1)
		(void)window_show(n);
}

void
window_close_room(const char *room)
{
	int	 n, was = cur;

	if (wc == NULL || (n = window_find(WIN_ROOM, room)) == 0)
		return;
	window_close(n);
	if (was == n - 1)
		(void)window_show(cur + 1);
}

int
window_open_query(const char *user)
{
	if (wc == NULL)
		return -1;
	return window_show(window_open(WIN_QUERY, user));
}

const char *
window_query_user(void)
{
	if (wc == NULL || wins[cur]->kind != WIN_QUERY)
		return NULL;
	return wins[cur]->name;
}

void
window_list(void)
{
	char	 line[SECCHAT_NAME_MAX + 64];
	int	 i;

	ensure_status();
	for (i = 0; i < nwins; i++) {
		snprintf(line, sizeof(line), "window %d: %s%s%s", i + 1,
		    wins[i]->kind == WIN_QUERY ? "private with " : "",
		    wins[i]->name, i == cur ? " (current)" : "");
		if (wins[i]->unread > 0) {
			char	 n[32];

			snprintf(n, sizeof(n), ", %zu unread", wins[i]->unread);
			strlcat(line, n, sizeof(line));
		}
		tty_print(line);
	}
}

/* Whose private talk an event is, or NULL if it is none. */
static const char *
private_peer(const struct cs_event *ev)
{
	switch (ev->type) {
	case CS_EV_PRIVATE:
		return ev->user;
	case CS_EV_E2E_TEXT:
		return (ev->code == E2E_SENT_TEXT ||
		    ev->code == E2E_SENT_ACTION) && ev->to != NULL ? ev->to :
		    ev->user;
	case CS_EV_E2E_OWN:
		return ev->user;	/* the recipient */
	default:
		return NULL;
	}
}

void
window_event(struct client *c, const struct cs_event *ev)
{
	const char	*peer, *room = NULL;
	char		*line;
	int		 n = 0, flags = 0, incoming = 0;

	if (c->user[0] != '\0')
		out_set_me(c->user);
	switch (ev->type) {
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
		flags = WL_TALK;
		incoming = ev->user == NULL || strcmp(ev->user, c->user) != 0;
		if (incoming && window_mentions(ev->text, c->user))
			flags |= WL_MENTION;
		/* FALLTHROUGH */
	case CS_EV_ARRIVED:
	case CS_EV_DEPARTED:
	case CS_EV_NAMES:
	case CS_EV_JOINED:
		room = ev->room;
		break;
	case CS_EV_HISTORY:
		room = ev->room;
		flags = WL_HISTORY;
		break;
	case CS_EV_PRIVATE:
	case CS_EV_E2E_TEXT:
	case CS_EV_E2E_OWN:
		flags = WL_TALK;
		if (ev->type != CS_EV_E2E_OWN && ev->code != E2E_SENT_TEXT &&
		    ev->code != E2E_SENT_ACTION)
			flags |= WL_MENTION;
		if ((peer = private_peer(ev)) != NULL)
			n = window_find(WIN_QUERY, peer);
		break;
	default:
		break;
	}
	if (room != NULL)
		n = window_find(WIN_ROOM, room);
	if (n == 0)
		n = cur + 1;
	/* A line in its room's own window needs no room tag. */
	line = out_tty_line_hl(ev, room != NULL &&
	    window_find(WIN_ROOM, room) == n ? room : c->current,
	    (flags & WL_MENTION) != 0);
	if (line == NULL)
		return;
	if ((flags & WL_MENTION) && wopts.bell)
		tty_beep();
	window_add(n, line, ev->time != 0 ? ev->time : now_ms(), flags);
	free(line);
	if (n != cur + 1)
		screen_update();
}
