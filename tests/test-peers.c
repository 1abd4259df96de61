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

#include "keys.h"
#include "peers.h"
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
	    "# pins\n\nchat.example:9999 bob seen %s\n"
	    "  [::1]:7000\tbob verified %s\n", b64a, b64b);
	peers_init(&p);
	tap_ok(peers_parse(&p, text, strlen(text), err, sizeof(err)) == 0 &&
	    p.n == 2, "two lines, a comment and a blank line");
	tap_ok(strcmp(p.e[0].hostport, "chat.example:9999") == 0 &&
	    strcmp(p.e[0].user, "bob") == 0 && p.e[0].status == PEER_SEEN &&
	    memcmp(p.e[0].key, ka, KEY_LEN) == 0, "the first entry");
	tap_ok(strcmp(p.e[1].hostport, "[::1]:7000") == 0 &&
	    p.e[1].status == PEER_VERIFIED && memcmp(p.e[1].key, kb,
	    KEY_LEN) == 0, "the second, blanks and tab around the fields");
	tap_ok(peers_format(&p, &out, &outlen) == 0, "formatted");
	snprintf(text, sizeof(text), "chat.example:9999 bob seen %s\n"
	    "[::1]:7000 bob verified %s\n", b64a, b64b);
	tap_ok(strcmp(out, text) == 0 && outlen == strlen(text),
	    "one canonical line per key");
	free(out);
	peers_free(&p);

	const char *bad[] = {
		"host:9999 bob seen\n",
		"host:9999 bob trusted AAAA\n",
		"host bob seen AAAA\n",
		"host:9999 Bob seen AAAA\n",
		"host:9999 bob seen AAAA\n",
		"host:9999 bob seen KEY extra\n",
		"host:99999 bob seen KEY\n",
		"host:9999 bob seen KEY\r\n",
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
	return tap_done();
}
