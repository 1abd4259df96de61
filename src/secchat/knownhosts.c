/*
 * knownhosts.c: parse, search and extend the known_hosts file.
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
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"
#include "knownhosts.h"
#include "textfile.h"
#include "util.h"

#define KEY_B64_LEN	44	/* base64 of 32 bytes, with padding */

void
kh_init(struct knownhosts *kh)
{
	memset(kh, 0, sizeof(*kh));
}

void
kh_free(struct knownhosts *kh)
{
	free(kh->entries);
	kh_init(kh);
}

static int
lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

/* Characters of a host name or an IPv4 address. */
static int
name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* Characters of an IPv6 address, with an optional %zone. */
static int
v6_char(int c)
{
	return name_char(c) || c == ':' || c == '%';
}

/*
 * A port in canonical form: decimal 1..65535 without leading zeros, so
 * that one server has one spelling.
 */
static int
parse_port(const char *s, size_t len, unsigned int *port)
{
	unsigned int	 v = 0;
	size_t		 i;

	if (len == 0 || len > 5 || s[0] == '0')
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = v;
	return 0;
}

/* Build "host:port" or "[host]:port", lowercased. */
static int
build_hostport(const char *host, size_t hostlen, unsigned int port, char *out,
    size_t outlen)
{
	int	 v6 = memchr(host, ':', hostlen) != NULL, n;
	size_t	 i, o = 0;

	if (hostlen == 0 || hostlen > 255 || port == 0 || port > 65535 ||
	    outlen < hostlen + 9)
		return -1;
	if (v6)
		out[o++] = '[';
	for (i = 0; i < hostlen; i++) {
		if (v6 ? !v6_char((unsigned char)host[i]) :
		    !name_char((unsigned char)host[i]))
			return -1;
		out[o++] = (char)lower((unsigned char)host[i]);
	}
	if (v6)
		out[o++] = ']';
	n = snprintf(out + o, outlen - o, ":%u", port);
	if (n < 0 || (size_t)n >= outlen - o)
		return -1;
	return 0;
}

int
kh_hostport(const char *host, unsigned int port, char *out, size_t outlen)
{
	return build_hostport(host, strlen(host), port, out, outlen);
}

/* Canonicalize a HOST:PORT field read from the file. */
int
kh_parse_hostport(const char *s, size_t len, char *out, size_t outlen)
{
	const char	*host, *colon;
	size_t		 hostlen;
	unsigned int	 port;

	if (len > 0 && s[0] == '[') {
		const char *close = memchr(s, ']', len);

		if (close == NULL || (size_t)(close - s) + 1 >= len ||
		    close[1] != ':')
			return -1;
		host = s + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
		/* Brackets are for addresses with colons, and only those. */
		if (memchr(host, ':', hostlen) == NULL)
			return -1;
	} else {
		colon = memchr(s, ':', len);
		if (colon == NULL)
			return -1;
		host = s;
		hostlen = (size_t)(colon - s);
	}
	if (parse_port(colon + 1, len - (size_t)(colon + 1 - s), &port) == -1)
		return -1;
	return build_hostport(host, hostlen, port, out, outlen);
}

static int
kh_push(struct knownhosts *kh, const struct kh_entry *e)
{
	struct kh_entry	*v;
	size_t		 ncap;

	if (kh->n == kh->cap) {
		ncap = kh->cap ? kh->cap * 2 : 16;
		if ((v = reallocarray(kh->entries, ncap, sizeof(*v))) == NULL)
			return -1;
		kh->entries = v;
		kh->cap = ncap;
	}
	kh->entries[kh->n++] = *e;
	return 0;
}

