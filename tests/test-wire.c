/*
 * test-wire.c: frames, hellos, records and application messages.
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "noise.h"
#include "tap.h"
#include "util.h"
#include "wire.h"

static const uint8_t all_types[] = {
	MSG_AUTH, MSG_SAY, MSG_ACT, MSG_PRIVMSG, MSG_JOIN, MSG_PART, MSG_WHO,
	MSG_ROOMS, MSG_PING, MSG_PONG, MSG_BYE, MSG_AUTH_OK, MSG_AUTH_FAIL,
	MSG_MESSAGE, MSG_ACTION, MSG_PRIVATE, MSG_HISTORY, MSG_JOINED,
	MSG_PARTED, MSG_ARRIVED, MSG_DEPARTED, MSG_NAMES, MSG_ROOMLIST,
	MSG_NOTICE, MSG_ERROR
};
#define NTYPES	(sizeof(all_types) / sizeof(all_types[0]))

static uint8_t	 names_list[64], rooms_list[64];
static size_t	 names_len, rooms_len;

static void
set_str(struct wire_msg *m, const char *s)
{
	m->s[m->ns].p = s;
	m->s[m->ns].len = strlen(s);
	m->ns++;
}

/* Lists as the broker builds them: the entries without the count. */
static void
build_lists(void)
{
	struct buf	 b;

	buf_init(&b, 0);
	(void)buf_put_str(&b, "alice", 5);
	(void)buf_put_str(&b, "bob", 3);
	names_len = buf_used(&b);
	memcpy(names_list, buf_head(&b), names_len);
	buf_reset(&b);
	(void)buf_put_str(&b, "lobby", 5);
	(void)buf_put_u16(&b, 3);
	(void)buf_put_str(&b, "dev", 3);
	(void)buf_put_u16(&b, 1);
	rooms_len = buf_used(&b);
	memcpy(rooms_list, buf_head(&b), rooms_len);
	buf_free(&b);
}

/* A valid message of each type, with every field set to something. */
static void
sample(uint8_t type, struct wire_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case MSG_AUTH:
		set_str(m, "alice");
		set_str(m, "correct horse battery staple");
		break;
	case MSG_SAY:
	case MSG_ACT:
		set_str(m, "lobby");
		set_str(m, "hello, w\xc3\xb6rld \xf0\x9f\x98\x80");
		break;
	case MSG_PRIVMSG:
		set_str(m, "bob");
		set_str(m, "psst");
		break;
	case MSG_JOIN:
	case MSG_PART:
	case MSG_WHO:
	case MSG_JOINED:
	case MSG_PARTED:
		set_str(m, "Dev-Room_1.x");
		break;
	case MSG_ROOMS:
		break;
	case MSG_PING:
	case MSG_PONG:
		m->token = 0x0123456789abcdefULL;
		break;
	case MSG_BYE:
		set_str(m, "exit");
		break;
	case MSG_AUTH_OK:
		set_str(m, "alice");
		break;
	case MSG_AUTH_FAIL:
		m->byte = 2;
		set_str(m, "invalid user name or password");
		break;
	case MSG_MESSAGE:
	case MSG_ACTION:
		m->time = 1700000000123ULL;
		set_str(m, "lobby");
		set_str(m, "bob");
		set_str(m, "hi there");
		break;
	case MSG_PRIVATE:
		m->time = 1700000000124ULL;
		set_str(m, "bob");
		set_str(m, "secret-ish");
		break;
	case MSG_HISTORY:
		m->time = 1600000000000ULL;
		set_str(m, "lobby");
		set_str(m, "carol");
		m->byte = HISTORY_ACTION;
		set_str(m, "waves");
		break;
	case MSG_ARRIVED:
		m->time = 1700000000200ULL;
		set_str(m, "lobby");
		set_str(m, "dave");
		break;
	case MSG_DEPARTED:
		m->time = 1700000000300ULL;
		set_str(m, "lobby");
		set_str(m, "dave");
		set_str(m, "connection lost");
		break;
	case MSG_NAMES:
		set_str(m, "lobby");
		m->count = 2;
		m->list = names_list;
		m->listlen = names_len;
		break;
	case MSG_ROOMLIST:
		m->count = 2;
		m->list = rooms_list;
		m->listlen = rooms_len;
		break;
	case MSG_NOTICE:
		set_str(m, "welcome\nto the server");
		break;
	case MSG_ERROR:
		m->byte = ERR_NO_ROOM;
		set_str(m, "you are not in that room");
		break;
	}
}

static int
allowed_dir(uint8_t type)
{
	switch (type) {
	case MSG_PING:
	case MSG_PONG:
	case MSG_BYE:
		return FROM_CLIENT | FROM_SERVER;
	case MSG_AUTH:
	case MSG_SAY:
	case MSG_ACT:
	case MSG_PRIVMSG:
	case MSG_JOIN:
	case MSG_PART:
	case MSG_WHO:
	case MSG_ROOMS:
		return FROM_CLIENT;
	default:
		return FROM_SERVER;
	}
}

static int
same_msg(const struct wire_msg *a, const struct wire_msg *b)
{
	int	 i;

	if (a->type != b->type || a->time != b->time ||
	    a->token != b->token || a->byte != b->byte || a->ns != b->ns ||
	    a->count != b->count || a->listlen != b->listlen)
		return 0;
	for (i = 0; i < a->ns; i++)
		if (a->s[i].len != b->s[i].len ||
		    memcmp(a->s[i].p, b->s[i].p, a->s[i].len) != 0)
			return 0;
	return a->listlen == 0 || memcmp(a->list, b->list, a->listlen) == 0;
}

/* Decode p in direction dir; 0 or -1. */
static int
dec(const void *p, size_t len, enum wire_dir dir)
{
	struct wire_msg	 m;

	return wire_decode(p, len, dir, &m);
}

static void
test_roundtrip(void)
{
	struct wire_msg	 m, d;
	struct buf	 b, b2;
	uint8_t		 copy[256];
	size_t		 i, k, len;
	enum wire_dir	 dir, other;
	int		 prefixes_fail;

	for (i = 0; i < NTYPES; i++) {
		const char	*name = wire_type_name(all_types[i]);

		sample(all_types[i], &m);
		buf_init(&b, 0);
		buf_init(&b2, 0);
		dir = (allowed_dir(m.type) & FROM_CLIENT) ? FROM_CLIENT :
		    FROM_SERVER;
		other = dir == FROM_CLIENT ? FROM_SERVER : FROM_CLIENT;
		if (wire_encode(&b, &m) == -1) {
			tap_ok(0, "%s encodes", name);
			continue;
		}
		len = buf_used(&b);
		tap_ok(len <= sizeof(copy) && buf_head(&b)[0] == m.type,
		    "%s encodes to %zu bytes starting with its type", name, len);
		memcpy(copy, buf_head(&b), len);
		tap_ok(wire_decode(copy, len, dir, &d) == 0 && same_msg(&m, &d),
		    "%s decodes to the same fields", name);
		tap_ok(wire_encode(&b2, &d) == 0 && buf_used(&b2) == len &&
		    memcmp(buf_head(&b2), copy, len) == 0,
		    "%s re-encodes to the same bytes", name);
		prefixes_fail = 1;
		for (k = 0; k < len; k++)
			if (dec(copy, k, dir) == 0)
				prefixes_fail = 0;
		tap_ok(prefixes_fail, "every proper prefix of %s fails", name);
		copy[len] = 0;
		tap_ok(dec(copy, len + 1, dir) == -1,
		    "%s with a trailing byte fails", name);
		if (allowed_dir(m.type) == (FROM_CLIENT | FROM_SERVER))
			tap_ok(dec(copy, len, other) == 0,
			    "%s is allowed both ways", name);
		else
			tap_ok(dec(copy, len, other) == -1,
			    "%s in the wrong direction fails", name);
		buf_free(&b);
		buf_free(&b2);
	}
}

/* Encode type with string fields s0 (and s1) via wire_put_simple. */
static size_t
simple(uint8_t *out, size_t outmax, uint8_t type, const char *s0,
    const char *s1)
{
	struct buf	 b;
	size_t		 len = 0;

	buf_init(&b, 0);
	if (wire_put_simple(&b, type, s0, s0 ? strlen(s0) : 0, s1,
	    s1 ? strlen(s1) : 0) == 0 && buf_used(&b) <= outmax) {
		len = buf_used(&b);
		memcpy(out, buf_head(&b), len);
	}
	buf_free(&b);
	return len;
}

/* Build a message by hand: type, then two strings. */
static size_t
raw2(uint8_t *out, uint8_t type, const void *a, size_t alen, const void *c,
    size_t clen)
{
	out[0] = type;
	put_u16(out + 1, (uint16_t)alen);
	memcpy(out + 3, a, alen);
	put_u16(out + 3 + alen, (uint16_t)clen);
	memcpy(out + 5 + alen, c, clen);
	return 5 + alen + clen;
}

