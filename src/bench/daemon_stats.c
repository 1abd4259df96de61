/*
 * daemon_stats.c: the daemon's CPU time and memory, from /proc.
 *
 * CPU: the sum over each listed master (-P) and all its descendants of
 * /proc/PID/schedstat (stat's utime and stime where the kernel keeps no
 * schedstat), plus each one's cutime and cstime, which is where processes
 * that exited during the window show up once their parent has waited for
 * them.  Memory: smaps_rollup of each process.  Several masters (the
 * nodes of a cluster) are summed as one server; the -X processes (the
 * Redis the nodes share) are summed apart, so the server's own figures
 * keep their meaning and the cluster's cost is their sum.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secchat-bench.h"
#include "daemon_stats.h"
#include "json_line.h"

/* JSON keys of each role's CPU seconds. */
static const char *const role_cpu_keys[DAEMON_NROLES] = {
	"master_s", "broker_s", "auth_s", "workers_s", "other_s"
};

struct proc_entry {
	pid_t		 pid, ppid;
	enum daemon_role role;
	uint64_t	 cpu_ns;	/* user + system, this process */
	uint64_t	 reaped_ns;	/* its waited-for children's */
	unsigned	 nthreads;
};

/* The daemon's processes, by pid. */
struct proc_tree {
	struct proc_entry *p;
	size_t		 n;
};

