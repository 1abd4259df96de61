/*
 * chat.h: the chat model: users, rooms, presence, history and the
 * requests a logged-in client makes (SAY, ACT, PRIVMSG, JOIN, PART, WHO,
 * ROOMS, BYE, and on an extended session KEYS, E2E, AWAY and WHOIS),
 * without any I/O.
 *
 * Three parts meet here:
 *
 *  - the front (chat.c), which the broker calls: it takes one decoded
 *    client message at a time, checks it (names, text, limits), answers
 *    the errors, encodes what is published, and turns the rest into calls
 *    on the engine;
 *  - the engine (struct chat_engine_ops), which holds rooms, members,
 *    presence, history, the sessions' identity keys and the enrolled
 *    keys, and fans messages out (to rooms, users and devices).  chat_mem.c keeps all of
 *    it in this process's memory.  An engine spanning several nodes (rooms,
 *    presence and history in a shared store, publications passed from node
 *    to node) implements the same calls, with the same contract, and the
 *    front and the broker do not change;
 *  - the session side (struct chat_io), which the broker installs: deliver
 *    one encoded server message to a session, end a session, and say how
 *    much of a session's queue a joiner's history may fill.  Nothing else
 *    of the model reaches a session.  It makes the model testable without
 *    a process (tests/test-chat.c).
 *
 * The broker owns the sessions' lives.  For each session it calls, in
 * this order: chat_session_new(), chat_login() and chat_enter_lobby()
 * when the master says who it is, chat_request() for each message, then
 * chat_session_end() as soon as the session ends (for whatever reason,
 * possibly from inside io->deliver or io->end) and chat_session_free()
 * later, outside any call into the model.  A session ended but not yet
 * freed is "hidden": see the contract below.
 *
 * The contract every engine keeps (the tests in tests/test-chat.c check
 * the memory engine against it):
 *
 *  1. Delivery.  What a call sends to a session is delivered in the order
 *     the call sends it, before the call returns (an engine that relays
 *     between nodes delivers what other nodes publish later, but in the
 *     order they published it).  A hidden session is sent nothing.
 *  2. Publications.  A message published to a room reaches every session
 *     in the room, hidden ones excepted, exactly once: the sender's own
 *     session excepted, the sender's other sessions included.  All members
 *     receive a room's publications and notices in one order.
 *  3. Presence is per user.  ARRIVED(room, user) goes to the room's other
 *     sessions when the user's first session enters the room;
 *     DEPARTED(room, user, why) goes to the sessions left in the room when
 *     the user's last session leaves it (PART, BYE or the end of the
 *     session).  Each exactly once per entry and exit: while any session of
 *     the user is in the room, hidden ones included, the user neither
 *     arrives nor departs again.
 *  4. Join.  The joiner gets, in this order: JOINED, the room's history
 *     (the newest entries whose messages fit in chat_backlog(), oldest
 *     first), NAMES; then the others get ARRIVED as in 3.  Joining a room
 *     the session is in already sends JOINED and NAMES only, and tells
 *     nobody else.  A session is in at most chat_config.max_rooms rooms.
 *  5. Part.  The session gets PARTED, then leaves; DEPARTED as in 3.
 *  6. Private messages reach every session of the user named, hidden ones
 *     excepted, but the sender's own session.  A user with no session but
 *     hidden ones is not online.
 *  7. Lists.  NAMES lists the distinct users of a room's sessions, hidden
 *     ones left out, in the order their first such session entered.  ROOMS
 *     lists every room with a session that is not hidden, in byte order of
 *     the names, each with its number of distinct users.  Either message
 *     must fit in one record: the list stops before the first entry that
 *     would not fit (struct chat_list does the counting).
 *  8. History.  Each publication is kept with its time, kind, sender and
 *     text, within the budgets of chat_config (history.h); a room that
 *     has no session left goes, and its history with it, but the lobby
 *     stays.
 *  9. Leaving.  detach takes a session out of every room (most recently
 *     joined first, DEPARTED as in 3) and then forgets it; a second detach
 *     does nothing.
 * 10. Re-entrancy.  io->deliver may end any session (its queue is full),
 *     which hides it at once: an engine's loops must go on past a session
 *     hidden under them.  Sessions leave rooms only by detach, which comes
 *     from BYE and chat_session_free(), never from inside a delivery.
 * 11. Identity (protocol section 11).  A session's identity key and flags
 *     (cs->key, cs->idflags) are set once, right after attach, and the
 *     engine is told (identify).  Only a session with CHAT_ID_EXTENDED
 *     counts below; before identify, none does.
 * 12. The key directory.  The enrolled table maps a user to at most
 *     CHAT_ENROLLED_PER_USER keys, at most CHAT_ENROLLED_MAX in all; it is
 *     replaced wholesale (enrolled_reset, then one enrolled_add per key),
 *     and is what the master read last: an engine spanning nodes may keep
 *     one per node, all fed by their masters from the same file.  keys
 *     adds to a list (chat_keylist_add: each key once, flags ORed, at most
 *     KEYLIST_MAX) the user's enrolled keys first (KEYLIST_ENROLLED), so
 *     that the bounded set is never crowded out, then the key of each
 *     session of the user that is extended and not hidden
 *     (KEYLIST_ONLINE), on whatever node it is.
 * 13. End-to-end relay.  to_device delivers the encoded E2E_FROM to every
 *     session of the user that is extended, not hidden, not the sender's
 *     own session, and whose key is the device (the sender's other
 *     sessions included), each exactly once and in the order the sender
 *     sent them, as in 1.  It answers NO_USER when there was none, and
 *     the front then tells the sender E2E_FAIL.  The payload is opaque:
 *     an engine neither keeps it nor looks inside.
 * 14. Away (protocol section 11.8).  Away is per user: set_away records
 *     the text (empty: not away) and the time, for the user, whichever
 *     session set it, then delivers the encoded AWAYNOTE to every session
 *     of the user that is extended and not hidden, the caller's included.
 *     The state goes when the user's last session detaches.  away tells
 *     whether a user with a visible session is away, with the text and
 *     the time it was set.
 * 15. Activity.  touch records now as the user's last activity, for all
 *     its sessions (the front calls it on login and for each SAY, ACT,
 *     PRIVMSG and E2E it delivers).
 * 16. Whois.  whois fills a chat_whois for a user with a visible session:
 *     the rooms with a visible session of the user, each once, joined by
 *     commas, stopping before the first that would pass WHOIS_ROOMS_MAX
 *     bytes; the last activity (15); the away state (14); and the keys of
 *     its extended visible sessions (KEYLIST_ONLINE, as in 12, without
 *     the enrolled ones).  names_away lists, as names does, the users of
 *     a room that are away, in the order of names.
 */
