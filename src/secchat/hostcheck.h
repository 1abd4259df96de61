/*
 * hostcheck.h: whether to trust the key a server shows, as ssh decides:
 * known_hosts first, then StrictHostKeyChecking, and on first contact a
 * question on the terminal.  A changed key is always refused.
 */
#ifndef SECCHAT_HOSTCHECK_H
#define SECCHAT_HOSTCHECK_H

#include <stdint.h>

#include "keys.h"
#include "knownhosts.h"
#include "options.h"

struct hostcheck {
	struct knownhosts	 kh;
	const char		*path;		/* the known_hosts file */
	enum hostkey_policy	 policy;
	char			 hostport[KH_HOSTPORT_MAX];
};

/*
 * Name the server as known_hosts does and read the file.  A bad host name
 * exits with EXIT_USAGE, a damaged file with EXIT_HOSTKEY.
 */
void	hc_load(struct hostcheck *, const struct options *);
/*
 * Decide about the server's key: 1 trust it (adding it to the file if it
 * was new and that is allowed), 0 refuse.  addr is the address we reached,
 * for the question; *prompted is set if a person was asked.
 */
int	hc_verify(struct hostcheck *, const uint8_t key[KEY_LEN],
	    const char *addr, int *prompted);
void	hc_free(struct hostcheck *);

#endif
