/*
 * mode_logins.c: the login benchmark.  Each slot of the pool is one login
 * in flight; as soon as a session ends, cleanly or not, its slot starts
 * the next with the next account, so the server always has -c logins to
 * work on.  A login's cost to the daemon is mostly the worker it starts
 * and that then exits, so its CPU shows up as the master's reaped
 * children (daemon_stats.h).
 */
#include "config.h"

#include <stdio.h>

#include "secchat-bench.h"
#include "conn_pool.h"
#include "daemon_stats.h"
#include "histogram.h"
#include "json_line.h"
#include "mode_logins.h"

static struct {
	struct histogram lat;		/* connect to AUTH_OK */
	uint64_t	 t0, t1;
	uint64_t	 logins;	/* AUTH_OK within the window */
	uint64_t	 cycles;	/* closed cleanly after BYE */
	unsigned	 next_user;
} logins;

static void
logins_login(struct bench_conn *c)
{
	if (c->t_login >= logins.t0 && c->t_login < logins.t1) {
		logins.logins++;
		histogram_add(&logins.lat, c->t_login - c->t_open);
	}
	conn_leave(c);
}

static void
logins_closed(struct bench_conn *c)
{
	if (!c->failed && c->t_login != 0)
		logins.cycles++;
}

static const struct conn_hooks logins_hooks = {
	.on_login = logins_login,
	.on_closed = logins_closed
};

static void
logins_report(const struct cpu_sample *c0, const struct cpu_sample *c1,
    unsigned users)
{
	struct json_line j;
	double		 window_s = ns_to_s(c1->t - c0->t);

	js_start(&j, "logins");
	js_open(&j, "params");
	js_target_params(&j);
	js_u64(&j, "concurrency", bench_opt.concurrency);
	js_u64(&j, "accounts", users);
	js_u64(&j, "seconds", bench_opt.seconds);
	js_str(&j, "user_prefix", bench_opt.prefix);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", pool.nfailed == 0 && logins.logins > 0);
	js_num(&j, "window_s", window_s);
	js_u64(&j, "logins", logins.logins);
	js_num(&j, "logins_per_s", (double)logins.logins / window_s);
	js_u64(&j, "cycles", logins.cycles);
	js_u64(&j, "failed", pool.nfailed);
	js_u64(&j, "busy_retries", pool.busy_retries);
	js_latency(&j, "latency_ms", &logins.lat);
	js_daemon_cpu(&j, c0, c1, "login", logins.logins);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);

	fprintf(stderr, "logins: %u at a time, prefix \"%s\": %llu logins in "
	    "%.1f s = %.1f/s\n", bench_opt.concurrency, bench_opt.prefix,
	    (unsigned long long)logins.logins, window_s,
	    (double)logins.logins / window_s);
	fprintf(stderr, "  latency ms p50 %.2f p99 %.2f max %.2f; failed %lu, "
	    "busy retries %lu\n",
	    (double)histogram_percentile(&logins.lat, 0.5) / NS_PER_MSEC,
	    (double)histogram_percentile(&logins.lat, 0.99) / NS_PER_MSEC,
	    (double)logins.lat.max / NS_PER_MSEC,
	    pool.nfailed, pool.busy_retries);
	print_daemon_cpu(c0, c1, "login", logins.logins);
	print_fail_reasons();
}

int
run_logins(void)
{
	struct cpu_sample c0, c1;
	uint64_t	 timeout = (uint64_t)bench_opt.timeout * NS_PER_SEC;
	unsigned	 i, users;

	pool_init(bench_opt.concurrency, &logins_hooks);
	users = bench_opt.n ? bench_opt.n : bench_opt.concurrency;
	(void)sample_daemon_cpu(&c0);
	logins.t0 = c0.t;
	logins.t1 = logins.t0 + (uint64_t)bench_opt.seconds * NS_PER_SEC;
	while (now_ns() < logins.t1 && !bench_interrupted) {
		for (i = 0; i < pool.nconns; i++) {
			if (pool.conns[i].phase != CONN_FREE &&
			    pool.conns[i].phase != CONN_CLOSED)
				continue;
			(void)conn_open(&pool.conns[i],
			    logins.next_user++ % users, timeout);
		}
		pool_poll(logins.t1);
	}
	(void)sample_daemon_cpu(&c1);
	/* Logins still in flight end here, outside the window. */
	pool_shutdown();
	logins_report(&c0, &c1, users);
	return pool.nfailed == 0 && logins.logins > 0 ? 0 : 1;
}