static double
rusage_secs(const struct rusage *ru)
{
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_stime.tv_sec +
	    (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1e6;
}

static int
proc_cmp(const void *a, const void *b)
{
	const struct proc_entry *x = a, *y = b;

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
 * hold spaces and parentheses: ppid is field 4, utime..cstime 14..17,
 * num_threads 20.
 */
static int
proc_stat(pid_t pid, pid_t *ppid, uint64_t ticks[4], unsigned *nthreads)
{
	char		 buf[1024], *p, *end;
	unsigned long long v;
	int		 field;

	if (proc_read(pid, "stat", buf, sizeof(buf)) <= 0 ||
	    (p = strrchr(buf, ')')) == NULL)
		return -1;
	p++;
	for (field = 3; field <= 20; field++) {
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
		else if (field >= 14 && field <= 17)
			ticks[field - 14] = v;
		else if (field == 20)
			*nthreads = v > UINT_MAX ? UINT_MAX : (unsigned)v;
	}
	return 0;
}

static uint64_t
ticks_ns(uint64_t ticks)
{
	static long	 hz;

	if (hz <= 0 && (hz = sysconf(_SC_CLK_TCK)) <= 0)
		hz = 100;
	return ticks * (NS_PER_SEC / (uint64_t)hz);
}

/*
 * The process's CPU time from schedstat, in ns, if the kernel keeps it:
 * stat counts in ticks of 10 ms, too coarse for hundreds of workers.
 */
static int
schedstat_ns(const char *path, uint64_t *ns)
{
	char			 buf[128], *end;
	unsigned long long	 v;

	if (read_text(path, buf, sizeof(buf)) <= 0)
		return -1;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (end == buf || errno != 0)
		return -1;
	*ns = v;
	return 0;
}

/*
 * /proc/PID/schedstat is the main thread's alone: a threaded server (the
 * IRC servers the bench compares with may be) is the sum over its tasks.
 */
static uint64_t
proc_cpu_ns(pid_t pid, unsigned nthreads, uint64_t fallback)
{
	char		 path[96];
	struct dirent	*de;
	DIR		*d;
	uint64_t	 ns, sum = 0;
	const char	*e;
	long long	 tid;

	if (nthreads > 1) {
		snprintf(path, sizeof(path), "/proc/%ld/task", (long)pid);
		if ((d = opendir(path)) == NULL)
			return fallback;
		while ((de = readdir(d)) != NULL) {
			tid = strtonum(de->d_name, 1, INT_MAX, &e);
			if (e != NULL)
				continue;
			snprintf(path, sizeof(path),
			    "/proc/%ld/task/%lld/schedstat", (long)pid, tid);
			if (schedstat_ns(path, &ns) == -1) {
				closedir(d);
				return fallback;
			}
			sum += ns;
		}
		closedir(d);
		return sum;
	}
	snprintf(path, sizeof(path), "/proc/%ld/schedstat", (long)pid);
	return schedstat_ns(path, &ns) == 0 ? ns : fallback;
}

static int
pid_listed(pid_t pid, const pid_t *roots, unsigned nroots)
{
	unsigned	 i;

	for (i = 0; i < nroots; i++)
		if (roots[i] == pid)
			return 1;
	return 0;
}

static enum daemon_role
proc_role(pid_t pid, const pid_t *roots, unsigned nroots)
{
	char	 cmd[512];
	ssize_t	 n, i;

	if (pid_listed(pid, roots, nroots))
		return DAEMON_MASTER;
	if ((n = proc_read(pid, "cmdline", cmd, sizeof(cmd))) <= 0)
		return DAEMON_OTHER;
	for (i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	if (strstr(cmd, "worker") != NULL)
		return DAEMON_WORKER;
	if (strstr(cmd, "broker") != NULL)
		return DAEMON_BROKER;
	if (strstr(cmd, "auth") != NULL)
		return DAEMON_AUTH;
	return DAEMON_OTHER;
}

static int
proc_in(const struct proc_tree *t, size_t nsorted, pid_t pid)
{
	struct proc_entry	 key;

	key.pid = pid;
	return bsearch(&key, t->p, nsorted, sizeof(*t->p), proc_cmp) != NULL;
}

/*
 * The roots and all their descendants, found by their parent ids.
 * Processes that have exited are not in /proc; their CPU time shows in
 * their parent's cutime and cstime once the parent has waited for them.
 * -1 if none of the roots is there.
 */
static int
proc_tree_collect(const pid_t *roots, unsigned nroots, struct proc_tree *t)
{
	struct proc_entry *all = NULL;
	size_t		 nall = 0, cap = 0, i, nsorted;
	struct dirent	*de;
	DIR		*d;
	uint64_t	 ticks[4];
	pid_t		 pid, ppid;
	unsigned	 nthreads;
	int		 grew;
	const char	*e;

	memset(t, 0, sizeof(*t));
	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		pid = (pid_t)strtonum(de->d_name, 1, INT_MAX, &e);
		nthreads = 1;
		if (e != NULL || proc_stat(pid, &ppid, ticks, &nthreads) == -1)
			continue;
		if (nall == cap) {
			cap = cap ? cap * 2 : 1024;
			if ((all = reallocarray(all, cap, sizeof(*all))) ==
			    NULL)
				err(1, "reallocarray");
		}
		all[nall].pid = pid;
		all[nall].ppid = ppid;
		all[nall].cpu_ns = ticks_ns(ticks[0] + ticks[1]);
		all[nall].reaped_ns = ticks_ns(ticks[2] + ticks[3]);
		all[nall].nthreads = nthreads;
		nall++;
	}
	closedir(d);

	t->p = xcalloc(nall + 1, sizeof(*t->p));
	for (i = 0; i < nall; i++)
		if (pid_listed(all[i].pid, roots, nroots))
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
			if (all[i].pid == 0 ||
			    !proc_in(t, nsorted, all[i].ppid) ||
			    proc_in(t, nsorted, all[i].pid))
				continue;
			t->p[t->n++] = all[i];
			all[i].pid = 0;
			grew = 1;
		}
	} while (grew);
	free(all);
	for (i = 0; i < t->n; i++)
		t->p[i].role = proc_role(t->p[i].pid, roots, nroots);
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

int
sample_daemon_cpu(struct cpu_sample *s)
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
	if (bench_opt.nextras > 0 && proc_tree_collect(bench_opt.extras,
	    bench_opt.nextras, &t) == 0) {
		for (i = 0; i < t.n; i++) {
			s->extra_ns += proc_cpu_ns(t.p[i].pid,
			    t.p[i].nthreads, t.p[i].cpu_ns) +
			    t.p[i].reaped_ns;
			s->nextra++;
		}
		proc_tree_free(&t);
	}
	if (bench_opt.ndaemons == 0 || proc_tree_collect(bench_opt.daemons,
	    bench_opt.ndaemons, &t) == -1)
		return -1;
	for (i = 0; i < t.n; i++) {
		ns = proc_cpu_ns(t.p[i].pid, t.p[i].nthreads, t.p[i].cpu_ns);
		s->role_ns[t.p[i].role] += ns;
		s->reaped_ns += t.p[i].reaped_ns;
		s->total_ns += ns + t.p[i].reaped_ns;
		s->nprocs++;
	}
	proc_tree_free(&t);
	return 0;
}

