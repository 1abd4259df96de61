/*
 * test-ipc-table.c: the table of internal messages (ipc_table.c): every
 * type in it once, every row's payload accepted at its exact size and
 * refused one byte short and one byte long, on its channel only, and
 * doc/security.md section 3 the same as what the table prints.
 *
 * With "--doc" it prints section 3's tables, to paste into the document
 * after a change to the table.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "tap.h"
#include "doctable.h"
#include "util.h"
#include "wire.h"

#define DOC_BEGIN	"<!-- ipc-table: begin (tests/test-ipc-table --doc) -->\n"
#define DOC_END		"<!-- ipc-table: end -->\n"

/* Every type ipc.h names: the table must have each, once. */
static const uint16_t all_types[] = {
	IMSG_W_INIT, IMSG_W_DH_RESULT, IMSG_W_AUTH_FAIL, IMSG_W_SHUTDOWN,
	IMSG_M_DH, IMSG_M_AUTH, IMSG_M_LOG, IMSG_M_CLOSING,
	IMSG_B_INIT, IMSG_B_SESSION, IMSG_B_LOGIN, IMSG_B_SHUTDOWN,
	IMSG_B_PING, IMSG_M_KICK, IMSG_M_BROKER_READY, IMSG_M_BROKER_PONG,
	IMSG_B_APP, IMSG_W_LOGGED_IN, IMSG_W_APP, IMSG_A_INIT, IMSG_A_CHECK,
	IMSG_A_RELOAD, IMSG_A_PING, IMSG_M_RESULT, IMSG_M_RELOADED,
	IMSG_M_AUTHD_PONG, IMSG_M_SUITE, IMSG_B_STATS, IMSG_B_NOTICE,
	IMSG_M_SESSION_STATS, IMSG_M_STATS_END, IMSG_A_ACCOUNTS,
	IMSG_M_ACCOUNTS, IMSG_M_AUTH_KEY, IMSG_W_AUTH_MORE,
	IMSG_B_ENROLLED_RESET, IMSG_B_ENROLLED, IMSG_M_ENROLLED_RESET,
	IMSG_M_ENROLLED, IMSG_B_REDIS, IMSG_M_REDIS_WANTED,
};

static const unsigned roles[] = {
	IPC_ROLE_MASTER, IPC_ROLE_WORKER, IPC_ROLE_BROKER, IPC_ROLE_AUTHD
};

/* A payload the row's first layout reads exactly. */
static void
sample(const struct ipc_spec *t, struct buf *b)
{
	static const uint8_t	 zero[8192];
	const char		*l;

	buf_init(b, 0);
	for (l = t->layout; *l != '\0' && *l != '|'; l++)
		switch (*l) {
		case '1':
			buf_put_u8(b, 1);
			break;
		case '4':
			buf_put_u32(b, 7);
			break;
		case 'k':
			buf_append(b, zero, KEY_LEN);
			break;
		case 's':
			buf_put_str(b, "alice", 5);
			break;
		case 'S':
			if (t->size > sizeof(zero))
				abort();
			buf_append(b, zero, t->size);
			break;
		case 'a':
			buf_put_u8(b, 0x10);
			break;
		}
}

static void
test_rows(void)
{
	const struct ipc_spec	*t;
	size_t			 i, j, n;
	int			 ok;

	for (i = 0; i < sizeof(all_types) / sizeof(all_types[0]); i++) {
		for (j = n = 0; j < ipc_nspecs; j++)
			n += ipc_specs[j].type == all_types[i];
		tap_ok(n == 1, "type %u is in the table once", all_types[i]);
	}
	tap_ok(ipc_nspecs == sizeof(all_types) / sizeof(all_types[0]),
	    "the table has no other rows");
	for (i = ok = 0; i < ipc_nspecs; i++) {
		t = &ipc_specs[i];
		ok += t->name[0] != '\0' && ipc_spec_doc_find(t->type) != NULL &&
		    t->from != 0 &&
		    (t->from & t->to) == 0 && ipc_role_name(t->to)[0] != '?';
	}
	tap_ok((size_t)ok == ipc_nspecs, "every row names its message, its "
	    "two ends and its rules");
	tap_ok(ipc_nspec_docs == ipc_nspecs, "every row has its words, and "
	    "no words are without a row");
}

