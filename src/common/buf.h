/*
 * buf.h: growable byte buffers and bounds-checked readers.
 *
 * Every parser in secchat reads through a struct reader: a failed read sets
 * the sticky error flag and returns zeroes, so a decoder checks once at the
 * end ("did everything fit, and was everything consumed?") instead of after
 * every field.
 */
#ifndef SECCHAT_BUF_H
#define SECCHAT_BUF_H

#include <stddef.h>
#include <stdint.h>

struct buf {
	uint8_t	*data;
	size_t	 off;	/* first unconsumed byte */
	size_t	 len;	/* end of valid data */
	size_t	 cap;
	size_t	 max;	/* hard limit on len - off; 0 means SIZE_MAX */
};

void	 buf_init(struct buf *, size_t max);
void	 buf_free(struct buf *);		/* wipes the contents */
void	 buf_reset(struct buf *);
size_t	 buf_used(const struct buf *);
uint8_t	*buf_head(const struct buf *);
/* Room for n more bytes; returns a pointer to them or NULL past max/ENOMEM. */
size_t	 buf_cap_bound(size_t max);	/* the most buf_reserve() allocates */
uint8_t	*buf_reserve(struct buf *, size_t n);
void	 buf_commit(struct buf *, size_t n);	/* after writing into reserve */
int	 buf_append(struct buf *, const void *, size_t);
void	 buf_consume(struct buf *, size_t n);
int	 buf_put_u8(struct buf *, uint8_t);
int	 buf_put_u16(struct buf *, uint16_t);	/* big-endian */
int	 buf_put_u32(struct buf *, uint32_t);
int	 buf_put_u64(struct buf *, uint64_t);
/* A wire string: 2-byte big-endian length, then the bytes. */
int	 buf_put_str(struct buf *, const void *, size_t);

struct reader {
	const uint8_t	*p;
	size_t		 left;
	int		 err;
};

void	 rd_init(struct reader *, const void *, size_t);
uint8_t	 rd_u8(struct reader *);
uint16_t rd_u16(struct reader *);
uint32_t rd_u32(struct reader *);
uint64_t rd_u64(struct reader *);
/* Returns a pointer into the input, or NULL (and err) if fewer than n left. */
const uint8_t *rd_bytes(struct reader *, size_t n);
/* A wire string; *lenp gets its length. */
const uint8_t *rd_str(struct reader *, size_t *lenp);
/* 0 if no error occurred and every byte was consumed. */
int	 rd_done(const struct reader *);

uint16_t get_u16(const uint8_t *);
uint32_t get_u32(const uint8_t *);
uint64_t get_u64(const uint8_t *);
void	 put_u16(uint8_t *, uint16_t);
void	 put_u32(uint8_t *, uint32_t);
void	 put_u64(uint8_t *, uint64_t);

#endif
