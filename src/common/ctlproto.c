/*
 * ctlproto.c: the control socket's table of requests, its parser and
 * encoders, and the document made from the table (ctlproto.h).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ctlproto.h"
#include "util.h"

/* In the order of doc/security.md section 3.6. */
const struct ctl_spec ctl_specs[] = {
	{ CTL_SHOW_SESSIONS, "show sessions", "",
	    "nothing",
	    "one row per session: the master's record, with rooms and idle "
	    "time from the broker" },
	{ CTL_SHOW_ROOMS, "show rooms", "",
	    "nothing",
	    "one row per room, from the broker's answer" },
	{ CTL_SHOW_USERS, "show users", "",
	    "nothing",
	    "one row per logged-in user" },
	{ CTL_SHOW_STATS, "show stats", "",
	    "nothing",
	    "one row per counter" },
	{ CTL_KICK_USER, "kick", "ur",
	    "user name, reason",
	    "ends every session of that user, telling its client the reason" },
	{ CTL_KICK_SESSION, "kick", "ir",
	    "u32 session id, reason",
	    "ends that session, telling its client the reason" },
	{ CTL_NOTICE, "notice", "n",
	    "the text",
	    "the broker sends it as a `NOTICE` to every logged-in session" },
	{ CTL_RELOAD, "reload", "",
	    "nothing",
	    "as `SIGHUP`; answers once the password checker has read the "
	    "users file and the sessions of removed or locked accounts are "
	    "ended" },
	{ CTL_LOG, "log", "b",
	    "u8 1 for verbose, 0 for brief",
	    "sets the master's log level" },
};
const size_t ctl_nspecs = sizeof(ctl_specs) / sizeof(ctl_specs[0]);

const struct ctl_spec *
ctl_spec_find(uint16_t type)
{
	size_t	 i;

	for (i = 0; i < ctl_nspecs; i++)
		if (ctl_specs[i].type == type)
			return &ctl_specs[i];
	return NULL;
}

