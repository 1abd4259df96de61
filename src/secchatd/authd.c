/*
 * authd.c: the password checker.
 *
 * It serves the master alone, one request at a time, so it reads and
 * writes its one channel blocking.  It never opens a file: the master opens
 * the users file and passes the descriptor, and everything after the first
 * message happens inside the sandbox.  A request for an unknown or locked
 * account does the same work as a real one, so the answer's timing does not
 * tell which accounts exist.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <sodium.h>

#include "authd.h"
#include "buf.h"
#include "ipc.h"
#include "ipc_table.h"
#include "keys.h"
#include "log.h"
#include "proto.h"
#include "pwhash.h"
#include "sandbox.h"
#include "users.h"
#include "util.h"

#define AUTHD_OUT_MAX	(1024 * 1024)
/* 0-2, the master channel, the users file, and what a reload brings. */
#define AUTHD_MAXFD	(CHILD_FD_FIRST + 2 * IPC_MAX_FDS + 8)
#define PRIVSEP_USER_MAX	64
#define PRIVSEP_DIR_MAX		1024

static struct ipc_peer	 master;
static struct users	 users;

static void
log_to_master(int pri, const char *line)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_u8(&b, (uint8_t)pri) == 0 &&
	    buf_put_str(&b, line, strnlen(line, 1000)) == 0)
		(void)ipc_composev(&master, IMSG_M_LOG, 0, &b);
	buf_free(&b);
	/* The channel is blocking: this writes the line (or fails) now. */
	(void)ipc_flush(&master);
}

static void
send_reloaded(int ok, const char *text)
{
	struct buf	 b;

	buf_init(&b, 0);
	if (buf_put_u8(&b, ok ? 1 : 0) == -1 ||
	    buf_put_str(&b, text, strlen(text)) == -1 ||
	    ipc_composev(&master, IMSG_M_RELOADED, 0, &b) == -1)
		fatal("cannot queue a reply");
	buf_free(&b);
	if (ipc_flush_all(&master) == -1)
		fatal("write to master");
}

/*
 * The keys enrolled for key login, for the master (which checks key
 * logins and tells the broker's key directory): a reset, then one message
 * per key, sent before the RELOADED of each table that replaced the old
 * one.  A locked account's keys are left out: the lock holds for key
 * logins too.  Keys are public: nothing here is secret.
 */
static void
send_enrolled(void)
{
	struct buf		 b;
	const struct user_entry	*e;
	size_t			 i, k;

	if (ipc_compose(&master, IMSG_M_ENROLLED_RESET, 0, -1, NULL, 0) == -1)
		fatal("cannot queue the enrolled keys");
	for (i = 0; i < users.n; i++) {
		e = &users.v[i];
		if (e->locked)
			continue;
		for (k = 0; k < e->nkeys; k++) {
			buf_init(&b, 0);
			if (buf_put_str(&b, e->name, strlen(e->name)) == -1 ||
			    buf_append(&b, e->keys + k * KEY_LEN,
			    KEY_LEN) == -1 ||
			    ipc_composev(&master, IMSG_M_ENROLLED, 0,
			    &b) == -1)
				fatal("cannot queue the enrolled keys");
			buf_free(&b);
			/* The channel is blocking: keep the queue short. */
			if (ipc_pending(&master) > AUTHD_OUT_MAX / 2 &&
			    ipc_flush_all(&master) == -1)
				fatal("write to master");
		}
	}
}

/*
 * Read and parse the users file behind fd into *out, leaving bad lines out
 * (*nbad counts them, report names the first).  On failure returns -1
 * with report saying why; *out is then empty.
 */
static int
read_users(int fd, struct users *out, size_t *nbad, char *report,
    size_t reportlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	users_init(out);
	*nbad = 0;
	if ((text = read_private_fd(fd, "users file", USERS_FILE_MAX, &len,
	    report, reportlen)) == NULL)
		return -1;
	rc = users_parse_skip_bad(out, text, len, nbad, report, reportlen);
	sodium_memzero(text, len + 1);
	free(text);
	if (rc == -1)
		users_free(out);
	return rc;
}

/*
 * Replace the user table with the file behind fd.  The first time, a bad
 * line costs only its own account: the others can log in, and the report
 * (which the master logs with the file's name) says which lines were left
 * out.  On a reload the administrator is at hand and the old table works,
 * so a file with any bad line is not used at all and the old table stays.
 */
