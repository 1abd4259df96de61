/*
 * window.h: the windows of the interactive screen.
 *
 * Window 1 is the status window (secchat's own messages when no room is
 * current); then one window per joined room and one per private talk
 * (/query).  Each holds its own scrollback of the lines shown in it,
 * history included, up to WINDOW_LINES; a window that is not on the
 * screen counts its unread messages and marks its activity.  The row
 * above the input line lists the windows; the terminal's title shows the
 * current room and the unread count.  Pipe mode has no windows: every
 * call here does nothing until window_start().
 *
 * The lines kept are what output.c made: safe text with our own SGR
 * sequences at most.  Names of windows are valid room or user names.
 */
#ifndef SECCHAT_WINDOW_H
#define SECCHAT_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct client;
struct cs_event;

#define WINDOW_MAX	64	/* windows, the status window included */
#define WINDOW_LINES	2000	/* scrollback lines per window */

enum window_kind {
	WIN_STATUS,
	WIN_ROOM,
	WIN_QUERY
};

/* How much happened in a window while it was not on the screen. */
enum window_activity {
	WACT_NONE,
	WACT_EVENTS,	/* comings and goings */
	WACT_MESSAGES,	/* messages: they are counted as unread */
	WACT_MENTION	/* a line that names you, or a private message */
};

/* What a line added to a window is. */
#define WL_TALK		0x01	/* a message: unread if not on the screen */
#define WL_MENTION	0x02	/* names you, or is private to you */
#define WL_HISTORY	0x04	/* old: no unread, no day change */

struct window_opts {
	int	 bell;		/* -o Bell (default yes) */
	int	 title;		/* -o Title (default yes, if the terminal can) */
};

/* ---------------------------------------------------------------- core */

/* Back to the status window alone (what a test starts from). */
void		 window_reset(void);
int		 window_count(void);
/* The window on the screen, numbered from 1. */
int		 window_current(void);
const char	*window_name(int n);
enum window_kind window_kind_of(int n);
/* The number of the window of that kind and name, or 0. */
int		 window_find(enum window_kind, const char *name);
/*
 * The window of that kind and name, opened at the end if there is none
 * (not switched to).  -1 if the name is not a valid room (user) name or
 * WINDOW_MAX are open.
 */
int		 window_open(enum window_kind, const char *name);
/* Close window n (not the status window); those after it move down. */
void		 window_close(int n);
/* Make window n the one on the screen; -1 if there is none. */
int		 window_switch(int n);
/*
 * Add a line (without a newline) to window n, at time ms (for the day
 * change: a line "-- Day changed to 2026-12-02" goes first when the
 * local date of a line that is not history differs from the last one's).
 */
void		 window_add(int n, const char *line, uint64_t ms, int flags);
size_t		 window_unread(int n);
enum window_activity window_activity_of(int n);
size_t		 window_unread_total(void);
/* The lines held, oldest first, i < window_lines(n). */
size_t		 window_lines(int n);
const char	*window_line(int n, size_t i);
/* PageUp (dir < 0) and PageDown: lines the current window is scrolled. */
void		 window_page(int dir);
size_t		 window_scrolled(void);
/* The status row and the title, as they are drawn. */
void		 window_status_text(char *buf, size_t size);
void		 window_title_text(char *buf, size_t size);
/* Whether text names user: the name as a word, in any case. */
int		 window_mentions(const char *text, const char *user);

/* ---------------------------------------------------------------- client */

/*
 * Start the screen of windows for an interactive client, after
 * tty_start(); o NULL: the options (-o Colour, Bell, Title, Seconds) and
 * the environment (TERM, NO_COLOR) say.  Again (after a reconnect): the
 * windows are kept.
 */
void		 window_start(struct client *, const struct window_opts *);
int		 window_active(void);
/* Show an event in its window (events.c, interactive). */
void		 window_event(struct client *, const struct cs_event *);
/*
 * rooms.c: the current room is now room ("": none): its window (opened if
 * need be) or the status window goes on the screen.
 */
void		 window_goto_room(const char *room);
/* rooms.c: we are no longer in room: its window closes. */
void		 window_close_room(const char *room);
/*
 * /query USER: the window for private talk with user, opened if need be,
 * goes on the screen.  Lines typed there go to user end to end, as
 * /msg USER would send them (window_query_user() says to whom); private
 * messages from and to user are shown there.  Returns the window's
 * number, or -1 if user is not a valid user name, there are too many
 * windows, or there are no windows (pipe mode).
 */
int		 window_open_query(const char *user);
/* The user of the query window on the screen, or NULL. */
const char	*window_query_user(void);
/* /window: list the windows. */
void		 window_list(void);
/* /window N, Alt-N: window n on the screen; -1 if there is no such. */
int		 window_show(int n);

#endif
