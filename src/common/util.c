/*
 * util.c: clocks, name rules, UTF-8, hex, descriptors and small files.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <stdio.h>

#include <sodium.h>

#include "util.h"

uint64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
valid_username(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SECCHAT_NAME_MAX)
		return 0;
	if (!((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

int
valid_roomname(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || len > SECCHAT_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
			return 0;
	}
	return 1;
}

/* RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF. */
int
valid_utf8(const uint8_t *s, size_t len)
{
	size_t	 i = 0;

	while (i < len) {
		uint8_t	 c = s[i];
		size_t	 n;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			n = 1; cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2; cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3; cp = c & 0x07;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0. */
static size_t
utf8_seqlen(const uint8_t *s, size_t len)
{
	size_t	 n;

	if (s[0] < 0x80)
		return 1;
	n = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : 2;
	if (n > len)
		return 0;
	return valid_utf8(s, n) ? n : 0;
}

void
printable_text(char *dst, size_t dstlen, const uint8_t *src, size_t len)
{
	size_t	 i = 0, o = 0, n;

	if (dstlen == 0)
		return;
	while (i < len) {
		n = utf8_seqlen(src + i, len - i);
		if (o + (n ? n : 1) >= dstlen)
			break;
		if (n == 0 || src[i] < 0x20 || src[i] == 0x7f ||
		    (n == 2 && src[i] == 0xc2 && src[i + 1] < 0xa0)) {
			/* Not UTF-8, or a C0, DEL or C1 (U+0080..U+009F). */
			dst[o++] = '?';
			i += n ? n : 1;
			continue;
		}
		memcpy(dst + o, src + i, n);
		o += n;
		i += n;
	}
	dst[o] = '\0';
}

int
valid_text(const char *s, size_t len, size_t max)
{
	if (len == 0 || len > max)
		return 0;
	if (memchr(s, '\0', len) || memchr(s, '\r', len) || memchr(s, '\n', len))
		return 0;
	return valid_utf8((const uint8_t *)s, len);
}

void
hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * n] = '\0';
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
hex_decode(const char *s, uint8_t *out, size_t outmax)
{
	size_t	 len = strlen(s), i;

	if (len % 2 != 0 || len / 2 > outmax)
		return -1;
	for (i = 0; i < len / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(len / 2);
}

int
set_nonblock(int fd)
{
	int	 fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int
write_full(int fd, const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int
set_cloexec(int fd)
{
	int	 fl = fcntl(fd, F_GETFD);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
}

char *
read_small_file(const char *path, size_t max, size_t *lenp)
{
	struct stat	 st;
	char		*p;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (errno == 0 || S_ISREG(st.st_mode) == 0)
			errno = EINVAL;
		close(fd);
		return NULL;
	}
	if ((size_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	if ((p = malloc((size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (have < (size_t)st.st_size) {
		n = read(fd, p + have, (size_t)st.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	p[have] = '\0';
	*lenp = have;
	return p;
}

/* The checks on a secret-holding file, by descriptor. */
static int
check_private(int fd, const char *name, size_t max, size_t *sizep, char *err,
    size_t errlen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", name);
		return -1;
	}
	if (st.st_mode & 077) {
		snprintf(err, errlen, "Permissions %04o for '%s' are too open; "
		    "it must not be accessible by others",
		    (unsigned)(st.st_mode & 07777), name);
		return -1;
	}
	if (st.st_size < 0 || (uintmax_t)st.st_size > max) {
		snprintf(err, errlen, "%s: file too large (more than %zu bytes)",
		    name, max);
		return -1;
	}
	*sizep = (size_t)st.st_size;
	return 0;
}

/*
 * Opened by path, a secret's file must belong to whoever reads it (root,
 * for the daemon): a file that another user owns is one that user can
 * change or replace.  A descriptor passed on is checked by its opener.
 */
static int
check_owner(int fd, const char *name, char *err, size_t errlen)
{
	struct stat	 st;

	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s: owned by uid %lu, not by uid %lu "
		    "who reads it", name, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		return -1;
	}
	return 0;
}

/*
 * O_NOFOLLOW refuses a symbolic link; O_NONBLOCK keeps a FIFO from hanging
 * the open until fstat can refuse it.
 */
int
open_private_file(const char *path, size_t max, char *err, size_t errlen)
{
	size_t	 size;
	int	 fd, saved;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		saved = errno;
		if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		errno = saved;
		return -1;
	}
	if (check_private(fd, path, max, &size, err, errlen) == -1 ||
	    check_owner(fd, path, err, errlen) == -1) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

char *
read_private_fd(int fd, const char *name, size_t max, size_t *lenp,
    char *err, size_t errlen)
{
	char	*text;
	size_t	 size, have = 0;
	ssize_t	 n;

	if (check_private(fd, name, max, &size, err, errlen) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if ((text = malloc(size + 1)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	/* A file that shrinks under us is read as far as it goes. */
	while (have < size) {
		n = read(fd, text + have, size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s: read: %s", name,
			    strerror(errno));
			sodium_memzero(text, size + 1);
			free(text);
			errno = EINVAL;
			return NULL;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	text[have] = '\0';
	*lenp = have;
	return text;
}

char *
read_private_file(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen)
{
	char	*text;
	int	 fd, saved;

	if ((fd = open_private_file(path, max, err, errlen)) == -1)
		return NULL;
	text = read_private_fd(fd, path, max, lenp, err, errlen);
	saved = errno;
	close(fd);
	errno = saved;
	return text;
}