static int __attribute__((format(printf, 3, 4)))
line_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Parse one line (without its newline) into e; 1 if it is an entry. */
static int
parse_line(const char *s, size_t len, struct kh_entry *e, char *err,
    size_t errlen)
{
	const char	*pos = s, *end = s + len, *f;
	size_t		 flen, i;

	if (len > KH_LINE_MAX)
		return line_error(err, errlen, "line too long");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return line_error(err, errlen,
			    "control character in line");
	}
	if ((f = textfile_field(&pos, end, &flen)) == NULL || f[0] == '#')
		return 0;
	if (kh_parse_hostport(f, flen, e->hostport, sizeof(e->hostport)) == -1)
		return line_error(err, errlen, "bad HOST:PORT field");
	if ((f = textfile_field(&pos, end, &flen)) == NULL)
		return line_error(err, errlen, "missing key type");
	if (flen != strlen(KH_KEYTYPE) || memcmp(f, KH_KEYTYPE, flen) != 0)
		return line_error(err, errlen, "unknown key type (want %s)",
		    KH_KEYTYPE);
	if ((f = textfile_field(&pos, end, &flen)) == NULL)
		return line_error(err, errlen, "missing key");
	if (flen != KEY_B64_LEN ||
	    b64_decode(f, flen, e->pub, sizeof(e->pub)) != KEY_LEN)
		return line_error(err, errlen, "bad key (want %d characters of "
		    "base64 holding %d bytes)", KEY_B64_LEN, KEY_LEN);
	/* Anything after the key is a comment. */
	return 1;
}

int
kh_parse(struct knownhosts *kh, const char *buf, size_t len, char *err,
    size_t errlen, size_t *errline)
{
	struct kh_entry	 e;
	const char	*pos = buf, *end = buf + len, *p;
	size_t		 lineno = 0, n;
	char		 why[128];
	int		 rc;

	while ((p = textfile_line(&pos, end, &n)) != NULL) {
		lineno++;
		memset(&e, 0, sizeof(e));
		if (memchr(p, '\0', n) != NULL)
			rc = line_error(why, sizeof(why), "NUL byte in line");
		else
			rc = parse_line(p, n, &e, why, sizeof(why));
		if (rc == -1) {
			snprintf(err, errlen, "line %zu: %s", lineno, why);
			if (errline != NULL)
				*errline = lineno;
			return -1;
		}
		if (rc == 1) {
			e.line = lineno;
			if (kh_push(kh, &e) == -1) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
		}
	}
	return 0;
}

int
kh_load(struct knownhosts *kh, const char *path, char *err, size_t errlen)
{
	char	*buf, why[160];
	size_t	 len;
	int	 rc;

	if ((buf = textfile_read(path, KH_FILE_MAX, &len, err,
	    errlen)) == NULL)
		return errno == ENOENT ? 0 : -1;
	rc = kh_parse(kh, buf, len, why, sizeof(why), NULL);
	if (rc == -1)
		snprintf(err, errlen, "%s: %s", path, why);
	free(buf);
	return rc;
}

enum kh_status
kh_lookup(const struct knownhosts *kh, const char *hostport,
    const uint8_t pub[KEY_LEN], size_t *linep)
{
	size_t	 i, first = 0;
	int	 seen = 0;

	for (i = 0; i < kh->n; i++) {
		const struct kh_entry *e = &kh->entries[i];

		if (strcmp(e->hostport, hostport) != 0)
			continue;
		if (sodium_memcmp(e->pub, pub, KEY_LEN) == 0) {
			if (linep != NULL)
				*linep = e->line;
			return KH_MATCH;
		}
		if (!seen) {
			seen = 1;
			first = e->line;
		}
	}
	if (!seen)
		return KH_UNKNOWN;
	if (linep != NULL)
		*linep = first;
	return KH_MISMATCH;
}

int
kh_remember(struct knownhosts *kh, const char *hostport,
    const uint8_t pub[KEY_LEN], size_t line)
{
	struct kh_entry	 e;

	memset(&e, 0, sizeof(e));
	if (strlcpy(e.hostport, hostport, sizeof(e.hostport)) >=
	    sizeof(e.hostport))
		return -1;
	memcpy(e.pub, pub, KEY_LEN);
	e.line = line;
	return kh_push(kh, &e);
}

/* Append to out; -1 if it does not fit. */
static int __attribute__((format(printf, 4, 5)))
append(char *out, size_t outlen, size_t *used, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(out + *used, outlen - *used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= outlen - *used) {
		*used = outlen - 1;
		return -1;
	}
	*used += (size_t)n;
	return 0;
}

