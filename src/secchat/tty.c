/*
 * tty.c: a small line editor for the interactive client.
 *
 * The input line is kept as UTF-8 bytes with a cursor byte offset.  Every
 * change redraws the whole line (prompt and the visible part of the input)
 * from column 0: it is short, and redrawing is what keeps incoming lines
 * from garbling what is being typed.
 *
 * The protocol's text is UTF-8 whatever the locale, so typed bytes are
 * decoded as UTF-8 here rather than with the locale's mbtowc(); the
 * locale (or, where it is not UTF-8, a UTF-8 one) only says which
 * characters are printable and how wide they are.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <wchar.h>
#include <wctype.h>

#include "complete.h"
#include "lineedit.h"
#include "tty.h"

#define PROMPT_MAX	128
/* What is shown in place of the prompt: a question, or a search. */
#define SHOWN_MAX	(PROMPT_MAX + LE_QUERY_MAX + 32)
#define QUERY_SHOWN	24	/* bytes of a search query shown, at most */
#define ESCSEQ_MAX	16
#define TAB_STOP	8
/* Rows after the first of a printed line start this far in ("20:01 "). */
#define WRAP_INDENT	6
#define STATUS_MAX	512

enum key_state {
	KS_NORMAL,
	KS_ESC,		/* after ESC */
	KS_CSI,		/* after ESC [ or ESC O */
	KS_UTF8		/* inside a multibyte character */
};

static struct {
	int		 infd, outfd;
	int		 raw;		/* raw mode is on */
	int		 started;
	struct termios	 saved;
	unsigned int	 cols;
	char		 prompt[PROMPT_MAX];
	struct le_line	 ed;		/* the line being typed */
	size_t		 hscroll;	/* first byte shown */
	struct le_history hist;
	struct le_search srch;		/* ^R */
	struct le_paste	 paste;
	struct completion comp;
	/* A paste of several lines, waiting for "send N lines? (y/n)". */
	int		 asking;
	char		*pend;		/* the lines, joined by '\n' */
	size_t		 pendlen, pendlines;
	enum key_state	 ks;
	char		 seq[ESCSEQ_MAX];
	size_t		 seqlen;
	unsigned char	 mb[4];		/* a multibyte character so far */
	size_t		 mblen, mbneed;
	size_t		 drawn_cur;	/* cursor column of the last redraw */
	/* After a resize: the cursor column asked for, and the one before. */
	int		 cpr_wait;
	size_t		 cpr_oldcur;
	int		 warned_utf8, warned_locale;
	/* The screen of windows (window.c), when there is one. */
	unsigned int	 rows;
	char		 status[STATUS_MAX];	/* the row above the input */
	int		 status_drawn;		/* it is on the screen */
	char		 title[STATUS_MAX];
	int		 title_pushed;		/* the old title is saved */
	tty_keep_fn	 keep;
	tty_repaint_fn	 repaint;
	tty_winkey_fn	 winkey;
} t = { .infd = -1, .outfd = -1 };

/* ---------------------------------------------------------------- chars */

static int
locale_is_utf8(void)
{
	const char	*cs = nl_langinfo(CODESET);

	return cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}

/*
 * A UTF-8 LC_CTYPE for iswprint() and wcwidth() when the user's locale is
 * something else (a fresh system often has none set at all), or 0 if the
 * system has none.
 */
static locale_t
utf8_ctype(void)
{
	static locale_t	 loc;
	static int	 tried;

	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
		if (loc == (locale_t)0)
			loc = newlocale(LC_CTYPE_MASK, "en_US.UTF-8",
			    (locale_t)0);
	}
	return loc;
}

/* Whether wc may go on the input line, and its width in columns. */
static int
wc_info(wchar_t wc, size_t *cols)
{
	locale_t	 loc, old = (locale_t)0;
	int		 printable, w;

	if (!locale_is_utf8()) {
		if ((loc = utf8_ctype()) == (locale_t)0) {
			/* No tables to ask: no C1 controls, one column. */
			*cols = 1;
			return wc >= 0xa0;
		}
		old = uselocale(loc);
	}
	printable = iswprint((wint_t)wc);
	w = wcwidth(wc);
	if (old != (locale_t)0)
		(void)uselocale(old);
	*cols = w < 0 ? 1 : (size_t)w;
	return printable;
}

/*
 * Decode the well-formed UTF-8 character at p (n bytes available);
 * returns its length, or 0 if it is not one.
 */
static size_t
utf8_decode(const unsigned char *p, size_t n, wchar_t *wc)
{
	unsigned long	 cp;
	size_t		 len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*wc = p[0];
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2; cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3; cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4; cp = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*wc = (wchar_t)cp;
	return len;
}

/* Byte length of the character at s[i] of an n-byte string. */
static size_t
str_char_len(const char *s, size_t n, size_t i)
{
	wchar_t	 wc;
	size_t	 len;

	len = utf8_decode((const unsigned char *)s + i, n - i, &wc);
	return len > 0 ? len : 1;
}

