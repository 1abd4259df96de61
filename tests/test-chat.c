/*
 * test-chat.c: the chat model (chat.h) with its memory engine, driven in
 * memory: sessions are fakes that keep what they are delivered, and the
 * test plays the broker (ends sessions, reaps them later).
 *
 * Checked against the contract in chat.h: join, part and re-join;
 * presence per user across several sessions, with arrival and departure
 * told exactly once; hidden (ended, not yet freed) sessions; history on
 * join, in order, within the backlog a session has; the NAMES and
 * ROOMLIST lists cut to fit a record, at the limit and one past it;
 * private messages to every session of a user; the errors; a session's
 * end leaving every room; BYE and its reason.  Protocol section 11: the
 * key directory (online and enrolled keys, each once, cut at 64, the
 * enrolled table replaced wholesale), the end-to-end relay (to every
 * session with the device's key, never back to the sender, E2E_FAIL when
 * there is none, the payload limit, order, a full queue), both refused
 * to a session that did not agree to the extensions, and in test builds
 * the lying directory.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "chat.h"
#include "chat_redis.h"
#include "util.h"
#include "wire.h"
#include "tap.h"

#define OVERHEAD	12	/* what the broker's IPC header costs */

/* One session as the broker would hold it. */
struct fake {
	char			 label[SECCHAT_NAME_MAX + 8];
	struct chat_session	*cs;
	int			 ended;
	const char		*why;
	const char		*kick;
	size_t			 backlog;	/* what io.backlog answers */
	size_t			 qlimit;	/* deliveries it takes */
	size_t			 ndelivered;
	size_t			 last_len;	/* of the last message */
	int			 keep;		/* keep what is delivered */
	struct stored {
		uint8_t		*p;
		size_t		 len;
	}			*q;
	size_t			 nq, head, capq;
	TAILQ_ENTRY(fake)	 dead_entry;
	TAILQ_ENTRY(fake)	 every;
};

static struct chat		*chat;
static uint64_t			 now = 1000;
static int			 after_end;	/* deliveries to ended ones */
static TAILQ_HEAD(, fake)	 dead = TAILQ_HEAD_INITIALIZER(dead);
static TAILQ_HEAD(, fake)	 fakes = TAILQ_HEAD_INITIALIZER(fakes);
static const uint8_t		*setup_lie;	/* cfg.test_lying_key */

/* ------------------------------------------------------ the broker's part */

static void
fake_end(struct fake *f, const char *why, const char *kick)
{
	if (f->ended)
		return;
	f->ended = 1;
	f->why = why;
	f->kick = kick;
	TAILQ_INSERT_TAIL(&dead, f, dead_entry);
	chat_session_end(f->cs);
}

static void
io_deliver(void *owner, const uint8_t *msg, size_t len)
{
	struct fake	*f = owner;

	if (f->ended) {
		after_end++;
		return;
	}
	if (f->qlimit != 0 && f->ndelivered >= f->qlimit) {
		fake_end(f, CHAT_WHY_SLOW, "send queue full (too slow)");
		return;
	}
	f->ndelivered++;
	f->last_len = len;
	if (!f->keep)
		return;
	if (f->nq == f->capq) {
		f->capq = f->capq ? 2 * f->capq : 16;
		if ((f->q = reallocarray(f->q, f->capq, sizeof(*f->q))) ==
		    NULL)
			abort();
	}
	if ((f->q[f->nq].p = malloc(len)) == NULL)
		abort();
	memcpy(f->q[f->nq].p, msg, len);
	f->q[f->nq++].len = len;
}

static void
io_end(void *owner, const char *why, const char *kick)
{
	fake_end(owner, why, kick);
}

static size_t
io_backlog(void *owner)
{
	return ((struct fake *)owner)->backlog;
}

/* Free the sessions ended since the last call, as the broker's loop does. */
static void
reap(void)
{
	struct fake	*f;

	while ((f = TAILQ_FIRST(&dead)) != NULL) {
		TAILQ_REMOVE(&dead, f, dead_entry);
		chat_session_free(f->cs, f->why, ++now);
		f->cs = NULL;
	}
}

static void
drain(struct fake *f)
{
	size_t	 i;

	for (i = 0; i < f->nq; i++)
		free(f->q[i].p);
	f->nq = f->head = 0;
}

static void
setup(uint32_t max_rooms, uint32_t history)
{
	struct chat_config	 cfg;
	struct chat_io		 io;

	memset(&cfg, 0, sizeof(cfg));
	cfg.lobby = "lobby";
	cfg.max_rooms = max_rooms;
	cfg.max_message = 4096;
	cfg.history = history;
	cfg.room_history_bytes = 256 * 1024;
	cfg.history_bytes = 1024 * 1024;
	cfg.test_lying_key = setup_lie;
	memset(&io, 0, sizeof(io));
	io.deliver = io_deliver;
	io.end = io_end;
	io.backlog = io_backlog;
	io.msg_overhead = OVERHEAD;
	if ((chat = chat_new(&cfg, &io)) == NULL)
		abort();
}

static void
teardown(void)
{
	struct fake	*f;

	reap();
	chat_free(chat);
	chat = NULL;
	while ((f = TAILQ_FIRST(&fakes)) != NULL) {
		TAILQ_REMOVE(&fakes, f, every);
		drain(f);
		free(f->q);
		free(f);
	}
}

/* A session logged in as user; in the lobby if lobby is set. */
static struct fake *
login(const char *user, int lobby)
{
	struct fake	*f;

	if ((f = calloc(1, sizeof(*f))) == NULL)
		abort();
	snprintf(f->label, sizeof(f->label), "%s", user);
	f->backlog = 1024 * 1024;
	f->keep = 1;
	TAILQ_INSERT_TAIL(&fakes, f, every);
	if ((f->cs = chat_session_new(chat, f)) == NULL ||
	    chat_login(f->cs, user) == -1)
		abort();
	if (lobby)
		chat_enter_lobby(f->cs, ++now);
	return f;
}

/* A request from f: s0 and s1 are its string fields, as the type has them. */
static int
req(struct fake *f, uint8_t type, const char *s0, const char *s1)
{
	struct wire_msg	 m;

	memset(&m, 0, sizeof(m));
	m.type = type;
	if (s0 != NULL) {
		m.s[0].p = s0;
		m.s[0].len = strlen(s0);
		m.ns = 1;
	}
	if (s1 != NULL) {
		m.s[1].p = s1;
		m.s[1].len = strlen(s1);
		m.ns = 2;
	}
	return chat_request(f->cs, &m, ++now);
}

/* ------------------------------------------------------------ what was sent */

/* The next message f was sent, decoded; 0 if there is none. */
static int
next(struct fake *f, struct wire_msg *m)
{
	if (f->head == f->nq)
		return 0;
	f->head++;
	return wire_decode(f->q[f->head - 1].p, f->q[f->head - 1].len,
	    FROM_SERVER, m) == 0;
}

static size_t
pending(const struct fake *f)
{
	return f->nq - f->head;
}

static int
str_is(const struct wire_str *ws, const char *s)
{
	return s == NULL || (ws->len == strlen(s) &&
	    memcmp(ws->p, s, ws->len) == 0);
}

/* The next message is of this type, with these strings (NULL: any). */
static int
got(struct fake *f, uint8_t type, const char *s0, const char *s1,
    const char *s2)
{
	struct wire_msg	 m;

	if (!next(f, &m) || m.type != type)
		return 0;
	return str_is(&m.s[0], s0) && str_is(&m.s[1], s1) &&
	    str_is(&m.s[2], s2);
}

/* The list of a NAMES message as "a,b,c". */
static void
names_of(const struct wire_msg *m, char *out, size_t outlen)
{
	struct reader	 r;
	struct wire_str	 ws;

	out[0] = '\0';
	rd_init(&r, m->list, m->listlen);
	while (wire_names_next(&r, &ws)) {
		if (out[0] != '\0')
			strlcat(out, ",", outlen);
		if (strlen(out) + ws.len + 1 < outlen)
			strncat(out, ws.p, ws.len);
	}
}

/* The next message is NAMES of room, listing exactly list. */
static int
got_names(struct fake *f, const char *room, const char *list)
{
	struct wire_msg	 m;
	char		 have[512];

	if (!next(f, &m) || m.type != MSG_NAMES || !str_is(&m.s[0], room))
		return 0;
	names_of(&m, have, sizeof(have));
	if (strcmp(have, list) != 0) {
		tap_diag("NAMES %s: %s, not %s", room, have, list);
		return 0;
	}
	return 1;
}