int
ctl_printable(const char *s, size_t len)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i;

	if (!valid_utf8(p, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* U+0080..U+009F, the C1 controls, are C2 80..C2 9F. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* A string field: its bytes must follow the rule of letter l. */
static int
field_ok(char l, const uint8_t *p, size_t len)
{
	switch (l) {
	case 'u':
		return valid_username((const char *)p, len);
	case 'r':
		return len <= CTL_REASON_MAX &&
		    ctl_printable((const char *)p, len);
	case 'n':
		return len >= 1 && len <= CTL_NOTICE_MAX &&
		    ctl_printable((const char *)p, len);
	}
	return 0;
}

/* Read payload p by the layout into req; NULL or why it is malformed. */
static const char *
read_fields(const struct ctl_spec *t, const uint8_t *p, size_t len,
    struct ctl_request *req)
{
	struct reader	 r;
	const uint8_t	*s;
	const char	*l;
	size_t		 slen;

	rd_init(&r, p, len);
	for (l = t->layout; *l != '\0'; l++) {
		switch (*l) {
		case 'b':
			req->flag = rd_u8(&r);
			if (!r.err && req->flag > 1)
				return "a flag that is neither 0 nor 1";
			break;
		case 'i':
			req->session = rd_u32(&r);
			if (!r.err && req->session == 0)
				return "session id 0";
			break;
		case 'u':
		case 'r':
		case 'n':
			s = rd_str(&r, &slen);
			if (r.err)
				break;
			if (!field_ok(*l, s, slen))
				return *l == 'u' ? "not a valid user name" :
				    "text too long or not printable UTF-8";
			if (*l == 'u') {
				memcpy(req->user, s, slen);
				req->user[slen] = '\0';
			} else {
				memcpy(req->text, s, slen);
				req->text[slen] = '\0';
			}
			break;
		default:
			return "bad layout";
		}
	}
	if (rd_done(&r) == -1)
		return "payload length does not match the request";
	return NULL;
}

int
ctl_request_parse(const uint8_t *p, size_t len, struct ctl_request *req,
    size_t *used, const char **why)
{
	const struct ctl_spec	*t;
	uint32_t		 plen;
	uint16_t		 type, flags;

	if (len < CTL_HDRLEN)
		return 0;
	plen = get_u32(p);
	type = get_u16(p + 4);
	flags = get_u16(p + 6);
	/* Refused before the payload arrives: nothing waits for it. */
	if (flags != 0) {
		*why = "flags set";
		return -1;
	}
	if (plen > CTL_REQUEST_MAX) {
		*why = "request too long";
		return -1;
	}
	if ((t = ctl_spec_find(type)) == NULL) {
		*why = "unknown request";
		return -1;
	}
	if (len - CTL_HDRLEN < plen)
		return 0;
	memset(req, 0, sizeof(*req));
	req->spec = t;
	req->type = type;
	if ((*why = read_fields(t, p + CTL_HDRLEN, plen, req)) != NULL) {
		memset(req, 0, sizeof(*req));
		return -1;
	}
	*used = CTL_HDRLEN + plen;
	return 1;
}

int
ctl_request_encode(struct buf *out, const struct ctl_request *req)
{
	const struct ctl_spec	*t;
	struct buf		 pl;
	const char		*l, *s;
	int			 rc = -1;

	if ((t = ctl_spec_find(req->type)) == NULL)
		return -1;
	buf_init(&pl, 0);
	for (l = t->layout; *l != '\0'; l++) {
		switch (*l) {
		case 'b':
			if (req->flag > 1 || buf_put_u8(&pl, req->flag) == -1)
				goto done;
			break;
		case 'i':
			if (req->session == 0 ||
			    buf_put_u32(&pl, req->session) == -1)
				goto done;
			break;
		default:
			s = *l == 'u' ? req->user : req->text;
			if (!field_ok(*l, (const uint8_t *)s, strlen(s)) ||
			    buf_put_str(&pl, s, strlen(s)) == -1)
				goto done;
			break;
		}
	}
	if (buf_put_u32(out, (uint32_t)buf_used(&pl)) == 0 &&
	    buf_put_u16(out, req->type) == 0 && buf_put_u16(out, 0) == 0 &&
	    buf_append(out, buf_head(&pl), buf_used(&pl)) == 0)
		rc = 0;
done:
	buf_free(&pl);
	return rc;
}

int
ctl_reply_encode(struct buf *out, uint16_t type, const void *p, size_t len)
{
	if (len > CTL_REPLY_MAX)
		return -1;
	if (buf_put_u32(out, (uint32_t)len) == -1 ||
	    buf_put_u16(out, type) == -1 || buf_put_u16(out, 0) == -1 ||
	    (len > 0 && buf_append(out, p, len) == -1))
		return -1;
	return 0;
}

int
ctl_reply_parse(const uint8_t *p, size_t len, uint16_t *type,
    const uint8_t **payload, size_t *plen, size_t *used)
{
	uint32_t	 n;
	uint16_t	 t;

	if (len < CTL_HDRLEN)
		return 0;
	n = get_u32(p);
	t = get_u16(p + 4);
	if (get_u16(p + 6) != 0 || n > CTL_REPLY_MAX ||
	    (t != CTL_R_ROW && t != CTL_R_OK && t != CTL_R_ERROR))
		return -1;
	if (len - CTL_HDRLEN < n)
		return 0;
	*type = t;
	*payload = p + CTL_HDRLEN;
	*plen = n;
	*used = CTL_HDRLEN + n;
	return 1;
}

/* ---------------------------------------------------------------- docs */

static void
doc_length(FILE *fp, const char *layout)
{
	size_t	 lo = 0, hi = 0;
	const char *l;

	for (l = layout; *l != '\0'; l++)
		switch (*l) {
		case 'b':
			lo += 1;
			hi += 1;
			break;
		case 'i':
			lo += 4;
			hi += 4;
			break;
		case 'u':
			lo += 3;
			hi += 2 + SECCHAT_NAME_MAX;
			break;
		case 'r':
			lo += 2;
			hi += 2 + CTL_REASON_MAX;
			break;
		case 'n':
			lo += 3;
			hi += 2 + CTL_NOTICE_MAX;
			break;
		}
	if (lo == hi)
		fprintf(fp, "%zu", lo);
	else
		fprintf(fp, "%zu..%zu", lo, hi);
}

void
ctl_table_doc(FILE *fp)
{
	const struct ctl_spec	*t;
	size_t			 i;

	fputs("| Type | Command | Payload | Bytes | What the master does |\n",
	    fp);
	fputs("|------|---------|---------|-------|----------------------|\n",
	    fp);
	for (i = 0; i < ctl_nspecs; i++) {
		t = &ctl_specs[i];
		fprintf(fp, "| %u | `%s` | %s | ", t->type, t->name, t->fields);
		doc_length(fp, t->layout);
		fprintf(fp, " | %s |\n", t->does);
	}
	fputs("\n", fp);
}
