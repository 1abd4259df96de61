/*
 * test-window.c: windows without a terminal: the scrollback ring, unread
 * counts and activity, switching, history held, the day change, the
 * status row and the title.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "colour.h"
#include "output.h"
#include "tap.h"
#include "window.h"

#define DAY_MS	(24ULL * 3600 * 1000)

int
main(void)
{
	char		 buf[512], line[32];
	uint64_t	 t0 = 1795000000000ULL;	/* late 2026 */
	int		 a, b, q;
	size_t		 i;

	colour_set_mode(COLOUR_NONE);
	window_reset();
	tap_ok(window_count() == 1 && window_current() == 1 &&
	    strcmp(window_name(1), "status") == 0, "the status window alone");
	a = window_open(WIN_ROOM, "lobby");
	b = window_open(WIN_ROOM, "b");
	tap_ok(a == 2 && b == 3 && window_count() == 3,
	    "rooms get windows 2 and 3");
	tap_ok(window_open(WIN_ROOM, "lobby") == 2, "opening again finds it");
	tap_ok(window_open(WIN_ROOM, "bad name") == -1 &&
	    window_open(WIN_QUERY, "Bad\x1b") == -1,
	    "invalid names get no window");
	tap_ok(window_current() == 1, "opening does not switch");

	tap_ok(window_switch(2) == 0 && window_current() == 2,
	    "switch to window 2");
	tap_ok(window_switch(9) == -1 && window_current() == 2,
	    "no window 9");

	/* Unread counts and activity. */
	window_add(3, "12:00 <bob> one", t0, WL_TALK);
	window_add(3, "12:00 <bob> two", t0, WL_TALK);
	window_add(3, "12:00 -- carol has joined b", t0, 0);
	window_add(2, "12:00 <bob> here", t0, WL_TALK);
	tap_ok(window_unread(3) == 2 && window_activity_of(3) ==
	    WACT_MESSAGES, "two unread in window 3");
	tap_ok(window_unread(2) == 0, "none in the window on the screen");
	window_status_text(buf, sizeof(buf));
	tap_ok(strstr(buf, "[2:lobby]") != NULL && strstr(buf, "3:b(2)") !=
	    NULL && strstr(buf, " 1:status") != NULL,
	    "the status row: %s", buf);
	window_title_text(buf, sizeof(buf));
	tap_ok(strcmp(buf, "secchat: lobby, 2 unread") == 0, "title: %s",
	    buf);
	window_add(3, "12:00 <bob> alice: hi", t0, WL_TALK | WL_MENTION);
	window_status_text(buf, sizeof(buf));
	tap_ok(window_activity_of(3) == WACT_MENTION &&
	    strstr(buf, "3:b(3!)") != NULL, "a mention is marked: %s", buf);
	window_add(1, "12:00 -- notice", t0, 0);
	window_status_text(buf, sizeof(buf));
	tap_ok(strstr(buf, "1:status+") != NULL, "other activity: %s", buf);
	tap_ok(window_switch(3) == 0 && window_unread(3) == 0 &&
	    window_activity_of(3) == WACT_NONE && window_unread_total() == 0,
	    "switching reads them");
	window_title_text(buf, sizeof(buf));
	tap_ok(strcmp(buf, "secchat: b") == 0, "title: %s", buf);

	/* History is held, without counting as unread. */
	window_add(2, "[history] 2026-11-30 20:01 <bob> old", t0 - 3 * DAY_MS,
	    WL_HISTORY);
	tap_ok(window_unread(2) == 0 && window_lines(2) == 2 &&
	    strstr(window_line(2, 1), "old") != NULL,
	    "history held, not unread");

	/* The day changes. */
	window_add(2, "23:59 <bob> late", t0, WL_TALK);
	window_add(2, "00:01 <bob> early", t0 + DAY_MS, WL_TALK);
	{
		char	 want[128], date[OUT_TIME_MAX];

		out_time_date(t0 + DAY_MS, date);
		snprintf(want, sizeof(want), "-- Day changed to %s", date);
		tap_ok(window_lines(2) == 5 && strcmp(window_line(2, 3),
		    want) == 0 && strstr(window_line(2, 4), "early") != NULL,
		    "a day change line: %s", window_line(2, 3));
	}

	/* The ring keeps the last WINDOW_LINES. */
	for (i = 0; i < WINDOW_LINES + 10; i++) {
		snprintf(line, sizeof(line), "line %zu", i);
		window_add(3, line, t0, WL_TALK);
	}
	snprintf(line, sizeof(line), "line %d", WINDOW_LINES + 9);
	tap_ok(window_lines(3) == WINDOW_LINES &&
	    strcmp(window_line(3, 0), "line 10") == 0 &&
	    strcmp(window_line(3, WINDOW_LINES - 1), line) == 0 &&
	    window_line(3, WINDOW_LINES) == NULL,
	    "the scrollback holds the last %d lines", WINDOW_LINES);

	/* Paging. */
	window_page(-1);
	tap_ok(window_scrolled() > 0, "PageUp scrolls back");
	window_status_text(buf, sizeof(buf));
	tap_ok(strstr(buf, "more below") != NULL, "and says so: %s", buf);
	for (i = 0; i < WINDOW_LINES; i++)
		window_page(-1);
	tap_ok(window_scrolled() == WINDOW_LINES - 1,
	    "no further than the first line");
	for (i = 0; i < WINDOW_LINES; i++)
		window_page(1);
	tap_ok(window_scrolled() == 0, "PageDown comes back");

	/* Queries, and closing. */
	q = window_open(WIN_QUERY, "bob");
	tap_ok(q == 4 && window_kind_of(4) == WIN_QUERY &&
	    window_find(WIN_QUERY, "bob") == 4 &&
	    window_find(WIN_ROOM, "bob") == 0, "a query window");
	tap_ok(window_open_query("bob") == -1,
	    "window_open_query without a screen: -1");
	window_close(3);
	tap_ok(window_count() == 3 && window_current() == 2 &&
	    strcmp(window_name(3), "bob") == 0,
	    "closing the current window: the one before it is current");
	window_close(1);
	tap_ok(window_count() == 3, "the status window stays");
	tap_ok(window_mentions("hi alice!", "alice") &&
	    window_mentions("ALICE: hi", "alice") &&
	    !window_mentions("malice", "alice") &&
	    !window_mentions("alice2 hi", "alice") &&
	    !window_mentions("alice.b", "alice") &&
	    window_mentions("bye alice.", "alice"),
	    "mentions are whole words, in any case");
	window_reset();
	tap_ok(window_count() == 1, "reset");
	tap_done();
}
