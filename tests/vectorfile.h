/*
 * vectorfile.h: what the test-vector runners share: the line format of
 * tests/vectors/README.md (words separated by blanks, '#' comments, hex
 * with '-' for empty) and a main() that runs the files named, or the
 * shipped one.
 */
#ifndef SECCHAT_VECTORFILE_H
#define SECCHAT_VECTORFILE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "tap.h"
#include "util.h"

/* Decode a hex word ("-" is empty) into a fresh allocation; 0 or -1. */
static int __attribute__((unused))
vf_hex(const char *s, uint8_t **p, size_t *len)
{
	size_t	 n = strlen(s);

	*p = NULL;
	*len = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	if (n == 0 || n % 2 != 0 || (*p = malloc(n / 2)) == NULL)
		return -1;
	if (hex_decode(s, *p, n / 2) != (int)(n / 2)) {
		free(*p);
		*p = NULL;
		return -1;
	}
	*len = n / 2;
	return 0;
}

/*
 * Split a line into whitespace-separated words, in place.  Returns the
 * number of words, or max + 1 if there are more than max.
 */
static int __attribute__((unused))
vf_split_words(char *line, char **words, int max)
{
	char	*p = line;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			return n;
		if (n == max)
			return max + 1;
		words[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
}

/* Strip the line ending; returns 1 for a blank or comment line. */
static int __attribute__((unused))
vf_ignorable(char *line)
{
	size_t	 len = strlen(line);
	char	*p;

	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		line[--len] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	return *p == '\0' || *p == '#';
}

/*
 * Run every file named; with none, the shipped file under $top_srcdir
 * (as make check sets it).  A run that found no vector fails.
 */
static int __attribute__((unused))
vf_main(int argc, char *argv[], const char *default_file,
    void (*run_file)(const char *))
{
	const char	*srcdir;
	char		 path[4096];
	int		 i;

	if (sodium_init() < 0) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	if (argc == 1) {
		if ((srcdir = getenv("top_srcdir")) == NULL || *srcdir == '\0')
			srcdir = ".";
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", srcdir,
		    default_file) >= sizeof(path)) {
			tap_ok(0, "top_srcdir too long");
			return tap_done();
		}
		run_file(path);
	}
	for (i = 1; i < argc; i++)
		run_file(argv[i]);
	if (tap_n == 0)
		tap_ok(0, "no vectors found");
	return tap_done();
}

#endif
