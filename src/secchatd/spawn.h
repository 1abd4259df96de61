/*
 * spawn.h: how the master starts a child process in a role (a worker, the
 * broker, the password checker), and what it does with the children's
 * standard error.
 */
#ifndef SECCHAT_SPAWN_H
#define SECCHAT_SPAWN_H

#include <sys/types.h>

#include <stddef.h>

/* Opens /dev/null and the children's stderr pipe (fatal on failure). */
void	spawn_init(void);
/*
 * Fork and re-execute ourselves as "secchatd -R role".  fds[i] (at most 4)
 * becomes descriptor CHILD_FD_FIRST + i in the child.  Returns the pid, or
 * -1 (logged).
 */
pid_t	spawn_child(const char *role, const int *fds, int nfds);
/* The read end of the children's stderr, for poll(). */
int	spawn_stderr_fd(void);
/* Log what the children wrote to stderr, a line at a time. */
void	spawn_read_stderr(void);
/* "exited with status N", "killed by signal N", for the log. */
void	spawn_exit_text(int status, char *buf, size_t len);

#endif
