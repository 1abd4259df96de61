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
