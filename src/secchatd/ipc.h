/*
 * ipc.h: typed, length-checked messages between secchatd's processes over
 * Unix-domain stream sockets, with descriptor passing.
 *
 * A message is a 12-byte header (payload length, type, flags, session id,
 * all big-endian) and the payload.  Payloads are at most IPC_MAX_PAYLOAD
 * bytes.  What each type carries, who may send it to whom and with what
 * descriptor is the one table in ipc_table.c, which ipc_get enforces on
 * channels that know their roles; in which state a type is allowed is
 * each receiver's dispatch table.
 */
#ifndef SECCHAT_IPC_H
#define SECCHAT_IPC_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define IPC_HDRLEN		12
#define IPC_MAX_PAYLOAD		(70 * 1024)
#define IPC_MAX_FDS		8	/* received and not yet claimed */
#define IPC_MAX_SENDFDS		128	/* queued to send */

/* The fixed descriptors of a re-executed child process. */
#define CHILD_FD_FIRST		3	/* worker: client socket; others: master */
#define WORKER_FD_CLIENT	3
#define WORKER_FD_MASTER	4
#define WORKER_FD_BROKER	5
#define BROKER_FD_MASTER	3
#define AUTHD_FD_MASTER		3

enum ipc_type {
	/* master -> worker */
	IMSG_W_INIT = 1,	/* struct worker_init */
	IMSG_W_DH_RESULT,	/* 32 bytes, or empty on failure */
	IMSG_W_AUTH_FAIL,	/* u8 tries left, u8 final, str reason */
	IMSG_W_SHUTDOWN,	/* str reason */
	IMSG_W_AUTH_MORE,	/* str methods still needed ("password") */
	/* worker -> master */
	IMSG_M_DH = 20,		/* 32-byte client ephemeral public key (once) */
	IMSG_M_AUTH,		/* 32-byte client static key, str user, str pw */
	IMSG_M_LOG,		/* u8 priority, str text */
	IMSG_M_CLOSING,		/* str reason, for the log */
	IMSG_M_SUITE,		/* u8 suite, u8 1 if extended (section 11) */
	IMSG_M_AUTH_KEY,	/* 32 static key, 32 hs2, 32 proof, str user */
	/* master -> broker */
	IMSG_B_INIT = 40,	/* struct broker_init */
	IMSG_B_SESSION,		/* fd: the session's broker socket; empty */
	IMSG_B_LOGIN,		/* str user, 32 identity key, u8 CHAT_ID_* */
	IMSG_B_SHUTDOWN,	/* str reason */
	IMSG_B_PING,		/* u32 token: answer with IMSG_M_BROKER_PONG */
	IMSG_B_STATS,		/* u32 token: answer with rows, then STATS_END */
	IMSG_B_NOTICE,		/* str text for every logged-in session */
	IMSG_B_ENROLLED_RESET,	/* empty: the enrolled keys follow */
	IMSG_B_ENROLLED,	/* str user, 32-byte key */
	IMSG_B_REDIS,		/* u8 REDIS_ROLE_*; fd: a Redis connection */
	/* broker -> master */
	IMSG_M_KICK = 60,	/* str reason: close this session */
	IMSG_M_BROKER_READY,	/* empty */
	IMSG_M_BROKER_PONG,	/* u32 token of the IMSG_B_PING answered */
	IMSG_M_SESSION_STATS,	/* u32 token, u32 idle s, str rooms */
	IMSG_M_STATS_END,	/* struct broker_stats */
	IMSG_M_REDIS_WANTED,	/* empty: the Redis connections were lost */
	/* worker -> broker */
	IMSG_B_APP = 80,	/* one client application message, validated */
	/* broker -> worker */
	IMSG_W_LOGGED_IN = 100,	/* str user: send AUTH_OK */
	IMSG_W_APP,		/* one server application message to seal */
	/* master -> authd */
	IMSG_A_INIT = 120,	/* empty; fd: the users file */
	IMSG_A_CHECK,		/* u32 request, str user, str password */
	IMSG_A_RELOAD,		/* fd: the users file */
	IMSG_A_PING,		/* u32 token: answer with IMSG_M_AUTHD_PONG */
	IMSG_A_ACCOUNTS,	/* u32 request, str user names, '\n' between */
	/* authd -> master */
	IMSG_M_RESULT = 140,	/* u32 request, u8 1 = match */
	IMSG_M_RELOADED,	/* u8 1 = ok, str error or number of users */
	IMSG_M_AUTHD_PONG,	/* u32 token of the IMSG_A_PING answered */
	IMSG_M_ACCOUNTS,	/* u32 request, str removed, str locked */
	IMSG_M_ENROLLED_RESET,	/* empty: the enrolled keys follow */
	IMSG_M_ENROLLED		/* str user, 32-byte key */
};

