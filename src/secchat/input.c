/*
 * input.c: the lines the user gives.  At the terminal the line editor
 * hands over each finished line.  In pipe mode standard input is read
 * into a buffer and each whole line is acted on only while the window is
 * open: few enough PINGs unanswered, little enough output unsent.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "commands.h"
#include "input.h"
#include "session.h"
#include "tty.h"

/* The line editor's callback. */
static void
tty_line(void *arg, const char *line)
{
	struct client	*c = arg;
	char		*copy;
	unsigned long	 before = c->failures;

	if (line == NULL) {
		client_leave(c, "exit");
		return;
	}
	/* Disconnected: kept to send once reconnected, and said so. */
	if (client_hold_line(c, line))
		return;
	if ((copy = strdup(line)) == NULL)
		err(EXIT_ERROR, "strdup");
	cmd_line(c, copy);
	free(copy);
	client_line_done(c, line, before);
}

static void
pipe_line(struct client *c, char *line, size_t len)
{
	char		 why[128];
	const char	*problem;

	c->lineno++;
	/* A file with DOS line ends: the CR is part of the line's end. */
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (len > 0 && (problem = cs_text_problem(line, len, why,
	    sizeof(why))) != NULL) {
		client_refuse(c, "input line %lu %s; not sent", c->lineno,
		    problem);
		return;
	}
	cmd_line(c, line);
}

/* Whether pipe mode may act on another line now (see PING_EVERY). */
int
input_window_open(const struct client *c)
{
	return c->pings_out < PINGS_OUT_MAX &&
	    buf_used(cs_output(c->cs)) < OUTPUT_HIGH_WATER;
}

/*
 * Act on the whole lines read so far, as far as the window allows; at the
 * end of input, on the last line even without a newline, and then leave.
 */
void
input_pump(struct client *c)
{
	char	*start = c->inbuf, *nl;
	size_t	 left = c->inlen, n;

	if (c->interactive || !c->ready)
		return;
	while (!c->quitting && input_window_open(c) && left > 0 &&
	    (nl = memchr(start, '\n', left)) != NULL) {
		n = (size_t)(nl - start);
		*nl = '\0';
		if (c->skipping)
			c->skipping = 0;
		else
			pipe_line(c, start, n);
		start = nl + 1;
		left -= n + 1;
	}
	memmove(c->inbuf, start, left);
	c->inlen = left;
	if (c->quitting || !c->stdin_eof)
		return;
	if (c->inlen > 0 && memchr(c->inbuf, '\n', c->inlen) != NULL)
		return;		/* whole lines wait for the window */
	if (c->inlen > 0) {
		if (!input_window_open(c))
			return;
		c->inbuf[c->inlen] = '\0';
		if (!c->skipping)
			pipe_line(c, c->inbuf, c->inlen);
		c->inlen = 0;
	}
	client_leave(c, "exit");
}

void
input_read(struct client *c)
{
	unsigned char	 buf[4096];
	ssize_t		 n;

	if (c->interactive) {
		n = read(STDIN_FILENO, buf, sizeof(buf));
		if (n > 0)
			tty_feed(buf, (size_t)n, tty_line, c);
		else if (n == 0 || (errno != EINTR && errno != EAGAIN))
			client_leave(c, "exit");
		return;
	}
	n = read(STDIN_FILENO, c->inbuf + c->inlen, STDIN_LINE_MAX - c->inlen);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		client_note(c, "standard input: %s", strerror(errno));
		c->stdin_eof = 1;
		input_pump(c);
		return;
	}
	if (n == 0)
		c->stdin_eof = 1;
	c->inlen += (size_t)n;
	input_pump(c);
	if (c->inlen == STDIN_LINE_MAX &&
	    memchr(c->inbuf, '\n', c->inlen) == NULL) {
		if (!c->skipping) {
			c->lineno++;
			client_refuse(c, "input line %lu is longer than %d "
			    "bytes; not sent", c->lineno, STDIN_LINE_MAX);
		}
		c->skipping = 1;
		c->inlen = 0;
	}
}