static void
test_check(void)
{
	const struct ipc_spec	*t;
	struct ipc_msg		 m;
	struct buf		 b;
	uint8_t			 big[RECORD_MAX_PLAINTEXT + 1];
	const char		*why;
	size_t			 i, r, bad;

	for (i = 0; i < ipc_nspecs; i++) {
		t = &ipc_specs[i];
		sample(t, &b);
		memset(&m, 0, sizeof(m));
		m.type = t->type;
		m.data = buf_head(&b);
		m.len = (uint32_t)buf_used(&b);
		tap_ok(ipc_check(&m, t->from, t->to, t->fd, &why) == t,
		    "%s %s -> %s: its payload is accepted", t->name,
		    ipc_role_name(t->from & -t->from), ipc_role_name(t->to));
		if (m.len > 0) {
			m.len--;
			tap_ok(ipc_check(&m, t->from, t->to, 1, &why) == NULL,
			    "%s: one byte short is refused", t->name);
			m.len++;
		}
		buf_append(&b, "", 1);
		m.data = buf_head(&b);
		m.len = (uint32_t)buf_used(&b);
		/* (An application message may be longer: tested below.) */
		tap_ok(ipc_check(&m, t->from, t->to, 1, &why) == NULL ||
		    strcmp(t->layout, "a") == 0,
		    "%s: one byte long is refused", t->name);
		m.len--;
		/* Every channel but its own refuses it. */
		for (r = bad = 0; r < 4; r++) {
			unsigned from = roles[r], to;
			size_t	 k;

			for (k = 0; k < 4; k++) {
				to = roles[k];
				if (from == to || ((t->from & from) &&
				    t->to == to))
					continue;
				bad += ipc_check(&m, from, to, 1, &why) != NULL;
			}
		}
		tap_ok(bad == 0, "%s: refused on every other channel", t->name);
		if (t->fd)
			tap_ok(ipc_check(&m, t->from, t->to, 0, &why) == NULL,
			    "%s: refused without its descriptor", t->name);
		buf_free(&b);
	}
	/* An application message: 1 byte up to the largest record. */
	t = ipc_spec_find(IMSG_B_APP);
	memset(big, 0x10, sizeof(big));
	memset(&m, 0, sizeof(m));
	m.type = IMSG_B_APP;
	m.data = big;
	m.len = RECORD_MAX_PLAINTEXT;
	tap_ok(ipc_check(&m, IPC_ROLE_WORKER, IPC_ROLE_BROKER, 0, &why) == t,
	    "APP of the largest record is accepted");
	m.len++;
	tap_ok(ipc_check(&m, IPC_ROLE_WORKER, IPC_ROLE_BROKER, 0, &why) == NULL,
	    "APP one byte past it is refused");
	m.len = 0;
	tap_ok(ipc_check(&m, IPC_ROLE_WORKER, IPC_ROLE_BROKER, 0, &why) == NULL,
	    "an empty APP is refused");
	m.type = 0x7777;	/* no such type */
	tap_ok(ipc_check(&m, IPC_ROLE_WORKER, IPC_ROLE_MASTER, 0, &why) == NULL &&
	    strcmp(why, "unknown message type") == 0, "an unknown type is "
	    "refused");
	/* DH_RESULT: the key or nothing, nothing in between. */
	t = ipc_spec_find(IMSG_W_DH_RESULT);
	m.type = IMSG_W_DH_RESULT;
	m.len = 0;
	tap_ok(ipc_check(&m, IPC_ROLE_MASTER, IPC_ROLE_WORKER, 0, &why) == t,
	    "an empty DH_RESULT is accepted");
	m.len = 16;
	tap_ok(ipc_check(&m, IPC_ROLE_MASTER, IPC_ROLE_WORKER, 0, &why) == NULL,
	    "half a DH_RESULT is refused");
}

/* doc/security.md shows the table the code enforces. */
static void
test_doc(void)
{
	doctable_check(ipc_table_doc, DOC_BEGIN, DOC_END,
	    "section 3, the internal messages", "tests/test-ipc-table --doc");
}

int
main(int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "--doc") == 0) {
		ipc_table_doc(stdout);
		return 0;
	}
	test_rows();
	test_check();
	test_doc();
	return tap_done();
}
