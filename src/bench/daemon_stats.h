/*
 * daemon_stats.h: what the daemon under test costs, read from /proc: the
 * CPU time and the memory of its master and every descendant, by role.
 * The processes are found by their parent ids, from the master's pid
 * (-P), so nothing in the daemon has to cooperate.
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
};

/* 0, or -1 if root is 0 or not a process (then only t, machine, bench). */
int	sample_daemon_cpu(pid_t root, struct cpu_sample *);
/* 0, or -1 if root is 0 or not a process (then only mem_available_kb). */
int	sample_daemon_memory(pid_t root, struct mem_sample *);

/*
 * The daemon's CPU between two samples, as the members "bench_cpu_s" and
 * "server_cpu" (with "per_PER_us": CPU per unit of count), and as a line
 * for people on stderr.
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
