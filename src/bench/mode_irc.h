/*
 * mode_irc.h: "secchat-bench irc": the fan-out load of mode_fanout.h
 * against an IRC server over TLS: N clients in one channel, the first S
 * each sending -r PRIVMSGs a second, every delivery checked and timed the
 * same way, and with -P the server's CPU time per delivery and memory.
 * Built only with OpenSSL (configure --with-openssl).
 */
#ifndef SECCHAT_BENCH_MODE_IRC_H
#define SECCHAT_BENCH_MODE_IRC_H

/* Prints the result; 0 if nothing was missing, duplicated or reordered. */
int	run_irc(void);

#endif