static void
test_bad_fields(void)
{
	uint8_t		 p[2048];
	char		 pw[1100];
	size_t		 n;
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*what;
	} badtext[] = {
		{ "a\rb", 3, "CR" },
		{ "a\nb", 3, "LF" },
		{ "a\0b", 3, "NUL" },
		{ "\xc3\x28", 2, "a broken UTF-8 sequence" },
		{ "\xc0\x80", 2, "an overlong UTF-8 NUL" },
		{ "\xed\xa0\x80", 3, "a UTF-16 surrogate" },
		{ "\xf4\x90\x80\x80", 4, "a code point above U+10FFFF" },
		{ "\xe2\x82", 2, "a truncated UTF-8 sequence" },
		{ "", 0, "nothing (empty text)" }
	};
	static const char *badrooms[] = {
		"", "lob by", "lobby!", "r\xc3\xb6om", "a/b",
		"123456789012345678901234567890123"
	};
	static const char *badusers[] = {
		"", "Alice", "1alice", "-bob", ".x", "al ice", "bob!",
		"a23456789012345678901234567890123"
	};
	size_t		 i;

	for (i = 0; i < sizeof(badtext) / sizeof(badtext[0]); i++) {
		n = raw2(p, MSG_SAY, "lobby", 5, badtext[i].text,
		    badtext[i].len);
		tap_ok(dec(p, n, FROM_CLIENT) == -1, "SAY text with %s fails",
		    badtext[i].what);
	}
	n = raw2(p, MSG_SAY, "lobby", 5, "tab\tand \xe2\x82\xac", 11);
	tap_ok(dec(p, n, FROM_CLIENT) == 0, "SAY text with a tab and a euro "
	    "sign is fine");
	for (i = 0; i < sizeof(badrooms) / sizeof(badrooms[0]); i++) {
		n = raw2(p, MSG_SAY, badrooms[i], strlen(badrooms[i]), "x", 1);
		tap_ok(dec(p, n, FROM_CLIENT) == -1,
		    "SAY to room \"%s\" fails", badrooms[i]);
	}
	n = raw2(p, MSG_SAY, "12345678901234567890123456789012", 32, "x", 1);
	tap_ok(dec(p, n, FROM_CLIENT) == 0, "a 32-byte room name is fine");
	for (i = 0; i < sizeof(badusers) / sizeof(badusers[0]); i++) {
		n = raw2(p, MSG_AUTH, badusers[i], strlen(badusers[i]), "pw",
		    2);
		tap_ok(dec(p, n, FROM_CLIENT) == -1,
		    "AUTH as user \"%s\" fails", badusers[i]);
		n = raw2(p, MSG_PRIVMSG, badusers[i], strlen(badusers[i]),
		    "hi", 2);
		tap_ok(dec(p, n, FROM_CLIENT) == -1,
		    "PRIVMSG to user \"%s\" fails", badusers[i]);
	}
	n = raw2(p, MSG_AUTH, "_a.b-c9", 7, "pw", 2);
	tap_ok(dec(p, n, FROM_CLIENT) == 0, "user name _a.b-c9 is fine");

	/* Passwords: 1..1024 bytes of anything. */
	memset(pw, 0, sizeof(pw));
	n = raw2(p, MSG_AUTH, "alice", 5, pw, 0);
	tap_ok(dec(p, n, FROM_CLIENT) == -1, "AUTH with an empty password fails");
	n = raw2(p, MSG_AUTH, "alice", 5, "\0\xff\n\r", 4);
	tap_ok(dec(p, n, FROM_CLIENT) == 0,
	    "a password may hold any bytes, even NUL, CR, LF and non-UTF-8");
	memset(pw, 'p', sizeof(pw));
	n = raw2(p, MSG_AUTH, "alice", 5, pw, 1024);
	tap_ok(dec(p, n, FROM_CLIENT) == 0, "a 1024-byte password is fine");
	n = raw2(p, MSG_AUTH, "alice", 5, pw, 1025);
	tap_ok(dec(p, n, FROM_CLIENT) == -1, "a 1025-byte password fails");

	/* Reasons and notices: UTF-8 without NUL, may be empty. */
	n = simple(p, sizeof(p), MSG_BYE, "", NULL);
	tap_ok(n == 3 && dec(p, n, FROM_CLIENT) == 0, "BYE with no reason");
	p[0] = MSG_BYE; put_u16(p + 1, 2); p[3] = 'a'; p[4] = '\0';
	tap_ok(dec(p, 5, FROM_SERVER) == -1, "BYE reason with NUL fails");
	p[4] = 0xff;
	tap_ok(dec(p, 5, FROM_SERVER) == -1, "BYE reason not UTF-8 fails");
	p[0] = MSG_NOTICE; p[4] = '\n';
	tap_ok(dec(p, 5, FROM_SERVER) == 0, "NOTICE may hold a newline");

	/* Other rooms and users. */
	tap_ok((n = simple(p, sizeof(p), MSG_JOIN, "lobby", NULL)) > 0 &&
	    dec(p, n, FROM_CLIENT) == 0, "JOIN lobby");
	p[0] = MSG_WHO; p[3] = ' ';
	tap_ok(dec(p, n, FROM_CLIENT) == -1, "WHO with a bad room name fails");
	p[0] = MSG_ROOMS;
	tap_ok(dec(p, 1, FROM_CLIENT) == 0 && dec(p, 2, FROM_CLIENT) == -1,
	    "ROOMS carries nothing at all");
	p[0] = MSG_AUTH_OK; put_u16(p + 1, 5); memcpy(p + 3, "Alice", 5);
	tap_ok(dec(p, 8, FROM_SERVER) == -1, "AUTH_OK with a bad name fails");
}

/* type, time, and the s fields of a DEPARTED, hand-built. */
static void
test_bytes_and_times(void)
{
	struct wire_msg	 m;
	struct buf	 b;
	uint8_t		 p[64];
	int		 code, ok;

	/* ERROR codes are 1..6. */
	ok = 1;
	for (code = 0; code < 256; code++) {
		p[0] = MSG_ERROR;
		p[1] = (uint8_t)code;
		put_u16(p + 2, 1);
		p[4] = 'x';
		if ((dec(p, 5, FROM_SERVER) == 0) !=
		    (code >= ERR_BAD_REQUEST && code <= ERR_LIMIT))
			ok = 0;
	}
	tap_ok(ok, "ERROR accepts exactly the codes 1..6");
	/* AUTH_FAIL's byte is any count. */
	p[0] = MSG_AUTH_FAIL;
	p[1] = 255;
	tap_ok(dec(p, 5, FROM_SERVER) == 0 && dec(p, 5, FROM_CLIENT) == -1,
	    "AUTH_FAIL takes any tries-left byte, from the server only");
	p[1] = 0;
	put_u16(p + 2, 0);
	tap_ok(dec(p, 4, FROM_SERVER) == 0, "AUTH_FAIL with 0 tries, no reason");

	/* HISTORY kind must be SAY or ACTION. */
	sample(MSG_HISTORY, &m);
	buf_init(&b, 0);
	(void)wire_encode(&b, &m);
	memcpy(p, buf_head(&b), buf_used(&b));
	/* type(1) time(8) room(2+5) sender(2+5) kind */
	tap_ok(p[23] == HISTORY_ACTION, "HISTORY kind sits after the sender");
	p[23] = HISTORY_SAY;
	tap_ok(dec(p, buf_used(&b), FROM_SERVER) == 0, "HISTORY kind SAY");
	p[23] = 2;
	tap_ok(dec(p, buf_used(&b), FROM_SERVER) == -1, "HISTORY kind 2 fails");
	m.byte = 2;
	buf_reset(&b);
	tap_ok(wire_encode(&b, &m) == -1 && buf_used(&b) == 0,
	    "encoding HISTORY kind 2 fails");
	buf_free(&b);

	/* DEPARTED: the reason may be empty; the time is any value. */
	sample(MSG_DEPARTED, &m);
	m.s[2].p = NULL;
	m.s[2].len = 0;
	m.time = UINT64_MAX;
	buf_init(&b, 0);
	tap_ok(wire_encode(&b, &m) == 0 &&
	    wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == 0 &&
	    m.ns == 3 && m.s[2].len == 0 && m.time == UINT64_MAX,
	    "DEPARTED with an empty reason and the largest time");
	buf_free(&b);
}

