/*
 * test-peers.c: the known_peers pins (src/secchat/peers.c): the parser and
 * formatter over buffers, the atomic file, and the rules of trust on
 * first use.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "e2e_client.h"
#include "keys.h"
#include "peers.h"
#include "safety.h"
#include "wire.h"
#include "tap.h"

static uint8_t	 ka[KEY_LEN], kb[KEY_LEN], kc[KEY_LEN];

static void
test_parse(void)
{
	struct peers	 p;
	char		 text[1024], b64a[64], b64b[64], err[256], *out;
	size_t		 outlen;

	b64_encode(ka, KEY_LEN, b64a, sizeof(b64a));
	b64_encode(kb, KEY_LEN, b64b, sizeof(b64b));
	snprintf(text, sizeof(text),
	    "# pins\n\nchat.example:7001 bob seen %s\n"
	    "  [::1]:7000\tbob verified %s\n", b64a, b64b);
	peers_init(&p);
	tap_ok(peers_parse(&p, text, strlen(text), err, sizeof(err)) == 0 &&
	    p.n == 2, "two lines, a comment and a blank line");
	tap_ok(strcmp(p.e[0].hostport, "chat.example:7001") == 0 &&
	    strcmp(p.e[0].user, "bob") == 0 && p.e[0].status == PEER_SEEN &&
	    memcmp(p.e[0].key, ka, KEY_LEN) == 0, "the first entry");
	tap_ok(strcmp(p.e[1].hostport, "[::1]:7000") == 0 &&
	    p.e[1].status == PEER_VERIFIED && memcmp(p.e[1].key, kb,
	    KEY_LEN) == 0, "the second, blanks and tab around the fields");
	tap_ok(peers_format(&p, &out, &outlen) == 0, "formatted");
	snprintf(text, sizeof(text), "chat.example:7001 bob seen %s\n"
	    "[::1]:7000 bob verified %s\n", b64a, b64b);
	tap_ok(strcmp(out, text) == 0 && outlen == strlen(text),
	    "one canonical line per key");
	free(out);
	peers_free(&p);

	const char *bad[] = {
		"host:7001 bob seen\n",
		"host:7001 bob trusted AAAA\n",
		"host bob seen AAAA\n",
		"host:7001 Bob seen AAAA\n",
		"host:7001 bob seen AAAA\n",
		"host:7001 bob seen KEY extra\n",
		"host:70019 bob seen KEY\n",
		"host:7001 bob seen KEY\r\n",
	};
	int all = 1;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char line[256], *k;

		strlcpy(line, bad[i], sizeof(line));
		if ((k = strstr(line, "KEY")) != NULL) {
			char rest[128];

			strlcpy(rest, k + 3, sizeof(rest));
			snprintf(k, sizeof(line) - (size_t)(k - line), "%s%s",
			    b64a, rest);
		}
		peers_init(&p);
		snprintf(text, sizeof(text), "# ok\n%s", line);
		if (peers_parse(&p, text, strlen(text), err, sizeof(err)) !=
		    -1 || strncmp(err, "line 2:", 7) != 0) {
			tap_diag("accepted: %s", line);
			all = 0;
		}
		peers_free(&p);
	}
	tap_ok(all, "malformed lines are errors naming the line");
	peers_init(&p);
	tap_ok(peers_parse(&p, "x:1 bob seen \0", 14, err, sizeof(err)) == -1,
	    "a NUL byte is an error");
	peers_free(&p);
}

static void
test_rules(void)
{
	struct peers	 p;
	const char	*hp = "h:1";
	size_t		 pinned, verified;

	peers_init(&p);
	tap_ok(peers_judge(&p, hp, "bob", ka) == PEER_PIN_NEW,
	    "an unpinned user's key is pinned on first use");
	tap_ok(peers_set(&p, hp, "bob", ka, PEER_SEEN) == 0 &&
	    peers_judge(&p, hp, "bob", ka) == PEER_USE_SEEN,
	    "then used as seen");
	tap_ok(peers_judge(&p, hp, "bob", kb) == PEER_PIN_NEW,
	    "a second key of a user with no verified key: pinned too");
	tap_ok(peers_judge(&p, "h:2", "bob", ka) == PEER_PIN_NEW &&
	    peers_judge(&p, hp, "carol", ka) == PEER_PIN_NEW,
	    "pins are per server and per user");
	tap_ok(peers_verify_all(&p, hp, "bob") == 1 &&
	    peers_judge(&p, hp, "bob", ka) == PEER_USE_VERIFIED,
	    "/trust makes it verified");
	tap_ok(peers_judge(&p, hp, "bob", kb) == PEER_HOLD_CHANGED,
	    "a new key beside a verified one is held");
	tap_ok(peers_set(&p, hp, "bob", kb, PEER_SEEN) == 0 &&
	    peers_judge(&p, hp, "bob", kb) == PEER_USE_SEEN,
	    "until accepted (as seen)");
	peers_count(&p, hp, "bob", &pinned, &verified);
	tap_ok(pinned == 2 && verified == 1, "two pinned, one verified");
	tap_ok(peers_judge(&p, hp, "bob", kc) == PEER_HOLD_CHANGED,
	    "still a verified user: a third key is held");
	peers_free(&p);
}

static void
test_file(void)
{
	struct peers	 p, q;
	struct stat	 st;
	char		 dir[] = "/tmp/test-peers.XXXXXX", path[256], err[256];
	char		 tmp[300];

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/sub/known_peers", dir);
	peers_init(&p);
	tap_ok(peers_load(&p, path, err, sizeof(err)) == 0 && p.n == 0,
	    "a missing file is an empty list");
	peers_set(&p, "h:1", "bob", ka, PEER_SEEN);
	peers_set(&p, "h:1", "carol", kb, PEER_VERIFIED);
	tap_ok(peers_save(&p, path, err, sizeof(err)) == 0, "saved");
	tap_ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "mode 0600");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	tap_ok(access(tmp, F_OK) == -1, "no temporary file left");
	peers_init(&q);
	tap_ok(peers_load(&q, path, err, sizeof(err)) == 0 && q.n == 2 &&
	    peers_judge(&q, "h:1", "carol", kb) == PEER_USE_VERIFIED &&
	    peers_judge(&q, "h:1", "bob", ka) == PEER_USE_SEEN,
	    "read back the same");
	peers_set(&q, "h:1", "bob", ka, PEER_VERIFIED);
	tap_ok(peers_save(&q, path, err, sizeof(err)) == 0, "rewritten");
	peers_free(&p);
	peers_init(&p);
	tap_ok(peers_load(&p, path, err, sizeof(err)) == 0 && p.n == 2 &&
	    peers_judge(&p, "h:1", "bob", ka) == PEER_USE_VERIFIED,
	    "with the change, and no line twice");
	peers_free(&p);
	peers_free(&q);
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s/sub", dir);
	rmdir(tmp);
	rmdir(dir);
}

/* ---------------------------------------------------------------- e2e */

