/*
 * test-admit.c: the master's admission of new connections (admit.c): the
 * net block a source is counted in, MaxStartups' early drop, the
 * per-source connection rate and the order the rules are tried in.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "admit.h"
#include "conf.h"
#include "throttle.h"
#include "tap.h"

#define NOW	1000000		/* any time after the start */

static const char *
block(const char *addr, unsigned v4bits, unsigned v6bits)
{
	static char		 out[ADMIT_SOURCE_MAX];
	struct sockaddr_storage	 ss;
	unsigned		 bits[2] = { v4bits, v6bits };

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)
	    (void *)&ss)->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)
	    (void *)&ss)->sin6_addr) == 1)
		ss.ss_family = AF_INET6;
	else
		ss.ss_family = AF_UNIX;
	admit_source_block(&ss, bits, out, sizeof(out));
	return out;
}

static void
test_source_block(void)
{
	const char	*b;

	b = block("192.0.2.77", 32, 64);
	tap_ok(strcmp(b, "192.0.2.77/32") == 0, "IPv4 /32: the address (%s)",
	    b);
	b = block("192.0.2.77", 24, 64);
	tap_ok(strcmp(b, "192.0.2.0/24") == 0, "IPv4 /24 (%s)", b);
	b = block("198.51.100.77", 20, 64);
	tap_ok(strcmp(b, "198.51.96.0/20") == 0, "IPv4 /20 (%s)", b);
	b = block("198.51.100.77", 0, 64);
	tap_ok(strcmp(b, "0.0.0.0/0") == 0, "IPv4 /0: one block (%s)", b);
	b = block("2001:db8:1:2ff:3:4:5:6", 32, 64);
	tap_ok(strcmp(b, "2001:db8:1:2ff::/64") == 0,
	    "IPv6 /64: one host's block (%s)", b);
	b = block("2001:db8:1:2ff:3:4:5:6", 32, 60);
	tap_ok(strcmp(b, "2001:db8:1:2f0::/60") == 0, "IPv6 /60 (%s)", b);
	b = block("2001:db8:1:2ff:3:4:5:6", 32, 57);
	tap_ok(strcmp(b, "2001:db8:1:280::/57") == 0, "IPv6 /57 (%s)", b);
	b = block("2001:db8:1:2ff:3:4:5:6", 32, 128);
	tap_ok(strcmp(b, "2001:db8:1:2ff:3:4:5:6/128") == 0,
	    "IPv6 /128: the address (%s)", b);
	b = block("2001:db8:1:2ff:3:4:5:6", 32, 0);
	tap_ok(strcmp(b, "::/0") == 0, "IPv6 /0 (%s)", b);
	b = block("not an address", 32, 64);
	tap_ok(strcmp(b, "unknown") == 0, "another family: unknown");
}

static void
test_drop_percent(void)
{
	const unsigned	 dflt[3] = { 10, 30, 100 };
	const unsigned	 one[3] = { 5, 100, 5 };	/* MaxStartups 5 */

	tap_ok(admit_drop_percent(dflt, 0) == 0 &&
	    admit_drop_percent(dflt, 9) == 0,
	    "MaxStartups 10:30:100: below start, never dropped");
	tap_ok(admit_drop_percent(dflt, 10) == 30,
	    "at start: rate percent");
	tap_ok(admit_drop_percent(dflt, 55) == 65,
	    "half way to full: half way to 100 (%u)",
	    admit_drop_percent(dflt, 55));
	tap_ok(admit_drop_percent(dflt, 99) == 99,
	    "one below full: 99 (%u)", admit_drop_percent(dflt, 99));
	tap_ok(admit_drop_percent(dflt, 100) == 100 &&
	    admit_drop_percent(dflt, 5000) == 100, "at full and past: always");
	tap_ok(admit_drop_percent(one, 4) == 0 &&
	    admit_drop_percent(one, 5) == 100,
	    "MaxStartups N: none below N, all from N");
}

