/*
 * json_line.c: the one-line JSON result.  Strings are escaped so that
 * whatever a server sent (an error's text becomes a key) cannot break
 * the line: control characters are \u escapes, and bytes of text that is
 * not valid UTF-8 become U+FFFD.
 */
#include "config.h"

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "util.h"

#include "secchat-bench.h"
#include "histogram.h"
#include "json_line.h"

void
js_raw(struct json_line *j, const char *s)
{
	if (buf_append(&j->b, s, strlen(s)) == -1)
		errx(1, "out of memory");
}

static void
js_string(struct json_line *j, const char *s)
{
	char		 esc[8];
	const char	*p;
	int		 utf8 = valid_utf8((const uint8_t *)s, strlen(s));

	js_raw(j, "\"");
	for (p = s; *p != '\0'; p++) {
		unsigned char	 ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", ch);
			js_raw(j, esc);
		} else if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8)) {
			snprintf(esc, sizeof(esc), "\\u%04x",
			    ch >= 0x80 ? 0xfffd : ch);
			js_raw(j, esc);
		} else {
			if (buf_append(&j->b, p, 1) == -1)
				errx(1, "out of memory");
		}
	}
	js_raw(j, "\"");
}

void
js_key(struct json_line *j, const char *key)
{
	if (!j->first)
		js_raw(j, ",");
	j->first = 0;
	js_string(j, key);
	js_raw(j, ":");
}

void
js_open(struct json_line *j, const char *key)
{
	if (key != NULL)
		js_key(j, key);
	js_raw(j, "{");
	j->first = 1;
}

void
js_close(struct json_line *j)
{
	js_raw(j, "}");
	j->first = 0;
}

void
js_u64(struct json_line *j, const char *key, uint64_t v)
{
	char	 num[32];

	js_key(j, key);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	js_raw(j, num);
}

void
js_num(struct json_line *j, const char *key, double v)
{
	char	 num[64];

	js_key(j, key);
	if (v != v)
		js_raw(j, "null");
	else {
		snprintf(num, sizeof(num), "%.6g", v);
		js_raw(j, num);
	}
}

void
js_str(struct json_line *j, const char *key, const char *v)
{
	js_key(j, key);
	js_string(j, v);
}

void
js_bool(struct json_line *j, const char *key, int v)
{
	js_key(j, key);
	js_raw(j, v ? "true" : "false");
}

void
js_latency(struct json_line *j, const char *key, const struct histogram *h)
{
	js_open(j, key);
	js_u64(j, "count", h->count);
	js_num(j, "p50", (double)histogram_percentile(h, 0.50) / NS_PER_MSEC);
	js_num(j, "p90", (double)histogram_percentile(h, 0.90) / NS_PER_MSEC);
	js_num(j, "p99", (double)histogram_percentile(h, 0.99) / NS_PER_MSEC);
	js_num(j, "p999", (double)histogram_percentile(h, 0.999) /
	    NS_PER_MSEC);
	js_num(j, "max", (double)h->max / NS_PER_MSEC);
	js_num(j, "mean", h->count ? (double)h->sum / h->count / NS_PER_MSEC :
	    0);
	js_close(j);
}

void
js_start(struct json_line *j, const char *mode)
{
	buf_init(&j->b, 0);
	js_open(j, NULL);
	js_str(j, "mode", mode);
}

void
js_finish(struct json_line *j, const char *copy_path)
{
	FILE	*f;

	js_close(j);
	js_raw(j, "\n");
	fwrite(buf_head(&j->b), 1, buf_used(&j->b), stdout);
	fflush(stdout);
	if (copy_path != NULL) {
		if ((f = fopen(copy_path, "a")) == NULL)
			warn("%s", copy_path);
		else {
			fwrite(buf_head(&j->b), 1, buf_used(&j->b), f);
			if (fclose(f) == EOF)
				warn("%s", copy_path);
		}
	}
	buf_free(&j->b);
}