/* The next message is ROOMLIST, as "room:users,...". */
static int
got_rooms(struct fake *f, const char *list)
{
	struct wire_msg	 m;
	struct reader	 r;
	struct wire_str	 ws;
	uint16_t	 n;
	char		 have[512], one[64];

	if (!next(f, &m) || m.type != MSG_ROOMLIST)
		return 0;
	have[0] = '\0';
	rd_init(&r, m.list, m.listlen);
	while (wire_rooms_next(&r, &ws, &n)) {
		snprintf(one, sizeof(one), "%s%.*s:%u", have[0] ? "," : "",
		    (int)ws.len, ws.p, n);
		strlcat(have, one, sizeof(have));
	}
	if (strcmp(have, list) != 0) {
		tap_diag("ROOMLIST: %s, not %s", have, list);
		return 0;
	}
	return 1;
}

static int
got_error(struct fake *f, uint8_t code, const char *text)
{
	struct wire_msg	 m;

	if (!next(f, &m) || m.type != MSG_ERROR || m.byte != code)
		return 0;
	return str_is(&m.s[0], text);
}

/* -------------------------------------------------- protocol section 11 */

/* A key that reads as id in KEYLIST strings: 2 bytes of id, then 0x5a. */
static void
mkkey(uint8_t key[WIRE_KEYLEN], unsigned id)
{
	memset(key, 0x5a, WIRE_KEYLEN);
	key[0] = (uint8_t)(id >> 8);
	key[1] = (uint8_t)id;
}

/* A session of user with the identity key id and the flags given. */
static struct fake *
elogin(const char *user, unsigned id, unsigned flags)
{
	struct fake	*f;
	uint8_t		 key[WIRE_KEYLEN];

	f = login(user, 0);
	mkkey(key, id);
	chat_set_identity(f->cs, key, flags);
	return f;
}

static void
enroll(const char *user, unsigned id)
{
	uint8_t		 key[WIRE_KEYLEN];

	mkkey(key, id);
	if (chat_enrolled_add(chat, user, key) == -1)
		abort();
}

/* E2E(user, key id, payload of len bytes, each the byte fill). */
static int
e2e(struct fake *f, const char *user, unsigned id, size_t len, uint8_t fill)
{
	static uint8_t	 payload[E2E_PAYLOAD_MAX];
	struct wire_msg	 m;
	uint8_t		 key[WIRE_KEYLEN];

	mkkey(key, id);
	memset(payload, fill, len);
	memset(&m, 0, sizeof(m));
	m.type = MSG_E2E;
	m.s[0].p = user;
	m.s[0].len = strlen(user);
	m.s[1].p = (const char *)key;
	m.s[1].len = WIRE_KEYLEN;
	m.s[2].p = (const char *)payload;
	m.s[2].len = len;
	m.ns = 3;
	return chat_request(f->cs, &m, ++now);
}

static int
key_is(const struct wire_str *ws, unsigned id)
{
	uint8_t		 key[WIRE_KEYLEN];

	mkkey(key, id);
	return ws->len == WIRE_KEYLEN && memcmp(ws->p, key, WIRE_KEYLEN) == 0;
}

/* The next message is E2E_FROM(now, sender, key id, len bytes of fill). */
static int
got_e2e(struct fake *f, const char *sender, unsigned id, size_t len,
    uint8_t fill)
{
	struct wire_msg	 m;
	size_t		 i;

	if (!next(f, &m) || m.type != MSG_E2E_FROM || m.time != now ||
	    !str_is(&m.s[0], sender) || !key_is(&m.s[1], id) ||
	    m.s[2].len != len)
		return 0;
	for (i = 0; i < len; i++)
		if ((uint8_t)m.s[2].p[i] != fill)
			return 0;
	return 1;
}

static int
got_e2e_fail(struct fake *f, const char *user, unsigned id)
{
	struct wire_msg	 m;

	return next(f, &m) && m.type == MSG_E2E_FAIL &&
	    str_is(&m.s[0], user) && key_is(&m.s[1], id) &&
	    str_is(&m.s[2], "not online");
}

/* The next message is KEYLIST(user) listing exactly "id:flags,...". */
static int
got_keys(struct fake *f, const char *user, const char *list)
{
	struct wire_msg	 m;
	struct reader	 r;
	const uint8_t	*k;
	uint8_t		 flags, want[WIRE_KEYLEN];
	char		 have[1024], one[32];

	if (!next(f, &m) || m.type != MSG_KEYLIST || !str_is(&m.s[0], user))
		return 0;
	have[0] = '\0';
	rd_init(&r, m.list, m.listlen);
	while (wire_keys_next(&r, &k, &flags)) {
		mkkey(want, (unsigned)k[0] << 8 | k[1]);
		if (memcmp(k, want, WIRE_KEYLEN) != 0)
			strlcat(have, "(mangled)", sizeof(have));
		snprintf(one, sizeof(one), "%s%x:%u", have[0] ? "," : "",
		    (unsigned)k[0] << 8 | k[1], flags);
		strlcat(have, one, sizeof(have));
	}
	if (strcmp(have, list) != 0) {
		tap_diag("KEYLIST %s: %s, not %s", user, have, list);
		return 0;
	}
	return 1;
}

static void
test_directory(void)
{
	struct fake	*a[4], *b, *n;
	struct wire_msg	 m;
	unsigned	 i;
	int		 ok;

	setup(8, 50);
	a[0] = elogin("alice", 0xa1, CHAT_ID_EXTENDED | CHAT_ID_KEYLOGIN);
	a[1] = elogin("alice", 0xa2, CHAT_ID_EXTENDED);
	a[2] = elogin("alice", 0xa3, 0);
	a[3] = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	b = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	n = elogin("nora", 0xc1, 0);
	enroll("alice", 0xa1);
	enroll("alice", 0xe1);
	enroll("carol", 0xc2);
	req(b, MSG_KEYS, "alice", NULL);
	tap_ok(got_keys(b, "alice", "a1:3,e1:2,a2:1") && pending(b) == 0,
	    "KEYS: enrolled keys, then the extended sessions' keys, each "
	    "once with its flags ORed; not the non-extended session's");
	req(b, MSG_KEYS, "carol", NULL);
	tap_ok(got_keys(b, "carol", "c2:2"),
	    "an offline user: its enrolled keys");
	req(b, MSG_KEYS, "nobody", NULL);
	tap_ok(got_keys(b, "nobody", ""), "an unknown user: an empty list");
	req(b, MSG_KEYS, "bob", NULL);
	tap_ok(got_keys(b, "bob", "b1:1"), "one's own name: one's own key");
	chat_set_identity(b->cs, a[1]->cs->key, CHAT_ID_EXTENDED);
	req(a[0], MSG_KEYS, "bob", NULL);
	tap_ok(got_keys(a[0], "bob", "b1:1"),
	    "a second identity for a session changes nothing");

	fake_end(a[1], CHAT_WHY_LOST, NULL);
	req(b, MSG_KEYS, "alice", NULL);
	tap_ok(got_keys(b, "alice", "a1:3,e1:2"),
	    "a session ended but not freed is left out");
	chat_enrolled_reset(chat);
	enroll("alice", 0xe2);
	enroll("alice", 0xe2);
	req(b, MSG_KEYS, "alice", NULL);
	tap_ok(got_keys(b, "alice", "e2:2,a1:1"), "the enrolled table is "
	    "replaced wholesale; a key added twice is listed once");
	req(b, MSG_KEYS, "carol", NULL);
	tap_ok(got_keys(b, "carol", ""), "a user left out of the new table "
	    "has no keys");
	for (i = 0; i < CHAT_ENROLLED_PER_USER + 4; i++)
		enroll("dave", 0x100 + i);
	req(b, MSG_KEYS, "dave", NULL);
	ok = next(b, &m) && m.type == MSG_KEYLIST &&
	    m.count == CHAT_ENROLLED_PER_USER;
	tap_ok(ok, "at most %d enrolled keys per user (%u listed)",
	    CHAT_ENROLLED_PER_USER, m.count);

	req(n, MSG_KEYS, "alice", NULL);
	tap_ok(got_error(n, ERR_BAD_REQUEST, NULL) && pending(n) == 0 &&
	    !n->ended, "KEYS from a session without the extensions: ERROR 1");
	teardown();

	/* 16 enrolled keys and 60 sessions' keys: the first 64. */
	setup(8, 50);
	for (i = 0; i < CHAT_ENROLLED_PER_USER; i++)
		enroll("erin", 0x200 + i);
	for (i = 0; i < 60; i++)
		(void)elogin("erin", 0x300 + i, CHAT_ID_EXTENDED);
	b = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	req(b, MSG_KEYS, "erin", NULL);
	ok = next(b, &m) && m.type == MSG_KEYLIST && m.count == KEYLIST_MAX &&
	    b->last_len == 1 + 2 + 4 + 2 + KEYLIST_MAX * KEYLIST_ENTRY;
	if (ok) {
		struct reader	 r;
		const uint8_t	*k;
		uint8_t		 flags, seen[60];

		/* The sessions' keys in no particular order, each once. */
		memset(seen, 0, sizeof(seen));
		rd_init(&r, m.list, m.listlen);
		for (i = 0; i < KEYLIST_MAX && wire_keys_next(&r, &k, &flags);
		    i++) {
			if (i < CHAT_ENROLLED_PER_USER) {
				ok &= k[0] == 2 && k[1] == i &&
				    flags == KEYLIST_ENROLLED;
				continue;
			}
			ok &= k[0] == 3 && k[1] < 60 && !seen[k[1]] &&
			    flags == KEYLIST_ONLINE;
			if (k[0] == 3 && k[1] < 60)
				seen[k[1]] = 1;
		}
		ok &= i == KEYLIST_MAX;
	}
	tap_ok(ok, "76 keys: the list stops at %d, every enrolled key in it",
	    KEYLIST_MAX);
	teardown();
}

