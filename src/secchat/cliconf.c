/*
 * cliconf.c: the configuration file (cliconf.h), read as ssh reads
 * ssh_config: Host blocks, the first value of each keyword winning.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cliconf.h"
#include "options.h"

void
cliconf_init(struct cliconf *cf)
{
	memset(cf, 0, sizeof(*cf));
}

void
cliconf_free(struct cliconf *cf)
{
	size_t	 i, j;

	for (i = 0; i < cf->nitems; i++) {
		free(cf->items[i].key);
		free(cf->items[i].value);
	}
	for (i = 0; i < cf->nblocks; i++) {
		for (j = 0; j < cf->blocks[i].npatterns; j++)
			free(cf->blocks[i].patterns[j]);
		free(cf->blocks[i].patterns);
	}
	free(cf->items);
	free(cf->blocks);
	free(cf->name);
	cliconf_init(cf);
}

static char *
xstrndup(const char *s, size_t n)
{
	char	*p;

	if ((p = strndup(s, n)) == NULL)
		err(EXIT_ERROR, "strndup");
	return p;
}

static void
fail(const struct cliconf *cf, size_t line, char *errbuf, size_t errlen,
    const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(errbuf, errlen, "%s line %zu: ", cf->name, line);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

static void
add_block(struct cliconf *cf, size_t line)
{
	struct cliconf_block	*b;

	if ((b = reallocarray(cf->blocks, cf->nblocks + 1, sizeof(*b))) ==
	    NULL)
		err(EXIT_ERROR, "reallocarray");
	cf->blocks = b;
	memset(&b[cf->nblocks], 0, sizeof(*b));
	b[cf->nblocks++].line = line;
}

/* "Host PATTERN...": a new block. */
static int
host_line(struct cliconf *cf, size_t line, const char *v, size_t vlen,
    char *errbuf, size_t errlen)
{
	struct cliconf_block	*b;
	size_t			 i = 0, n;

	add_block(cf, line);
	b = &cf->blocks[cf->nblocks - 1];
	while (i < vlen) {
		if (is_blank(v[i])) {
			i++;
			continue;
		}
		for (n = 0; i + n < vlen && !is_blank(v[i + n]); n++)
			;
		if (n == 1 && v[i] == '!') {
			fail(cf, line, errbuf, errlen, "\"!\" without a "
			    "pattern");
			return -1;
		}
		if (b->npatterns == CLICONF_PATTERNS_MAX) {
			fail(cf, line, errbuf, errlen, "more than %d patterns",
			    CLICONF_PATTERNS_MAX);
			return -1;
		}
		if ((b->patterns = reallocarray(b->patterns, b->npatterns + 1,
		    sizeof(*b->patterns))) == NULL)
			err(EXIT_ERROR, "reallocarray");
		b->patterns[b->npatterns++] = xstrndup(v + i, n);
		i += n;
	}
	return 0;
}

/* One line, without its newline, blanks around it trimmed. */
static int
parse_line(struct cliconf *cf, size_t line, const char *p, size_t len,
    char *errbuf, size_t errlen)
{
	struct cliconf_item	*it;
	char			 key[64];
	size_t			 klen, i;
	const char		*v;
	size_t			 vlen;

	if (len == 0 || p[0] == '#')
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t') {
			fail(cf, line, errbuf, errlen, "control character "
			    "(0x%02x)", (unsigned char)p[i]);
			return -1;
		} else if (p[i] == 0x7f) {
			fail(cf, line, errbuf, errlen, "control character "
			    "(0x7f)");
			return -1;
		}
	for (klen = 0; klen < len && !is_blank(p[klen]) && p[klen] != '=';
	    klen++)
		;
	if (klen == 0 || klen >= sizeof(key)) {
		fail(cf, line, errbuf, errlen, "want a keyword and a value");
		return -1;
	}
	memcpy(key, p, klen);
	key[klen] = '\0';
	i = klen;
	while (i < len && is_blank(p[i]))
		i++;
	if (i < len && p[i] == '=')
		i++;
	while (i < len && is_blank(p[i]))
		i++;
	v = p + i;
	vlen = len - i;
	if (vlen > 0 && v[0] == '"') {
		const char *q = memchr(v + 1, '"', vlen - 1);

		if (q == NULL) {
			fail(cf, line, errbuf, errlen, "unterminated quote");
			return -1;
		}
		if ((size_t)(q - v) + 1 != vlen) {
			fail(cf, line, errbuf, errlen, "text after the quoted "
			    "value");
			return -1;
		}
		v++;
		vlen = (size_t)(q - v);
	}
	if (strcasecmp(key, "Match") == 0) {
		fail(cf, line, errbuf, errlen, "Match blocks are not "
		    "supported (use Host)");
		return -1;
	}
	if (strcasecmp(key, "Host") != 0 && !opt_keyword_known(key)) {
		fail(cf, line, errbuf, errlen, "unknown keyword \"%s\"", key);
		return -1;
	}
	if (vlen == 0) {
		fail(cf, line, errbuf, errlen, "%s wants a value", key);
		return -1;
	}
	if (strcasecmp(key, "Host") == 0)
		return host_line(cf, line, v, vlen, errbuf, errlen);
	if ((it = reallocarray(cf->items, cf->nitems + 1, sizeof(*it))) ==
	    NULL)
		err(EXIT_ERROR, "reallocarray");
	cf->items = it;
	it += cf->nitems++;
	it->key = xstrndup(key, klen);
	it->value = xstrndup(v, vlen);
	it->line = line;
	it->block = cf->nblocks - 1;
	return 0;
}

