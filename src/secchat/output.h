/*
 * output.h: how secchat shows what the server sends.
 *
 * Two renderings of each event: the pipe-mode line, one event per line in
 * a fixed format for scripts (documented in secchat.1), and the line an
 * interactive user reads.  Every string that came from the network goes
 * through out_safe(), so no control character (an ESC above all) reaches
 * the terminal raw.
 */
#ifndef SECCHAT_OUTPUT_H
#define SECCHAT_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"

#define OUT_TIME_MAX	64

/*
 * Call after setlocale(LC_CTYPE, ""): printable non-ASCII characters pass
 * through only when the locale's character set is UTF-8.
 */
void	 out_init(void);

/*
 * A copy of s fit for a terminal, as stravis(3) with VIS_OCTAL |
 * VIS_CSTYLE | VIS_TAB | VIS_NL would make it, except that printable UTF-8
 * characters pass unchanged in a UTF-8 locale.  Never NULL (exits on
 * memory exhaustion).
 */
char	*out_safe(const char *s);

/* "2026-11-25T20:01:02.123Z" */
void	 out_time_iso(uint64_t ms, char out[OUT_TIME_MAX]);
/* "20:01", local time; "20:01:02" after out_set_seconds(1). */
void	 out_time_hhmm(uint64_t ms, char out[OUT_TIME_MAX]);
/* "2026-12-02", local time. */
void	 out_time_date(uint64_t ms, char out[OUT_TIME_MAX]);
/* The local day of a time, as a number that changes with the date. */
long	 out_day(uint64_t ms);
/* -o Seconds=yes: the interactive lines' times show seconds. */
void	 out_set_seconds(int);
/* Our own name: lines by it are shown in the style of our own. */
void	 out_set_me(const char *user);

/*
 * The pipe-mode line for an event, without the newline, or NULL for an
 * event that has none (those are reported on stderr by the caller).
 */
char	*out_pipe_line(const struct cs_event *);

/*
 * The interactive line for an event, or NULL if it has none.  room is the
 * current room: messages to other rooms are tagged with their room.  In
 * the text of a message, a run of more than 16 spaces is shown as
 * "[N spaces]" (tty_print() does the rest: see tty_wrap()).
 */
char	*out_tty_line(const struct cs_event *, const char *room);
/*
 * The same, with the text of a message highlighted if hl (it names us).
 * Colours and styles (colour.h) are SGR sequences of our own, put only
 * around text already made safe; with COLOUR_NONE there are none.
 */
char	*out_tty_line_hl(const struct cs_event *, const char *room, int hl);

/*
 * The server does not echo what we send: the interactive lines for our
 * own room message or action (as if received) and private message.
 */
char	*out_tty_own(enum cs_event_type, const char *room, const char *user,
	    const char *text, const char *current);
char	*out_tty_own_private(const char *to, const char *text);
/* The same, said so: "[private to bob, NOT end-to-end]" (/plainmsg). */
char	*out_tty_own_plain(const char *to, const char *text);

#endif