struct ipc_msg {
	uint32_t	 len;
	uint16_t	 type;
	uint16_t	 flags;
	uint32_t	 session;
	const uint8_t	*data;	/* points into the peer's input buffer */
	int		 fd;	/* a descriptor that came with it, or -1 */
};

struct ipc_fdq {
	int	 fd;
	size_t	 at;	/* stream offset of the message it rides with */
};

struct ipc_peer {
	int		 fd;
	const char	*name;		/* "broker", "worker 12", for logs */
	struct buf	 in, out;
	/* descriptors to send: each rides with the first byte of its message */
	struct ipc_fdq	 sendfds[IPC_MAX_SENDFDS];
	int		 nsendfds;
	size_t		 sent;		/* stream offset of buf_head(&out) */
	/* descriptors received and not yet claimed by a message */
	int		 recvfds[IPC_MAX_FDS];
	int		 nrecvfds;
	size_t		 held;		/* bytes of the message handed out */
	size_t		 rchunk;	/* bytes to make room for per read */
	int		 maxrecvfds;	/* descriptors this peer may send us */
	unsigned	 self_role, peer_role;	/* enum ipc_role; 0: unchecked */
	const char	*refused;	/* why ipc_get refused a message */
	int		 eof;
};

void	ipc_init(struct ipc_peer *, int fd, const char *name, size_t outmax);
/* Peers that only ever send small messages read in small chunks. */
void	ipc_set_read_chunk(struct ipc_peer *, size_t);
/*
 * Descriptors the peer may send, held at once (at most IPC_MAX_FDS).  The
 * default is none: a descriptor from a peer that has no business sending
 * one is closed at once and the read fails, so a less privileged process
 * cannot park descriptors in a more privileged one.
 */
void	ipc_accept_fds(struct ipc_peer *, int);
/*
 * The channel's two ends (enum ipc_role in ipc_table.h): from then on
 * ipc_get checks every message against the one table of messages and
 * returns -1, with p->refused saying why, for one that breaks it.
 */
void	ipc_set_roles(struct ipc_peer *, unsigned self, unsigned peer);
void	ipc_clear(struct ipc_peer *);	/* closes fd and unclaimed fds */
/* Free the buffers if nothing is queued either way (they regrow). */
void	ipc_trim(struct ipc_peer *);
/* Queue a message; fd (or -1) is passed with it.  -1 if the queue is full. */
int	ipc_compose(struct ipc_peer *, uint16_t type, uint32_t session, int fd,
	    const void *data, size_t len);
/* Queue a message built from parts (e.g. header fields and a string). */
int	ipc_composev(struct ipc_peer *, uint16_t type, uint32_t session,
	    const struct buf *payload);
int	ipc_pending(const struct ipc_peer *);	/* bytes waiting to be sent */
/* Write as much as the socket takes; -1 on a fatal error. */
int	ipc_flush(struct ipc_peer *);
/* Write everything, blocking in poll(); -1 on error. */
int	ipc_flush_all(struct ipc_peer *);
/* Read what the socket has; 0 on EOF (sets eof), -1 on error, else 1. */
int	ipc_read(struct ipc_peer *);
/*
 * Take the next whole message from the input.  Returns 1 and fills msg,
 * 0 if no whole message is buffered, -1 if the stream is malformed
 * (oversized length, bad flags) or, on a channel with roles, the message
 * breaks the table.  msg->data is valid until the next call.
 */
int	ipc_get(struct ipc_peer *, struct ipc_msg *);
/*
 * A handler whose message must come with a descriptor claims it here: the
 * oldest unclaimed one, or -1 (an error: the peer sent none).
 */
int	ipc_claim_fd(struct ipc_peer *);
/* Blocking read of one message (used before a child's event loop starts). */
int	ipc_get_blocking(struct ipc_peer *, struct ipc_msg *);
/*
 * Parse a header from a buffer (fuzzed): returns 1 with msg filled when a
 * whole message is at p, 0 if more is needed, -1 if malformed.
 */
int	ipc_parse(const uint8_t *p, size_t len, struct ipc_msg *);

#endif