static void
test_e2e(void)
{
	struct fake	*a1, *a2, *b1, *b1b, *b2, *bx, *n, *all[6];
	size_t		 max;
	int		 i, ok;

	setup(8, 50);
	a1 = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	a2 = elogin("alice", 0xa2, CHAT_ID_EXTENDED);
	b1 = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	b1b = elogin("bob", 0xb1, CHAT_ID_EXTENDED | CHAT_ID_KEYLOGIN);
	b2 = elogin("bob", 0xb2, CHAT_ID_EXTENDED);
	bx = elogin("bob", 0xb1, 0);		/* same key, no extensions */
	n = elogin("nora", 0xc1, 0);
	all[0] = a1, all[1] = a2, all[2] = b1, all[3] = b1b, all[4] = b2;
	all[5] = bx;

	e2e(a1, "bob", 0xb1, 100, 0x11);
	tap_ok(got_e2e(b1, "alice", 0xa1, 100, 0x11) &&
	    got_e2e(b1b, "alice", 0xa1, 100, 0x11) && pending(b1) == 0 &&
	    pending(b1b) == 0, "E2E: E2E_FROM with the time, the sender, its "
	    "key and the payload, to each session with the device's key");
	tap_ok(pending(b2) == 0 && pending(bx) == 0 && pending(a1) == 0 &&
	    pending(a2) == 0, "not to the user's other devices, nor to a "
	    "session without the extensions, nor back to the sender");
	e2e(a1, "bob", 0xb2, 50, 0x22);
	tap_ok(got_e2e(b2, "alice", 0xa1, 50, 0x22) && pending(b1) == 0 &&
	    pending(a1) == 0, "to the user's other device");
	e2e(a1, "alice", 0xa2, 60, 0x33);
	tap_ok(got_e2e(a2, "alice", 0xa1, 60, 0x33) && pending(a1) == 0,
	    "to the sender's own other device");
	e2e(a1, "alice", 0xa1, 60, 0x44);
	tap_ok(got_e2e_fail(a1, "alice", 0xa1) && pending(a1) == 0 &&
	    pending(a2) == 0, "to the sender's own device, alone: never back "
	    "to it, and E2E_FAIL");
	e2e(a1, "bob", 0xb9, 10, 0x55);
	tap_ok(got_e2e_fail(a1, "bob", 0xb9), "to a key no session has: "
	    "E2E_FAIL not online");
	e2e(a1, "nobody", 0xb1, 10, 0x55);
	tap_ok(got_e2e_fail(a1, "nobody", 0xb1), "to an unknown user: "
	    "E2E_FAIL");
	ok = 1;
	for (i = 0; i < 6; i++)
		ok &= pending(all[i]) == 0;
	tap_ok(ok, "and nobody else hears of any of it");

	max = 33 + (1 + 2 + 32 + 2 + 4096 + 255) / 256 * 256;
	e2e(a1, "bob", 0xb2, max, 0x77);
	tap_ok(got_e2e(b2, "alice", 0xa1, max, 0x77) && pending(a1) == 0,
	    "a payload of the limit (%zu bytes at MaxMessageLength 4096) is "
	    "delivered", max);
	e2e(a1, "bob", 0xb2, max + 1, 0x78);
	tap_ok(got_error(a1, ERR_BAD_TEXT, NULL) && pending(b2) == 0 &&
	    !a1->ended, "one byte more: ERROR 4, not delivered");

	e2e(n, "bob", 0xb1, 10, 0x99);
	tap_ok(got_error(n, ERR_BAD_REQUEST, NULL) && pending(b1) == 0 &&
	    !n->ended, "E2E from a session without the extensions: ERROR 1");

	/* A full queue ends the session, as any delivery does. */
	b1->qlimit = b1->ndelivered + 1;
	e2e(a2, "bob", 0xb1, 10, 0x01);
	e2e(a2, "bob", 0xb1, 10, 0x02);
	tap_ok(b1->ended && strcmp(b1->why, CHAT_WHY_SLOW) == 0 &&
	    pending(a2) == 0, "a queue that fills ends its session; the "
	    "sender is not told");
	fake_end(b1b, CHAT_WHY_LOST, NULL);
	e2e(a2, "bob", 0xb1, 10, 0x03);
	tap_ok(got_e2e_fail(a2, "bob", 0xb1) && after_end == 0,
	    "ended sessions are skipped: not online");
	reap();
	teardown();
}

/* The next message is a NAMES-shaped one of type, listing exactly list. */
static int
got_list(struct fake *f, uint8_t type, const char *room, const char *list)
{
	struct wire_msg	 m;
	char		 have[512];

	if (!next(f, &m) || m.type != type || !str_is(&m.s[0], room))
		return 0;
	names_of(&m, have, sizeof(have));
	if (strcmp(have, list) != 0) {
		tap_diag("%s %s: %s, not %s", wire_type_name(type), room, have,
		    list);
		return 0;
	}
	return 1;
}

/* The next message is WHOISINFO: user, rooms, idle ms, away, "id:flags". */
static int
got_whois(struct fake *f, const char *user, const char *rooms, uint64_t idle,
    const char *away, const char *keys)
{
	struct wire_msg	 m;
	struct reader	 r;
	const uint8_t	*k;
	uint8_t		 flags;
	char		 have[256], one[32];

	if (!next(f, &m) || m.type != MSG_WHOISINFO ||
	    !str_is(&m.s[0], user) || !str_is(&m.s[1], rooms) ||
	    !str_is(&m.s[2], away))
		return 0;
	if (idle != UINT64_MAX && m.time != idle) {
		tap_diag("WHOISINFO %s: idle %llu, not %llu", user,
		    (unsigned long long)m.time, (unsigned long long)idle);
		return 0;
	}
	have[0] = '\0';
	rd_init(&r, m.list, m.listlen);
	while (wire_keys_next(&r, &k, &flags)) {
		snprintf(one, sizeof(one), "%s%x:%u", have[0] ? "," : "",
		    (unsigned)k[0] << 8 | k[1], flags);
		strlcat(have, one, sizeof(have));
	}
	if (strcmp(have, keys) != 0) {
		tap_diag("WHOISINFO %s keys: %s, not %s", user, have, keys);
		return 0;
	}
	return 1;
}