#ifndef SECCHAT_CHAT_H
#define SECCHAT_CHAT_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "util.h"
#include "wire.h"

/* Why a session left, as the others see it in DEPARTED. */
#define CHAT_WHY_PART		"left"
#define CHAT_WHY_QUIT		"quit"
#define CHAT_WHY_LOST		"connection lost"
#define CHAT_WHY_SLOW		"send queue full"
#define CHAT_WHY_PROTO		"protocol error"
#define CHAT_QUIT_REASON_MAX	160	/* bytes of a BYE reason passed on */

struct chat;
struct chat_session;
struct chat_engine_ops;

struct chat_config {
	const char	*lobby;		/* every session enters it; it stays */
	uint32_t	 max_rooms;	/* per session; 0 is taken as 1 */
	uint32_t	 max_message;	/* bytes of text in SAY, ACT, PRIVMSG */
	uint32_t	 history;	/* entries per room; 0 keeps none */
	uint32_t	 room_history_bytes;
	uint32_t	 history_bytes;	/* all rooms together */
	/* NULL: chat_mem_engine, all in this process's memory. */
	const struct chat_engine_ops *engine;
	/*
	 * Test builds only (SECCHAT_TEST_LYING_DIRECTORY): 32 bytes that
	 * every KEYLIST lists in place of each online key, to test that
	 * clients believe their pins over the directory.  Ignored otherwise.
	 */
	const uint8_t	*test_lying_key;
};

/* The enrolled table's bounds (contract 12). */
#define CHAT_ENROLLED_PER_USER	16
#define CHAT_ENROLLED_MAX	65536

/*
 * The session side, installed by the broker.  owner is what the broker
 * gave chat_session_new().
 */
