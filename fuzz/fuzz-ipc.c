/*
 * fuzz-ipc.c: the daemon's internal messages, as a less privileged process
 * could send them to a more privileged one.
 *
 * The input is a stream: ipc_parse takes messages off its front as
 * ipc_get does.  Each payload is then read with every layout of the one
 * table of messages (ipc_table.c), through the same struct reader calls.
 * A layout that reads the payload exactly must write it back, with the
 * buf_put functions, byte for byte, and the table's own check must agree.
 * Payloads of the types that carry application messages also go through
 * wire_decode.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "wire.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The layouts are the table's (ipc_table.c): one letter per field, '|'
 * between alternatives.  This reader and writer are the fuzzer's own, so
 * that the table's checker (ipc_layout_fits) is compared with them.
 */
#define MAXFIELDS	8

struct field {
	uint32_t	 v;
	const uint8_t	*p;
	size_t		 len;
};

static int
inside(const uint8_t *p, size_t len, const uint8_t *data, size_t size)
{
	if (len == 0)
		return 1;
	return p != NULL && p >= data && p <= data + size &&
	    len <= (size_t)(data + size - p);
}

/* Read the payload as the daemon does; 0 if the layout fits exactly. */
static int
read_layout(const struct ipc_spec *t, const char *layout, size_t n,
    const uint8_t *p, size_t len, struct field *f)
{
	struct reader	 r;
	size_t		 i;

	rd_init(&r, p, len);
	for (i = 0; i < n; i++) {
		f[i].p = NULL;
		f[i].len = 0;
		f[i].v = 0;
		switch (layout[i]) {
		case '1':
			f[i].v = rd_u8(&r);
			break;
		case '4':
			f[i].v = rd_u32(&r);
			break;
		case 'k':
			f[i].p = rd_bytes(&r, KEY_LEN);
			f[i].len = f[i].p != NULL ? KEY_LEN : 0;
			break;
		case 's':
			f[i].p = rd_str(&r, &f[i].len);
			break;
		case 'S':
			f[i].p = rd_bytes(&r, t->size);
			f[i].len = f[i].p != NULL ? t->size : 0;
			break;
		case 'a':
			if (len == 0 || len > RECORD_MAX_PLAINTEXT)
				return -1;
			f[i].p = rd_bytes(&r, len);
			f[i].len = len;
			break;
		default:
			abort();
		}
		/*
		 * A failed read is sticky and yields no data.  (rd_str still
		 * reports the length of a string cut short: every caller
		 * checks the error first, so only the pointer is checked.)
		 */
		if (r.err && (f[i].v != 0 || f[i].p != NULL))
			abort();
		if (!r.err && !inside(f[i].p, f[i].len, p, len))
			abort();
	}
	return rd_done(&r);
}

static void
write_layout(const char *layout, size_t n, const struct field *f,
    struct buf *b)
{
	size_t	 i;
	int	 rv = 0;

	for (i = 0; i < n; i++) {
		switch (layout[i]) {
		case '1':
			rv |= buf_put_u8(b, (uint8_t)f[i].v);
			break;
		case '4':
			rv |= buf_put_u32(b, f[i].v);
			break;
		case 'k':
		case 'S':
		case 'a':
			rv |= buf_append(b, f[i].p, f[i].len);
			break;
		case 's':
			rv |= buf_put_str(b, f[i].p, f[i].len);
			break;
		}
	}
	if (rv != 0)
		abort();
}

/*
 * Read the payload with every layout of the table.  One that reads it
 * exactly must write it back byte for byte, and the table's own check
 * must agree with this reader about every row.
 */
static void
payload(const struct ipc_msg *m)
{
	struct field		 f[MAXFIELDS];
	struct wire_msg		 wm;
	struct buf		 b;
	const struct ipc_spec	*t;
	const char		*alt, *bar;
	size_t			 i, n;
	int			 fits;

	for (i = 0; i < ipc_nspecs; i++) {
		t = &ipc_specs[i];
		fits = 0;
		for (alt = t->layout;; alt = bar + 1) {
			bar = strchr(alt, '|');
			n = bar != NULL ? (size_t)(bar - alt) : strlen(alt);
			if (n > MAXFIELDS)
				abort();
			if (read_layout(t, alt, n, m->data, m->len, f) == 0) {
				fits = 1;
				buf_init(&b, 0);
				write_layout(alt, n, f, &b);
				if (buf_used(&b) != m->len || (m->len > 0 &&
				    memcmp(buf_head(&b), m->data, m->len) != 0))
					abort();
				buf_free(&b);
			}
			if (bar == NULL)
				break;
		}
		if (fits != ipc_layout_fits(t, m->data, m->len))
			abort();
	}
	if (m->type == IMSG_B_APP)
		(void)wire_decode(m->data, m->len, FROM_CLIENT, &wm);
	else if (m->type == IMSG_W_APP)
		(void)wire_decode(m->data, m->len, FROM_SERVER, &wm);
}

/* What ipc_parse said about the bytes it could not take. */
static void
check_rest(int r, const uint8_t *p, size_t left)
{
	uint32_t	 len;

	if (left < IPC_HDRLEN) {
		if (r != 0)
			abort();
		return;
	}
	len = get_u32(p);
	if (len > IPC_MAX_PAYLOAD || get_u16(p + 6) != 0) {
		if (r != -1)
			abort();
	} else if (r != 0 || len <= left - IPC_HDRLEN)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipc_msg	 m;
	size_t		 off = 0;
	int		 r;

	while ((r = ipc_parse(data + off, size - off, &m)) == 1) {
		if (m.len > IPC_MAX_PAYLOAD || m.flags != 0 || m.fd != -1 ||
		    m.data != data + off + IPC_HDRLEN ||
		    m.len > size - off - IPC_HDRLEN ||
		    m.type != get_u16(data + off + 4) ||
		    m.session != get_u32(data + off + 8))
			abort();
		payload(&m);
		off += IPC_HDRLEN + m.len;
	}
	check_rest(r, data + off, size - off);
	return 0;
}
