/*
 * log.h: logging in the OpenBSD daemon style.
 *
 * Detached daemons log to syslog(LOG_DAEMON); in the foreground (-d) to
 * stderr.  Never pass a password, a key or message text to these.
 */
#ifndef SECCHAT_LOG_H
#define SECCHAT_LOG_H

#include <stdarg.h>

void	log_init(int to_stderr, int verbose, const char *ident);
void	log_setproc(const char *);	/* role prefix, e.g. "worker" */
/*
 * Sandboxed children cannot reach syslog: they hand each line to a sink
 * that passes it to the master (IMSG_M_LOG), which logs it for them.
 */
typedef void (*log_sink_fn)(int priority, const char *line);
void	log_set_sink(log_sink_fn);
void	log_setverbose(int);
int	log_getverbose(void);
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
