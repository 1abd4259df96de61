/*
 * lineedit.h: the line editor's operations, without a terminal: a line
 * buffer with a cursor, the history with its search, and the reading of
 * a bracketed paste.  tty.c maps keys to these and draws the result;
 * keeping them apart lets each be tested as a function over a buffer.
 *
 * The line is UTF-8; every cursor position is at a character boundary.
 */
#ifndef SECCHAT_LINEEDIT_H
#define SECCHAT_LINEEDIT_H

#include <stddef.h>

#define LE_LINE_MAX	65536	/* bytes of input per line */
#define LE_HISTORY_MAX	500	/* lines remembered */
#define LE_QUERY_MAX	256	/* bytes of a history search */
#define LE_PASTE_MAX	(256 * 1024)	/* bytes of one bracketed paste */

struct le_line {
	char	 buf[LE_LINE_MAX + 1];
	size_t	 len;		/* bytes in buf */
	size_t	 cur;		/* cursor, a byte offset */
};

/* ---- editing */
/* Insert at the cursor; -1 (and nothing inserted) if it would not fit. */
int	le_insert(struct le_line *, const char *, size_t);
/* The whole line becomes s, with the cursor at its end (cut to fit). */
void	le_set(struct le_line *, const char *s, size_t n);
void	le_delete_range(struct le_line *, size_t from, size_t to);
/* The start of the character before i, and after the one at i. */
size_t	le_prev_char(const struct le_line *, size_t i);
size_t	le_next_char(const struct le_line *, size_t i);
void	le_left(struct le_line *);
void	le_right(struct le_line *);
void	le_backspace(struct le_line *);
void	le_delete(struct le_line *);
/*
 * Words, for Alt-b, Alt-f, Alt-d and Alt-Backspace, are runs of letters
 * and digits (any non-ASCII character counts as a letter).
 */
size_t	le_word_start(const struct le_line *);	/* where Alt-b goes */
size_t	le_word_end(const struct le_line *);	/* where Alt-f goes */
void	le_word_left(struct le_line *);
void	le_word_right(struct le_line *);
void	le_kill_word(struct le_line *);		/* Alt-d */
void	le_kill_word_back(struct le_line *);	/* Alt-Backspace */
/* ^W: back to the previous blank, as the terminal's own WERASE does. */
void	le_rubout_word(struct le_line *);
void	le_kill_to_end(struct le_line *);	/* ^K */
void	le_kill_to_start(struct le_line *);	/* ^U */

/* ---- history */
struct le_history {
	char	*ent[LE_HISTORY_MAX];	/* oldest first */
	size_t	 n;
	size_t	 pos;		/* the entry shown; n: the line being typed */
	char	*draft;		/* the line being typed, while away from it */
	size_t	 draftlen;
};

/*
 * Remember a sent line: not an empty one, not one that starts with a
 * blank (a way to keep a line out of it), not the same as the last.
 * Also goes back to the line being typed.
 */
void	le_hist_add(struct le_history *, const char *, size_t);
/* Up, Down: show the older or newer entry; -1 if there is none. */
int	le_hist_up(struct le_history *, struct le_line *);
int	le_hist_down(struct le_history *, struct le_line *);
/* Forget where Up and Down were (after a line is sent). */
void	le_hist_reset(struct le_history *);
void	le_hist_free(struct le_history *);

/* ---- incremental search (^R) */
struct le_search {
	int	 active;
	char	 query[LE_QUERY_MAX + 1];
	size_t	 qlen;
	size_t	 at;		/* the entry matched; h->n: none */
	int	 failed;	/* the query matches no entry */
	char	*saved;		/* the line before the search, for ^G */
	size_t	 savedlen, savedcur;
};

/* ^R: start a search, or look for an older match of the same query. */
void	le_search_start(struct le_search *, struct le_history *,
	    struct le_line *);
/* A character typed into the query (-1 if it does not fit). */
int	le_search_add(struct le_search *, struct le_history *,
	    struct le_line *, const char *, size_t);
/* Backspace in the query. */
void	le_search_back(struct le_search *, struct le_history *,
	    struct le_line *);
/* Keep the line found (any key but the search's own). */
void	le_search_accept(struct le_search *);
/* ^G: the line as it was before the search. */
void	le_search_cancel(struct le_search *, struct le_line *);

/* ---- bracketed paste */
struct le_paste {
	int	 in;		/* between ESC[200~ and ESC[201~ */
	char	*buf;
	size_t	 len, size;
	size_t	 endmatch;	/* bytes of ESC[201~ seen so far */
	int	 overflow;	/* more than LE_PASTE_MAX: all of it dropped */
};

/* ESC[200~ was read: a paste starts. */
void	le_paste_begin(struct le_paste *);
/*
 * A byte inside a paste.  Returns 1 once the ESC[201~ that ends it has
 * been read (the paste is then in buf, len bytes, without the marker),
 * 0 while it goes on, -1 if out of memory (the paste is then dropped).
 */
int	le_paste_byte(struct le_paste *, unsigned char);
void	le_paste_free(struct le_paste *);
/*
 * The lines of a paste: CR LF, CR and LF each end one, and one line end
 * at the very end of the paste is left out.  Rewrites buf in place with
 * '\n' between the lines, and returns the number of lines.
 */
size_t	le_paste_lines(char *buf, size_t *len);

#endif