struct chat_io {
	/*
	 * Queue one encoded server message (one record's plaintext) for the
	 * session.  May end that session, if its queue is full.
	 */
	void	(*deliver)(void *owner, const uint8_t *msg, size_t len);
	/*
	 * End the session for breaking the protocol: why is what its rooms
	 * are told in DEPARTED, kick what the master logs.  The broker calls
	 * chat_session_end() at once and chat_session_free() later.
	 */
	void	(*end)(void *owner, const char *why, const char *kick);
	/* Bytes of its queue that a joiner's history may take now. */
	size_t	(*backlog)(void *owner);
	/* What each message costs that queue beyond its own bytes. */
	size_t	 msg_overhead;
};

/* ---------------------------------------------------- the broker's calls */

/* NULL if memory ran out. */
struct chat	*chat_new(const struct chat_config *, const struct chat_io *);
/* Everything, sessions included, without telling anyone: at exit. */
void		 chat_free(struct chat *);

/* NULL if memory ran out. */
struct chat_session *chat_session_new(struct chat *, void *owner);
/* The master says who the session is.  -1: out of memory. */
int		 chat_login(struct chat_session *, const char *user);
/*
 * The session's identity key, as the master knows it from the handshake
 * (and, with CHAT_ID_KEYLOGIN, from a verified key login); CHAT_ID_EXTENDED
 * when its client agreed to the extensions of protocol section 11, without
 * which it is sent no E2E_FROM and may send no E2E or KEYS.  Right after
 * chat_login.
 */
#define CHAT_ID_EXTENDED	0x01
#define CHAT_ID_KEYLOGIN	0x02
void		 chat_set_identity(struct chat_session *,
		    const uint8_t key[32], unsigned flags);
/*
 * The keys enrolled in the users file, for the key directory: the master
 * sends them all after each reading of the file, a reset first.  -1: out
 * of memory (the table is then left empty).
 */
void		 chat_enrolled_reset(struct chat *);
int		 chat_enrolled_add(struct chat *, const char *user,
		    const uint8_t key[32]);
/*
 * The most memory the enrolled table takes with the memory engine (at
 * CHAT_ENROLLED_MAX keys): for the broker's address-space limit.
 */
uint64_t	 chat_enrolled_cost(void);
/* Enter the lobby, as after JOIN (contract 4); errors go to the session. */
void		 chat_enter_lobby(struct chat_session *, uint64_t now);
/*
 * One decoded client message from a logged-in session.  Returns 1 if it
 * was BYE: the session has left every room and its user, and must be
 * sent nothing more but what is queued already; 0 otherwise.
 */
int		 chat_request(struct chat_session *, const struct wire_msg *,
		    uint64_t now);
/* The session has ended: hide it now (contract 10).  Idempotent. */
void		 chat_session_end(struct chat_session *);
/* Leave every room, telling them why (contract 9), and free. */
void		 chat_session_free(struct chat_session *, const char *why,
		    uint64_t now);
/* The user the session is logged in as, or NULL (before login, after BYE). */
const char	*chat_session_user(const struct chat_session *);
/*
 * Append the names of the rooms the session is in, joined by commas, to
 * out (nothing if none); -1 if memory ran out.  For the control socket.
 */
int		 chat_session_rooms(const struct chat_session *, struct buf *);
/*
 * The most memory the model holds for one session with the memory engine,
 * in max_rooms rooms (each of which it may keep alive), history aside:
 * for the broker's address-space limit.
 */
uint64_t	 chat_session_cost(uint32_t max_rooms);

/* ----------------------------------------------------------- for engines */

/*
 * One session as the model knows it.  The broker holds the pointer and
 * uses only the calls above; engines keep their own state in priv.
 */
struct chat_session {
	struct chat		*chat;
	void			*owner;
	char			 user[SECCHAT_NAME_MAX + 1];	/* or "" */
	uint8_t			 key[WIRE_KEYLEN];	/* contract 11 */
	unsigned		 idflags;	/* CHAT_ID_*, 0 until set */
	int			 ended;
	/*
	 * The front's: the user last told to be away to this session, and
	 * since when it was, so that one away period brings one AWAYNOTE.
	 */
	char			 away_told[SECCHAT_NAME_MAX + 1];
	uint64_t		 away_told_since;
	void			*priv;		/* the engine's */
	TAILQ_ENTRY(chat_session) entry;	/* for chat_free() */
};