/* Protocol section 11.8: AWAY, AWAYNOTE, AWAYNAMES, WHOIS. */
static void
test_away(void)
{
	struct fake	*a1, *a2, *b, *p;
	char		 longtext[AWAY_TEXT_MAX + 2];
	uint64_t	 t0;

	setup(8, 50);
	a1 = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	chat_enter_lobby(a1->cs, ++now);
	a2 = elogin("alice", 0xa2, CHAT_ID_EXTENDED);
	chat_enter_lobby(a2->cs, ++now);
	b = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	chat_enter_lobby(b->cs, ++now);
	p = elogin("pat", 0xc1, 0);		/* a plain session */
	chat_enter_lobby(p->cs, ++now);
	req(b, MSG_JOIN, "dev", NULL);
	drain(a1), drain(a2), drain(b), drain(p);

	req(a1, MSG_AWAY, "lunch", NULL);
	tap_ok(got(a1, MSG_AWAYNOTE, "alice", "lunch", NULL) &&
	    got(a2, MSG_AWAYNOTE, "alice", "lunch", NULL) &&
	    pending(a1) == 0 && pending(a2) == 0 && pending(b) == 0 &&
	    pending(p) == 0, "AWAY: AWAYNOTE to every extended session of "
	    "the user, the sender's included, and to nobody else");

	req(b, MSG_WHO, "lobby", NULL);
	tap_ok(got_names(b, "lobby", "alice,bob,pat") &&
	    got_list(b, MSG_AWAYNAMES, "lobby", "alice") && pending(b) == 0,
	    "WHO on an extended session: NAMES as ever, then AWAYNAMES");
	req(p, MSG_WHO, "lobby", NULL);
	tap_ok(got_names(p, "lobby", "alice,bob,pat") && pending(p) == 0,
	    "WHO on a plain session: NAMES alone");
	req(b, MSG_WHO, "dev", NULL);
	tap_ok(got_names(b, "dev", "bob") &&
	    got_list(b, MSG_AWAYNAMES, "dev", "") && pending(b) == 0,
	    "a room where nobody is away: an empty AWAYNAMES");

	req(b, MSG_PRIVMSG, "alice", "hi");
	tap_ok(got(a1, MSG_PRIVATE, "bob", "hi", NULL) &&
	    got(a2, MSG_PRIVATE, "bob", "hi", NULL) &&
	    got(b, MSG_AWAYNOTE, "alice", "lunch", NULL) && pending(b) == 0,
	    "PRIVMSG to someone away: delivered, and the sender gets "
	    "AWAYNOTE");
	req(b, MSG_PRIVMSG, "alice", "again");
	e2e(b, "alice", 0xa1, 10, 0x01);
	e2e(b, "alice", 0xa2, 10, 0x02);
	tap_ok(pending(b) == 0, "once per away period: no note for the "
	    "next PRIVMSG or E2E to the same user");
	drain(a1), drain(a2);
	req(p, MSG_PRIVMSG, "alice", "plain");
	tap_ok(pending(p) == 0, "a plain sender is not told");
	req(b, MSG_PRIVMSG, "pat", "x");
	req(b, MSG_PRIVMSG, "alice", "back to you");
	tap_ok(got(b, MSG_AWAYNOTE, "alice", "lunch", NULL) &&
	    pending(b) == 0, "after writing to someone else, told again");
	drain(a1), drain(a2), drain(p);
	e2e(a2, "alice", 0xa1, 10, 0x03);
	tap_ok(got_e2e(a1, "alice", 0xa2, 10, 0x03) && pending(a2) == 0,
	    "no note about oneself (copies to one's own devices)");

	/* Whois: rooms, idle, away text, online keys. */
	t0 = now;
	now += 5000;
	req(b, MSG_WHOIS, "alice", NULL);
	tap_ok(got_whois(b, "alice", "lobby", now - t0, "lunch",
	    "a2:1,a1:1") && pending(b) == 0, "WHOIS: WHOISINFO with rooms, "
	    "the time since the last message, the away text and the keys");
	req(a2, MSG_JOIN, "dev", NULL);
	drain(a2), drain(b);
	req(a1, MSG_WHOIS, "bob", NULL);
	tap_ok(got_whois(a1, "bob", "dev,lobby", UINT64_MAX, "", "b1:1"),
	    "WHOIS of someone not away, in two rooms (the newest first): an "
	    "empty away text");
	req(b, MSG_WHOIS, "alice", NULL);
	{
		struct wire_msg	 m;

		tap_ok(next(b, &m) && m.type == MSG_WHOISINFO &&
		    (str_is(&m.s[1], "dev,lobby") ||
		    str_is(&m.s[1], "lobby,dev")), "rooms of two sessions "
		    "are each listed once");
	}
	req(b, MSG_WHOIS, "nobody", NULL);
	tap_ok(got_error(b, ERR_NO_USER, NULL) && pending(b) == 0,
	    "WHOIS of someone offline: ERROR 3");
	req(b, MSG_WHOIS, "pat", NULL);
	tap_ok(got_whois(b, "pat", "lobby", UINT64_MAX, "", ""),
	    "WHOIS of a plain session's user: no keys");
	req(p, MSG_WHOIS, "alice", NULL);
	tap_ok(got_error(p, ERR_BAD_REQUEST, NULL) && pending(p) == 0,
	    "WHOIS from a plain session: ERROR 1");
	req(p, MSG_AWAY, "x", NULL);
	tap_ok(got_error(p, ERR_BAD_REQUEST, NULL) && pending(a1) == 0,
	    "AWAY from a plain session: ERROR 1");

	/* Back. */
	req(a2, MSG_AWAY, "", NULL);
	tap_ok(got(a1, MSG_AWAYNOTE, "alice", "", NULL) &&
	    got(a2, MSG_AWAYNOTE, "alice", "", NULL),
	    "AWAY with an empty text: back, confirmed to every session");
	req(b, MSG_PRIVMSG, "alice", "there?");
	tap_ok(!got(b, MSG_AWAYNOTE, NULL, NULL, NULL),
	    "no note once back");
	req(b, MSG_WHO, "lobby", NULL);
	tap_ok(got_names(b, "lobby", "alice,bob,pat") &&
	    got_list(b, MSG_AWAYNAMES, "lobby", ""), "nor in AWAYNAMES");
	drain(a1), drain(a2);

	/* A new away period is told again, even to the same sender. */
	req(a1, MSG_AWAY, "gone", NULL);
	req(b, MSG_PRIVMSG, "alice", "hello");
	tap_ok(got(b, MSG_AWAYNOTE, "alice", "gone", NULL),
	    "a new away period brings a new note");

	/* The longest text the front takes, and what it refuses. */
	memset(longtext, 'z', sizeof(longtext));
	longtext[AWAY_TEXT_MAX] = '\0';
	drain(a1), drain(a2);
	req(a1, MSG_AWAY, longtext, NULL);
	tap_ok(got(a2, MSG_AWAYNOTE, "alice", longtext, NULL),
	    "an away text of 160 bytes");
	longtext[AWAY_TEXT_MAX] = 'z';
	longtext[AWAY_TEXT_MAX + 1] = '\0';
	req(a1, MSG_AWAY, longtext, NULL);
	tap_ok(a1->ended && strcmp(a1->why, CHAT_WHY_PROTO) == 0,
	    "one of 161 bytes (which the worker would refuse) ends the "
	    "session");
	reap();

	/* The state goes with the user's last session. */
	fake_end(a2, CHAT_WHY_LOST, NULL);
	reap();
	a1 = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	chat_enter_lobby(a1->cs, ++now);
	drain(b);
	req(b, MSG_PRIVMSG, "alice", "hi");
	tap_ok(pending(b) == 0, "away ends when the user's last session "
	    "leaves");
	req(b, MSG_WHOIS, "alice", NULL);
	tap_ok(got_whois(b, "alice", "lobby", 2, "", "a1:1"),
	    "a new session counts as activity: idle since its login");
	teardown();
}

/* Order: each payload is another byte, sent in a row. */
static void
test_e2e_order(void)
{
	struct fake	*a, *b;
	struct wire_msg	 m;
	int		 i, ok = 1;

	setup(8, 50);
	a = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	b = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	for (i = 0; i < 20; i++)
		e2e(a, "bob", 0xb1, 1 + i, (uint8_t)i);
	for (i = 0; i < 20; i++)
		ok &= next(b, &m) && m.type == MSG_E2E_FROM &&
		    m.s[2].len == (size_t)(1 + i) &&
		    (uint8_t)m.s[2].p[0] == (uint8_t)i;
	tap_ok(ok && pending(b) == 0, "twenty in a row arrive in the order "
	    "sent");
	teardown();
}