static void
test_lists(void)
{
	struct wire_msg	 m;
	struct buf	 b;
	struct reader	 r;
	struct wire_str	 s;
	uint8_t		 p[256];
	uint16_t	 members;
	size_t		 n;
	int		 got;

	/* NAMES: iterate. */
	sample(MSG_NAMES, &m);
	buf_init(&b, 0);
	(void)wire_encode(&b, &m);
	n = buf_used(&b);
	memcpy(p, buf_head(&b), n);
	buf_free(&b);
	tap_ok(wire_decode(p, n, FROM_SERVER, &m) == 0 && m.count == 2 &&
	    m.ns == 1 && m.listlen == names_len, "NAMES decodes");
	rd_init(&r, m.list, m.listlen);
	got = wire_names_next(&r, &s);
	tap_ok(got == 1 && s.len == 5 && memcmp(s.p, "alice", 5) == 0,
	    "first name is alice");
	got = wire_names_next(&r, &s);
	tap_ok(got == 1 && s.len == 3 && memcmp(s.p, "bob", 3) == 0,
	    "second name is bob");
	tap_ok(wire_names_next(&r, &s) == 0 && !r.err, "then the end");

	/* NAMES: count disagreeing with the entries. */
	/* type, then "lobby" (2 + 5 bytes): the count is bytes 8 and 9. */
	tap_ok(p[8] == 0 && p[9] == 2, "the NAMES count sits after the room");
	p[9] = 3;
	tap_ok(dec(p, n, FROM_SERVER) == -1,
	    "NAMES with a count larger than the entries fails");
	p[9] = 1;
	tap_ok(dec(p, n, FROM_SERVER) == -1,
	    "NAMES with a count smaller than the entries fails");
	p[9] = 0;
	tap_ok(dec(p, 10, FROM_SERVER) == 0, "an empty NAMES list is fine");
	p[9] = 2;
	p[12] = 'A';		/* "Alice" */
	tap_ok(dec(p, n, FROM_SERVER) == -1, "NAMES with a bad name fails");

	/* ROOMLIST. */
	sample(MSG_ROOMLIST, &m);
	buf_init(&b, 0);
	(void)wire_encode(&b, &m);
	n = buf_used(&b);
	memcpy(p, buf_head(&b), n);
	buf_free(&b);
	tap_ok(wire_decode(p, n, FROM_SERVER, &m) == 0 && m.count == 2,
	    "ROOMLIST decodes");
	rd_init(&r, m.list, m.listlen);
	got = wire_rooms_next(&r, &s, &members);
	tap_ok(got == 1 && s.len == 5 && memcmp(s.p, "lobby", 5) == 0 &&
	    members == 3, "first room is lobby with 3 members");
	got = wire_rooms_next(&r, &s, &members);
	tap_ok(got == 1 && s.len == 3 && memcmp(s.p, "dev", 3) == 0 &&
	    members == 1, "second room is dev with 1 member");
	tap_ok(wire_rooms_next(&r, &s, &members) == 0 && !r.err, "then the end");
	tap_ok(dec(p, n - 2, FROM_SERVER) == -1,
	    "ROOMLIST missing the last member count fails");
	p[6] = ' ';		/* "l bby" */
	tap_ok(dec(p, n, FROM_SERVER) == -1, "ROOMLIST with a bad room fails");

	/* The iterators stop at malformed bytes instead of reading on. */
	{
		const uint8_t	 bad[] = { 0x00, 0x05, 'a', 'b' };

		rd_init(&r, bad, sizeof(bad));
		tap_ok(wire_names_next(&r, &s) == 0 && r.err,
		    "wire_names_next stops at a truncated entry");
		rd_init(&r, bad, sizeof(bad));
		tap_ok(wire_rooms_next(&r, &s, &members) == 0 && r.err,
		    "wire_rooms_next stops at a truncated entry");
	}

	/* Encoding checks the list it is given. */
	sample(MSG_NAMES, &m);
	m.count = 3;
	buf_init(&b, 0);
	tap_ok(wire_encode(&b, &m) == -1 && buf_used(&b) == 0,
	    "encoding a NAMES list whose count is wrong fails");
	buf_free(&b);
}

static void
test_encode_errors(void)
{
	struct wire_msg	 m;
	struct buf	 b;
	static char	 big[RECORD_MAX_PLAINTEXT];
	size_t		 fit;
	uint8_t		 p[16];

	buf_init(&b, 0);
	(void)buf_append(&b, "0123456789", 10);
	buf_consume(&b, 4);
	sample(MSG_SAY, &m);
	m.ns = 1;
	tap_ok(wire_encode(&b, &m) == -1, "too few strings fails");
	m.ns = 3;
	tap_ok(wire_encode(&b, &m) == -1, "too many strings fails");
	sample(MSG_SAY, &m);
	m.s[0].p = "no such room!";
	m.s[0].len = strlen(m.s[0].p);
	tap_ok(wire_encode(&b, &m) == -1, "a bad room name is not encoded");
	m.type = 0x7e;
	tap_ok(wire_encode(&b, &m) == -1, "an unknown type is not encoded");
	tap_ok(buf_used(&b) == 6 && memcmp(buf_head(&b), "456789", 6) == 0,
	    "failed encodes leave the buffer's contents alone");

	/* The largest SAY that fits a record, and one byte more. */
	memset(big, 'a', sizeof(big));
	fit = RECORD_MAX_PLAINTEXT - (1 + 2 + 5 + 2);
	sample(MSG_SAY, &m);
	m.s[1].p = big;
	m.s[1].len = fit;
	buf_reset(&b);
	tap_ok(wire_encode(&b, &m) == 0 && buf_used(&b) == RECORD_MAX_PLAINTEXT &&
	    dec(buf_head(&b), buf_used(&b), FROM_CLIENT) == 0,
	    "a SAY of exactly RECORD_MAX_PLAINTEXT bytes works");
	m.s[1].len = fit + 1;
	buf_reset(&b);
	tap_ok(wire_encode(&b, &m) == -1 && buf_used(&b) == 0,
	    "a SAY one byte longer is refused");
	buf_free(&b);

	/* A buffer with a limit. */
	buf_init(&b, 8);
	sample(MSG_SAY, &m);
	tap_ok(wire_encode(&b, &m) == -1 && buf_used(&b) == 0,
	    "encoding into a buffer that is too small fails cleanly");
	buf_free(&b);

	/* Decoding: nothing, an unknown type, a bad direction value. */
	tap_ok(dec(p, 0, FROM_CLIENT) == -1, "an empty message fails");
	p[0] = 0x00;
	tap_ok(dec(p, 1, FROM_CLIENT) == -1 && dec(p, 1, FROM_SERVER) == -1,
	    "type 0x00 is unknown");
	p[0] = 0xff;
	tap_ok(dec(p, 1, FROM_SERVER) == -1, "type 0xff is unknown");
	p[0] = MSG_ROOMS;
	tap_ok(dec(p, 1, (enum wire_dir)3) == -1, "a bogus direction fails");
	tap_ok(dec(big, 1, FROM_CLIENT) == -1, "type 0x61 is unknown");
	{
		static uint8_t	 huge[RECORD_MAX_PLAINTEXT + 1];

		/* A well-formed SAY, but one byte too long for a record. */
		memset(huge, 'a', sizeof(huge));
		huge[0] = MSG_SAY;
		put_u16(huge + 1, 5);
		memcpy(huge + 3, "lobby", 5);
		put_u16(huge + 8, (uint16_t)(sizeof(huge) - 10));
		tap_ok(dec(huge, sizeof(huge), FROM_CLIENT) == -1,
		    "a message longer than RECORD_MAX_PLAINTEXT fails");
	}
}

static void
test_names_and_simple(void)
{
	uint8_t		 p[64];
	size_t		 n;
	struct buf	 b;
	const uint8_t	 say[] = {
		0x10, 0x00, 0x05, 'l', 'o', 'b', 'b', 'y', 0x00, 0x02, 'h', 'i'
	};

	tap_ok(wire_type_name(MSG_SAY) != NULL &&
	    strcmp(wire_type_name(MSG_SAY), "SAY") == 0, "type 0x10 is SAY");
	tap_ok(wire_type_name(MSG_ROOMLIST) != NULL &&
	    strcmp(wire_type_name(MSG_ROOMLIST), "ROOMLIST") == 0,
	    "type 0x29 is ROOMLIST");
	tap_ok(wire_type_name(0x00) == NULL && wire_type_name(0x40) == NULL,
	    "unknown types have no name");

	/* The worked example of doc/protocol.md. */
	n = simple(p, sizeof(p), MSG_SAY, "lobby", "hi");
	tap_ok(n == sizeof(say) && memcmp(p, say, n) == 0,
	    "SAY lobby hi encodes as in the protocol document");
	{
		const uint8_t	 msg[] = {
			0x11, 0x00, 0x00, 0x01, 0x8b, 0xcf, 0xe5, 0x68, 0x7b,
			0x00, 0x05, 'l', 'o', 'b', 'b', 'y',
			0x00, 0x03, 'b', 'o', 'b', 0x00, 0x02, 'h', 'i'
		};
		struct wire_msg	 m;

		memset(&m, 0, sizeof(m));
		m.type = MSG_MESSAGE;
		m.time = 1700000000123ULL;
		set_str(&m, "lobby");
		set_str(&m, "bob");
		set_str(&m, "hi");
		buf_init(&b, 0);
		tap_ok(wire_encode(&b, &m) == 0 && buf_used(&b) == sizeof(msg) &&
		    memcmp(buf_head(&b), msg, sizeof(msg)) == 0,
		    "MESSAGE encodes as in the protocol document");
		buf_free(&b);
	}
	n = simple(p, sizeof(p), MSG_ROOMS, NULL, NULL);
	tap_ok(n == 1 && p[0] == MSG_ROOMS, "ROOMS is one byte");
	n = simple(p, sizeof(p), MSG_AUTH_OK, "alice", NULL);
	tap_ok(n == 8 && dec(p, n, FROM_SERVER) == 0, "AUTH_OK alice");
	buf_init(&b, 0);
	tap_ok(wire_put_simple(&b, MSG_PING, NULL, 0, NULL, 0) == -1 &&
	    wire_put_simple(&b, MSG_MESSAGE, "a", 1, "b", 1) == -1 &&
	    wire_put_simple(&b, MSG_NAMES, "lobby", 5, NULL, 0) == -1 &&
	    wire_put_simple(&b, MSG_ERROR, "x", 1, NULL, 0) == -1 &&
	    buf_used(&b) == 0,
	    "wire_put_simple refuses types with non-string fields");
	tap_ok(wire_put_simple(&b, MSG_SAY, "lobby", 5, "a\nb", 3) == -1 &&
	    buf_used(&b) == 0, "wire_put_simple checks the fields");
	buf_free(&b);
}

