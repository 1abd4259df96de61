/*
 * test-ctl.c: the control socket's protocol (ctlproto.c) and secchatctl's
 * printing (ctl_output.c).  Every request type at its exact or bounded
 * length, one byte short and one byte long; every field rule at its
 * limit and one past it; a request that can never be valid refused as
 * soon as its header is in; partial input waits; replies; the OpenMetrics
 * text; doc/security.md section 3.6 the same as what the table prints.
 *
 * With "--doc" it prints section 3.6's table.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl_output.h"
#include "ctlproto.h"
#include "tap.h"
#include "doctable.h"
#include "util.h"

#define DOC_BEGIN	"<!-- ctl-table: begin (tests/test-ctl --doc) -->\n"
#define DOC_END		"<!-- ctl-table: end -->\n"

static const uint16_t all_types[] = {
	CTL_SHOW_SESSIONS, CTL_SHOW_ROOMS, CTL_SHOW_USERS, CTL_SHOW_STATS,
	CTL_KICK_USER, CTL_KICK_SESSION, CTL_NOTICE, CTL_RELOAD, CTL_LOG
};

/* A frame: header and payload as given (length as given too). */
static void
frame(struct buf *b, uint32_t len, uint16_t type, uint16_t flags,
    const void *p, size_t plen)
{
	buf_init(b, 0);
	buf_put_u32(b, len);
	buf_put_u16(b, type);
	buf_put_u16(b, flags);
	if (plen > 0)
		buf_append(b, p, plen);
}

static int
parse(struct buf *b, struct ctl_request *req, size_t *used,
    const char **why)
{
	return ctl_request_parse(buf_head(b), buf_used(b), req, used, why);
}

/* A valid payload for each type. */
static void
sample(uint16_t type, struct buf *pl)
{
	buf_init(pl, 0);
	switch (type) {
	case CTL_KICK_USER:
		buf_put_str(pl, "alice", 5);
		buf_put_str(pl, "bye", 3);
		break;
	case CTL_KICK_SESSION:
		buf_put_u32(pl, 12);
		buf_put_str(pl, "", 0);
		break;
	case CTL_NOTICE:
		buf_put_str(pl, "maintenance at noon", 19);
		break;
	case CTL_LOG:
		buf_put_u8(pl, 1);
		break;
	}
}

static void
test_rows(void)
{
	struct ctl_request	 req;
	struct buf		 pl, b;
	const char		*why;
	size_t			 i, j, n, used;
	int			 r;

	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		for (j = n = 0; j < ctl_nspecs; j++)
			n += ctl_specs[j].type == all_types[i];
		tap_ok(n == 1, "request %u is in the table once",
		    all_types[i]);
	}
	tap_ok(ctl_nspecs == sizeof(all_types) / sizeof(all_types[0]),
	    "the table has no other rows");
	for (i = 0; i < ctl_nspecs; i++) {
		const struct ctl_spec *t = &ctl_specs[i];

		sample(t->type, &pl);
		frame(&b, (uint32_t)buf_used(&pl), t->type, 0, buf_head(&pl),
		    buf_used(&pl));
		r = parse(&b, &req, &used, &why);
		tap_ok(r == 1 && used == buf_used(&b) && req.spec == t &&
		    req.type == t->type, "%s (%u): accepted at its length",
		    t->name, t->type);
		/* Every prefix of it only asks for more. */
		for (j = n = 0; j < buf_used(&b); j++)
			n += ctl_request_parse(buf_head(&b), j, &req, &used,
			    &why) != 0;
		tap_ok(n == 0, "%u: every prefix waits for more", t->type);
		buf_free(&b);
		if (buf_used(&pl) > 0) {
			frame(&b, (uint32_t)buf_used(&pl) - 1, t->type, 0,
			    buf_head(&pl), buf_used(&pl) - 1);
			tap_ok(parse(&b, &req, &used, &why) == -1,
			    "%u: one byte short is refused (%s)", t->type,
			    why);
			buf_free(&b);
		}
		buf_append(&pl, "", 1);
		frame(&b, (uint32_t)buf_used(&pl), t->type, 0, buf_head(&pl),
		    buf_used(&pl));
		tap_ok(parse(&b, &req, &used, &why) == -1,
		    "%u: one byte long is refused (%s)", t->type, why);
		buf_free(&b);
		buf_free(&pl);
	}
}

