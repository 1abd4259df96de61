/*
 * peers.h: the identity keys the client has pinned for other users (and
 * for its own other devices), doc/protocol.md section 11.6.
 *
 * The file (known_peers, beside known_hosts) holds one line per key:
 *     HOSTPORT USER STATUS BASE64
 * HOSTPORT as known_hosts writes it ("host:port", "[::1]:port"), USER a
 * user name, STATUS "seen" (pinned on first use) or "verified" (its safety
 * number was compared), BASE64 the 32-byte X25519 key.  Blank lines and
 * lines starting with '#' are ignored; anything else malformed is an error
 * naming its line, so that a damaged file never silently unpins a key.
 * The file is rewritten whole and atomically, mode 0600.
 */
#ifndef SECCHAT_PEERS_H
#define SECCHAT_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "knownhosts.h"
#include "util.h"

#define PEERS_FILE_MAX		(4 * 1024 * 1024)
#define PEERS_MAX		65536	/* entries */

enum peer_status {
	PEER_SEEN = 1,
	PEER_VERIFIED = 2
};

struct peer_entry {
	char		 hostport[KH_HOSTPORT_MAX];
	char		 user[SECCHAT_NAME_MAX + 1];
	enum peer_status status;
	uint8_t		 key[KEY_LEN];
};

struct peers {
	struct peer_entry *e;
	size_t		 n;
	size_t		 cap;
};

/*
 * What to do with a key a user shows (in a KEYLIST or a HELLO), by the
 * rules of trust on first use.
 */
enum peer_verdict {
	PEER_USE_SEEN,		/* pinned as seen: use it */
	PEER_USE_VERIFIED,	/* pinned as verified: use it */
	PEER_PIN_NEW,		/* unpinned, and the user has no verified
				   key: pin it as seen, say so, use it */
	PEER_HOLD_CHANGED	/* unpinned, and the user has a verified key:
				   warn loudly, send it nothing until
				   /accept */
};

void	peers_init(struct peers *);
void	peers_free(struct peers *);

/*
 * Parse a file's contents (any bytes) and append the entries.  Returns 0,
 * or -1 with err set to "line N: reason".
 */
int	peers_parse(struct peers *, const char *buf, size_t len, char *err,
	    size_t errlen);
/* The whole file's text, malloc'ed, in *out (length *outlen).  0 or -1. */
int	peers_format(const struct peers *, char **out, size_t *outlen);
/* One line, with its newline; its length, or -1 if out is too small. */
int	peers_format_line(const struct peer_entry *, char *out, size_t outlen);

/* Read a file; a missing one is an empty list.  0, or -1 with err set. */
int	peers_load(struct peers *, const char *path, char *err, size_t errlen);
/*
 * Write the file atomically (PATH.tmp, mode 0600, fsync, rename), making
 * its directory (0700) if need be.  0, or -1 with err set.
 */
int	peers_save(const struct peers *, const char *path, char *err,
	    size_t errlen);

/* The entry for this key of this user at this server, or NULL. */
struct peer_entry *peers_find(const struct peers *, const char *hostport,
	    const char *user, const uint8_t key[KEY_LEN]);
/* How many keys of user are pinned, and how many of them are verified. */
void	peers_count(const struct peers *, const char *hostport,
	    const char *user, size_t *pinned, size_t *verified);
/* Pin a key, or change its status.  0, or -1 (no memory, too many). */
int	peers_set(struct peers *, const char *hostport, const char *user,
	    const uint8_t key[KEY_LEN], enum peer_status);
/* Mark every pinned key of user verified; how many changed. */
size_t	peers_verify_all(struct peers *, const char *hostport,
	    const char *user);
/* The rule for one key (doc/protocol.md 11.6); changes nothing. */
enum peer_verdict peers_judge(const struct peers *, const char *hostport,
	    const char *user, const uint8_t key[KEY_LEN]);
const char *peers_status_name(enum peer_status);

#endif