static void
test_frames(void)
{
	const uint8_t	 two[] = { 0x00, 0x03, 'a', 'b', 'c', 0x00, 0x01, 'd' };
	const uint8_t	 zero[] = { 0x00, 0x00, 'x' };
	const uint8_t	*payload = NULL;
	size_t		 plen = 0, consumed = 0;
	static uint8_t	 big[FRAME_MAX + 1];
	struct buf	 b;

	tap_ok(frame_parse(two, 0, &payload, &plen, &consumed) == 0,
	    "frame_parse on 0 bytes needs more");
	tap_ok(frame_parse(two, 1, &payload, &plen, &consumed) == 0,
	    "frame_parse on 1 byte needs more");
	tap_ok(frame_parse(two, 2, &payload, &plen, &consumed) == 0 &&
	    frame_parse(two, 4, &payload, &plen, &consumed) == 0,
	    "frame_parse on a partial frame needs more");
	tap_ok(frame_parse(two, 5, &payload, &plen, &consumed) == 1 &&
	    payload == two + 2 && plen == 3 && consumed == 5,
	    "frame_parse finds a whole frame");
	tap_ok(frame_parse(two, sizeof(two), &payload, &plen, &consumed) == 1 &&
	    plen == 3 && consumed == 5, "only the first of two frames");
	tap_ok(frame_parse(two + 5, 3, &payload, &plen, &consumed) == 1 &&
	    plen == 1 && payload[0] == 'd' && consumed == 3,
	    "then the second");
	tap_ok(frame_parse(zero, 2, &payload, &plen, &consumed) == -1 &&
	    frame_parse(zero, 3, &payload, &plen, &consumed) == -1,
	    "a frame of length 0 is malformed");

	buf_init(&b, 0);
	tap_ok(frame_append(&b, big, 0) == -1 && buf_used(&b) == 0,
	    "frame_append refuses an empty payload");
	tap_ok(frame_append(&b, big, FRAME_MAX + 1) == -1 && buf_used(&b) == 0,
	    "frame_append refuses FRAME_MAX + 1 bytes");
	big[0] = 0x5a;
	tap_ok(frame_append(&b, big, FRAME_MAX) == 0 &&
	    buf_used(&b) == FRAME_HDRLEN + FRAME_MAX &&
	    buf_head(&b)[0] == 0xff && buf_head(&b)[1] == 0xff &&
	    buf_head(&b)[2] == 0x5a, "frame_append of FRAME_MAX bytes");
	tap_ok(frame_parse(buf_head(&b), buf_used(&b), &payload, &plen,
	    &consumed) == 1 && plen == FRAME_MAX && payload[0] == 0x5a,
	    "and frame_parse reads it back");
	buf_free(&b);
	buf_init(&b, 4);
	tap_ok(frame_append(&b, (const uint8_t *)"abc", 3) == -1 &&
	    buf_used(&b) == 0, "no half frame is left when the buffer is full");
	buf_free(&b);
}