static void
test_header(void)
{
	struct ctl_request	 req;
	struct buf		 b, two;
	const char		*why;
	size_t			 used;

	frame(&b, 0, CTL_RELOAD, 1, NULL, 0);
	tap_ok(parse(&b, &req, &used, &why) == -1 &&
	    strcmp(why, "flags set") == 0, "flags set: refused");
	buf_free(&b);
	/* Refused from the header alone: nothing waits for the payload. */
	frame(&b, CTL_REQUEST_MAX + 1, CTL_NOTICE, 0, NULL, 0);
	tap_ok(parse(&b, &req, &used, &why) == -1 &&
	    strcmp(why, "request too long") == 0,
	    "a length past the longest request is refused at once");
	buf_free(&b);
	frame(&b, 0xffffffff, CTL_RELOAD, 0, NULL, 0);
	tap_ok(parse(&b, &req, &used, &why) == -1, "length 2^32-1 refused");
	buf_free(&b);
	frame(&b, 0, 0x7777, 0, NULL, 0);	/* no such request */
	tap_ok(parse(&b, &req, &used, &why) == -1 &&
	    strcmp(why, "unknown request") == 0, "unknown type refused");
	buf_free(&b);
	frame(&b, 0, CTL_R_OK, 0, NULL, 0);
	tap_ok(parse(&b, &req, &used, &why) == -1,
	    "a reply type is not a request");
	buf_free(&b);
	/* Two requests in a row: the first is taken, exactly. */
	frame(&two, 0, CTL_SHOW_STATS, 0, NULL, 0);
	buf_put_u32(&two, 0);
	buf_put_u16(&two, CTL_RELOAD);
	buf_put_u16(&two, 0);
	tap_ok(parse(&two, &req, &used, &why) == 1 && used == CTL_HDRLEN &&
	    req.type == CTL_SHOW_STATS, "the first of two requests is taken, "
	    "and only its bytes");
	buf_free(&two);
}

/* KICK_USER with this user name and reason. */
static int
kick(const char *user, size_t ulen, const char *reason, size_t rlen,
    struct ctl_request *req)
{
	struct buf	 pl, b;
	const char	*why;
	size_t		 used;
	int		 r;

	buf_init(&pl, 0);
	buf_put_str(&pl, user, ulen);
	buf_put_str(&pl, reason, rlen);
	frame(&b, (uint32_t)buf_used(&pl), CTL_KICK_USER, 0, buf_head(&pl),
	    buf_used(&pl));
	r = parse(&b, req, &used, &why);
	buf_free(&b);
	buf_free(&pl);
	return r;
}

static int
notice(const char *text, size_t len, struct ctl_request *req)
{
	struct buf	 pl, b;
	const char	*why;
	size_t		 used;
	int		 r;

	buf_init(&pl, 0);
	buf_put_str(&pl, text, len);
	frame(&b, (uint32_t)buf_used(&pl), CTL_NOTICE, 0, buf_head(&pl),
	    buf_used(&pl));
	r = parse(&b, req, &used, &why);
	buf_free(&b);
	buf_free(&pl);
	return r;
}

