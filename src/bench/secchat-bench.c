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
 *
 * Each result is one JSON line on standard output (and appended to -j), and
 * a summary for people on standard error.  Every phase has a deadline, and a
 * watchdog ends the process if one is ever missed by far.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#define LOBBY			"lobby"
#define NSEC			1000000000ULL
#define MSEC			1000000ULL
#define READ_CHUNK		65536
#define READS_PER_WAKEUP	4	/* per session, so none starves others */
#define EPOLL_BATCH		512
#define HOUSEKEEPING_NS		(20 * MSEC)
#define BUSY_RETRY_NS		(50 * MSEC)
#define BYE_WAIT_NS		(5 * NSEC)
#define MAX_REASONS		16
#define REASON_LEN		160
#define MAX_PAIRS		(64UL * 1024 * 1024)
#define WATCHDOG_SLACK		120	/* seconds beyond the planned run */

/* ------------------------------------------------------------ options */

enum mode {
	M_FANOUT = 1,
	M_LOGINS,
	M_MEMORY,
	M_SCALE
};

struct options {
	const char	*host;
	const char	*port;
	const char	*keyfile;
	const char	*prefix;
	const char	*password;
	const char	*json;
	pid_t		 daemon;		/* -P, or 0 */
	unsigned	 accounts;		/* -U, or 0: one per session */
	enum mode	 mode;
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
};

/* ------------------------------------------------------------ state */

enum phase {
	P_FREE,		/* slot unused */
	P_CONNECTING,	/* TCP connect in progress */
	P_LOGIN,	/* hello, handshake, AUTH */
	P_JOINING,	/* logged in, waiting for the lobby's NAMES */
	P_READY,	/* in the lobby */
	P_LEAVING,	/* BYE sent, waiting for the server to close */
	P_CLOSED
};

struct conn {
	int		 fd;
	unsigned	 id;		/* index in the pool */
	unsigned	 user;		/* account number */
	enum phase	 phase;
	struct csession	*cs;
	int		 pollout;	/* EPOLLOUT registered */
	int		 failed;
	uint64_t	 t_open;	/* ns */
	uint64_t	 t_login;	/* ns, AUTH_OK */
	uint64_t	 deadline;	/* ns; 0: none */
	uint64_t	 retry_at;	/* ns; send AUTH again ("busy") */
	char		 bye[REASON_LEN];	/* the server's BYE reason */
	/* fanout senders */
	int		 sender;	/* index, or -1 */
	uint64_t	 seq;		/* messages sent */
	uint64_t	 next_send;	/* ns */
};

struct reason {
	char		 text[REASON_LEN];
	unsigned long	 count;
};

struct mode_ops {
	void	(*login)(struct conn *);
	void	(*ready)(struct conn *);
	void	(*message)(struct conn *, const struct cs_event *, uint64_t);
	void	(*closed)(struct conn *);
};

static struct {
	struct options	 o;
	struct addrinfo	*ai;
	uint8_t		 server_key[KEY_LEN];
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	uint8_t		 suites[2];
	size_t		 nsuites;
	int		 epfd;
	struct conn	*pool;
	unsigned	 npool;
	const struct mode_ops *ops;
	/* tallies */
	unsigned	 nopen;		/* slots not FREE or CLOSED */
	unsigned	 nlogin;	/* CONNECTING or LOGIN or JOINING */
	unsigned	 nready;
	unsigned long	 nfailed;
	unsigned long	 busy_retries;
	unsigned long	 server_errors;
	char		 server_error[REASON_LEN];
	struct reason	 reasons[MAX_REASONS];
	unsigned long	 other_reasons;
	uint64_t	 last_housekeeping;
} B;

static volatile sig_atomic_t	 interrupted;

/* ------------------------------------------------------------ helpers */

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static double
secs(uint64_t ns)
{
	return (double)ns / (double)NSEC;
}

static double
rusage_secs(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static void *
xcalloc(size_t n, size_t size)
{
	void	*p;

	if ((p = calloc(n, size)) == NULL)
		err(1, "calloc");
	return p;
}

/* Count one reason a session ended badly; the first few are kept. */
static void
note_reason(const char *text)
{
	size_t	 i;

	for (i = 0; i < MAX_REASONS && B.reasons[i].count > 0; i++) {
		if (strcmp(B.reasons[i].text, text) == 0) {
			B.reasons[i].count++;
			return;
		}
	}
	if (i == MAX_REASONS) {
		B.other_reasons++;
		return;
	}
	strlcpy(B.reasons[i].text, text, sizeof(B.reasons[i].text));
	B.reasons[i].count = 1;
}

static void
clear_reasons(void)
{
	memset(B.reasons, 0, sizeof(B.reasons));
	B.other_reasons = 0;
	B.nfailed = 0;
	B.busy_retries = 0;
	B.server_errors = 0;
	B.server_error[0] = '\0';
}

/* ------------------------------------------------------------ histogram */

/*
 * Latencies in nanoseconds, in buckets whose width is 1/128 of their
 * value (under 1% error), from 0 to 2^40 ns (18 minutes).
 */
#define H_SUB_BITS	7
#define H_SUB		(1U << H_SUB_BITS)
#define H_MAX_BITS	40
#define H_NBUCKETS	(H_SUB + (H_MAX_BITS - H_SUB_BITS + 1) * H_SUB)

struct hist {
	uint64_t	 b[H_NBUCKETS];
	uint64_t	 count, max, sum;
};

static size_t
hist_index(uint64_t v)
{
	unsigned	 k;

	if (v < H_SUB)
		return (size_t)v;
	if (v >= (1ULL << (H_MAX_BITS + 1)))
		v = (1ULL << (H_MAX_BITS + 1)) - 1;
	k = 63 - (unsigned)__builtin_clzll(v);
	return H_SUB + (size_t)(k - H_SUB_BITS) * H_SUB +
	    (size_t)((v >> (k - H_SUB_BITS)) - H_SUB);
}

/* The middle of bucket i. */
static uint64_t
hist_value(size_t i)
{
	size_t		 g, sub;
	unsigned	 shift;

	if (i < H_SUB)
		return i;
	g = (i - H_SUB) / H_SUB;
	sub = (i - H_SUB) % H_SUB;
	shift = (unsigned)g;
	return ((H_SUB + sub) << shift) + ((1ULL << shift) >> 1);
}

static void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

/* The value at or below which a fraction p (0..1) of the samples lie. */
static uint64_t
hist_pct(const struct hist *h, double p)
{
	uint64_t	 rank, seen = 0, v;
	size_t		 i;

	if (h->count == 0)
		return 0;
	rank = (uint64_t)(p * (double)h->count + 0.999999);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < H_NBUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			v = hist_value(i);
			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ------------------------------------------------------------ JSON */

struct json {
	struct buf	 b;
	int		 first;		/* no comma before the next member */
};

static void
js_raw(struct json *j, const char *s)
{
	if (buf_append(&j->b, s, strlen(s)) == -1)
		errx(1, "out of memory");
}

static void
js_string(struct json *j, const char *s)
{
	char		 esc[8];
	const char	*p;
	int		 utf8 = valid_utf8((const uint8_t *)s, strlen(s));

	js_raw(j, "\"");
	for (p = s; *p != '\0'; p++) {
		unsigned char	 ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", ch);
			js_raw(j, esc);
		} else if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8)) {
			snprintf(esc, sizeof(esc), "\\u%04x",
			    ch >= 0x80 ? 0xfffd : ch);
			js_raw(j, esc);
		} else {
			if (buf_append(&j->b, p, 1) == -1)
				errx(1, "out of memory");
		}
	}
	js_raw(j, "\"");
}

static void
js_key(struct json *j, const char *key)
{
	if (!j->first)
		js_raw(j, ",");
	j->first = 0;
	js_string(j, key);
	js_raw(j, ":");
}

static void
js_open(struct json *j, const char *key)
{
	if (key != NULL)
		js_key(j, key);
	js_raw(j, "{");
	j->first = 1;
}

static void
js_close(struct json *j)
{
	js_raw(j, "}");
	j->first = 0;
}

static void
js_u64(struct json *j, const char *key, uint64_t v)
{
	char	 num[32];

	js_key(j, key);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	js_raw(j, num);
}

static void
js_num(struct json *j, const char *key, double v)
{
	char	 num[64];

	js_key(j, key);
	if (v != v)
		js_raw(j, "null");
	else {
		snprintf(num, sizeof(num), "%.6g", v);
		js_raw(j, num);
	}
}

static void
js_str(struct json *j, const char *key, const char *v)
{
	js_key(j, key);
	js_string(j, v);
}

