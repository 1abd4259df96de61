/*
 * mode_scale.c: how many sessions the daemon holds.  Each step opens -i
 * more sessions and then holds all of them for -W seconds, so that a
 * limit that bites only after login (a worker that dies, the broker
 * dropping sessions) shows up as a lost session rather than passing
 * unnoticed.  The first step that does not fully succeed ends the run;
 * its most common reason is the finding.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "secchat-bench.h"
#include "conn_pool.h"
#include "daemon_stats.h"
#include "json_line.h"
#include "mode_scale.h"

#define SCALE_STEPS_MAX	256	/* steps listed in the result */

static struct {
	unsigned	 lost;		/* held sessions that ended */
	unsigned	 nsteps;
	unsigned	 held[SCALE_STEPS_MAX];
	double		 took[SCALE_STEPS_MAX];	/* seconds to open the step */
} scale;

static void
scale_closed(struct bench_conn *c)
{
	if (c->t_login != 0)
		scale.lost++;
}

static const struct conn_hooks scale_hooks = {
	.on_closed = scale_closed
};

/* limit: why the run stopped, or NULL to name the first failure. */
static void
scale_report(uint64_t t0, unsigned most, const char *limit)
{
	struct mem_sample m;
	struct json_line j;
	char		 num[64];
	unsigned	 i;

	if (limit == NULL && (limit = pool_first_fail_reason()) == NULL)
		limit = "unknown";
	if (bench_opt.daemon > 0)
		(void)sample_daemon_memory(&m);
	else
		memset(&m, 0, sizeof(m));

	js_start(&j, "scale");
	js_open(&j, "params");
	js_target_params(&j);
	js_u64(&j, "cap", bench_opt.n);
	js_u64(&j, "step", bench_opt.step);
	js_u64(&j, "concurrency", bench_opt.concurrency);
	js_close(&j);
	js_open(&j, "results");
	/* "ok": the run itself worked; the limit is the finding. */
	js_bool(&j, "ok", most > 0);
	js_u64(&j, "held", most);
	js_u64(&j, "held_at_end", pool.nready);
	js_u64(&j, "failed", pool.nfailed);
	js_u64(&j, "lost_after_login", scale.lost);
	js_num(&j, "elapsed_s", ns_to_s(now_ns() - t0));
	js_str(&j, "limit", limit);
	if (bench_opt.daemon > 0) {
		js_u64(&j, "workers", m.count[DAEMON_WORKER]);
		js_num(&j, "daemon_pss_mib",
		    (double)(m.role[DAEMON_MASTER].pss_kb +
		    m.role[DAEMON_BROKER].pss_kb + m.role[DAEMON_AUTH].pss_kb +
		    m.role[DAEMON_WORKER].pss_kb) / 1024);
		js_num(&j, "mem_available_mib", (double)m.mem_available_kb /
		    1024);
	}
	js_fail_reasons(&j);
	/* How long each step took to open: logins/s as the server fills. */
	js_key(&j, "steps");
	js_raw(&j, "[");
	for (i = 0; i < scale.nsteps; i++) {
		snprintf(num, sizeof(num), "%s[%u,%.3f]", i ? "," : "",
		    scale.held[i], scale.took[i]);
		js_raw(&j, num);
	}
	js_raw(&j, "]");
	js_close(&j);
	js_finish(&j, bench_opt.json);

	fprintf(stderr, "scale: held %u sessions at most; limit: %s\n", most,
	    limit);
	print_fail_reasons();
}

int
run_scale(void)
{
	uint64_t	 t0 = now_ns();
	unsigned	 held = 0, target, most = 0;
	double		 step_s;
	const char	*limit = NULL;

	pool_init(bench_opt.n, &scale_hooks);
	while (held < bench_opt.n && !bench_interrupted) {
		target = held + bench_opt.step > bench_opt.n ? bench_opt.n :
		    held + bench_opt.step;
		step_s = pool_open_sessions(held, target,
		    bench_opt.concurrency,
		    (uint64_t)bench_opt.timeout * NS_PER_SEC);
		pool_settle(bench_opt.warmup);
		if (pool.nready > most)
			most = pool.nready;
		if (scale.nsteps < SCALE_STEPS_MAX) {
			scale.held[scale.nsteps] = pool.nready;
			scale.took[scale.nsteps++] = step_s;
		}
		fprintf(stderr, "scale: %u sessions held (step to %u took "
		    "%.1f s)\n", pool.nready, target, step_s);
		if (pool.nready != target || pool.nfailed > 0 || scale.lost > 0)
			break;
		held = target;
	}
	if (pool.nfailed == 0 && scale.lost == 0 && held == bench_opt.n)
		limit = "cap reached (-n)";
	else if (bench_interrupted)
		limit = "interrupted";
	scale_report(t0, most, limit);
	pool_shutdown();
	return most > 0 ? 0 : 1;
}
