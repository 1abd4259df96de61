/*
 * daemon_stats.h: what the daemon under test costs, read from /proc: the
 * CPU time and the memory of its master and every descendant, by role.
 * The processes are found by their parent ids, from the masters' pids
 * (-P, one per node, summed), so nothing in the daemon has to cooperate.
 * The -X processes (a Redis the nodes share) are measured apart.
 */
#ifndef SECCHAT_BENCH_DAEMON_STATS_H
#define SECCHAT_BENCH_DAEMON_STATS_H

#include <sys/types.h>

#include <stdint.h>

struct json_line;

/* A process's role, from its command line (secchatd sets the titles). */
enum daemon_role {
	DAEMON_MASTER,
	DAEMON_BROKER,
	DAEMON_AUTH,
	DAEMON_WORKER,
	DAEMON_OTHER,
	DAEMON_NROLES
};

/*
 * CPU time at one moment.  Two samples give a window's cost; nprocs 0
 * means the daemon's processes were not measured (no -P, or it had gone),
 * but the time, the machine's and the bench's own CPU still are.
 */
struct cpu_sample {
	uint64_t	 role_ns[DAEMON_NROLES];
	uint64_t	 reaped_ns;	/* exited children, via their parents */
	uint64_t	 total_ns;
	unsigned	 nprocs;
	uint64_t	 t;		/* when, ns */
	uint64_t	 machine_ns;	/* every CPU's busy time (/proc/stat) */
	double		 bench_s;	/* our own CPU time */
	uint64_t	 extra_ns;	/* the -X processes' */
	unsigned	 nextra;
};

struct mem_usage {
	uint64_t	 rss_kb, pss_kb, private_kb;
};

struct mem_sample {
	struct mem_usage role[DAEMON_NROLES];	/* sums */
	unsigned	 count[DAEMON_NROLES];
	struct mem_usage wmin, wmax;		/* over workers */
	unsigned	 unreadable;		/* sandboxed, if not root */
	uint64_t	 mem_available_kb;	/* the machine's */
	struct mem_usage extra;			/* the -X processes' */
	unsigned	 nextra;
};

/*
 * Of every -P daemon and the -X processes.  0, or -1 if no -P daemon is
 * there (then only t, machine, bench and the -X processes).
 */
int	sample_daemon_cpu(struct cpu_sample *);
/* The same; -1 leaves mem_available_kb and the -X processes. */
int	sample_daemon_memory(struct mem_sample *);

/*
 * The daemon's CPU between two samples, as the members "bench_cpu_s" and
 * "server_cpu" (with "per_PER_us": CPU per unit of count; with -X also
 * "extra_s" and "per_PER_with_extra_us"), and as a line for people on
 * stderr.
 */
void	js_daemon_cpu(struct json_line *, const struct cpu_sample *,
	    const struct cpu_sample *, const char *per, uint64_t count);
void	print_daemon_cpu(const struct cpu_sample *, const struct cpu_sample *,
	    const char *per, uint64_t count);
/* An object of the mean RSS, PSS and private memory of n processes. */
void	js_mem_usage(struct json_line *, const char *key,
	    const struct mem_usage *, unsigned n);
/*
 * The object "server_mem": the PSS of all the server's processes before
 * the sessions opened and after, and the growth per session (under load,
 * buffers included: memory mode measures idle sessions).
 */
void	js_server_mem(struct json_line *, const struct mem_sample *before,
	    const struct mem_sample *after, unsigned sessions);
#endif