/* What is kept of a publication. */
struct chat_post {
	uint64_t	 time;
	uint8_t		 kind;		/* HISTORY_SAY or HISTORY_ACTION */
	const char	*sender;
	const char	*text;
	size_t		 textlen;
};

/*
 * A NAMES or ROOMLIST list being built: entries are added while the whole
 * message still fits in one record.
 */
struct chat_list {
	struct buf	 buf;		/* the encoded entries */
	size_t		 budget;	/* bytes they may take */
	uint16_t	 count;
};

/*
 * A KEYLIST being built (contract 12): each key once, its flags ORed, at
 * most KEYLIST_MAX entries, in the order first added.
 */
struct chat_keylist {
	uint8_t		 keys[KEYLIST_MAX][WIRE_KEYLEN];
	uint8_t		 flags[KEYLIST_MAX];
	unsigned	 count;
};

/* A user's away state (contract 14). */
struct chat_away {
	char		 text[AWAY_TEXT_MAX + 1];	/* "" if not away */
	size_t		 len;
	uint64_t	 since;		/* when it was set */
};

/*
 * A WHOISINFO being built (contract 16): rooms points to the front's
 * buffer, emptied before the call.
 */
struct chat_whois {
	struct buf		*rooms;		/* "lobby,dev" */
	uint64_t		 active;	/* last activity (contract 15) */
	struct chat_away	 away;
	struct chat_keylist	*keys;		/* begun empty */
};

enum chat_result {
	CHAT_OK = 0,
	CHAT_NOT_MEMBER,	/* the session is not in that room */
	CHAT_NO_ROOM,		/* no room of that name with a visible member */
	CHAT_NO_USER,		/* no visible session of that user */
	CHAT_TOO_MANY,		/* the session is in max_rooms rooms already */
	CHAT_NO_MEMORY
};

/* What an engine is; an implementation embeds it first in its own state. */
struct chat_engine {
	const struct chat_engine_ops	*ops;
	struct chat			*chat;
};

struct chat_engine_ops {
	const char	*name;
	struct chat_engine *(*create)(struct chat *,
			    const struct chat_config *);
	/* Free everything at once, telling nobody. */
	void		 (*destroy)(struct chat_engine *);
	/* The session is online as cs->user.  -1: out of memory. */
	int		 (*attach)(struct chat_engine *, struct chat_session *);
	/* Contract 10: send nothing to it, list and count it nowhere. */
	void		 (*hide)(struct chat_engine *, struct chat_session *);
	/* Contract 9. */
	void		 (*detach)(struct chat_engine *, struct chat_session *,
			    const char *why, uint64_t now);
	/* Contract 4: OK, TOO_MANY or NO_MEMORY. */
	enum chat_result (*join)(struct chat_engine *, struct chat_session *,
			    const char *room, uint64_t now);
	/* Contract 5: OK or NOT_MEMBER. */
	enum chat_result (*part)(struct chat_engine *, struct chat_session *,
			    const char *room, const char *why, uint64_t now);
	/*
	 * 1 if the session is in the room.  The front asks before it checks
	 * a SAY's text, so that a client is told of the room first.
	 */
	int		 (*member)(struct chat_engine *,
			    const struct chat_session *, const char *room);
	/*
	 * Contracts 2 and 8: msg is the encoded MESSAGE or ACTION, post what
	 * history keeps.  OK or NOT_MEMBER.
	 */
	enum chat_result (*publish)(struct chat_engine *,
			    struct chat_session *, const char *room,
			    const struct chat_post *, const uint8_t *msg,
			    size_t len);
	/* Contract 6: msg is the encoded PRIVATE.  OK or NO_USER. */
	enum chat_result (*to_user)(struct chat_engine *,
			    struct chat_session *, const char *user,
			    const uint8_t *msg, size_t len);
	/*
	 * Contract 7, for WHO: the room's users into a list begun with
	 * chat_list_begin_names().  OK, or NO_ROOM if no session in it is
	 * visible.
	 */
	enum chat_result (*names)(struct chat_engine *, const char *room,
			    struct chat_list *);
	/* Contract 7, for ROOMS: into a list from chat_list_begin_rooms(). */
	void		 (*rooms)(struct chat_engine *, struct chat_list *);
	/*
	 * The rooms the session is in, names joined by commas, appended to
	 * out (an administrator's list, not a client message).  -1: memory.
	 */
	int		 (*session_rooms)(struct chat_engine *,
			    const struct chat_session *, struct buf *);

