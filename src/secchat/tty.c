/*
 * tty.c: a small line editor for the interactive client.
 *
 * The input line is kept as UTF-8 bytes with a cursor byte offset.  Every
 * change redraws the whole line (prompt and the visible part of the input)
 * from column 0: it is short, and redrawing is what keeps incoming lines
 * from garbling what is being typed.
 */
#include "config.h"

#include <sys/ioctl.h>

#include <errno.h>
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
} t = { .infd = -1, .outfd = -1 };

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
	unsigned char	 c = (unsigned char)t.line[i];
	size_t		 n = 1;

	if (c >= 0xf0)
		n = 4;
	else if (c >= 0xe0)
		n = 3;
	else if (c >= 0xc0)
		n = 2;
	return i + n <= t.len ? n : t.len - i;
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
	wchar_t	 wc;
	size_t	 n = char_len(i);
	int	 w;

	if (n == 1)
		return 1;
	if (mbtowc(&wc, t.line + i, n) <= 0 || (w = wcwidth(wc)) < 0)
		return 1;
	return (size_t)w;
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
	write_str("\x1b[K\r");
	if (curcol > 0) {
		snprintf(move, sizeof(move), "\x1b[%zuC", curcol);
		write_str(move);
	}
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

void
tty_print(const char *s)
{
	if (!t.raw) {
		write_str(s);
		write_str("\n");
		return;
	}
	clear_line();
	write_str(s);
	write_str("\r\n");
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

void
tty_winch(void)
{
	read_width();
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

	if (strcmp(s, "[C") == 0 || strcmp(s, "OC") == 0) {
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

	if (mbtowc(&wc, (const char *)t.mb, t.mblen) == (int)t.mblen &&
	    iswprint((wint_t)wc))
		insert((const char *)t.mb, t.mblen);
	else
		tty_beep();
	t.ks = KS_NORMAL;
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
			tty_beep();
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
		tty_beep();
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