static void
test_lying_directory(void)
{
#ifdef SECCHAT_TEST_HOOKS
	static uint8_t	 lie[WIRE_KEYLEN];
	struct fake	*a, *b;

	mkkey(lie, 0x77);
	setup_lie = lie;
	setup(8, 50);
	setup_lie = NULL;
	a = elogin("alice", 0xa1, CHAT_ID_EXTENDED);
	(void)elogin("alice", 0xa2, CHAT_ID_EXTENDED);
	b = elogin("bob", 0xb1, CHAT_ID_EXTENDED);
	enroll("alice", 0xe1);
	enroll("carol", 0xc1);
	req(b, MSG_KEYS, "alice", NULL);
	tap_ok(got_keys(b, "alice", "e1:2,77:1"), "lying directory: the lie "
	    "in place of each online key, enrolled keys as they are");
	req(b, MSG_KEYS, "carol", NULL);
	tap_ok(got_keys(b, "carol", "c1:2"), "an offline user's list is "
	    "unchanged");
	e2e(b, "alice", 0xa1, 10, 0x42);
	tap_ok(got_e2e(a, "bob", 0xb1, 10, 0x42),
	    "the relay still goes by the real keys");
	teardown();
#else
	tap_skip("built without test hooks", "lying directory");
#endif
}

/* ------------------------------------------------------------ the tests */

static void
test_login(void)
{
	struct fake	*a, *b;

	setup(8, 50);
	a = login("alice", 1);
	tap_ok(got(a, MSG_JOINED, "lobby", NULL, NULL) &&
	    got_names(a, "lobby", "alice") && pending(a) == 0,
	    "login: JOINED lobby, then NAMES with the user alone");
	b = login("bob", 1);
	tap_ok(got(b, MSG_JOINED, "lobby", NULL, NULL) &&
	    got_names(b, "lobby", "alice,bob") && pending(b) == 0,
	    "a second user: NAMES in the order of arrival");
	tap_ok(got(a, MSG_ARRIVED, "lobby", "bob", NULL) && pending(a) == 0,
	    "the first is told of the second, once");
	tap_ok(strcmp(chat_session_user(b->cs), "bob") == 0,
	    "the session's user is the master's name");
	teardown();
}

static void
test_say(void)
{
	struct fake	*a, *b, *c;
	struct wire_msg	 m;
	char		 big[4098];

	setup(8, 50);
	a = login("alice", 1);
	b = login("bob", 1);
	c = login("carol", 1);
	drain(a);
	drain(b);
	drain(c);
	req(a, MSG_SAY, "lobby", "hello");
	tap_ok(next(b, &m) && m.type == MSG_MESSAGE && m.time == now &&
	    str_is(&m.s[0], "lobby") && str_is(&m.s[1], "alice") &&
	    str_is(&m.s[2], "hello") && pending(b) == 0,
	    "SAY: MESSAGE with the time, room, sender and text");
	tap_ok(got(c, MSG_MESSAGE, "lobby", "alice", "hello") &&
	    pending(a) == 0, "every other member gets it; the sender not");
	req(a, MSG_ACT, "lobby", "waves");
	tap_ok(got(b, MSG_ACTION, "lobby", "alice", "waves") &&
	    got(c, MSG_ACTION, "lobby", "alice", "waves") && pending(a) == 0,
	    "ACT: ACTION to the others");
	req(a, MSG_SAY, "side", "hello");
	tap_ok(got_error(a, ERR_NO_ROOM, "you are not in side") &&
	    pending(b) == 0, "SAY to a room one is not in: ERROR 2");
	memset(big, 'x', 4097);
	big[4097] = '\0';
	req(a, MSG_SAY, "lobby", big);
	tap_ok(got_error(a, ERR_BAD_TEXT, "message too long: 4097 bytes, the "
	    "limit is 4096; it was not delivered") && pending(b) == 0,
	    "one byte past MaxMessageLength: ERROR 4, not delivered");
	big[4096] = '\0';
	req(a, MSG_SAY, "lobby", big);
	tap_ok(pending(a) == 0 && next(b, &m) && m.s[2].len == 4096,
	    "MaxMessageLength itself is delivered");
	req(a, MSG_SAY, "lobby", "two\nlines");
	tap_ok(got_error(a, ERR_BAD_TEXT, "message text is not valid"),
	    "text with a line feed: ERROR 4");
	big[4096] = 'x';
	req(a, MSG_SAY, "side", big);
	tap_ok(got_error(a, ERR_NO_ROOM, NULL),
	    "not in the room and too long: the room is checked first");
	tap_ok(after_end == 0, "nothing was delivered to an ended session");
	teardown();
}

static void
test_join_part(void)
{
	struct fake	*a, *b;

	setup(8, 50);
	a = login("alice", 1);
	b = login("bob", 1);
	req(a, MSG_JOIN, "side", NULL);
	drain(a);
	drain(b);
	req(b, MSG_JOIN, "side", NULL);
	tap_ok(got(b, MSG_JOINED, "side", NULL, NULL) &&
	    got_names(b, "side", "alice,bob") && pending(b) == 0,
	    "JOIN: JOINED, NAMES (no history yet)");
	tap_ok(got(a, MSG_ARRIVED, "side", "bob", NULL) && pending(a) == 0,
	    "the member is told of the arrival once");
	req(b, MSG_JOIN, "side", NULL);
	tap_ok(got(b, MSG_JOINED, "side", NULL, NULL) &&
	    got_names(b, "side", "alice,bob") && pending(b) == 0,
	    "re-join: JOINED and NAMES again");
	tap_ok(pending(a) == 0, "re-join: nobody else hears of it");
	req(b, MSG_PART, "side", NULL);
	tap_ok(got(b, MSG_PARTED, "side", NULL, NULL) && pending(b) == 0,
	    "PART: PARTED");
	tap_ok(got(a, MSG_DEPARTED, "side", "bob", "left") && pending(a) == 0,
	    "the member is told of the departure once, reason \"left\"");
	req(b, MSG_PART, "side", NULL);
	tap_ok(got_error(b, ERR_NO_ROOM, "you are not in side") &&
	    pending(a) == 0, "PART again: ERROR 2, nobody told");
	req(b, MSG_SAY, "side", "still here?");
	tap_ok(got_error(b, ERR_NO_ROOM, NULL) && pending(a) == 0,
	    "after PART the room's messages are refused");
	req(b, MSG_JOIN, "side", NULL);
	tap_ok(got(b, MSG_JOINED, "side", NULL, NULL) &&
	    got_names(b, "side", "alice,bob") &&
	    got(a, MSG_ARRIVED, "side", "bob", NULL) && pending(a) == 0,
	    "join after part: an arrival again");
	req(a, MSG_PART, "side", NULL);
	req(b, MSG_PART, "side", NULL);
	drain(a);
	drain(b);
	req(a, MSG_ROOMS, NULL, NULL);
	tap_ok(got_rooms(a, "lobby:2"), "a room nobody is in is gone");
	teardown();
}

