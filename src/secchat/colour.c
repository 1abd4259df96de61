/*
 * colour.c: which colour a name gets, and the styles of the screen.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "colour.h"

static enum colour_mode	mode = COLOUR_NONE;

/*
 * Foreground colours readable on both dark and light backgrounds: black
 * and white (and their bright forms) are left out, as one of them is
 * likely to be the background.
 */
static const char *const palette[COLOUR_PALETTE_SIZE] = {
	"\x1b[31m", "\x1b[32m", "\x1b[33m", "\x1b[34m", "\x1b[35m",
	"\x1b[36m", "\x1b[91m", "\x1b[92m", "\x1b[93m", "\x1b[94m",
	"\x1b[95m", "\x1b[96m"
};

static const struct {
	const char	*full, *mono;
} styles[CS_STYLE_COUNT] = {
	[CS_NOTICE] =	{ "\x1b[2m", "\x1b[2m" },
	[CS_ERROR] =	{ "\x1b[1;31m", "\x1b[1m" },
	[CS_OWN] =	{ "\x1b[1m", "\x1b[1m" },
	[CS_HISTORY] =	{ "\x1b[2m", "\x1b[2m" },
	[CS_MENTION] =	{ "\x1b[1;33m", "\x1b[1;4m" },
	[CS_PRIVATE] =	{ "\x1b[35m", "\x1b[1m" },
	[CS_STATUS] =	{ "\x1b[37;44m", "\x1b[7m" },
};

int
colour_term_capable(const char *term)
{
	return term != NULL && *term != '\0' && strcmp(term, "dumb") != 0;
}

enum colour_mode
colour_decide(enum colour_want want, int tty, const char *term,
    const char *no_color)
{
	int	 capable = tty && colour_term_capable(term);

	switch (want) {
	case COLOUR_YES:
		return COLOUR_FULL;
	case COLOUR_NO:
		return capable ? COLOUR_MONO : COLOUR_NONE;
	case COLOUR_AUTO:
		break;
	}
	if (!capable)
		return COLOUR_NONE;
	if (no_color != NULL && *no_color != '\0')
		return COLOUR_MONO;
	return COLOUR_FULL;
}

int
colour_parse_want(const char *s, enum colour_want *want)
{
	if (strcasecmp(s, "auto") == 0)
		*want = COLOUR_AUTO;
	else if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "always") == 0)
		*want = COLOUR_YES;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "never") == 0)
		*want = COLOUR_NO;
	else
		return -1;
	return 0;
}

void
colour_set_mode(enum colour_mode m)
{
	mode = m;
}

enum colour_mode
colour_get_mode(void)
{
	return mode;
}

/*
 * FNV-1a of the name: stable across runs and machines, so that a name
 * keeps its colour, and well spread for short names.
 */
unsigned int
colour_nick_index(const char *name)
{
	uint32_t	 h = 2166136261u;

	for (; *name != '\0'; name++) {
		h ^= (unsigned char)*name;
		h *= 16777619u;
	}
	return h % COLOUR_PALETTE_SIZE;
}

const char *
colour_nick(const char *name)
{
	if (mode != COLOUR_FULL || name == NULL)
		return "";
	return palette[colour_nick_index(name)];
}

const char *
colour_style(enum colour_style s)
{
	if (mode == COLOUR_NONE || s < 0 || s >= CS_STYLE_COUNT)
		return "";
	return mode == COLOUR_FULL ? styles[s].full : styles[s].mono;
}

const char *
colour_reset(void)
{
	return mode == COLOUR_NONE ? "" : "\x1b[0m";
}
