/*
 * colour.h: the colours and attributes of the interactive screen.
 *
 * Only the client emits SGR sequences, and only around text that output.c
 * has already made safe: nothing a peer sends can choose a colour or
 * reach the terminal as an escape sequence.  Pipe mode never calls here.
 */
#ifndef SECCHAT_COLOUR_H
#define SECCHAT_COLOUR_H

/* What the user asked for: -o Colour=auto|yes|no. */
enum colour_want {
	COLOUR_AUTO,
	COLOUR_YES,
	COLOUR_NO
};

/* What the screen gets. */
enum colour_mode {
	COLOUR_NONE,	/* no SGR at all (TERM=dumb, not a terminal) */
	COLOUR_MONO,	/* attributes (bold, reverse), no colours */
	COLOUR_FULL
};

enum colour_style {
	CS_NOTICE,	/* "-- " lines: comings, goings, lists */
	CS_ERROR,	/* errors, warnings, secchat's own complaints */
	CS_OWN,		/* your own name on your lines */
	CS_HISTORY,	/* lines from the room's history */
	CS_MENTION,	/* a line that names you, or a private message */
	CS_PRIVATE,	/* the "[private ...]" tag */
	CS_STATUS,	/* the status line */
	CS_STYLE_COUNT
};

/* The palette that user names are coloured from. */
#define COLOUR_PALETTE_SIZE	12

/*
 * The mode for what is wanted.  tty: standard output is a terminal; term:
 * $TERM; no_color: $NO_COLOR (https://no-color.org: set and not empty
 * means no colours).  An explicit Colour=yes wins over NO_COLOR, as a
 * command line option should; a dumb terminal (or none) gets no SGR at
 * all unless Colour=yes says otherwise.
 */
enum colour_mode colour_decide(enum colour_want, int tty, const char *term,
	    const char *no_color);
/* "auto", "yes", "no" (and "always", "never"); -1 if none of them. */
int	 colour_parse_want(const char *, enum colour_want *);

void	 colour_set_mode(enum colour_mode);
enum colour_mode colour_get_mode(void);
/*
 * Whether the terminal takes escape sequences beyond SGR's (the title):
 * what colour_decide() said about TERM, kept for window.c.
 */
int	 colour_term_capable(const char *term);

/* A name's place in the palette: the same for the same name, always. */
unsigned int	 colour_nick_index(const char *name);
/* The SGR that starts a name's colour, or "" (mono, none). */
const char	*colour_nick(const char *name);
/* The SGR that starts a style, or "". */
const char	*colour_style(enum colour_style);
/* The SGR that ends a colour or style, or "" when none is emitted. */
const char	*colour_reset(void);

#endif
