/*
 * test-buf.c: growable buffers, readers and the big-endian helpers.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "tap.h"
#include "util.h"

static void
test_growth(void)
{
	struct buf	 b;
	uint8_t		 chunk[100];
	size_t		 i, j;
	int		 ok = 1;

	buf_init(&b, 0);
	tap_ok(buf_used(&b) == 0 && b.data == NULL, "a new buffer is empty");
	for (i = 0; i < 100; i++) {
		memset(chunk, (int)i, sizeof(chunk));
		if (buf_append(&b, chunk, sizeof(chunk)) == -1)
			ok = 0;
	}
	tap_ok(ok && buf_used(&b) == 10000, "10000 bytes appended in pieces");
	tap_ok(b.cap >= 10000, "capacity grew to %zu", b.cap);
	for (i = 0; i < 100; i++)
		for (j = 0; j < 100; j++)
			if (buf_head(&b)[i * 100 + j] != (uint8_t)i)
				ok = 0;
	tap_ok(ok, "contents survive every reallocation");
	tap_ok(buf_append(&b, NULL, 0) == 0 && buf_used(&b) == 10000,
	    "appending nothing succeeds and changes nothing");
	buf_reset(&b);
	tap_ok(buf_used(&b) == 0 && b.cap >= 10000,
	    "reset empties but keeps the memory");
	buf_free(&b);
	tap_ok(b.data == NULL && b.cap == 0 && buf_used(&b) == 0,
	    "free leaves an empty buffer");
}

static void
test_max(void)
{
	struct buf	 b;
	uint8_t		 data[150];

	memset(data, 'x', sizeof(data));
	buf_init(&b, 100);
	tap_ok(buf_append(&b, data, 100) == 0, "up to max bytes are accepted");
	errno = 0;
	tap_ok(buf_append(&b, data, 1) == -1 && errno == ENOBUFS,
	    "one byte past max is refused with ENOBUFS");
	tap_ok(buf_used(&b) == 100, "a refused append leaves the buffer as it was");
	tap_ok(buf_reserve(&b, 1) == NULL, "reserve past max is refused");
	buf_consume(&b, 60);
	tap_ok(buf_append(&b, data, 60) == 0 && buf_used(&b) == 100,
	    "max limits unconsumed bytes: room again after consume");
	tap_ok(buf_append(&b, data, 1) == -1, "and full again at max");
	buf_free(&b);

	buf_init(&b, 0);
	tap_ok(buf_reserve(&b, SIZE_MAX / 2 + 1) == NULL && b.data == NULL,
	    "an absurd reservation is refused, not wrapped");
	buf_free(&b);
}

static void
test_consume(void)
{
	struct buf	 b;
	uint8_t		 data[256], *p;
	size_t		 i, cap;
	int		 ok = 1;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	buf_init(&b, 0);
	(void)buf_append(&b, data, sizeof(data));
	buf_consume(&b, 10);
	tap_ok(buf_used(&b) == 246 && buf_head(&b)[0] == 10,
	    "consume advances the head");
	/*
	 * Ten bytes consumed of 256 would mean moving 246 to free 10: the
	 * buffer grows instead, and the live bytes stay where they are.
	 */
	cap = b.cap;
	p = buf_reserve(&b, 10);
	tap_ok(p != NULL && b.off == 10 && b.cap == 2 * cap,
	    "reserve grows rather than slide a mostly live buffer");
	for (i = 0; i < 246; i++)
		if (buf_head(&b)[i] != (uint8_t)(i + 10))
			ok = 0;
	tap_ok(ok, "growing keeps the live bytes in order");
	memcpy(p, "0123456789", 10);
	buf_commit(&b, 10);
	tap_ok(buf_used(&b) == 256 && memcmp(buf_head(&b) + 246, "0123456789",
	    10) == 0, "commit makes reserved bytes part of the buffer");
	buf_consume(&b, 1000);
	tap_ok(buf_used(&b) == 0 && b.off == 0 && b.len == 0,
	    "consuming more than there is empties the buffer");
	buf_free(&b);

	/* Mostly consumed: sliding frees more than it moves. */
	buf_init(&b, 0);
	(void)buf_append(&b, data, sizeof(data));
	buf_consume(&b, 200);
	cap = b.cap;
	p = buf_reserve(&b, 100);
	tap_ok(p != NULL && b.off == 0 && b.cap == cap &&
	    buf_head(&b)[0] == 200 && buf_head(&b)[55] == 255,
	    "reserve slides when that frees more than it moves");
	buf_free(&b);
}

/*
 * A queue kept nearly full, drained a little and refilled as much, as a
 * slow reader's in a busy room is: the live bytes must not be slid down on
 * every append (that cost a copy of the whole queue per message), and the
 * buffer must stay within buf_cap_bound() of its limit.
 */
