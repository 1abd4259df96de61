/*
 * complete.h: Tab completion of commands, user names and room names.
 *
 * The names come from what the server says (complete_event(), or the two
 * complete_add_*() calls); only names that keep the protocol's rules are
 * taken, so nothing but letters, digits and "_.-" ever reaches the input
 * line this way.  Commands come from the command table.
 *
 * What a word completes to depends on where it is: the first word of a
 * line that starts with '/' is a command; the word after /join, /part or
 * /who a room; after /help a command; anything else a user name.  A user
 * name that begins a line of text is followed by ": ", anything else
 * completed whole by a space.
 */
#ifndef SECCHAT_COMPLETE_H
#define SECCHAT_COMPLETE_H

#include <stddef.h>

#include "lineedit.h"
#include "util.h"

#define COMPLETE_USERS_MAX	4096
#define COMPLETE_ROOMS_MAX	1024
#define COMPLETE_CANDS_MAX	256	/* candidates one Tab cycles through */
#define COMPLETE_WORD_MAX	(SECCHAT_NAME_MAX + 2)	/* "/" and a name */

struct cs_event;

/* A user or room name seen; -1 if it breaks the rules (or no room). */
int	complete_add_user(const char *);
int	complete_add_room(const char *);
/* Take the names an event carries (sender, NAMES, JOINED, room list). */
void	complete_event(const struct cs_event *);
/* Forget every name. */
void	complete_clear(void);

/* The state of Tab presses in a row. */
struct completion {
	int	 cycling;	/* the last key was Tab, with several choices */
	size_t	 start, end;	/* the word being completed, in the line */
	char	 cands[COMPLETE_CANDS_MAX][COMPLETE_WORD_MAX + 1];
	size_t	 ncands;
	size_t	 next;		/* the candidate the next Tab shows */
};

/*
 * The candidates for the word that ends at the cursor, sorted, into
 * c->cands; the word's start into c->start.  Returns how many, and the
 * text to follow a unique one in *suffix.
 */
size_t	complete_find(struct completion *, const struct le_line *,
	    const char **suffix);
/*
 * Tab.  A single candidate replaces the word, followed by its suffix;
 * several first extend the word as far as they agree, and then each
 * further Tab shows the next of them in turn.  Returns 0 if the line
 * changed, -1 if nothing completes the word.
 */
int	complete_tab(struct completion *, struct le_line *);
/* Any other key: the next Tab starts afresh. */
void	complete_reset(struct completion *);

#endif