/*
 * Devices talking through a relay that plays the server: KEYS answered
 * from a directory (which may lie), E2E delivered to the device with
 * that user and key, or E2E_FAIL "not online".
 */
#define NDEV	4
struct dev {
	const char	*user;
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	struct peers	 pins;
	struct e2ec	 m;
	int		 online;
};
static struct dev	 devs[NDEV];
static uint8_t		 lie_key[KEY_LEN];
static int		 lying;		/* bob's keys are replaced by lie_key */
static int		 relayed;	/* E2E payloads delivered */
static uint8_t		 last_payload[E2E_PAYLOAD_MAX];
static size_t		 last_len;
static int		 last_to = -1, last_from = -1;

static void
dev_new(int i, const char *user)
{
	devs[i].user = user;
	randombytes_buf(devs[i].priv, KEY_LEN);
	keys_public(devs[i].priv, devs[i].pub);
	peers_init(&devs[i].pins);
	e2ec_init(&devs[i].m, devs[i].priv, devs[i].pub, user, "h:1",
	    &devs[i].pins);
	devs[i].online = 1;
}

static void
keylist_for(int asker, const char *user)
{
	struct cs_key	 keys[NDEV];
	size_t		 n = 0;
	int		 i;

	for (i = 0; i < NDEV; i++) {
		if (devs[i].user == NULL || !devs[i].online ||
		    strcmp(devs[i].user, user) != 0)
			continue;
		memcpy(keys[n].key, lying && strcmp(user, "bob") == 0 ?
		    lie_key : devs[i].pub, KEY_LEN);
		keys[n].flags = KEYLIST_ONLINE | KEYLIST_ENROLLED;
		n++;
	}
	e2ec_keylist(&devs[asker].m, user, keys, n);
}