static void
test_nearly_full(void)
{
	struct buf	 b;
	uint8_t		 msg[100], fill[300], expect = 0;
	size_t		 i, j, slides = 0, maxcap = 0, max = 64 * 1024;
	int		 ok = 1;

	buf_init(&b, max);
	for (i = 0; buf_used(&b) + sizeof(msg) <= max - 1000; i++) {
		memset(msg, (int)(i & 0xff), sizeof(msg));
		(void)buf_append(&b, msg, sizeof(msg));
	}
	for (j = 0; j < 20000; i++, j++) {
		if (buf_head(&b)[0] != expect)
			ok = 0;
		buf_consume(&b, sizeof(msg));
		expect++;
		memset(msg, (int)(i & 0xff), sizeof(msg));
		if (buf_append(&b, msg, sizeof(msg)) == -1)
			ok = 0;
		if (b.off == 0)
			slides++;
		if (b.cap > maxcap)
			maxcap = b.cap;
	}
	tap_ok(ok, "a nearly full queue keeps every message in order");
	tap_ok(slides < 100, "a nearly full queue slid %zu times in 20000 "
	    "appends", slides);
	tap_ok(maxcap <= buf_cap_bound(max) && buf_cap_bound(max) == 128 * 1024,
	    "its capacity (%zu) stays within buf_cap_bound (%zu)", maxcap,
	    buf_cap_bound(max));
	buf_free(&b);

	/* At the bound, a buffer slides rather than grow past it. */
	memset(fill, 'f', sizeof(fill));
	buf_init(&b, 300);
	for (i = 0; i < 2000; i++) {
		(void)buf_append(&b, fill, 290 - buf_used(&b));
		buf_consume(&b, 7);
		if (b.cap > buf_cap_bound(300))
			ok = 0;
	}
	tap_ok(ok && b.cap <= buf_cap_bound(300),
	    "a small limit's buffer stays at %zu bytes", b.cap);
	tap_ok(buf_reserve(&b, 300 - buf_used(&b)) != NULL &&
	    buf_reserve(&b, 301 - buf_used(&b)) == NULL,
	    "reserve up to max succeeds and one past it fails");
	buf_free(&b);
}

static void
test_put(void)
{
	struct buf	 b;
	static uint8_t	 big[70000];
	const uint8_t	 want[] = {
		0xab,
		0x12, 0x34,
		0x01, 0x02, 0x03, 0x04,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
		0x00, 0x03, 'a', 'b', 'c'
	};

	buf_init(&b, 0);
	(void)buf_put_u8(&b, 0xab);
	(void)buf_put_u16(&b, 0x1234);
	(void)buf_put_u32(&b, 0x01020304);
	(void)buf_put_u64(&b, 0x0102030405060708ULL);
	(void)buf_put_str(&b, "abc", 3);
	tap_ok(buf_used(&b) == sizeof(want) &&
	    memcmp(buf_head(&b), want, sizeof(want)) == 0,
	    "put_* write big-endian integers and length-prefixed strings");
	errno = 0;
	tap_ok(buf_put_str(&b, big, 65536) == -1 && errno == EMSGSIZE &&
	    buf_used(&b) == sizeof(want),
	    "a string longer than 65535 bytes is refused");
	tap_ok(buf_put_str(&b, big, 65535) == 0 &&
	    buf_used(&b) == sizeof(want) + 2 + 65535,
	    "a 65535-byte string fits");
	buf_free(&b);
}

