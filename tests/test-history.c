/*
 * test-history.c: the broker's history store (count limit, per-room and
 * global byte budgets, eviction order, rooms that go) and the broker's
 * memory limit.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "broker.h"
#include "buf.h"
#include "history.h"
#include "proto.h"
#include "sandbox.h"
#include "wire.h"
#include "tap.h"

#define NROOMS		8
#define TEXT_LEN	100

static struct history_store	 hs;
static struct history_room	 rooms[NROOMS];
static char			 text[HISTORY_TEXT_MAX + 2];
static uint64_t			 seq;	/* the time of the next entry */

/* Add an entry of len bytes to room i, stamped with the next number. */
static int
add(int i, size_t len)
{
	return history_add(&hs, &rooms[i], ++seq, HISTORY_SAY, "alice",
	    text, len);
}

static void
setup(size_t max_entries, size_t room_budget, size_t budget)
{
	int	 i;

	history_init(&hs, max_entries, room_budget, budget);
	for (i = 0; i < NROOMS; i++)
		history_room_init(&rooms[i]);
	seq = 0;
}

static void
teardown(void)
{
	int	 i;

	for (i = 0; i < NROOMS; i++)
		history_room_clear(&hs, &rooms[i]);
}

/* The times of room i's entries, oldest first, as "3,4,7". */
static const char *
times(int i)
{
	static char		 out[1024];
	struct history_entry	*e;
	size_t			 o = 0;

	out[0] = '\0';
	TAILQ_FOREACH(e, &rooms[i].entries, in_room)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%llu",
		    o > 0 ? "," : "", (unsigned long long)e->time);
	return out;
}

/*
 * The store agrees with itself: the totals are the sums, every room is
 * within its limits and the store within its budget, and the list of all
 * entries is in the order they were added and holds exactly the rooms'.
 */
static int
consistent(void)
{
	struct history_entry	*e;
	size_t			 count = 0, bytes, all_count = 0;
	size_t			 all_bytes = 0, sum_bytes = 0;
	uint64_t		 last = 0;
	int			 i;

	TAILQ_FOREACH(e, &hs.all, in_store) {
		if (e->time <= last || e->cost != history_cost(e->textlen))
			return 0;
		last = e->time;
		all_count++;
		all_bytes += e->cost;
	}
	for (i = 0; i < NROOMS; i++) {
		bytes = 0;
		count = 0;
		last = 0;
		TAILQ_FOREACH(e, &rooms[i].entries, in_room) {
			if (e->room != &rooms[i] || e->time <= last)
				return 0;
			last = e->time;
			count++;
			bytes += e->cost;
		}
		if (count != rooms[i].count || bytes != rooms[i].bytes ||
		    count > hs.max_entries || bytes > hs.room_budget)
			return 0;
		sum_bytes += bytes;
		all_count -= count;
	}
	return all_count == 0 && all_bytes == hs.bytes &&
	    sum_bytes == hs.bytes && hs.bytes <= hs.budget;
}

static void
test_cost(void)
{
	size_t	 len;
	int	 ok = 1;

	for (len = 0; len <= 4096; len++)
		if (history_cost(len) < sizeof(struct history_entry) + len ||
		    history_cost(len) % 16 != 0 ||
		    (len > 0 && history_cost(len) < history_cost(len - 1)))
			ok = 0;
	tap_ok(ok, "cost: at least the entry and its text, in 16-byte steps");
	tap_ok(history_cost(TEXT_LEN) - TEXT_LEN < 256,
	    "cost: the overhead of an entry is small (%zu bytes)",
	    history_cost(TEXT_LEN) - TEXT_LEN);
#if defined(__GLIBC__) && !defined(SANITIZER_BUILD)
	/* What glibc's malloc really takes: the usable size and a header. */
	for (len = 0; len <= 70000 && ok; len += len < 300 ? 1 : 997) {
		size_t	 want = sizeof(struct history_entry) + len;
		void	*p = malloc(want);

		if (p == NULL || (want < 128 * 1024 &&
		    malloc_usable_size(p) + sizeof(size_t) !=
		    history_cost(len))) {
			tap_diag("len %zu: usable %zu, cost %zu", len,
			    p ? malloc_usable_size(p) : 0, history_cost(len));
			ok = 0;
		}
		free(p);
	}
	tap_ok(ok, "cost: is what glibc's malloc takes for the entry");
#else
	tap_skip("not glibc's malloc", "cost: is what the allocator takes");
#endif
}