	/*
	 * Protocol section 11.  Contract 11: cs->key and cs->idflags are
	 * set; an engine that shares sessions between nodes publishes them.
	 */
	void		 (*identify)(struct chat_engine *,
			    struct chat_session *);
	/*
	 * Contract 12: forget every enrolled key; add one (-1: out of memory;
	 * past a bound the key is left out and 0 returned).
	 */
	void		 (*enrolled_reset)(struct chat_engine *);
	int		 (*enrolled_add)(struct chat_engine *, const char *user,
			    const uint8_t key[WIRE_KEYLEN]);
	/* Contract 12, for KEYS: into a list from chat_keylist_begin(). */
	void		 (*keys)(struct chat_engine *, const char *user,
			    struct chat_keylist *);
	/* Contract 13: msg is the encoded E2E_FROM.  OK or NO_USER. */
	enum chat_result (*to_device)(struct chat_engine *,
			    struct chat_session *, const char *user,
			    const uint8_t device[WIRE_KEYLEN],
			    const uint8_t *msg, size_t len);

	/*
	 * Protocol section 11.8.  Contract 14: msg is the encoded AWAYNOTE
	 * of the user and text.  OK or NO_MEMORY.
	 */
	enum chat_result (*set_away)(struct chat_engine *,
			    struct chat_session *, const char *text,
			    size_t len, uint64_t now, const uint8_t *msg,
			    size_t msglen);
	/* Contract 14: 1 and *away filled if the user is online and away. */
	int		 (*away)(struct chat_engine *, const char *user,
			    struct chat_away *away);
	/* Contract 15. */
	void		 (*touch)(struct chat_engine *, struct chat_session *,
			    uint64_t now);
	/* Contract 16: OK, or NO_USER if no session of it is visible. */
	enum chat_result (*whois)(struct chat_engine *, const char *user,
			    struct chat_whois *);
	/*
	 * Contract 16, for an extended session's WHO: into a list begun
	 * with chat_list_begin_names().  OK, or NO_ROOM as names.
	 */
	enum chat_result (*names_away)(struct chat_engine *, const char *room,
			    struct chat_list *);
};

/*
 * A model's engine, for an engine that keeps a model of its own inside
 * (chat_redis.c replays the cluster's log into a memory engine).
 */
struct chat_engine *chat_engine_of(struct chat *);

/* The engine that keeps everything in this process's memory. */
extern const struct chat_engine_ops chat_mem_engine;
uint64_t	 chat_mem_session_cost(uint32_t max_rooms);
uint64_t	 chat_mem_enrolled_cost(void);

/* Deliver bytes, or a message to encode, through the session side. */
void		 chat_deliver(struct chat_session *, const uint8_t *, size_t);
void		 chat_send(struct chat_session *, const struct wire_msg *);
/* JOINED or PARTED. */
void		 chat_send_room(struct chat_session *, uint8_t type,
		    const char *room);
void		 chat_send_names(struct chat_session *, const char *room,
		    const struct chat_list *);
/* A room's history to a joiner: the newest entries its backlog can take. */
struct history_room;
void		 chat_send_history(struct chat_session *, const char *room,
		    const struct history_room *);
/* The bytes of queue a joiner's history may take, and what a message costs. */
size_t		 chat_backlog(const struct chat_session *);
size_t		 chat_backlog_cost(const struct chat_session *, size_t len);

void		 chat_list_init(struct chat_list *);
void		 chat_list_clear(struct chat_list *);
void		 chat_list_begin_names(struct chat_list *, const char *room);
void		 chat_list_begin_rooms(struct chat_list *);
/* Add an entry; -1 (and nothing added) if it does not fit. */
int		 chat_list_add_user(struct chat_list *, const char *user);
int		 chat_list_add_room(struct chat_list *, const char *room,
		    uint16_t users);

void		 chat_keylist_begin(struct chat_keylist *);
/* Add a key, or OR flags into its entry; -1 if new and the list is full. */
int		 chat_keylist_add(struct chat_keylist *,
		    const uint8_t key[WIRE_KEYLEN], uint8_t flags);

#endif
