/*
 * log.c: logging to syslog or stderr, in the OpenBSD daemon style.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

static int		 log_stderr = 1;
static int		 log_verbose;
static const char	*log_procname = "";
static log_sink_fn	 log_sink;

static void	vlog(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
static void	vlog_errno(int, const char *, va_list)
		    __attribute__((format(printf, 2, 0)));

void
log_init(int to_stderr, int verbose, const char *ident)
{
	log_stderr = to_stderr;
	log_verbose = verbose;
	if (!to_stderr)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	tzset();
}

void
log_setproc(const char *name)
{
	log_procname = name;
}

void
log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
}

void
log_setverbose(int v)
{
	log_verbose = v;
}

int
log_getverbose(void)
{
	return log_verbose;
}

static void
vlog(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_sink != NULL)
		log_sink(pri, msg);	/* the master adds who said it */
	else if (log_stderr) {
		if (*log_procname)
			fprintf(stderr, "%s: %s\n", log_procname, msg);
		else
			fprintf(stderr, "%s\n", msg);
		fflush(stderr);
	} else if (*log_procname)
		syslog(pri, "%s: %s", log_procname, msg);
	else
		syslog(pri, "%s", msg);
	errno = saved;
}

static void
vlog_errno(int pri, const char *fmt, va_list ap)
{
	char	 msg[1024];
	int	 saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	errno = saved;
	log_warnx("%s: %s", msg, strerror(saved));
	(void)pri;
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog_errno(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap);
	va_end(ap);
	exit(1);
}
