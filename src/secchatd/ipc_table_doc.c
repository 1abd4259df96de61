/*
 * ipc_table_doc.c: the words of the table of internal messages, and
 * doc/security.md section 3 printed from it.  Apart from ipc_table.c so
 * that the daemon, which never prints the document, does not carry these
 * strings (nor the page of relocated pointers a table of them costs each
 * child).
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "wire.h"

#define M	IPC_ROLE_MASTER
#define W	IPC_ROLE_WORKER
#define B	IPC_ROLE_BROKER
#define A	IPC_ROLE_AUTHD

const struct ipc_spec_doc ipc_spec_docs[] = {
	{ IMSG_W_INIT,
	    "`struct worker_init`: the session id, suites, limits, sandbox "
	    "settings, the host public key",
	    "first, once" },
	{ IMSG_M_DH,
	    "the 32-byte public key to multiply by the host private key",
	    "**once per session**, before login.  The answer is the 32-byte "
	    "result, or empty if the result is all zeros (a low-order point)" },
	{ IMSG_W_DH_RESULT,
	    "the 32-byte result, or nothing",
	    "the answer to `DH`" },
	{ IMSG_M_AUTH,
	    "the client's 32-byte identity key, user name, password",
	    "only after `DH`, only when no check is pending and the session "
	    "is not logged in, and at most `MaxAuthTries` times per "
	    "connection (answers of \"server busy\" do not count)" },
	{ IMSG_W_AUTH_FAIL,
	    "u8 tries left, u8 final, reason",
	    "the answer to `AUTH` or `AUTH_KEY` when the login is refused" },
	{ IMSG_M_AUTH_KEY,
	    "the client's 32-byte identity key, the 32-byte handshake hash "
	    "after message 2, the 32-byte proof, user name",
	    "**once per session**, only after `DH`, before login, when no "
	    "check is pending, and only on a session whose `SUITE` said it "
	    "is extended.  The master computes the proof's key with the host "
	    "private key and the identity key itself (protocol section 11.3): "
	    "a worker cannot make a proof for a key whose private half it "
	    "does not hold" },
	{ IMSG_W_AUTH_MORE,
	    "the methods still needed (`password`)",
	    "the answer to `AUTH_KEY` when the key is accepted and a "
	    "password is needed too; the worker then waits for `AUTH`" },
	{ IMSG_M_LOG,
	    "u8 priority, one line",
	    "any time; a line of 1024 bytes or more is dropped; only "
	    "printable UTF-8 is kept; the master prefixes the sender "
	    "(`worker N:`, `broker:`, `auth:`) and takes at most 50 lines a "
	    "second from each" },
	{ IMSG_M_CLOSING,
	    "the reason the worker is closing, for the log",
	    "any time; under 128 bytes; filtered as `LOG`, and logged as "
	    "`worker: REASON` unless the master ended the session for a "
	    "reason of its own" },
	{ IMSG_W_SHUTDOWN,
	    "the reason, for the client",
	    "any time: close the session" },
	{ IMSG_M_SUITE,
	    "u8 the cipher suite the client was given, u8 1 if the session "
	    "is extended (protocol section 11), else 0",
	    "once, before login, before `DH`; a known suite.  The suite is "
	    "for the control socket's `show sessions`; the flag allows "
	    "`AUTH_KEY` and is passed on to the broker with `LOGIN`" },
	{ IMSG_B_APP,
	    "one client application message",
	    "only after the master's `LOGIN` for this session.  The broker "
	    "decodes it again with the same decoder and field rules as the "
	    "worker (`wire_decode`), and checks `MaxMessageLength` again.  "
	    "`AUTH`, `PING` and `PONG` are not accepted" },
	{ IMSG_W_LOGGED_IN,
	    "the user name",
	    "only while the worker waits for a login result; the name must "
	    "be valid" },
	{ IMSG_W_APP,
	    "one server application message to encrypt",
	    "only after login" },
	{ IMSG_B_INIT,
	    "`struct broker_init`: limits, sandbox settings",
	    "first, once" },
	{ IMSG_B_SESSION,
	    "nothing; the session's broker socket comes with it",
	    "with exactly one descriptor; an id already known ends that "
	    "session first (its worker is gone)" },
	{ IMSG_B_LOGIN,
	    "the user name the session logged in as, the session's 32-byte "
	    "identity key, u8 flags: 1 extended, 2 logged in by key",
	    "a valid user name, once per session; no other flag bit" },
	{ IMSG_B_SHUTDOWN,
	    "the reason",
	    "any time" },
	{ IMSG_B_PING,
	    "u32 token",
	    "every 10 s" },
	{ IMSG_B_STATS,
	    "u32 token",
	    "one at a time, for the control socket; answered by one "
	    "`SESSION_STATS` per logged-in session and a `STATS_END`" },
	{ IMSG_B_NOTICE,
	    "the text",
	    "for the control socket's `notice`: 1 to 1024 bytes of printable "
	    "UTF-8, sent as `NOTICE` to every logged-in session" },
	{ IMSG_B_ENROLLED_RESET,
	    "nothing",
	    "after the broker's `INIT` and after each reading of the users "
	    "file: the `ENROLLED` that follow replace the keys known" },
	{ IMSG_B_ENROLLED,
	    "user name, a 32-byte key enrolled for it",
	    "after `ENROLLED_RESET`; a valid user name.  Public data, for "
	    "the key directory (`KEYLIST`)" },
	{ IMSG_B_REDIS,
	    "u8 0 commands, 1 reader; a connected, authenticated Redis "
	    "socket",
	    "with Engine redis only: after READY and after each "
	    "`REDIS_WANTED`, two of them.  The password stays in the master" },
	{ IMSG_M_KICK,
	    "the reason",
	    "close that session; reason under 128 bytes" },
	{ IMSG_M_BROKER_READY,
	    "nothing",
	    "once the broker is in its sandbox" },
	{ IMSG_M_BROKER_PONG,
	    "u32 token",
	    "the token of the outstanding `PING`, within 30 s" },
	{ IMSG_M_REDIS_WANTED,
	    "nothing",
	    "with Engine redis only: a Redis connection broke; the master "
	    "connects again with back-off (250 ms doubling to 8 s)" },
	{ IMSG_M_SESSION_STATS,
	    "u32 token, u32 seconds idle, the session's rooms",
	    "only while a `STATS` is outstanding, with its token, for a "
	    "logged-in session; the rooms are valid room names joined by "
	    "commas, at most 33,792 bytes" },
	{ IMSG_M_STATS_END,
	    "`struct broker_stats`: the token, counters and rates",
	    "the answer to the outstanding `STATS`, after its rows" },
	{ IMSG_A_INIT,
	    "privsep user, privsep directory; the users file comes with it",
	    "first, once, with the users file's descriptor" },
	{ IMSG_A_CHECK,
	    "u32 request, user name, password",
	    "one at a time: the next only after the answer to the last" },
	{ IMSG_A_RELOAD,
	    "nothing; the users file comes with it",
	    "with the new users file's descriptor" },
	{ IMSG_A_PING,
	    "u32 token",
	    "every 10 s" },
	{ IMSG_A_ACCOUNTS,
	    "u32 request, the names of logged-in users, a newline between "
	    "two",
	    "after a `RELOADED` that read the file, one at a time; valid "
	    "user names, at most 8,192 bytes" },
	{ IMSG_M_RESULT,
	    "u32 request, u8 1 if the password matches",
	    "the answer to the one pending request" },
	{ IMSG_M_ENROLLED_RESET,
	    "nothing",
	    "before the `RELOADED` of each users file read: the `ENROLLED` "
	    "that follow, up to that `RELOADED`, replace the keys known" },
	{ IMSG_M_ENROLLED,
	    "user name, a 32-byte key enrolled for it",
	    "only between `ENROLLED_RESET` and `RELOADED`; a valid user name, "
	    "an unlocked account, at most 16 keys per user" },
	{ IMSG_M_RELOADED,
	    "u8 1 if the file was read, the number of users or the error",
	    "after `INIT` or `RELOAD`" },
	{ IMSG_M_AUTHD_PONG,
	    "u32 token",
	    "the token of the outstanding `PING`, within 30 s" },
	{ IMSG_M_ACCOUNTS,
	    "u32 request, the names now absent, the names now locked",
	    "the answer to the outstanding `ACCOUNTS`: names it asked about, "
	    "a newline between two; the master ends those users' sessions" },
};

const size_t ipc_nspec_docs = sizeof(ipc_spec_docs) / sizeof(ipc_spec_docs[0]);

const struct ipc_spec_doc *
ipc_spec_doc_find(uint16_t type)
{
	size_t	 i;

	for (i = 0; i < ipc_nspec_docs; i++)
		if (ipc_spec_docs[i].type == type)
			return &ipc_spec_docs[i];
	return NULL;
}

/* ---------------------------------------------------------------- docs */

