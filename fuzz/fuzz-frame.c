/*
 * fuzz-frame.c: frame_parse over a stream of frames.
 *
 * The input is what a peer might send on a connection.  Frames are taken
 * off its front one after another, as the receive loops do, until the
 * parser asks for more bytes or calls the stream malformed.  Every frame
 * found must lie inside the input, and appending the payloads again with
 * frame_append must give back exactly the bytes that were consumed.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What frame_parse said about the bytes it could not take. */
static void
check_rest(int r, const uint8_t *p, size_t left)
{
	if (r == 0) {
		/* More is needed: a short header or a short payload. */
		if (left >= FRAME_HDRLEN &&
		    (get_u16(p) == 0 || get_u16(p) <= left - FRAME_HDRLEN))
			abort();
	} else if (r == -1) {
		/* Malformed: only an empty frame is. */
		if (left < FRAME_HDRLEN || get_u16(p) != 0)
			abort();
	} else
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf	 again;
	const uint8_t	*payload;
	size_t		 off = 0, plen, consumed;
	int		 r;

	buf_init(&again, 0);
	while ((r = frame_parse(data + off, size - off, &payload, &plen,
	    &consumed)) == 1) {
		if (payload != data + off + FRAME_HDRLEN || plen == 0 ||
		    plen > FRAME_MAX || consumed != FRAME_HDRLEN + plen ||
		    consumed > size - off)
			abort();
		if (frame_append(&again, payload, plen) == -1)
			abort();
		off += consumed;
	}
	check_rest(r, data + off, size - off);
	if (buf_used(&again) != off ||
	    (off > 0 && memcmp(buf_head(&again), data, off) != 0))
		abort();
	buf_free(&again);
	return 0;
}
