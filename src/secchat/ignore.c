/*
 * ignore.c: the list of ignored users and its file (ignore.h).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignore.h"
#include "knownhosts.h"
#include "textfile.h"
#include "util.h"

#define IGNORE_FILE_MAX	(IGNORE_MAX * (SECCHAT_NAME_MAX + 1) + 4096)

static char	 ig_names[IGNORE_MAX][SECCHAT_NAME_MAX + 1];
static size_t	 ig_count;
static char	*ig_path;
static int	 ig_loaded;

void
ignore_free(void)
{
	ig_count = 0;
	free(ig_path);
	ig_path = NULL;
	ig_loaded = 0;
}

int
ignore_loaded(void)
{
	return ig_loaded;
}

static ssize_t
ig_find(const char *user)
{
	size_t	 i;

	for (i = 0; i < ig_count; i++)
		if (strcmp(ig_names[i], user) == 0)
			return (ssize_t)i;
	return -1;
}

int
ignore_has(const char *user)
{
	return user != NULL && ig_find(user) != -1;
}

size_t
ignore_count(void)
{
	return ig_count;
}

const char *
ignore_name(size_t i)
{
	return i < ig_count ? ig_names[i] : NULL;
}

int
ignore_load(const char *path, char *err, size_t errlen)
{
	char	*text, *line, *next;
	size_t	 len, n, lineno = 0;

	ignore_free();
	ig_loaded = 1;
	if ((ig_path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((text = read_small_file(path, IGNORE_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		free(text);
		return -1;
	}
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		n = strlen(line);
		/* Blank lines and comments are allowed in a file people edit. */
		if (n == 0 || line[0] == '#')
			continue;
		if (!valid_username(line, n) || ig_count >= IGNORE_MAX) {
			snprintf(err, errlen, "%s line %zu: %s", path, lineno,
			    ig_count >= IGNORE_MAX ? "too many names" :
			    "not a user name");
			ig_count = 0;
			free(text);
			return -1;
		}
		if (ig_find(line) == -1)
			memcpy(ig_names[ig_count++], line, n + 1);
	}
	free(text);
	return 0;
}

/* Rewrite the file atomically (textfile_replace). */
static int
ig_save(char *err, size_t errlen)
{
	char	*text;
	size_t	 i, len = 0;
	int	 rc;

	if (ig_path == NULL) {
		snprintf(err, errlen, "no file for the ignore list");
		return -1;
	}
	if ((text = malloc(IGNORE_MAX * (SECCHAT_NAME_MAX + 1) + 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < ig_count; i++) {
		memcpy(text + len, ig_names[i], strlen(ig_names[i]));
		len += strlen(ig_names[i]);
		text[len++] = '\n';
	}
	rc = textfile_replace(ig_path, text, len, err, errlen);
	free(text);
	return rc;
}

int
ignore_add(const char *user, char *err, size_t errlen)
{
	if (!valid_username(user, strlen(user))) {
		snprintf(err, errlen, "invalid user name");
		return -1;
	}
	if (ig_find(user) != -1)
		return 0;
	if (ig_count >= IGNORE_MAX) {
		snprintf(err, errlen, "the list is full (%d names)",
		    IGNORE_MAX);
		return -1;
	}
	strlcpy(ig_names[ig_count++], user, sizeof(ig_names[0]));
	if (ig_save(err, errlen) == -1) {
		ig_count--;
		return -1;
	}
	return 1;
}

int
ignore_remove(const char *user, char *err, size_t errlen)
{
	char	 saved[IGNORE_MAX][SECCHAT_NAME_MAX + 1];
	size_t	 n = ig_count;
	ssize_t	 i;

	if ((i = ig_find(user)) == -1)
		return 0;
	memcpy(saved, ig_names, sizeof(saved));
	memmove(ig_names[i], ig_names[i + 1],
	    (ig_count - (size_t)i - 1) * sizeof(ig_names[0]));
	ig_count--;
	if (ig_save(err, errlen) == -1) {
		memcpy(ig_names, saved, sizeof(saved));
		ig_count = n;
		return -1;
	}
	return 1;
}