static void
authd_load_users(int fd, int first)
{
	struct users	 fresh;
	char		 report[USERS_REPORT_MAX], text[USERS_REPORT_MAX + 96];
	size_t		 nbad;

	if (read_users(fd, &fresh, &nbad, report, sizeof(report)) == -1 ||
	    (nbad > 0 && !first)) {
		close(fd);
		users_free(&fresh);
		if (first) {
			/* No users: a table the master kept is gone too. */
			send_enrolled();
			snprintf(text, sizeof(text), "%s; no users", report);
		}
		else
			snprintf(text, sizeof(text), "%s; file not used, keeping "
			    "the %zu users read before", report, users.n);
		send_reloaded(0, text);
		return;
	}
	close(fd);
	users_free(&users);
	users = fresh;
	send_enrolled();
	if (nbad > 0) {
		snprintf(text, sizeof(text), "%s; %zu bad line%s left out, "
		    "%zu users", report, nbad, nbad == 1 ? "" : "s", users.n);
		send_reloaded(0, text);
	} else {
		snprintf(text, sizeof(text), "%zu", users.n);
		send_reloaded(1, text);
	}
}

static void
send_result(uint32_t session, uint32_t request, int match)
{
	uint8_t	 p[5];

	put_u32(p, request);
	p[4] = match ? 1 : 0;
	if (ipc_compose(&master, IMSG_M_RESULT, session, -1, p,
	    sizeof(p)) == -1)
		fatal("cannot queue a reply");
	if (ipc_flush_all(&master) == -1)
		fatal("write to master");
}

static void
check(const struct ipc_msg *im)
{
	struct reader		 r;
	struct user_entry	*u = NULL;
	const uint8_t		*name, *pw;
	size_t			 namelen, pwlen;
	char			 user[SECCHAT_NAME_MAX + 1];
	uint32_t		 request;
	int			 match = 0;

	rd_init(&r, im->data, im->len);
	request = rd_u32(&r);
	name = rd_str(&r, &namelen);
	pw = rd_str(&r, &pwlen);
	if (rd_done(&r) == -1)
		fatalx("malformed CHECK from master");
	if (pwlen == 0 || pwlen > PWHASH_MAX_PASSWORD) {
		/* The master checks this; nothing can match it anyway. */
		log_warnx("password of %zu bytes refused", pwlen);
	} else {
		if (valid_username((const char *)name, namelen)) {
			memcpy(user, name, namelen);
			user[namelen] = '\0';
			u = users_find(&users, user);
		}
		/* No password ("*") fails as a wrong one, after the same work. */
		if (u == NULL || u->locked || users_no_password(u))
			(void)pwhash_verify_dummy((const char *)pw, pwlen);
		else
			match = pwhash_verify(u->hash, (const char *)pw,
			    pwlen) == 0;
	}
	/*
	 * The only copy of the password is in our input buffer: wipe it
	 * there (the buffer is ours and writable; the message view is not).
	 */
	if (pwlen > 0)
		sodium_memzero((void *)(uintptr_t)pw, pwlen);
	send_result(im->session, request, match);
}

static void
reload(const struct ipc_msg *im)
{
	int	 fd;

	if (im->len != 0)
		fatalx("malformed RELOAD from master");
	if ((fd = ipc_claim_fd(&master)) == -1)
		fatalx("RELOAD from master without a descriptor");
	authd_load_users(fd, 0);
}

/*
 * IMSG_A_ACCOUNTS: which of these logged-in users are now absent from the
 * table, or locked?  The master ends their sessions.  The answer holds
 * only names it was asked about, so it is never longer than the request.
 */
