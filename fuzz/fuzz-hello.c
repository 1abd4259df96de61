/*
 * fuzz-hello.c: hello_client_decode, hello_server_decode and
 * hello_server_decode_caps.
 *
 * Both hellos arrive before any cryptography, so anyone on the path can
 * send anything here.  A hello that decodes must encode back to exactly
 * the same bytes (there is one spelling of each hello), and a refusal
 * reason cut short to fit a small buffer must still be a NUL-terminated
 * prefix of the whole reason, cut between UTF-8 characters.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define HELLO_OUTMAX	(HELLO_MAGICLEN + 1 + HELLO_REASON_MAX)

static void
client_hello(const uint8_t *data, size_t size)
{
	uint8_t	 suites[HELLO_MAX_SUITES], out[HELLO_OUTMAX];
	size_t	 n = 0, i;
	int	 len;

	if (hello_client_decode(data, size, suites, &n) == -1)
		return;
	if (n == 0 || n > HELLO_MAX_SUITES)
		abort();
	for (i = 0; i < n; i++)
		if (suites[i] == SUITE_NONE)
			abort();
	len = hello_client_encode(out, sizeof(out), suites, n);
	if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
		abort();
}

/* The reason, decoded into a buffer of reasonmax bytes. */
static void
short_reason(const uint8_t *data, size_t size, const char *full,
    size_t reasonmax)
{
	char	 reason[HELLO_REASON_MAX + 1];
	uint8_t	 suite;
	size_t	 len;

	memset(reason, 'X', sizeof(reason));
	if (hello_server_decode(data, size, &suite, reason, reasonmax) == -1)
		abort();
	len = strnlen(reason, reasonmax);
	if (len >= reasonmax || strncmp(reason, full, len) != 0 ||
	    !valid_utf8((const uint8_t *)reason, len))
		abort();
	/* What fits is all there; else at most a partial character more. */
	if (strlen(full) < reasonmax ? len != strlen(full) :
	    reasonmax - 1 - len > 3)
		abort();
}

static void
server_hello(const uint8_t *data, size_t size)
{
	char	 reason[HELLO_REASON_MAX + 1];
	uint8_t	 suite, out[HELLO_OUTMAX];
	size_t	 rlen;
	int	 len;

	if (hello_server_decode(data, size, &suite, reason,
	    sizeof(reason)) == -1)
		return;
	rlen = strlen(reason);
	if (rlen != size - (HELLO_MAGICLEN + 1) ||
	    (rlen > 0 && suite != SUITE_NONE))
		abort();
	len = hello_server_encode(out, sizeof(out), suite, reason);
	if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
		abort();
	/* Without a place for the reason, and with very little room. */
	if (hello_server_decode(data, size, &suite, NULL, 0) == -1)
		abort();
	short_reason(data, size, reason, 1);
	short_reason(data, size, reason, 2);
	short_reason(data, size, reason, 5);
	short_reason(data, size, reason, 16);
}

/*
 * A client that offered 0x81 and 0x82: a hello read with capabilities
 * holds only offered ones, ascending, and encodes back to the same bytes.
 */
static void
server_hello_caps(const uint8_t *data, size_t size)
{
	static const uint8_t offered[] = { HELLO_CAP_E2E, HELLO_CAP_BATCH };
	char	 reason[HELLO_REASON_MAX + 1];
	uint8_t	 suite, agreed[HELLO_MAX_CAPS], out[HELLO_OUTMAX];
	size_t	 n, i;
	int	 len;

	if (hello_server_decode_caps(data, size, offered, sizeof(offered),
	    &suite, agreed, &n, reason, sizeof(reason)) == -1 || n == 0)
		return;
	if (suite == SUITE_NONE || n > sizeof(offered))
		abort();
	for (i = 0; i < n; i++)
		if (!hello_has_cap(offered, sizeof(offered), agreed[i]) ||
		    (i > 0 && agreed[i] <= agreed[i - 1]))
			abort();
	len = hello_server_encode_caps(out, sizeof(out), suite, agreed, n);
	if (len < 0 || (size_t)len != size || memcmp(out, data, size) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	client_hello(data, size);
	server_hello(data, size);
	server_hello_caps(data, size);
	return 0;
}
