/*
 * tty.h: the interactive line editor.
 *
 * One input line after the last line of output, edited in raw mode.
 * Lines from the server are printed above it with tty_print(), which
 * clears the input line, prints, and redraws the prompt and the partial
 * input with the cursor where it was.  An input line wider than the
 * terminal scrolls sideways.  Typed text is UTF-8 whatever the locale.
 * The terminal keeps generating signals (^C, ^Z, ^\): the caller catches
 * them and calls tty_suspend()/tty_resume()/tty_stop().
 */
#ifndef SECCHAT_TTY_H
#define SECCHAT_TTY_H

#include <stddef.h>

#include "lineedit.h"

#define TTY_LINE_MAX	LE_LINE_MAX	/* bytes of input per line */

/* A finished line (NUL-terminated), or NULL for ^D on an empty line. */
typedef void (*tty_line_fn)(void *arg, const char *line);

/*
 * Put the terminal on infd into raw mode and draw the prompt on outfd.
 * Registers tty_stop() with atexit().  Returns 0 or -1 (not a terminal).
 */
int	tty_start(int infd, int outfd);
/* Restore the terminal as it was; safe to call more than once. */
void	tty_stop(void);
/* Clear the input line and give the terminal back (for ^Z, prompts). */
void	tty_suspend(void);
/* Raw mode again, and redraw. */
void	tty_resume(void);
int	tty_active(void);

void	tty_set_prompt(const char *);
/*
 * Print a line (already made safe) above the input line, in rows of the
 * terminal's width as tty_wrap() makes them.
 */
void	tty_print(const char *);
/*
 * s cut into rows (joined by '\n') that fit a terminal cols wide without
 * touching its last column.  Rows after the first are indented, so that
 * only the start of a line is at the left edge: however a message is
 * padded, no part of it can pass for a line of its own.  A row breaks
 * at a space where one is in its second half.  NULL if out of memory.
 */
char	*tty_wrap(const char *s, unsigned int cols);
/* Re-read the terminal width (after SIGWINCH) and redraw. */
void	tty_winch(void);
/* Ring the bell. */
void	tty_beep(void);

/*
 * Feed bytes read from the terminal; fn gets every finished line.  Keys
 * are taken only from here, so only from the user's own terminal.
 */
void	tty_feed(const unsigned char *, size_t, tty_line_fn fn, void *arg);

/* The line being edited, and the cursor in it (what a test looks at). */
const char	*tty_current(size_t *cur);
/* The paste's question or the search shown for the prompt, or NULL. */
const char	*tty_question(void);
/* Forget the line, the history, a paste and a search (for tests). */
void		 tty_reset(void);

/*
 * The screen of windows (window.c).  keep gets every tty_print() line
 * instead, to hold it in a window's scrollback and show it (tty_show())
 * if that window is on the screen; repaint draws the whole screen again
 * (after a resize, ^L); winkey gets the window keys: Alt-1..9 and Alt-0
 * (TTY_WK_SWITCH, 1..10), PageUp and PageDown.  NULLs: no windows.
 */
enum {
	TTY_WK_SWITCH,
	TTY_WK_PAGE_UP,
	TTY_WK_PAGE_DOWN
};
typedef void (*tty_keep_fn)(const char *line);
typedef void (*tty_repaint_fn)(void);
typedef void (*tty_winkey_fn)(int wk, int n);
void	tty_set_screen(tty_keep_fn, tty_repaint_fn, tty_winkey_fn);
/* Print a line as tty_print() would without windows. */
void	tty_show(const char *);
/*
 * The row above the input line ("" or NULL: none): printable ASCII and
 * our own SGR sequences only; anything else is shown as '?'.
 */
void	tty_set_status(const char *);
/*
 * The terminal's title (OSC 2), from the client's own state only; the
 * title it had is given back at tty_stop().  Printable ASCII only.
 */
void	tty_set_title(const char *);
/*
 * Clear the screen and show the last of these lines that fit above the
 * status row and the input line, which are drawn again.
 */
void	tty_paint(const char *const *lines, size_t n);
unsigned int	tty_rows(void);
unsigned int	tty_cols(void);

#endif
