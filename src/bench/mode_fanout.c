/*
 * mode_fanout.c: the fan-out benchmark.
 *
 * Each message's text is "SENDER SEQ T " and padding to -m bytes, where T
 * is CLOCK_MONOTONIC in ns when the message was queued: the receiver, in
 * the same process, reads its latency off the text without any table of
 * what was sent.  Senders start at random phases within one period, so
 * the server sees a steady rate rather than S messages at once.
 *
 * The measurement window starts after -W seconds of warmup and lasts -t;
 * latency counts messages queued in the window, throughput deliveries
 * that arrived in it.  Afterwards up to -d seconds drain what is still in
 * flight; whatever has not arrived by then is missing.
 */
#include "config.h"

#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "session.h"
#include "util.h"

#include "secchat-bench.h"
#include "conn_pool.h"
#include "daemon_stats.h"
#include "histogram.h"
#include "json_line.h"
#include "mode_fanout.h"
#include "stamp.h"

/* The most receiver-sender pairs tracked: 16 bytes each. */
#define MAX_PAIRS	(64UL * 1024 * 1024)

static struct {
	unsigned	 n, s;		/* sessions, senders */
	struct seq_window *pairs;	/* n * s, by receiver then sender */
	uint64_t	*sent;		/* per sender */
	uint64_t	 period;	/* ns between messages; 0: flat out */
	int		 sending;
	uint64_t	 t0, t1;	/* the measurement window */
	uint64_t	 sent_window;	/* messages sent in the window */
	uint64_t	 unique, dup, ooo, foreign, misattributed, echoed;
	uint64_t	 delivered_window;
	uint64_t	 blocked, behind;
	unsigned	 lost;		/* sessions that ended during the run */
	struct histogram lat;
	char		*text;		/* the message being queued */
	/* The run's figures, for the report. */
	struct cpu_sample c0, c1;	/* the window's start and end */
	struct mem_sample m0, m1;	/* before the sessions, after the window */
	double		 setup_s, window_s, drain_s;
	uint64_t	 expected, missing;
} fan;

/*
 * Is user the name of account acct (the prefix, then the number)?  Run
 * for every delivery, so without formatting the name each time.
 */
static int
fanout_user_is(const char *user, unsigned acct)
{
	char		 digits[16];
	size_t		 plen = strlen(bench_opt.prefix), n = 0;

	if (user == NULL || strncmp(user, bench_opt.prefix, plen) != 0)
		return 0;
	do {
		digits[sizeof(digits) - 1 - n++] = (char)('0' + acct % 10);
		acct /= 10;
	} while (acct > 0 && n < sizeof(digits));
	return strlen(user + plen) == n &&
	    memcmp(user + plen, digits + sizeof(digits) - n, n) == 0;
}

static void
fanout_message(struct bench_conn *c, const struct cs_event *ev, uint64_t now)
{
	uint64_t	 sender, seq, ts;
	unsigned	 acct;

	if (ev->text == NULL || stamp_parse(ev->text, &sender, &seq, &ts) ==
	    -1 || sender >= fan.s || ts > now) {
		fan.foreign++;
		return;
	}
	if (sender == c->id) {
		fan.echoed++;
		return;
	}
	acct = bench_opt.accounts ? (unsigned)sender % bench_opt.accounts :
	    (unsigned)sender;
	if (!fanout_user_is(ev->user, acct))
		fan.misattributed++;
	if (now >= fan.t0 && now < fan.t1)
		fan.delivered_window++;
	if (ts >= fan.t0 && ts < fan.t1)
		histogram_add(&fan.lat, now - ts);

	switch (seq_window_note(&fan.pairs[(size_t)c->id * fan.s + sender],
	    seq)) {
	case SEQ_IN_ORDER:
		fan.unique++;
		break;
	case SEQ_LATE:
		fan.ooo++;
		fan.unique++;
		break;
	case SEQ_DUPLICATE:
		fan.dup++;
		break;
	}
}

static void
fanout_closed(struct bench_conn *c)
{
	if (fan.sending || c->failed)
		fan.lost++;
}

static const struct conn_hooks fanout_hooks = {
	.on_message = fanout_message,
	.on_closed = fanout_closed
};

/* ------------------------------------------------------------ sending */

/*
 * Flat out (rate 0), a sender keeps at most -q messages in flight: sent,
 * and not yet seen by one receiver, its observer.  That is as fast as the
 * server delivers, without a backlog that would only measure our queues.
 */
static uint64_t
fanout_acked(const struct bench_conn *c)
{
	unsigned	 observer;

	observer = (unsigned)c->sender == fan.n - 1 ? 0 : fan.n - 1;
	return fan.pairs[(size_t)observer * fan.s + (unsigned)c->sender].next;
}

