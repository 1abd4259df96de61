/*
 * rooms.h: the rooms the client is in, the current one (where a line
 * typed without a command goes), and the prompt that names it.
 */
#ifndef SECCHAT_ROOMS_H
#define SECCHAT_ROOMS_H

struct client;

/* The current room (none: ""), and the prompt on the terminal. */
void	rooms_set_current(struct client *, const char *room);
void	rooms_update_prompt(struct client *);
/* The server says we joined or left a room. */
void	rooms_joined(struct client *, const char *room);
void	rooms_parted(struct client *, const char *room);
/* Logged in again after a loss: join the rooms we were in. */
void	rooms_rejoin(struct client *);
/* We asked to leave room: if it is the current one, move on at once. */
void	rooms_leaving(struct client *, const char *room);
/* The server refused a request with code: maybe our last /join. */
void	rooms_join_refused(struct client *, unsigned int code);

#endif
