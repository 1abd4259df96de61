/*
 * listeners.h: the master's listening sockets: bind, accept, admission of
 * each new connection, refusals, and the refused sockets left to linger
 * until the client has read why.
 */
#ifndef SECCHAT_LISTENERS_H
#define SECCHAT_LISTENERS_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

/* Bind every ListenAddress (fatal on error). */
void	listeners_bind(void);
/* The descriptors the listeners and lingering sockets may hold at most. */
size_t	listeners_fd_overhead(void);
/* The configuration changed (start, SIGHUP). */
void	listeners_configure(void);
/* poll() entries: listeners_npollfd() of them. */
size_t	listeners_npollfd(void);
/* Fill them; 1 if accepting now (not resting after EMFILE). */
int	listeners_pollfd(struct pollfd *);
void	listeners_handle(const struct pollfd *);
/* Close the lingering sockets whose time is up. */
void	listeners_expire(uint64_t now_ms);

#endif
