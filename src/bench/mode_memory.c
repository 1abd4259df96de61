/*
 * mode_memory.c: what an idle session costs the daemon in memory.  A
 * worker belongs to one session, so its PSS counts whole; the broker and
 * the master serve every session, so only their growth between before
 * and after counts, shared out over the sessions held.  PSS rather than
 * RSS, because the workers share their program's and libraries' pages.
 */
#include "config.h"

#include <err.h>
#include <stdio.h>

#include "secchat-bench.h"
#include "conn_pool.h"
#include "daemon_stats.h"
#include "json_line.h"
#include "mode_memory.h"

/* Idle sessions: nothing to hear. */
static const struct conn_hooks idle_hooks;

static void
memory_report(const struct mem_sample *m0, const struct mem_sample *m1,
    double setup_s, int ok)
{
	struct json_line j;
	double		 broker_d, master_d, per;
	unsigned	 n = bench_opt.n, nw = m1->count[DAEMON_WORKER];
	unsigned	 held = pool.nready ? pool.nready : 1;

	broker_d = ((double)m1->role[DAEMON_BROKER].pss_kb -
	    (double)m0->role[DAEMON_BROKER].pss_kb) / held;
	master_d = ((double)m1->role[DAEMON_MASTER].pss_kb -
	    (double)m0->role[DAEMON_MASTER].pss_kb) / held;
	per = (nw ? (double)m1->role[DAEMON_WORKER].pss_kb / nw : 0) +
	    broker_d + master_d;

	js_start(&j, "memory");
	js_open(&j, "params");
	js_target_params(&j);
	js_u64(&j, "sessions", n);
	js_u64(&j, "settle_s", bench_opt.warmup);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", ok);
	js_num(&j, "setup_s", setup_s);
	js_u64(&j, "ready", pool.nready);
	js_u64(&j, "workers", nw);
	js_u64(&j, "unreadable", m1->unreadable);
	js_mem_usage(&j, "worker_mean", &m1->role[DAEMON_WORKER], nw);
	js_mem_usage(&j, "worker_min", &m1->wmin, nw ? 1 : 0);
	js_mem_usage(&j, "worker_max", &m1->wmax, nw ? 1 : 0);
	js_mem_usage(&j, "broker", &m1->role[DAEMON_BROKER], 1);
	js_mem_usage(&j, "master", &m1->role[DAEMON_MASTER], 1);
	js_mem_usage(&j, "auth", &m1->role[DAEMON_AUTH], 1);
	js_mem_usage(&j, "broker_before", &m0->role[DAEMON_BROKER], 1);
	js_mem_usage(&j, "master_before", &m0->role[DAEMON_MASTER], 1);
	js_num(&j, "broker_pss_kib_per_session", broker_d);
	js_num(&j, "master_pss_kib_per_session", master_d);
	js_num(&j, "pss_kib_per_session", per);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);

	fprintf(stderr, "memory: %u idle sessions (%u workers)\n", pool.nready,
	    nw);
	if (m1->unreadable > 0)
		fprintf(stderr, "  cannot read the memory of %u of the daemon's "
		    "processes (sandboxed processes need root)\n",
		    m1->unreadable);
	if (nw > 0)
		fprintf(stderr, "  worker mean RSS %.0f KiB, PSS %.0f KiB "
		    "(min %llu, max %llu)\n",
		    (double)m1->role[DAEMON_WORKER].rss_kb / nw,
		    (double)m1->role[DAEMON_WORKER].pss_kb / nw,
		    (unsigned long long)m1->wmin.pss_kb,
		    (unsigned long long)m1->wmax.pss_kb);
	fprintf(stderr, "  broker RSS %llu PSS %llu KiB (+%.1f KiB/session), "
	    "master RSS %llu PSS %llu KiB (+%.1f KiB/session)\n",
	    (unsigned long long)m1->role[DAEMON_BROKER].rss_kb,
	    (unsigned long long)m1->role[DAEMON_BROKER].pss_kb, broker_d,
	    (unsigned long long)m1->role[DAEMON_MASTER].rss_kb,
	    (unsigned long long)m1->role[DAEMON_MASTER].pss_kb, master_d);
	fprintf(stderr, "  PSS per idle session, all processes: %.0f KiB\n",
	    per);
}

int
run_memory(void)
{
	struct mem_sample m0, m1;
	double		 setup_s;
	unsigned	 n = bench_opt.n;
	int		 ok;

	if (bench_opt.daemon <= 0)
		errx(2, "memory needs the daemon's pid (-P)");
	pool_init(n, &idle_hooks);
	if (sample_daemon_memory(&m0) == -1)
		errx(1, "no process %ld", (long)bench_opt.daemon);
	setup_s = pool_open_sessions(0, n, bench_opt.concurrency,
	    (uint64_t)bench_opt.timeout * NS_PER_SEC);
	/* Workers free their buffers once they have been quiet a while. */
	pool_settle(bench_opt.warmup);
	if (sample_daemon_memory(&m1) == -1)
		errx(1, "the daemon (%ld) went away", (long)bench_opt.daemon);
	ok = pool.nready == n && m1.count[DAEMON_WORKER] == n &&
	    m1.unreadable == 0;
	memory_report(&m0, &m1, setup_s, ok);
	pool_shutdown();
	return ok ? 0 : 1;
}
