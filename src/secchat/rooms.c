/*
 * rooms.c: the rooms the client is in, as the server tells them, and the
 * current room, which /join and /part change at once so that a script's
 * next line goes where it expects.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "client.h"
#include "session.h"
#include "rooms.h"
#include "tty.h"
#include "util.h"
#include "wire.h"
#include "window.h"

static int
rooms_find(const struct client *c, const char *room)
{
	size_t	 i;

	for (i = 0; i < c->nrooms; i++)
		if (strcmp(c->rooms[i], room) == 0)
			return (int)i;
	return -1;
}

void
rooms_update_prompt(struct client *c)
{
	char	 prompt[SECCHAT_NAME_MAX + 8];

	if (!c->interactive)
		return;
	if (c->current[0] != '\0')
		snprintf(prompt, sizeof(prompt), "[%s] ", c->current);
	else
		strlcpy(prompt, "> ", sizeof(prompt));
	tty_set_prompt(prompt);
}

void
rooms_set_current(struct client *c, const char *room)
{
	strlcpy(c->current, room, sizeof(c->current));
	rooms_update_prompt(c);
	/* Its window comes on the screen (none in pipe mode). */
	window_goto_room(room);
}

static int
rejoin_wanted(const struct client *c, const char *room)
{
	size_t	 i;

	for (i = 0; i < c->nrejoin; i++)
		if (strcmp(c->rejoin[i], room) == 0)
			return 1;
	/* A /join typed while disconnected makes its room current. */
	return strcmp(c->current, room) == 0;
}

void
rooms_joined(struct client *c, const char *room)
{
	/*
	 * Back after a reconnect: the server puts us in its lobby, which we
	 * may have left; and the current room stays the one we were in.
	 */
	if (c->rejoining) {
		if (!rejoin_wanted(c, room)) {
			(void)cs_part(c->cs, room);
			return;
		}
		if (rooms_find(c, room) == -1 && c->nrooms < MAX_ROOMS)
			strlcpy(c->rooms[c->nrooms++], room,
			    sizeof(c->rooms[0]));
		return;
	}
	if (rooms_find(c, room) == -1 && c->nrooms < MAX_ROOMS)
		strlcpy(c->rooms[c->nrooms++], room, sizeof(c->rooms[0]));
	rooms_set_current(c, room);
}

/*
 * Logged in again after a loss: join the rooms we were in (the current
 * one last) and make the current one current again.  A PING after the
 * JOINs marks the end of the server's answers to them.
 */
void
rooms_rejoin(struct client *c)
{
	size_t	 i;

	c->rejoining = 1;
	for (i = 0; i < c->nrejoin; i++)
		if (strcmp(c->rejoin[i], c->rejoin_current) != 0)
			(void)cs_join(c->cs, c->rejoin[i]);
	if (c->rejoin_current[0] != '\0')
		(void)cs_join(c->cs, c->rejoin_current);
	rooms_set_current(c, c->rejoin_current);
	c->rejoin_token = ++c->ping_token;
	if (cs_ping(c->cs, c->rejoin_token) == 0)
		c->pings_out++;
	else
		c->rejoining = 0;
}

void
rooms_parted(struct client *c, const char *room)
{
	int	 i = rooms_find(c, room);

	if (i != -1) {
		memmove(c->rooms[i], c->rooms[i + 1],
		    (c->nrooms - (size_t)i - 1) * sizeof(c->rooms[0]));
		c->nrooms--;
	}
	window_close_room(room);
	if (strcmp(c->current, room) == 0)
		rooms_set_current(c, c->nrooms > 0 ?
		    c->rooms[c->nrooms - 1] : "");
}

/* Like /join, /part moves on at once: to the last other room joined. */
void
rooms_leaving(struct client *c, const char *room)
{
	size_t	 i;

	if (strcmp(room, c->current) != 0)
		return;
	for (i = c->nrooms; i > 0; i--)
		if (strcmp(c->rooms[i - 1], c->current) != 0)
			break;
	rooms_set_current(c, i > 0 ? c->rooms[i - 1] : "");
}

/*
 * /join switches rooms at once, so that a script's next line goes to the
 * new room.  If the server refuses a join (the errors a JOIN can get), go
 * back to a room we are in.
 */
void
rooms_join_refused(struct client *c, unsigned int code)
{
	if (code != ERR_BAD_REQUEST && code != ERR_BAD_NAME &&
	    code != ERR_LIMIT)
		return;
	if (c->current[0] != '\0' && rooms_find(c, c->current) == -1) {
		window_close_room(c->current);
		rooms_set_current(c, c->nrooms > 0 ?
		    c->rooms[c->nrooms - 1] : "");
	}
}
