/*
 * secchat-bench.h: what every part of secchat-bench shares: the command
 * line as parsed, the flag that SIGINT and SIGTERM set, and the clock.
 *
 * The program's parts, each with its own header:
 *   secchat-bench.c  the command line, setup, and the choice of mode
 *   conn_pool.c      client sessions speaking the real protocol, driven by
 *                    one epoll loop, and why the ones that failed did
 *   histogram.c      latencies, for percentiles
 *   daemon_stats.c   the daemons' CPU time and memory, from /proc
 *   json_line.c      the one-line JSON result
 *   stamp.c          fan-out message texts and the receivers' order check
 *   mode_fanout.c, mode_logins.c, mode_memory.c, mode_scale.c: the modes
 *   mode_irc.c       the fan-out against an IRC server (with OpenSSL only)
 */
#ifndef SECCHAT_BENCH_H
#define SECCHAT_BENCH_H

#include <sys/types.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#define NS_PER_SEC	1000000000ULL
#define NS_PER_MSEC	1000000ULL

/* How many daemons -P, other processes -X and ports -p may list. */
#define BENCH_MAX_PIDS	16

/* The room every mode's sessions join. */
#define BENCH_ROOM	"lobby"

enum bench_mode {
	MODE_FANOUT = 1,
	MODE_LOGINS,
	MODE_MEMORY,
	MODE_SCALE,
	MODE_IRC
};

/* The command line; each mode reads the fields its options set. */
struct bench_options {
	const char	*host;
	const char	*port;			/* -p as given */
	const char	*ports[BENCH_MAX_PIDS];	/* -p, split at commas */
	unsigned	 nports;
	const char	*keyfile;
	const char	*prefix;
	const char	*password;
	const char	*json;
	pid_t		 daemon;		/* the first -P, or 0 */
	/* -P: every daemon whose CPU and memory are summed (the nodes) */
	pid_t		 daemons[BENCH_MAX_PIDS];
	unsigned	 ndaemons;
	/* -X: other processes the daemons use (a Redis), counted apart */
	pid_t		 extras[BENCH_MAX_PIDS];
	unsigned	 nextras;
	unsigned	 accounts;		/* -U, or 0: one per session */
	enum bench_mode	 mode;
	unsigned	 n;			/* sessions, or the cap */
	unsigned	 senders;
	double		 rate;			/* messages/s per sender */
	unsigned	 seconds;
	unsigned	 size;			/* message text bytes */
	unsigned	 warmup;		/* seconds, also settle time */
	unsigned	 drain;			/* seconds */
	unsigned	 concurrency;		/* logins in flight */
	unsigned	 timeout;		/* seconds per setup or step */
	unsigned	 step;
	unsigned	 window;		/* rate 0: messages in flight */
	int		 irc_plain;		/* irc -x: no TLS */
};

extern struct bench_options		 bench_opt;
/* Set by SIGINT and SIGTERM: every loop ends its phase early. */
extern volatile sig_atomic_t		 bench_interrupted;

/* CLOCK_MONOTONIC in ns: message stamps and every deadline. */
uint64_t	 now_ns(void);
double		 ns_to_s(uint64_t);
/* calloc, or exit: the bench has no use for a partial run. */
void		*xcalloc(size_t, size_t);

#endif