/* Queue one message from sender c; 0, or -1 if its output is full. */
static int
fanout_say(struct bench_conn *c, uint64_t now)
{
	int	 rc;

	stamp_format(fan.text, bench_opt.size, c->sender, c->seq, now);
	if ((rc = cs_say(c->cs, BENCH_ROOM, fan.text)) != 0) {
		if (rc != CS_E_FULL)
			conn_fail(c, "say: %s", cs_strerror(rc));
		return -1;
	}
	c->seq++;
	fan.sent[c->sender]++;
	if (now >= fan.t0 && now < fan.t1)
		fan.sent_window++;
	return 0;
}

/* Send what is due; returns when something is next due. */
static uint64_t
fanout_send(uint64_t now)
{
	struct bench_conn *c;
	uint64_t	 due = now + POOL_HOUSEKEEPING_NS;
	unsigned	 i;
	int		 queued;

	for (i = 0; i < fan.s; i++) {
		c = &pool.conns[i];
		if (c->phase != CONN_READY)
			continue;
		queued = 0;
		if (fan.period == 0) {
			while (c->seq < fanout_acked(c) + bench_opt.window &&
			    c->phase == CONN_READY && fanout_say(c, now) == 0)
				queued = 1;
		} else {
			if (now >= c->next_send + NS_PER_SEC) {
				/* The bench itself fell a second behind. */
				fan.behind += (now - c->next_send) / fan.period;
				c->next_send = now;
			}
			while (c->next_send <= now && c->phase == CONN_READY) {
				if (fanout_say(c, now) == -1)
					fan.blocked++;
				else
					queued = 1;
				c->next_send += fan.period;
			}
			if (c->next_send < due)
				due = c->next_send;
		}
		if (queued && c->phase == CONN_READY)
			conn_flush(c);
	}
	return due;
}

static uint64_t
fanout_expected(void)
{
	uint64_t	 total = 0;
	unsigned	 i;

	for (i = 0; i < fan.s; i++)
		total += fan.sent[i] * (fan.n - 1);
	return total;
}

/* ------------------------------------------------------------ the run */

/* Warmup and the measurement window, with the daemon's CPU around it. */
static void
fanout_measure(void)
{
	uint64_t	 now, until;
	unsigned	 i;

	/* Senders start at random offsets within one period. */
	now = now_ns();
	for (i = 0; i < fan.s; i++) {
		pool.conns[i].sender = (int)i;
		pool.conns[i].next_send = now + (fan.period ?
		    randombytes_uniform((uint32_t)(fan.period / 1000 + 1)) *
		    1000ULL : 0);
	}
	fan.t0 = now + (uint64_t)bench_opt.warmup * NS_PER_SEC;
	fan.t1 = fan.t0 + (uint64_t)bench_opt.seconds * NS_PER_SEC;
	fan.sending = 1;
	while ((now = now_ns()) < fan.t1 && !bench_interrupted) {
		if (fan.c0.t == 0 && now >= fan.t0)
			(void)sample_daemon_cpu(&fan.c0);
		until = fanout_send(now);
		pool_poll(fan.c0.t == 0 && fan.t0 < until ? fan.t0 : until);
	}
	if (fan.c0.t == 0)		/* interrupted in the warmup */
		(void)sample_daemon_cpu(&fan.c0);
	(void)sample_daemon_cpu(&fan.c1);
	fan.t1 = fan.c1.t;
	fan.window_s = ns_to_s(fan.c1.t - fan.c0.t);
	fan.sending = 0;
}

/* Wait for what is still on its way; what does not come is missing. */
static void
fanout_drain(void)
{
	uint64_t	 t0, until;
	unsigned	 i;

	t0 = now_ns();
	until = t0 + (uint64_t)bench_opt.drain * NS_PER_SEC;
	fan.expected = fanout_expected();
	while (fan.unique < fan.expected && now_ns() < until &&
	    !bench_interrupted) {
		for (i = 0; i < fan.s; i++)	/* flush what is queued */
			if (pool.conns[i].phase == CONN_READY)
				conn_flush(&pool.conns[i]);
		pool_poll(until);
	}
	fan.drain_s = ns_to_s(now_ns() - t0);
	fan.missing = fan.expected > fan.unique ? fan.expected - fan.unique :
	    0;
}

/* Not every session reached the lobby: nothing was measured. */
static void
fanout_report_setup_failed(void)
{
	struct json_line j;

	js_start(&j, "fanout");
	js_open(&j, "params");
	js_target_params(&j);
	js_u64(&j, "sessions", fan.n);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", 0);
	js_str(&j, "failure", "not every session reached the lobby");
	js_u64(&j, "ready", pool.nready);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);
}

