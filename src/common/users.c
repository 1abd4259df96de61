/*
 * users.c: the users file, NAME:HASH[:key=BASE64]... per line.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "users.h"

#define KEY_FIELD	"key="
#define KEY_FIELD_LEN	4
#define KEY_B64LEN	44	/* 32 bytes, padded */
/* "name:!hash:key=...": the longest line a valid entry can have. */
#define USERS_LINE_MAX	(SECCHAT_NAME_MAX + 2 + PWHASH_MAXLEN - 1 + \
			    USERS_KEYS_MAX * (1 + KEY_FIELD_LEN + KEY_B64LEN))

/* A password hash, or the mark of an account without a password. */
static int
hash_ok(const char *hash)
{
	return strcmp(hash, USERS_NOPASSWORD) == 0 || pwhash_valid(hash);
}

int
users_no_password(const struct user_entry *e)
{
	return strcmp(e->hash, USERS_NOPASSWORD) == 0;
}

int
users_key_find(const struct user_entry *e, const uint8_t key[KEY_LEN])
{
	size_t	 i;

	for (i = 0; i < e->nkeys; i++)
		if (memcmp(e->keys + i * KEY_LEN, key, KEY_LEN) == 0)
			return (int)i;
	return -1;
}

int
users_key_add(struct user_entry *e, const uint8_t key[KEY_LEN])
{
	uint8_t	*nk;

	if (users_key_find(e, key) != -1)
		return 0;
	if (e->nkeys >= USERS_KEYS_MAX ||
	    (nk = reallocarray(e->keys, e->nkeys + 1, KEY_LEN)) == NULL)
		return -1;
	e->keys = nk;
	memcpy(e->keys + e->nkeys * KEY_LEN, key, KEY_LEN);
	e->nkeys++;
	return 1;
}

int
users_key_del(struct user_entry *e, const uint8_t key[KEY_LEN])
{
	int	 i;

	if ((i = users_key_find(e, key)) == -1)
		return -1;
	memmove(e->keys + (size_t)i * KEY_LEN, e->keys + ((size_t)i + 1) *
	    KEY_LEN, (e->nkeys - (size_t)i - 1) * KEY_LEN);
	e->nkeys--;
	if (e->nkeys == 0) {
		free(e->keys);
		e->keys = NULL;
	}
	return 0;
}

void
users_init(struct users *u)
{
	u->v = NULL;
	u->n = u->cap = 0;
}

/* Hashes are secrets to an attacker with a dictionary: wipe them. */
static void
hash_free(char *hash)
{
	if (hash != NULL) {
		sodium_memzero(hash, strlen(hash));
		free(hash);
	}
}

static char *
hash_copy(const char *hash)
{
	size_t	 len = strlen(hash) + 1;
	char	*p;

	if ((p = malloc(len)) != NULL)
		memcpy(p, hash, len);
	return p;
}

void
users_free(struct users *u)
{
	size_t	 i;

	if (u->v != NULL) {
		for (i = 0; i < u->n; i++) {
			hash_free(u->v[i].hash);
			free(u->v[i].keys);
		}
		sodium_memzero(u->v, u->cap * sizeof(*u->v));
		free(u->v);
	}
	users_init(u);
}

struct user_entry *
users_find(struct users *u, const char *name)
{
	size_t	 i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i].name, name) == 0)
			return &u->v[i];
	return NULL;
}

/* Grow by doubling; the entries move, their hashes stay where they are. */
static int
users_grow(struct users *u)
{
	struct user_entry	*nv;
	size_t			 ncap;

	if (u->n < u->cap)
		return 0;
	if (u->n >= USERS_MAX)
		return -1;
	ncap = u->cap == 0 ? 16 : u->cap * 2;
	if (ncap > USERS_MAX)
		ncap = USERS_MAX;
	if ((nv = calloc(ncap, sizeof(*nv))) == NULL)
		return -1;
	if (u->v != NULL) {
		memcpy(nv, u->v, u->n * sizeof(*nv));
		sodium_memzero(u->v, u->cap * sizeof(*u->v));
		free(u->v);
	}
	u->v = nv;
	u->cap = ncap;
	return 0;
}

