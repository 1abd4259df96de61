/*
 * ignore.h: the users whose lines this client does not show (/ignore),
 * kept in a file of one user name a line, rewritten whole and atomically,
 * mode 0600.  It is the client's own choice: the server is not told.
 */
#ifndef SECCHAT_IGNORE_H
#define SECCHAT_IGNORE_H

#include <stddef.h>

#define IGNORE_MAX	256	/* names in the list */

/*
 * Read the list from path (a missing file is an empty list) and keep
 * path for the rewrites.  -1, with err set and the list empty, if the
 * file cannot be read or holds a line that is not a user name.
 */
int		 ignore_load(const char *path, char *err, size_t errlen);
/* Whether ignore_load() has been called (whatever it returned). */
int		 ignore_loaded(void);
/* 1 if user is on the list. */
int		 ignore_has(const char *user);
/*
 * Add or remove user and rewrite the file: 1 if the list changed, 0 if
 * it did not need to, -1 with err set (the list is then unchanged).
 */
int		 ignore_add(const char *user, char *err, size_t errlen);
int		 ignore_remove(const char *user, char *err, size_t errlen);
/* The names, in the order added. */
size_t		 ignore_count(void);
const char	*ignore_name(size_t);
/* Forget the list and the path. */
void		 ignore_free(void);

#endif
