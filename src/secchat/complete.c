/*
 * complete.c: Tab completion (see complete.h).  The names seen are kept
 * in two sorted arrays of fixed size; past the limit new names are not
 * learnt, which costs only a completion.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "complete.h"
#include "lineedit.h"
#include "session.h"
#include "util.h"

typedef char	name_t[SECCHAT_NAME_MAX + 1];

static name_t	users[COMPLETE_USERS_MAX];
static size_t	nusers;
static name_t	rooms[COMPLETE_ROOMS_MAX];
static size_t	nrooms;

enum cands {
	CANDS_COMMANDS,		/* "/name" */
	CANDS_COMMAND_NAMES,	/* "name", for /help */
	CANDS_USERS,
	CANDS_ROOMS
};

/* Add s to a sorted set of names; 0 if it is there or was added. */
static int
set_add(name_t *set, size_t *n, size_t max, const char *s)
{
	size_t	 lo = 0, hi = *n, mid;
	int	 c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcmp(set[mid], s)) == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (*n == max)
		return -1;
	memmove(set + lo + 1, set + lo, (*n - lo) * sizeof(set[0]));
	strlcpy(set[lo], s, sizeof(set[0]));
	(*n)++;
	return 0;
}

int
complete_add_user(const char *s)
{
	if (s == NULL || !valid_username(s, strlen(s)))
		return -1;
	return set_add(users, &nusers, COMPLETE_USERS_MAX, s);
}

int
complete_add_room(const char *s)
{
	if (s == NULL || !valid_roomname(s, strlen(s)))
		return -1;
	return set_add(rooms, &nrooms, COMPLETE_ROOMS_MAX, s);
}

void
complete_event(const struct cs_event *ev)
{
	size_t	 i;

	switch (ev->type) {
	case CS_EV_AUTH_OK:
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
	case CS_EV_PRIVATE:
	case CS_EV_HISTORY:
	case CS_EV_ARRIVED:
	case CS_EV_DEPARTED:
		(void)complete_add_user(ev->user);
		break;
	case CS_EV_NAMES:
		for (i = 0; i < ev->nnames; i++)
			(void)complete_add_user(ev->names[i]);
		break;
	case CS_EV_ROOMLIST:
		for (i = 0; i < ev->nrooms; i++)
			(void)complete_add_room(ev->rooms[i].name);
		break;
	default:
		break;
	}
	if (ev->type != CS_EV_PRIVATE && ev->room != NULL)
		(void)complete_add_room(ev->room);
}

void
complete_clear(void)
{
	nusers = nrooms = 0;
}

/* ---------------------------------------------------------------- finding */

static void
cand_add(struct completion *c, const char *prefix, const char *name,
    const char *word, size_t wlen, int icase)
{
	char	 cand[COMPLETE_WORD_MAX + 1];

	if (c->ncands == COMPLETE_CANDS_MAX)
		return;
	if (strlcpy(cand, prefix, sizeof(cand)) >= sizeof(cand) ||
	    strlcat(cand, name, sizeof(cand)) >= sizeof(cand))
		return;
	if (strlen(cand) < wlen || (icase ? strncasecmp(cand, word, wlen) :
	    strncmp(cand, word, wlen)) != 0)
		return;
	strlcpy(c->cands[c->ncands++], cand, sizeof(c->cands[0]));
}

static int
cand_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
gather(struct completion *c, enum cands kind, const char *word, size_t wlen)
{
	const struct command	*cmd;
	size_t			 i;

	switch (kind) {
	case CANDS_COMMANDS:
	case CANDS_COMMAND_NAMES:
		for (cmd = cmd_table; cmd->name != NULL; cmd++) {
			cand_add(c, kind == CANDS_COMMANDS ? "/" : "",
			    cmd->name, word, wlen, 1);
			for (i = 0; cmd->aliases[i] != NULL; i++)
				cand_add(c, kind == CANDS_COMMANDS ? "/" : "",
				    cmd->aliases[i], word, wlen, 1);
		}
		break;
	case CANDS_USERS:
		for (i = 0; i < nusers; i++)
			cand_add(c, "", users[i], word, wlen, 0);
		break;
	case CANDS_ROOMS:
		for (i = 0; i < nrooms; i++)
			cand_add(c, "", rooms[i], word, wlen, 0);
		break;
	}
	qsort(c->cands, c->ncands, sizeof(c->cands[0]), cand_cmp);
}

