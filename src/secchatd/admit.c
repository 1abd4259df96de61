/*
 * admit.c: whether the master lets a new connection in (admit.h).
 *
 * In order: not while shutting down or before the broker and the checker
 * are ready; not past MaxSessions or MaxSessionsPerSource; not faster than
 * PerSourceConnectionRate from one net block; and, as sshd's MaxStartups,
 * with a growing chance of refusal as unauthenticated sessions pile up.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admit.h"
#include "conf.h"
#include "throttle.h"
#include "util.h"

/*
 * Counting per address would count nothing with IPv6, where one host holds
 * a whole /64: sources are counted per net block.
 */
void
admit_source_block(const struct sockaddr_storage *ss,
    const unsigned netblock[2], char *out, size_t outlen)
{
	char		 a[INET6_ADDRSTRLEN];
	unsigned	 bits, i, keep;

	if (ss->ss_family == AF_INET) {
		struct in_addr	 in = ((const struct sockaddr_in *)
				    (const void *)ss)->sin_addr;

		bits = netblock[0];
		in.s_addr &= bits == 0 ? 0 : htonl(0xffffffffU << (32 - bits));
		inet_ntop(AF_INET, &in, a, sizeof(a));
	} else if (ss->ss_family == AF_INET6) {
		struct in6_addr	 in6 = ((const struct sockaddr_in6 *)
				    (const void *)ss)->sin6_addr;

		bits = netblock[1];
		for (i = 0; i < 16; i++) {
			keep = bits > 8 * i ? bits - 8 * i : 0;
			if (keep < 8)
				in6.s6_addr[i] &= (uint8_t)(0xff00 >> keep);
		}
		inet_ntop(AF_INET6, &in6, a, sizeof(a));
	} else {
		strlcpy(out, "unknown", outlen);
		return;
	}
	snprintf(out, outlen, "%s/%u", a, bits);
}

/*
 * sshd's MaxStartups: from start unauthenticated sessions on, refuse a new
 * connection with a chance of rate percent, rising to 100 at full.
 */
unsigned
admit_drop_percent(const unsigned startups[3], unsigned n)
{
	unsigned	 start = startups[0], rate = startups[1];
	unsigned	 full = startups[2];

	if (n >= full)
		return 100;
	if (n < start)
		return 0;
	return rate + (100 - rate) * (n - start) / (full - start);
}

static int
admit_early_drop(const unsigned startups[3], unsigned n)
{
	unsigned	 p = admit_drop_percent(startups, n);

	if (p >= 100)
		return 1;
	if (p == 0)
		return 0;
	return randombytes_uniform(100) < p;
}

const char *
admit_refusal(const struct admit_state *st, const struct config *conf,
    struct throttle *connrate, const char *source, uint64_t now)
{
	if (st->shutting_down)
		return "server shutting down";
	if (!st->children_ready)
		return "server starting; try again";
	if (st->sessions >= st->max_sessions)
		return "server full";
	if (st->from_addr >= conf->max_per_source)
		return "too many connections from your address";
	if (!throttle_admit(connrate, source, now, conf->conn_rate[0],
	    conf->conn_rate[1]))
		return "too many connections from your address; "
		    "try again later";
	if (admit_early_drop(conf->startups, st->startups))
		return "server busy; try again";
	return NULL;
}

void
admit_rate_init(struct throttle *connrate, const struct config *conf)
{
	uint64_t	 drain_ms = 0;

	throttle_free(connrate);
	if (conf->conn_rate[0] > 0)
		drain_ms = ((uint64_t)conf->conn_rate[1] * 1000 +
		    conf->conn_rate[0] - 1) / conf->conn_rate[0];
	throttle_init(connrate, 4096, drain_ms);
}