static void
test_hellos(void)
{
	uint8_t		 out[300], suites[HELLO_MAX_SUITES], suite;
	uint8_t		 p[300];
	char		 reason[HELLO_REASON_MAX + 1], small[4], longr[202];
	size_t		 ns;
	int		 n;
	const uint8_t	 want[] = {
		'S', 'E', 'C', 'C', 'H', 'A', 'T', '1', 0x02, 0x01, 0x02
	};
	const uint8_t	 offer[] = { SUITE_AESGCM, SUITE_CHACHAPOLY };
	const uint8_t	 nine[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const uint8_t	 withnone[] = { SUITE_CHACHAPOLY, SUITE_NONE };

	/* Client hello. */
	n = hello_client_encode(out, sizeof(out), offer, 2);
	tap_ok(n == (int)sizeof(want) && memcmp(out, want, sizeof(want)) == 0,
	    "client hello encodes as in the protocol document");
	tap_ok(hello_client_decode(out, (size_t)n, suites, &ns) == 0 &&
	    ns == 2 && suites[0] == 1 && suites[1] == 2,
	    "client hello decodes");
	tap_ok(hello_client_encode(out, sizeof(out), offer, 0) == -1 &&
	    hello_client_encode(out, sizeof(out), nine, 9) == -1,
	    "client hello encode refuses 0 and 9 suites");
	tap_ok(hello_client_encode(out, sizeof(out), nine, 8) == 17,
	    "8 suites are fine");
	tap_ok(hello_client_encode(out, 10, offer, 2) == -1,
	    "client hello encode checks the output size");
	tap_ok(hello_client_encode(out, sizeof(out), withnone, 2) == -1,
	    "client hello encode refuses suite 0x00");
	memcpy(p, want, sizeof(want));
	p[8] = 0;
	tap_ok(hello_client_decode(p, 9, suites, &ns) == -1,
	    "client hello with n = 0 fails");
	memcpy(p, "SECCHAT1", 8);
	p[8] = 9;
	memcpy(p + 9, nine, 9);
	tap_ok(hello_client_decode(p, 18, suites, &ns) == -1,
	    "client hello with n = 9 fails");
	memcpy(p, want, sizeof(want));
	tap_ok(hello_client_decode(p, sizeof(want) - 1, suites, &ns) == -1 &&
	    hello_client_decode(p, 8, suites, &ns) == -1 &&
	    hello_client_decode(p, 3, suites, &ns) == -1 &&
	    hello_client_decode(p, 0, suites, &ns) == -1,
	    "truncated client hellos fail");
	p[sizeof(want)] = 0x01;
	tap_ok(hello_client_decode(p, sizeof(want) + 1, suites, &ns) == -1,
	    "client hello with a trailing byte fails");
	p[7] = '2';
	tap_ok(hello_client_decode(p, sizeof(want), suites, &ns) == -1,
	    "client hello with the wrong magic fails");
	memcpy(p, want, sizeof(want));
	p[10] = 0x00;
	tap_ok(hello_client_decode(p, sizeof(want), suites, &ns) == -1,
	    "client hello offering suite 0x00 fails");
	p[10] = 0x77;
	tap_ok(hello_client_decode(p, sizeof(want), suites, &ns) == 0 &&
	    ns == 2 && suites[1] == 0x77,
	    "client hello with an unknown suite id is accepted");

	/* Server hello. */
	n = hello_server_encode(out, sizeof(out), SUITE_CHACHAPOLY, NULL);
	tap_ok(n == 9 && memcmp(out, "SECCHAT1\x02", 9) == 0,
	    "server hello choosing ChaChaPoly");
	memset(reason, 'x', sizeof(reason));
	tap_ok(hello_server_decode(out, 9, &suite, reason, sizeof(reason)) == 0 &&
	    suite == SUITE_CHACHAPOLY && reason[0] == '\0',
	    "server hello decodes with an empty reason");
	n = hello_server_encode(out, sizeof(out), SUITE_NONE, "server full");
	tap_ok(n == 20 && hello_server_decode(out, (size_t)n, &suite, reason,
	    sizeof(reason)) == 0 && suite == SUITE_NONE &&
	    strcmp(reason, "server full") == 0, "a refusal with a reason");
	n = hello_server_encode(out, sizeof(out), SUITE_NONE, NULL);
	tap_ok(n == 9 && hello_server_decode(out, 9, &suite, reason,
	    sizeof(reason)) == 0 && suite == SUITE_NONE && reason[0] == '\0',
	    "a refusal without a reason");
	tap_ok(hello_server_encode(out, sizeof(out), SUITE_AESGCM, "hi") == -1,
	    "server hello encode refuses a reason on a chosen suite");
	memcpy(p, "SECCHAT1\x01hi", 11);
	tap_ok(hello_server_decode(p, 11, &suite, reason, sizeof(reason)) == -1,
	    "server hello with a reason on a non-zero suite fails");
	tap_ok(hello_server_decode(p, 8, &suite, reason, sizeof(reason)) == -1,
	    "truncated server hello fails");
	p[0] = 's';
	tap_ok(hello_server_decode(p, 9, &suite, reason, sizeof(reason)) == -1,
	    "server hello with the wrong magic fails");
	memcpy(p, "SECCHAT1\x00" "a\nb", 12);
	tap_ok(hello_server_decode(p, 12, &suite, reason, sizeof(reason)) == -1,
	    "a refusal reason with a newline fails");
	memcpy(p, "SECCHAT1\x00" "a\x1b[2J", 14);
	tap_ok(hello_server_decode(p, 14, &suite, reason, sizeof(reason)) == -1,
	    "a refusal reason with an escape sequence fails");
	memcpy(p, "SECCHAT1\x00" "a\xc2\x9b" "2J", 14);
	tap_ok(hello_server_decode(p, 14, &suite, reason, sizeof(reason)) == -1,
	    "a refusal reason with a C1 control (CSI) fails");
	memcpy(p, "SECCHAT1\x00" "a\x7f", 11);
	tap_ok(hello_server_decode(p, 11, &suite, reason, sizeof(reason)) == -1,
	    "a refusal reason with DEL fails");
	memcpy(p, "SECCHAT1\x00" "a\xff", 11);
	tap_ok(hello_server_decode(p, 11, &suite, reason, sizeof(reason)) == -1,
	    "a refusal reason that is not UTF-8 fails");
	tap_ok(hello_server_encode(out, sizeof(out), SUITE_NONE, "a\tb") == -1,
	    "server hello encode refuses control characters");
	memset(longr, 'r', sizeof(longr));
	longr[HELLO_REASON_MAX] = '\0';
	n = hello_server_encode(out, sizeof(out), SUITE_NONE, longr);
	tap_ok(n == 9 + HELLO_REASON_MAX && hello_server_decode(out,
	    (size_t)n, &suite, reason, sizeof(reason)) == 0 &&
	    strlen(reason) == HELLO_REASON_MAX,
	    "a reason of HELLO_REASON_MAX bytes");
	longr[HELLO_REASON_MAX] = 'r';
	longr[HELLO_REASON_MAX + 1] = '\0';
	tap_ok(hello_server_encode(out, sizeof(out), SUITE_NONE, longr) == -1,
	    "server hello encode refuses a longer reason");
	memcpy(out + 9, longr, HELLO_REASON_MAX + 1);
	tap_ok(hello_server_decode(out, 9 + HELLO_REASON_MAX + 1, &suite,
	    reason, sizeof(reason)) == -1, "and decode refuses it too");
	/* "é é" cut to fit 3 bytes + NUL: never half a character. */
	memcpy(p, "SECCHAT1\x00" "\xc3\xa9\xc3\xa9", 13);
	tap_ok(hello_server_decode(p, 13, &suite, small, sizeof(small)) == 0 &&
	    strcmp(small, "\xc3\xa9") == 0,
	    "a reason too long for the caller is cut between characters");
	tap_ok(hello_server_encode(out, 5, SUITE_AESGCM, NULL) == -1,
	    "server hello encode checks the output size");

	/* Suites. */
	tap_ok(suite_cipher(SUITE_AESGCM) == NOISE_AESGCM &&
	    suite_cipher(SUITE_CHACHAPOLY) == NOISE_CHACHAPOLY &&
	    suite_cipher(SUITE_NONE) == 0 && suite_cipher(0x77) == 0,
	    "suite_cipher maps known suites only");
	tap_ok(strcmp(suite_name(SUITE_AESGCM),
	    "Noise_XX_25519_AESGCM_SHA256") == 0 &&
	    strcmp(suite_name(SUITE_CHACHAPOLY),
	    "Noise_XX_25519_ChaChaPoly_SHA256") == 0 &&
	    suite_name(0x77) != NULL && suite_name(SUITE_NONE) != NULL,
	    "suite_name names every id");
}

/* ---------------------------------------------------------------- records */

static void
test_records_cipher(enum noise_cipher cipher, const char *cname)
{
	struct noise_cipherstate tx, rx, unkeyed;
	uint8_t		 key[NOISE_KEYLEN], pt[FRAME_MAX], c1[FRAME_MAX];
	uint8_t		 c2[FRAME_MAX];
	static uint8_t	 big[RECORD_MAX_PLAINTEXT + 1];
	const uint8_t	*payload;
	size_t		 plen, consumed, ptlen, l1, l2;
	struct buf	 b;
	uint64_t	 n0;

	randombytes_buf(key, sizeof(key));
	noise_cs_init(&tx, cipher, key);
	noise_cs_init(&rx, cipher, key);
	buf_init(&b, 0);

	tap_ok(record_seal(&tx, (const uint8_t *)"\x30hello", 6, &b) == 0 &&
	    buf_used(&b) == FRAME_HDRLEN + 6 + NOISE_TAGLEN,
	    "%s: seal appends one frame of plaintext + tag", cname);
	tap_ok(frame_parse(buf_head(&b), buf_used(&b), &payload, &plen,
	    &consumed) == 1 && consumed == buf_used(&b) &&
	    memcmp(payload, "\x30hello", 6) != 0,
	    "%s: the frame parses and is not cleartext", cname);
	memcpy(c1, payload, plen);
	l1 = plen;
	buf_reset(&b);
	tap_ok(record_open(&rx, c1, l1, pt, &ptlen) == 0 && ptlen == 6 &&
	    memcmp(pt, "\x30hello", 6) == 0, "%s: open recovers it", cname);
	n0 = rx.n;
	tap_ok(record_open(&rx, c1, l1, pt, &ptlen) == -1 && rx.n == n0,
	    "%s: a replayed record fails", cname);

	/* Two records opened out of order. */
	(void)record_seal(&tx, (const uint8_t *)"one", 3, &b);
	(void)record_seal(&tx, (const uint8_t *)"two", 3, &b);
	(void)frame_parse(buf_head(&b), buf_used(&b), &payload, &plen,
	    &consumed);
	memcpy(c1, payload, plen);
	l1 = plen;
	buf_consume(&b, consumed);
	(void)frame_parse(buf_head(&b), buf_used(&b), &payload, &plen,
	    &consumed);
	memcpy(c2, payload, plen);
	l2 = plen;
	buf_reset(&b);
	n0 = rx.n;
	tap_ok(record_open(&rx, c2, l2, pt, &ptlen) == -1 && rx.n == n0,
	    "%s: a reordered record fails and leaves the state alone", cname);
	c1[0] ^= 0x01;
	tap_ok(record_open(&rx, c1, l1, pt, &ptlen) == -1 && rx.n == n0,
	    "%s: a tampered record fails and leaves the state alone", cname);
	c1[0] ^= 0x01;
	tap_ok(record_open(&rx, c1, l1, pt, &ptlen) == 0 && ptlen == 3 &&
	    memcmp(pt, "one", 3) == 0 &&
	    record_open(&rx, c2, l2, pt, &ptlen) == 0 && ptlen == 3 &&
	    memcmp(pt, "two", 3) == 0,
	    "%s: after failures the records still open in order", cname);
	tap_ok(record_open(&rx, c2, NOISE_TAGLEN - 1, pt, &ptlen) == -1,
	    "%s: a record shorter than a tag fails", cname);

	/* Sizes. */
	tap_ok(record_seal(&tx, big, RECORD_MAX_PLAINTEXT + 1, &b) == -1 &&
	    buf_used(&b) == 0, "%s: seal refuses more than "
	    "RECORD_MAX_PLAINTEXT bytes", cname);
	tap_ok(record_seal(&tx, big, RECORD_MAX_PLAINTEXT, &b) == 0 &&
	    buf_used(&b) == FRAME_HDRLEN + FRAME_MAX &&
	    frame_parse(buf_head(&b), buf_used(&b), &payload, &plen,
	    &consumed) == 1 && record_open(&rx, payload, plen, pt,
	    &ptlen) == 0 && ptlen == RECORD_MAX_PLAINTEXT,
	    "%s: a record of RECORD_MAX_PLAINTEXT bytes fills a frame", cname);
	buf_free(&b);

	/* Never a cleartext record. */
	memset(&unkeyed, 0, sizeof(unkeyed));
	unkeyed.cipher = cipher;
	buf_init(&b, 0);
	tap_ok(record_seal(&unkeyed, (const uint8_t *)"x", 1, &b) == -1 &&
	    buf_used(&b) == 0, "%s: seal refuses a state with no key", cname);
	tap_ok(record_open(&unkeyed, c1, l1, pt, &ptlen) == -1,
	    "%s: open refuses a state with no key", cname);
	buf_free(&b);
	noise_cs_clear(&tx);
	noise_cs_clear(&rx);
	sodium_memzero(key, sizeof(key));
}

/* The whole chain: hellos as prologue, XX, then a SAY record. */
static void
test_session(enum noise_cipher cipher, uint8_t suite, const char *cname)
{
	struct noise_handshake	 ini, resp;
	struct noise_cipherstate itx, irx, rtx, rrx;
	uint8_t			 cs[NOISE_KEYLEN], cp[NOISE_KEYLEN];
	uint8_t			 ss[NOISE_KEYLEN], sp[NOISE_KEYLEN];
	uint8_t			 ch[32], sh[32], prologue[64];
	uint8_t			 msg[NOISE_MAX_MSG], pl[NOISE_MAX_MSG];
	uint8_t			 pt[FRAME_MAX];
	size_t			 chlen, shlen, mlen, plen, ptlen, fplen, used;
	const uint8_t		*fp;
	struct buf		 b, app;
	struct wire_msg		 m;
	const uint8_t		*rs;
	int			 ok = 1;

	randombytes_buf(cs, sizeof(cs));
	randombytes_buf(ss, sizeof(ss));
	crypto_scalarmult_base(cp, cs);
	crypto_scalarmult_base(sp, ss);
	chlen = (size_t)hello_client_encode(ch, sizeof(ch), &suite, 1);
	shlen = (size_t)hello_server_encode(sh, sizeof(sh), suite, NULL);
	memcpy(prologue, ch, chlen);
	memcpy(prologue + chlen, sh, shlen);

	ok &= noise_hs_init(&ini, NOISE_XX, cipher, 1, prologue,
	    chlen + shlen, cs, cp, NULL) == 0;
	ok &= noise_hs_init(&resp, NOISE_XX, cipher, 0, prologue,
	    chlen + shlen, ss, sp, NULL) == 0;
	ok &= noise_hs_write(&ini, NULL, 0, msg, &mlen) == 0;
	ok &= noise_hs_read(&resp, msg, mlen, pl, &plen) == 0 && plen == 0;
	ok &= noise_hs_write(&resp, NULL, 0, msg, &mlen) == 0;
	ok &= noise_hs_read(&ini, msg, mlen, pl, &plen) == 0 && plen == 0;
	rs = noise_hs_remote_static(&ini);
	ok &= rs != NULL && memcmp(rs, sp, NOISE_KEYLEN) == 0;
	tap_ok(ok, "%s: XX messages 1 and 2; the client sees the server key",
	    cname);

	/* Message 3 carries AUTH. */
	buf_init(&app, 0);
	(void)wire_put_simple(&app, MSG_AUTH, "alice", 5, "pw", 2);
	ok = noise_hs_write(&ini, buf_head(&app), buf_used(&app), msg,
	    &mlen) == 0 &&
	    noise_hs_read(&resp, msg, mlen, pl, &plen) == 0 &&
	    wire_decode(pl, plen, FROM_CLIENT, &m) == 0 &&
	    m.type == MSG_AUTH && m.s[0].len == 5 &&
	    (rs = noise_hs_remote_static(&resp)) != NULL &&
	    memcmp(rs, cp, NOISE_KEYLEN) == 0;
	tap_ok(ok, "%s: message 3 carries AUTH and the client key", cname);
	ok = noise_hs_split(&ini, &itx, &irx) == 0 &&
	    noise_hs_split(&resp, &rtx, &rrx) == 0;
	tap_ok(ok, "%s: both sides split", cname);

	/* A SAY each way through frames and records. */
	buf_init(&b, 0);
	buf_reset(&app);
	(void)wire_put_simple(&app, MSG_SAY, "lobby", 5, "hi", 2);
	ok = record_seal(&itx, buf_head(&app), buf_used(&app), &b) == 0 &&
	    frame_parse(buf_head(&b), buf_used(&b), &fp, &fplen, &used) == 1 &&
	    record_open(&rrx, fp, fplen, pt, &ptlen) == 0 &&
	    wire_decode(pt, ptlen, FROM_CLIENT, &m) == 0 &&
	    m.type == MSG_SAY && m.s[1].len == 2 &&
	    memcmp(m.s[1].p, "hi", 2) == 0;
	tap_ok(ok, "%s: client to server SAY record", cname);
	buf_reset(&b);
	buf_reset(&app);
	(void)wire_put_simple(&app, MSG_BYE, "server shutting down", 20,
	    NULL, 0);
	ok = record_seal(&rtx, buf_head(&app), buf_used(&app), &b) == 0 &&
	    frame_parse(buf_head(&b), buf_used(&b), &fp, &fplen, &used) == 1 &&
	    record_open(&rrx, fp, fplen, pt, &ptlen) == -1 &&
	    record_open(&irx, fp, fplen, pt, &ptlen) == 0 &&
	    wire_decode(pt, ptlen, FROM_SERVER, &m) == 0 &&
	    m.type == MSG_BYE;
	tap_ok(ok, "%s: server to client BYE opens only with the client's "
	    "receive key", cname);
	buf_free(&b);
	buf_free(&app);
	noise_cs_clear(&itx);
	noise_cs_clear(&irx);
	noise_cs_clear(&rtx);
	noise_cs_clear(&rrx);
	sodium_memzero(cs, sizeof(cs));
	sodium_memzero(ss, sizeof(ss));
}

static void
test_records(void)
{
	test_records_cipher(NOISE_CHACHAPOLY, "ChaChaPoly");
	test_session(NOISE_CHACHAPOLY, SUITE_CHACHAPOLY, "ChaChaPoly");
	if (noise_aesgcm_available()) {
		test_records_cipher(NOISE_AESGCM, "AESGCM");
		test_session(NOISE_AESGCM, SUITE_AESGCM, "AESGCM");
	} else
		tap_skip("this CPU has no AES-GCM support",
		    "AES-GCM records");
}

/* ------------------------------------------------------- section 11 */

/* Encode a message with three s fields, decode it, compare. */
static int
ext_roundtrip(uint8_t type, enum wire_dir dir, const char *a, size_t alen,
    const char *b, size_t blen, const char *c, size_t clen)
{
	struct buf	 out;
	struct wire_msg	 m, d;
	int		 ok;

	buf_init(&out, 0);
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.time = 42;
	m.s[0].p = a;
	m.s[0].len = alen;
	m.s[1].p = b;
	m.s[1].len = blen;
	m.s[2].p = c;
	m.s[2].len = clen;
	m.ns = c != NULL ? 3 : b != NULL ? 2 : 1;
	ok = wire_encode(&out, &m) == 0 &&
	    wire_decode(buf_head(&out), buf_used(&out), dir, &d) == 0 &&
	    d.type == type && d.ns == m.ns && d.s[m.ns - 1].len ==
	    m.s[m.ns - 1].len;
	buf_free(&out);
	return ok;
}

/* Section 11.8: AWAY, WHOIS, AWAYNOTE, WHOISINFO, AWAYNAMES. */
static void
test_away_whois(void)
{
	static char	 text[AWAY_TEXT_MAX + 2], rooms[WHOIS_ROOMS_MAX + 2];
	uint8_t		 list[2 * KEYLIST_ENTRY];
	struct buf	 o;
	struct wire_msg	 m, d;
	struct reader	 r;
	const uint8_t	*k;
	uint8_t		 flags;
	size_t		 i;
	int		 ok;

	memset(text, 'a', sizeof(text));
	tap_ok(ext_roundtrip(MSG_AWAY, FROM_CLIENT, text, AWAY_TEXT_MAX, NULL,
	    0, NULL, 0), "AWAY with a 160-byte text round trip");
	tap_ok(!ext_roundtrip(MSG_AWAY, FROM_CLIENT, text, AWAY_TEXT_MAX + 1,
	    NULL, 0, NULL, 0), "AWAY with 161 bytes is refused");
	tap_ok(ext_roundtrip(MSG_AWAY, FROM_CLIENT, "", 0, NULL, 0, NULL, 0),
	    "AWAY with an empty text (back) round trip");
	tap_ok(!ext_roundtrip(MSG_AWAY, FROM_CLIENT, "a\nb", 3, NULL, 0, NULL,
	    0) && !ext_roundtrip(MSG_AWAY, FROM_CLIENT, "\xff", 1, NULL, 0,
	    NULL, 0), "AWAY with a line feed or bad UTF-8 is refused");
	tap_ok(!ext_roundtrip(MSG_AWAY, FROM_SERVER, "x", 1, NULL, 0, NULL, 0),
	    "AWAY from a server is refused");
	tap_ok(ext_roundtrip(MSG_WHOIS, FROM_CLIENT, "bob", 3, NULL, 0, NULL,
	    0) && !ext_roundtrip(MSG_WHOIS, FROM_CLIENT, "Bob", 3, NULL, 0,
	    NULL, 0), "WHOIS takes a user name only");
	tap_ok(ext_roundtrip(MSG_AWAYNOTE, FROM_SERVER, "bob", 3, "lunch", 5,
	    NULL, 0) && ext_roundtrip(MSG_AWAYNOTE, FROM_SERVER, "bob", 3, "",
	    0, NULL, 0) && !ext_roundtrip(MSG_AWAYNOTE, FROM_CLIENT, "bob", 3,
	    "x", 1, NULL, 0), "AWAYNOTE round trip, server to client only");

	/* WHOISINFO: user, rooms, idle, away text, keys. */
	memset(list, 0, sizeof(list));
	list[WIRE_KEYLEN] = KEYLIST_ONLINE;
	memset(list + KEYLIST_ENTRY, 7, WIRE_KEYLEN);
	list[KEYLIST_ENTRY + WIRE_KEYLEN] = KEYLIST_ONLINE;
	buf_init(&o, 0);
	memset(&m, 0, sizeof(m));
	m.type = MSG_WHOISINFO;
	m.s[0].p = "bob";
	m.s[0].len = 3;
	m.s[1].p = "lobby,dev";
	m.s[1].len = 9;
	m.time = 61000;
	m.s[2].p = "gone";
	m.s[2].len = 4;
	m.ns = 3;
	m.count = 2;
	m.list = list;
	m.listlen = sizeof(list);
	ok = wire_encode(&o, &m) == 0 && wire_decode(buf_head(&o),
	    buf_used(&o), FROM_SERVER, &d) == 0 && d.ns == 3 &&
	    d.s[1].len == 9 && d.time == 61000 && d.s[2].len == 4 &&
	    d.count == 2;
	tap_ok(ok, "WHOISINFO round trip");
	rd_init(&r, d.list, d.listlen);
	i = 0;
	while (ok && wire_keys_next(&r, &k, &flags))
		i++;
	tap_ok(i == 2 && !r.err, "WHOISINFO's keys walk as a KEYLIST's");
	tap_ok(wire_decode(buf_head(&o), buf_used(&o), FROM_CLIENT, &d) == -1,
	    "WHOISINFO from a client is refused");
	m.s[1].p = "";
	m.s[1].len = 0;
	m.s[2].len = 0;
	m.count = 0;
	m.list = NULL;
	m.listlen = 0;
	buf_reset(&o);
	tap_ok(wire_encode(&o, &m) == 0, "WHOISINFO with no rooms, no away "
	    "text and no keys encodes");
	{
		static const char *const bad[] = { ",", "a,", ",a", "a,,b",
		    "a b", "a,B c" };

		ok = 1;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			m.s[1].p = bad[i];
			m.s[1].len = strlen(bad[i]);
			buf_reset(&o);
			if (wire_encode(&o, &m) != -1)
				ok = 0;
		}
		tap_ok(ok, "WHOISINFO room lists with empty or bad names are "
		    "refused");
	}
	/* The longest room list: names of 1 byte, then one byte over. */
	for (i = 0; i < WHOIS_ROOMS_MAX + 1; i++)
		rooms[i] = i % 2 == 0 ? 'r' : ',';
	m.s[1].p = rooms;
	m.s[1].len = WHOIS_ROOMS_MAX - 1;
	buf_reset(&o);
	tap_ok(wire_encode(&o, &m) == 0, "WHOISINFO with 4095 bytes of rooms");
	m.s[1].len = WHOIS_ROOMS_MAX + 1;
	buf_reset(&o);
	tap_ok(wire_encode(&o, &m) == -1,
	    "WHOISINFO with 4097 bytes of rooms is refused");
	buf_free(&o);
	tap_ok(ext_roundtrip(MSG_AWAYNAMES, FROM_SERVER, "lobby", 5, NULL, 0,
	    NULL, 0) && !ext_roundtrip(MSG_AWAYNAMES, FROM_CLIENT, "lobby", 5,
	    NULL, 0, NULL, 0), "AWAYNAMES round trip, server to client only");
}