static void
test_count(void)
{
	struct history_entry	*e;

	setup(3, 1 << 20, 1 << 20);
	memset(text, 'x', sizeof(text));
	tap_ok(add(0, 10) == 0 && add(0, 11) == 0 && add(0, 12) == 0 &&
	    rooms[0].count == 3 && strcmp(times(0), "1,2,3") == 0,
	    "HistoryLength: a room holds its maximum");
	tap_ok(add(0, 13) == 0 && rooms[0].count == 3 &&
	    strcmp(times(0), "2,3,4") == 0 && hs.count == 3,
	    "HistoryLength: one past it drops the room's oldest");
	e = TAILQ_LAST(&rooms[0].entries, history_list);
	tap_ok(e->textlen == 13 && e->kind == HISTORY_SAY &&
	    strcmp(e->sender, "alice") == 0 && memcmp(e->text, text, 13) == 0,
	    "an entry keeps its sender, kind and text");
	tap_ok(add(1, 5) == 0 && rooms[1].count == 1 && rooms[0].count == 3,
	    "HistoryLength is per room");
	tap_ok(consistent(), "consistent after count evictions");
	teardown();

	setup(0, 1 << 20, 1 << 20);
	tap_ok(add(0, 10) == -1 && hs.count == 0 && hs.bytes == 0,
	    "HistoryLength 0: nothing is kept");
	teardown();
}

static void
test_room_budget(void)
{
	size_t	 c = history_cost(TEXT_LEN);

	/* Exactly four entries' worth. */
	setup(10000, 4 * c, 1 << 20);
	tap_ok(add(0, TEXT_LEN) == 0 && add(0, TEXT_LEN) == 0 &&
	    add(0, TEXT_LEN) == 0 && add(0, TEXT_LEN) == 0 &&
	    rooms[0].bytes == 4 * c && strcmp(times(0), "1,2,3,4") == 0,
	    "RoomHistoryBytes: a room filled exactly to it keeps everything");
	tap_ok(add(0, TEXT_LEN) == 0 && rooms[0].bytes == 4 * c &&
	    strcmp(times(0), "2,3,4,5") == 0,
	    "RoomHistoryBytes: one more entry drops the room's oldest");
	/* A bigger entry makes room for itself, oldest first. */
	tap_ok(add(0, 2 * TEXT_LEN + 16) == 0 && rooms[0].bytes <= 4 * c &&
	    strcmp(times(0), "4,5,6") == 0,
	    "RoomHistoryBytes: a larger entry drops as many as it needs");
	tap_ok(add(1, TEXT_LEN) == 0 && rooms[1].count == 1 &&
	    rooms[0].count == 3, "RoomHistoryBytes is per room");
	tap_ok(consistent(), "consistent after room-budget evictions");
	teardown();

	/* A budget of exactly one entry, and one granule less. */
	setup(10000, c, 1 << 20);
	tap_ok(add(0, TEXT_LEN) == 0 && rooms[0].count == 1,
	    "an entry that costs exactly RoomHistoryBytes is kept");
	tap_ok(add(0, TEXT_LEN + 16) == -1 && rooms[0].count == 1 &&
	    strcmp(times(0), "1") == 0,
	    "one that costs more is not, and evicts nothing");
	teardown();
}

