/*
 * json_line.h: each run's result as one JSON object on one line, so that
 * results from many runs can be collected in one file (-j) and read line
 * by line.  The writer only appends: members are written in the order
 * they are given, and js_open/js_close nest objects.
 */
#ifndef SECCHAT_BENCH_JSON_LINE_H
#define SECCHAT_BENCH_JSON_LINE_H

#include <stdint.h>

#include "buf.h"

struct histogram;

struct json_line {
	struct buf	 b;
	int		 first;		/* no comma before the next member */
};

/* The outermost object, with "mode" as its first member. */
void	js_start(struct json_line *, const char *mode);
/*
 * Close the outermost object and print the line on stdout and, if
 * copy_path is not NULL, append it there too; frees the line.
 */
void	js_finish(struct json_line *, const char *copy_path);

/* An object member (key NULL: a bare object), and its end. */
void	js_open(struct json_line *, const char *key);
void	js_close(struct json_line *);
/* A member's key and colon, for a value written with js_raw. */
void	js_key(struct json_line *, const char *key);
void	js_raw(struct json_line *, const char *);

void	js_u64(struct json_line *, const char *key, uint64_t);
/* %.6g, or null for NaN. */
void	js_num(struct json_line *, const char *key, double);
void	js_str(struct json_line *, const char *key, const char *);
void	js_bool(struct json_line *, const char *key, int);
/* Count, percentiles, max and mean of a latency histogram, in ms. */
void	js_latency(struct json_line *, const char *key,
	    const struct histogram *);

#endif
