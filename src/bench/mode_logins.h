/*
 * mode_logins.h: "secchat-bench logins": -c sessions at a time connect,
 * do the hello and the handshake, log in, say BYE and wait for the
 * server to close, again and again for -t seconds.  Measures logins per
 * second, the latency from connect() to AUTH_OK and, with -P, the
 * daemon's CPU per login.
 */
#ifndef SECCHAT_BENCH_MODE_LOGINS_H
#define SECCHAT_BENCH_MODE_LOGINS_H

/* Prints the result; 0 if there were logins and none failed. */
int	run_logins(void);

#endif
