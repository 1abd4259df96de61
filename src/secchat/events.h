/*
 * events.h: what the client does with each event of its session: shows
 * it, and follows the rooms, the login and the end of the connection.
 */
#ifndef SECCHAT_EVENTS_H
#define SECCHAT_EVENTS_H

#include "session.h"

struct client;

/* Handle every event the session has queued. */
void	events_drain(struct client *);
/* Show one event: a line on stdout (pipe mode) or above the prompt. */
void	events_show(struct client *, const struct cs_event *);
/* The user who last wrote to us privately (shown, not ignored), or NULL. */
const char *events_last_private(void);

#endif
