/*
 * history.c: the rooms' recent messages under a count and two byte
 * budgets; see history.h.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "history.h"
#include "util.h"

/*
 * What the allocator takes for a block, as glibc's malloc does it: one
 * size word in front, the whole rounded up to 16 bytes, and never less
 * than four words.  Counting this, and not only the text, is what makes
 * a budget of many short messages mean the memory it says.
 */
#define ALLOC_HEADER	sizeof(size_t)
#define ALLOC_GRANULE	16
#define ALLOC_MIN	(4 * sizeof(size_t))

size_t
history_cost(size_t textlen)
{
	size_t	 n;

	n = sizeof(struct history_entry) + textlen + ALLOC_HEADER;
	n = (n + ALLOC_GRANULE - 1) & ~(size_t)(ALLOC_GRANULE - 1);
	return n < ALLOC_MIN ? ALLOC_MIN : n;
}

void
history_init(struct history_store *hs, size_t max_entries,
    size_t room_budget, size_t budget)
{
	memset(hs, 0, sizeof(*hs));
	TAILQ_INIT(&hs->all);
	hs->max_entries = max_entries;
	hs->room_budget = room_budget;
	hs->budget = budget;
}

void
history_room_init(struct history_room *hr)
{
	memset(hr, 0, sizeof(*hr));
	TAILQ_INIT(&hr->entries);
}

/* The text is what users said: wipe it before the memory is reused. */
static void
history_drop(struct history_store *hs, struct history_entry *e)
{
	struct history_room	*hr = e->room;

	TAILQ_REMOVE(&hr->entries, e, in_room);
	TAILQ_REMOVE(&hs->all, e, in_store);
	hr->count--;
	hr->bytes -= e->cost;
	hs->count--;
	hs->bytes -= e->cost;
	sodium_memzero(e, sizeof(*e) + e->textlen);
	free(e);
}

int
history_add(struct history_store *hs, struct history_room *hr,
    uint64_t time, uint8_t kind, const char *sender, const char *text,
    size_t textlen)
{
	struct history_entry	*e;
	size_t			 cost, senderlen;

	if (hs->max_entries == 0 || textlen > HISTORY_TEXT_MAX)
		return -1;
	senderlen = strnlen(sender, SECCHAT_NAME_MAX + 1);
	if (senderlen == 0 || senderlen > SECCHAT_NAME_MAX)
		return -1;
	/*
	 * An entry too big for a budget on its own is not kept, and the
	 * room keeps what it has rather than lose it all for nothing.
	 */
	cost = history_cost(textlen);
	if (cost > hs->room_budget || cost > hs->budget)
		return -1;
	/* Allocate first: if that fails, nothing is lost. */
	if ((e = malloc(sizeof(*e) + textlen)) == NULL)
		return -1;
	while (hr->count >= hs->max_entries ||
	    hr->bytes + cost > hs->room_budget)
		history_drop(hs, TAILQ_FIRST(&hr->entries));
	while (hs->bytes + cost > hs->budget)
		history_drop(hs, TAILQ_FIRST(&hs->all));

	memset(e, 0, sizeof(*e));
	e->room = hr;
	e->time = time;
	e->cost = cost;
	e->textlen = textlen;
	e->kind = kind;
	memcpy(e->sender, sender, senderlen);
	if (textlen > 0)
		memcpy(e->text, text, textlen);
	TAILQ_INSERT_TAIL(&hr->entries, e, in_room);
	TAILQ_INSERT_TAIL(&hs->all, e, in_store);
	hr->count++;
	hr->bytes += cost;
	hs->count++;
	hs->bytes += cost;
	return 0;
}

void
history_room_clear(struct history_store *hs, struct history_room *hr)
{
	struct history_entry	*e;

	while ((e = TAILQ_FIRST(&hr->entries)) != NULL)
		history_drop(hs, e);
}
