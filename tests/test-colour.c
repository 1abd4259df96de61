/*
 * test-colour.c: which colour a user name gets, and when there are none.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colour.h"
#include "tap.h"

/* Whether an SGR sequence sets a colour (30-49, 90-107). */
static int
has_colour(const char *s)
{
	long	 v;
	char	*end;

	if (strncmp(s, "\x1b[", 2) != 0)
		return 0;
	for (s += 2; *s != '\0' && *s != 'm'; s = *end == ';' ? end + 1 : end) {
		v = strtol(s, &end, 10);
		if (end == s)
			return 1;
		if ((v >= 30 && v <= 49) || (v >= 90 && v <= 107))
			return 1;
	}
	return 0;
}

int
main(void)
{
	static const char *const names[] = { "alice", "bob", "carol",
	    "dave", "eve", "mallory" };
	unsigned int	 idx[6], distinct = 0, i, j, seen;
	const char	*a;

	/* Stable: the same name, the same colour, whatever came between. */
	colour_set_mode(COLOUR_FULL);
	a = colour_nick("alice");
	(void)colour_nick("bob");
	tap_ok(strcmp(a, colour_nick("alice")) == 0 &&
	    colour_nick_index("alice") == colour_nick_index("alice"),
	    "a name keeps its colour");
	/* FNV-1a: fixed values, so the colour is the same on every machine. */
	tap_ok(colour_nick_index("alice") < COLOUR_PALETTE_SIZE,
	    "the index is in the palette");
	tap_ok(has_colour(colour_nick("alice")), "full: a name has a colour");
	for (i = 0; i < 6; i++)
		idx[i] = colour_nick_index(names[i]);
	for (i = 0; i < 6; i++) {
		for (seen = 0, j = 0; j < i; j++)
			seen |= idx[j] == idx[i];
		distinct += !seen;
	}
	tap_ok(distinct >= 4, "six names get at least four colours (%u)",
	    distinct);
	for (i = 0, seen = 0; i < 500; i++) {
		char	 n[16];
		const char *s;

		snprintf(n, sizeof(n), "user%u", i);
		s = colour_nick(n);
		seen |= strcmp(s, "\x1b[30m") == 0 ||
		    strcmp(s, "\x1b[37m") == 0 ||
		    strcmp(s, "\x1b[90m") == 0 || strcmp(s, "\x1b[97m") == 0;
	}
	tap_ok(!seen, "no name of 500 is black, white or grey");
	tap_ok(strncmp(colour_style(CS_ERROR), "\x1b[", 2) == 0 &&
	    strcmp(colour_style(CS_ERROR), colour_style(CS_NOTICE)) != 0 &&
	    strcmp(colour_style(CS_OWN), colour_style(CS_MENTION)) != 0,
	    "errors, notices, own lines and mentions differ");

	/* Monochrome: attributes, no colour. */
	colour_set_mode(COLOUR_MONO);
	tap_ok(*colour_nick("alice") == '\0', "mono: names uncoloured");
	for (i = 0, seen = 0; i < CS_STYLE_COUNT; i++)
		seen |= has_colour(colour_style((enum colour_style)i));
	tap_ok(!seen, "mono: styles have no colour (3x, 4x)");
	colour_set_mode(COLOUR_NONE);
	tap_ok(*colour_nick("alice") == '\0' &&
	    *colour_style(CS_ERROR) == '\0' && *colour_reset() == '\0',
	    "none: no SGR at all");

	/* What decides. */
	tap_ok(colour_decide(COLOUR_AUTO, 1, "xterm", NULL) == COLOUR_FULL,
	    "auto on a terminal: colour");
	tap_ok(colour_decide(COLOUR_AUTO, 1, "xterm", "1") == COLOUR_MONO,
	    "NO_COLOR: no colour");
	tap_ok(colour_decide(COLOUR_AUTO, 1, "xterm", "") == COLOUR_FULL,
	    "NO_COLOR empty: ignored");
	tap_ok(colour_decide(COLOUR_AUTO, 1, "dumb", NULL) == COLOUR_NONE,
	    "TERM=dumb: no SGR");
	tap_ok(colour_decide(COLOUR_AUTO, 1, NULL, NULL) == COLOUR_NONE,
	    "no TERM: no SGR");
	tap_ok(colour_decide(COLOUR_AUTO, 0, "xterm", NULL) == COLOUR_NONE,
	    "not a terminal: no SGR");
	tap_ok(colour_decide(COLOUR_NO, 1, "xterm", NULL) == COLOUR_MONO,
	    "Colour=no: monochrome");
	tap_ok(colour_decide(COLOUR_NO, 1, "dumb", NULL) == COLOUR_NONE,
	    "Colour=no on a dumb terminal: nothing");
	tap_ok(colour_decide(COLOUR_YES, 1, "xterm", "1") == COLOUR_FULL,
	    "Colour=yes wins over NO_COLOR");
	{
		enum colour_want w;

		tap_ok(colour_parse_want("AUTO", &w) == 0 && w == COLOUR_AUTO &&
		    colour_parse_want("no", &w) == 0 && w == COLOUR_NO &&
		    colour_parse_want("yes", &w) == 0 && w == COLOUR_YES &&
		    colour_parse_want("maybe", &w) == -1,
		    "Colour= values");
	}
	tap_done();
}