/* Columns the character at s[i] takes on the screen. */
static size_t
str_char_cols(const char *s, size_t n, size_t i)
{
	wchar_t	 wc;
	size_t	 cols;

	if ((unsigned char)s[i] < 0x80 ||
	    utf8_decode((const unsigned char *)s + i, n - i, &wc) == 0)
		return 1;
	(void)wc_info(wc, &cols);
	return cols;
}

/* ---------------------------------------------------------------- output */

static void
write_all(const char *p, size_t n)
{
	ssize_t	 w;

	while (n > 0) {
		w = write(t.outfd, p, n);
		if (w == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void
write_str(const char *s)
{
	write_all(s, strlen(s));
}

/* Byte length of the UTF-8 character starting at line[i]. */
static size_t
char_len(size_t i)
{
	return str_char_len(t.ed.buf, t.ed.len, i);
}

/* Columns the character at line[i] takes on the screen. */
static size_t
char_cols(size_t i)
{
	return str_char_cols(t.ed.buf, t.ed.len, i);
}

static size_t
cols_between(size_t from, size_t to)
{
	size_t	 cols = 0;

	while (from < to) {
		cols += char_cols(from);
		from += char_len(from);
	}
	return cols;
}

/* Columns a string takes on the screen. */
static size_t
str_cols(const char *s)
{
	size_t	 n = strlen(s), i, cols = 0;

	for (i = 0; i < n; i += str_char_len(s, n, i))
		cols += str_char_cols(s, n, i);
	return cols;
}

/* Columns left for the input; the last column stays empty (no wrap). */
static size_t
input_cols(size_t promptcols)
{
	size_t	 room = t.cols > promptcols + 1 ?
	    t.cols - promptcols - 1 : 1;

	return room;
}

/*
 * What goes where the prompt is: the prompt, or the paste's question, or
 * the search with its query (typed, printable text).
 */
static const char *
shown_prompt(char *buf, size_t size)
{
	const char	*q;

	if (t.asking) {
		snprintf(buf, size, "send %zu lines? (y/n) ", t.pendlines);
		return buf;
	}
	if (t.srch.active) {
		/* A long query by its end, so that the prompt fits a row. */
		q = t.srch.query;
		if (t.srch.qlen > QUERY_SHOWN) {
			q += t.srch.qlen - QUERY_SHOWN;
			while (((unsigned char)*q & 0xc0) == 0x80)
				q++;
		}
		snprintf(buf, size, "(%ssearch)'%s%s': ",
		    t.srch.failed ? "failed " : "",
		    q != t.srch.query ? "..." : "", q);
		return buf;
	}
	return t.prompt;
}

/* Length of our own SGR sequence (ESC [ ... m) at s[i], or 0. */
static size_t
sgr_len(const char *s, size_t n, size_t i)
{
	size_t	 j;

	if (s[i] != '\x1b' || i + 1 >= n || s[i + 1] != '[')
		return 0;
	for (j = i + 2; j < n; j++)
		if ((unsigned char)s[j] >= 0x40 && (unsigned char)s[j] <= 0x7e)
			return j + 1 - i;
	return 0;
}

/*
 * The status row above the input line, cut to fit a row: it is drawn
 * again with every redraw, so the cursor goes up to it first.  It holds
 * our SGR sequences and ASCII only (window.c makes it of valid names and
 * numbers).
 */
static void
draw_status(void)
{
	char	 row[STATUS_MAX + 16];
	size_t	 n = strlen(t.status), i, o = 0, cols = 0, q, max;

	write_str("\r");
	if (t.status_drawn)
		write_str("\x1b[A");
	t.status_drawn = 0;
	if (n == 0)
		return;
	max = t.cols > 1 ? t.cols - 1 : 1;
	for (i = 0; i < n && o < STATUS_MAX; ) {
		if ((q = sgr_len(t.status, n, i)) > 0) {
			memcpy(row + o, t.status + i, q);
			o += q;
			i += q;
			continue;
		}
		if (cols == max)
			break;
		row[o++] = t.status[i++];
		cols++;
	}
	row[o] = '\0';
	write_str("\x1b[J");
	write_str(row);
	/* No SGR of ours where there was none (TERM=dumb). */
	if (strchr(row, '\x1b') != NULL)
		write_str("\x1b[0m");
	write_str("\x1b[K\r\n");
	t.status_drawn = 1;
}

static void
redraw(void)
{
	char		 move[32], pbuf[SHOWN_MAX];
	const char	*prompt;
	size_t		 promptcols, room, end, cols, curcol;

	if (!t.raw)
		return;
	prompt = shown_prompt(pbuf, sizeof(pbuf));
	promptcols = str_cols(prompt);
	room = input_cols(promptcols);
	draw_status();
	if (t.asking) {
		/* The pasted lines are not shown until they are answered for. */
		write_str("\r");
		write_str(prompt);
		write_str("\x1b[J");
		t.drawn_cur = promptcols;
		return;
	}
	/* Scroll sideways just enough to keep the cursor in view. */
	if (t.ed.cur < t.hscroll)
		t.hscroll = t.ed.cur;
	while (t.hscroll < t.ed.cur && cols_between(t.hscroll, t.ed.cur) >= room)
		t.hscroll += char_len(t.hscroll);
	for (end = t.hscroll, cols = 0; end < t.ed.len; end += char_len(end)) {
		if (cols + char_cols(end) > room)
			break;
		cols += char_cols(end);
	}
	curcol = promptcols + cols_between(t.hscroll, t.ed.cur);

	write_str("\r");
	write_str(prompt);
	write_all(t.ed.buf + t.hscroll, end - t.hscroll);
	/* To the end of the screen: a resize may have folded the old line. */
	write_str("\x1b[J\r");
	if (curcol > 0) {
		snprintf(move, sizeof(move), "\x1b[%zuC", curcol);
		write_str(move);
	}
	t.drawn_cur = curcol;
}

/* Clear the input line, and the status row above it. */
static void
clear_line(void)
{
	if (!t.raw)
		return;
	write_str("\r");
	if (t.status_drawn)
		write_str("\x1b[A");
	write_str("\x1b[J");
	t.status_drawn = 0;
}

void
tty_beep(void)
{
	if (t.raw)
		write_str("\a");
}

char *
tty_wrap(const char *s, unsigned int termcols)
{
	size_t	 len = strlen(s), width, indent, avail, start = 0, i, n, w;
	size_t	 cols, brk, brkcols, end, o = 0;
	char	*out;

	/* The last column stays empty: no wrap by the terminal. */
	width = termcols > 1 ? termcols - 1 : 1;
	indent = width / 2 < WRAP_INDENT ? width / 2 : WRAP_INDENT;
	/* At worst one row per character, each with its indent and newline. */
	if ((out = malloc(len * (indent + 2) + 1)) == NULL)
		return NULL;
	do {
		avail = start == 0 ? width : width - indent;
		cols = brkcols = 0;
		brk = start;
		for (i = start; i < len; i += n) {
			/* Our own SGR sequences take no room on the screen. */
			if ((n = sgr_len(s, len, i)) > 0)
				continue;
			n = str_char_len(s, len, i);
			w = str_char_cols(s, len, i);
			if (cols + w > avail)
				break;
			cols += w;
			if (s[i] == ' ') {
				brk = i + 1;
				brkcols = cols;
			}
		}
		end = i;
		if (i < len && s[i] == ' ')
			i++;		/* the space the row breaks at */
		else if (i < len && brk > start && 2 * brkcols > avail)
			end = i = brk;	/* after the last space, if not early */
		else if (i == start && i < len)
			/* A character wider than a row. */
			end = i += str_char_len(s, len, i);
		if (start > 0) {
			out[o++] = '\n';
			memset(out + o, ' ', indent);
			o += indent;
		}
		memcpy(out + o, s + start, end - start);
		o += end - start;
		start = i;
	} while (start < len);
	out[o] = '\0';
	return out;
}

void
tty_print(const char *s)
{
	if (t.keep != NULL) {
		t.keep(s);
		return;
	}
	tty_show(s);
}

void
tty_show(const char *s)
{
	char		*rows, *nl;
	const char	*p;

	if (!t.raw) {
		write_str(s);
		write_str("\n");
		return;
	}
	clear_line();
	if ((rows = tty_wrap(s, t.cols)) == NULL) {
		write_str(s);
		write_str("\r\n");
	} else {
		for (p = rows; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			write_all(p, (size_t)(nl - p));
			write_str("\r\n\x1b[K");
		}
		write_str(p);
		write_str("\r\n");
		free(rows);
	}
	redraw();
}

void
tty_set_prompt(const char *p)
{
	size_t	 i;

	strlcpy(t.prompt, p, sizeof(t.prompt));
	/* Prompts are ASCII (room names). */
	for (i = 0; t.prompt[i] != '\0'; i++)
		if ((unsigned char)t.prompt[i] < 0x20 ||
		    (unsigned char)t.prompt[i] >= 0x7f)
			t.prompt[i] = '?';
	redraw();
}

static void
read_width(void)
{
	struct winsize	 ws;

	if (ioctl(t.outfd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		t.cols = ws.ws_col;
		t.rows = ws.ws_row > 0 ? ws.ws_row : 24;
	} else {
		t.cols = 80;
		t.rows = 24;
	}
}

/*
 * A narrower terminal may have folded the input line we drew over several
 * rows (most terminals rewrap their lines; xterm cuts them instead), and
 * a redraw on the cursor's row would leave the first of those rows behind.
 * Where the cursor went tells which happened: the terminal is asked, and
 * cursor_report() finishes the job.
 */
void
tty_winch(void)
{
	size_t	 oldcur = t.drawn_cur;

	read_width();
	if (t.raw && t.repaint != NULL) {
		/* The whole screen again, rewrapped to the new width. */
		t.repaint();
		return;
	}
	if (t.raw && oldcur >= t.cols) {
		t.cpr_wait = 1;
		t.cpr_oldcur = oldcur;
		write_str("\x1b[6n");
	}
	redraw();
}

/* The terminal's answer to ESC [6n, "ESC [ row ; col R", after a resize. */
static void
cursor_report(const char *seq)
{
	char		 move[32];
	unsigned int	 row, col;
	size_t		 up;

	t.cpr_wait = 0;
	if (sscanf(seq, "[%u;%uR", &row, &col) != 2 || col == 0 ||
	    t.cols == 0)
		return;
	/* The cursor column before our redraw, if the line was rewrapped. */
	if ((size_t)col - 1 != t.cpr_oldcur % t.cols)
		return;
	up = t.cpr_oldcur / t.cols;
	snprintf(move, sizeof(move), "\r\x1b[%zuA\x1b[J", up);
	write_str(move);
	redraw();
}

static void	write_title(void);

/* ---------------------------------------------------------------- modes */

static int
enter_raw(void)
{
	struct termios	 raw = t.saved;

	/*
	 * Byte at a time without echo; ISIG stays on so that ^C and ^Z
	 * still raise signals, which the caller handles.
	 */
	raw.c_lflag &= ~(ICANON | ECHO | ECHONL | IEXTEN);
	raw.c_iflag &= ~(ICRNL | INLCR | IGNCR | IXON | ISTRIP);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(t.infd, TCSAFLUSH, &raw) == -1)
		return -1;
	t.raw = 1;
	/* Bracketed paste: a paste comes marked, so Enter in it is not. */
	write_str("\x1b[?2004h");
	return 0;
}

int
tty_start(int infd, int outfd)
{
	if (!isatty(infd) || !isatty(outfd))
		return -1;
	t.infd = infd;
	t.outfd = outfd;
	if (tcgetattr(infd, &t.saved) == -1)
		return -1;
	if (!t.started) {
		t.started = 1;
		atexit(tty_stop);
	}
	read_width();
	if (enter_raw() == -1)
		return -1;
	redraw();
	return 0;
}

void
tty_stop(void)
{
	if (!t.raw)
		return;
	clear_line();
	write_str("\x1b[?2004l");
	if (t.title_pushed) {
		/* The title the terminal had before ours. */
		write_str("\x1b[23;2t");
		t.title_pushed = 0;
	}
	(void)tcsetattr(t.infd, TCSAFLUSH, &t.saved);
	t.raw = 0;
	/* A paste cut short by a stop is not waited for. */
	t.paste.in = 0;
}

void
tty_suspend(void)
{
	tty_stop();
}

void
tty_resume(void)
{
	if (t.raw || t.infd == -1)
		return;
	/* The shell may have changed the terminal while we were stopped. */
	if (tcgetattr(t.infd, &t.saved) == -1)
		return;
	read_width();
	if (enter_raw() == 0) {
		if (t.title[0] != '\0')
			write_title();
		redraw();
	}
}

int
tty_active(void)
{
	return t.raw;
}

/* ---------------------------------------------------------------- editing */

/* Keys, as the editor acts on them whatever bytes brought them. */
enum tty_key {
	K_ENTER = 1,
	K_LEFT, K_RIGHT, K_HOME, K_END,
	K_UP, K_DOWN,
	K_BACKSPACE, K_DELETE, K_EOF,
	K_WORD_LEFT, K_WORD_RIGHT, K_KILL_WORD, K_KILL_WORD_BACK,
	K_RUBOUT_WORD, K_KILL_END, K_KILL_START,
	K_CLEAR, K_TAB, K_SEARCH, K_CANCEL,
	K_PAGE_UP, K_PAGE_DOWN,
	K_UNKNOWN		/* a key that does nothing here: the bell */
};

/* The text of the line is at its end: a long paste has its own limit. */
static void
too_long(void)
{
	tty_beep();
}

/* Tab with nothing to complete: spaces to the next tab stop, kept. */
static void
tab_spaces(void)
{
	static const char	 spaces[TAB_STOP + 1] = "        ";
	size_t			 col = cols_between(0, t.ed.cur);

	if (le_insert(&t.ed, spaces, TAB_STOP - col % TAB_STOP) == -1)
		too_long();
}

/*
 * Insert text that did not come key by key (a paste): what is printable
 * UTF-8 goes in, a tab as spaces to the next tab stop, a line end as a
 * blank; everything else (controls, escape sequences, bytes that are not
 * UTF-8) is left out, so that it can never reach the screen.  Returns the
 * number of bytes left out.
 */
static size_t
insert_text(const char *p, size_t n)
{
	wchar_t	 wc;
	size_t	 i, len, cols, dropped = 0;

	for (i = 0; i < n; i += len) {
		len = utf8_decode((const unsigned char *)p + i, n - i, &wc);
		if (len == 0) {
			len = 1;
			dropped++;
		} else if (p[i] == '\t')
			tab_spaces();
		else if (p[i] == '\n') {
			if (le_insert(&t.ed, " ", 1) == -1)
				return dropped + n - i;
		} else if (wc < 0x20 || wc == 0x7f || !wc_info(wc, &cols))
			dropped += len;
		else if (le_insert(&t.ed, p + i, len) == -1) {
			too_long();
			return dropped + n - i;
		}
	}
	return dropped;
}

static void
submit(tty_line_fn fn, void *arg)
{
	char	 copy[TTY_LINE_MAX + 1];

	memcpy(copy, t.ed.buf, t.ed.len);
	copy[t.ed.len] = '\0';
	le_hist_add(&t.hist, copy, t.ed.len);
	le_set(&t.ed, "", 0);
	t.hscroll = 0;
	clear_line();
	redraw();
	fn(arg, copy);
	explicit_bzero(copy, sizeof(copy));
}

static void
drop_pending(void)
{
	if (t.pend != NULL) {
		explicit_bzero(t.pend, t.pendlen);
		free(t.pend);
	}
	t.pend = NULL;
	t.pendlen = t.pendlines = 0;
	t.asking = 0;
}

/* The answer to "send N lines? (y/n)". */
static void
answer(int yes, tty_line_fn fn, void *arg)
{
	char	*pend = t.pend, *p, *nl;
	size_t	 len = t.pendlen, left, seg;

	t.pend = NULL;
	drop_pending();
	if (!yes) {
		/* Back in the editor, joined, to be edited or thrown away. */
		le_set(&t.ed, "", 0);
		(void)insert_text(pend, len);
		tty_print("secchat: the pasted lines were not sent; they are "
		    "on the input line, joined");
	} else {
		for (p = pend, left = len;; p = nl + 1) {
			nl = memchr(p, '\n', left);
			seg = nl != NULL ? (size_t)(nl - p) : left;
			le_set(&t.ed, "", 0);
			(void)insert_text(p, seg);
			if (t.ed.len > 0)
				submit(fn, arg);
			if (nl == NULL)
				break;
			left -= seg + 1;
		}
		le_set(&t.ed, "", 0);
	}
	explicit_bzero(pend, len);
	free(pend);
	redraw();
}

/*
 * A bracketed paste has ended.  One line is inserted at the cursor; more
 * (with what was typed around the cursor) wait for the user to say
 * whether to send them, as a terminal without bracketed paste would have
 * sent them at each line end.
 */
static void
paste_done(void)
{
	char	*buf = t.paste.buf, *all;
	size_t	 len = t.paste.len, lines, i, nonempty, run, alllen;

	if (t.paste.overflow) {
		tty_beep();
		tty_print("secchat: a paste longer than the limit was left out");
		return;
	}
	if (t.asking) {
		tty_beep();	/* the question waits for its answer first */
		return;
	}
	if (buf == NULL || len == 0)
		return;
	if (t.srch.active) {
		le_search_accept(&t.srch);
		le_hist_reset(&t.hist);
	}
	lines = le_paste_lines(buf, &len);
	alllen = t.ed.len + len;
	if ((all = malloc(alllen + 1)) == NULL) {
		tty_beep();
		return;
	}
	memcpy(all, t.ed.buf, t.ed.cur);
	memcpy(all + t.ed.cur, buf, len);
	memcpy(all + t.ed.cur + len, t.ed.buf + t.ed.cur,
	    t.ed.len - t.ed.cur);
	all[alllen] = '\0';
	/* Count the lines that say something; any too long? */
	nonempty = run = 0;
	for (i = 0; i <= alllen; i++) {
		if (i == alllen || all[i] == '\n') {
			if (run > TTY_LINE_MAX)
				break;
			nonempty += run > 0;
			run = 0;
		} else
			run++;
	}
	if (i <= alllen) {
		explicit_bzero(all, alllen);
		free(all);
		tty_beep();
		tty_print("secchat: a pasted line is longer than the input "
		    "line can be; the paste was left out");
		return;
	}
	if (lines == 1) {
		explicit_bzero(all, alllen);
		free(all);
		if (insert_text(buf, len) > 0)
			tty_beep();
		return;
	}
	if (nonempty <= 1) {
		/* Blank lines around one line: that line, to edit. */
		for (i = 0, run = 0; i < alllen; i = run + 1) {
			for (run = i; run < alllen && all[run] != '\n'; run++)
				;
			if (run > i)
				break;
		}
		le_set(&t.ed, "", 0);
		if (i < alllen && insert_text(all + i, run - i) > 0)
			tty_beep();
		explicit_bzero(all, alllen);
		free(all);
		return;
	}
	t.pend = all;
	t.pendlen = alllen;
	t.pendlines = nonempty;
	t.asking = 1;
	le_set(&t.ed, "", 0);
}

/* A key while "send N lines? (y/n)" is asked. */
static void
asking_key(int key, const char *text, tty_line_fn fn, void *arg)
{
	if (text != NULL && (text[0] == 'y' || text[0] == 'Y') &&
	    text[1] == '\0')
		answer(1, fn, arg);
	else if ((text != NULL && (text[0] == 'n' || text[0] == 'N') &&
	    text[1] == '\0') || key == K_CANCEL)
		answer(0, fn, arg);
	else
		tty_beep();
}

/* Typed text (one character): into the line, or the search, or asked. */
static void
text_key(const char *p, size_t n, tty_line_fn fn, void *arg)
{
	char	 one[5];

	complete_reset(&t.comp);
	if (t.asking) {
		if (n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			asking_key(0, one, fn, arg);
		}
		return;
	}
	if (t.srch.active) {
		if (le_search_add(&t.srch, &t.hist, &t.ed, p, n) == -1 ||
		    t.srch.failed)
			tty_beep();
		redraw();
		return;
	}
	if (le_insert(&t.ed, p, n) == -1)
		too_long();
	redraw();
}

/* A key while ^R searches: its own keys, or leave with the line found. */
static int
search_key(int key)
{
	switch (key) {
	case K_SEARCH:
		le_search_start(&t.srch, &t.hist, &t.ed);
		if (t.srch.failed)
			tty_beep();
		return 1;
	case K_BACKSPACE:
		le_search_back(&t.srch, &t.hist, &t.ed);
		return 1;
	case K_CANCEL:
		le_search_cancel(&t.srch, &t.ed);
		le_hist_reset(&t.hist);
		return 1;
	default:
		le_search_accept(&t.srch);
		le_hist_reset(&t.hist);
		return 0;
	}
}

static void
key(int k, tty_line_fn fn, void *arg)
{
	struct le_line	*l = &t.ed;

	if (k != K_TAB)
		complete_reset(&t.comp);
	if (t.asking) {
		asking_key(k, NULL, fn, arg);
		return;
	}
	if (t.srch.active && search_key(k)) {
		redraw();
		return;
	}
	switch (k) {
	case K_ENTER:
		submit(fn, arg);
		return;
	case K_EOF:
		if (l->len == 0) {
			fn(arg, NULL);
			return;
		}
		le_delete(l);
		break;
	case K_LEFT:
		le_left(l);
		break;
	case K_RIGHT:
		le_right(l);
		break;
	case K_HOME:
		l->cur = 0;
		break;
	case K_END:
		l->cur = l->len;
		break;
	case K_UP:
		if (le_hist_up(&t.hist, l) == -1)
			tty_beep();
		break;
	case K_DOWN:
		if (le_hist_down(&t.hist, l) == -1)
			tty_beep();
		break;
	case K_BACKSPACE:
		le_backspace(l);
		break;
	case K_DELETE:
		le_delete(l);
		break;
	case K_WORD_LEFT:
		le_word_left(l);
		break;
	case K_WORD_RIGHT:
		le_word_right(l);
		break;
	case K_KILL_WORD:
		le_kill_word(l);
		break;
	case K_KILL_WORD_BACK:
		le_kill_word_back(l);
		break;
	case K_RUBOUT_WORD:
		le_rubout_word(l);
		break;
	case K_KILL_END:
		le_kill_to_end(l);
		break;
	case K_KILL_START:
		le_kill_to_start(l);
		break;
	case K_CLEAR:
		if (t.raw && t.repaint != NULL) {
			t.repaint();
			return;
		}
		if (t.raw) {
			write_str("\x1b[H\x1b[2J");
			t.status_drawn = 0;
		}
		break;
	case K_PAGE_UP:
	case K_PAGE_DOWN:
		if (t.winkey == NULL) {
			tty_beep();
			break;
		}
		t.winkey(k == K_PAGE_UP ? TTY_WK_PAGE_UP : TTY_WK_PAGE_DOWN,
		    0);
		return;
	case K_TAB:
		if (complete_tab(&t.comp, l) == -1)
			tab_spaces();
		break;
	case K_SEARCH:
		le_search_start(&t.srch, &t.hist, l);
		break;
	default:
		tty_beep();
		break;
	}
	redraw();
}

/* A finished escape sequence: the keys we know, the rest ignored. */
static void
escape_key(tty_line_fn fn, void *arg)
{
	static const struct {
		const char	*seq;
		int		 key;
	} keys[] = {
		{ "[A", K_UP }, { "OA", K_UP },
		{ "[B", K_DOWN }, { "OB", K_DOWN },
		{ "[C", K_RIGHT }, { "OC", K_RIGHT },
		{ "[D", K_LEFT }, { "OD", K_LEFT },
		{ "[H", K_HOME }, { "OH", K_HOME },
		{ "[1~", K_HOME }, { "[7~", K_HOME },
		{ "[F", K_END }, { "OF", K_END },
		{ "[4~", K_END }, { "[8~", K_END },
		{ "[3~", K_DELETE },
		/* Ctrl- and Alt-Left/Right, as xterm and rxvt send them. */
		{ "[1;5C", K_WORD_RIGHT }, { "[1;3C", K_WORD_RIGHT },
		{ "[5C", K_WORD_RIGHT }, { "Oc", K_WORD_RIGHT },
		{ "[1;5D", K_WORD_LEFT }, { "[1;3D", K_WORD_LEFT },
		{ "[5D", K_WORD_LEFT }, { "Od", K_WORD_LEFT },
		{ "[3;5~", K_KILL_WORD }, { "[3;3~", K_KILL_WORD },
		{ "[5~", K_PAGE_UP }, { "[6~", K_PAGE_DOWN },
	};
	const char	*s = t.seq;
	size_t		 i;

	if (t.cpr_wait && s[0] == '[' && s[t.seqlen - 1] == 'R' &&
	    strchr(s, ';') != NULL) {
		cursor_report(s);
		return;
	}
	if (strcmp(s, "[200~") == 0) {
		le_paste_begin(&t.paste);
		return;
	}
	if (strcmp(s, "[201~") == 0)
		return;		/* the end of a paste that never began */
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(s, keys[i].seq) == 0) {
			key(keys[i].key, fn, arg);
			return;
		}
}

/* Alt and a key, which the terminal sends as ESC and the key. */
static void
meta_key(unsigned char c, tty_line_fn fn, void *arg)
{
	switch (c) {
	case 'b':
	case 'B':
		key(K_WORD_LEFT, fn, arg);
		break;
	case 'f':
	case 'F':
		key(K_WORD_RIGHT, fn, arg);
		break;
	case 'd':
	case 'D':
		key(K_KILL_WORD, fn, arg);
		break;
	case 0x7f:
	case 0x08:
		key(K_KILL_WORD_BACK, fn, arg);
		break;
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		/* Alt-1..9 are windows 1 to 9, Alt-0 window 10. */
		if (t.winkey != NULL)
			t.winkey(TTY_WK_SWITCH, c == '0' ? 10 : c - '0');
		break;
	default:
		break;		/* other Meta keys: ignored */
	}
}

/* Typed bytes that are not UTF-8: said once, as the bell is easy to miss. */
static void
not_utf8(void)
{
	tty_beep();
	if (t.warned_utf8)
		return;
	t.warned_utf8 = 1;
	tty_print("secchat: the terminal sent text that is not UTF-8, which "
	    "was left out; set it (and LANG) to UTF-8");
}

static void
control_key(unsigned char c, tty_line_fn fn, void *arg)
{
	static const int	 ctrl[32] = {
		[0x01] = K_HOME,	/* ^A */
		[0x02] = K_LEFT,	/* ^B */
		[0x04] = K_EOF,		/* ^D */
		[0x05] = K_END,		/* ^E */
		[0x06] = K_RIGHT,	/* ^F */
		[0x07] = K_CANCEL,	/* ^G */
		[0x08] = K_BACKSPACE,	/* ^H */
		['\t'] = K_TAB,
		['\n'] = K_ENTER,
		[0x0b] = K_KILL_END,	/* ^K */
		[0x0c] = K_CLEAR,	/* ^L */
		['\r'] = K_ENTER,
		[0x0e] = K_DOWN,	/* ^N */
		[0x10] = K_UP,		/* ^P */
		[0x12] = K_SEARCH,	/* ^R */
		[0x15] = K_KILL_START,	/* ^U */
		[0x17] = K_RUBOUT_WORD,	/* ^W */
	};

	if (c == 0x1b) {
		t.ks = KS_ESC;
		t.seqlen = 0;
		return;
	}
	if (c == 0x7f)
		key(K_BACKSPACE, fn, arg);
	else
		key(ctrl[c] != 0 ? ctrl[c] : K_UNKNOWN, fn, arg);
}

/* A whole multibyte character: insert it if it is printable. */
static void
multibyte_done(tty_line_fn fn, void *arg)
{
	wchar_t	 wc;
	size_t	 cols;

	t.ks = KS_NORMAL;
	if (utf8_decode(t.mb, t.mblen, &wc) != t.mblen)
		not_utf8();
	else if (wc_info(wc, &cols)) {
		text_key((const char *)t.mb, t.mblen, fn, arg);
		if (!locale_is_utf8() && !t.warned_locale) {
			t.warned_locale = 1;
			tty_print("secchat: the locale is not UTF-8, so text "
			    "is sent as UTF-8 but shown escaped; set LANG to "
			    "a UTF-8 locale");
		}
	} else
		tty_beep();
}

static void
feed_byte(unsigned char c, tty_line_fn fn, void *arg)
{
	int	 r;

	if (t.paste.in) {
		/* Out of memory drops the paste, which paste_done() says. */
		if ((r = le_paste_byte(&t.paste, c)) == 1) {
			paste_done();
			redraw();
		}
		return;
	}
	switch (t.ks) {
	case KS_ESC:
		if (c == '[' || c == 'O') {
			t.seq[0] = (char)c;
			t.seqlen = 1;
			t.ks = KS_CSI;
		} else {
			t.ks = KS_NORMAL;
			meta_key(c, fn, arg);
		}
		return;
	case KS_CSI:
		if (t.seqlen < ESCSEQ_MAX - 1)
			t.seq[t.seqlen++] = (char)c;
		if (c >= 0x40 && c <= 0x7e) {
			t.seq[t.seqlen] = '\0';
			t.ks = KS_NORMAL;
			escape_key(fn, arg);
			redraw();
		}
		return;
	case KS_UTF8:
		if ((c & 0xc0) != 0x80) {
			t.ks = KS_NORMAL;
			not_utf8();
			break;		/* start over with this byte */
		}
		t.mb[t.mblen++] = c;
		if (t.mblen == t.mbneed)
			multibyte_done(fn, arg);
		return;
	case KS_NORMAL:
		break;
	}
	if (c < 0x20 || c == 0x7f) {
		control_key(c, fn, arg);
		return;
	}
	if (c < 0x80) {
		text_key((const char *)&c, 1, fn, arg);
		return;
	}
	t.mb[0] = c;
	t.mblen = 1;
	if (c >= 0xc2 && c <= 0xdf)
		t.mbneed = 2;
	else if (c >= 0xe0 && c <= 0xef)
		t.mbneed = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		t.mbneed = 4;
	else {
		not_utf8();
		return;
	}
	t.ks = KS_UTF8;
}

void
tty_feed(const unsigned char *p, size_t n, tty_line_fn fn, void *arg)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		feed_byte(p[i], fn, arg);
}

const char *
tty_current(size_t *cur)
{
	if (cur != NULL)
		*cur = t.ed.cur;
	return t.ed.buf;
}

const char *
tty_question(void)
{
	static char	 buf[SHOWN_MAX];

	if (!t.asking && !t.srch.active)
		return NULL;
	return shown_prompt(buf, sizeof(buf));
}

void
tty_reset(void)
{
	le_set(&t.ed, "", 0);
	t.hscroll = 0;
	if (t.srch.active)
		le_search_cancel(&t.srch, &t.ed);
	le_hist_free(&t.hist);
	le_paste_free(&t.paste);
	drop_pending();
	complete_reset(&t.comp);
	t.ks = KS_NORMAL;
}

/* ---------------------------------------------------------------- screen */

static void
write_title(void)
{
	if (!t.title_pushed) {
		/* Save the terminal's title, to give it back at the end. */
		write_str("\x1b[22;2t");
		t.title_pushed = 1;
	}
	write_str("\x1b]2;");
	write_str(t.title);
	write_str("\x07");
}

void
tty_set_title(const char *s)
{
	size_t	 i;

	if (strcmp(s, t.title) == 0 && t.title_pushed)
		return;
	strlcpy(t.title, s, sizeof(t.title));
	/* Printable ASCII only: nothing can end the sequence early. */
	for (i = 0; t.title[i] != '\0'; i++)
		if ((unsigned char)t.title[i] < 0x20 ||
		    (unsigned char)t.title[i] >= 0x7f)
			t.title[i] = '?';
	if (t.raw)
		write_title();
}

void
tty_set_status(const char *s)
{
	size_t	 i;

	strlcpy(t.status, s != NULL ? s : "", sizeof(t.status));
	/* Our SGR sequences and printable ASCII, nothing else. */
	for (i = 0; t.status[i] != '\0'; i++)
		if (((unsigned char)t.status[i] < 0x20 &&
		    t.status[i] != '\x1b') ||
		    (unsigned char)t.status[i] >= 0x7f)
			t.status[i] = '?';
	redraw();
}

void
tty_set_screen(tty_keep_fn keep, tty_repaint_fn repaint,
    tty_winkey_fn winkey)
{
	t.keep = keep;
	t.repaint = repaint;
	t.winkey = winkey;
}

unsigned int
tty_rows(void)
{
	return t.rows > 0 ? t.rows : 24;
}

unsigned int
tty_cols(void)
{
	return t.cols > 0 ? t.cols : 80;
}

void
tty_paint(const char *const *lines, size_t n)
{
	char		**wrapped;
	size_t		 avail, used = 0, first, i, skip, r;
	const char	*p, *nl;

	if (!t.raw)
		return;
	avail = tty_rows() > 2 ? tty_rows() - (t.status[0] != '\0' ? 2 : 1) :
	    1;
	if ((wrapped = calloc(n > 0 ? n : 1, sizeof(*wrapped))) == NULL)
		return;
	/* From the last line back, as many as fill the screen. */
	for (first = n; first > 0 && used < avail; first--) {
		if ((wrapped[first - 1] = tty_wrap(lines[first - 1],
		    t.cols)) == NULL)
			break;
		for (r = 1, p = wrapped[first - 1]; (p = strchr(p, '\n'))
		    != NULL; p++)
			r++;
		used += r;
	}
	write_str("\x1b[H\x1b[2J");
	t.status_drawn = 0;
	for (r = used; r < avail; r++)
		write_str("\r\n");
	/* Rows of the first line that do not fit are left out. */
	skip = used > avail ? used - avail : 0;
	for (i = first; i < n; i++) {
		if (wrapped[i] == NULL)
			continue;
		for (p = wrapped[i];; p = nl + 1) {
			nl = strchr(p, '\n');
			if (skip > 0)
				skip--;
			else {
				write_all(p, nl != NULL ? (size_t)(nl - p) :
				    strlen(p));
				write_str("\r\n");
			}
			if (nl == NULL)
				break;
		}
		free(wrapped[i]);
	}
	free(wrapped);
	redraw();
}
