/*
 * client.h: the terminal client's state, which its files share.
 *
 * secchat.c runs the poll loop over the server socket, standard input and
 * signals.  client.c connects, reports (the exit status, messages from
 * secchat itself) and says goodbye; login.c holds the identity, the
 * prompts and the answers to the login; hostcheck.c decides about the
 * server's key; events.c shows what the server sends; rooms.c keeps the
 * rooms we are in; commands.c turns typed lines into requests; input.c
 * reads them from the terminal or a pipe.
 */
#ifndef SECCHAT_CLIENT_H
#define SECCHAT_CLIENT_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>

#include "e2e_client.h"
#include "hostcheck.h"
#include "keys.h"
#include "options.h"
#include "peers.h"
#include "session.h"
#include "util.h"

#define CLOSE_TIMEOUT_MS	20000	/* silence after our BYE */
#define MAX_ROOMS		256
/*
 * A PING after every PING_EVERY requests: its PONG shows that the server
 * has read them (it reads at its flood rate, secchatd.conf(5)).  Pipe mode
 * reads no more input while PINGS_OUT_MAX are unanswered, so that at the
 * end of input only a few requests wait to be read and the wait for the
 * server's close (CLOSE_TIMEOUT_MS of silence) always sees progress.
 */
#define PING_EVERY		8
#define PINGS_OUT_MAX		2
#define HELD_MAX		100	/* lines typed while disconnected */
#define UNCONFIRMED_MAX		16
#define RECONNECT_FIRST_MS	1000	/* then doubling, with jitter */
#define RECONNECT_MAX_MS	60000

struct chatlog;

struct client {
	struct options	*o;
	char		 addr[NI_MAXHOST];	/* the address we reached */
	struct hostcheck hc;
	struct csession	*cs;
	int		 fd;
	int		 interactive;
	/* Until login, for connecting again (wiped then). */
	uint8_t		 priv[KEY_LEN], pub[KEY_LEN];
	int		 have_login;		/* the user name */
	int		 have_password;
	int		 key_refused;		/* AUTH_KEY got AUTH_FAIL */
	int		 more_seen;		/* AUTH_KEY got AUTH_MORE */
	char		 password[CS_PASSWORD_MAX + 2];
	int		 password_from_tty;
	int		 prompted;		/* a person answered on this
						   connection */
	int		 reconnects;
	int		 login_timeout;		/* the server said so */
	char		 user[SECCHAT_NAME_MAX + 1];
	int		 status;		/* exit status so far */
	int		 status_set;
	int		 ready;			/* logged in */
	int		 quitting;		/* we said BYE */
	uint64_t	 deadline;		/* mono ms, 0: none */
	uint64_t	 slow_note_at;		/* mono ms, 0: none */
	uint64_t	 auth_retry_at;		/* mono ms, 0: none */
	unsigned	 busy_answers;		/* "server busy" to our AUTH */
	unsigned long	 failures;		/* requests not sent, refused */
	/* Our PINGs (see PING_EVERY). */
	unsigned int	 since_ping;
	unsigned int	 pings_out;
	uint64_t	 ping_token;
	/* End-to-end messages (e2e_client.c) and the pins they use. */
	struct peers	 pins;
	const char	*pins_path;
	struct e2ec	 e2e;
	int		 e2e_ready;		/* e2e is set up */
	/* Rooms (rooms.c). */
	char		 current[SECCHAT_NAME_MAX + 1];
	char		 rooms[MAX_ROOMS][SECCHAT_NAME_MAX + 1];
	size_t		 nrooms;
	/* Reconnecting (client.c): the rooms to join again, and when. */
	int		 was_ready;		/* logged in once */
	int		 down;			/* no connection: waiting */
	int		 no_reconnect;		/* the server's BYE forbids */
	int		 stop_now;		/* leave without a goodbye */
	int		 rejoining;		/* until rejoin_token's PONG */
	uint64_t	 rejoin_token;
	uint64_t	 reconnect_at;		/* mono ms */
	unsigned int	 backoff_ms;
	unsigned int	 attempts;
	char		 rejoin[MAX_ROOMS][SECCHAT_NAME_MAX + 1];
	size_t		 nrejoin;
	char		 rejoin_current[SECCHAT_NAME_MAX + 1];
	/* Lines typed while disconnected, sent once logged in again. */
	char		*held[HELD_MAX];
	size_t		 nheld;
	/* Lines sent but not yet confirmed by a PONG (interactive). */
	struct {
		char	*text;
		uint64_t token;
	}		 unconfirmed[UNCONFIRMED_MAX];
	size_t		 nunconfirmed;
	/* Keepalive (ServerAliveInterval) and the lag it measures. */
	uint64_t	 alive_at;		/* mono ms: PING if silent */
	unsigned int	 alive_out;		/* PINGs unanswered */
	uint64_t	 lag_token;
	uint64_t	 lag_sent_at;		/* mono ms */
	long		 lag_ms;		/* -1: not measured */
	/* Conversation logs (chatlog.c), or NULL. */
	struct chatlog	*log;
	/* Standard input in pipe mode (input.c). */
	int		 stdin_open;
	int		 stdin_eof;
	char		*inbuf;
	size_t		 inlen;
	int		 skipping;		/* dropping an over-long line */
	unsigned long	 lineno;
};