static void
test_fields(void)
{
	struct ctl_request	 req;
	struct buf		 b;
	char			 big[CTL_NOTICE_MAX + 2];
	const char		*why;
	size_t			 used;
	uint8_t			 p[6];

	memset(big, 'x', sizeof(big));
	tap_ok(kick("alice", 5, "bye now", 7, &req) == 1 &&
	    strcmp(req.user, "alice") == 0 && strcmp(req.text, "bye now") == 0,
	    "KICK_USER: the fields are read");
	tap_ok(kick(big, SECCHAT_NAME_MAX, "", 0, &req) == 1,
	    "a 32-byte user name is accepted");
	tap_ok(kick(big, SECCHAT_NAME_MAX + 1, "", 0, &req) == -1,
	    "a 33-byte user name is refused");
	tap_ok(kick("Alice", 5, "", 0, &req) == -1,
	    "a name breaking the rules is refused");
	tap_ok(kick("", 0, "", 0, &req) == -1, "an empty name is refused");
	tap_ok(kick("bob", 3, big, CTL_REASON_MAX, &req) == 1 &&
	    strlen(req.text) == CTL_REASON_MAX,
	    "a reason of the longest length is accepted");
	tap_ok(kick("bob", 3, big, CTL_REASON_MAX + 1, &req) == -1,
	    "one byte longer is refused");
	tap_ok(kick("bob", 3, "a\tb", 3, &req) == -1, "a tab is refused");
	tap_ok(kick("bob", 3, "a\nb", 3, &req) == -1, "a newline is refused");
	tap_ok(kick("bob", 3, "a\033[2Jb", 6, &req) == -1,
	    "an escape is refused");
	tap_ok(kick("bob", 3, "a\xc2\x9b" "b", 4, &req) == -1,
	    "a C1 control (CSI) is refused");
	tap_ok(kick("bob", 3, "a\x7f", 2, &req) == -1, "DEL is refused");
	tap_ok(kick("bob", 3, "\xc3\x28", 2, &req) == -1,
	    "invalid UTF-8 is refused");
	tap_ok(kick("bob", 3, "caf\xc3\xa9", 5, &req) == 1,
	    "other UTF-8 is accepted");
	tap_ok(kick("bob", 3, "a\0b", 3, &req) == -1, "a NUL is refused");
	tap_ok(notice(big, CTL_NOTICE_MAX, &req) == 1 &&
	    strlen(req.text) == CTL_NOTICE_MAX,
	    "a notice of the longest length is accepted");
	tap_ok(notice(big, CTL_NOTICE_MAX + 1, &req) == -1,
	    "one byte longer is refused");
	tap_ok(notice("", 0, &req) == -1, "an empty notice is refused");
	/* KICK_SESSION: id 0 is no session. */
	put_u32(p, 0);
	put_u16(p + 4, 0);
	frame(&b, sizeof(p), CTL_KICK_SESSION, 0, p, sizeof(p));
	tap_ok(parse(&b, &req, &used, &why) == -1, "session id 0 is refused");
	buf_free(&b);
	put_u32(p, UINT32_MAX);
	frame(&b, sizeof(p), CTL_KICK_SESSION, 0, p, sizeof(p));
	tap_ok(parse(&b, &req, &used, &why) == 1 && req.session == UINT32_MAX,
	    "session id 2^32-1 is read");
	buf_free(&b);
	/* A string length that runs past the payload. */
	put_u16(p, 200);
	frame(&b, 2, CTL_NOTICE, 0, p, 2);
	tap_ok(parse(&b, &req, &used, &why) == -1,
	    "a string longer than its payload is refused");
	buf_free(&b);
	p[0] = 2;
	frame(&b, 1, CTL_LOG, 0, p, 1);
	tap_ok(parse(&b, &req, &used, &why) == -1, "log level 2 is refused");
	buf_free(&b);
}

static void
test_encode(void)
{
	struct ctl_request	 in, out;
	struct buf		 b;
	const char		*why;
	size_t			 used, i;
	int			 ok = 1;

	for (i = 0; i < ctl_nspecs; i++) {
		memset(&in, 0, sizeof(in));
		in.type = ctl_specs[i].type;
		in.flag = 1;
		in.session = 77;
		strlcpy(in.user, "carol", sizeof(in.user));
		strlcpy(in.text, "see you", sizeof(in.text));
		buf_init(&b, 0);
		if (ctl_request_encode(&b, &in) == -1 ||
		    parse(&b, &out, &used, &why) != 1 ||
		    used != buf_used(&b) || out.type != in.type)
			ok = 0;
		buf_free(&b);
	}
	tap_ok(ok, "every request encodes to what the parser reads");
	memset(&in, 0, sizeof(in));
	in.type = CTL_KICK_USER;
	strlcpy(in.user, "Bad", sizeof(in.user));
	buf_init(&b, 0);
	tap_ok(ctl_request_encode(&b, &in) == -1 && buf_used(&b) == 0,
	    "a request breaking a rule is not encoded");
	buf_free(&b);
}

static void
test_replies(void)
{
	struct buf	 b;
	const uint8_t	*p;
	uint16_t	 type;
	size_t		 len, used;

	buf_init(&b, 0);
	ctl_reply_encode(&b, CTL_R_ROW, "a\tb", 3);
	ctl_reply_encode(&b, CTL_R_OK, "", 0);
	tap_ok(ctl_reply_parse(buf_head(&b), buf_used(&b), &type, &p, &len,
	    &used) == 1 && type == CTL_R_ROW && len == 3 &&
	    used == CTL_HDRLEN + 3, "a row is read");
	tap_ok(ctl_reply_parse(buf_head(&b), CTL_HDRLEN + 2, &type, &p, &len,
	    &used) == 0, "part of a row waits for more");
	tap_ok(ctl_reply_encode(&b, CTL_R_ROW, NULL, CTL_REPLY_MAX + 1) == -1,
	    "a reply frame past the limit is not encoded");
	buf_free(&b);
	frame(&b, 0, CTL_KICK_USER, 0, NULL, 0);
	tap_ok(ctl_reply_parse(buf_head(&b), buf_used(&b), &type, &p, &len,
	    &used) == -1, "a request type is not a reply");
	buf_free(&b);
	frame(&b, CTL_REPLY_MAX + 1, CTL_R_ROW, 0, NULL, 0);
	tap_ok(ctl_reply_parse(buf_head(&b), buf_used(&b), &type, &p, &len,
	    &used) == -1, "a reply length past the limit is refused");
	buf_free(&b);
}

