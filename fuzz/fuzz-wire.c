/*
 * fuzz-wire.c: wire_decode, the application messages inside records.
 *
 * The input is one record's plaintext, decoded as sent by a client and as
 * sent by a server.  A message that decodes must point only into the
 * input, must encode back to exactly the input (the format has one
 * spelling per message), and that encoding must decode to the same
 * fields.  Name and room lists, and a BATCH's messages (each decoded in
 * turn), are walked with the iterators the client uses, and the iterators are also run over raw input, which they must
 * survive without having been validated first.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
inside(const void *p, size_t len, const uint8_t *data, size_t size)
{
	const uint8_t	*q = p;

	if (len == 0)
		return 1;
	return q != NULL && q >= data && q <= data + size &&
	    len <= (size_t)(data + size - q);
}

static int
same_str(const struct wire_str *a, const struct wire_str *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
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
		if (!same_str(&a->s[i], &b->s[i]))
			return 0;
	return a->listlen == 0 || memcmp(a->list, b->list, a->listlen) == 0;
}

static void	decode(const uint8_t *, size_t, enum wire_dir);

/* The next entry of a decoded list, checked again; 0 at its end. */
static int
next_entry(struct reader *r, uint8_t type)
{
	struct wire_str	 name;
	const uint8_t	*msg;
	size_t		 len;
	uint16_t	 members;

	if (type == MSG_BATCHREC) {
		/* Each message is itself a record's plaintext: decode it too. */
		if (!wire_batch_next(r, &msg, &len))
			return 0;
		if (len == 0 || msg[0] == MSG_BATCHREC)
			abort();
		decode(msg, len, FROM_SERVER);
	} else if (type == MSG_NAMES) {
		if (!wire_names_next(r, &name))
			return 0;
		if (!valid_username(name.p, name.len))
			abort();
	} else {
		if (!wire_rooms_next(r, &name, &members))
			return 0;
		if (!valid_roomname(name.p, name.len))
			abort();
	}
	return 1;
}

/* Walk a decoded list: exactly count valid entries, then its end. */
static void
walk_list(const struct wire_msg *m)
{
	struct reader	 r;
	size_t		 n = 0;

	rd_init(&r, m->list, m->listlen);
	while (next_entry(&r, m->type))
		n++;
	if (r.err || r.left != 0 || n != m->count)
		abort();
}

static void
decode(const uint8_t *data, size_t size, enum wire_dir dir)
{
	struct wire_msg	 m, m2;
	struct buf	 b;
	int		 i;

	if (wire_decode(data, size, dir, &m) == -1)
		return;
	if (m.type != data[0] || wire_type_name(m.type) == NULL ||
	    m.ns < 0 || m.ns > WIRE_MAXSTR)
		abort();
	for (i = 0; i < m.ns; i++)
		if (!inside(m.s[i].p, m.s[i].len, data, size))
			abort();
	if (!inside(m.list, m.listlen, data, size))
		abort();
	if (m.type == MSG_NAMES || m.type == MSG_ROOMLIST ||
	    m.type == MSG_BATCHREC)
		walk_list(&m);

	buf_init(&b, 0);
	if (wire_encode(&b, &m) == -1 || buf_used(&b) != size ||
	    memcmp(buf_head(&b), data, size) != 0)
		abort();
	if (wire_decode(buf_head(&b), buf_used(&b), dir, &m2) == -1 ||
	    !same_msg(&m, &m2))
		abort();
	buf_free(&b);
}

/* The iterators over bytes nobody has checked: they must just stop. */
static void
iterate_raw(const uint8_t *data, size_t size)
{
	struct reader	 r;
	struct wire_str	 s;
	const uint8_t	*msg;
	size_t		 len;
	uint16_t	 members;

	rd_init(&r, data, size);
	while (wire_names_next(&r, &s))
		if (!inside(s.p, s.len, data, size))
			abort();
	rd_init(&r, data, size);
	while (wire_rooms_next(&r, &s, &members))
		if (!inside(s.p, s.len, data, size))
			abort();
	rd_init(&r, data, size);
	while (wire_batch_next(&r, &msg, &len))
		if (!inside(msg, len, data, size))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(data, size, FROM_CLIENT);
	decode(data, size, FROM_SERVER);
	iterate_raw(data, size);
	return 0;
}
