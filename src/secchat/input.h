/*
 * input.h: the lines the user gives: typed at the terminal (tty.c edits
 * them), or read from standard input in pipe mode, where they are acted
 * on only as fast as the server takes them in (see PING_EVERY).
 */
#ifndef SECCHAT_INPUT_H
#define SECCHAT_INPUT_H

#include "session.h"

#define STDIN_LINE_MAX		(CS_TEXT_MAX + 64)
#define OUTPUT_HIGH_WATER	65536	/* stop reading input above this */

struct client;

/* Standard input is readable: read it and act on what is whole. */
void	input_read(struct client *);
/* Act on the lines read so far as far as the window allows (pipe mode). */
void	input_pump(struct client *);
/* Whether pipe mode may act on another line now. */
int	input_window_open(const struct client *);

#endif
