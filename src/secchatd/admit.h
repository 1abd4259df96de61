/*
 * admit.h: whether the master lets a new connection in.  Functions over
 * their inputs, without I/O: listeners.c gathers the counts and acts on
 * the answer.
 */
#ifndef SECCHAT_ADMIT_H
#define SECCHAT_ADMIT_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "throttle.h"

/* A net block as text: an address, '/', its prefix length. */
#define ADMIT_SOURCE_MAX	(INET6_ADDRSTRLEN + 4)

/* What the master knows when a connection arrives. */
struct admit_state {
	int		 shutting_down;
	int		 children_ready;	/* the broker and the checker */
	unsigned	 sessions;		/* all of them */
	unsigned	 max_sessions;		/* MaxSessions, as fitted */
	unsigned	 from_addr;		/* from the client's address */
	unsigned	 startups;		/* not logged in yet */
};

/*
 * The net block an address belongs to (PerSourceNetBlockSize, bits for
 * IPv4 and for IPv6), as "address/bits", or "unknown".
 */
void	admit_source_block(const struct sockaddr_storage *,
	    const unsigned netblock[2], char *out, size_t outlen);
/*
 * MaxStartups start:rate:full: the chance in percent that a connection is
 * dropped early with this many sessions not logged in yet.
 */
unsigned admit_drop_percent(const unsigned startups[3], unsigned nstartups);
/*
 * The reason to refuse a connection from source (its net block), or NULL
 * to let it in.  The rules are tried in order; the connection rate is
 * charged only when the ones before it let the connection through.
 */
const char *admit_refusal(const struct admit_state *, const struct config *,
	    struct throttle *connrate, const char *source, uint64_t now_ms);
/* The connection-rate table, (re)made for PerSourceConnectionRate. */
void	admit_rate_init(struct throttle *connrate, const struct config *);

#endif
