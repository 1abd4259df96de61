/*
 * query.c: the target of a query (query.h), whether or not the screen
 * has windows to show it in.
 */
#include "config.h"

#include <string.h>

#include "client.h"
#include "query.h"
#include "util.h"
#include "window.h"

/* Pipe mode's query: no window holds it there. */
static char	 query_user[SECCHAT_NAME_MAX + 1];

void
query_set(struct client *c, const char *user)
{
	if (window_active()) {
		if (user != NULL && *user != '\0')
			(void)window_open_query(user);
		else if (window_query_user() != NULL)
			window_goto_room(c->current);
		return;
	}
	if (user == NULL || !valid_username(user, strlen(user)))
		query_user[0] = '\0';
	else
		strlcpy(query_user, user, sizeof(query_user));
}

const char *
query_target(void)
{
	if (window_active())
		return window_query_user();
	return query_user[0] != '\0' ? query_user : NULL;
}
