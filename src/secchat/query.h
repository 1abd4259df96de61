/*
 * query.h: private talk with one user (/query).  The screen gives it a
 * window of its own; until it does, the query is only where lines
 * without a slash go: to the user, end to end, as /msg.
 */
#ifndef SECCHAT_QUERY_H
#define SECCHAT_QUERY_H

/* Make user the target of lines without a slash (NULL or "": none). */
void		 window_open_query(const char *user);
/* The user lines without a slash go to, or NULL for the current room. */
const char	*query_target(void);

#endif