/* The exit status, unless one is set already. */
void	 client_set_status(struct client *, int status);
/* A status that overrides whatever was set before. */
void	 client_force_status(struct client *, int status);
/*
 * A message from secchat itself: above the input line on the terminal,
 * else (and always if the client is NULL) on stderr, made safe either way.
 */
void	 client_note(const struct client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* A request that is not sent, and why: it counts as a failure. */
void	 client_refuse(struct client *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* How long the hello and the handshake may take. */
int	 client_hello_timeout_ms(const struct client *);
/* Connect (exits if no address answers) and start a session. */
void	 client_connect(struct client *);
/* Connect again with the login we have; -1 if not (again). */
int	 client_reconnect(struct client *, const char *why);

/*
 * Reconnecting after a loss (secchat(1) RECONNECTING).  Whether a loss
 * now would be followed by connecting again: logged in once, not
 * leaving, Reconnect not "no" (by default only at the terminal), and not
 * after a failed login, a refused host key or a kick.
 */
int	 client_reconnect_enabled(const struct client *);
int	 client_will_reconnect(const struct client *);
/* The server said BYE with this reason (a kick forbids reconnecting). */
void	 client_server_bye(struct client *, const char *reason);
/*
 * The connection is over (the session finished or timed out): 1 if a
 * reconnect is scheduled (c->down), 0 if secchat should end.
 */
int	 client_connection_over(struct client *);
/* The time to reconnect has come. */
void	 client_try_reconnect(struct client *);
/* Logged in again: join the rooms, send the held lines. */
void	 client_logged_in_again(struct client *);
/*
 * A finished line at the terminal: 1 if the client took it (held while
 * disconnected, or /quit then), 0 to run it now.
 */
int	 client_hold_line(struct client *, const char *line);
/* After running a typed line: remember it until the server confirms. */
void	 client_line_done(struct client *, const char *line,
	    unsigned long failures_before);
/* PONG, and the answer to a request of ours that failed. */
void	 client_pong(struct client *, uint64_t token);
void	 client_server_error(struct client *, unsigned int code);
/* Keepalive: whether the server has been silent long enough, and do. */
void	 client_alive_check(struct client *);
void	 client_data_received(struct client *);
/* The last PING's round trip in ms, or -1 if none was measured. */
long	 client_lag_ms(const struct client *);
/* Say goodbye, and wait for the server to close. */
void	 client_leave(struct client *, const char *reason);
/*
 * Send what the end-to-end manager asks, show what it says, and write
 * known_peers when the pins changed.
 */
void	 client_e2e_pump(struct client *);
/* After a prompt failed: exit if an interrupt was the cause. */
void	 client_check_interrupted(void);

#endif