void
js_daemon_cpu(struct json_line *j, const struct cpu_sample *a,
    const struct cpu_sample *b, const char *per, uint64_t count)
{
	char	 key[64];
	double	 wall = ns_to_s(b->t - a->t), total, extra;
	int	 r;

	js_num(j, "bench_cpu_s", b->bench_s - a->bench_s);
	js_open(j, "server_cpu");
	/* Without -P, neither sample found any process. */
	if (a->nprocs == 0 || b->nprocs == 0) {
		js_bool(j, "measured", 0);
		js_close(j);
		return;
	}
	total = ns_to_s(b->total_ns - a->total_ns);
	js_num(j, "total_s", total);
	for (r = 0; r < DAEMON_NROLES; r++)
		js_num(j, role_cpu_keys[r], ns_to_s(b->role_ns[r] -
		    a->role_ns[r]));
	js_num(j, "reaped_children_s", ns_to_s(b->reaped_ns - a->reaped_ns));
	js_num(j, "cores_busy", wall > 0 ? total / wall : 0);
	js_u64(j, "processes", b->nprocs);
	if (wall > 0 && b->machine_ns > a->machine_ns) {
		js_num(j, "machine_cores_busy", ns_to_s(b->machine_ns -
		    a->machine_ns) / wall);
		/* The -X processes are the server's, not the others'. */
		js_num(j, "others_cores_busy", (ns_to_s(b->machine_ns -
		    a->machine_ns) - total - ns_to_s(b->extra_ns -
		    a->extra_ns) - (b->bench_s - a->bench_s)) / wall);
	}
	if (per != NULL) {
		snprintf(key, sizeof(key), "per_%s_us", per);
		js_num(j, key, count ? total * 1e6 / (double)count : 0);
	}
	/* Only with several: a single daemon's line stays as it was. */
	if (bench_opt.ndaemons > 1)
		js_u64(j, "daemons", bench_opt.ndaemons);
	/* The shared processes (-X), and the whole cluster's cost. */
	if (a->nextra > 0 && b->nextra > 0) {
		extra = ns_to_s(b->extra_ns - a->extra_ns);
		js_num(j, "extra_s", extra);
		js_u64(j, "extra_processes", b->nextra);
		js_num(j, "with_extra_s", total + extra);
		if (per != NULL) {
			snprintf(key, sizeof(key), "per_%s_with_extra_us",
			    per);
			js_num(j, key, count ? (total + extra) * 1e6 /
			    (double)count : 0);
		}
	}
	js_close(j);
}

