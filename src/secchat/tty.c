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

#include "tty.h"

#define PROMPT_MAX	128
#define ESCSEQ_MAX	16
#define TAB_STOP	8
/* Rows after the first of a printed line start this far in ("20:01 "). */
#define WRAP_INDENT	6

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
	size_t		 promptcols;
	char		 line[TTY_LINE_MAX + 1];
	size_t		 len;		/* bytes in line */
	size_t		 cur;		/* cursor, byte offset */
	size_t		 hscroll;	/* first byte shown */
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
	return str_char_len(t.line, t.len, i);
}

/* Start of the character before byte offset i. */
static size_t
char_before(size_t i)
{
	if (i == 0)
		return 0;
	i--;
	while (i > 0 && ((unsigned char)t.line[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/* Columns the character at line[i] takes on the screen. */
static size_t
char_cols(size_t i)
{
	return str_char_cols(t.line, t.len, i);
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

/* Columns left for the input; the last column stays empty (no wrap). */
static size_t
input_cols(void)
{
	size_t	 room = t.cols > t.promptcols + 1 ?
	    t.cols - t.promptcols - 1 : 1;

	return room;
}

static void
redraw(void)
{
	char	 move[32];
	size_t	 room = input_cols(), end, cols, curcol;

	if (!t.raw)
		return;
	/* Scroll sideways just enough to keep the cursor in view. */
	if (t.cur < t.hscroll)
		t.hscroll = t.cur;
	while (t.hscroll < t.cur && cols_between(t.hscroll, t.cur) >= room)
		t.hscroll += char_len(t.hscroll);
	for (end = t.hscroll, cols = 0; end < t.len; end += char_len(end)) {
		if (cols + char_cols(end) > room)
			break;
		cols += char_cols(end);
	}
	curcol = t.promptcols + cols_between(t.hscroll, t.cur);

	write_str("\r");
	write_str(t.prompt);
	write_all(t.line + t.hscroll, end - t.hscroll);
	/* To the end of the screen: a resize may have folded the old line. */
	write_str("\x1b[J\r");
	if (curcol > 0) {
		snprintf(move, sizeof(move), "\x1b[%zuC", curcol);
		write_str(move);
	}
	t.drawn_cur = curcol;
}

static void
clear_line(void)
{
	if (t.raw)
		write_str("\r\x1b[K");
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
	t.promptcols = strlen(t.prompt);
	redraw();
}

static void
read_width(void)
{
	struct winsize	 ws;

	if (ioctl(t.outfd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		t.cols = ws.ws_col;
	else
		t.cols = 80;
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
	(void)tcsetattr(t.infd, TCSAFLUSH, &t.saved);
	t.raw = 0;
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
	if (enter_raw() == 0)
		redraw();
}

int
tty_active(void)
{
	return t.raw;
}

/* ---------------------------------------------------------------- editing */

static void
insert(const char *p, size_t n)
{
	if (t.len + n > TTY_LINE_MAX) {
		tty_beep();
		return;
	}
	memmove(t.line + t.cur + n, t.line + t.cur, t.len - t.cur);
	memcpy(t.line + t.cur, p, n);
	t.len += n;
	t.cur += n;
}

static void
delete_range(size_t from, size_t to)
{
	memmove(t.line + from, t.line + to, t.len - to);
	t.len -= to - from;
	if (t.cur > to)
		t.cur -= to - from;
	else if (t.cur > from)
		t.cur = from;
}

static void
backspace(void)
{
	if (t.cur > 0)
		delete_range(char_before(t.cur), t.cur);
}

static void
delete_char(void)
{
	if (t.cur < t.len)
		delete_range(t.cur, t.cur + char_len(t.cur));
}

static void
delete_word(void)
{
	size_t	 i = t.cur;

	while (i > 0 && t.line[i - 1] == ' ')
		i--;
	while (i > 0 && t.line[i - 1] != ' ')
		i--;
	delete_range(i, t.cur);
}

static void
submit(tty_line_fn fn, void *arg)
{
	char	 copy[TTY_LINE_MAX + 1];

	memcpy(copy, t.line, t.len);
	copy[t.len] = '\0';
	t.len = t.cur = t.hscroll = 0;
	clear_line();
	redraw();
	fn(arg, copy);
	explicit_bzero(copy, sizeof(copy));
}

/* A finished escape sequence: the keys we know, the rest ignored. */
static void
escape_key(void)
{
	const char	*s = t.seq;

	if (t.cpr_wait && s[0] == '[' && s[t.seqlen - 1] == 'R' &&
	    strchr(s, ';') != NULL)
		cursor_report(s);
	else if (strcmp(s, "[C") == 0 || strcmp(s, "OC") == 0) {
		if (t.cur < t.len)
			t.cur += char_len(t.cur);
	} else if (strcmp(s, "[D") == 0 || strcmp(s, "OD") == 0)
		t.cur = char_before(t.cur);
	else if (strcmp(s, "[H") == 0 || strcmp(s, "OH") == 0 ||
	    strcmp(s, "[1~") == 0 || strcmp(s, "[7~") == 0)
		t.cur = 0;
	else if (strcmp(s, "[F") == 0 || strcmp(s, "OF") == 0 ||
	    strcmp(s, "[4~") == 0 || strcmp(s, "[8~") == 0)
		t.cur = t.len;
	else if (strcmp(s, "[3~") == 0)
		delete_char();
}

/*
 * Tab.  Nothing completes yet, so it is kept, as the spaces up to the next
 * tab stop: a pasted tab must not glue two words together.
 */
static void
tab_key(void)
{
	static const char	 spaces[TAB_STOP + 1] = "        ";
	size_t			 col = cols_between(0, t.cur);

	insert(spaces, TAB_STOP - col % TAB_STOP);
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

/* Returns 1 if the line was submitted or closed (stop feeding). */
static int
control_key(unsigned char c, tty_line_fn fn, void *arg)
{
	switch (c) {
	case '\r':
	case '\n':
		submit(fn, arg);
		return 1;
	case 0x01:			/* ^A */
		t.cur = 0;
		break;
	case 0x02:			/* ^B */
		t.cur = char_before(t.cur);
		break;
	case 0x04:			/* ^D */
		if (t.len == 0) {
			fn(arg, NULL);
			return 1;
		}
		delete_char();
		break;
	case 0x05:			/* ^E */
		t.cur = t.len;
		break;
	case 0x06:			/* ^F */
		if (t.cur < t.len)
			t.cur += char_len(t.cur);
		break;
	case 0x08:			/* ^H */
	case 0x7f:			/* DEL */
		backspace();
		break;
	case '\t':
		tab_key();
		break;
	case 0x0b:			/* ^K */
		t.len = t.cur;
		break;
	case 0x0c:			/* ^L */
		write_str("\x1b[H\x1b[2J");
		break;
	case 0x15:			/* ^U */
		delete_range(0, t.cur);
		break;
	case 0x17:			/* ^W */
		delete_word();
		break;
	case 0x1b:
		t.ks = KS_ESC;
		t.seqlen = 0;
		return 0;
	default:
		tty_beep();
		break;
	}
	redraw();
	return 0;
}

/* A whole multibyte character: insert it if it is printable. */
static void
multibyte_done(void)
{
	wchar_t	 wc;
	size_t	 cols;

	t.ks = KS_NORMAL;
	if (utf8_decode(t.mb, t.mblen, &wc) != t.mblen)
		not_utf8();
	else if (wc_info(wc, &cols)) {
		insert((const char *)t.mb, t.mblen);
		if (!locale_is_utf8() && !t.warned_locale) {
			t.warned_locale = 1;
			tty_print("secchat: the locale is not UTF-8, so text "
			    "is sent as UTF-8 but shown escaped; set LANG to "
			    "a UTF-8 locale");
		}
	} else
		tty_beep();
	redraw();
}

static void
feed_byte(unsigned char c, tty_line_fn fn, void *arg)
{
	switch (t.ks) {
	case KS_ESC:
		if (c == '[' || c == 'O') {
			t.seq[0] = (char)c;
			t.seqlen = 1;
			t.ks = KS_CSI;
		} else
			t.ks = KS_NORMAL;	/* Meta keys: ignored */
		return;
	case KS_CSI:
		if (t.seqlen < ESCSEQ_MAX - 1)
			t.seq[t.seqlen++] = (char)c;
		if (c >= 0x40 && c <= 0x7e) {
			t.seq[t.seqlen] = '\0';
			t.ks = KS_NORMAL;
			escape_key();
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
			multibyte_done();
		return;
	case KS_NORMAL:
		break;
	}
	if (c < 0x20 || c == 0x7f) {
		(void)control_key(c, fn, arg);
		return;
	}
	if (c < 0x80) {
		insert((const char *)&c, 1);
		redraw();
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
