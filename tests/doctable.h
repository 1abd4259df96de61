/*
 * doctable.h: a table the code enforces, and the document that shows it,
 * cannot drift apart.  The text between the markers begin and end in
 * doc/security.md must be exactly what print() writes.
 */
#ifndef SECCHAT_DOCTABLE_H
#define SECCHAT_DOCTABLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util.h"

static void __attribute__((unused))
doctable_check(void (*print)(FILE *), const char *begin, const char *end,
    const char *what, const char *regenerate)
{
	const char	*top = getenv("top_srcdir");
	char		 path[4096], *text, *want = NULL, *b, *e;
	size_t		 len, wlen = 0;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/doc/security.md", top ? top : ".");
	if ((text = read_small_file(path, 1 << 20, &len)) == NULL) {
		tap_ok(0, "read %s", path);
		return;
	}
	if ((fp = open_memstream(&want, &wlen)) == NULL)
		abort();
	print(fp);
	fclose(fp);
	b = strstr(text, begin);
	e = b != NULL ? strstr(b, end) : NULL;
	tap_ok(b != NULL && e != NULL, "doc/security.md marks %s", what);
	if (b != NULL && e != NULL) {
		b += strlen(begin);
		*e = '\0';
		tap_ok(strcmp(b, want) == 0, "doc/security.md: %s is the "
		    "table (regenerate with %s)", what, regenerate);
		if (strcmp(b, want) != 0)
			tap_diag("the table prints:\n%s", want);
	}
	free(want);
	free(text);
}

#endif
