/*
 * fuzz-knownhosts.c: kh_parse, the client's known-hosts parser.
 *
 * The input is a whole known-hosts file.  Every entry of a file that
 * parses must be found again by kh_lookup, and the line kh_format_line
 * writes for it must parse to the same entry: secchat adds lines with one
 * and checks servers with the other, and a disagreement would turn a
 * known server into an unknown one.  The input is also tried as a host
 * name: the "host:port" that kh_hostport builds for it must be the one
 * the parser builds from a file line holding it.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "knownhosts.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_PORT	9999

/* Parse one formatted line; it must hold exactly the entry (hp, pub). */
static void
reparse(const char *hostport, const uint8_t pub[KEY_LEN])
{
	struct knownhosts	 kh;
	char			 line[KH_HOSTPORT_MAX + 80], err[256];
	int			 n;

	if ((n = kh_format_line(hostport, pub, line, sizeof(line))) == -1)
		abort();
	kh_init(&kh);
	if (kh_parse(&kh, line, (size_t)n, err, sizeof(err), NULL) == -1 ||
	    kh.n != 1 || strcmp(kh.entries[0].hostport, hostport) != 0 ||
	    memcmp(kh.entries[0].pub, pub, KEY_LEN) != 0 ||
	    kh.entries[0].line != 1)
		abort();
	kh_free(&kh);
}

static void
check_entries(const struct knownhosts *kh)
{
	const struct kh_entry	*e;
	size_t			 i, line;

	for (i = 0; i < kh->n; i++) {
		e = &kh->entries[i];
		if (strnlen(e->hostport, sizeof(e->hostport)) == 0 ||
		    strnlen(e->hostport, sizeof(e->hostport)) ==
		    sizeof(e->hostport) ||
		    e->line == 0 || (i > 0 && e->line <= kh->entries[i - 1].line))
			abort();
		if (kh_lookup(kh, e->hostport, e->pub, &line) != KH_MATCH ||
		    line > e->line)
			abort();
		reparse(e->hostport, e->pub);
	}
}

/* The input as a host name, as the client gets it from its command line. */
static void
as_host(const uint8_t *data, size_t size)
{
	char		 host[KH_HOSTPORT_MAX], hostport[KH_HOSTPORT_MAX];
	uint8_t		 pub[KEY_LEN];

	if (size >= sizeof(host) || memchr(data, '\0', size) != NULL)
		return;
	memcpy(host, data, size);
	host[size] = '\0';
	if (kh_hostport(host, FUZZ_PORT, hostport, sizeof(hostport)) == -1)
		return;
	memset(pub, 0x5a, sizeof(pub));
	reparse(hostport, pub);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct knownhosts	 kh;
	char			 err[256];
	size_t			 errline = 0;

	kh_init(&kh);
	memset(err, 'X', sizeof(err));
	if (kh_parse(&kh, (const char *)data, size, err, sizeof(err),
	    &errline) == -1) {
		if (errline == 0 || strnlen(err, sizeof(err)) == sizeof(err) ||
		    strncmp(err, "line ", 5) != 0)
			abort();
	} else
		check_entries(&kh);
	kh_free(&kh);
	as_host(data, size);
	return 0;
}