static void
doc_length(FILE *fp, const struct ipc_spec *t)
{
	if (strcmp(t->layout, "") == 0)
		fputs("0", fp);
	else if (strcmp(t->layout, "S") == 0)
		fprintf(fp, "%zu", t->size);
	else if (strcmp(t->layout, "a") == 0)
		fprintf(fp, "1..%d", RECORD_MAX_PLAINTEXT);
	else if (strcmp(t->layout, "k|") == 0)
		fprintf(fp, "%d or 0", KEY_LEN);
	else {
		size_t	 fixed = 0, i;
		int	 strings = 0;

		for (i = 0; t->layout[i] != '\0'; i++)
			switch (t->layout[i]) {
			case '1':
				fixed += 1;
				break;
			case '4':
				fixed += 4;
				break;
			case 'k':
				fixed += KEY_LEN;
				break;
			case 's':
				fixed += 2;
				strings++;
				break;
			}
		if (strings == 0)
			fprintf(fp, "%zu", fixed);
		else
			fprintf(fp, "%zu + the string%s", fixed,
			    strings == 1 ? "" : "s");
	}
}

static const struct {
	const char	*title;
	unsigned	 a, b;
} channels[] = {
	{ "### 3.1 Worker and master", W, M },
	{ "### 3.2 Worker and broker", W, B },
	{ "### 3.3 Master and broker", M, B },
	{ "### 3.4 Master and password checker", M, A },
};

