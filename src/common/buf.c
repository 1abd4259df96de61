/*
 * buf.c: growable byte buffers and bounds-checked readers.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"

void
buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
buf_free(struct buf *b)
{
	if (b->data != NULL) {
		sodium_memzero(b->data, b->cap);
		free(b->data);
	}
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
buf_reset(struct buf *b)
{
	b->off = b->len = 0;
}

size_t
buf_used(const struct buf *b)
{
	return b->len - b->off;
}

uint8_t *
buf_head(const struct buf *b)
{
	return b->data + b->off;
}

/*
 * The most a buffer limited to max bytes (0: none) may grow to: the
 * capacity starts at 256 bytes and doubles, and buf_reserve() grows a
 * buffer rather than slide it while the live bytes are more than half of
 * it, so the capacity reaches at most twice the power of two that holds
 * max.  Callers that account for memory (the broker) use this figure.
 */
size_t
buf_cap_bound(size_t max)
{
	size_t	 cap = 256;

	while (cap < max && cap <= SIZE_MAX / 4)
		cap *= 2;
	return 2 * cap;
}

uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	size_t	 used = b->len - b->off, ncap;
	uint8_t	*p;

	if (n > SIZE_MAX / 4 - used || (b->max != 0 && used + n > b->max)) {
		errno = ENOBUFS;
		return NULL;
	}
	if (b->cap - b->len >= n)
		return b->data + b->len;
	/*
	 * Slide the live bytes down only when that frees at least as many
	 * bytes as it moves: then each byte appended costs at most one byte
	 * of copying.  A queue kept nearly full (a slow reader behind a busy
	 * room) slid on every append would copy its whole content for each
	 * few bytes drained; it grows instead, within buf_cap_bound().
	 */
	if (b->off > 0 && (b->off >= used ||
	    (b->max != 0 && b->cap >= buf_cap_bound(b->max)))) {
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	ncap = b->cap ? b->cap * 2 : 256;
	while (ncap - b->len < n)
		ncap *= 2;
	if ((p = realloc(b->data, ncap)) == NULL)
		return NULL;
	b->data = p;
	b->cap = ncap;
	return b->data + b->len;
}

void
buf_commit(struct buf *b, size_t n)
{
	b->len += n;
}

int
buf_append(struct buf *b, const void *p, size_t n)
{
	uint8_t	*d;

	if (n == 0)
		return 0;
	if ((d = buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(d, p, n);
	b->len += n;
	return 0;
}

/*
 * Consumed bytes are wiped: buffers carry passwords and keys between
 * processes, and nothing should linger once it has been used.
 */
void
buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len - b->off) {
		sodium_memzero(b->data + b->off, b->len - b->off);
		b->off = b->len = 0;
	} else {
		sodium_memzero(b->data + b->off, n);
		b->off += n;
	}
}

int
buf_put_u8(struct buf *b, uint8_t v)
{
	return buf_append(b, &v, 1);
}

int
buf_put_u16(struct buf *b, uint16_t v)
{
	uint8_t	 p[2];

	put_u16(p, v);
	return buf_append(b, p, sizeof(p));
}

int
buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t	 p[4];

	put_u32(p, v);
	return buf_append(b, p, sizeof(p));
}

int
buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t	 p[8];

	put_u64(p, v);
	return buf_append(b, p, sizeof(p));
}

int
buf_put_str(struct buf *b, const void *s, size_t n)
{
	if (n > UINT16_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	if (buf_put_u16(b, (uint16_t)n) == -1)
		return -1;
	return buf_append(b, s, n);
}

void
rd_init(struct reader *r, const void *p, size_t len)
{
	r->p = p;
	r->left = len;
	r->err = 0;
}

const uint8_t *
rd_bytes(struct reader *r, size_t n)
{
	const uint8_t	*p;

	if (r->err || n > r->left) {
		r->err = 1;
		return NULL;
	}
	p = r->p;
	r->p += n;
	r->left -= n;
	return p;
}

uint8_t
rd_u8(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t
rd_u16(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 2);

	return p ? get_u16(p) : 0;
}

uint32_t
rd_u32(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 4);

	return p ? get_u32(p) : 0;
}

uint64_t
rd_u64(struct reader *r)
{
	const uint8_t	*p = rd_bytes(r, 8);

	return p ? get_u64(p) : 0;
}

const uint8_t *
rd_str(struct reader *r, size_t *lenp)
{
	size_t	 n = rd_u16(r);

	*lenp = 0;
	if (r->err)
		return NULL;
	*lenp = n;
	return rd_bytes(r, n);
}

int
rd_done(const struct reader *r)
{
	return (r->err || r->left != 0) ? -1 : 0;
}

uint16_t
get_u16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

uint32_t
get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

uint64_t
get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

void
put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (v >> 16) & 0xff;
	p[2] = (v >> 8) & 0xff;
	p[3] = v & 0xff;
}

void
put_u64(uint8_t *p, uint64_t v)
{
	put_u32(p, (uint32_t)(v >> 32));
	put_u32(p + 4, (uint32_t)v);
}