int
kh_other_names(const struct knownhosts *kh, const char *hostport,
    const uint8_t pub[KEY_LEN], const char *path, char *out, size_t outlen)
{
	const struct kh_entry	*e;
	size_t			 i, j, used = 0, listed = 0, more = 0;
	int			 dup;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	for (i = 0; i < kh->n; i++) {
		e = &kh->entries[i];
		if (strcmp(e->hostport, hostport) == 0 ||
		    sodium_memcmp(e->pub, pub, KEY_LEN) != 0)
			continue;
		/* A host listed twice with this key is one name. */
		for (j = 0, dup = 0; j < i && !dup; j++) {
			const struct kh_entry *o = &kh->entries[j];

			dup = strcmp(o->hostport, e->hostport) == 0 &&
			    sodium_memcmp(o->pub, pub, KEY_LEN) == 0;
		}
		if (dup)
			continue;
		if (listed == KH_OTHER_NAMES_MAX) {
			more++;
			continue;
		}
		if (listed++ == 0 && append(out, outlen, &used, "This key is "
		    "known by the following other names:") == -1)
			return -1;
		if (append(out, outlen, &used, "\n    %s:%zu: %s", path,
		    e->line, e->hostport) == -1)
			return -1;
	}
	if (more > 0)
		return append(out, outlen, &used, "\n    and %zu more", more);
	if (listed == 0)
		return append(out, outlen, &used, "This key is not known by "
		    "any other names.");
	return 0;
}

int
kh_answer(const char *answer, const char *fp)
{
	const char	*p = answer;
	size_t		 len, fplen = strlen(fp);

	p += strspn(p, " \t");
	len = strlen(p);
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	if (len == 3 && strncasecmp(p, "yes", 3) == 0)
		return KH_ANSWER_YES;
	if (len == 2 && strncasecmp(p, "no", 2) == 0)
		return KH_ANSWER_NO;
	if (len < 7 || strncasecmp(p, "SHA256:", 7) != 0)
		return KH_ANSWER_OTHER;
	if (p[len - 1] == '.')
		len--;
	if (len == fplen && strncasecmp(p, fp, 7) == 0 &&
	    memcmp(p + 7, fp + 7, len - 7) == 0)
		return KH_ANSWER_YES;
	return KH_ANSWER_WRONG_FP;
}

int
kh_format_line(const char *hostport, const uint8_t pub[KEY_LEN], char *out,
    size_t outlen)
{
	char	 b64[KEY_B64_LEN + 1];
	int	 n;

	if (b64_encode(pub, KEY_LEN, b64, sizeof(b64)) != KEY_B64_LEN)
		return -1;
	n = snprintf(out, outlen, "%s %s %s\n", hostport, KH_KEYTYPE, b64);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	return n;
}

int
mkdir_parents(const char *dir, mode_t mode)
{
	char	 path[PATH_MAX];
	size_t	 i, len;

	if ((len = strlcpy(path, dir, sizeof(path))) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, mode) == -1 && errno != EEXIST)
			return -1;
		if (i < len)
			path[i] = '/';
	}
	return 0;
}

/* Does the file at fd (of size) end without a newline? */
static int
lacks_final_newline(int fd, off_t size)
{
	char	 c;

	if (size == 0)
		return 0;
	if (pread(fd, &c, 1, size - 1) != 1)
		return 0;
	return c != '\n';
}

int
kh_add(const char *path, const char *hostport, const uint8_t pub[KEY_LEN],
    char *err, size_t errlen)
{
	char		 line[KH_HOSTPORT_MAX + 80], dir[PATH_MAX], *slash;
	struct stat	 st;
	int		 fd, n;

	if ((n = kh_format_line(hostport, pub, line, sizeof(line))) == -1) {
		snprintf(err, errlen, "cannot format a line for %s", hostport);
		return -1;
	}
	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir_parents(dir, 0700) == -1) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((lacks_final_newline(fd, st.st_size) &&
	    textfile_write_all(fd, "\n", 1) == -1) ||
	    textfile_write_all(fd, line, (size_t)n) == -1 || fsync(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
