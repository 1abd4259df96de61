/*
 * conf.h: secchatd.conf, in the style of sshd_config(5).
 *
 * One "Keyword value" per line; keywords are case-insensitive; '#' starts a
 * comment; values may be quoted with double quotes.  secchatd.conf(5)
 * documents every keyword.
 */
#ifndef SECCHAT_CONF_H
#define SECCHAT_CONF_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CONFIG_MAX_LISTEN	16
#define CONFIG_FILE_MAX		(1024 * 1024)
#define CONFIG_PATH_MAX		1024
#define CONFIG_SOCKET_PATH_MAX	108	/* sizeof(sun_path) on Linux */

/*
 * AuthenticationMethods: each list a set of methods that together log a
 * user in; one list done is enough.  A list is a mask of AUTH_M_*.
 */
#define AUTH_M_PASSWORD		0x01
#define AUTH_M_PUBLICKEY	0x02
#define CONFIG_AUTH_LISTS	3	/* distinct non-empty sets of two */
#define CONFIG_MATCH_MAX	32	/* Match User blocks */
#define CONFIG_MATCH_NAMES_MAX	512	/* "alice,bob,...", with its NUL */

struct auth_methods {
	uint8_t	 list[CONFIG_AUTH_LISTS];
	uint8_t	 n;
};

/* "Match User NAME[,NAME...]": what it may hold (AuthenticationMethods). */
struct config_match {
	char			users[CONFIG_MATCH_NAMES_MAX];
	struct auth_methods	methods;	/* n == 0: not given here */
};

/* NodeName and RedisKeyPrefix: [A-Za-z0-9._-], at most this many bytes. */
#define CONFIG_NODE_NAME_MAX	64

struct listen_addr {
	char	host[256];	/* numeric address or name */
	char	port[16];	/* empty: use Port */
};

struct config {
	/* Network */
	struct listen_addr listen[CONFIG_MAX_LISTEN];	/* ListenAddress */
	int		nlisten;
	char		port[16];			/* Port (9999) */
	/* Files */
	char		hostkey[CONFIG_PATH_MAX];	/* HostKey */
	char		usersfile[CONFIG_PATH_MAX];	/* UsersFile */
	char		pidfile[CONFIG_PATH_MAX];	/* PidFile ("none" = off) */
	/* ControlSocket ("none" = off); a Unix socket's path is shorter. */
	char		control_socket[CONFIG_SOCKET_PATH_MAX];
	/* Privilege separation */
	char		privsep_user[64];		/* PrivsepUser */
	char		privsep_dir[CONFIG_PATH_MAX];	/* PrivsepDirectory */
	/* Crypto: suite ids in the server's order of preference */
	uint8_t		suites[4];			/* Ciphers */
	int		nsuites;
	/* Limits */
	unsigned	login_grace;		/* LoginGraceTime, s (30) */
	unsigned	max_auth_tries;		/* MaxAuthTries (3) */
	unsigned	max_sessions;		/* MaxSessions (1024) */
	unsigned	max_per_source;		/* MaxSessionsPerSource (32) */
	unsigned	max_per_user;		/* MaxSessionsPerUser (16) */
	unsigned	max_message;		/* MaxMessageLength, bytes (4096) */
	unsigned	max_rooms;		/* MaxRoomsPerSession (32) */
	unsigned	flood_burst;		/* FloodBurst, messages (20) */
	unsigned	flood_rate;		/* FloodRate, messages/s (2) */
	unsigned	send_queue;		/* SendQueueSize, bytes (1 MiB) */
	unsigned	history;		/* HistoryLength (50; 0 = off) */
	unsigned	history_bytes;		/* HistoryBytes, all rooms (64 MiB) */
	unsigned	room_history_bytes;	/* RoomHistoryBytes (256 KiB) */
	unsigned	alive_interval;		/* ClientAliveInterval, s (120) */
	unsigned	alive_timeout;		/* ClientAliveTimeout, s (30) */
	unsigned	auth_fail_limit;	/* MaxAuthFailuresPerSource (10) */
	unsigned	auth_fail_window;	/* AuthFailureWindow, s (300) */
	unsigned	max_auth_pending;	/* MaxAuthPending (64) */
	unsigned	max_auth_pending_source; /* MaxAuthPendingPerSource (4) */
	unsigned	startups[3];		/* MaxStartups start:rate:full */
	unsigned	conn_rate[2];		/* PerSourceConnectionRate r:burst */
	unsigned	netblock[2];		/* PerSourceNetBlockSize v4:v6 */
	/* Engine: where rooms, presence and history live (doc/scaling.md) */
	char		engine[8];		/* Engine: "memory" or "redis" */
	/* RedisAddress: a Unix socket's absolute path, or host:port */
	char		redis_address[CONFIG_PATH_MAX];
	char		redis_password_file[CONFIG_PATH_MAX];	/* or "none" */
	char		node_name[CONFIG_NODE_NAME_MAX + 1];	/* NodeName */
	char		redis_prefix[CONFIG_NODE_NAME_MAX + 1];	/* RedisKeyPrefix */
	char		redis_startup[8];	/* RedisStartup: "retry", "fail" */
	/* Logging */
	int		log_verbose;		/* LogLevel: 0 INFO, 1 DEBUG */
	/* Login */
	struct auth_methods auth_methods;	/* AuthenticationMethods */
	struct config_match match[CONFIG_MATCH_MAX];	/* in file order */
	int		nmatch;
};

/* Fill in the built-in defaults. */
void	config_defaults(struct config *);
/*
 * Parse a configuration held in buf (fuzzed).  filename is used in
 * messages only.  On error returns -1 with err as "FILE:LINE: message".
 */
int	config_parse(struct config *, const char *buf, size_t len,
	    const char *filename, char *err, size_t errlen);
/* Defaults, then the file.  A missing file is an error. */
int	config_load(struct config *, const char *path, char *err, size_t errlen);
/* A suite id's name as Ciphers spells it, or "unknown". */
const char *config_cipher_name(uint8_t suite);
/* Print the effective configuration, one keyword per line (-T). */
void	config_print(const struct config *, FILE *);
/*
 * The AuthenticationMethods for user: those of the first Match User block
 * that names the user and gives them, else the global ones.
 */
const struct auth_methods *config_auth_methods(const struct config *,
	    const char *user);
/*
 * What the methods done so far (a mask of AUTH_M_*) are worth: 1 when
 * they complete a list, 0 when they are part of one (*more gets what that
 * list still needs), -1 when no list has them all.
 */
int	config_auth_done(const struct auth_methods *, unsigned done,
	    unsigned *more);

#endif
