/*
 * history.h: the rooms' recent messages, kept in the broker's memory only.
 *
 * Three limits hold at once: at most HistoryLength entries in a room, at
 * most RoomHistoryBytes in a room, and at most HistoryBytes in all rooms
 * together.  Bytes are what an entry really costs (history_cost()): the
 * entry, its text and the allocator's share, not only the text a user
 * typed, so the budgets bound the memory held.
 *
 * Adding an entry evicts what it must: the room's own oldest entries for
 * the room's limits, then the oldest entries of all rooms for the global
 * one.  Every entry is also on one list of all rooms' entries in the order
 * they were added, so the oldest of all is the head of that list and each
 * eviction costs O(1) however many rooms there are.
 *
 * The store does no I/O: the broker walks a room's list to send it.
 */
#ifndef SECCHAT_HISTORY_H
#define SECCHAT_HISTORY_H

#include <sys/queue.h>

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Longest text an entry holds: a wire string's length is 16 bits. */
#define HISTORY_TEXT_MAX	65535

struct history_room;

struct history_entry {
	TAILQ_ENTRY(history_entry) in_room;	/* the room's, oldest first */
	TAILQ_ENTRY(history_entry) in_store;	/* every room's, oldest first */
	struct history_room	*room;
	uint64_t		 time;
	size_t			 cost;		/* history_cost(textlen) */
	size_t			 textlen;
	uint8_t			 kind;		/* HISTORY_SAY or _ACTION */
	char			 sender[SECCHAT_NAME_MAX + 1];
	char			 text[];	/* textlen bytes, no NUL */
};

TAILQ_HEAD(history_list, history_entry);

/* One room's part, held in the room. */
struct history_room {
	struct history_list	 entries;
	size_t			 count;
	size_t			 bytes;		/* sum of the entries' cost */
};

struct history_store {
	struct history_list	 all;
	size_t			 count;
	size_t			 bytes;
	size_t			 max_entries;	/* per room; 0: keep nothing */
	size_t			 room_budget;	/* bytes per room */
	size_t			 budget;	/* bytes in all */
};

void	history_init(struct history_store *, size_t max_entries,
	    size_t room_budget, size_t budget);
void	history_room_init(struct history_room *);
/*
 * Keep a copy of a message.  Returns 0, or -1 when it is not kept: history
 * is off, the entry alone costs more than a budget, the sender is not a
 * name, or memory ran out (then nothing was evicted).
 */
int	history_add(struct history_store *, struct history_room *,
	    uint64_t time, uint8_t kind, const char *sender, const char *text,
	    size_t textlen);
/* Drop a room's entries: before the room goes. */
void	history_room_clear(struct history_store *, struct history_room *);
/* The bytes an entry costs; textlen is at most HISTORY_TEXT_MAX. */
size_t	history_cost(size_t textlen);

#endif
