/*
 * secchat-bench: a load generator and measuring tool for secchatd.
 *
 * One process drives any number of sessions from one epoll loop.  Every
 * session speaks the real protocol through the client's protocol engine
 * (session.h): hello, Noise XX, AUTH, records.  The bench pins the server's
 * key (-k), so no session ever stops to ask about it.
 *
 * Modes:
 *   fanout   N sessions in the lobby, S of them saying timestamped,
 *            numbered messages; every receiver checks order and counts
 *            latency.  The daemon's CPU time per delivery comes from /proc.
 *   logins   connect, handshake, log in, BYE, close, as often as possible.
 *   memory   N idle sessions, then the daemon's memory per session.
 *   scale    more and more sessions until the server or the bench says no.
 *   irc      the fan-out load against an IRC server over TLS, for
 *            comparison (only where configure found OpenSSL).
 *
 * Each result is one JSON line on standard output (and appended to -j), and
 * a summary for people on standard error.  Every phase has a deadline, and a
 * watchdog ends the process if one is ever missed by far.
 *
 * This file reads the command line, sets up what every mode shares and
 * runs the mode; secchat-bench.h lists where the rest lives.
 */
#include "config.h"

#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "session.h"
#include "util.h"

#include "secchat-bench.h"
#include "conn_pool.h"
#include "mode_fanout.h"
#include "mode_logins.h"
#include "mode_memory.h"
#include "mode_scale.h"
#ifdef HAVE_OPENSSL
#include "mode_irc.h"
#endif

#define WATCHDOG_SLACK		120	/* seconds beyond the planned run */

struct bench_options		 bench_opt;
volatile sig_atomic_t		 bench_interrupted;

uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

double
ns_to_s(uint64_t ns)
{
	return (double)ns / (double)NS_PER_SEC;
}

void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		err(1, "calloc");
	return p;
}

/* ------------------------------------------------------------ options */

/*
 * A comma-separated list, in place: its pieces into v (at most
 * BENCH_MAX_PIDS), their number returned.  Empty pieces are a usage error.
 */
static unsigned
split_list(char *s, char **v, char opt)
{
	unsigned	 n = 0;
	char		*p;

	while ((p = strsep(&s, ",")) != NULL) {
		if (*p == '\0')
			errx(2, "-%c: an empty item in the list", opt);
		if (n == BENCH_MAX_PIDS)
			errx(2, "-%c: more than %d items", opt, BENCH_MAX_PIDS);
		v[n++] = p;
	}
	return n;
}

static unsigned
pid_list(char *s, pid_t *pids, char opt)
{
	char		*v[BENCH_MAX_PIDS];
	const char	*e;
	unsigned	 i, n;

	n = split_list(s, v, opt);
	for (i = 0; i < n; i++) {
		pids[i] = (pid_t)strtonum(v[i], 1, INT_MAX, &e);
		if (e != NULL)
			errx(2, "-%c %s: %s", opt, v[i], e);
	}
	return n;
}

static void
usage(int full)
{
	fprintf(stderr,
"usage: secchat-bench [-h host] [-p port[,port...]] -k server_key.pub\n"
"           [-u user_prefix] [-w password] [-U accounts]\n"
"           [-P daemon_pid[,pid...]] [-X pid[,pid...]] [-j json_out]\n"
"           mode [mode options]\n"
"       secchat-bench help\n");
	if (!full)
		exit(2);
	fprintf(stderr, "\n"
"Options before the mode:\n"
"  -h host      server address (127.0.0.1)\n"
"  -p ports     server port (9999); several, comma-separated (the nodes of\n"
"               a cluster on one host): session i uses port i mod count\n"
"  -k file      the server's public key file (HOSTKEY.pub); required\n"
"  -u prefix    session i logs in as PREFIXi (bench)\n"
"  -w password  every account's password (bench)\n"
"  -U n         only n accounts: session i logs in as PREFIX(i mod n)\n"
"  -P pids     the daemon's master: CPU time and memory from /proc;\n"
"               several (one per node): summed\n"
"  -X pids      other processes the daemons use (a shared Redis): their\n"
"               CPU and memory reported apart, and the sum with them\n"
"  -j file      also append each JSON result line to file\n"
"\n"
"Modes:\n"
"  fanout [-n N] [-s S] [-r rate] [-q window] [-t s] [-m size] [-W s] [-d s]\n"
"         [-c C] [-T s]\n"
"      N sessions (10) in the lobby; the first S (N) each say -r messages\n"
"      a second (3) of -m bytes (64) for -t seconds (10) after a warmup of\n"
"      -W (1); then up to -d (10) seconds to drain.  -r 0: as fast as the\n"
"      server delivers, each sender keeping -q (32) messages in flight.\n"
"      Reports deliveries/s, latency, loss, order, and with -P the\n"
"      daemon's CPU time per delivery.  An -m below the length of the\n"
"      text's \"SENDER SEQ TIME \" header (about 30 bytes) gives texts of\n"
"      the header's length.\n"
"  logins [-c C] [-t s] [-n accounts] [-T s]\n"
"      C (8) at a time: connect, handshake, log in, BYE, close; -t (10)\n"
"      seconds.  Reports logins/s and latency (connect to AUTH_OK).\n"
"  memory [-n N] [-W s] [-c C] [-T s]\n"
"      N (100) idle sessions, -W (2) seconds to settle, then RSS and PSS\n"
"      of each worker and of the broker and master.  Needs -P (and root\n"
"      to read the sandboxed processes).\n"
"  scale [-n cap] [-i step] [-W s] [-c C] [-T s]\n"
"      Sessions in steps of -i (100) up to -n (2000), each step held -W (1)\n"
"      seconds, until something fails; reports how many were held and why\n"
"      the next failed.\n"
"  irc [-n N] [-s S] [-r rate] [-t s] [-m size] [-W s] [-d s] [-c C] [-T s]\n"
"      [-x]\n"
"      The fanout load against an IRC server at -h/-p, for comparison: N\n"
"      clients (nicks PREFIXi) join #lobby over TLS (-x: plain TCP; the\n"
"      server's certificate is not checked), the first S each send -r\n"
"      PRIVMSGs a second (-r 0 is not supported); the same checks and the\n"
"      same result fields as fanout, the server's CPU and memory from -P\n"
"      (every process and thread under it).  -k, -w, -U are not used.\n"
#ifndef HAVE_OPENSSL
"      Not built here: configure found no OpenSSL (libssl-dev).\n"
#endif
"\n"
"Common: -c logins in flight (64; logins: 8); -T seconds allowed for the\n"
"setup (120), each step (scale: 60) or each login (logins: 30).  Results:\n"
"one JSON line per run on stdout; a summary on stderr.  Exit 0 if the run\n"
"met its own checks, 1 if not, 2 on usage.\n");
	exit(0);
}