int
cliconf_parse(struct cliconf *cf, const char *name, const char *buf,
    size_t len, char *errbuf, size_t errlen)
{
	const char	*p = buf, *end = buf + len, *nl;
	size_t		 line = 0, n;

	cliconf_free(cf);
	cf->name = xstrndup(name, strlen(name));
	/* Block 0: the lines before any Host, for every host. */
	add_block(cf, 0);
	while (p < end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > CLICONF_LINE_MAX) {
			fail(cf, line, errbuf, errlen, "longer than %d bytes",
			    CLICONF_LINE_MAX);
			return -1;
		}
		if (memchr(p, '\0', n) != NULL) {
			fail(cf, line, errbuf, errlen, "NUL byte");
			return -1;
		}
		{
			const char	*s = p;
			size_t		 m = n;

			/* A file with DOS line ends. */
			if (m > 0 && s[m - 1] == '\r')
				m--;
			while (m > 0 && is_blank(*s)) {
				s++;
				m--;
			}
			while (m > 0 && is_blank(s[m - 1]))
				m--;
			if (parse_line(cf, line, s, m, errbuf, errlen) == -1)
				return -1;
		}
		p += n + (nl != NULL);
	}
	return 0;
}

int
cliconf_load(struct cliconf *cf, const char *path, int must_exist,
    char *errbuf, size_t errlen)
{
	struct stat	 st;
	char		*buf;
	size_t		 have = 0;
	ssize_t		 n;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1) {
		if (errno == ENOENT && !must_exist) {
			cliconf_free(cf);
			return cliconf_parse(cf, path, "", 0, errbuf, errlen);
		}
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 022) != 0 || (st.st_uid != getuid() &&
	    st.st_uid != 0)) {
		snprintf(errbuf, errlen, "%s: bad owner or permissions (others "
		    "could change what it says: chmod go-w)", path);
		close(fd);
		return -1;
	}
	if (st.st_size > CLICONF_FILE_MAX) {
		snprintf(errbuf, errlen, "%s: larger than %d bytes", path,
		    CLICONF_FILE_MAX);
		close(fd);
		return -1;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		err(EXIT_ERROR, "malloc");
	while (have < (size_t)st.st_size) {
		n = read(fd, buf + have, (size_t)st.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	rc = cliconf_parse(cf, path, buf, have, errbuf, errlen);
	free(buf);
	return rc;
}

/* Wildcards with backtracking to the last '*' only: linear-ish, no blowup. */
int
cliconf_pattern_match(const char *pat, const char *s)
{
	const char	*star = NULL, *retry = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			retry = s;
		} else if (*pat != '\0' && (*pat == '?' ||
		    tolower((unsigned char)*pat) ==
		    tolower((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++retry;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

int
cliconf_block_matches(const struct cliconf_block *b, const char *host)
{
	size_t	 i;
	int	 hit = 0;

	for (i = 0; i < b->npatterns; i++) {
		if (b->patterns[i][0] == '!') {
			if (cliconf_pattern_match(b->patterns[i] + 1, host))
				return 0;
		} else if (cliconf_pattern_match(b->patterns[i], host))
			hit = 1;
	}
	return hit;
}

int
cliconf_apply(const struct cliconf *cf, const char *host, cliconf_fn fn,
    void *arg, char *errbuf, size_t errlen)
{
	const struct cliconf_item	*it;
	char				 why[256];
	size_t				 i;

	for (i = 0; i < cf->nitems; i++) {
		it = &cf->items[i];
		if (it->block != 0 &&
		    !cliconf_block_matches(&cf->blocks[it->block], host))
			continue;
		if (fn(arg, it->key, it->value, why, sizeof(why)) == -1) {
			fail(cf, it->line, errbuf, errlen, "%s", why);
			return -1;
		}
	}
	return 0;
}

void
cliconf_give(struct cliconf *cf, char ***own, size_t *nown)
{
	char	**n;
	size_t	  i;

	if (cf->nitems == 0)
		return;
	if ((n = reallocarray(*own, *nown + cf->nitems, sizeof(*n))) == NULL)
		err(EXIT_ERROR, "reallocarray");
	*own = n;
	for (i = 0; i < cf->nitems; i++) {
		n[(*nown)++] = cf->items[i].value;
		cf->items[i].value = NULL;
	}
}
