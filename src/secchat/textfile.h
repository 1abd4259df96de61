/*
 * textfile.h: the small text files of the client (known_hosts,
 * known_peers, ignore): reading, splitting into lines and fields, and
 * replacing one atomically.
 */
#ifndef SECCHAT_TEXTFILE_H
#define SECCHAT_TEXTFILE_H

#include <stddef.h>

/*
 * The whole of the regular file path, at most max bytes; the caller frees
 * it.  NULL with errno ENOENT if there is no file (err untouched), NULL
 * with err set to "PATH: reason" on any other failure.
 */
char	*textfile_read(const char *path, size_t max, size_t *lenp, char *err,
	    size_t errlen);

/*
 * The next line of [*pos, end), without its newline, and its length in
 * *lenp; NULL at the end.  A last line without a newline counts.
 */
const char *textfile_line(const char **pos, const char *end, size_t *lenp);

/* The next blank-separated field of [*pos, end); NULL at the end. */
const char *textfile_field(const char **pos, const char *end, size_t *lenp);

/* Write all of len bytes to fd.  Returns 0 or -1 with errno set. */
int	textfile_write_all(int fd, const char *p, size_t len);

/*
 * Replace path with text: its directory and missing parents are made
 * (mode 0700), text goes to PATH.tmp (mode 0600), which is synced and
 * renamed over path, and the directory synced so the rename lasts.
 * Returns 0, or -1 with err set to "FILE: reason" naming the file at fault.
 */
int	textfile_replace(const char *path, const char *text, size_t len,
	    char *err, size_t errlen);

#endif
