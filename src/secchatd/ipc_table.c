/*
 * ipc_table.c: the one table of secchatd's internal messages, and the
 * checks and the documents made from it.  See ipc_table.h.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "proto.h"
#include "wire.h"

#define M	IPC_ROLE_MASTER
#define W	IPC_ROLE_WORKER
#define B	IPC_ROLE_BROKER
#define A	IPC_ROLE_AUTHD

/* In the order of doc/security.md section 3: by channel, then direction. */
const struct ipc_spec ipc_specs[] = {
	/* worker <-> master */
	{ IMSG_W_INIT, "INIT", M, W, "S", sizeof(struct worker_init), 0 },
	{ IMSG_M_DH, "DH", W, M, "k", 0, 0 },
	{ IMSG_W_DH_RESULT, "DH_RESULT", M, W, "k|", 0, 0 },
	{ IMSG_M_AUTH, "AUTH", W, M, "kss", 0, 0 },
	{ IMSG_W_AUTH_FAIL, "AUTH_FAIL", M, W, "11s", 0, 0 },
	{ IMSG_M_AUTH_KEY, "AUTH_KEY", W, M, "kkks", 0, 0 },
	{ IMSG_W_AUTH_MORE, "AUTH_MORE", M, W, "s", 0, 0 },
	{ IMSG_M_LOG, "LOG", W | B | A, M, "1s", 0, 0 },
	{ IMSG_M_CLOSING, "CLOSING", W, M, "s", 0, 0 },
	{ IMSG_W_SHUTDOWN, "SHUTDOWN", M, W, "s", 0, 0 },
	{ IMSG_M_SUITE, "SUITE", W, M, "11", 0, 0 },
	/* worker <-> broker */
	{ IMSG_B_APP, "APP", W, B, "a", 0, 0 },
	{ IMSG_W_LOGGED_IN, "LOGGED_IN", B, W, "s", 0, 0 },
	{ IMSG_W_APP, "APP", B, W, "a", 0, 0 },
	/* master <-> broker */
	{ IMSG_B_INIT, "INIT", M, B, "S", sizeof(struct broker_init), 0 },
	{ IMSG_B_SESSION, "SESSION", M, B, "", 0, 1 },
	{ IMSG_B_LOGIN, "LOGIN", M, B, "sk1", 0, 0 },
	{ IMSG_B_SHUTDOWN, "SHUTDOWN", M, B, "s", 0, 0 },
	{ IMSG_B_PING, "PING", M, B, "4", 0, 0 },
	{ IMSG_B_STATS, "STATS", M, B, "4", 0, 0 },
	{ IMSG_B_NOTICE, "NOTICE", M, B, "s", 0, 0 },
	{ IMSG_B_ENROLLED_RESET, "ENROLLED_RESET", M, B, "", 0, 0 },
	{ IMSG_B_ENROLLED, "ENROLLED", M, B, "sk", 0, 0 },
	{ IMSG_B_REDIS, "REDIS", M, B, "1", 0, 1 },
	{ IMSG_M_KICK, "KICK", B, M, "s", 0, 0 },
	{ IMSG_M_BROKER_READY, "BROKER_READY", B, M, "", 0, 0 },
	{ IMSG_M_BROKER_PONG, "BROKER_PONG", B, M, "4", 0, 0 },
	{ IMSG_M_SESSION_STATS, "SESSION_STATS", B, M, "44s", 0, 0 },
	{ IMSG_M_STATS_END, "STATS_END", B, M, "S",
	    sizeof(struct broker_stats), 0 },
	{ IMSG_M_REDIS_WANTED, "REDIS_WANTED", B, M, "", 0, 0 },
	/* master <-> password checker */
	{ IMSG_A_INIT, "INIT", M, A, "ss", 0, 1 },
	{ IMSG_A_CHECK, "CHECK", M, A, "4ss", 0, 0 },
	{ IMSG_A_RELOAD, "RELOAD", M, A, "", 0, 1 },
	{ IMSG_A_PING, "PING", M, A, "4", 0, 0 },
	{ IMSG_A_ACCOUNTS, "ACCOUNTS", M, A, "4s", 0, 0 },
	{ IMSG_M_RESULT, "RESULT", A, M, "41", 0, 0 },
	{ IMSG_M_RELOADED, "RELOADED", A, M, "1s", 0, 0 },
	{ IMSG_M_AUTHD_PONG, "AUTHD_PONG", A, M, "4", 0, 0 },
	{ IMSG_M_ACCOUNTS, "ACCOUNTS", A, M, "4ss", 0, 0 },
	{ IMSG_M_ENROLLED_RESET, "ENROLLED_RESET", A, M, "", 0, 0 },
	{ IMSG_M_ENROLLED, "ENROLLED", A, M, "sk", 0, 0 },
};

const size_t ipc_nspecs = sizeof(ipc_specs) / sizeof(ipc_specs[0]);

const struct ipc_spec *
ipc_spec_find(uint16_t type)
{
	size_t	 i;

	for (i = 0; i < ipc_nspecs; i++)
		if (ipc_specs[i].type == type)
			return &ipc_specs[i];
	return NULL;
}

const char *
ipc_role_name(unsigned role)
{
	switch (role) {
	case M:
		return "master";
	case W:
		return "worker";
	case B:
		return "broker";
	case A:
		return "password checker";
	}
	return "?";
}

/* Does the alternative layout[0..n) read p exactly? */
static int
fits_one(const struct ipc_spec *t, const char *layout, size_t n,
    const uint8_t *p, size_t len)
{
	struct reader	 r;
	size_t		 i, slen;

	rd_init(&r, p, len);
	for (i = 0; i < n; i++) {
		switch (layout[i]) {
		case '1':
			(void)rd_u8(&r);
			break;
		case '4':
			(void)rd_u32(&r);
			break;
		case 'k':
			(void)rd_bytes(&r, KEY_LEN);
			break;
		case 's':
			(void)rd_str(&r, &slen);
			break;
		case 'S':
			(void)rd_bytes(&r, t->size);
			break;
		case 'a':
			if (len == 0 || len > RECORD_MAX_PLAINTEXT)
				return 0;
			(void)rd_bytes(&r, len);
			break;
		default:
			return 0;
		}
	}
	return rd_done(&r) == 0;
}

int
ipc_layout_fits(const struct ipc_spec *t, const uint8_t *p, size_t len)
{
	const char	*alt = t->layout, *bar;

	for (;;) {
		bar = strchr(alt, '|');
		if (fits_one(t, alt, bar != NULL ? (size_t)(bar - alt) :
		    strlen(alt), p, len))
			return 1;
		if (bar == NULL)
			return 0;
		alt = bar + 1;
	}
}

const struct ipc_spec *
ipc_check(const struct ipc_msg *m, unsigned from, unsigned to,
    int fds_waiting, const char **why)
{
	const struct ipc_spec	*t;

	if ((t = ipc_spec_find(m->type)) == NULL) {
		*why = "unknown message type";
		return NULL;
	}
	if (t->to != to || (t->from & from) == 0) {
		*why = "message type not allowed on this channel";
		return NULL;
	}
	if (!ipc_layout_fits(t, m->data, m->len)) {
		*why = "malformed payload";
		return NULL;
	}
	if (t->fd && fds_waiting == 0) {
		*why = "no descriptor with a message that needs one";
		return NULL;
	}
	return t;
}