static void
test_extended(void)
{
	uint8_t		 key[WIRE_KEYLEN], out[64], suite, msg[4096];
	static const uint8_t e2e_only[] = { HELLO_CAP_E2E };
	static const uint8_t both[] = { HELLO_CAP_E2E, HELLO_CAP_BATCH };
	static const uint8_t backwards[] = { HELLO_CAP_BATCH, HELLO_CAP_E2E };
	static const uint8_t twice[] = { HELLO_CAP_BATCH, HELLO_CAP_BATCH };
	static const uint8_t below[] = { 0x7f };
	uint8_t		 agreed[HELLO_MAX_CAPS];
	size_t		 nagreed;
	static char	 payload[E2E_PAYLOAD_MAX + 1];
	const uint8_t	*k;
	uint8_t		 flags;
	uint8_t		 suites[3] = { SUITE_AESGCM, SUITE_CHACHAPOLY,
			    HELLO_CAP_E2E };
	struct wire_msg	 d;
	struct reader	 r;
	size_t		 i, n, len;
	char		 reason[HELLO_REASON_MAX + 1];
	int		 rv;

	memset(key, 0xab, sizeof(key));
	memset(payload, 0x00, sizeof(payload));

	/* Hellos. */
	tap_ok(hello_has_cap(suites, 3, HELLO_CAP_E2E) &&
	    !hello_has_cap(suites, 2, HELLO_CAP_E2E),
	    "hello_has_cap finds the capability in a suite list");
	rv = hello_server_encode_caps(out, sizeof(out), SUITE_AESGCM,
	    e2e_only, 1);
	tap_ok(rv == 10 && memcmp(out, "SECCHAT1\x01\x81", 10) == 0,
	    "server hello agreeing to 0x81 is the suite and 0x81");
	tap_ok(hello_server_decode_caps(out, 10, e2e_only, 1, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == 0 && suite == SUITE_AESGCM &&
	    nagreed == 1 && agreed[0] == HELLO_CAP_E2E,
	    "a client that offered 0x81 reads it back");
	tap_ok(hello_server_decode(out, 10, &suite, reason,
	    sizeof(reason)) == -1,
	    "a version 1 client never accepts the extended server hello");
	tap_ok(hello_server_decode_caps(out, 9, e2e_only, 1, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == 0 && nagreed == 0 &&
	    suite == SUITE_AESGCM, "a version 1 server hello reads as no "
	    "extensions");
	out[9] = 0x82;
	tap_ok(hello_server_decode_caps(out, 10, e2e_only, 1, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == -1,
	    "a capability the client did not offer is malformed");
	tap_ok(hello_server_decode_caps(out, 10, NULL, 0, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == -1,
	    "a capability byte to a client that offered none is malformed");
	tap_ok(hello_server_encode_caps(out, sizeof(out), SUITE_NONE,
	    e2e_only, 1) == -1 && hello_server_encode_caps(out, sizeof(out),
	    SUITE_AESGCM, below, 1) == -1,
	    "no capability on a refusal, none below 0x80");
	rv = hello_server_encode_caps(out, sizeof(out), SUITE_NONE, NULL, 0);
	tap_ok(rv == 9, "no capabilities encode a plain hello");
	/* Two capabilities (section 11.9): ascending, each offered, once. */
	rv = hello_server_encode_caps(out, sizeof(out), SUITE_CHACHAPOLY,
	    both, 2);
	tap_ok(rv == 11 && memcmp(out, "SECCHAT1\x02\x81\x82", 11) == 0 &&
	    hello_server_decode_caps(out, 11, both, 2, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == 0 && nagreed == 2 &&
	    hello_has_cap(agreed, nagreed, HELLO_CAP_BATCH),
	    "a server hello agreeing to 0x81 and 0x82 reads back as both");
	tap_ok(hello_server_decode_caps(out, 11, e2e_only, 1, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == -1,
	    "0x82 to a client that offered only 0x81 is malformed");
	tap_ok(hello_server_encode_caps(out, sizeof(out), SUITE_AESGCM,
	    backwards, 2) == -1 && hello_server_encode_caps(out, sizeof(out),
	    SUITE_AESGCM, twice, 2) == -1,
	    "capabilities out of order or twice are not encoded");
	memcpy(out, "SECCHAT1\x01\x82\x81", 11);
	tap_ok(hello_server_decode_caps(out, 11, both, 2, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == -1,
	    "capabilities out of order are malformed");
	memcpy(out, "SECCHAT1\x01\x82\x82", 11);
	tap_ok(hello_server_decode_caps(out, 11, both, 2, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == -1,
	    "a capability twice is malformed");
	memcpy(out, "SECCHAT1\x01\x82", 10);
	tap_ok(hello_server_decode_caps(out, 10, both, 2, &suite, agreed,
	    &nagreed, reason, sizeof(reason)) == 0 && nagreed == 1 &&
	    agreed[0] == HELLO_CAP_BATCH,
	    "a server may agree to some of what was offered");

	/* The extended types, and only those. */
	tap_ok(wire_type_extended(MSG_AUTH_KEY) &&
	    wire_type_extended(MSG_AUTH_MORE) && wire_type_extended(MSG_E2E) &&
	    wire_type_extended(MSG_E2E_FROM) &&
	    wire_type_extended(MSG_E2E_FAIL) && wire_type_extended(MSG_KEYS) &&
	    wire_type_extended(MSG_KEYLIST) && wire_type_extended(MSG_AWAY) &&
	    wire_type_extended(MSG_WHOIS) && wire_type_extended(MSG_AWAYNOTE) &&
	    wire_type_extended(MSG_WHOISINFO) &&
	    wire_type_extended(MSG_AWAYNAMES) && !wire_type_extended(MSG_AUTH) &&
	    !wire_type_extended(MSG_PRIVMSG) && !wire_type_extended(0x77),
	    "wire_type_extended marks exactly the section 11 types");
	test_away_whois();

	/* AUTH_KEY: the proof is exactly 32 bytes. */
	tap_ok(ext_roundtrip(MSG_AUTH_KEY, FROM_CLIENT, "alice", 5,
	    (const char *)key, 32, NULL, 0), "AUTH_KEY round trip");
	tap_ok(!ext_roundtrip(MSG_AUTH_KEY, FROM_CLIENT, "alice", 5,
	    (const char *)key, 31, NULL, 0) &&
	    !ext_roundtrip(MSG_AUTH_KEY, FROM_CLIENT, "alice", 5,
	    (const char *)key, 33, NULL, 0),
	    "AUTH_KEY with a proof of 31 or 33 bytes is refused");

	/* E2E: the payload at its maximum and one past. */
	tap_ok(ext_roundtrip(MSG_E2E, FROM_CLIENT, "bob", 3,
	    (const char *)key, 32, payload, E2E_PAYLOAD_MAX - 100),
	    "E2E round trip");
	tap_ok(!ext_roundtrip(MSG_E2E, FROM_CLIENT, "bob", 3,
	    (const char *)key, 32, payload, 0),
	    "E2E with an empty payload is refused");
	tap_ok(!ext_roundtrip(MSG_E2E, FROM_CLIENT, "bob", 3,
	    (const char *)key, 32, payload, E2E_PAYLOAD_MAX + 1),
	    "E2E with a payload of E2E_PAYLOAD_MAX + 1 is refused");
	tap_ok(!ext_roundtrip(MSG_E2E, FROM_CLIENT, "Bob", 3,
	    (const char *)key, 32, payload, 10),
	    "E2E to a bad user name is refused");
	/* E2E_FROM with the longest fields fills a record exactly. */
	{
		struct buf	 o;
		struct wire_msg	 m;
		char		 name[SECCHAT_NAME_MAX];

		memset(name, 'a', sizeof(name));
		buf_init(&o, 0);
		memset(&m, 0, sizeof(m));
		m.type = MSG_E2E_FROM;
		m.ns = 3;
		m.s[0].p = name;
		m.s[0].len = sizeof(name);
		m.s[1].p = (const char *)key;
		m.s[1].len = 32;
		m.s[2].p = payload;
		m.s[2].len = E2E_PAYLOAD_MAX;
		tap_ok(wire_encode(&o, &m) == 0 &&
		    buf_used(&o) == RECORD_MAX_PLAINTEXT,
		    "E2E_FROM with a 32-byte sender and the largest payload "
		    "is exactly the largest record");
		buf_free(&o);
	}
	tap_ok(ext_roundtrip(MSG_E2E_FAIL, FROM_SERVER, "bob", 3,
	    (const char *)key, 32, "not online", 10), "E2E_FAIL round trip");
	tap_ok(ext_roundtrip(MSG_KEYS, FROM_CLIENT, "bob", 3, NULL, 0, NULL,
	    0), "KEYS round trip");
	tap_ok(ext_roundtrip(MSG_AUTH_MORE, FROM_SERVER, "password", 8, NULL,
	    0, NULL, 0), "AUTH_MORE round trip");

	/* KEYLIST: 64 entries, not 65; defined flags only. */
	for (n = KEYLIST_MAX; n <= KEYLIST_MAX + 1; n++) {
		len = 0;
		msg[len++] = MSG_KEYLIST;
		msg[len++] = 0;
		msg[len++] = 3;
		memcpy(msg + len, "bob", 3);
		len += 3;
		put_u16(msg + len, (uint16_t)n);
		len += 2;
		for (i = 0; i < n; i++) {
			memset(msg + len, (int)i, WIRE_KEYLEN);
			len += WIRE_KEYLEN;
			msg[len++] = (uint8_t)(i % 3 + 1);
		}
		rv = wire_decode(msg, len, FROM_SERVER, &d);
		if (n == KEYLIST_MAX) {
			tap_ok(rv == 0 && d.count == KEYLIST_MAX,
			    "KEYLIST with 64 keys decodes");
			rd_init(&r, d.list, d.listlen);
			i = 0;
			while (wire_keys_next(&r, &k, &flags))
				if (k[0] == (uint8_t)i && flags ==
				    (uint8_t)(i % 3 + 1))
					i++;
			tap_ok(i == KEYLIST_MAX && !r.err,
			    "wire_keys_next walks every key and its flags");
		} else
			tap_ok(rv == -1, "KEYLIST with 65 keys is refused");
	}
	msg[len - 1] = 0x04;
	put_u16(msg + 6, 1);
	msg[6 + 2 + WIRE_KEYLEN] = 0x04;
	tap_ok(wire_decode(msg, 6 + 2 + KEYLIST_ENTRY, FROM_SERVER, &d) == -1,
	    "KEYLIST with an undefined flag bit is refused");
	msg[6 + 2 + WIRE_KEYLEN] = KEYLIST_ENROLLED;
	tap_ok(wire_decode(msg, 6 + 2 + KEYLIST_ENTRY, FROM_SERVER, &d) == 0,
	    "KEYLIST with one enrolled key decodes");
	tap_ok(wire_decode(msg, 6 + 2 + KEYLIST_ENTRY - 1, FROM_SERVER,
	    &d) == -1, "KEYLIST cut short is refused");
	tap_ok(wire_decode(msg, 6 + 2 + KEYLIST_ENTRY, FROM_CLIENT, &d) == -1,
	    "KEYLIST from a client is refused");
}

/* Append one BATCH entry (2-byte length, message) to b. */
static void
batch_entry(struct buf *b, const void *msg, size_t len)
{
	(void)buf_put_str(b, msg, len);
}

/* Section 11.9: BATCH, the M list, its limits. */
static void
test_batch(void)
{
	static const uint8_t joined[] = { MSG_JOINED, 0, 5, 'l', 'o', 'b',
	    'b', 'y' };
	static const uint8_t ping[] = { MSG_PING, 1, 2, 3, 4, 5, 6, 7, 8 };
	struct buf	 b, e;
	struct wire_msg	 m, inner;
	struct reader	 r;
	const uint8_t	*msg;
	size_t		 len, n, fill;
	int		 ok;

	buf_init(&b, 0);
	(void)buf_put_u8(&b, MSG_BATCHREC);
	(void)buf_put_u16(&b, 2);
	batch_entry(&b, joined, sizeof(joined));
	batch_entry(&b, ping, sizeof(ping));
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == 0 &&
	    m.type == MSG_BATCHREC && m.count == 2,
	    "a BATCH of two messages decodes");
	rd_init(&r, m.list, m.listlen);
	ok = wire_batch_next(&r, &msg, &len) && len == sizeof(joined) &&
	    wire_decode(msg, len, FROM_SERVER, &inner) == 0 &&
	    inner.type == MSG_JOINED &&
	    wire_batch_next(&r, &msg, &len) && len == sizeof(ping) &&
	    wire_decode(msg, len, FROM_SERVER, &inner) == 0 &&
	    inner.type == MSG_PING && !wire_batch_next(&r, &msg, &len) &&
	    !r.err;
	tap_ok(ok, "wire_batch_next gives each message in order, then stops");
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_CLIENT, &m) == -1,
	    "a BATCH from a client is malformed");
	tap_ok(wire_type_extended(MSG_BATCHREC) &&
	    strcmp(wire_type_name(MSG_BATCHREC), "BATCH") == 0,
	    "BATCH is a section 11 message named BATCH");
	/* Encoding the same list gives the same bytes. */
	buf_init(&e, 0);
	memset(&m, 0, sizeof(m));
	m.type = MSG_BATCHREC;
	m.count = 2;
	m.list = buf_head(&b) + BATCH_HDRLEN;
	m.listlen = buf_used(&b) - BATCH_HDRLEN;
	tap_ok(wire_encode(&e, &m) == 0 && buf_used(&e) == buf_used(&b) &&
	    memcmp(buf_head(&e), buf_head(&b), buf_used(&b)) == 0,
	    "wire_encode of a BATCH gives the same bytes");
	buf_free(&e);

	/* A count below BATCH_MIN, or one that does not match, is malformed. */
	put_u16(buf_head(&b) + 1, 1);
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == -1,
	    "a BATCH counting one message is malformed");
	put_u16(buf_head(&b) + 1, 3);
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == -1,
	    "a BATCH counting more messages than it holds is malformed");
	put_u16(buf_head(&b) + 1, 2);
	(void)buf_put_u8(&b, 0);
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == -1,
	    "a byte after a BATCH's last message is malformed");
	buf_free(&b);

	/* An empty message, or a BATCH inside a BATCH, is malformed. */
	buf_init(&b, 0);
	(void)buf_put_u8(&b, MSG_BATCHREC);
	(void)buf_put_u16(&b, 2);
	batch_entry(&b, joined, sizeof(joined));
	batch_entry(&b, joined, 0);
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == -1,
	    "an empty message in a BATCH is malformed");
	buf_reset(&b);
	(void)buf_put_u8(&b, MSG_BATCHREC);
	(void)buf_put_u16(&b, 2);
	batch_entry(&b, joined, sizeof(joined));
	{
		uint8_t	 nested[1 + 2 + 2 * (2 + sizeof(ping))];
		size_t	 k = 0;

		nested[k++] = MSG_BATCHREC;
		put_u16(nested + k, 2);
		k += 2;
		for (n = 0; n < 2; n++) {
			put_u16(nested + k, sizeof(ping));
			memcpy(nested + k + 2, ping, sizeof(ping));
			k += 2 + sizeof(ping);
		}
		batch_entry(&b, nested, k);
	}
	tap_ok(wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER, &m) == -1,
	    "a BATCH inside a BATCH is malformed");
	buf_reset(&b);

	/*
	 * The largest BATCH fills a record's plaintext exactly; one byte
	 * more is refused.  Two messages: a PING and a NOTICE whose text
	 * takes the rest.
	 */
	(void)buf_put_u8(&b, MSG_BATCHREC);
	(void)buf_put_u16(&b, 2);
	batch_entry(&b, ping, sizeof(ping));
	fill = RECORD_MAX_PLAINTEXT - buf_used(&b) - BATCH_ENTRY_HDRLEN;
	{
		uint8_t	*notice = malloc(fill + 1);

		notice[0] = MSG_NOTICE;
		put_u16(notice + 1, (uint16_t)(fill - 3));
		memset(notice + 3, 'a', fill - 3);
		batch_entry(&b, notice, fill);
		tap_ok(buf_used(&b) == RECORD_MAX_PLAINTEXT &&
		    wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER,
		    &m) == 0, "a BATCH of %zu bytes (the most) decodes",
		    buf_used(&b));
		buf_reset(&b);
		(void)buf_put_u8(&b, MSG_BATCHREC);
		(void)buf_put_u16(&b, 2);
		batch_entry(&b, ping, sizeof(ping));
		notice[0] = MSG_NOTICE;
		put_u16(notice + 1, (uint16_t)(fill + 1 - 3));
		memset(notice + 3, 'a', fill + 1 - 3);
		batch_entry(&b, notice, fill + 1);
		tap_ok(buf_used(&b) == RECORD_MAX_PLAINTEXT + 1 &&
		    wire_decode(buf_head(&b), buf_used(&b), FROM_SERVER,
		    &m) == -1, "one byte more (%zu) is refused", buf_used(&b));
		free(notice);
	}
	buf_free(&b);
}

int
main(void)
{
	if (sodium_init() == -1) {
		tap_ok(0, "sodium_init");
		return tap_done();
	}
	build_lists();
	test_roundtrip();
	test_bad_fields();
	test_bytes_and_times();
	test_lists();
	test_encode_errors();
	test_names_and_simple();
	test_frames();
	test_hellos();
	test_records();
	test_extended();
	test_batch();
	return tap_done();
}