/* What ctl_print writes, in a string the caller frees. */
static char *
printed(uint16_t type, enum ctl_format f, char **rows, size_t n, int *rc)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&out, &len)) == NULL)
		abort();
	*rc = ctl_print(fp, type, f, rows, n);
	fclose(fp);
	return out;
}

static void
test_output(void)
{
	char	 d[32], *out;
	char	*stats[] = {
		"sessions\t3", "logins_total\t12", "messages_total\t-",
		"messages_per_second\t0.4", "new_counter_total\t5",
		"bad name\t1"
	};
	char	*sessions[] = {
		"7\talice\tactive\t127.0.0.1\t40001\t2026-01-02T03:04:05Z\t65"
		    "\tchacha20-poly1305\tSHA256:abc\tlobby,ops",
		"9\t-\tpreauth\t::1\t40002\t2026-01-02T03:04:06Z\t-\t-\t-\t-"
	};
	int	 rc;

	ctl_duration("45", d, sizeof(d));
	tap_ok(strcmp(d, "45s") == 0, "45 s is 45s");
	ctl_duration("185", d, sizeof(d));
	tap_ok(strcmp(d, "3m05s") == 0, "185 s is 3m05s");
	ctl_duration("7380", d, sizeof(d));
	tap_ok(strcmp(d, "2h03m") == 0, "7380 s is 2h03m");
	ctl_duration("180000", d, sizeof(d));
	tap_ok(strcmp(d, "2d02h") == 0, "180000 s is 2d02h");
	ctl_duration("-", d, sizeof(d));
	tap_ok(strcmp(d, "-") == 0, "unknown stays -");

	out = printed(CTL_SHOW_STATS, CTL_FORMAT_OPENMETRICS, stats, 6, &rc);
	tap_ok(rc == 0 && strcmp(out,
	    "# TYPE secchat_sessions gauge\n"
	    "# HELP secchat_sessions Connections with a worker, logged in or "
	    "not.\n"
	    "secchat_sessions 3\n"
	    "# TYPE secchat_logins counter\n"
	    "# HELP secchat_logins Logins accepted.\n"
	    "secchat_logins_total 12\n"
	    "# TYPE secchat_messages_per_second gauge\n"
	    "# HELP secchat_messages_per_second Client messages a second, over "
	    "the last 10 seconds.\n"
	    "secchat_messages_per_second 0.4\n"
	    "# TYPE secchat_new_counter_total unknown\n"
	    "secchat_new_counter_total 5\n"
	    "# EOF\n") == 0, "OpenMetrics: counters as _total samples of "
	    "their family, unknown values and bad names left out, # EOF");
	if (rc != 0 || strstr(out, "secchat_messages_total") != NULL)
		tap_diag("%s", out);
	free(out);
	out = printed(CTL_SHOW_SESSIONS, CTL_FORMAT_OPENMETRICS, sessions, 2,
	    &rc);
	tap_ok(rc == -1, "OpenMetrics is for show stats only");
	free(out);
	out = printed(CTL_SHOW_SESSIONS, CTL_FORMAT_TSV, sessions, 2, &rc);
	tap_ok(rc == 0 && strncmp(out, sessions[0], strlen(sessions[0])) == 0 &&
	    strchr(out, '\n') - out == (long)strlen(sessions[0]),
	    "tsv: the rows as they came, one a line");
	free(out);
	out = printed(CTL_SHOW_SESSIONS, CTL_FORMAT_HUMAN, sessions, 2, &rc);
	tap_ok(rc == 0 &&
	    strncmp(out, "ID  USER   STATE    ADDRESS", 27) == 0 &&
	    strstr(out, "127.0.0.1:40001") != NULL &&
	    strstr(out, "[::1]:40002") != NULL &&
	    strstr(out, "  1m05s  ") != NULL &&
	    strstr(out, "lobby,ops\n") != NULL,
	    "human: headings, addresses with ports, durations, aligned");
	if (rc != 0 || strstr(out, "[::1]:40002") == NULL)
		tap_diag("%s", out);
	free(out);
}

/* doc/security.md shows the table the code enforces. */
static void
test_doc(void)
{
	doctable_check(ctl_table_doc, DOC_BEGIN, DOC_END,
	    "section 3.6, the control socket's requests", "tests/test-ctl --doc");
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--doc") == 0) {
		ctl_table_doc(stdout);
		return 0;
	}
	test_rows();
	test_header();
	test_fields();
	test_encode();
	test_replies();
	test_output();
	test_doc();
	return tap_done();
}
