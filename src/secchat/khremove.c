/*
 * khremove.c: secchat -R HOST[:PORT] (khremove.h).
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "khremove.h"
#include "knownhosts.h"
#include "options.h"
#include "output.h"
#include "util.h"

int
khr_spec(const char *arg, struct khr_spec *sp)
{
	char	 host[KH_HOSTPORT_MAX], tmp[KH_HOSTPORT_MAX];
	size_t	 len = strlen(arg), n;

	memset(sp, 0, sizeof(*sp));
	if (len == 0)
		return -1;
	if (kh_parse_hostport(arg, len, sp->exact, sizeof(sp->exact)) == 0)
		return 0;
	/* A host alone: every port. */
	if (arg[0] == '[' && arg[len - 1] == ']') {
		arg++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(host))
		return -1;
	memcpy(host, arg, len);
	host[len] = '\0';
	/* The canonical form with some port, cut before the port. */
	if (kh_hostport(host, 1, tmp, sizeof(tmp)) == -1)
		return -1;
	n = strlen(tmp);
	if (n < 3 || strcmp(tmp + n - 2, ":1") != 0)
		return -1;
	tmp[n - 2] = '\0';
	strlcpy(sp->prefix, tmp, sizeof(sp->prefix));
	return 0;
}

int
khr_matches(const struct khr_spec *sp, const char *hostport)
{
	size_t	 n;

	if (sp->exact[0] != '\0')
		return strcmp(sp->exact, hostport) == 0;
	n = strlen(sp->prefix);
	return n > 0 && strncmp(hostport, sp->prefix, n) == 0 &&
	    hostport[n] == ':' && strchr(hostport + n + 1, ':') == NULL &&
	    strchr(hostport + n + 1, ']') == NULL;
}

int
khr_filter(const char *buf, size_t len, const struct khr_spec *sp,
    char **out, size_t *outlen, khr_removed_fn fn, void *arg,
    char *errbuf, size_t errlen)
{
	struct knownhosts	 kh;
	const char		*p = buf, *end = buf + len, *nl;
	size_t			 i, lineno = 0, n, next = 0, o = 0;
	char			*res;
	int			 removed = 0;

	kh_init(&kh);
	if (kh_parse(&kh, buf, len, errbuf, errlen, NULL) == -1) {
		kh_free(&kh);
		return -1;
	}
	if ((res = malloc(len + 1)) == NULL)
		err(EXIT_ERROR, "malloc");
	/* kh.entries are in line order: walk them with the lines. */
	while (p < end) {
		int drop = 0;

		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		while (next < kh.n && kh.entries[next].line < lineno)
			next++;
		for (i = next; i < kh.n && kh.entries[i].line == lineno; i++)
			if (khr_matches(sp, kh.entries[i].hostport)) {
				drop = 1;
				if (fn != NULL)
					fn(arg, &kh.entries[i]);
			}
		if (drop)
			removed++;
		else {
			memcpy(res + o, p, n);
			o += n;
		}
		p += n;
	}
	res[o] = '\0';
	kh_free(&kh);
	*out = res;
	*outlen = o;
	return removed;
}

static void
print_removed(void *arg, const struct kh_entry *e)
{
	char	 fp[FINGERPRINT_LEN];

	(void)arg;
	keys_fingerprint(e->pub, fp);
	printf("# Host %s found: line %zu %s %s\n", e->hostport, e->line,
	    KH_KEYTYPE, fp);
}

/* Write the new contents beside the file, then rename it over. */
static int
replace_file(const char *path, const char *data, size_t len)
{
	char	*tmp, *old;
	size_t	 done = 0;
	ssize_t	 n;
	int	 fd, saved;

	if (asprintf(&tmp, "%s.XXXXXX", path) == -1 ||
	    asprintf(&old, "%s.old", path) == -1)
		err(EXIT_ERROR, "asprintf");
	/* mkstemp makes it 0600, as known_hosts is made. */
	if ((fd = mkstemp(tmp)) == -1) {
		warn("%s", tmp);
		goto fail;
	}
	while (done < len) {
		n = write(fd, data + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			saved = errno;
			close(fd);
			(void)unlink(tmp);
			errno = saved;
			warn("%s", tmp);
			goto fail;
		}
		done += (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		warn("%s", tmp);
		(void)unlink(tmp);
		goto fail;
	}
	/* The old contents stay as FILE.old, as ssh-keygen keeps them. */
	if ((unlink(old) == -1 && errno != ENOENT) || link(path, old) == -1)
		warn("cannot keep the old contents as %s", old);
	if (rename(tmp, path) == -1) {
		warn("%s", path);
		(void)unlink(tmp);
		goto fail;
	}
	printf("%s updated.\n", path);
	if (access(old, F_OK) == 0)
		printf("Original contents retained as %s\n", old);
	free(tmp);
	free(old);
	return 0;
 fail:
	free(tmp);
	free(old);
	return -1;
}

int
khr_remove_file(const char *path, const char *arg)
{
	struct khr_spec	 sp;
	char		 errbuf[512], *buf, *out, *safe;
	size_t		 len, outlen;
	int		 removed;

	safe = out_safe(arg);
	if (khr_spec(arg, &sp) == -1) {
		warnx("-R %s: not a host, host:port or [address]:port", safe);
		free(safe);
		return EXIT_USAGE;
	}
	if ((buf = read_small_file(path, KH_FILE_MAX, &len)) == NULL) {
		if (errno == ENOENT)
			warnx("%s not found in %s (no such file)", safe, path);
		else
			warn("%s", path);
		free(safe);
		return EXIT_ERROR;
	}
	removed = khr_filter(buf, len, &sp, &out, &outlen, print_removed,
	    NULL, errbuf, sizeof(errbuf));
	free(buf);
	if (removed == -1) {
		warnx("%s: %s", path, errbuf);
		free(safe);
		return EXIT_HOSTKEY;
	}
	if (removed == 0) {
		warnx("%s not found in %s", safe, path);
		free(out);
		free(safe);
		return EXIT_ERROR;
	}
	free(safe);
	fflush(stdout);
	if (replace_file(path, out, outlen) == -1) {
		free(out);
		return EXIT_ERROR;
	}
	free(out);
	return EXIT_OK;
}
