/*
 * test-ignore.c: the ignore list and its file: adding, removing, the
 * file's form and mode, reading it back, and refusing what is not a name.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ignore.h"
#include "util.h"
#include "tap.h"

static int
file_is(const char *path, const char *want)
{
	char	*text;
	size_t	 len;
	int	 ok;

	if ((text = read_small_file(path, 1 << 16, &len)) == NULL)
		return want == NULL;
	ok = want != NULL && len == strlen(want) && memcmp(text, want, len) == 0;
	free(text);
	return ok;
}

int
main(void)
{
	char		 dir[] = "/tmp/test-ignore.XXXXXX", path[256], err[256];
	char		 name[16];
	struct stat	 st;
	FILE		*fp;
	int		 i, ok;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/sub/ignore", dir);

	tap_ok(ignore_load(path, err, sizeof(err)) == 0 &&
	    ignore_count() == 0 && ignore_loaded(),
	    "a missing file is an empty list");
	tap_ok(ignore_add("bob", err, sizeof(err)) == 1 && ignore_has("bob") &&
	    !ignore_has("bo") && !ignore_has(NULL), "add bob");
	tap_ok(file_is(path, "bob\n") && stat(path, &st) == 0 &&
	    (st.st_mode & 0777) == 0600, "the file is one name a line, "
	    "mode 0600, its directory made");
	tap_ok(ignore_add("bob", err, sizeof(err)) == 0 && ignore_count() == 1,
	    "adding a name twice changes nothing");
	tap_ok(ignore_add("carol", err, sizeof(err)) == 1 &&
	    file_is(path, "bob\ncarol\n"), "a second name, in order");
	tap_ok(ignore_add("Bad Name", err, sizeof(err)) == -1 &&
	    ignore_count() == 2, "an invalid name is refused");
	tap_ok(ignore_remove("bob", err, sizeof(err)) == 1 &&
	    !ignore_has("bob") && file_is(path, "carol\n"), "remove bob");
	tap_ok(ignore_remove("bob", err, sizeof(err)) == 0,
	    "removing a name not there changes nothing");
	snprintf(name, sizeof(name), "%s.tmp", "x");
	tap_ok(access(path, F_OK) == 0, "no temporary file is left behind");

	ignore_free();
	tap_ok(!ignore_loaded() && !ignore_has("carol"), "ignore_free forgets");
	tap_ok(ignore_load(path, err, sizeof(err)) == 0 &&
	    ignore_has("carol") && ignore_count() == 1,
	    "read back from the file");

	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("# people\n\ndave\ndave\neve\n", fp);
	fclose(fp);
	tap_ok(ignore_load(path, err, sizeof(err)) == 0 &&
	    ignore_count() == 2 && ignore_has("dave") && ignore_has("eve"),
	    "comments and blank lines are skipped, doubles kept once");
	if ((fp = fopen(path, "w")) == NULL)
		abort();
	fputs("dave\n\033[2Jevil\n", fp);
	fclose(fp);
	tap_ok(ignore_load(path, err, sizeof(err)) == -1 &&
	    ignore_count() == 0 && strstr(err, "line 2") != NULL,
	    "a line that is not a user name is an error, naming the line");

	ignore_free();
	(void)ignore_load(path, err, sizeof(err));
	(void)unlink(path);
	(void)ignore_load(path, err, sizeof(err));
	ok = 1;
	for (i = 0; i < IGNORE_MAX; i++) {
		snprintf(name, sizeof(name), "u%d", i);
		if (ignore_add(name, err, sizeof(err)) != 1)
			ok = 0;
	}
	tap_ok(ok && ignore_count() == IGNORE_MAX, "%d names fit",
	    IGNORE_MAX);
	tap_ok(ignore_add("onemore", err, sizeof(err)) == -1 &&
	    ignore_count() == IGNORE_MAX, "one more is refused");
	ignore_free();
	tap_ok(ignore_load(path, err, sizeof(err)) == 0 &&
	    ignore_count() == IGNORE_MAX, "and a full file reads back");
	ignore_free();

	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/sub", dir);
	(void)rmdir(path);
	(void)rmdir(dir);
	return tap_done();
}