void
ipc_table_doc(FILE *fp)
{
	const struct ipc_spec		*t;
	const struct ipc_spec_doc	*d;
	size_t				 c, i;

	for (c = 0; c < sizeof(channels) / sizeof(channels[0]); c++) {
		fprintf(fp, "%s\n\n", channels[c].title);
		fputs("| From | To | Message | Payload | Bytes | Descriptor | "
		    "Allowed |\n", fp);
		fputs("|------|----|---------|---------|-------|------------|"
		    "---------|\n", fp);
		for (i = 0; i < ipc_nspecs; i++) {
			unsigned from;

			t = &ipc_specs[i];
			if (t->to == channels[c].b &&
			    (t->from & channels[c].a))
				from = channels[c].a;
			else if (t->to == channels[c].a &&
			    (t->from & channels[c].b))
				from = channels[c].b;
			else
				continue;
			d = ipc_spec_doc_find(t->type);
			fprintf(fp, "| %s | %s | `%s` | %s | ",
			    ipc_role_name(from), ipc_role_name(t->to),
			    t->name, d != NULL ? d->fields : "?");
			doc_length(fp, t);
			fprintf(fp, " | %s | %s |\n", t->fd ? "one" : "none",
			    d != NULL ? d->allowed : "?");
		}
		fputs("\n", fp);
	}
}
