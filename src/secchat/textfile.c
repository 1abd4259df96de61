/*
 * textfile.c: the small text files of the client (textfile.h).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knownhosts.h"
#include "textfile.h"
#include "util.h"

char *
textfile_read(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	char	*buf;

	if ((buf = read_small_file(path, max, lenp)) == NULL) {
		if (errno == ENOENT)
			return NULL;
		snprintf(err, errlen, "%s: %s", path, errno == EINVAL ?
		    "not a regular file" : strerror(errno));
		return NULL;
	}
	return buf;
}

const char *
textfile_line(const char **pos, const char *end, size_t *lenp)
{
	const char	*s = *pos, *nl;

	if (s >= end)
		return NULL;
	nl = memchr(s, '\n', (size_t)(end - s));
	*lenp = nl != NULL ? (size_t)(nl - s) : (size_t)(end - s);
	*pos = s + *lenp + (nl != NULL);
	return s;
}

static int
textfile_blank(char c)
{
	return c == ' ' || c == '\t';
}

const char *
textfile_field(const char **pos, const char *end, size_t *lenp)
{
	const char	*p = *pos, *start;

	while (p < end && textfile_blank(*p))
		p++;
	if (p == end)
		return NULL;
	start = p;
	while (p < end && !textfile_blank(*p))
		p++;
	*pos = p;
	*lenp = (size_t)(p - start);
	return start;
}

int
textfile_write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			/* No progress and no error: do not spin. */
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
textfile_replace(const char *path, const char *text, size_t len, char *err,
    size_t errlen)
{
	char	 dir[PATH_MAX], tmp[PATH_MAX], *slash;
	int	 fd, saved;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_parents(dir, 0700) == -1) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	/* A stale temporary file of a crashed run is replaced. */
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (textfile_write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		saved = errno;
		(void)close(fd);
		(void)unlink(tmp);
		snprintf(err, errlen, "%s: %s", tmp, strerror(saved));
		return -1;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		return -1;
	}
	/* The rename is durable once the directory is. */
	if (slash != NULL && (fd = open(slash == dir ? "/" : dir,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(fd);
		(void)close(fd);
	}
	return 0;
}
