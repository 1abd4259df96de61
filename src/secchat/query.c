/*
 * query.c: the target of a query (query.h).  A window for it is the
 * screen's; this keeps only who lines without a slash go to.
 */
#include "config.h"

#include <string.h>

#include "query.h"
#include "util.h"

static char	 query_user[SECCHAT_NAME_MAX + 1];

void
window_open_query(const char *user)
{
	if (user == NULL || !valid_username(user, strlen(user)))
		query_user[0] = '\0';
	else
		strlcpy(query_user, user, sizeof(query_user));
}

const char *
query_target(void)
{
	return query_user[0] != '\0' ? query_user : NULL;
}