/* Run the relay until nobody has anything more to send. */
static void
relay(void)
{
	struct e2ec_req	*r;
	int		 i, j, busy = 1, found;

	while (busy) {
		busy = 0;
		for (i = 0; i < NDEV; i++) {
			if (devs[i].user == NULL)
				continue;
			while ((r = e2ec_req_next(&devs[i].m)) != NULL) {
				busy = 1;
				if (r->type == E2EC_REQ_KEYS) {
					keylist_for(i, r->user);
					e2ec_req_free(r);
					continue;
				}
				found = 0;
				for (j = 0; j < NDEV; j++) {
					if (devs[j].user == NULL ||
					    !devs[j].online ||
					    strcmp(devs[j].user, r->user) != 0 ||
					    memcmp(devs[j].pub, r->device,
					    KEY_LEN) != 0)
						continue;
					found = 1;
					relayed++;
					memcpy(last_payload, r->payload,
					    r->len);
					last_len = r->len;
					last_to = j;
					last_from = i;
					e2ec_from(&devs[j].m, 1000, devs[i].user,
					    devs[i].pub, r->payload, r->len);
				}
				if (!found)
					e2ec_fail(&devs[i].m, r->user,
					    r->device, "not online");
				e2ec_req_free(r);
			}
		}
	}
}

/* The next event of a device of a type, the others before it dropped. */
static struct cs_event *
next_of(int i, enum cs_event_type type)
{
	struct cs_event	*ev;

	while ((ev = e2ec_event_next(&devs[i].m)) != NULL) {
		if (ev->type == type)
			return ev;
		cs_event_free(ev);
	}
	return NULL;
}

static int
count_of(int i, enum cs_event_type type)
{
	struct cs_event	*ev;
	int		 n = 0;

	while ((ev = e2ec_event_next(&devs[i].m)) != NULL) {
		if (ev->type == type)
			n++;
		cs_event_free(ev);
	}
	return n;
}