static void
test_presence(void)
{
	struct fake	*a1, *a2, *b;

	setup(8, 50);
	b = login("bob", 1);
	a1 = login("alice", 1);
	drain(b);
	a2 = login("alice", 1);
	tap_ok(got(a2, MSG_JOINED, "lobby", NULL, NULL) &&
	    got_names(a2, "lobby", "bob,alice"),
	    "a user's second session: NAMES lists the user once");
	tap_ok(pending(b) == 0, "and is no arrival");
	req(b, MSG_JOIN, "side", NULL);
	drain(b);
	req(a1, MSG_JOIN, "side", NULL);
	req(a2, MSG_JOIN, "side", NULL);
	tap_ok(got(b, MSG_ARRIVED, "side", "alice", NULL) && pending(b) == 0,
	    "two sessions joining: one arrival");
	drain(a1);
	drain(a2);
	req(b, MSG_WHO, "side", NULL);
	tap_ok(got_names(b, "side", "bob,alice"), "WHO: the user once");
	req(b, MSG_ROOMS, NULL, NULL);
	tap_ok(got_rooms(b, "lobby:2,side:2"), "ROOMS counts users, not "
	    "sessions");
	req(a1, MSG_SAY, "side", "from one");
	tap_ok(got(a2, MSG_MESSAGE, "side", "alice", "from one") &&
	    pending(a1) == 0 && got(b, MSG_MESSAGE, "side", "alice",
	    "from one"), "the sender's other session gets its message");
	req(a1, MSG_PART, "side", NULL);
	tap_ok(got(a1, MSG_PARTED, "side", NULL, NULL) && pending(b) == 0 &&
	    pending(a2) == 0, "one of two sessions leaving: no departure");

	/* Ended, not yet freed: hidden, but still present. */
	fake_end(a2, CHAT_WHY_LOST, NULL);
	req(b, MSG_WHO, "side", NULL);
	tap_ok(got_names(b, "side", "bob"), "an ended session is not "
	    "listed before it is freed");
	req(b, MSG_ROOMS, NULL, NULL);
	tap_ok(got_rooms(b, "lobby:2,side:1"), "nor counted");
	req(b, MSG_SAY, "side", "anyone?");
	tap_ok(after_end == 0 && pending(a2) == 0, "nor sent anything");
	req(a1, MSG_JOIN, "side", NULL);
	tap_ok(got(a1, MSG_JOINED, "side", NULL, NULL) &&
	    got(a1, MSG_HISTORY, "side", "alice", "from one") &&
	    got(a1, MSG_HISTORY, "side", "bob", "anyone?") &&
	    got_names(a1, "side", "bob,alice") && pending(a1) == 0,
	    "a session joining beside its user's ended one is listed");
	tap_ok(pending(b) == 0, "but the user, still present, does not "
	    "arrive again");
	reap();
	tap_ok(pending(b) == 0, "freeing the ended session: no departure, "
	    "the user has another session in each room");
	fake_end(a1, CHAT_WHY_LOST, NULL);
	tap_ok(pending(b) == 0, "the last session ending: nothing until it "
	    "is freed");
	reap();
	tap_ok(got(b, MSG_DEPARTED, "side", "alice", "connection lost") &&
	    got(b, MSG_DEPARTED, "lobby", "alice", "connection lost") &&
	    pending(b) == 0, "then one departure per room, the last joined "
	    "first, with the reason");
	tap_ok(after_end == 0, "nothing was delivered to an ended session");
	teardown();
}

/* The bytes a history entry's message costs a joiner's backlog. */
static size_t
history_cost_of(const char *room, const char *sender, const char *text)
{
	struct wire_msg	 m;
	struct buf	 out;
	size_t		 n;

	memset(&m, 0, sizeof(m));
	m.type = MSG_HISTORY;
	m.s[0].p = room;
	m.s[0].len = strlen(room);
	m.s[1].p = sender;
	m.s[1].len = strlen(sender);
	m.s[2].p = text;
	m.s[2].len = strlen(text);
	m.ns = 3;
	buf_init(&out, 0);
	if (wire_encode(&out, &m) == -1)
		abort();
	n = buf_used(&out) + OVERHEAD;
	buf_free(&out);
	return n;
}

static void
test_history(void)
{
	struct fake	*a, *b, *c, *d, *e;
	struct wire_msg	 m;
	char		 text[16];
	uint64_t	 t5 = 0;
	int		 i, ok;

	setup(8, 5);
	a = login("alice", 1);
	req(a, MSG_JOIN, "h", NULL);
	for (i = 0; i < 8; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		req(a, i == 6 ? MSG_ACT : MSG_SAY, "h", text);
		if (i == 5)
			t5 = now;
	}
	drain(a);
	b = login("bob", 0);
	req(b, MSG_JOIN, "h", NULL);
	ok = got(b, MSG_JOINED, "h", NULL, NULL);
	for (i = 3; i < 8 && ok; i++) {
		snprintf(text, sizeof(text), "m%d", i);
		ok = next(b, &m) && m.type == MSG_HISTORY &&
		    str_is(&m.s[0], "h") && str_is(&m.s[1], "alice") &&
		    str_is(&m.s[2], text) &&
		    m.byte == (i == 6 ? HISTORY_ACTION : HISTORY_SAY) &&
		    (i != 5 || m.time == t5);
	}
	tap_ok(ok, "join: JOINED, then the newest HistoryLength entries, "
	    "oldest first, with their time, sender and kind");
	tap_ok(got_names(b, "h", "alice,bob") && pending(b) == 0,
	    "then NAMES, and nothing else");
	tap_ok(got(a, MSG_ARRIVED, "h", "bob", NULL) && pending(a) == 0,
	    "the others get ARRIVED after");
	req(b, MSG_JOIN, "h", NULL);
	tap_ok(got(b, MSG_JOINED, "h", NULL, NULL) &&
	    got_names(b, "h", "alice,bob") && pending(b) == 0,
	    "re-join: no history again");

	/* The backlog: exactly three entries' worth, then one byte less. */
	c = login("carol", 0);
	c->backlog = 3 * history_cost_of("h", "alice", "m5");
	req(c, MSG_JOIN, "h", NULL);
	tap_ok(got(c, MSG_JOINED, "h", NULL, NULL) &&
	    got(c, MSG_HISTORY, "h", "alice", "m5") &&
	    got(c, MSG_HISTORY, "h", "alice", "m6") &&
	    got(c, MSG_HISTORY, "h", "alice", "m7") &&
	    got_names(c, "h", "alice,bob,carol") && pending(c) == 0,
	    "a backlog of exactly three entries: the newest three");
	d = login("dave", 0);
	d->backlog = 3 * history_cost_of("h", "alice", "m5") - 1;
	req(d, MSG_JOIN, "h", NULL);
	tap_ok(got(d, MSG_JOINED, "h", NULL, NULL) &&
	    got(d, MSG_HISTORY, "h", "alice", "m6") &&
	    got(d, MSG_HISTORY, "h", "alice", "m7") &&
	    got_names(d, "h", "alice,bob,carol,dave") && pending(d) == 0,
	    "one byte less: the newest two");
	drain(a);
	drain(b);
	drain(c);

	/* A joiner whose queue fills during the history. */
	e = login("erin", 0);
	e->qlimit = 3;
	req(e, MSG_JOIN, "h", NULL);
	tap_ok(e->ended && e->ndelivered == 3 && after_end == 0,
	    "a queue filling during the history ends the joiner, and it is "
	    "sent nothing more");
	tap_ok(got(a, MSG_ARRIVED, "h", "erin", NULL) && pending(a) == 0,
	    "the others were told of the arrival");
	reap();
	tap_ok(got(a, MSG_DEPARTED, "h", "erin", "send queue full") &&
	    pending(a) == 0, "and are told of the departure once, when the "
	    "session is freed");

	/* A room that goes takes its history; the lobby keeps its own. */
	req(a, MSG_SAY, "lobby", "lobby line");
	fake_end(a, CHAT_WHY_LOST, NULL);
	fake_end(b, CHAT_WHY_LOST, NULL);
	fake_end(c, CHAT_WHY_LOST, NULL);
	reap();
	req(d, MSG_PART, "h", NULL);
	drain(d);
	req(d, MSG_JOIN, "h", NULL);
	tap_ok(got(d, MSG_JOINED, "h", NULL, NULL) &&
	    got_names(d, "h", "dave") && pending(d) == 0,
	    "a room everyone left comes back without history");
	req(d, MSG_JOIN, "lobby", NULL);
	tap_ok(got(d, MSG_JOINED, "lobby", NULL, NULL) &&
	    got(d, MSG_HISTORY, "lobby", "alice", "lobby line") &&
	    got_names(d, "lobby", "dave") && pending(d) == 0,
	    "the lobby, empty meanwhile, kept its history");
	teardown();

	setup(8, 0);
	a = login("alice", 1);
	req(a, MSG_SAY, "lobby", "not kept");
	b = login("bob", 1);
	tap_ok(got(b, MSG_JOINED, "lobby", NULL, NULL) &&
	    got_names(b, "lobby", "alice,bob") && pending(b) == 0,
	    "HistoryLength 0: nothing kept");
	teardown();
}