/* Append without the duplicate check; the parser does that in bulk. */
static int
users_append(struct users *u, const char *name, size_t namelen,
    const char *hash, int locked)
{
	struct user_entry	*e;
	char			*copy;

	if (!valid_username(name, namelen) || !hash_ok(hash) ||
	    users_grow(u) == -1)
		return -1;
	if ((copy = hash_copy(hash)) == NULL)
		return -1;
	e = &u->v[u->n++];
	memcpy(e->name, name, namelen);
	e->name[namelen] = '\0';
	e->hash = copy;
	e->locked = locked;
	e->keys = NULL;
	e->nkeys = 0;
	return 0;
}

int
users_add(struct users *u, const char *name, const char *hash)
{
	if (users_find(u, name) != NULL)
		return -1;
	return users_append(u, name, strlen(name), hash, 0);
}

int
users_set_hash(struct user_entry *e, const char *hash)
{
	char	*copy;

	if (!hash_ok(hash) || (copy = hash_copy(hash)) == NULL)
		return -1;
	hash_free(e->hash);
	e->hash = copy;
	return 0;
}

/* Later entries move up so that the file keeps its order. */
int
users_remove(struct users *u, const char *name)
{
	struct user_entry	*e;
	size_t			 i;

	if ((e = users_find(u, name)) == NULL)
		return -1;
	i = (size_t)(e - u->v);
	hash_free(e->hash);
	free(e->keys);
	memmove(&u->v[i], &u->v[i + 1], (u->n - i - 1) * sizeof(*u->v));
	u->n--;
	sodium_memzero(&u->v[u->n], sizeof(*u->v));
	return 0;
}