size_t
complete_find(struct completion *c, const struct le_line *l,
    const char **suffix)
{
	const struct command	*cmd;
	char			 name[COMPLETE_WORD_MAX + 1];
	size_t			 start = l->cur, i, n, nwords = 0;
	enum cands		 kind = CANDS_USERS;

	c->ncands = 0;
	*suffix = " ";
	while (start > 0 && l->buf[start - 1] != ' ')
		start--;
	c->start = start;
	if (l->cur - start > COMPLETE_WORD_MAX)
		return 0;
	/* In text, Tab after a blank is a tab (a paste without brackets). */
	if (l->cur == start && (l->len == 0 || l->buf[0] != '/'))
		return 0;
	/* Which word of the line this is. */
	for (i = 0; i < start; i++)
		if (l->buf[i] != ' ' && (i == 0 || l->buf[i - 1] == ' '))
			nwords++;
	if (l->len > 0 && l->buf[0] == '/') {
		if (start == 0)
			kind = CANDS_COMMANDS;
		else if (nwords == 1) {
			for (n = 1; n < l->len && l->buf[n] != ' '; n++)
				;
			if (n - 1 > COMPLETE_WORD_MAX)
				return 0;
			memcpy(name, l->buf + 1, n - 1);
			name[n - 1] = '\0';
			if ((cmd = cmd_find(name)) != NULL) {
				if (cmd->args == CMD_ARGS_ROOM ||
				    cmd->args == CMD_ARGS_ROOM_OPT)
					kind = CANDS_ROOMS;
				else if (cmd->args == CMD_ARGS_COMMAND_OPT)
					kind = CANDS_COMMAND_NAMES;
			}
		}
	} else if (start == 0)
		*suffix = ": ";
	gather(c, kind, l->buf + start, l->cur - start);
	return c->ncands;
}

/* Put s in place of the word being completed. */
static int
replace_word(struct completion *c, struct le_line *l, const char *s,
    size_t n)
{
	size_t	 oldcur = l->cur;

	if (c->end > l->len || c->start > c->end)
		return -1;
	if (n > c->end - c->start &&
	    n - (c->end - c->start) > LE_LINE_MAX - l->len)
		return -1;
	/* Room was checked: the delete and the insert cannot fail. */
	l->cur = c->end;
	le_delete_range(l, c->start, c->end);
	if (le_insert(l, s, n) == -1) {
		l->cur = oldcur;
		return -1;
	}
	c->end = c->start + n;
	return 0;
}

int
complete_tab(struct completion *c, struct le_line *l)
{
	char		 word[COMPLETE_WORD_MAX + 3];
	const char	*suffix;
	size_t		 n, i, common, wlen;

	if (c->cycling && c->ncands > 0 && l->cur == c->end) {
		i = c->next;
		c->next = (c->next + 1) % c->ncands;
		return replace_word(c, l, c->cands[i], strlen(c->cands[i]));
	}
	c->cycling = 0;
	if ((n = complete_find(c, l, &suffix)) == 0)
		return -1;
	c->end = l->cur;
	wlen = c->end - c->start;
	if (n == 1) {
		snprintf(word, sizeof(word), "%s%s", c->cands[0], suffix);
		return replace_word(c, l, word, strlen(word));
	}
	/* As far as every candidate agrees. */
	common = strlen(c->cands[0]);
	for (i = 1; i < n; i++) {
		size_t	 k = 0;

		while (k < common && c->cands[i][k] == c->cands[0][k])
			k++;
		common = k;
	}
	c->cycling = 1;
	c->next = 0;
	if (common > wlen ||
	    (common == wlen && memcmp(c->cands[0], l->buf + c->start,
	    wlen) != 0))
		return replace_word(c, l, c->cands[0], common);
	/* Nothing more in common: show the first now. */
	c->next = 1 % n;
	return replace_word(c, l, c->cands[0], strlen(c->cands[0]));
}

void
complete_reset(struct completion *c)
{
	c->cycling = 0;
}