static unsigned
num_arg(const char *s, unsigned min, unsigned max, char opt)
{
	const char	*e;
	long long	 v;

	v = strtonum(s, min, max, &e);
	if (e != NULL)
		errx(2, "-%c %s: %s (%u..%u)", opt, s, e, min, max);
	return (unsigned)v;
}

static double
rate_arg(const char *s)
{
	char	*end;
	double	 v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0) || v > 1e6)
		errx(2, "-r %s: not a rate between 0 and 1000000", s);
	return v;
}

static void
mode_defaults(struct bench_options *o)
{
	o->senders = 0;
	o->rate = 3;
	o->seconds = 10;
	o->size = 64;
	o->warmup = 1;
	o->drain = 10;
	o->concurrency = 64;
	o->timeout = 120;
	o->step = 100;
	o->window = 32;
	switch (o->mode) {
	case MODE_FANOUT:
	case MODE_IRC:
		o->n = 10;
		break;
	case MODE_LOGINS:
		o->n = 0;
		o->concurrency = 8;
		o->timeout = 30;
		break;
	case MODE_MEMORY:
		o->n = 100;
		o->warmup = 2;
		break;
	case MODE_SCALE:
		o->n = 2000;
		o->timeout = 60;
		break;
	}
}

static void
parse_mode(struct bench_options *o, int argc, char **argv)
{
	const char	*opts;
	int		 ch;

	if (strcmp(argv[0], "fanout") == 0) {
		o->mode = MODE_FANOUT;
		opts = "+c:d:m:n:q:r:s:t:T:W:";
	} else if (strcmp(argv[0], "logins") == 0) {
		o->mode = MODE_LOGINS;
		opts = "+c:n:t:T:";
	} else if (strcmp(argv[0], "memory") == 0) {
		o->mode = MODE_MEMORY;
		opts = "+c:n:T:W:";
	} else if (strcmp(argv[0], "scale") == 0) {
		o->mode = MODE_SCALE;
		opts = "+c:i:n:T:W:";
	} else if (strcmp(argv[0], "irc") == 0) {
#ifndef HAVE_OPENSSL
		errx(2, "the irc mode is not built: configure found no "
		    "OpenSSL (on Debian: apt-get install libssl-dev)");
#endif
		o->mode = MODE_IRC;
		opts = "+c:d:m:n:r:s:t:T:W:x";
	} else if (strcmp(argv[0], "help") == 0)
		usage(1);
	else {
		warnx("unknown mode %s", argv[0]);
		usage(0);
	}
	mode_defaults(o);
	/* The first getopt() stopped cleanly at the mode: start it again. */
	optind = 1;
	while ((ch = getopt(argc, argv, opts)) != -1) {
		switch (ch) {
		case 'c':
			o->concurrency = num_arg(optarg, 1, 100000, ch);
			break;
		case 'd':
			o->drain = num_arg(optarg, 0, 3600, ch);
			break;
		case 'i':
			o->step = num_arg(optarg, 1, 1000000, ch);
			break;
		case 'm':
			o->size = num_arg(optarg, 1, CS_TEXT_MAX, ch);
			break;
		case 'n':
			o->n = num_arg(optarg, 1, 1000000, ch);
			break;
		case 'q':
			o->window = num_arg(optarg, 1, 1000000, ch);
			break;
		case 'r':
			o->rate = rate_arg(optarg);
			break;
		case 's':
			o->senders = num_arg(optarg, 1, 1000000, ch);
			break;
		case 't':
			o->seconds = num_arg(optarg, 1, 86400, ch);
			break;
		case 'T':
			o->timeout = num_arg(optarg, 1, 86400, ch);
			break;
		case 'W':
			o->warmup = num_arg(optarg, 0, 3600, ch);
			break;
		case 'x':
			o->irc_plain = 1;
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if ((o->mode == MODE_FANOUT || o->mode == MODE_IRC) &&
	    o->senders == 0)
		o->senders = o->n;
}

/* ------------------------------------------------------------ running */

static void
on_signal(int sig)
{
	(void)sig;
	bench_interrupted = 1;
}

static void
on_alarm(int sig)
{
	static const char msg[] = "secchat-bench: watchdog: the run took far "
	    "longer than planned; giving up\n";

	(void)sig;
	(void)write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(3);
}

/* The longest a run may take: its phases plus generous slack. */
static unsigned
planned_seconds(const struct bench_options *o)
{
	switch (o->mode) {
	case MODE_FANOUT:
	case MODE_IRC:
		return o->timeout + o->warmup + o->seconds + o->drain + 10;
	case MODE_LOGINS:
		return o->seconds + 10;
	case MODE_MEMORY:
		return o->timeout + o->warmup + 10;
	case MODE_SCALE:
		return (o->n / o->step + 1) * (o->timeout + o->warmup) + 10;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	char		*portlist = NULL, *ports[BENCH_MAX_PIDS];
	unsigned	 i;
	int		 ch, rc = 1;

	bench_opt.host = "127.0.0.1";
	bench_opt.port = "9999";
	bench_opt.prefix = "bench";
	bench_opt.password = "bench";
	while ((ch = getopt(argc, argv, "+h:j:k:P:p:U:u:w:X:")) != -1) {
		switch (ch) {
		case 'h':
			bench_opt.host = optarg;
			break;
		case 'j':
			bench_opt.json = optarg;
			break;
		case 'k':
			bench_opt.keyfile = optarg;
			break;
		case 'P':
			bench_opt.ndaemons = pid_list(optarg,
			    bench_opt.daemons, ch);
			bench_opt.daemon = bench_opt.daemons[0];
			break;
		case 'p':
			bench_opt.port = optarg;
			break;
		case 'X':
			bench_opt.nextras = pid_list(optarg, bench_opt.extras,
			    ch);
			break;
		case 'U':
			bench_opt.accounts = num_arg(optarg, 1, 1000000, ch);
			break;
		case 'u':
			bench_opt.prefix = optarg;
			break;
		case 'w':
			bench_opt.password = optarg;
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(0);
	/* The JSON line keeps -p as given: split a copy. */
	if ((portlist = strdup(bench_opt.port)) == NULL)
		err(1, "strdup");
	bench_opt.nports = split_list(portlist, ports, 'p');
	for (i = 0; i < bench_opt.nports; i++)
		bench_opt.ports[i] = ports[i];
	parse_mode(&bench_opt, argc, argv);
	if (bench_opt.mode == MODE_IRC && bench_opt.nports > 1)
		errx(2, "the irc mode takes one port");
	if (bench_opt.keyfile == NULL && bench_opt.mode != MODE_IRC)
		errx(2, "the server's public key (-k) is required");
	if (*bench_opt.password == '\0' ||
	    strlen(bench_opt.password) > CS_PASSWORD_MAX)
		errx(2, "the password must be 1..%d bytes", CS_PASSWORD_MAX);
	if (strlen(bench_opt.prefix) + 7 > SECCHAT_NAME_MAX ||
	    !valid_username(bench_opt.prefix, strlen(bench_opt.prefix)))
		errx(2, "%s: not usable as a user name prefix",
		    bench_opt.prefix);

	if (sodium_init() < 0)
		errx(1, "sodium_init failed");
	/* The IRC mode has its own clients: no secchat key, no pool. */
	if (bench_opt.mode != MODE_IRC)
		pool_setup();

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(planned_seconds(&bench_opt) + WATCHDOG_SLACK);

	switch (bench_opt.mode) {
	case MODE_FANOUT:
		rc = run_fanout();
		break;
	case MODE_LOGINS:
		rc = run_logins();
		break;
	case MODE_MEMORY:
		rc = run_memory();
		break;
	case MODE_SCALE:
		rc = run_scale();
		break;
	case MODE_IRC:
#ifdef HAVE_OPENSSL
		rc = run_irc();
#endif
		break;
	}
	if (bench_opt.mode != MODE_IRC)
		pool_teardown();
	free(portlist);
	return rc;
}