static void
js_bool(struct json *j, const char *key, int v)
{
	js_key(j, key);
	js_raw(j, v ? "true" : "false");
}

/* The JSON object of everything that ended sessions badly. */
static void
js_reasons(struct json *j)
{
	size_t	 i;

	js_open(j, "errors");
	for (i = 0; i < MAX_REASONS && B.reasons[i].count > 0; i++)
		js_u64(j, B.reasons[i].text, B.reasons[i].count);
	if (B.other_reasons > 0)
		js_u64(j, "(other reasons)", B.other_reasons);
	js_close(j);
}

static void
js_latency(struct json *j, const char *key, const struct hist *h)
{
	js_open(j, key);
	js_u64(j, "count", h->count);
	js_num(j, "p50", (double)hist_pct(h, 0.50) / MSEC);
	js_num(j, "p90", (double)hist_pct(h, 0.90) / MSEC);
	js_num(j, "p99", (double)hist_pct(h, 0.99) / MSEC);
	js_num(j, "p999", (double)hist_pct(h, 0.999) / MSEC);
	js_num(j, "max", (double)h->max / MSEC);
	js_num(j, "mean", h->count ? (double)h->sum / h->count / MSEC : 0);
	js_close(j);
}

static void
js_start(struct json *j, const char *mode)
{
	buf_init(&j->b, 0);
	js_open(j, NULL);
	js_str(j, "mode", mode);
}

/* Close the outermost object and print the line. */
static void
js_finish(struct json *j)
{
	FILE	*f;

	js_close(j);
	js_raw(j, "\n");
	fwrite(buf_head(&j->b), 1, buf_used(&j->b), stdout);
	fflush(stdout);
	if (B.o.json != NULL) {
		if ((f = fopen(B.o.json, "a")) == NULL)
			warn("%s", B.o.json);
		else {
			fwrite(buf_head(&j->b), 1, buf_used(&j->b), f);
			if (fclose(f) == EOF)
				warn("%s", B.o.json);
		}
	}
	buf_free(&j->b);
}

/* The parameters every result carries. */
static void
js_common_params(struct json *j)
{
	js_str(j, "host", B.o.host);
	js_str(j, "port", B.o.port);
	js_str(j, "suite", B.nsuites > 0 && B.suites[0] == SUITE_AESGCM ?
	    "aesgcm" : "chachapoly");
	if (B.o.daemon > 0)
		js_u64(j, "daemon_pid", (uint64_t)B.o.daemon);
}

/* ------------------------------------------------------------ /proc */

enum role {
	R_MASTER,
	R_BROKER,
	R_AUTH,
	R_WORKER,
	R_OTHER,
	R_NROLES
};

/* JSON keys of each role's CPU seconds. */
static const char *const role_cpu_keys[R_NROLES] = {
	"master_s", "broker_s", "auth_s", "workers_s", "other_s"
};

struct proc {
	pid_t		 pid, ppid;
	enum role	 role;
	uint64_t	 cpu_ns;	/* user + system, this process */
	uint64_t	 reaped_ns;	/* its waited-for children's */
};

struct proc_tree {
	struct proc	*p;
	size_t		 n;
};

struct cpu_sample {
	uint64_t	 role_ns[R_NROLES];
	uint64_t	 reaped_ns;
	uint64_t	 total_ns;
	unsigned	 nprocs;
	uint64_t	 t;		/* when, ns */
	uint64_t	 machine_ns;	/* every CPU's busy time (/proc/stat) */
	double		 bench_s;	/* our own CPU time */
};

struct mem {
	uint64_t	 rss_kb, pss_kb, private_kb;
};