void
print_daemon_cpu(const struct cpu_sample *a, const struct cpu_sample *b,
    const char *per, uint64_t count)
{
	double	 wall = ns_to_s(b->t - a->t), total, machine, bench;

	if (wall <= 0)
		return;
	bench = b->bench_s - a->bench_s;
	machine = ns_to_s(b->machine_ns - a->machine_ns);
	if (a->nprocs == 0 || b->nprocs == 0) {
		fprintf(stderr, "  bench CPU %.2f s\n", bench);
		return;
	}
	total = ns_to_s(b->total_ns - a->total_ns);
	fprintf(stderr, "  server CPU %.2f s (%.2f cores), %.2f us per %s; "
	    "bench %.2f cores, others %.2f cores\n", total, total / wall,
	    count ? total * 1e6 / (double)count : 0, per, bench / wall,
	    (machine - total - ns_to_s(b->extra_ns - a->extra_ns) - bench) /
	    wall);
	if (a->nextra > 0 && b->nextra > 0)
		fprintf(stderr, "  with the -X processes: %.2f s more, %.2f "
		    "us per %s in all\n", ns_to_s(b->extra_ns - a->extra_ns),
		    count ? (total + ns_to_s(b->extra_ns - a->extra_ns)) *
		    1e6 / (double)count : 0, per);
}

/* Rss, Pss and private memory of one process, in KiB. */
static int
proc_mem(pid_t pid, struct mem_usage *m)
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

int
sample_daemon_memory(struct mem_sample *s)
{
	struct proc_tree t;
	struct mem_usage m;
	size_t		 i;
	enum daemon_role r;

	memset(s, 0, sizeof(*s));
	s->mem_available_kb = mem_available_kb();
	if (bench_opt.nextras > 0 && proc_tree_collect(bench_opt.extras,
	    bench_opt.nextras, &t) == 0) {
		for (i = 0; i < t.n; i++) {
			if (proc_mem(t.p[i].pid, &m) == 0) {
				s->extra.rss_kb += m.rss_kb;
				s->extra.pss_kb += m.pss_kb;
				s->extra.private_kb += m.private_kb;
				s->nextra++;
			}
		}
		proc_tree_free(&t);
	}
	if (bench_opt.ndaemons == 0 || proc_tree_collect(bench_opt.daemons,
	    bench_opt.ndaemons, &t) == -1)
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
		if (r == DAEMON_WORKER) {
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

void
js_mem_usage(struct json_line *j, const char *key, const struct mem_usage *m,
    unsigned n)
{
	js_open(j, key);
	js_num(j, "rss_kib", n ? (double)m->rss_kb / n : 0);
	js_num(j, "pss_kib", n ? (double)m->pss_kb / n : 0);
	js_num(j, "private_kib", n ? (double)m->private_kb / n : 0);
	js_close(j);
}


void
js_server_mem(struct json_line *j, const struct mem_sample *before,
    const struct mem_sample *after, unsigned sessions)
{
	uint64_t	 pss0 = 0, pss1 = 0, rss1 = 0;
	unsigned	 nprocs = 0;
	int		 r;

	js_open(j, "server_mem");
	for (r = 0; r < DAEMON_NROLES; r++) {
		pss0 += before->role[r].pss_kb;
		pss1 += after->role[r].pss_kb;
		rss1 += after->role[r].rss_kb;
		nprocs += after->count[r];
	}
	if (nprocs == 0) {
		js_bool(j, "measured", 0);
		js_close(j);
		return;
	}
	js_u64(j, "processes", nprocs);
	js_u64(j, "unreadable", after->unreadable);
	js_u64(j, "pss_kib_before", pss0);
	js_u64(j, "pss_kib", pss1);
	js_u64(j, "rss_kib", rss1);
	js_num(j, "pss_kib_per_session", sessions ?
	    ((double)pss1 - (double)pss0) / sessions : 0);
	if (bench_opt.ndaemons > 1)
		js_u64(j, "daemons", bench_opt.ndaemons);
	if (before->nextra > 0 && after->nextra > 0) {
		js_u64(j, "extra_pss_kib_before", before->extra.pss_kb);
		js_u64(j, "extra_pss_kib", after->extra.pss_kb);
		js_u64(j, "extra_rss_kib", after->extra.rss_kb);
	}
	js_close(j);
}
