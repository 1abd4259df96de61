/*
 * query.h: private talk with one user (/query).  At a terminal the query
 * is a window of its own (window.h); in pipe mode, where there are no
 * windows, it is only where lines without a slash go: to the user, end
 * to end, as /msg.
 */
#ifndef SECCHAT_QUERY_H
#define SECCHAT_QUERY_H

struct client;

/*
 * Talk privately with user: its window on the screen, or in pipe mode
 * the target of lines without a slash.  NULL ends it: the current room's
 * window, or lines go to the room again.
 */
void		 query_set(struct client *, const char *user);
/* The user lines without a slash go to, or NULL for the current room. */
const char	*query_target(void);

#endif
