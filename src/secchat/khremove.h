/*
 * khremove.h: secchat -R, forgetting a server's key as ssh-keygen -R
 * does: the lines for the host go from known_hosts, the rest (comments
 * too) stays as it was, and the file is replaced at once (rename), the
 * old one kept as FILE.old.
 */
#ifndef SECCHAT_KHREMOVE_H
#define SECCHAT_KHREMOVE_H

#include <stddef.h>

#include "knownhosts.h"

/*
 * What -R names: "host:port", "[v6addr]:port", or a host alone ("host",
 * "[v6addr]", "v6addr") for every port.  Returns 0 or -1 if it is none.
 */
struct khr_spec {
	char	 exact[KH_HOSTPORT_MAX];	/* canonical host:port, or "" */
	char	 prefix[KH_HOSTPORT_MAX];	/* canonical host, or "" */
};
int	khr_spec(const char *arg, struct khr_spec *);
/* Whether a canonical host:port is one the spec names. */
int	khr_matches(const struct khr_spec *, const char *hostport);

/* A removed line, for the report. */
typedef void	(*khr_removed_fn)(void *arg, const struct kh_entry *);

/*
 * The known_hosts contents buf without the lines for spec, into *out
 * (malloc'd, *outlen bytes), fn told of each line removed.  A damaged
 * file is refused as when connecting.  Returns the number of lines
 * removed, or -1 with err set.
 */
int	khr_filter(const char *buf, size_t len, const struct khr_spec *,
	    char **out, size_t *outlen, khr_removed_fn fn, void *arg,
	    char *err, size_t errlen);

/*
 * secchat -R: remove the lines from the file at path, printing what went
 * (to stdout) as ssh-keygen does.  Returns an exit status.
 */
int	khr_remove_file(const char *path, const char *arg);

#endif