static void
test_reader(void)
{
	const uint8_t	 in[] = {
		0x12, 0x34, 0x00, 0x02, 'h', 'i', 0xde, 0xad, 0xbe, 0xef,
		0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x7f
	};
	struct reader	 r;
	const uint8_t	*s;
	size_t		 len;

	rd_init(&r, in, sizeof(in));
	tap_ok(rd_u16(&r) == 0x1234, "rd_u16 reads big-endian");
	s = rd_str(&r, &len);
	tap_ok(s != NULL && len == 2 && memcmp(s, "hi", 2) == 0,
	    "rd_str reads a length-prefixed string in place");
	tap_ok(rd_u32(&r) == 0xdeadbeef, "rd_u32 reads big-endian");
	tap_ok(rd_u64(&r) == 0x0102030405060708ULL, "rd_u64 reads big-endian");
	tap_ok(rd_done(&r) == -1, "rd_done fails with a byte left over");
	tap_ok(rd_u8(&r) == 0x7f && rd_done(&r) == 0,
	    "rd_done succeeds once everything is consumed");
	tap_ok(rd_u8(&r) == 0 && r.err && rd_done(&r) == -1,
	    "reading past the end sets the error and returns zero");

	/* Sticky: after one failed read, later reads fail even if they fit. */
	rd_init(&r, in, 3);
	tap_ok(rd_u32(&r) == 0 && r.err, "a read longer than the input fails");
	tap_ok(rd_u8(&r) == 0 && rd_bytes(&r, 1) == NULL && r.err,
	    "the error is sticky: a read that would fit fails too");
	tap_ok(r.left == 3, "a failed read consumes nothing");

	/* A string whose length runs past the end. */
	{
		const uint8_t	 trunc[] = { 0x00, 0x05, 'a', 'b' };

		rd_init(&r, trunc, sizeof(trunc));
		s = rd_str(&r, &len);
		tap_ok(s == NULL && r.err && rd_done(&r) == -1,
		    "rd_str refuses a string longer than the input");
	}
	{
		const uint8_t	 half[] = { 0x00 };

		rd_init(&r, half, sizeof(half));
		s = rd_str(&r, &len);
		tap_ok(s == NULL && len == 0 && r.err,
		    "rd_str refuses a truncated length");
	}
	rd_init(&r, NULL, 0);
	tap_ok(rd_done(&r) == 0, "an empty reader is done at once");
	(void)rd_bytes(&r, 0);
	tap_ok(r.err == 0 && rd_done(&r) == 0,
	    "reading zero bytes from an empty reader is not an error");
}

static void
test_endian(void)
{
	uint8_t	 p[8];

	put_u16(p, 0xa1b2);
	tap_ok(p[0] == 0xa1 && p[1] == 0xb2 && get_u16(p) == 0xa1b2,
	    "put_u16/get_u16");
	put_u32(p, 0xa1b2c3d4);
	tap_ok(p[0] == 0xa1 && p[3] == 0xd4 && get_u32(p) == 0xa1b2c3d4,
	    "put_u32/get_u32");
	put_u64(p, 0xa1b2c3d4e5f60718ULL);
	tap_ok(p[0] == 0xa1 && p[4] == 0xe5 && p[7] == 0x18 &&
	    get_u64(p) == 0xa1b2c3d4e5f60718ULL, "put_u64/get_u64");
	put_u64(p, UINT64_MAX);
	tap_ok(get_u64(p) == UINT64_MAX, "get_u64 of all ones");
	put_u16(p, 0x00ff);
	tap_ok(get_u16(p) == 0x00ff, "get_u16 does not sign-extend");
}

/* What reaches the log of a less trusted process's text. */
static void
test_printable(void)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
		const char	*what;
	} cases[] = {
		{ "plain", 5, "plain", "ASCII kept" },
		{ "h\xc3\xa9llo", 6, "h\xc3\xa9llo", "UTF-8 kept" },
		{ "a\x1b[2Jb", 6, "a?[2Jb", "ESC (C0) replaced" },
		{ "a\nb\rc", 5, "a?b?c", "newline and CR replaced" },
		{ "a\x7f", 2, "a?", "DEL replaced" },
		{ "a\xc2\x9b" "31mb", 7, "a?31mb", "C1 CSI (U+009B) replaced" },
		{ "a\xc2\x85", 3, "a?", "C1 NEL (U+0085) replaced" },
		{ "\xc2\xa0", 2, "\xc2\xa0", "U+00A0 kept" },
		{ "a\xff\xfe" "b", 4, "a??b", "invalid bytes replaced" },
		{ "\xc0\xaf", 2, "??", "overlong encoding replaced" },
		{ "\xed\xa0\x80", 3, "???", "surrogate replaced" },
		{ "x\xe2\x82", 3, "x??", "truncated sequence replaced" },
		{ "a\0b", 3, "a?b", "NUL replaced" },
	};
	char	 out[64];
	size_t	 i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		printable_text(out, sizeof(out), (const uint8_t *)cases[i].in,
		    cases[i].len);
		tap_ok(strcmp(out, cases[i].out) == 0, "printable_text: %s",
		    cases[i].what);
	}
	/* Cut to fit, at a character boundary. */
	printable_text(out, 4, (const uint8_t *)"ab\xc3\xa9", 4);
	tap_ok(strcmp(out, "ab") == 0, "printable_text: cut before a "
	    "character that does not fit");
	printable_text(out, 5, (const uint8_t *)"ab\xc3\xa9", 4);
	tap_ok(strcmp(out, "ab\xc3\xa9") == 0, "printable_text: exactly "
	    "full");
	printable_text(out, 1, (const uint8_t *)"abc", 3);
	tap_ok(out[0] == '\0', "printable_text: room for the NUL only");
}

int
main(void)
{
	test_growth();
	test_max();
	test_consume();
	test_nearly_full();
	test_put();
	test_reader();
	test_endian();
	test_printable();
	return tap_done();
}
