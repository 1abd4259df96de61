/*
 * tap.h: a minimal Test Anything Protocol producer for the unit tests.
 */
#ifndef SECCHAT_TAP_H
#define SECCHAT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int	tap_n, tap_failed;

static void
tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), unused));

static void
tap_ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void __attribute__((unused))
tap_skip(const char *why, const char *what)
{
	tap_n++;
	printf("ok %d - %s # SKIP %s\n", tap_n, what, why);
	fflush(stdout);
}

static void __attribute__((unused))
tap_diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Print the plan at the end and exit non-zero if anything failed. */
static int __attribute__((unused))
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
