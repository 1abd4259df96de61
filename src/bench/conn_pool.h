/*
 * conn_pool.h: the bench's client sessions.  Each speaks the real protocol
 * through the client's own protocol engine (session.h): hello, Noise XX
 * with the server's key pinned (-k), so no session stops to ask about it,
 * AUTH, then records; the server puts each session in the lobby and says
 * so with the lobby's NAMES.  One epoll loop drives all of them.  A mode
 * sees a session only when it logs in, reaches the lobby, receives a
 * MESSAGE or ends (struct conn_hooks), and otherwise steers the pool
 * through the functions below.
 *
 * Every session that ends badly is counted once, with a short reason; the
 * first few distinct reasons are kept, to be reported as "errors".
 */
#ifndef SECCHAT_BENCH_CONN_POOL_H
#define SECCHAT_BENCH_CONN_POOL_H

#include <stdint.h>

#include "secchat-bench.h"

#define CONN_REASON_LEN		160
#define POOL_MAX_REASONS	16
/* Deadlines and "busy" retries are checked this often, not every event. */
#define POOL_HOUSEKEEPING_NS	(20 * NS_PER_MSEC)

struct csession;
struct cs_event;
struct json_line;

enum conn_phase {
	CONN_FREE,		/* slot unused */
	CONN_CONNECTING,	/* TCP connect in progress */
	CONN_LOGIN,		/* hello, handshake, AUTH */
	CONN_JOINING,		/* logged in, waiting for the lobby's NAMES */
	CONN_READY,		/* in the lobby */
	CONN_LEAVING,		/* BYE sent, waiting for the server to close */
	CONN_CLOSED
};

struct bench_conn {
	int		 fd;
	unsigned	 id;		/* index in the pool */
	unsigned	 user;		/* account number */
	enum conn_phase	 phase;
	struct csession	*cs;
	int		 pollout;	/* EPOLLOUT registered */
	int		 failed;
	uint64_t	 t_open;	/* ns */
	uint64_t	 t_login;	/* ns, AUTH_OK */
	uint64_t	 deadline;	/* ns; 0: none */
	uint64_t	 retry_at;	/* ns; send AUTH again ("busy") */
	char		 bye[CONN_REASON_LEN];	/* the server's BYE reason */
	/* fanout senders */
	int		 sender;	/* index, or -1 */
	uint64_t	 seq;		/* messages sent */
	uint64_t	 next_send;	/* ns */
};

/* What a mode hears of its sessions; any hook may be NULL. */
struct conn_hooks {
	void	(*on_login)(struct bench_conn *);	/* AUTH_OK */
	void	(*on_ready)(struct bench_conn *);	/* in the lobby */
	/* now: when the bytes that carried it were read. */
	void	(*on_message)(struct bench_conn *, const struct cs_event *,
		    uint64_t now);
	void	(*on_closed)(struct bench_conn *);	/* failed or not */
};

struct conn_fail_reason {
	char		 text[CONN_REASON_LEN];
	unsigned long	 count;
};

struct conn_pool {
	struct bench_conn *conns;
	unsigned	 nconns;
	const struct conn_hooks *hooks;
	/* tallies */
	unsigned	 nopen;		/* slots not FREE or CLOSED */
	unsigned	 nlogin;	/* CONNECTING or LOGIN or JOINING */
	unsigned	 nready;
	unsigned long	 nfailed;
	unsigned long	 busy_retries;
	unsigned long	 server_errors;
	char		 server_error[CONN_REASON_LEN];
	struct conn_fail_reason reasons[POOL_MAX_REASONS];
	unsigned long	 other_reasons;
};

extern struct conn_pool	 pool;

/*
 * Once, before any mode: the server's key and address, the descriptor
 * limit, the sessions' shared identity and cipher suites, the epoll set.
 * Exits on any error.
 */
void	pool_setup(void);
void	pool_teardown(void);

/* n free slots, whose sessions report to hooks. */
void	pool_init(unsigned n, const struct conn_hooks *hooks);
/*
 * Open the sessions in slots [first, end), at most conc logging in at a
 * time, and wait until each is in the lobby or has failed, or timeout_ns
 * passes.  Returns the seconds it took.
 */
double	pool_open_sessions(unsigned first, unsigned end, unsigned conc,
	    uint64_t timeout_ns);
/* Wait for and handle socket events, at most until the time until. */
void	pool_poll(uint64_t until);
/* Let the sessions sit for s seconds, answering whatever comes. */
void	pool_settle(unsigned s);
/* BYE to every open session; wait (bounded) for the server to close them. */
void	pool_shutdown(void);

/* Open a session for account user in slot c: connect, queue the hello. */
int	conn_open(struct bench_conn *c, unsigned user, uint64_t timeout_ns);
/* Write what the session has queued, as far as the socket takes it. */
void	conn_flush(struct bench_conn *);
/* Say goodbye; the server closes and the session ends cleanly. */
void	conn_leave(struct bench_conn *);
/* The session failed: count why, and close it. */
void	conn_fail(struct bench_conn *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * Count a failure of a session the pool does not drive (the IRC mode's):
 * reported with the pool's own, by the functions below.
 */
void	pool_note_failure(const char *text);

/* The parameters every result carries: server, port, suite, daemon. */
void	js_target_params(struct json_line *);
/* The object "errors": each reason sessions ended badly, and how often. */
void	js_fail_reasons(struct json_line *);
/* The same on stderr, one "  COUNT x REASON" line each. */
void	print_fail_reasons(void);
/* The first reason a session failed for, or NULL if none did. */
const char *pool_first_fail_reason(void);

#endif