static const char *
refusal(const struct admit_state *st, const struct config *conf,
    struct throttle *rate, const char *source, uint64_t now)
{
	const char	*why = admit_refusal(st, conf, rate, source, now);

	return why != NULL ? why : "(admitted)";
}

static void
test_refusal(void)
{
	struct config		 conf;
	struct throttle		 rate;
	struct admit_state	 ok, st;
	const char		*why;
	unsigned		 i, admitted;

	config_defaults(&conf);
	memset(&rate, 0, sizeof(rate));
	admit_rate_init(&rate, &conf);
	memset(&ok, 0, sizeof(ok));
	ok.children_ready = 1;
	ok.max_sessions = conf.max_sessions;

	tap_ok(admit_refusal(&ok, &conf, &rate, "a", NOW) == NULL,
	    "nothing against it: admitted");

	/* Each rule, with every later one failing too: the first one wins. */
	st = ok;
	st.shutting_down = 1;
	st.children_ready = 0;
	st.sessions = st.max_sessions;
	st.from_addr = conf.max_per_source;
	st.startups = conf.startups[2];
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "server shutting down") == 0, "shutting down: %s",
	    why);
	st.shutting_down = 0;
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "server starting; try again") == 0,
	    "the broker or the checker not ready: %s", why);
	st.children_ready = 1;
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "server full") == 0, "MaxSessions: %s", why);
	st.sessions = st.max_sessions - 1;
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "too many connections from your address") == 0,
	    "MaxSessionsPerSource: %s", why);
	st.from_addr = conf.max_per_source - 1;
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "server busy; try again") == 0,
	    "MaxStartups full: %s", why);
	st.startups = conf.startups[0] - 1;
	why = refusal(&st, &conf, &rate, "a", NOW);
	tap_ok(strcmp(why, "(admitted)") == 0, "below MaxStartups start: %s",
	    why);

	/*
	 * PerSourceConnectionRate 10:30: a burst of 30 from one block, then
	 * 10 a second.  Connections refused by an earlier rule are not
	 * charged: the 30 refused as "server full" above left room.
	 */
	throttle_free(&rate);
	admit_rate_init(&rate, &conf);
	st = ok;
	st.sessions = st.max_sessions;
	for (i = 0; i < 100; i++)
		(void)admit_refusal(&st, &conf, &rate, "b", NOW);
	for (i = 0, admitted = 0; i < 40; i++)
		if (admit_refusal(&ok, &conf, &rate, "b", NOW) == NULL)
			admitted++;
	tap_ok(admitted == 30, "a burst of 30 from one block (%u), not "
	    "charged for earlier refusals", admitted);
	why = refusal(&ok, &conf, &rate, "b", NOW);
	tap_ok(strcmp(why, "too many connections from your address; "
	    "try again later") == 0, "then: %s", why);
	tap_ok(admit_refusal(&ok, &conf, &rate, "c", NOW) == NULL,
	    "another block is admitted");
	for (i = 0, admitted = 0; i < 40; i++)
		if (admit_refusal(&ok, &conf, &rate, "b", NOW + 1000) == NULL)
			admitted++;
	tap_ok(admitted == 10, "a second later, 10 more (%u)", admitted);
	st = ok;
	st.startups = conf.startups[2];
	why = refusal(&st, &conf, &rate, "b", NOW + 1000);
	tap_ok(strcmp(why, "too many connections from your address; "
	    "try again later") == 0,
	    "the rate is tried before MaxStartups: %s", why);

	conf.conn_rate[0] = conf.conn_rate[1] = 0;
	admit_rate_init(&rate, &conf);
	for (i = 0, admitted = 0; i < 1000; i++)
		if (admit_refusal(&ok, &conf, &rate, "b", NOW) == NULL)
			admitted++;
	tap_ok(admitted == 1000, "PerSourceConnectionRate 0:0: no limit");
	throttle_free(&rate);
}

int
main(void)
{
	if (sodium_init() == -1) {
		printf("Bail out! sodium_init\n");
		return 1;
	}
	test_source_block();
	test_drop_percent();
	test_refusal();
	return tap_done();
}