static void
accounts(const struct ipc_msg *im)
{
	struct reader		 r;
	struct user_entry	*u;
	struct buf		 removed, locked, reply;
	const uint8_t		*p;
	char			 name[SECCHAT_NAME_MAX + 1];
	size_t			 len, i, start = 0;
	uint32_t		 request;

	rd_init(&r, im->data, im->len);
	request = rd_u32(&r);
	p = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len == 0 || len > ACCOUNTS_NAMES_MAX)
		fatalx("malformed ACCOUNTS from master");
	buf_init(&removed, 0);
	buf_init(&locked, 0);
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '\n')
			continue;
		if (!valid_username((const char *)p + start, i - start))
			fatalx("malformed ACCOUNTS from master");
		memcpy(name, p + start, i - start);
		name[i - start] = '\0';
		start = i + 1;
		if ((u = users_find(&users, name)) != NULL && !u->locked)
			continue;
		if (buf_used(u == NULL ? &removed : &locked) > 0 &&
		    buf_append(u == NULL ? &removed : &locked, "\n", 1) == -1)
			fatal("buf_append");
		if (buf_append(u == NULL ? &removed : &locked, name,
		    strlen(name)) == -1)
			fatal("buf_append");
	}
	buf_init(&reply, 0);
	if (buf_put_u32(&reply, request) == -1 ||
	    buf_put_str(&reply, buf_head(&removed), buf_used(&removed)) == -1 ||
	    buf_put_str(&reply, buf_head(&locked), buf_used(&locked)) == -1 ||
	    ipc_composev(&master, IMSG_M_ACCOUNTS, 0, &reply) == -1)
		fatal("cannot queue a reply");
	buf_free(&reply);
	buf_free(&removed);
	buf_free(&locked);
	if (ipc_flush_all(&master) == -1)
		fatal("write to master");
}

/* The master's liveness check: a stopped checker is replaced. */
static void
pong(const struct ipc_msg *im)
{
	if (im->len != 4)
		fatalx("malformed PING from master");
	if (ipc_compose(&master, IMSG_M_AUTHD_PONG, 0, -1, im->data, 4) == -1)
		fatalx("cannot queue a reply");
	if (ipc_flush_all(&master) == -1)
		fatal("write to master");
}

/* IMSG_A_INIT: str privsep user, str privsep directory; fd: users file. */
static int
init(char *user, char *dir)
{
	struct ipc_msg	 im;
	struct reader	 r;
	const uint8_t	*u, *d;
	size_t		 ulen, dlen;
	int		 fd;

	if (ipc_get_blocking(&master, &im) != 1)
		fatalx("no INIT from master");
	if (im.type != IMSG_A_INIT)
		fatalx("expected INIT from master, got %u", im.type);
	rd_init(&r, im.data, im.len);
	u = rd_str(&r, &ulen);
	d = rd_str(&r, &dlen);
	if (rd_done(&r) == -1 || ulen == 0 || ulen >= PRIVSEP_USER_MAX ||
	    dlen == 0 || dlen >= PRIVSEP_DIR_MAX ||
	    memchr(u, '\0', ulen) != NULL || memchr(d, '\0', dlen) != NULL)
		fatalx("malformed INIT from master");
	memcpy(user, u, ulen);
	user[ulen] = '\0';
	memcpy(dir, d, dlen);
	dir[dlen] = '\0';
	if ((fd = ipc_claim_fd(&master)) == -1)
		fatalx("INIT from master without a descriptor");
	return fd;
}

int
authd_main(int verbose)
{
	struct ipc_msg	 im;
	char		 user[PRIVSEP_USER_MAX], dir[PRIVSEP_DIR_MAX];
	int		 fd, r;

	log_setverbose(verbose);
	log_setproc("auth");
	setproctitle("auth");
	ipc_init(&master, AUTHD_FD_MASTER, "master", AUTHD_OUT_MAX);
	ipc_set_roles(&master, IPC_ROLE_AUTHD, IPC_ROLE_MASTER);
	ipc_accept_fds(&master, IPC_MAX_FDS);	/* the users file, on INIT and RELOAD */
	log_set_sink(log_to_master);
	users_init(&users);

	fd = init(user, dir);
	if (sodium_init() < 0)
		fatalx("sodium_init failed");
	sandbox_enter(SANDBOX_AUTHD, user, dir, AUTHD_MAXFD);
	authd_load_users(fd, 1);

	for (;;) {
		if ((r = ipc_get_blocking(&master, &im)) != 1) {
			if (master.eof)
				break;
			fatalx("read from master failed");
		}
		switch (im.type) {
		case IMSG_A_CHECK:
			check(&im);
			break;
		case IMSG_A_RELOAD:
			reload(&im);
			break;
		case IMSG_A_PING:
			pong(&im);
			break;
		case IMSG_A_ACCOUNTS:
			accounts(&im);
			break;
		default:
			fatalx("unexpected message %u from master", im.type);
		}
	}
	users_free(&users);
	log_set_sink(NULL);
	ipc_clear(&master);
	return 0;
}
