/*
 * sessions.h: the master's table of sessions, one per connection it let
 * in, each with its sandboxed worker; the worker's requests to the master;
 * and the host key, whose one use is the worker's key agreement.
 */
#ifndef SECCHAT_SESSIONS_H
#define SECCHAT_SESSIONS_H

#include <sys/types.h>
#include <sys/queue.h>
#include <netinet/in.h>

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "admit.h"
#include "ipc.h"
#include "keys.h"
#include "mlog.h"
#include "proto.h"
#include "util.h"

#define MS_BIT(state)	(1U << (state))

enum msession_state {
	MS_PREAUTH,		/* handshake or waiting for AUTH */
	MS_AUTHPENDING,		/* the checker is working on it */
	MS_ACTIVE
};

struct msession {
	TAILQ_ENTRY(msession)	 entry;
	uint32_t		 id;
	pid_t			 pid;
	struct ipc_peer		 chan;
	char			 chan_name[32];
	enum msession_state	 state;
	int			 dh_done;
	unsigned		 seen;		/* mw_requests rows handled */
	unsigned		 tries;
	uint32_t		 auth_req;
	char			 addr[INET6_ADDRSTRLEN];
	char			 source[ADMIT_SOURCE_MAX];	/* net block */
	char			 peer[PEER_NAME_MAX];
	char			 user[SECCHAT_NAME_MAX + 1];
	char			 fpr[FINGERPRINT_LEN];
	char			 reason[128];
	uint64_t		 start_ms;
	time_t			 since;		/* accepted, wall clock */
	uint8_t			 suite;		/* the worker's word; 0 */
	int			 extended;	/* SUITE: protocol section 11 */
	uint8_t			 key[KEY_LEN];	/* the client's static key */
	unsigned		 methods_done;	/* AUTH_M_* that succeeded */
	int			 pw_refused;	/* its methods allow no AUTH */
	int			 killed;
	int			 worker_reason;	/* the worker gave it */
	struct logquota		 logq;
};

/* Load the host key, or make one if there is none (fatal on error). */
void	 msessions_load_host_key(void);
void	 msessions_wipe_host_key(void);

unsigned msessions_count(void);
/* Sessions not logged in yet, for MaxStartups. */
unsigned msessions_startups(void);
/* Sessions from one address, for MaxSessionsPerSource. */
unsigned msessions_from(const char *addr);
/* Logged-in sessions of one user, for MaxSessionsPerUser. */
unsigned msessions_of_user(const char *user);
struct msession *msession_by_id(uint32_t);
/* The session after s (the first if s is NULL), or NULL. */
struct msession *msession_next(struct msession *);

/*
 * A connection that was let in gets a session and its worker, which is
 * handed cfd.  Returns NULL when cfd has been taken care of (a failure to
 * start the worker is logged, and the connection closed), or the reason to
 * refuse it with: cfd is then still the caller's.
 */
const char *msession_new(int cfd, const char *addr, const char *source,
	    const char *peer);
/* Kill the worker: the session ends when it is reaped. */
void	 msession_kill(struct msession *, const char *why);
/* Ask the worker to close, with a reason for its client. */
void	 msession_shutdown(struct msession *, const char *reason);
/*
 * The master ends the session: its client is told reason, and the log
 * says why when the worker is reaped.
 */
void	 msession_end(struct msession *, const char *reason, const char *why);
void	 msessions_shutdown_all(const char *reason);
void	 msessions_kill_all(void);
/* Logged in: tell the broker, which believes only the master. */
void	 msession_activate(struct msession *);
/*
 * A key login's proof (protocol section 11.3), checked with the host
 * private key: 1 if it is right, 0 if not.
 */
int	 msessions_key_proof_ok(const uint8_t key[KEY_LEN],
	    const uint8_t hs2[KEY_LEN], const char *user,
	    const uint8_t proof[KEY_LEN]);

/* 1 if pid was a worker (its session is logged and freed). */
int	 msession_reaped(pid_t, int status);
/* Cut off workers that outlive the login grace time. */
void	 msessions_check_grace(uint64_t now_ms);

/* poll() entries: msessions_count() of them. */
void	 msessions_pollfd(struct pollfd *);
/* The events on the entries msessions_pollfd filled. */
void	 msessions_handle(const struct pollfd *);
void	 msessions_flush(void);
#ifdef SECCHAT_TEST_HOOKS
void	 msessions_set_last_id(uint32_t);
#endif

#endif