static void
test_private(void)
{
	struct fake	*a, *b[3];
	struct wire_msg	 m;
	char		 big[4098];
	int		 i, ok = 1;

	setup(8, 50);
	a = login("alice", 1);
	for (i = 0; i < 3; i++)
		b[i] = login("bob", 1);
	drain(a);
	for (i = 0; i < 3; i++)
		drain(b[i]);
	req(a, MSG_PRIVMSG, "bob", "psst");
	for (i = 0; i < 3; i++)
		ok &= next(b[i], &m) && m.type == MSG_PRIVATE &&
		    m.time == now && str_is(&m.s[0], "alice") &&
		    str_is(&m.s[1], "psst") && pending(b[i]) == 0;
	tap_ok(ok, "PRIVMSG: PRIVATE to each of the user's three sessions");
	tap_ok(pending(a) == 0, "the sender is sent nothing");
	req(b[0], MSG_PRIVMSG, "bob", "note to self");
	tap_ok(pending(b[0]) == 0 &&
	    got(b[1], MSG_PRIVATE, "bob", "note to self", NULL) &&
	    got(b[2], MSG_PRIVATE, "bob", "note to self", NULL),
	    "to oneself: the other sessions, and no error");
	req(a, MSG_PRIVMSG, "nobody", "hello?");
	tap_ok(got_error(a, ERR_NO_USER, "no such user online: nobody"),
	    "to an unknown user: ERROR 3");
	memset(big, 'x', 4097);
	big[4097] = '\0';
	req(a, MSG_PRIVMSG, "nobody", big);
	tap_ok(got_error(a, ERR_BAD_TEXT, NULL),
	    "too long to an unknown user: the text is checked first");
	fake_end(b[0], CHAT_WHY_LOST, NULL);
	fake_end(b[1], CHAT_WHY_LOST, NULL);
	req(a, MSG_PRIVMSG, "bob", "one left");
	tap_ok(got(b[2], MSG_PRIVATE, "alice", "one left", NULL) &&
	    pending(a) == 0 && after_end == 0,
	    "sessions ended but not freed are skipped");
	fake_end(b[2], CHAT_WHY_LOST, NULL);
	req(a, MSG_PRIVMSG, "bob", "gone?");
	tap_ok(got_error(a, ERR_NO_USER, "no such user online: bob"),
	    "a user with only ended sessions is not online");
	reap();
	tap_ok(got(a, MSG_DEPARTED, "lobby", "bob", "connection lost") &&
	    pending(a) == 0, "the user departs once, with its last session");
	req(a, MSG_PRIVMSG, "bob", "gone?");
	tap_ok(got_error(a, ERR_NO_USER, NULL), "nor once they are freed");
	teardown();
}

static void
test_errors(void)
{
	struct fake	*a, *b, *n;

	setup(3, 50);
	a = login("alice", 1);
	b = login("bob", 1);
	req(a, MSG_JOIN, "one", NULL);
	req(a, MSG_JOIN, "two", NULL);
	drain(a);
	drain(b);
	req(a, MSG_JOIN, "three", NULL);
	tap_ok(got_error(a, ERR_LIMIT, "you are in too many rooms (the limit "
	    "is 3); leave one first") && pending(a) == 0,
	    "one room past MaxRoomsPerSession: ERROR 6");
	req(a, MSG_JOIN, "two", NULL);
	tap_ok(got(a, MSG_JOINED, "two", NULL, NULL) &&
	    got_names(a, "two", "alice"), "at the limit a re-join is no "
	    "error");
	req(a, MSG_WHO, "three", NULL);
	tap_ok(got_error(a, ERR_NO_ROOM, "no such room: three"),
	    "WHO of an unknown room: ERROR 2");
	req(b, MSG_JOIN, "bobs", NULL);
	fake_end(b, CHAT_WHY_LOST, NULL);
	req(a, MSG_WHO, "bobs", NULL);
	tap_ok(got_error(a, ERR_NO_ROOM, "no such room: bobs"),
	    "WHO of a room with only an ended session: ERROR 2");
	req(a, MSG_ROOMS, NULL, NULL);
	tap_ok(got_rooms(a, "lobby:1,one:1,two:1"), "ROOMS leaves it out");
	reap();
	tap_ok(got(a, MSG_DEPARTED, "lobby", "bob", "connection lost") &&
	    pending(a) == 0, "freed, it departs from the lobby, where alice "
	    "is, and from its own room silently");
	req(a, MSG_PART, "bobs", NULL);
	tap_ok(got_error(a, ERR_NO_ROOM, "you are not in bobs"),
	    "PART of a room one is not in: ERROR 2");
	tap_ok(pending(a) == 0 && !a->ended, "errors end nothing");

	/* What the worker should have refused ends the session. */
	req(a, MSG_JOIN, "no spaces", NULL);
	tap_ok(a->ended && strcmp(a->why, CHAT_WHY_PROTO) == 0 &&
	    strcmp(a->kick, "protocol error: bad room name") == 0 &&
	    pending(a) == 0, "a bad room name ends the session");
	n = login("nina", 1);
	req(n, MSG_PRIVMSG, "Nina", "hi");
	tap_ok(n->ended && strcmp(n->kick, "protocol error: bad user name") ==
	    0, "a bad user name ends the session");
	n = login("nora", 1);
	req(n, MSG_PING, NULL, NULL);
	tap_ok(n->ended && strcmp(n->kick,
	    "protocol error: unexpected message") == 0,
	    "a PING (the worker's to answer) ends the session");
	n = login("nell", 1);
	drain(n);
	req(n, MSG_SAY, "lobby", "fine");
	tap_ok(!n->ended && pending(n) == 0, "and a good message does not");
	teardown();

	setup(3, 50);
	n = calloc(1, sizeof(*n));
	n->keep = 1;
	TAILQ_INSERT_TAIL(&fakes, n, every);
	n->cs = chat_session_new(chat, n);
	tap_ok(req(n, MSG_SAY, "lobby", "hi") == 0 && n->ended &&
	    strcmp(n->kick, "protocol error: message before login") == 0,
	    "a message before login ends the session");
	tap_ok(chat_session_user(n->cs) == NULL, "which has no user");
	teardown();
}

static void
test_end(void)
{
	struct fake	*a, *b;
	char		 room[16];
	int		 i, ok = 1;

	setup(8, 50);
	a = login("alice", 1);
	b = login("bob", 1);
	for (i = 1; i <= 3; i++) {
		snprintf(room, sizeof(room), "r%d", i);
		req(b, MSG_JOIN, room, NULL);
		req(a, MSG_JOIN, room, NULL);
	}
	req(a, MSG_JOIN, "mine", NULL);
	req(a, MSG_SAY, "mine", "kept until the room goes");
	drain(a);
	drain(b);
	fake_end(a, CHAT_WHY_LOST, NULL);
	tap_ok(pending(b) == 0, "a session ends: nothing yet");
	reap();
	for (i = 3; i >= 1 && ok; i--) {
		snprintf(room, sizeof(room), "r%d", i);
		ok = got(b, MSG_DEPARTED, room, "alice", "connection lost");
	}
	tap_ok(ok && got(b, MSG_DEPARTED, "lobby", "alice",
	    "connection lost") && pending(b) == 0,
	    "freed: it leaves every room, each told once, with the reason");
	req(b, MSG_ROOMS, NULL, NULL);
	tap_ok(got_rooms(b, "lobby:1,r1:1,r2:1,r3:1"),
	    "the room it was alone in is gone");
	req(b, MSG_JOIN, "mine", NULL);
	tap_ok(got(b, MSG_JOINED, "mine", NULL, NULL) &&
	    got_names(b, "mine", "bob") && pending(b) == 0,
	    "with its history");
	teardown();
}