static void
test_e2e(void)
{
	struct cs_event	*ev;
	struct e2ec_req	*r;
	char		 dig_a[SAFETY_DIGITS + 1];
	size_t		 pinned;
	int		 before, i;

	/* 0: alice, 1: bob, 2: alice's other device, 3: bob's other. */
	dev_new(0, "alice");
	dev_new(1, "bob");
	dev_new(2, "alice");
	devs[3].user = NULL;

	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "hi bob") == 0,
	    "/msg bob: queued");
	r = e2ec_req_next(&devs[0].m);
	tap_ok(r != NULL && r->type == E2EC_REQ_KEYS &&
	    strcmp(r->user, "bob") == 0, "it asks KEYS bob first");
	e2ec_req_free(r);
	r = e2ec_req_next(&devs[0].m);
	tap_ok(r != NULL && r->type == E2EC_REQ_KEYS &&
	    strcmp(r->user, "alice") == 0 && e2ec_req_next(&devs[0].m) ==
	    NULL, "and KEYS alice, for the copies; nothing else yet");
	e2ec_req_free(r);
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "again") == 0 &&
	    e2ec_req_next(&devs[0].m) == NULL,
	    "a second text waits for the same answers: no new KEYS");
	keylist_for(0, "bob");
	tap_ok(e2ec_req_next(&devs[0].m) == NULL,
	    "nothing sent before our own KEYLIST too");
	keylist_for(0, "alice");
	relay();
	ev = next_of(0, CS_EV_KEY_NEW);
	tap_ok(ev != NULL && strcmp(ev->user, "bob") == 0 &&
	    memcmp(ev->key, devs[1].pub, KEY_LEN) == 0,
	    "bob's key is pinned on first use, with a key-new");
	cs_event_free(ev);
	tap_ok(peers_judge(&devs[0].pins, "h:1", "bob", devs[1].pub) ==
	    PEER_USE_SEEN && peers_judge(&devs[0].pins, "h:1", "alice",
	    devs[2].pub) == PEER_USE_SEEN && e2ec_pins_changed(&devs[0].m) &&
	    !e2ec_pins_changed(&devs[0].m),
	    "bob's and our other device's keys pinned as seen; save once");
	ev = next_of(1, CS_EV_KEY_NEW);
	tap_ok(ev != NULL && strcmp(ev->user, "alice") == 0,
	    "bob pins alice's key from her HELLO, with a key-new");
	cs_event_free(ev);
	ev = next_of(1, CS_EV_E2E_TEXT);
	tap_ok(ev != NULL && strcmp(ev->user, "alice") == 0 &&
	    strcmp(ev->text, "hi bob") == 0 && ev->code == E2E_TEXT &&
	    ev->token == 0 && ev->time == 1000,
	    "bob reads \"hi bob\" from alice, unverified");
	cs_event_free(ev);
	ev = next_of(1, CS_EV_E2E_TEXT);
	tap_ok(ev != NULL && strcmp(ev->text, "again") == 0,
	    "then \"again\", in order");
	cs_event_free(ev);
	ev = next_of(2, CS_EV_E2E_TEXT);
	tap_ok(ev != NULL && ev->code == E2E_SENT_TEXT && ev->to != NULL &&
	    strcmp(ev->to, "bob") == 0 && strcmp(ev->text, "hi bob") == 0,
	    "alice's other device gets a copy: sent to bob");
	cs_event_free(ev);
	(void)count_of(2, 0);

	/* Replay of the last DATA: dropped and said. */
	before = relayed;
	e2ec_from(&devs[last_to].m, 1, devs[last_from].user,
	    devs[last_from].pub, last_payload, last_len);
	ev = next_of(last_to, CS_EV_E2E_FAILED);
	tap_ok(ev != NULL && strstr(ev->text, "replayed") != NULL &&
	    count_of(last_to, CS_EV_E2E_TEXT) == 0,
	    "a replayed DATA is dropped with a warning, not shown again");
	cs_event_free(ev);
	(void)before;

	/* A DATA for a session nobody has: RESET. */
	last_payload[1] ^= 0xff;
	e2ec_from(&devs[1].m, 1, "alice", devs[0].pub, last_payload, last_len);
	r = e2ec_req_next(&devs[1].m);
	tap_ok(r != NULL && r->type == E2EC_REQ_E2E && r->len ==
	    E2E_RESET_LEN && r->payload[0] == E2E_RESET,
	    "a DATA of an unknown session is answered with RESET");
	e2ec_req_free(r);

	/* The answer goes back over a session bob starts himself. */
	(void)count_of(0, 0);
	tap_ok(e2ec_send(&devs[1].m, "alice", E2E_ACTION, "waves") == 0,
	    "bob answers with an action");
	relay();
	i = 0;
	while ((ev = e2ec_event_next(&devs[0].m)) != NULL) {
		if (ev->type == CS_EV_E2E_TEXT && ev->code == E2E_ACTION &&
		    strcmp(ev->text, "waves") == 0)
			i++;
		cs_event_free(ev);
	}
	ev = next_of(2, CS_EV_E2E_TEXT);
	tap_ok(i == 1 && ev != NULL && ev->code == E2E_ACTION,
	    "both of alice's devices see it");
	cs_event_free(ev);

	/* Safety numbers agree on both sides. */
	(void)count_of(0, 0);
	(void)count_of(1, 0);
	tap_ok(e2ec_verify(&devs[0].m, "bob") == 1, "/verify bob: one key");
	ev = next_of(0, CS_EV_SAFETY);
	tap_ok(ev != NULL && strlen(ev->text) == SAFETY_DIGITS &&
	    ev->token == 0, "60 digits, seen");
	strlcpy(dig_a, ev != NULL ? ev->text : "", sizeof(dig_a));
	cs_event_free(ev);
	tap_ok(e2ec_verify(&devs[1].m, "alice") == 2,
	    "bob's /verify alice: both of her devices");
	ev = next_of(1, CS_EV_SAFETY);
	tap_ok(ev != NULL && strcmp(ev->text, dig_a) == 0,
	    "the same number on both sides");
	cs_event_free(ev);
	tap_ok(e2ec_verify(&devs[0].m, "carol") == 0, "none for carol");

	/* Verified, then the directory lies about bob. */
	tap_ok(e2ec_trust(&devs[0].m, "bob", &pinned) == 1 && pinned == 1,
	    "/trust bob");
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "secret") == 0,
	    "/msg bob after /trust");
	relay();
	ev = next_of(1, CS_EV_E2E_TEXT);
	tap_ok(ev != NULL && strcmp(ev->text, "secret") == 0,
	    "arrives over the session already up");
	cs_event_free(ev);
	randombytes_buf(lie_key, KEY_LEN);
	lying = 1;
	before = relayed;
	(void)count_of(0, 0);
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "for bob only") == 0,
	    "/msg bob while the directory lies");
	relay();
	ev = next_of(0, CS_EV_KEY_CHANGED);
	tap_ok(ev != NULL && strcmp(ev->user, "bob") == 0 &&
	    memcmp(ev->key, lie_key, KEY_LEN) == 0,
	    "key-changed names the new key");
	cs_event_free(ev);
	ev = next_of(0, CS_EV_E2E_FAILED);
	tap_ok(ev != NULL && strstr(ev->text, "/accept") != NULL,
	    "e2e-failed: nothing sent to it until /accept");
	cs_event_free(ev);
	tap_ok(relayed == before,
	    "nothing was sent, not even our own copy of it");
	tap_ok(peers_judge(&devs[0].pins, "h:1", "bob", lie_key) ==
	    PEER_HOLD_CHANGED && e2ec_held_count(&devs[0].m, "bob") == 1,
	    "the new key is held, not pinned");
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "again") == 0, "again");
	relay();
	tap_ok(count_of(0, CS_EV_KEY_CHANGED) == 0,
	    "the loud warning once per key, not at every message");
	tap_ok(e2ec_accept(&devs[0].m, "bob") == 1 &&
	    peers_judge(&devs[0].pins, "h:1", "bob", lie_key) == PEER_USE_SEEN
	    && e2ec_accept(&devs[0].m, "bob") == 0,
	    "/accept bob pins it as seen");
	lying = 0;

	/* Offline. */
	devs[1].online = 0;
	(void)count_of(0, 0);
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "anyone?") == 0,
	    "/msg bob while bob is offline");
	relay();
	ev = next_of(0, CS_EV_E2E_FAILED);
	tap_ok(ev != NULL && strcmp(ev->user, "bob") == 0 &&
	    strstr(ev->text, "not online") != NULL &&
	    strstr(ev->text, "/plainmsg") != NULL,
	    "e2e-failed: not online, and /plainmsg named");
	cs_event_free(ev);
	tap_ok(e2ec_send(&devs[0].m, "bob", E2E_TEXT, "bad\ntext") == -1 &&
	    e2ec_send(&devs[0].m, "Bob!", E2E_TEXT, "x") == -1,
	    "a bad text or name is refused");

	for (i = 0; i < NDEV; i++)
		if (devs[i].user != NULL) {
			e2ec_free(&devs[i].m);
			peers_free(&devs[i].pins);
		}
}

int
main(void)
{
	if (sodium_init() == -1)
		return 1;
	randombytes_buf(ka, sizeof(ka));
	randombytes_buf(kb, sizeof(kb));
	randombytes_buf(kc, sizeof(kc));
	test_parse();
	test_rules();
	test_file();
	test_e2e();
	return tap_done();
}
