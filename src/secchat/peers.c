/*
 * peers.c: the pinned identity keys of other users (known_peers), their
 * file, and the rules of trust on first use that decide about a key.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "knownhosts.h"
#include "peers.h"
#include "textfile.h"
#include "util.h"

#define PEERS_LINE_MAX	1024

void
peers_init(struct peers *p)
{
	memset(p, 0, sizeof(*p));
}

void
peers_free(struct peers *p)
{
	free(p->e);
	memset(p, 0, sizeof(*p));
}

const char *
peers_status_name(enum peer_status st)
{
	return st == PEER_VERIFIED ? "verified" : "seen";
}

static int
push(struct peers *p, const struct peer_entry *e)
{
	struct peer_entry	*ne;
	size_t			 cap;

	if (p->n == p->cap) {
		if (p->n >= PEERS_MAX)
			return -1;
		cap = p->cap == 0 ? 16 : p->cap * 2;
		if ((ne = reallocarray(p->e, cap, sizeof(*ne))) == NULL)
			return -1;
		p->e = ne;
		p->cap = cap;
	}
	p->e[p->n++] = *e;
	return 0;
}

/* 1: an entry; 0: nothing (blank, comment); -1: malformed (why set). */
static int
parse_line(const char *s, size_t len, struct peer_entry *e, const char **why)
{
	const char	*pos = s, *end = s + len, *f;
	size_t		 flen;
	uint8_t		 key[KEY_LEN + 2];

	if (len > 0 && s[len - 1] == '\r') {
		*why = "carriage return at the end of the line";
		return -1;
	}
	if ((f = textfile_field(&pos, end, &flen)) == NULL || *f == '#')
		return 0;
	if (len > PEERS_LINE_MAX) {
		*why = "line too long";
		return -1;
	}
	if (kh_parse_hostport(f, flen, e->hostport, sizeof(e->hostport))
	    == -1) {
		*why = "bad host:port";
		return -1;
	}
	if ((f = textfile_field(&pos, end, &flen)) == NULL ||
	    !valid_username(f, flen)) {
		*why = "bad user name";
		return -1;
	}
	memcpy(e->user, f, flen);
	e->user[flen] = '\0';
	if ((f = textfile_field(&pos, end, &flen)) == NULL) {
		*why = "no status";
		return -1;
	}
	if (flen == 4 && memcmp(f, "seen", 4) == 0)
		e->status = PEER_SEEN;
	else if (flen == 8 && memcmp(f, "verified", 8) == 0)
		e->status = PEER_VERIFIED;
	else {
		*why = "status is neither seen nor verified";
		return -1;
	}
	if ((f = textfile_field(&pos, end, &flen)) == NULL ||
	    b64_decode(f, flen, key, sizeof(key)) != KEY_LEN) {
		*why = "bad key (want the base64 of 32 bytes)";
		return -1;
	}
	memcpy(e->key, key, KEY_LEN);
	if (textfile_field(&pos, end, &flen) != NULL) {
		*why = "more than four fields";
		return -1;
	}
	return 1;
}

int
peers_parse(struct peers *p, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct peer_entry	 e;
	const char		*pos = buf, *end = buf + len, *s, *why = NULL;
	size_t			 lineno = 0, n;
	int			 rc;

	while ((s = textfile_line(&pos, end, &n)) != NULL) {
		lineno++;
		memset(&e, 0, sizeof(e));
		if (memchr(s, '\0', n) != NULL) {
			why = "NUL byte in line";
			rc = -1;
		} else
			rc = parse_line(s, n, &e, &why);
		if (rc == -1) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			return -1;
		}
		if (rc == 1) {
			/* A key twice: the verified word wins. */
			struct peer_entry *old = peers_find(p, e.hostport,
			    e.user, e.key);

			if (old != NULL) {
				if (e.status == PEER_VERIFIED)
					old->status = PEER_VERIFIED;
			} else if (push(p, &e) == -1) {
				snprintf(err, errlen, "line %zu: too many "
				    "entries, or out of memory", lineno);
				return -1;
			}
		}
	}
	return 0;
}