static void
test_global_budget(void)
{
	size_t	 c = history_cost(TEXT_LEN);

	/* Five entries' worth in all; rooms could each hold more. */
	setup(10000, 1 << 20, 5 * c);
	tap_ok(add(0, TEXT_LEN) == 0 && add(0, TEXT_LEN) == 0 &&
	    add(1, TEXT_LEN) == 0 && add(1, TEXT_LEN) == 0 &&
	    add(2, TEXT_LEN) == 0 && hs.bytes == 5 * c && hs.count == 5,
	    "HistoryBytes: the rooms together fill it exactly");
	tap_ok(add(2, TEXT_LEN) == 0 && strcmp(times(0), "2") == 0 &&
	    strcmp(times(1), "3,4") == 0 && strcmp(times(2), "5,6") == 0 &&
	    hs.bytes == 5 * c,
	    "HistoryBytes: one more drops the oldest of all, in another room");
	tap_ok(add(2, TEXT_LEN) == 0 && rooms[0].count == 0 &&
	    strcmp(times(1), "3,4") == 0 && strcmp(times(2), "5,6,7") == 0,
	    "HistoryBytes: a room can be emptied by others' messages");
	tap_ok(add(2, TEXT_LEN) == 0 && strcmp(times(1), "4") == 0 &&
	    strcmp(times(2), "5,6,7,8") == 0,
	    "HistoryBytes: then the next room's oldest goes");
	tap_ok(consistent(), "consistent after global evictions");
	tap_ok(add(3, 5 * TEXT_LEN + 1000) == -1 && hs.count == 5,
	    "an entry that costs more than HistoryBytes is not kept, and "
	    "evicts nothing");
	teardown();
	tap_ok(hs.count == 0 && hs.bytes == 0 && TAILQ_EMPTY(&hs.all),
	    "clearing every room empties the store");
}

static void
test_rooms_go(void)
{
	size_t	 c = history_cost(TEXT_LEN);

	setup(10000, 1 << 20, 6 * c);
	(void)add(0, TEXT_LEN);
	(void)add(1, TEXT_LEN);
	(void)add(0, TEXT_LEN);
	(void)add(1, TEXT_LEN);
	(void)add(2, TEXT_LEN);
	history_room_clear(&hs, &rooms[0]);
	tap_ok(hs.count == 3 && hs.bytes == 3 * c && rooms[0].count == 0 &&
	    rooms[0].bytes == 0 && TAILQ_EMPTY(&rooms[0].entries) &&
	    consistent(), "a room that goes takes its entries out of the "
	    "store's list and totals");
	/* The room's struct may be reused for a new room at once. */
	history_room_init(&rooms[0]);
	(void)add(2, TEXT_LEN);
	(void)add(2, TEXT_LEN);
	(void)add(2, TEXT_LEN);
	tap_ok(add(0, TEXT_LEN) == 0 && strcmp(times(1), "4") == 0 &&
	    strcmp(times(0), "9") == 0 && consistent(),
	    "eviction after a room went skips its entries");
	teardown();
}

static void
test_input(void)
{
	char	 name[SECCHAT_NAME_MAX + 2];

	setup(10, 1 << 20, 1 << 20);
	memset(name, 'n', sizeof(name));
	name[SECCHAT_NAME_MAX] = '\0';
	tap_ok(history_add(&hs, &rooms[0], 1, HISTORY_ACTION, name, text,
	    1) == 0, "a sender of %d bytes is kept", SECCHAT_NAME_MAX);
	name[SECCHAT_NAME_MAX] = 'n';
	name[SECCHAT_NAME_MAX + 1] = '\0';
	tap_ok(history_add(&hs, &rooms[0], 2, HISTORY_SAY, name, text,
	    1) == -1 && history_add(&hs, &rooms[0], 3, HISTORY_SAY, "", text,
	    1) == -1 && rooms[0].count == 1,
	    "an empty or overlong sender is refused");
	tap_ok(add(0, 0) == 0, "an empty text is kept");
	teardown();

	setup(10, 1 << 21, 1 << 21);
	tap_ok(add(0, HISTORY_TEXT_MAX) == 0 &&
	    add(0, HISTORY_TEXT_MAX + 1) == -1 && rooms[0].count == 1,
	    "a text of %d bytes is kept, one more is refused",
	    HISTORY_TEXT_MAX);
	teardown();
}