static void
fanout_report(void)
{
	struct json_line j;
	double		 offered, window_s = fan.window_s;

	offered = fan.period ? bench_opt.rate * fan.s * (fan.n - 1) :
	    (double)fan.sent_window * (fan.n - 1) / window_s;

	js_start(&j, "fanout");
	js_open(&j, "params");
	js_target_params(&j);
	js_u64(&j, "sessions", fan.n);
	js_u64(&j, "senders", fan.s);
	js_num(&j, "rate", bench_opt.rate);
	if (fan.period == 0)
		js_u64(&j, "window", bench_opt.window);
	js_u64(&j, "seconds", bench_opt.seconds);
	js_u64(&j, "size", bench_opt.size);
	js_u64(&j, "warmup", bench_opt.warmup);
	js_close(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", fan.missing == 0 && fan.dup == 0 && fan.ooo == 0 &&
	    fan.misattributed == 0 && fan.echoed == 0 && fan.lost == 0);
	js_num(&j, "setup_s", fan.setup_s);
	js_num(&j, "window_s", window_s);
	js_num(&j, "drain_s", fan.drain_s);
	js_u64(&j, "sent", fan.sent_window);
	js_u64(&j, "sent_total", fan.expected / (fan.n - 1));
	js_num(&j, "offered_deliveries_per_s", offered);
	js_num(&j, "delivered_per_s", (double)fan.delivered_window /
	    window_s);
	js_u64(&j, "delivered_in_window", fan.delivered_window);
	js_u64(&j, "expected", fan.expected);
	js_u64(&j, "received", fan.unique);
	js_u64(&j, "missing", fan.missing);
	js_u64(&j, "duplicated", fan.dup);
	js_u64(&j, "out_of_order", fan.ooo);
	js_u64(&j, "misattributed", fan.misattributed);
	js_u64(&j, "echoed", fan.echoed);
	js_u64(&j, "foreign", fan.foreign);
	js_u64(&j, "sessions_lost", fan.lost);
	js_u64(&j, "send_blocked", fan.blocked);
	js_u64(&j, "bench_behind", fan.behind);
	js_u64(&j, "server_errors", pool.server_errors);
	js_latency(&j, "latency_ms", &fan.lat);
	js_daemon_cpu(&j, &fan.c0, &fan.c1, "delivery", fan.delivered_window);
	js_server_mem(&j, &fan.m0, &fan.m1, fan.n);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);

	fprintf(stderr, "fanout: %u sessions, %u senders at %s%.3g/s, "
	    "%u-byte messages, %.1f s\n", fan.n, fan.s,
	    fan.period ? "" : "flat out ~", fan.period ? bench_opt.rate :
	    (double)fan.sent_window / window_s / fan.s, bench_opt.size,
	    window_s);
	fprintf(stderr, "  deliveries/s offered %.0f, delivered %.0f\n", offered,
	    (double)fan.delivered_window / window_s);
	fprintf(stderr, "  latency ms p50 %.2f p99 %.2f max %.2f (%llu samples)\n",
	    (double)histogram_percentile(&fan.lat, 0.5) / NS_PER_MSEC,
	    (double)histogram_percentile(&fan.lat, 0.99) / NS_PER_MSEC,
	    (double)fan.lat.max / NS_PER_MSEC,
	    (unsigned long long)fan.lat.count);
	fprintf(stderr, "  missing %llu, duplicated %llu, out of order %llu, "
	    "sessions lost %u\n", (unsigned long long)fan.missing,
	    (unsigned long long)fan.dup, (unsigned long long)fan.ooo, fan.lost);
	print_daemon_cpu(&fan.c0, &fan.c1, "delivery", fan.delivered_window);
	print_fail_reasons();
}

int
run_fanout(void)
{
	fan.n = bench_opt.n;
	fan.s = bench_opt.senders;
	if (fan.n < 2 || fan.s > fan.n || fan.s == 0)
		errx(2, "fanout needs 2 or more sessions and 1..N senders");
	if ((size_t)fan.n * fan.s > MAX_PAIRS)
		errx(2, "too many sessions times senders to track");
	fan.pairs = xcalloc((size_t)fan.n * fan.s, sizeof(*fan.pairs));
	fan.sent = xcalloc(fan.s, sizeof(*fan.sent));
	/* Room for the stamp, even where -m is shorter than it. */
	fan.text = xcalloc(1, bench_opt.size + 64 + 1);
	fan.period = bench_opt.rate > 0 ?
	    (uint64_t)((double)NS_PER_SEC / bench_opt.rate) : 0;
	pool_init(fan.n, &fanout_hooks);

	(void)sample_daemon_memory(&fan.m0);
	fan.setup_s = pool_open_sessions(0, fan.n, bench_opt.concurrency,
	    (uint64_t)bench_opt.timeout * NS_PER_SEC);
	fprintf(stderr, "fanout: %u of %u sessions in the lobby after %.1f s\n",
	    pool.nready, fan.n, fan.setup_s);
	if (pool.nready != fan.n) {
		fanout_report_setup_failed();
		pool_shutdown();
		return 1;
	}
	fanout_measure();
	(void)sample_daemon_memory(&fan.m1);
	fanout_drain();
	fanout_report();
	pool_shutdown();
	return fan.missing == 0 && fan.dup == 0 && fan.ooo == 0 ? 0 : 1;
}
