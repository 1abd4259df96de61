/*
 * mlog.c: the master's log quotas, and the lines its children send it
 * (mlog.h).
 */
#include "config.h"

#include <stdint.h>
#include <syslog.h>

#include "ipc.h"
#include "log.h"
#include "mlog.h"
#include "util.h"
#include "wire.h"

struct logquota	 mlog_connq;

int
mlog_allowed(struct logquota *q, const char *who, unsigned limit)
{
	uint64_t	 now = mono_ms();

	if (now - q->window_ms >= 1000) {
		if (q->dropped > 0)
			log_warnx("%s: %u log lines suppressed", who,
			    q->dropped);
		q->window_ms = now;
		q->lines = 0;
		q->dropped = 0;
	}
	if (q->lines >= limit) {
		q->dropped++;
		return 0;
	}
	q->lines++;
	return 1;
}

void
mlog_from_child(const char *who, struct logquota *q, const struct ipc_msg *im)
{
	struct reader	 r;
	const uint8_t	*s;
	size_t		 len;
	uint8_t		 pri;
	char		 line[1024];

	if (!mlog_allowed(q, who, MLOG_CHILD_BURST))
		return;
	rd_init(&r, im->data, im->len);
	pri = rd_u8(&r);
	s = rd_str(&r, &len);
	if (rd_done(&r) == -1 || len >= sizeof(line))
		return;
	/* A child's line is data: only printable UTF-8 reaches the log. */
	printable_text(line, sizeof(line), s, len);
	if (pri <= LOG_ERR)
		log_warnx("%s: %s", who, line);
	else if (pri >= LOG_DEBUG)
		log_debug("%s: %s", who, line);
	else
		log_info("%s: %s", who, line);
}