static int
blank_line(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/*
 * One non-blank, non-comment line.  Returns what is wrong with it, or
 * NULL; running out of memory is not the line's fault, so it sets *oom
 * instead.
 */
/*
 * The key= fields after the hash, each ":key=BASE64", into keys (room for
 * USERS_KEYS_MAX); NULL, or what is wrong with them.
 */
static const char *
parse_keys(const char *p, size_t len, uint8_t *keys, size_t *nkeys)
{
	const char	*end;
	size_t		 flen, i;
	uint8_t		 key[KEY_LEN + 2];

	*nkeys = 0;
	while (len > 0) {
		/* p[0] is the ':' before the field. */
		p++;
		len--;
		end = memchr(p, ':', len);
		flen = end != NULL ? (size_t)(end - p) : len;
		if (flen < KEY_FIELD_LEN || memcmp(p, KEY_FIELD,
		    KEY_FIELD_LEN) != 0)
			return "unknown field after the hash";
		if (flen != KEY_FIELD_LEN + KEY_B64LEN ||
		    b64_decode(p + KEY_FIELD_LEN, KEY_B64LEN, key,
		    sizeof(key)) != KEY_LEN)
			return "invalid key";
		for (i = 0; i < *nkeys; i++)
			if (memcmp(keys + i * KEY_LEN, key, KEY_LEN) == 0)
				return "duplicate key";
		if (*nkeys == USERS_KEYS_MAX)
			return "too many keys";
		memcpy(keys + (*nkeys)++ * KEY_LEN, key, KEY_LEN);
		p += flen;
		len -= flen;
	}
	return NULL;
}

static const char *
parse_entry(struct users *u, const char *line, size_t len, int *oom)
{
	char		 hash[PWHASH_MAXLEN];
	uint8_t		 keys[USERS_KEYS_MAX * KEY_LEN];
	const char	*colon, *h, *kf, *msg = NULL;
	size_t		 namelen, hashlen, nkeys = 0, i;
	int		 locked;

	if ((colon = memchr(line, ':', len)) == NULL)
		return "missing ':' between name and hash";
	namelen = (size_t)(colon - line);
	if (!valid_username(line, namelen))
		return "invalid user name";
	h = colon + 1;
	hashlen = len - namelen - 1;
	/* No hash holds a ':': the first one after it starts the keys. */
	if ((kf = memchr(h, ':', hashlen)) != NULL) {
		if ((msg = parse_keys(kf, hashlen - (size_t)(kf - h), keys,
		    &nkeys)) != NULL)
			return msg;
		hashlen = (size_t)(kf - h);
	}
	if ((locked = hashlen > 0 && *h == '!')) {
		h++;
		hashlen--;
	}
	if (hashlen == 0 || hashlen >= sizeof(hash))
		return "invalid password hash";
	memcpy(hash, h, hashlen);
	hash[hashlen] = '\0';
	if (!hash_ok(hash))
		msg = "invalid password hash";
	else if (u->n >= USERS_MAX)
		msg = "too many users";
	else if (users_append(u, line, namelen, hash, locked) == -1)
		*oom = 1;
	else
		for (i = 0; i < nkeys && !*oom; i++)
			if (users_key_add(&u->v[u->n - 1],
			    keys + i * KEY_LEN) == -1)
				*oom = 1;
	sodium_memzero(hash, hashlen);
	return msg;
}

/*
 * The lines a lenient parse left out: how many, and the first few by line
 * number with what was wrong, for the report.
 */
#define BAD_LINES_SHOWN	3

struct bad_lines {
	size_t	 n;
	size_t	 nshown;
	struct {
		size_t	 line;
		char	 msg[128];
	} shown[BAD_LINES_SHOWN];
};

static void
bad_line(struct bad_lines *b, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Duplicates are found after the other errors, so a line may arrive
 * before one already shown; it takes its place in order.
 */
static void
bad_line(struct bad_lines *b, size_t line, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 i;

	b->n++;
	for (i = b->nshown; i > 0 && b->shown[i - 1].line > line; i--)
		;
	if (i == BAD_LINES_SHOWN)
		return;
	if (b->nshown < BAD_LINES_SHOWN)
		b->nshown++;
	memmove(&b->shown[i + 1], &b->shown[i],
	    (b->nshown - 1 - i) * sizeof(b->shown[0]));
	b->shown[i].line = line;
	va_start(ap, fmt);
	vsnprintf(b->shown[i].msg, sizeof(b->shown[i].msg), fmt, ap);
	va_end(ap);
}

struct name_line {
	const char	*name;
	size_t		 line;
	size_t		 index;
};

static int
name_line_cmp(const void *a, const void *b)
{
	const struct name_line	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->line < y->line ? -1 : x->line > y->line;
}

/* Close the gaps that check_duplicates left (entries without a hash). */
static void
compact(struct users *u)
{
	size_t	 i, k;

	for (i = k = 0; i < u->n; i++)
		if (u->v[i].hash != NULL)
			u->v[k++] = u->v[i];
	sodium_memzero(&u->v[k], (u->n - k) * sizeof(*u->v));
	u->n = k;
}

/*
 * Sorting finds duplicates in n log n where a lookup per line would be
 * quadratic in a large file.  Sorted by name and then line, each name's
 * lines are together, its first line first.  Strict (bad == NULL), the
 * error names the smallest line that repeats a name.  Lenient, every line
 * of a repeated name is left out: keeping the first would honour a
 * password the administrator may have meant to replace.
 */
static int
check_duplicates(struct users *u, const size_t *lines, struct bad_lines *bad,
    char *err, size_t errlen)
{
	struct name_line	*nl;
	const char		*dup = NULL;
	size_t			 i, j, k, dupline = 0, first = 0;

	if (u->n < 2)
		return 0;
	if ((nl = calloc(u->n, sizeof(*nl))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < u->n; i++) {
		nl[i].name = u->v[i].name;
		nl[i].line = lines[i];
		nl[i].index = i;
	}
	qsort(nl, u->n, sizeof(*nl), name_line_cmp);
	for (i = 0; i < u->n; i = j) {
		for (j = i + 1; j < u->n && strcmp(nl[i].name, nl[j].name) == 0;
		    j++)
			;
		if (j - i == 1)
			continue;
		if (bad == NULL) {
			if (dup == NULL || nl[i + 1].line < dupline) {
				dupline = nl[i + 1].line;
				first = nl[i].line;
				dup = nl[i].name;
			}
			continue;
		}
		/* The first line is left out too, named by its repeats. */
		bad->n++;
		for (k = i + 1; k < j; k++)
			bad_line(bad, nl[k].line, "duplicate user %s (first on "
			    "line %zu); none of its lines is used", nl[k].name,
			    nl[i].line);
		for (k = i; k < j; k++) {
			hash_free(u->v[nl[k].index].hash);
			u->v[nl[k].index].hash = NULL;
			free(u->v[nl[k].index].keys);
			u->v[nl[k].index].keys = NULL;
			u->v[nl[k].index].nkeys = 0;
		}
	}
	if (dup != NULL)
		snprintf(err, errlen, "line %zu: duplicate user %s (first on "
		    "line %zu)", dupline, dup, first);
	free(nl);
	if (bad != NULL)
		compact(u);
	return dup != NULL ? -1 : 0;
}

/* Remember the line of entry u->n - 1, for the duplicate report. */
static int
record_line(size_t **lines, size_t *cap, size_t n, size_t lineno)
{
	size_t	*nl, ncap;

	if (n > *cap) {
		ncap = *cap == 0 ? 16 : *cap * 2;
		if ((nl = reallocarray(*lines, ncap, sizeof(**lines))) == NULL)
			return -1;
		*lines = nl;
		*cap = ncap;
	}
	(*lines)[n - 1] = lineno;
	return 0;
}

/*
 * Both readings of the file.  Strict (bad == NULL), the first bad line
 * fails the parse and err names it; lenient, bad lines are counted in bad
 * and left out.  Either way running out of memory fails it.
 *
 * Lines are split on '\n' only, so a "\r\n" file fails on its hashes rather
 * than being half-accepted.  The contents of u are replaced; on error u is
 * left empty.
 */
static int
parse_users(struct users *u, const char *buf, size_t len,
    struct bad_lines *bad, char *err, size_t errlen)
{
	const char	*line, *nl, *msg;
	size_t		*lines = NULL, linescap = 0;
	size_t		 off = 0, lineno = 0, linelen;
	int		 rc = -1, oom = 0;

	users_free(u);
	while (off < len) {
		lineno++;
		line = buf + off;
		nl = memchr(line, '\n', len - off);
		linelen = nl != NULL ? (size_t)(nl - line) : len - off;
		off += linelen + (nl != NULL);
		if (linelen > USERS_LINE_MAX)
			msg = "line too long";
		else if (memchr(line, '\0', linelen) != NULL)
			msg = "NUL byte";
		else if (blank_line(line, linelen) || line[0] == '#')
			continue;
		else if ((msg = parse_entry(u, line, linelen, &oom)) == NULL &&
		    !oom && record_line(&lines, &linescap, u->n, lineno) == -1)
			oom = 1;
		if (oom) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		if (msg == NULL)
			continue;
		if (bad == NULL) {
			snprintf(err, errlen, "line %zu: %s", lineno, msg);
			goto out;
		}
		bad_line(bad, lineno, "%s", msg);
	}
	if (check_duplicates(u, lines, bad, err, errlen) == -1)
		goto out;
	rc = 0;
 out:
	free(lines);
	if (rc == -1)
		users_free(u);
	return rc;
}

int
users_parse(struct users *u, const char *buf, size_t len, char *err,
    size_t errlen)
{
	return parse_users(u, buf, len, NULL, err, errlen);
}

/* snprintf at *off, which stays within the buffer when the text does not. */
static void
report_add(char *s, size_t size, size_t *off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report_add(char *s, size_t size, size_t *off, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (*off >= size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s + *off, size - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = (size_t)n >= size - *off ? size - 1 : *off + (size_t)n;
}

int
users_parse_skip_bad(struct users *u, const char *buf, size_t len,
    size_t *nbad, char *report, size_t reportlen)
{
	struct bad_lines	 bad;
	size_t			 i, off = 0;

	memset(&bad, 0, sizeof(bad));
	*nbad = 0;
	if (reportlen > 0)
		report[0] = '\0';
	if (parse_users(u, buf, len, &bad, report, reportlen) == -1)
		return -1;
	*nbad = bad.n;
	for (i = 0; i < bad.nshown; i++)
		report_add(report, reportlen, &off, "%sline %zu: %s",
		    i > 0 ? "; " : "", bad.shown[i].line, bad.shown[i].msg);
	if (bad.n > bad.nshown)
		report_add(report, reportlen, &off, "; %zu more line%s left "
		    "out", bad.n - bad.nshown, bad.n - bad.nshown == 1 ? "" : "s");
	return 0;
}

/*
 * Like a private key, the file must be a regular file (not a symbolic link)
 * that nobody but its owner can read or write.  errno is kept from a failed
 * open, so a caller can tell a missing file from a bad one.
 */
int
users_load(struct users *u, const char *path, char *err, size_t errlen)
{
	char	*text, perr[128];
	size_t	 len;
	int	 rc = 0;

	users_free(u);
	if ((text = read_private_file(path, USERS_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return -1;
	if (users_parse(u, text, len, perr, sizeof(perr)) == -1) {
		snprintf(err, errlen, "%s: %s", path, perr);
		errno = EINVAL;
		rc = -1;
	}
	sodium_memzero(text, len + 1);
	free(text);
	return rc;
}

char *
users_format(const struct users *u, size_t *lenp)
{
	const struct user_entry	*e;
	char			*s, b64[KEY_B64LEN + 1];
	size_t			 i, k, len = 0, off = 0;

	for (i = 0; i < u->n; i++)
		len += strlen(u->v[i].name) + 1 + (u->v[i].locked != 0) +
		    strlen(u->v[i].hash) + 1 +
		    u->v[i].nkeys * (1 + KEY_FIELD_LEN + KEY_B64LEN);
	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = 0; i < u->n; i++) {
		e = &u->v[i];
		off += (size_t)snprintf(s + off, len + 1 - off, "%s:%s%s",
		    e->name, e->locked ? "!" : "", e->hash);
		for (k = 0; k < e->nkeys; k++) {
			if (b64_encode(e->keys + k * KEY_LEN, KEY_LEN, b64,
			    sizeof(b64)) != KEY_B64LEN) {
				free(s);
				return NULL;
			}
			off += (size_t)snprintf(s + off, len + 1 - off,
			    ":" KEY_FIELD "%s", b64);
		}
		off += (size_t)snprintf(s + off, len + 1 - off, "\n");
	}
	s[len] = '\0';
	*lenp = len;
	return s;
}

/*
 * A POSIX record lock belongs to the process, not to the descriptor: a
 * program that already holds it on PATH.lock (secchat-passwd holds it from
 * load to save) gets it again at once here, and it is released when any
 * descriptor of the file is closed, that is, when the save is done.
 */
static int
lock_file(int fd)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

static int
sync_dir_of(const char *path)
{
	char	 copy[PATH_MAX];
	int	 fd, rc;

	if (strlcpy(copy, path, sizeof(copy)) >= sizeof(copy))
		return -1;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

#ifdef SECCHAT_TEST_HOOKS
/* Lets the test suite kill the program between fsync and rename. */
static void
test_pause_before_rename(void)
{
	if (getenv("SECCHAT_PASSWD_TEST_PAUSE") == NULL)
		return;
	fprintf(stderr, "paused\n");
	fflush(stderr);
	for (;;)
		pause();
}
#endif

/*
 * Write the new contents beside the file and rename them over it, so a
 * reader sees the old file or the new one and never a mixture, even after
 * a crash.  The new file keeps the old one's owner, so a daemon that reads
 * it as an unprivileged user still can after root edits it.
 */
int
users_save(const struct users *u, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		 lockpath[PATH_MAX], tmppath[PATH_MAX], *data;
	size_t		 len = 0;
	int		 lockfd = -1, fd = -1, rc = -1, made = 0, n;

	n = snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof(lockpath) ||
	    (n = snprintf(tmppath, sizeof(tmppath), "%s.tmp", path)) < 0 ||
	    (size_t)n >= sizeof(tmppath)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((data = users_format(u, &len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((lockfd = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1 || lock_file(lockfd) == -1) {
		snprintf(err, errlen, "%s: %s", lockpath, strerror(errno));
		goto out;
	}
	/*
	 * A temporary file left by a crash is removed first, so O_TRUNC can
	 * never truncate whatever a stale name was linked to.
	 */
	if (unlink(tmppath) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", tmppath, strerror(errno));
		goto out;
	}
	if ((fd = open(tmppath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "%s: %s", tmppath, strerror(errno));
		goto out;
	}
	made = 1;
	if (fchmod(fd, 0600) == -1 ||
	    (lstat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    fchown(fd, st.st_uid, st.st_gid) == -1) ||
	    write_full(fd, data, len) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", tmppath, strerror(errno));
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		snprintf(err, errlen, "%s: %s", tmppath, strerror(errno));
		goto out;
	}
	fd = -1;
#ifdef SECCHAT_TEST_HOOKS
	test_pause_before_rename();
#endif
	if (rename(tmppath, path) == -1) {
		snprintf(err, errlen, "rename %s to %s: %s", tmppath, path,
		    strerror(errno));
		goto out;
	}
	made = 0;
	if (sync_dir_of(path) == -1) {
		snprintf(err, errlen, "%s: cannot sync directory: %s", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
 out:
	if (fd != -1)
		close(fd);
	if (made)
		(void)unlink(tmppath);
	sodium_memzero(data, len);
	free(data);
	if (lockfd != -1)
		close(lockfd);
	return rc;
}
