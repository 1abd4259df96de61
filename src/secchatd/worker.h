/*
 * worker.h: one sandboxed process per client connection.
 *
 * It runs the hello, the Noise handshake (asking the master for the one DH
 * with the host key), the record layer, input validation and flood control,
 * and relays validated application messages to and from the broker.
 */
#ifndef SECCHAT_WORKER_H
#define SECCHAT_WORKER_H

/* Entry point of "secchatd -R worker"; fds 3, 4, 5 per ipc.h. */
int	worker_main(int verbose);

#endif