static int
proc_cmp(const void *a, const void *b)
{
	const struct proc	*x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* Read a small file into buf, NUL-terminated; the length or -1. */
static ssize_t
read_text(const char *path, char *buf, size_t size)
{
	FILE	*f;
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* /proc/PID/FILE */
static ssize_t
proc_read(pid_t pid, const char *file, char *buf, size_t size)
{
	char	 path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	return read_text(path, buf, size);
}

/*
 * The fields of /proc/PID/stat after the command name, which may itself
 * hold spaces and parentheses: ppid is field 4, utime..cstime 14..17.
 */
static int
proc_stat(pid_t pid, pid_t *ppid, uint64_t ticks[4])
{
	char		 buf[1024], *p, *end;
	unsigned long long v;
	int		 field;

	if (proc_read(pid, "stat", buf, sizeof(buf)) <= 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 3; field <= 17; field++) {
		while (*p == ' ')
			p++;
		if (field == 3) {	/* state: one character */
			if (*p == '\0')
				return -1;
			p++;
			continue;
		}
		errno = 0;
		v = strtoull(p, &end, 10);
		if (end == p || errno != 0)
			return -1;
		p = end;
		if (field == 4)
			*ppid = (pid_t)v;
		else if (field >= 14)
			ticks[field - 14] = v;
	}
	return 0;
}

static uint64_t
ticks_ns(uint64_t ticks)
{
	static long	 hz;

	if (hz <= 0 && (hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	return ticks * (NSEC / (uint64_t)hz);
}

/*
 * The process's CPU time from schedstat, in ns, if the kernel keeps it:
 * stat counts in ticks of 10 ms, too coarse for hundreds of workers.
 */
static uint64_t
proc_cpu_ns(pid_t pid, uint64_t fallback)
{
	char			 buf[128], *end;
	unsigned long long	 v;

	if (proc_read(pid, "schedstat", buf, sizeof(buf)) > 0) {
		errno = 0;
		v = strtoull(buf, &end, 10);
		if (end != buf && errno == 0)
			return v;
	}
	return fallback;
}

static enum role
proc_role(pid_t pid, pid_t root)
{
	char	 cmd[512];
	ssize_t	 n, i;

	if (pid == root)
		return R_MASTER;
	if ((n = proc_read(pid, "cmdline", cmd, sizeof(cmd))) <= 0)
		return R_OTHER;
	for (i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	if (strstr(cmd, "worker") != NULL)
		return R_WORKER;
	if (strstr(cmd, "broker") != NULL)
		return R_BROKER;
	if (strstr(cmd, "auth") != NULL)
		return R_AUTH;
	return R_OTHER;
}

static int
proc_in(const struct proc_tree *t, size_t nsorted, pid_t pid)
{
	struct proc	 key;

	key.pid = pid;
	return bsearch(&key, t->p, nsorted, sizeof(*t->p), proc_cmp) != NULL;
}

/*
 * root and all its descendants, found by their parent ids.  Processes
 * that have exited are not in /proc; their CPU time shows in their
 * parent's cutime and cstime once the parent has waited for them.
 */
static int
proc_tree(pid_t root, struct proc_tree *t)
{
	struct proc	*all = NULL;
	size_t		 nall = 0, cap = 0, i, nsorted;
	struct dirent	*de;
	DIR		*d;
	uint64_t	 ticks[4];
	pid_t		 pid, ppid;
	int		 grew;
	const char	*e;

	memset(t, 0, sizeof(*t));
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtonum(de->d_name, 1, INT_MAX, &e);
		if (e != NULL || proc_stat(pid, &ppid, ticks) == -1)
			continue;
		if (nall == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((all = reallocarray(all, cap, sizeof(*all))) == NULL)
				err(1, "reallocarray");
		}
		all[nall].pid = pid;
		all[nall].ppid = ppid;
		all[nall].cpu_ns = ticks_ns(ticks[0] + ticks[1]);
		all[nall].reaped_ns = ticks_ns(ticks[2] + ticks[3]);
		nall++;
	}
	closedir(d);

	t->p = xcalloc(nall + 1, sizeof(*t->p));
	for (i = 0; i < nall; i++)
		if (all[i].pid == root)
			t->p[t->n++] = all[i];
	if (t->n == 0) {
		free(all);
		free(t->p);
		t->p = NULL;
		return -1;
	}
	/* Each pass adds the children of what is already in. */
	do {
		grew = 0;
		nsorted = t->n;
		qsort(t->p, nsorted, sizeof(*t->p), proc_cmp);
		for (i = 0; i < nall; i++) {
			if (all[i].pid == 0 || !proc_in(t, nsorted, all[i].ppid) ||
			    proc_in(t, nsorted, all[i].pid))
				continue;
			t->p[t->n++] = all[i];
			all[i].pid = 0;
			grew = 1;
		}
	} while (grew);
	free(all);
	for (i = 0; i < t->n; i++)
		t->p[i].role = proc_role(t->p[i].pid, root);
	return 0;
}

static void
proc_tree_free(struct proc_tree *t)
{
	free(t->p);
	t->p = NULL;
	t->n = 0;
}

/*
 * Busy time of all CPUs together: what else ran during a measurement
 * shows as machine - server - bench.
 */
static uint64_t
machine_busy_ns(void)
{
	char			 buf[512];
	unsigned long long	 v[8];

	if (read_text("/proc/stat", buf, sizeof(buf)) <= 0 ||
	    sscanf(buf, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
		return 0;
	/* user nice system idle iowait irq softirq steal: all but idle */
	return ticks_ns(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

static int
cpu_sample(pid_t root, struct cpu_sample *s)
{
	struct proc_tree t;
	struct rusage	 ru;
	uint64_t	 ns;
	size_t		 i;

	memset(s, 0, sizeof(*s));
	s->t = now_ns();
	s->machine_ns = machine_busy_ns();
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		s->bench_s = rusage_secs(&ru);
	if (root <= 0 || proc_tree(root, &t) == -1)
		return -1;
	for (i = 0; i < t.n; i++) {
		ns = proc_cpu_ns(t.p[i].pid, t.p[i].cpu_ns);
		s->role_ns[t.p[i].role] += ns;
		s->reaped_ns += t.p[i].reaped_ns;
		s->total_ns += ns + t.p[i].reaped_ns;
		s->nprocs++;
	}
	proc_tree_free(&t);
	return 0;
}

/* The daemon's CPU between two samples, as a JSON object. */
static void
js_cpu(struct json *j, const struct cpu_sample *a, const struct cpu_sample *b,
    const char *per, uint64_t count)
{
	char	 key[64];
	double	 wall = secs(b->t - a->t), total;
	int	 r;

	js_num(j, "bench_cpu_s", b->bench_s - a->bench_s);
	js_open(j, "server_cpu");
	if (B.o.daemon <= 0 || a->nprocs == 0 || b->nprocs == 0) {
		js_bool(j, "measured", 0);
		js_close(j);
		return;
	}
	total = secs(b->total_ns - a->total_ns);
	js_num(j, "total_s", total);
	for (r = 0; r < R_NROLES; r++)
		js_num(j, role_cpu_keys[r], secs(b->role_ns[r] - a->role_ns[r]));
	js_num(j, "reaped_children_s", secs(b->reaped_ns - a->reaped_ns));
	js_num(j, "cores_busy", wall > 0 ? total / wall : 0);
	js_u64(j, "processes", b->nprocs);
	if (wall > 0 && b->machine_ns > a->machine_ns) {
		js_num(j, "machine_cores_busy", secs(b->machine_ns -
		    a->machine_ns) / wall);
		js_num(j, "others_cores_busy", (secs(b->machine_ns -
		    a->machine_ns) - total - (b->bench_s - a->bench_s)) / wall);
	}
	if (per != NULL) {
		snprintf(key, sizeof(key), "per_%s_us", per);
		js_num(j, key, count ? total * 1e6 / (double)count : 0);
	}
	js_close(j);
}

/* The same, for people. */
static void
print_cpu(const struct cpu_sample *a, const struct cpu_sample *b,
    const char *per, uint64_t count)
{
	double	 wall = secs(b->t - a->t), total, machine, bench;

	if (wall <= 0)
		return;
	bench = b->bench_s - a->bench_s;
	machine = secs(b->machine_ns - a->machine_ns);
	if (a->nprocs == 0 || b->nprocs == 0) {
		fprintf(stderr, "  bench CPU %.2f s\n", bench);
		return;
	}
	total = secs(b->total_ns - a->total_ns);
	fprintf(stderr, "  server CPU %.2f s (%.2f cores), %.2f us per %s; "
	    "bench %.2f cores, others %.2f cores\n", total, total / wall,
	    count ? total * 1e6 / (double)count : 0, per, bench / wall,
	    (machine - total - bench) / wall);
}

/* Rss, Pss and private memory of one process, in KiB. */
static int
proc_mem(pid_t pid, struct mem *m)
{
	char		 buf[4096], *line, *next;
	unsigned long long v;
	int		 found = 0;

	memset(m, 0, sizeof(*m));
	if (proc_read(pid, "smaps_rollup", buf, sizeof(buf)) <= 0)
		return -1;
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, "Rss: %llu kB", &v) == 1) {
			m->rss_kb = v;
			found++;
		} else if (sscanf(line, "Pss: %llu kB", &v) == 1) {
			m->pss_kb = v;
			found++;
		} else if (sscanf(line, "Private_Clean: %llu kB", &v) == 1 ||
		    sscanf(line, "Private_Dirty: %llu kB", &v) == 1)
			m->private_kb += v;
	}
	return found == 2 ? 0 : -1;
}

struct mem_sample {
	struct mem	 role[R_NROLES];	/* sums */
	unsigned	 count[R_NROLES];
	struct mem	 wmin, wmax;		/* over workers */
	unsigned	 unreadable;
	uint64_t	 mem_available_kb;
};

static uint64_t
mem_available_kb(void)
{
	char		 buf[4096], *p;
	unsigned long long v;

	if (read_text("/proc/meminfo", buf, sizeof(buf)) <= 0 ||
	    (p = strstr(buf, "MemAvailable:")) == NULL ||
	    sscanf(p, "MemAvailable: %llu kB", &v) != 1)
		return 0;
	return v;
}

static int
mem_sample(pid_t root, struct mem_sample *s)
{
	struct proc_tree t;
	struct mem	 m;
	size_t		 i;
	enum role	 r;

	memset(s, 0, sizeof(*s));
	s->mem_available_kb = mem_available_kb();
	if (root <= 0 || proc_tree(root, &t) == -1)
		return -1;
	for (i = 0; i < t.n; i++) {
		r = t.p[i].role;
		if (proc_mem(t.p[i].pid, &m) == -1) {
			s->unreadable++;
			continue;
		}
		s->role[r].rss_kb += m.rss_kb;
		s->role[r].pss_kb += m.pss_kb;
		s->role[r].private_kb += m.private_kb;
		if (r == R_WORKER) {
			if (s->count[r] == 0 || m.pss_kb < s->wmin.pss_kb)
				s->wmin = m;
			if (m.pss_kb > s->wmax.pss_kb)
				s->wmax = m;
		}
		s->count[r]++;
	}
	proc_tree_free(&t);
	return 0;
}

static void
js_mem(struct json *j, const char *key, const struct mem *m, unsigned n)
{
	js_open(j, key);
	js_num(j, "rss_kib", n ? (double)m->rss_kb / n : 0);
	js_num(j, "pss_kib", n ? (double)m->pss_kb / n : 0);
	js_num(j, "private_kib", n ? (double)m->private_kb / n : 0);
	js_close(j);
}

/* ------------------------------------------------------------ sessions */

static void	conn_close(struct conn *);

static void
count_phase(enum phase ph, int delta)
{
	switch (ph) {
	case P_CONNECTING:
	case P_LOGIN:
	case P_JOINING:
		B.nlogin += delta;
		B.nopen += delta;
		break;
	case P_READY:
		B.nready += delta;
		B.nopen += delta;
		break;
	case P_LEAVING:
		B.nopen += delta;
		break;
	case P_FREE:
	case P_CLOSED:
		break;
	}
}

static void
set_phase(struct conn *c, enum phase ph)
{
	count_phase(c->phase, -1);
	c->phase = ph;
	count_phase(c->phase, 1);
}

/* The session failed: count why, and close it. */
static void
conn_fail(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
conn_fail(struct conn *c, const char *fmt, ...)
{
	char	 why[REASON_LEN];
	va_list	 ap;

	if (c->failed || c->phase == P_CLOSED || c->phase == P_FREE)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->failed = 1;
	B.nfailed++;
	note_reason(why);
	conn_close(c);
}

static void
conn_close(struct conn *c)
{
	if (c->phase == P_CLOSED || c->phase == P_FREE)
		return;
	if (c->fd != -1) {
		(void)epoll_ctl(B.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	cs_free(c->cs);
	c->cs = NULL;
	set_phase(c, P_CLOSED);
	if (B.ops->closed != NULL)
		B.ops->closed(c);
}

static void
want_pollout(struct conn *c, int want)
{
	struct epoll_event	 ev;

	if (c->pollout == want)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (want ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(B.epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->pollout = want;
}

/* Write what the session has queued, as far as the socket takes it. */
static void
conn_flush(struct conn *c)
{
	struct buf	*out;
	ssize_t		 n;

	if (c->phase == P_CONNECTING || c->phase == P_CLOSED ||
	    c->phase == P_FREE)
		return;
	out = cs_output(c->cs);
	while (buf_used(out) > 0) {
		n = send(c->fd, buf_head(out), buf_used(out), MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			conn_fail(c, "send: %s", strerror(errno));
			return;
		}
		buf_consume(out, (size_t)n);
	}
	want_pollout(c, buf_used(out) > 0);
	if (cs_finished(c->cs) && buf_used(out) == 0 &&
	    c->phase != P_CLOSED)
		conn_close(c);
}

/* Open a session for account user: connect, and queue the client hello. */
static int
conn_open(struct conn *c, unsigned user, uint64_t timeout_ns)
{
	struct cs_params	 p;
	struct epoll_event	 ev;
	char			 name[SECCHAT_NAME_MAX + 1];
	char			 why[REASON_LEN];
	int			 one = 1;

	memset(c, 0, sizeof(*c));
	c->id = (unsigned)(c - B.pool);
	c->fd = -1;
	c->sender = -1;
	c->phase = P_FREE;
	c->user = B.o.accounts ? user % B.o.accounts : user;
	c->t_open = now_ns();
	c->deadline = c->t_open + timeout_ns;
	snprintf(name, sizeof(name), "%s%u", B.o.prefix, c->user);

	c->fd = socket(B.ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		/* Our own limit, not the server's: say so. */
		snprintf(why, sizeof(why), "bench: socket: %s%s",
		    strerror(errno), errno == EMFILE || errno == ENFILE ?
		    " (raise ulimit -n)" : "");
		B.nfailed++;
		c->failed = 1;
		c->phase = P_CLOSED;
		note_reason(why);
		return -1;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&p, 0, sizeof(p));
	p.priv = B.priv;
	p.pub = B.pub;
	p.suites = B.suites;
	p.nsuites = B.nsuites;
	p.user = name;
	p.password = B.o.password;
	p.passwordlen = strlen(B.o.password);
	p.server_key = B.server_key;
	if ((c->cs = cs_new(&p)) == NULL)
		errx(1, "cs_new failed (bad user name \"%s\"?)", name);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(B.epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->pollout = 1;
	set_phase(c, P_CONNECTING);
	if (connect(c->fd, B.ai->ai_addr, B.ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		conn_fail(c, "connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void
conn_connected(struct conn *c)
{
	int		 e = 0;
	socklen_t	 len = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e != 0) {
		conn_fail(c, "connect: %s", strerror(e));
		return;
	}
	set_phase(c, P_LOGIN);
	conn_flush(c);
}

/* Say goodbye; the server closes and the session ends cleanly. */
static void
conn_leave(struct conn *c)
{
	if (c->phase == P_CLOSED || c->phase == P_FREE ||
	    c->phase == P_LEAVING)
		return;
	/*
	 * Before AUTH_OK there is nothing to say goodbye to: a BYE would race
	 * the server's answer to AUTH.
	 */
	if (c->phase == P_CONNECTING || c->phase == P_LOGIN ||
	    cs_bye(c->cs, "exit") != 0 || cs_finished(c->cs)) {
		conn_close(c);
		return;
	}
	set_phase(c, P_LEAVING);
	c->deadline = now_ns() + BYE_WAIT_NS;
	conn_flush(c);
}

static void
handle_event(struct conn *c, struct cs_event *ev, uint64_t now)
{
	switch (ev->type) {
	case CS_EV_REFUSED:
		conn_fail(c, "refused: %s", ev->text ? ev->text : "");
		break;
	case CS_EV_AUTH_OK:
		c->t_login = now;
		set_phase(c, P_JOINING);
		if (B.ops->login != NULL)
			B.ops->login(c);
		break;
	case CS_EV_AUTH_FAIL:
		/* The daemon's answer when too many logins are pending. */
		if (ev->code > 0 && ev->text != NULL &&
		    strstr(ev->text, "busy") != NULL) {
			B.busy_retries++;
			c->retry_at = now + BUSY_RETRY_NS +
			    randombytes_uniform(BUSY_RETRY_NS);
		} else
			conn_fail(c, "login failed: %s",
			    ev->text ? ev->text : "");
		break;
	case CS_EV_NAMES:
		if (c->phase == P_JOINING && ev->room != NULL &&
		    strcmp(ev->room, LOBBY) == 0) {
			set_phase(c, P_READY);
			if (B.ops->ready != NULL)
				B.ops->ready(c);
		}
		break;
	case CS_EV_MESSAGE:
		if (B.ops->message != NULL)
			B.ops->message(c, ev, now);
		break;
	case CS_EV_SERVER_ERROR:
		B.server_errors++;
		strlcpy(B.server_error, ev->text ? ev->text : "",
		    sizeof(B.server_error));
		break;
	case CS_EV_BYE:
		strlcpy(c->bye, ev->text ? ev->text : "", sizeof(c->bye));
		break;
	case CS_EV_ERROR:
		if (c->phase == P_LEAVING)
			conn_close(c);	/* we were going anyway */
		else
			conn_fail(c, "protocol: %s", ev->text ? ev->text : "");
		break;
	case CS_EV_CLOSED:
		if (c->phase == P_LEAVING && ev->code == CS_CLOSE_CLEAN)
			conn_close(c);
		else if (c->bye[0] != '\0')
			conn_fail(c, "server said BYE: %s", c->bye);
		else
			conn_fail(c, "closed: %s", ev->text ? ev->text : "");
		break;
	default:
		/* JOINED, HISTORY, ARRIVED, DEPARTED, PONG...: not counted. */
		break;
	}
}

static void
dispatch(struct conn *c, uint64_t now)
{
	struct cs_event	*ev;

	while (c->cs != NULL && (ev = cs_event_next(c->cs)) != NULL) {
		handle_event(c, ev, now);
		cs_event_free(ev);
	}
}

static void
conn_readable(struct conn *c)
{
	static uint8_t	 buf[READ_CHUNK];
	ssize_t		 n;
	uint64_t	 now;
	int		 i;

	for (i = 0; i < READS_PER_WAKEUP && c->cs != NULL; i++) {
		n = read(c->fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			if (c->phase == P_LEAVING)
				conn_close(c);
			else
				conn_fail(c, "read: %s", strerror(errno));
			return;
		}
		/* The time the bytes reached us: their delivery time. */
		now = now_ns();
		if (n == 0)
			cs_eof(c->cs);
		else
			(void)cs_input(c->cs, buf, (size_t)n);
		dispatch(c, now);
		if (n == 0 && c->phase != P_CLOSED)
			conn_close(c);
		if ((size_t)n < sizeof(buf))
			break;
	}
	if (c->cs != NULL)
		conn_flush(c);
}

/* Deadlines and "busy" retries: every HOUSEKEEPING_NS, not every event. */
static void
housekeeping(uint64_t now)
{
	struct conn	*c;
	unsigned	 i;
	int		 rc;

	if (now - B.last_housekeeping < HOUSEKEEPING_NS)
		return;
	B.last_housekeeping = now;
	for (i = 0; i < B.npool; i++) {
		c = &B.pool[i];
		if (c->phase == P_FREE || c->phase == P_CLOSED)
			continue;
		if (c->retry_at != 0 && now >= c->retry_at) {
			c->retry_at = 0;
			rc = cs_auth(c->cs, B.o.password, strlen(B.o.password));
			if (rc != 0)
				conn_fail(c, "cannot retry login: %s",
				    cs_strerror(rc));
			else
				conn_flush(c);
			continue;
		}
		if (c->deadline != 0 && now >= c->deadline) {
			switch (c->phase) {
			case P_CONNECTING:
				conn_fail(c, "timeout: connecting");
				break;
			case P_LOGIN:
				conn_fail(c, "timeout: handshake and login");
				break;
			case P_JOINING:
				conn_fail(c, "timeout: joining the lobby");
				break;
			case P_LEAVING:
				conn_close(c);	/* said BYE; good enough */
				break;
			default:
				break;
			}
		}
	}
}

/* Wait for and handle socket events, at most until the time until. */
static void
net_poll(uint64_t until)
{
	static struct epoll_event evs[EPOLL_BATCH];
	struct conn	*c;
	uint64_t	 now = now_ns(), wait;
	int		 n, i, ms;

	wait = until > now ? until - now : 0;
	if (wait > HOUSEKEEPING_NS)
		wait = HOUSEKEEPING_NS;
	ms = (int)((wait + MSEC - 1) / MSEC);
	n = epoll_wait(B.epfd, evs, EPOLL_BATCH, ms);
	if (n == -1) {
		if (errno == EINTR)
			return;
		err(1, "epoll_wait");
	}
	for (i = 0; i < n; i++) {
		c = evs[i].data.ptr;
		if (c->phase == P_CLOSED || c->phase == P_FREE)
			continue;
		if (c->phase == P_CONNECTING) {
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				conn_connected(c);
			continue;
		}
		if (evs[i].events & EPOLLOUT)
			conn_flush(c);
		if (c->phase != P_CLOSED &&
		    evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			conn_readable(c);
	}
	housekeeping(now_ns());
}

/* Open sessions for accounts first..first+n-1, at most conc logging in. */
struct opener {
	unsigned	 next, end;	/* pool slots to open */
	unsigned	 conc;
	uint64_t	 timeout_ns;
};

static void
opener_run(struct opener *op)
{
	while (op->next < op->end && B.nlogin < op->conc && !interrupted) {
		(void)conn_open(&B.pool[op->next], op->next, op->timeout_ns);
		op->next++;
	}
}

static void
pool_init(unsigned n)
{
	unsigned	 i;

	B.pool = xcalloc(n, sizeof(*B.pool));
	B.npool = n;
	for (i = 0; i < n; i++) {
		B.pool[i].fd = -1;
		B.pool[i].id = i;
		B.pool[i].phase = P_FREE;
		B.pool[i].sender = -1;
	}
}

/* BYE to every open session; wait (bounded) for the server to close them. */
static void
pool_shutdown(void)
{
	uint64_t	 until = now_ns() + BYE_WAIT_NS + NSEC;
	unsigned	 i;

	for (i = 0; i < B.npool; i++)
		conn_leave(&B.pool[i]);
	while (B.nopen > 0 && now_ns() < until)
		net_poll(until);
	for (i = 0; i < B.npool; i++)
		conn_close(&B.pool[i]);
}

/*
 * Open sessions [first, end) and wait until each is in the lobby or has
 * failed, or the deadline passes.  Returns the seconds it took.
 */
static double
open_sessions(unsigned first, unsigned end, unsigned conc, uint64_t timeout_ns)
{
	struct opener	 op;
	uint64_t	 t0 = now_ns(), until = t0 + timeout_ns;
	unsigned	 i;

	op.next = first;
	op.end = end;
	op.conc = conc;
	op.timeout_ns = timeout_ns;
	for (;;) {
		opener_run(&op);
		if (op.next >= end && B.nlogin == 0)
			break;
		if (now_ns() >= until || interrupted)
			break;
		net_poll(until);
	}
	/* Whatever is still not in the lobby has had its chance. */
	for (i = first; i < op.next; i++)
		if (B.pool[i].phase == P_CONNECTING ||
		    B.pool[i].phase == P_LOGIN || B.pool[i].phase == P_JOINING)
			conn_fail(&B.pool[i], "timeout: setup");
	return secs(now_ns() - t0);
}

/* ------------------------------------------------------------ fanout */

/* Per receiver and sender: what arrived, as a sliding window. */
struct pair {
	uint64_t	 next;		/* highest sequence seen + 1 */
	uint64_t	 window;	/* bit i: next - 1 - i arrived */
};

static struct {
	unsigned	 n, s;
	struct pair	*pairs;		/* n * s */
	uint64_t	*sent;		/* per sender */
	uint64_t	 period;	/* ns between messages; 0: flat out */
	int		 sending;
	uint64_t	 t0, t1;	/* the measurement window */
	uint64_t	 sent_window;	/* messages sent in the window */
	uint64_t	 unique, dup, ooo, foreign, misattributed, echoed;
	uint64_t	 delivered_window;
	uint64_t	 blocked, behind;
	unsigned	 lost;		/* sessions that ended during the run */
	struct hist	 lat;
	char		*text;
} F;

static int
parse_u64(const char **pp, uint64_t *v)
{
	const char		*p = *pp;
	unsigned long long	 x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (x > (ULLONG_MAX - 9) / 10)
			return -1;
		x = x * 10 + (unsigned long long)(*p++ - '0');
	}
	*v = x;
	*pp = p;
	return 0;
}

/* "SENDER SEQ MONOTONIC_NS " and padding: the bench's message text. */
static int
parse_stamp(const char *text, uint64_t *sender, uint64_t *seq, uint64_t *ts)
{
	const char	*p = text;

	if (parse_u64(&p, sender) == -1 || *p++ != ' ' ||
	    parse_u64(&p, seq) == -1 || *p++ != ' ' ||
	    parse_u64(&p, ts) == -1 || (*p != ' ' && *p != '\0'))
		return -1;
	return 0;
}

static void
fanout_message(struct conn *c, const struct cs_event *ev, uint64_t now)
{
	char		 name[SECCHAT_NAME_MAX + 1];
	struct pair	*pr;
	uint64_t	 sender, seq, ts, back;
	unsigned	 acct;

	if (ev->text == NULL || parse_stamp(ev->text, &sender, &seq, &ts) ==
	    -1 || sender >= F.s || ts > now) {
		F.foreign++;
		return;
	}
	if (sender == c->id) {
		F.echoed++;
		return;
	}
	acct = B.o.accounts ? (unsigned)sender % B.o.accounts :
	    (unsigned)sender;
	snprintf(name, sizeof(name), "%s%u", B.o.prefix, acct);
	if (ev->user == NULL || strcmp(ev->user, name) != 0)
		F.misattributed++;
	if (now >= F.t0 && now < F.t1)
		F.delivered_window++;
	if (ts >= F.t0 && ts < F.t1)
		hist_add(&F.lat, now - ts);

	pr = &F.pairs[(size_t)c->id * F.s + sender];
	if (seq >= pr->next) {
		/* In order, or after a gap that may yet be filled. */
		back = seq - pr->next + 1;
		pr->window = back >= 64 ? 0 : pr->window << back;
		pr->window |= 1;
		pr->next = seq + 1;
		F.unique++;
		return;
	}
	back = pr->next - 1 - seq;
	if (back >= 64) {
		F.ooo++;	/* too old to tell: at least out of order */
		F.unique++;
	} else if (pr->window & (1ULL << back))
		F.dup++;
	else {
		pr->window |= 1ULL << back;
		F.ooo++;
		F.unique++;
	}
}

static void
fanout_closed(struct conn *c)
{
	if (F.sending || c->failed)
		F.lost++;
}

static const struct mode_ops fanout_ops = {
	NULL, NULL, fanout_message, fanout_closed
};

/*
 * Flat out (rate 0), a sender keeps at most -q messages in flight: sent,
 * and not yet seen by one receiver, its observer.  That is as fast as the
 * server delivers, without a backlog that would only measure our queues.
 */
static uint64_t
fanout_acked(const struct conn *c)
{
	unsigned	 observer;

	observer = (unsigned)c->sender == F.n - 1 ? 0 : F.n - 1;
	return F.pairs[(size_t)observer * F.s + (unsigned)c->sender].next;
}

/* Queue one message from sender c; 0, or -1 if its output is full. */
static int
fanout_say(struct conn *c, uint64_t now)
{
	int	 n, rc;

	n = snprintf(F.text, B.o.size + 64, "%d %llu %llu ", c->sender,
	    (unsigned long long)c->seq, (unsigned long long)now);
	if (n > 0 && (unsigned)n < B.o.size)
		memset(F.text + n, 'x', B.o.size - (unsigned)n);
	F.text[n > 0 && (unsigned)n > B.o.size ? (unsigned)n : B.o.size] =
	    '\0';
	if ((rc = cs_say(c->cs, LOBBY, F.text)) != 0) {
		if (rc != CS_E_FULL)
			conn_fail(c, "say: %s", cs_strerror(rc));
		return -1;
	}
	c->seq++;
	F.sent[c->sender]++;
	if (now >= F.t0 && now < F.t1)
		F.sent_window++;
	return 0;
}

/* Send what is due; returns when something is next due. */
static uint64_t
fanout_send(uint64_t now)
{
	struct conn	*c;
	uint64_t	 due = now + HOUSEKEEPING_NS;
	unsigned	 i;
	int		 queued;

	for (i = 0; i < F.s; i++) {
		c = &B.pool[i];
		if (c->phase != P_READY)
			continue;
		queued = 0;
		if (F.period == 0) {
			while (c->seq < fanout_acked(c) + B.o.window &&
			    c->phase == P_READY && fanout_say(c, now) == 0)
				queued = 1;
		} else {
			if (now >= c->next_send + NSEC) {
				/* The bench itself fell a second behind. */
				F.behind += (now - c->next_send) / F.period;
				c->next_send = now;
			}
			while (c->next_send <= now && c->phase == P_READY) {
				if (fanout_say(c, now) == -1)
					F.blocked++;
				else
					queued = 1;
				c->next_send += F.period;
			}
			if (c->next_send < due)
				due = c->next_send;
		}
		if (queued && c->phase == P_READY)
			conn_flush(c);
	}
	return due;
}

static uint64_t
fanout_expected(void)
{
	uint64_t	 total = 0;
	unsigned	 i;

	for (i = 0; i < F.s; i++)
		total += F.sent[i] * (F.n - 1);
	return total;
}

static int
run_fanout(void)
{
	struct cpu_sample c0, c1;
	struct json	 j;
	uint64_t	 now, until, expected, missing, drain_t0;
	double		 setup_s, window_s, drain_s, offered;
	unsigned	 i;

	memset(&c0, 0, sizeof(c0));
	memset(&c1, 0, sizeof(c1));

	F.n = B.o.n;
	F.s = B.o.senders;
	if (F.n < 2 || F.s > F.n || F.s == 0)
		errx(2, "fanout needs 2 or more sessions and 1..N senders");
	if ((size_t)F.n * F.s > MAX_PAIRS)
		errx(2, "too many sessions times senders to track");
	F.pairs = xcalloc((size_t)F.n * F.s, sizeof(*F.pairs));
	F.sent = xcalloc(F.s, sizeof(*F.sent));
	F.text = xcalloc(1, B.o.size + 64 + 1);
	F.period = B.o.rate > 0 ? (uint64_t)((double)NSEC / B.o.rate) : 0;
	B.ops = &fanout_ops;
	pool_init(F.n);

	setup_s = open_sessions(0, F.n, B.o.concurrency,
	    (uint64_t)B.o.timeout * NSEC);
	fprintf(stderr, "fanout: %u of %u sessions in the lobby after %.1f s\n",
	    B.nready, F.n, setup_s);
	if (B.nready != F.n) {
		js_start(&j, "fanout");
		js_open(&j, "params");
		js_common_params(&j);
		js_u64(&j, "sessions", F.n);
		js_close(&j);
		js_open(&j, "results");
		js_bool(&j, "ok", 0);
		js_str(&j, "failure", "not every session reached the lobby");
		js_u64(&j, "ready", B.nready);
		js_reasons(&j);
		js_close(&j);
		js_finish(&j);
		pool_shutdown();
		return 1;
	}

	/* Senders start at random offsets within one period. */
	now = now_ns();
	for (i = 0; i < F.s; i++) {
		B.pool[i].sender = (int)i;
		B.pool[i].next_send = now + (F.period ?
		    randombytes_uniform((uint32_t)(F.period / 1000 + 1)) *
		    1000ULL : 0);
	}
	F.t0 = now + (uint64_t)B.o.warmup * NSEC;
	F.t1 = F.t0 + (uint64_t)B.o.seconds * NSEC;
	F.sending = 1;
	while ((now = now_ns()) < F.t1 && !interrupted) {
		if (c0.t == 0 && now >= F.t0)
			(void)cpu_sample(B.o.daemon, &c0);
		until = fanout_send(now);
		net_poll(c0.t == 0 && F.t0 < until ? F.t0 : until);
	}
	if (c0.t == 0)		/* interrupted in the warmup */
		(void)cpu_sample(B.o.daemon, &c0);
	(void)cpu_sample(B.o.daemon, &c1);
	F.t1 = c1.t;
	window_s = secs(c1.t - c0.t);
	F.sending = 0;

	/* Drain: wait for what is still on its way. */
	drain_t0 = now_ns();
	until = drain_t0 + (uint64_t)B.o.drain * NSEC;
	expected = fanout_expected();
	while (F.unique < expected && now_ns() < until && !interrupted) {
		for (i = 0; i < F.s; i++)	/* flush what is queued */
			if (B.pool[i].phase == P_READY)
				conn_flush(&B.pool[i]);
		net_poll(until);
	}
	drain_s = secs(now_ns() - drain_t0);
	missing = expected > F.unique ? expected - F.unique : 0;
	offered = F.period ? B.o.rate * F.s * (F.n - 1) :
	    (double)F.sent_window * (F.n - 1) / window_s;

	js_start(&j, "fanout");
	js_open(&j, "params");
	js_common_params(&j);
	js_u64(&j, "sessions", F.n);
	js_u64(&j, "senders", F.s);
	js_num(&j, "rate", B.o.rate);
	if (F.period == 0)
		js_u64(&j, "window", B.o.window);
	js_u64(&j, "seconds", B.o.seconds);
	js_u64(&j, "size", B.o.size);
	js_u64(&j, "warmup", B.o.warmup);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", missing == 0 && F.dup == 0 && F.ooo == 0 &&
	    F.misattributed == 0 && F.echoed == 0 && F.lost == 0);
	js_num(&j, "setup_s", setup_s);
	js_num(&j, "window_s", window_s);
	js_num(&j, "drain_s", drain_s);
	js_u64(&j, "sent", F.sent_window);
	js_u64(&j, "sent_total", expected / (F.n - 1));
	js_num(&j, "offered_deliveries_per_s", offered);
	js_num(&j, "delivered_per_s", (double)F.delivered_window / window_s);
	js_u64(&j, "delivered_in_window", F.delivered_window);
	js_u64(&j, "expected", expected);
	js_u64(&j, "received", F.unique);
	js_u64(&j, "missing", missing);
	js_u64(&j, "duplicated", F.dup);
	js_u64(&j, "out_of_order", F.ooo);
	js_u64(&j, "misattributed", F.misattributed);
	js_u64(&j, "echoed", F.echoed);
	js_u64(&j, "foreign", F.foreign);
	js_u64(&j, "sessions_lost", F.lost);
	js_u64(&j, "send_blocked", F.blocked);
	js_u64(&j, "bench_behind", F.behind);
	js_u64(&j, "server_errors", B.server_errors);
	js_latency(&j, "latency_ms", &F.lat);
	js_cpu(&j, &c0, &c1, "delivery", F.delivered_window);
	js_reasons(&j);
	js_close(&j);
	js_finish(&j);

	fprintf(stderr, "fanout: %u sessions, %u senders at %s%.3g/s, "
	    "%u-byte messages, %.1f s\n", F.n, F.s, F.period ? "" : "flat out ~",
	    F.period ? B.o.rate : (double)F.sent_window / window_s / F.s,
	    B.o.size, window_s);
	fprintf(stderr, "  deliveries/s offered %.0f, delivered %.0f\n", offered,
	    (double)F.delivered_window / window_s);
	fprintf(stderr, "  latency ms p50 %.2f p99 %.2f max %.2f (%llu samples)\n",
	    (double)hist_pct(&F.lat, 0.5) / MSEC,
	    (double)hist_pct(&F.lat, 0.99) / MSEC, (double)F.lat.max / MSEC,
	    (unsigned long long)F.lat.count);
	fprintf(stderr, "  missing %llu, duplicated %llu, out of order %llu, "
	    "sessions lost %u\n", (unsigned long long)missing,
	    (unsigned long long)F.dup, (unsigned long long)F.ooo, F.lost);
	print_cpu(&c0, &c1, "delivery", F.delivered_window);
	for (i = 0; i < MAX_REASONS && B.reasons[i].count > 0; i++)
		fprintf(stderr, "  %lu x %s\n", B.reasons[i].count,
		    B.reasons[i].text);

	pool_shutdown();
	return missing == 0 && F.dup == 0 && F.ooo == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ logins */

static struct {
	struct hist	 lat;		/* connect to AUTH_OK */
	uint64_t	 t0, t1;
	uint64_t	 logins;	/* AUTH_OK within the window */
	uint64_t	 cycles;	/* closed cleanly after BYE */
	unsigned	 next_user;
} L;

static void
logins_login(struct conn *c)
{
	if (c->t_login >= L.t0 && c->t_login < L.t1) {
		L.logins++;
		hist_add(&L.lat, c->t_login - c->t_open);
	}
	conn_leave(c);
}

static void
logins_closed(struct conn *c)
{
	if (!c->failed && c->t_login != 0)
		L.cycles++;
}

static const struct mode_ops logins_ops = {
	logins_login, NULL, NULL, logins_closed
};

static int
run_logins(void)
{
	struct cpu_sample c0, c1;
	struct json	 j;
	uint64_t	 now, timeout = (uint64_t)B.o.timeout * NSEC;
	double		 window_s;
	unsigned	 i, users;

	B.ops = &logins_ops;
	pool_init(B.o.concurrency);
	users = B.o.n ? B.o.n : B.o.concurrency;
	(void)cpu_sample(B.o.daemon, &c0);
	L.t0 = c0.t;
	L.t1 = L.t0 + (uint64_t)B.o.seconds * NSEC;
	while ((now = now_ns()) < L.t1 && !interrupted) {
		for (i = 0; i < B.npool; i++) {
			if (B.pool[i].phase != P_FREE &&
			    B.pool[i].phase != P_CLOSED)
				continue;
			(void)conn_open(&B.pool[i], L.next_user++ % users,
			    timeout);
		}
		net_poll(L.t1);
	}
	(void)cpu_sample(B.o.daemon, &c1);
	window_s = secs(c1.t - c0.t);
	pool_shutdown();

	js_start(&j, "logins");
	js_open(&j, "params");
	js_common_params(&j);
	js_u64(&j, "concurrency", B.o.concurrency);
	js_u64(&j, "accounts", users);
	js_u64(&j, "seconds", B.o.seconds);
	js_str(&j, "user_prefix", B.o.prefix);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", B.nfailed == 0 && L.logins > 0);
	js_num(&j, "window_s", window_s);
	js_u64(&j, "logins", L.logins);
	js_num(&j, "logins_per_s", (double)L.logins / window_s);
	js_u64(&j, "cycles", L.cycles);
	js_u64(&j, "failed", B.nfailed);
	js_u64(&j, "busy_retries", B.busy_retries);
	js_latency(&j, "latency_ms", &L.lat);
	js_cpu(&j, &c0, &c1, "login", L.logins);
	js_reasons(&j);
	js_close(&j);
	js_finish(&j);

	fprintf(stderr, "logins: %u at a time, prefix \"%s\": %llu logins in "
	    "%.1f s = %.1f/s\n", B.o.concurrency, B.o.prefix,
	    (unsigned long long)L.logins, window_s,
	    (double)L.logins / window_s);
	fprintf(stderr, "  latency ms p50 %.2f p99 %.2f max %.2f; failed %lu, "
	    "busy retries %lu\n", (double)hist_pct(&L.lat, 0.5) / MSEC,
	    (double)hist_pct(&L.lat, 0.99) / MSEC, (double)L.lat.max / MSEC,
	    B.nfailed, B.busy_retries);
	print_cpu(&c0, &c1, "login", L.logins);
	for (i = 0; i < MAX_REASONS && B.reasons[i].count > 0; i++)
		fprintf(stderr, "  %lu x %s\n", B.reasons[i].count,
		    B.reasons[i].text);
	return B.nfailed == 0 && L.logins > 0 ? 0 : 1;
}

/* ------------------------------------------------------------ memory */

static const struct mode_ops idle_ops = {
	NULL, NULL, NULL, NULL
};

/* Let the sessions sit for s seconds, answering whatever comes. */
static void
settle(unsigned s)
{
	uint64_t	 until = now_ns() + (uint64_t)s * NSEC;

	while (now_ns() < until && !interrupted)
		net_poll(until);
}

static int
run_memory(void)
{
	struct mem_sample m0, m1;
	struct json	 j;
	double		 setup_s, broker_d, master_d, per;
	unsigned	 n = B.o.n, nw;
	int		 ok;

	if (B.o.daemon <= 0)
		errx(2, "memory needs the daemon's pid (-P)");
	B.ops = &idle_ops;
	pool_init(n);
	if (mem_sample(B.o.daemon, &m0) == -1)
		errx(1, "no process %ld", (long)B.o.daemon);
	setup_s = open_sessions(0, n, B.o.concurrency,
	    (uint64_t)B.o.timeout * NSEC);
	settle(B.o.warmup);
	if (mem_sample(B.o.daemon, &m1) == -1)
		errx(1, "the daemon (%ld) went away", (long)B.o.daemon);
	nw = m1.count[R_WORKER];
	broker_d = ((double)m1.role[R_BROKER].pss_kb -
	    (double)m0.role[R_BROKER].pss_kb) / (B.nready ? B.nready : 1);
	master_d = ((double)m1.role[R_MASTER].pss_kb -
	    (double)m0.role[R_MASTER].pss_kb) / (B.nready ? B.nready : 1);
	per = (nw ? (double)m1.role[R_WORKER].pss_kb / nw : 0) + broker_d +
	    master_d;

	js_start(&j, "memory");
	js_open(&j, "params");
	js_common_params(&j);
	js_u64(&j, "sessions", n);
	js_u64(&j, "settle_s", B.o.warmup);
	js_close(&j);
	js_open(&j, "results");
	ok = B.nready == n && nw == n && m1.unreadable == 0;
	js_bool(&j, "ok", ok);
	js_num(&j, "setup_s", setup_s);
	js_u64(&j, "ready", B.nready);
	js_u64(&j, "workers", nw);
	js_u64(&j, "unreadable", m1.unreadable);
	js_mem(&j, "worker_mean", &m1.role[R_WORKER], nw);
	js_mem(&j, "worker_min", &m1.wmin, nw ? 1 : 0);
	js_mem(&j, "worker_max", &m1.wmax, nw ? 1 : 0);
	js_mem(&j, "broker", &m1.role[R_BROKER], 1);
	js_mem(&j, "master", &m1.role[R_MASTER], 1);
	js_mem(&j, "auth", &m1.role[R_AUTH], 1);
	js_mem(&j, "broker_before", &m0.role[R_BROKER], 1);
	js_mem(&j, "master_before", &m0.role[R_MASTER], 1);
	js_num(&j, "broker_pss_kib_per_session", broker_d);
	js_num(&j, "master_pss_kib_per_session", master_d);
	js_num(&j, "pss_kib_per_session", per);
	js_reasons(&j);
	js_close(&j);
	js_finish(&j);

	fprintf(stderr, "memory: %u idle sessions (%u workers)\n", B.nready, nw);
	if (m1.unreadable > 0)
		fprintf(stderr, "  cannot read the memory of %u of the daemon's "
		    "processes (sandboxed processes need root)\n",
		    m1.unreadable);
	if (nw > 0)
		fprintf(stderr, "  worker mean RSS %.0f KiB, PSS %.0f KiB "
		    "(min %llu, max %llu)\n",
		    (double)m1.role[R_WORKER].rss_kb / nw,
		    (double)m1.role[R_WORKER].pss_kb / nw,
		    (unsigned long long)m1.wmin.pss_kb,
		    (unsigned long long)m1.wmax.pss_kb);
	fprintf(stderr, "  broker RSS %llu PSS %llu KiB (+%.1f KiB/session), "
	    "master RSS %llu PSS %llu KiB (+%.1f KiB/session)\n",
	    (unsigned long long)m1.role[R_BROKER].rss_kb,
	    (unsigned long long)m1.role[R_BROKER].pss_kb, broker_d,
	    (unsigned long long)m1.role[R_MASTER].rss_kb,
	    (unsigned long long)m1.role[R_MASTER].pss_kb, master_d);
	fprintf(stderr, "  PSS per idle session, all processes: %.0f KiB\n",
	    per);
	pool_shutdown();
	return ok ? 0 : 1;
}

/* ------------------------------------------------------------ scale */

#define SCALE_STEPS_MAX	256	/* steps listed in the result */

static struct {
	unsigned	 lost;		/* held sessions that ended */
	unsigned	 nsteps;
	unsigned	 held[SCALE_STEPS_MAX];
	double		 took[SCALE_STEPS_MAX];	/* seconds to open the step */
} S;

static void
scale_closed(struct conn *c)
{
	if (c->t_login != 0)
		S.lost++;
}

static const struct mode_ops scale_ops = {
	NULL, NULL, NULL, scale_closed
};

static int
run_scale(void)
{
	struct mem_sample m;
	struct json	 j;
	uint64_t	 t0 = now_ns();
	unsigned	 held = 0, target, most = 0, i;
	double		 step_s;
	char		 num[64];
	const char	*limit = NULL;

	B.ops = &scale_ops;
	pool_init(B.o.n);
	while (held < B.o.n && !interrupted) {
		target = held + B.o.step > B.o.n ? B.o.n : held + B.o.step;
		step_s = open_sessions(held, target, B.o.concurrency,
		    (uint64_t)B.o.timeout * NSEC);
		settle(B.o.warmup);
		if (B.nready > most)
			most = B.nready;
		if (S.nsteps < SCALE_STEPS_MAX) {
			S.held[S.nsteps] = B.nready;
			S.took[S.nsteps++] = step_s;
		}
		fprintf(stderr, "scale: %u sessions held (step to %u took "
		    "%.1f s)\n", B.nready, target, step_s);
		if (B.nready != target || B.nfailed > 0 || S.lost > 0)
			break;
		held = target;
	}
	if (B.nfailed == 0 && S.lost == 0 && held == B.o.n)
		limit = "cap reached (-n)";
	else if (interrupted)
		limit = "interrupted";
	if (B.o.daemon > 0)
		(void)mem_sample(B.o.daemon, &m);
	else
		memset(&m, 0, sizeof(m));

	js_start(&j, "scale");
	js_open(&j, "params");
	js_common_params(&j);
	js_u64(&j, "cap", B.o.n);
	js_u64(&j, "step", B.o.step);
	js_u64(&j, "concurrency", B.o.concurrency);
	js_close(&j);
	js_open(&j, "results");
	/* "ok": the run itself worked; the limit is the finding. */
	js_bool(&j, "ok", most > 0);
	js_u64(&j, "held", most);
	js_u64(&j, "held_at_end", B.nready);
	js_u64(&j, "failed", B.nfailed);
	js_u64(&j, "lost_after_login", S.lost);
	js_num(&j, "elapsed_s", secs(now_ns() - t0));
	if (limit != NULL)
		js_str(&j, "limit", limit);
	else if (B.reasons[0].count > 0)
		js_str(&j, "limit", B.reasons[0].text);
	else
		js_str(&j, "limit", "unknown");
	if (B.o.daemon > 0) {
		js_u64(&j, "workers", m.count[R_WORKER]);
		js_num(&j, "daemon_pss_mib", (double)(m.role[R_MASTER].pss_kb +
		    m.role[R_BROKER].pss_kb + m.role[R_AUTH].pss_kb +
		    m.role[R_WORKER].pss_kb) / 1024);
		js_num(&j, "mem_available_mib", (double)m.mem_available_kb /
		    1024);
	}
	js_reasons(&j);
	/* How long each step took to open: logins/s as the server fills. */
	js_key(&j, "steps");
	js_raw(&j, "[");
	for (i = 0; i < S.nsteps; i++) {
		snprintf(num, sizeof(num), "%s[%u,%.3f]", i ? "," : "",
		    S.held[i], S.took[i]);
		js_raw(&j, num);
	}
	js_raw(&j, "]");
	js_close(&j);
	js_finish(&j);

	fprintf(stderr, "scale: held %u sessions at most; limit: %s\n", most,
	    limit ? limit : B.reasons[0].count ? B.reasons[0].text : "unknown");
	for (i = 0; i < MAX_REASONS && B.reasons[i].count > 0; i++)
		fprintf(stderr, "  %lu x %s\n", B.reasons[i].count,
		    B.reasons[i].text);
	pool_shutdown();
	return most > 0 ? 0 : 1;
}

/* ------------------------------------------------------------ setup */

static void
usage(int full)
{
	fprintf(stderr,
"usage: secchat-bench [-h host] [-p port] -k server_key.pub [-u user_prefix]\n"
"           [-w password] [-U accounts] [-P daemon_pid] [-j json_out]\n"
"           mode [mode options]\n"
"       secchat-bench help\n");
	if (!full)
		exit(2);
	fprintf(stderr, "\n"
"Options before the mode:\n"
"  -h host      server address (127.0.0.1)\n"
"  -p port      server port (9999)\n"
"  -k file      the server's public key file (HOSTKEY.pub); required\n"
"  -u prefix    session i logs in as PREFIXi (bench)\n"
"  -w password  every account's password (bench)\n"
"  -U n         only n accounts: session i logs in as PREFIX(i mod n)\n"
"  -P pid       the daemon's master: CPU time and memory from /proc\n"
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
mode_defaults(struct options *o)
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
	case M_FANOUT:
		o->n = 10;
		break;
	case M_LOGINS:
		o->n = 0;
		o->concurrency = 8;
		o->timeout = 30;
		break;
	case M_MEMORY:
		o->n = 100;
		o->warmup = 2;
		break;
	case M_SCALE:
		o->n = 2000;
		o->timeout = 60;
		break;
	}
}

static void
parse_mode(struct options *o, int argc, char **argv)
{
	const char	*opts;
	int		 ch;

	if (strcmp(argv[0], "fanout") == 0) {
		o->mode = M_FANOUT;
		opts = "+c:d:m:n:q:r:s:t:T:W:";
	} else if (strcmp(argv[0], "logins") == 0) {
		o->mode = M_LOGINS;
		opts = "+c:n:t:T:";
	} else if (strcmp(argv[0], "memory") == 0) {
		o->mode = M_MEMORY;
		opts = "+c:n:T:W:";
	} else if (strcmp(argv[0], "scale") == 0) {
		o->mode = M_SCALE;
		opts = "+c:i:n:T:W:";
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
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);
	if (o->mode == M_FANOUT && o->senders == 0)
		o->senders = o->n;
}

static void
load_server_key(const char *path)
{
	char	*text;
	size_t	 len;

	if ((text = read_small_file(path, KEYFILE_MAX, &len)) == NULL)
		err(1, "%s", path);
	if (keys_parse_public(text, len, B.server_key) == -1)
		errx(1, "%s: not a secchat public key", path);
	free(text);
}

static void
resolve(void)
{
	struct addrinfo	 hints;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(B.o.host, B.o.port, &hints, &B.ai)) != 0)
		errx(1, "%s port %s: %s", B.o.host, B.o.port, gai_strerror(e));
}

/* One descriptor per session: take all the hard limit allows. */
static void
raise_nofile(void)
{
	struct rlimit	 rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
			warn("setrlimit");
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
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
planned_seconds(const struct options *o)
{
	switch (o->mode) {
	case M_FANOUT:
		return o->timeout + o->warmup + o->seconds + o->drain + 10;
	case M_LOGINS:
		return o->seconds + 10;
	case M_MEMORY:
		return o->timeout + o->warmup + 10;
	case M_SCALE:
		return (o->n / o->step + 1) * (o->timeout + o->warmup) + 10;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	const char	*e;
	int		 ch, rc = 1;

	B.o.host = "127.0.0.1";
	B.o.port = "9999";
	B.o.prefix = "bench";
	B.o.password = "bench";
	while ((ch = getopt(argc, argv, "+h:j:k:P:p:U:u:w:")) != -1) {
		switch (ch) {
		case 'h':
			B.o.host = optarg;
			break;
		case 'j':
			B.o.json = optarg;
			break;
		case 'k':
			B.o.keyfile = optarg;
			break;
		case 'P':
			B.o.daemon = (pid_t)strtonum(optarg, 1, INT_MAX, &e);
			if (e != NULL)
				errx(2, "-P %s: %s", optarg, e);
			break;
		case 'p':
			B.o.port = optarg;
			break;
		case 'U':
			B.o.accounts = num_arg(optarg, 1, 1000000, ch);
			break;
		case 'u':
			B.o.prefix = optarg;
			break;
		case 'w':
			B.o.password = optarg;
			break;
		default:
			usage(0);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(0);
	parse_mode(&B.o, argc, argv);
	if (B.o.keyfile == NULL)
		errx(2, "the server's public key (-k) is required");
	if (*B.o.password == '\0' || strlen(B.o.password) > CS_PASSWORD_MAX)
		errx(2, "the password must be 1..%d bytes", CS_PASSWORD_MAX);
	if (strlen(B.o.prefix) + 7 > SECCHAT_NAME_MAX ||
	    !valid_username(B.o.prefix, strlen(B.o.prefix)))
		errx(2, "%s: not usable as a user name prefix", B.o.prefix);

	if (sodium_init() < 0)
		errx(1, "sodium_init failed");
	load_server_key(B.o.keyfile);
	resolve();
	raise_nofile();
	/* One identity key for every session: the server only logs it. */
	randombytes_buf(B.priv, sizeof(B.priv));
	keys_public(B.priv, B.pub);
	if (noise_aesgcm_available())
		B.suites[B.nsuites++] = SUITE_AESGCM;
	B.suites[B.nsuites++] = SUITE_CHACHAPOLY;
	if ((B.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	alarm(planned_seconds(&B.o) + WATCHDOG_SLACK);

	clear_reasons();
	switch (B.o.mode) {
	case M_FANOUT:
		rc = run_fanout();
		break;
	case M_LOGINS:
		rc = run_logins();
		break;
	case M_MEMORY:
		rc = run_memory();
		break;
	case M_SCALE:
		rc = run_scale();
		break;
	}
	sodium_memzero(B.priv, sizeof(B.priv));
	freeaddrinfo(B.ai);
	return rc;
}
