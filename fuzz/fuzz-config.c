/*
 * fuzz-config.c: config_parse, the secchatd.conf parser.
 *
 * The input is a whole configuration file.  A file that parses is printed
 * as secchatd -T prints it; that output is itself a configuration, so it
 * must parse, and printing the result must give the same text again (what
 * the daemon shows as its effective configuration is what it would load).
 * A file that does not parse must leave the caller's struct untouched and
 * say why, naming the file and line.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_FILENAME	"fuzz"

/* The effective configuration as text, in a malloc'd string. */
static char *
print_config(const struct config *c, size_t *lenp)
{
	FILE	*fp;
	char	*text = NULL;
	size_t	 len = 0;

	if ((fp = open_memstream(&text, &len)) == NULL)
		abort();
	config_print(c, fp);
	if (fclose(fp) != 0)
		abort();
	*lenp = len;
	return text;
}

static void
reprint(const struct config *c)
{
	struct config	 c2;
	char		 err[256], *text, *text2;
	size_t		 len, len2;

	text = print_config(c, &len);
	config_defaults(&c2);
	if (config_parse(&c2, text, len, "printed", err, sizeof(err)) == -1)
		abort();
	text2 = print_config(&c2, &len2);
	if (len2 != len || memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*devnull;
	struct config	 c, before;
	char		 err[256];

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	config_defaults(&c);
	memcpy(&before, &c, sizeof(before));
	memset(err, 'X', sizeof(err));
	if (config_parse(&c, (const char *)data, size, FUZZ_FILENAME, err,
	    sizeof(err)) == -1) {
		if (memcmp(&c, &before, sizeof(c)) != 0 ||
		    strnlen(err, sizeof(err)) == sizeof(err) ||
		    strncmp(err, FUZZ_FILENAME ":", strlen(FUZZ_FILENAME ":"))
		    != 0)
			abort();
		return 0;
	}
	config_print(&c, devnull);
	reprint(&c);
	return 0;
}