int
peers_format_line(const struct peer_entry *e, char *out, size_t outlen)
{
	char	 b64[64];
	int	 n;

	if (b64_encode(e->key, KEY_LEN, b64, sizeof(b64)) == -1)
		return -1;
	n = snprintf(out, outlen, "%s %s %s %s\n", e->hostport, e->user,
	    peers_status_name(e->status), b64);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

int
peers_format(const struct peers *p, char **out, size_t *outlen)
{
	char	 line[PEERS_LINE_MAX + 2], *text;
	size_t	 i, used = 0, cap;
	int	 n;

	cap = p->n * (KH_HOSTPORT_MAX + SECCHAT_NAME_MAX + 64) + 1;
	if ((text = malloc(cap)) == NULL)
		return -1;
	for (i = 0; i < p->n; i++) {
		if ((n = peers_format_line(&p->e[i], line, sizeof(line))) ==
		    -1 || used + (size_t)n >= cap) {
			free(text);
			return -1;
		}
		memcpy(text + used, line, (size_t)n);
		used += (size_t)n;
	}
	text[used] = '\0';
	*out = text;
	*outlen = used;
	return 0;
}

int
peers_load(struct peers *p, const char *path, char *err, size_t errlen)
{
	char	*buf, why[160];
	size_t	 len;
	int	 rc;

	if ((buf = textfile_read(path, PEERS_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return errno == ENOENT ? 0 : -1;
	rc = peers_parse(p, buf, len, why, sizeof(why));
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", path, why);
	free(buf);
	return rc;
}

int
peers_save(const struct peers *p, const char *path, char *err, size_t errlen)
{
	char	*text;
	size_t	 len;
	int	 rc;

	if (peers_format(p, &text, &len) == -1) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	rc = textfile_replace(path, text, len, err, errlen);
	free(text);
	return rc;
}

static int
same(const struct peer_entry *e, const char *hostport, const char *user)
{
	return strcmp(e->hostport, hostport) == 0 && strcmp(e->user, user) == 0;
}

struct peer_entry *
peers_find(const struct peers *p, const char *hostport, const char *user,
    const uint8_t key[KEY_LEN])
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (same(&p->e[i], hostport, user) &&
		    memcmp(p->e[i].key, key, KEY_LEN) == 0)
			return &p->e[i];
	return NULL;
}

void
peers_count(const struct peers *p, const char *hostport, const char *user,
    size_t *pinned, size_t *verified)
{
	size_t	 i;

	*pinned = *verified = 0;
	for (i = 0; i < p->n; i++) {
		if (!same(&p->e[i], hostport, user))
			continue;
		(*pinned)++;
		if (p->e[i].status == PEER_VERIFIED)
			(*verified)++;
	}
}

int
peers_set(struct peers *p, const char *hostport, const char *user,
    const uint8_t key[KEY_LEN], enum peer_status st)
{
	struct peer_entry	*old, e;

	if ((old = peers_find(p, hostport, user, key)) != NULL) {
		old->status = st;
		return 0;
	}
	memset(&e, 0, sizeof(e));
	if (strlcpy(e.hostport, hostport, sizeof(e.hostport)) >=
	    sizeof(e.hostport) || strlcpy(e.user, user, sizeof(e.user)) >=
	    sizeof(e.user))
		return -1;
	e.status = st;
	memcpy(e.key, key, KEY_LEN);
	return push(p, &e);
}

size_t
peers_verify_all(struct peers *p, const char *hostport, const char *user)
{
	size_t	 i, n = 0;

	for (i = 0; i < p->n; i++)
		if (same(&p->e[i], hostport, user) &&
		    p->e[i].status != PEER_VERIFIED) {
			p->e[i].status = PEER_VERIFIED;
			n++;
		}
	return n;
}

enum peer_verdict
peers_judge(const struct peers *p, const char *hostport, const char *user,
    const uint8_t key[KEY_LEN])
{
	const struct peer_entry	*e;
	size_t			 pinned, verified;

	if ((e = peers_find(p, hostport, user, key)) != NULL)
		return e->status == PEER_VERIFIED ? PEER_USE_VERIFIED :
		    PEER_USE_SEEN;
	peers_count(p, hostport, user, &pinned, &verified);
	/*
	 * Once a person has compared a safety number for this user, a key
	 * that appears beside it may be a server's forgery: it is not
	 * trusted silently.
	 */
	return verified > 0 ? PEER_HOLD_CHANGED : PEER_PIN_NEW;
}