/* Random traffic in several rooms; rooms go and come back. */
static void
test_random(void)
{
	size_t	 c = history_cost(TEXT_LEN);
	int	 i, ok = 1;

	setup(20, 12 * c, 40 * c);
	srandom(1);
	for (i = 0; i < 20000 && ok; i++) {
		int	 room = (int)(random() % NROOMS);

		if (random() % 50 == 0) {
			history_room_clear(&hs, &rooms[room]);
			history_room_init(&rooms[room]);
		} else
			(void)add(room, (size_t)(random() % (3 * TEXT_LEN)));
		if (i % 97 == 0)
			ok = consistent();
	}
	tap_ok(ok && consistent(), "20000 random steps keep every limit and "
	    "the lists in step");
	teardown();
	tap_ok(hs.count == 0 && hs.bytes == 0, "and nothing is left after");
}

static void
test_memory_limit(void)
{
	struct broker_init	 bi, more;
	uint64_t		 lim, lim2;

	memset(&bi, 0, sizeof(bi));
	bi.history = 50;
	bi.send_queue = 1024 * 1024;
	bi.max_rooms = 32;
	bi.max_message = 4096;
	bi.max_sessions = 1024;
	bi.history_bytes = 64 * 1024 * 1024;
	bi.room_history_bytes = 256 * 1024;
	lim = broker_memory_limit(&bi);
	/*
	 * A queue may grow to twice the power of two that holds its limit
	 * (buf_cap_bound(): it grows rather than slide a mostly full
	 * buffer), so the defaults' backstop is about 5.3 GiB of address
	 * space; the bound below catches a change that doubles it again.
	 */
	tap_ok(lim >= bi.history_bytes + (uint64_t)bi.max_sessions *
	    (bi.send_queue + 128 * 1024) &&
	    lim >= bi.history_bytes + (uint64_t)bi.max_sessions *
	    buf_cap_bound(bi.send_queue) && lim < 8ULL << 30,
	    "memory limit: the defaults give %llu MiB, at least the history "
	    "and every queue", (unsigned long long)(lim >> 20));

	more = bi;
	more.max_sessions++;
	lim2 = broker_memory_limit(&more);
	tap_ok(lim2 >= lim + 2 * bi.send_queue, "memory limit: one session "
	    "more adds at least twice its queue");
	more = bi;
	more.history_bytes += 1 << 20;
	tap_ok(broker_memory_limit(&more) == lim + (2 << 20),
	    "memory limit: the history budget counts twice");
	more = bi;
	more.max_rooms = 1024;
	tap_ok(broker_memory_limit(&more) > lim,
	    "memory limit: grows with MaxRoomsPerSession");

	memset(&more, 0, sizeof(more));
	more.max_sessions = 1;
	more.send_queue = 16 * 1024;
	more.max_rooms = 1;
	more.history_bytes = 64 * 1024;
	tap_ok(broker_memory_limit(&more) == 256ULL << 20,
	    "memory limit: a small configuration gets the 256 MiB floor");

	more.max_sessions = 65536;
	more.send_queue = 256 * 1024 * 1024;
	more.max_rooms = 1024;
	more.history_bytes = 1024 * 1024 * 1024;
	lim2 = broker_memory_limit(&more);
	tap_ok(lim2 > 65536ULL * (256ULL << 20) && lim2 < 1ULL << 50,
	    "memory limit: the largest configuration does not overflow");
}

int
main(void)
{
	test_cost();
	test_count();
	test_room_budget();
	test_global_budget();
	test_rooms_go();
	test_input();
	test_random();
	test_memory_limit();
	return tap_done();
}