static void
test_bye(void)
{
	static const struct {
		const char	*said;
		const char	*told;
	} reasons[] = {
		{ "", "quit" },
		{ "exit", "quit" },
		{ "gone fishing", "quit: gone fishing" },
		{ "exits", "quit: exits" },
	};
	struct fake	*a, *b;
	char		 lng[200], want[200];
	size_t		 i;
	int		 ok = 1;

	setup(8, 50);
	b = login("bob", 1);
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		a = login("alice", 1);
		drain(b);
		ok &= req(a, MSG_BYE, reasons[i].said, NULL) == 1 &&
		    got(b, MSG_DEPARTED, "lobby", "alice", reasons[i].told) &&
		    pending(b) == 0 && pending(a) == 2;
		fake_end(a, CHAT_WHY_QUIT, NULL);
		reap();
		ok &= pending(b) == 0;
	}
	tap_ok(ok, "BYE: the session leaves at once, told as \"quit\" or "
	    "\"quit: \" and the reason; once, not again when freed");

	/* 158 ASCII bytes, then two-byte characters across byte 160. */
	memset(lng, 'a', 158);
	lng[158] = '\0';
	strlcat(lng, "\xc3\xa9\xc3\xa9\xc3\xa9", sizeof(lng));
	a = login("alice", 1);
	drain(b);
	req(a, MSG_BYE, lng, NULL);
	snprintf(want, sizeof(want), "quit: %.160s", lng);
	tap_ok(got(b, MSG_DEPARTED, "lobby", "alice", want),
	    "a reason of 160 bytes is passed on whole");
	lng[158] = 'a';
	lng[159] = '\0';
	strlcat(lng, "\xc3\xa9\xc3\xa9", sizeof(lng));
	a = login("alice", 1);
	drain(b);
	req(a, MSG_BYE, lng, NULL);
	snprintf(want, sizeof(want), "quit: %.159s", lng);
	tap_ok(got(b, MSG_DEPARTED, "lobby", "alice", want),
	    "a longer one is cut at the character boundary before byte 160");
	tap_ok(chat_session_user(a->cs) == NULL, "after BYE the session has "
	    "no user");
	req(b, MSG_PRIVMSG, "alice", "still there?");
	tap_ok(got_error(b, ERR_NO_USER, NULL), "and is not online");
	teardown();
}

/* A name of len bytes: prefix, then the number i in digits. */
static void
make_name(char *out, size_t len, const char *prefix, unsigned i)
{
	snprintf(out, len + 1, "%s%0*u", prefix, (int)(len - strlen(prefix)),
	    i);
}

static void
test_names_budget(void)
{
	struct fake	*f, *last = NULL, *w;
	struct wire_msg	 m;
	char		 name[SECCHAT_NAME_MAX + 1];
	unsigned	 i, big;
	size_t		 budget;
	int		 ok;

	/*
	 * NAMES of a one-letter room leaves RECORD_MAX_PLAINTEXT - 6 bytes
	 * for the list; 32-byte names take 34 each.  The rest is filled by
	 * one name of 27 bytes in room r, and missed by one byte by a name
	 * of 28 in room s.
	 */
	budget = RECORD_MAX_PLAINTEXT - 6;
	big = budget / 34;
	setup(4, 50);
	for (i = 0; i < big; i++) {
		make_name(name, 32, "u", i);
		f = login(name, 0);
		f->keep = 0;
		req(f, MSG_JOIN, "r", NULL);
		req(f, MSG_JOIN, "s", NULL);
	}
	tap_ok(budget - big * 34 == 29, "%u names of 32 bytes leave 29 bytes",
	    big);
	make_name(name, 27, "v", 0);
	last = login(name, 0);
	last->keep = 0;
	req(last, MSG_JOIN, "r", NULL);
	tap_ok(last->last_len == RECORD_MAX_PLAINTEXT, "the joiner's NAMES "
	    "filling the record exactly is %zu bytes", last->last_len);
	make_name(name, 28, "v", 1);
	f = login(name, 0);
	f->keep = 0;
	req(f, MSG_JOIN, "s", NULL);

	w = login("watcher", 0);
	req(w, MSG_WHO, "r", NULL);
	ok = next(w, &m) && m.type == MSG_NAMES && m.count == big + 1 &&
	    w->last_len == RECORD_MAX_PLAINTEXT;
	tap_ok(ok, "WHO: a list that fills the record exactly is whole "
	    "(%u names)", m.count);
	req(w, MSG_WHO, "s", NULL);
	ok = next(w, &m) && m.type == MSG_NAMES && m.count == big &&
	    w->last_len == RECORD_MAX_PLAINTEXT - 29;
	tap_ok(ok, "one byte past: the last name is left out (%u names)",
	    m.count);
	req(w, MSG_JOIN, "r", NULL);
	tap_ok(got(w, MSG_JOINED, "r", NULL, NULL) && next(w, &m) &&
	    m.type == MSG_NAMES && m.count == big + 1,
	    "a joiner past the limit is not in its own list");
	teardown();
}

static void
test_rooms_budget(void)
{
	struct fake	*f, *w;
	struct wire_msg	 m;
	char		 name[SECCHAT_NAME_MAX + 1];
	unsigned	 i, big;
	size_t		 budget;
	int		 ok;

	/*
	 * ROOMLIST leaves RECORD_MAX_PLAINTEXT - 3 bytes for the list; a
	 * 32-byte room takes 36.  The rest is filled by a room of 28 bytes,
	 * missed by one byte by one of 29.
	 */
	budget = RECORD_MAX_PLAINTEXT - 3;
	big = budget / 36;
	setup(big + 8, 50);
	f = login("alice", 0);
	f->keep = 0;
	for (i = 0; i < big; i++) {
		make_name(name, 32, "room", i);
		req(f, MSG_JOIN, name, NULL);
	}
	tap_ok(budget - big * 36 == 32, "%u rooms of 32 bytes leave 32 bytes",
	    big);
	memset(name, 'y', 28);
	name[28] = '\0';
	req(f, MSG_JOIN, name, NULL);
	w = login("watcher", 0);
	req(w, MSG_ROOMS, NULL, NULL);
	ok = next(w, &m) && m.type == MSG_ROOMLIST && m.count == big + 1 &&
	    w->last_len == RECORD_MAX_PLAINTEXT;
	tap_ok(ok, "ROOMS: a list that fills the record exactly is whole "
	    "(%u rooms)", m.count);
	req(f, MSG_PART, name, NULL);
	memset(name, 'z', 29);
	name[29] = '\0';
	req(f, MSG_JOIN, name, NULL);
	req(w, MSG_ROOMS, NULL, NULL);
	ok = next(w, &m) && m.type == MSG_ROOMLIST && m.count == big &&
	    w->last_len == RECORD_MAX_PLAINTEXT - 32;
	tap_ok(ok, "one byte past: the last room is left out (%u rooms)",
	    m.count);
	memset(name, 'y', 28);
	name[28] = '\0';
	req(f, MSG_JOIN, name, NULL);
	req(w, MSG_ROOMS, NULL, NULL);
	tap_ok(next(w, &m) && m.type == MSG_ROOMLIST && m.count == big + 1 &&
	    w->last_len == RECORD_MAX_PLAINTEXT,
	    "one room past: the list is cut at the last that fits, in name "
	    "order");
	teardown();
}

/*
 * The front calls every operation of the engine unconditionally: an
 * engine that leaves one out crashes the broker at the first request
 * that needs it.  The table holds nothing but pointers (the name and the
 * operations), so it is checked slot by slot, whatever operations are
 * added later; a null pointer is all zero bits on every system this
 * builds on (POSIX).
 */
typedef void	(*test_fnptr)(void);

static void
test_engine_ops_table(const char *what, const struct chat_engine_ops *ops)
{
	unsigned char	 zero[sizeof(test_fnptr)];
	const unsigned char *p = (const unsigned char *)ops;
	size_t		 i, n = sizeof(*ops) / sizeof(test_fnptr), bad = 0;

	memset(zero, 0, sizeof(zero));
	for (i = 0; i < n; i++)
		if (memcmp(p + i * sizeof(test_fnptr), zero,
		    sizeof(test_fnptr)) == 0) {
			tap_diag("%s: slot %zu of %zu is NULL", what, i, n);
			bad++;
		}
	tap_ok(bad == 0, "%s engine: no operation left NULL (%zu slots)",
	    what, n);
}

static void
test_engine_ops(void)
{
	const struct chat_engine_ops	*redis;

	_Static_assert(sizeof(struct chat_engine_ops) % sizeof(test_fnptr) ==
	    0 && sizeof(test_fnptr) == sizeof(const char *),
	    "struct chat_engine_ops holds only pointers");
	test_engine_ops_table("memory", &chat_mem_engine);
	if ((redis = chat_redis_ops()) == NULL)
		tap_skip("built without hiredis", "redis engine: no operation "
		    "left NULL");
	else
		test_engine_ops_table("redis", redis);
}

int
main(void)
{
	test_engine_ops();
	test_login();
	test_say();
	test_join_part();
	test_presence();
	test_history();
	test_private();
	test_errors();
	test_end();
	test_bye();
	test_names_budget();
	test_rooms_budget();
	test_directory();
	test_e2e();
	test_e2e_order();
	test_away();
	test_lying_directory();
	return tap_done();
}
