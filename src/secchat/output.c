/*
 * output.c: render session events for scripts and for people.
 */
#include "config.h"

#include <err.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vis.h>
#include <wctype.h>

#include "colour.h"
#include "e2e.h"
#include "keys.h"
#include "output.h"
#include "safety.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#define VIS_FLAGS	(VIS_OCTAL | VIS_CSTYLE | VIS_TAB | VIS_NL)
/*
 * Longer runs of spaces in a message are shown by their length: padding
 * must not push text to where it would pass for a line of its own.
 */
#define SPACE_RUN_MAX	16

static int	utf8_passes;	/* the terminal takes printable UTF-8 */
static int	show_seconds;	/* -o Seconds=yes */
/* Our own name, whose lines are shown in the style of our own. */
static char	me[SECCHAT_NAME_MAX + 1];

void
out_init(void)
{
	const char	*cs = nl_langinfo(CODESET);

	utf8_passes = cs != NULL && (strcmp(cs, "UTF-8") == 0 ||
	    strcmp(cs, "utf8") == 0);
}

/*
 * Length of the UTF-8 sequence at p (1..4) and its code point, or 0 if it
 * is not a valid, shortest-form sequence.
 */
static size_t
utf8_seq(const unsigned char *p, size_t left, unsigned long *cpp)
{
	unsigned long	 cp;
	size_t		 n, i;

	if (p[0] < 0x80) {
		*cpp = p[0];
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2; cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3; cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4; cp = p[0] & 0x07;
	} else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cpp = cp;
	return n;
}

/*
 * Invisible formatting characters that could make a line read differently
 * from what it holds: bidirectional overrides and isolates, zero-width
 * characters, line and paragraph separators.
 */
static int
deceptive(unsigned long cp)
{
	return cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x206f) ||
	    cp == 0xfeff;
}

/*
 * Append the visible form of one byte.  vis(3) takes the ASCII ones; a
 * byte of a character that is not shown is written in octal here, as
 * VIS_OCTAL would, because libbsd's vis() misreads single bytes of
 * multibyte characters in a UTF-8 locale.
 */
static void
put_byte(FILE *fp, unsigned char c, unsigned char next)
{
	char	 v[8];

	if (c >= 0x80) {
		fprintf(fp, "\\%03o", c);
		return;
	}
	vis(v, c, VIS_FLAGS, next);
	fputs(v, fp);
}

static void
put_safe_n(FILE *fp, const char *s, size_t left)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 n, i;
	unsigned long		 cp;

	while (left > 0) {
		/* Plain printable ASCII, the common case, goes in one piece. */
		for (n = 0; n < left && p[n] >= 0x20 && p[n] < 0x7f &&
		    p[n] != '\\'; n++)
			;
		if (n > 0) {
			fwrite(p, 1, n, fp);
			p += n;
			left -= n;
			continue;
		}
		n = utf8_seq(p, left, &cp);
		if (n > 1 && utf8_passes && iswprint((wint_t)cp) &&
		    !deceptive(cp))
			fwrite(p, 1, n, fp);
		else {
			if (n == 0)
				n = 1;
			for (i = 0; i < n; i++)
				put_byte(fp, p[i], i + 1 < left ? p[i + 1] : 0);
		}
		p += n;
		left -= n;
	}
}

static void
put_safe(FILE *fp, const char *s)
{
	put_safe_n(fp, s, strlen(s));
}

/*
 * put_safe() for the text of a message on the terminal: a run of more than
 * SPACE_RUN_MAX spaces is written as "[N spaces]".
 */
static void
put_text(FILE *fp, const char *s)
{
	const char	*p = s, *run;
	size_t		 n;

	if (s == NULL)
		return;
	while ((run = strchr(p, ' ')) != NULL) {
		n = strspn(run, " ");
		if (n <= SPACE_RUN_MAX) {
			put_safe_n(fp, p, (size_t)(run - p) + n);
		} else {
			put_safe_n(fp, p, (size_t)(run - p));
			fprintf(fp, "[%zu spaces]", n);
		}
		p = run + n;
	}
	put_safe(fp, p);
}

char *
out_safe(const char *s)
{
	char	*line = NULL;
	size_t	 len = 0;
	FILE	*fp;

	if ((fp = open_memstream(&line, &len)) == NULL)
		err(1, "open_memstream");
	put_safe(fp, s != NULL ? s : "");
	if (fclose(fp) != 0)
		err(1, "out_safe");
	return line;
}

void
out_time_iso(uint64_t ms, char out[OUT_TIME_MAX])
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL) {
		strlcpy(out, "1970-01-01T00:00:00.000Z", OUT_TIME_MAX);
		return;
	}
	snprintf(out, OUT_TIME_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
}

void
out_set_seconds(int on)
{
	show_seconds = on;
}

void
out_set_me(const char *user)
{
	strlcpy(me, user != NULL ? user : "", sizeof(me));
}

void
out_time_hhmm(uint64_t ms, char out[OUT_TIME_MAX])
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL) {
		strlcpy(out, show_seconds ? "--:--:--" : "--:--",
		    OUT_TIME_MAX);
		return;
	}
	if (show_seconds)
		snprintf(out, OUT_TIME_MAX, "%02d:%02d:%02d", tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	else
		snprintf(out, OUT_TIME_MAX, "%02d:%02d", tm.tm_hour,
		    tm.tm_min);
}

void
out_time_date(uint64_t ms, char out[OUT_TIME_MAX])
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL) {
		strlcpy(out, "0000-00-00", OUT_TIME_MAX);
		return;
	}
	snprintf(out, OUT_TIME_MAX, "%04d-%02d-%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday);
}

long
out_day(uint64_t ms)
{
	time_t		 t = (time_t)(ms / 1000);
	struct tm	 tm;

	if (localtime_r(&t, &tm) == NULL)
		return -1;
	return (long)(tm.tm_year + 1900) * 1000 + tm.tm_yday;
}

/* ---------------------------------------------------------------- styles */

/* Start a style (an SGR of our own, or nothing); end it with sgr_end(). */
static int
sgr_start(FILE *fp, const char *sgr)
{
	if (*sgr == '\0')
		return 0;
	fputs(sgr, fp);
	return 1;
}

static void
sgr_end(FILE *fp, int started)
{
	if (started)
		fputs(colour_reset(), fp);
}

/* A user name, in its colour, or in the style of our own. */
static void
put_nick(FILE *fp, const char *user)
{
	int	 on;

	if (user != NULL && me[0] != '\0' && strcmp(user, me) == 0)
		on = sgr_start(fp, colour_style(CS_OWN));
	else
		on = sgr_start(fp, colour_nick(user));
	put_safe(fp, user != NULL ? user : "");
	sgr_end(fp, on);
}

/* " TEXT" if there is any text: an empty field is left out. */
static void
put_rest(FILE *fp, const char *s)
{
	if (s != NULL && *s != '\0') {
		fputc(' ', fp);
		put_safe(fp, s);
	}
}

static void
put_field(FILE *fp, const char *s)
{
	fputc(' ', fp);
	put_safe(fp, s != NULL ? s : "");
}

static void
put_fingerprint(FILE *fp, const uint8_t key[KEY_LEN])
{
	char	 f[FINGERPRINT_LEN];

	keys_fingerprint(key, f);
	fputc(' ', fp);
	fputs(f, fp);
}

static const char *
trust_word(uint64_t verified)
{
	return verified ? "verified" : "unverified";
}

/* The pipe-mode fields of the end-to-end events (section 11). */
static int
pipe_e2e_fields(FILE *fp, const struct cs_event *ev)
{
	switch (ev->type) {
	case CS_EV_E2E_TEXT:
		switch (ev->code) {
		case E2E_SENT_TEXT:
		case E2E_SENT_ACTION:
			fputs(ev->code == E2E_SENT_TEXT ? " private-e2e-sent" :
			    " private-e2e-sent-action", fp);
			put_field(fp, ev->to);
			break;
		default:
			fputs(ev->code == E2E_ACTION ? " private-e2e-action" :
			    " private-e2e", fp);
			put_field(fp, ev->user);
			break;
		}
		fputc(' ', fp);
		fputs(trust_word(ev->token), fp);
		put_rest(fp, ev->text);
		return 1;
	case CS_EV_KEY_NEW:
	case CS_EV_KEY_CHANGED:
		fputs(ev->type == CS_EV_KEY_NEW ? " key-new" : " key-changed",
		    fp);
		put_field(fp, ev->user);
		put_fingerprint(fp, ev->key);
		return 1;
	case CS_EV_E2E_FAILED:
		fputs(" e2e-failed", fp);
		put_field(fp, ev->user);
		put_rest(fp, ev->text);
		return 1;
	case CS_EV_SAFETY:
		fputs(" safety-number", fp);
		put_field(fp, ev->user);
		put_fingerprint(fp, ev->key);
		put_field(fp, ev->text);
		fputs(ev->token ? " verified" : " seen", fp);
		return 1;
	default:
		return 0;
	}
}

/* Write the pipe-mode fields after the time; 0 if the event has no line. */
static int
pipe_fields(FILE *fp, const struct cs_event *ev)
{
	size_t	 i;

	switch (ev->type) {
	case CS_EV_AUTH_OK:
		fputs(" login", fp);
		put_field(fp, ev->user);
		break;
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
		fputs(ev->type == CS_EV_MESSAGE ? " message" : " action", fp);
		put_field(fp, ev->room);
		put_field(fp, ev->user);
		put_rest(fp, ev->text);
		break;
	case CS_EV_PRIVATE:
		fputs(" private", fp);
		put_field(fp, ev->user);
		put_rest(fp, ev->text);
		break;
	case CS_EV_HISTORY:
		fputs(ev->code == HISTORY_ACTION ? " history-action" :
		    " history", fp);
		put_field(fp, ev->room);
		put_field(fp, ev->user);
		put_rest(fp, ev->text);
		break;
	case CS_EV_JOINED:
	case CS_EV_PARTED:
		fputs(ev->type == CS_EV_JOINED ? " joined" : " parted", fp);
		put_field(fp, ev->room);
		break;
	case CS_EV_ARRIVED:
		fputs(" arrived", fp);
		put_field(fp, ev->room);
		put_field(fp, ev->user);
		break;
	case CS_EV_DEPARTED:
		fputs(" departed", fp);
		put_field(fp, ev->room);
		put_field(fp, ev->user);
		put_rest(fp, ev->text);
		break;
	case CS_EV_NAMES:
		fputs(" names", fp);
		put_field(fp, ev->room);
		for (i = 0; i < ev->nnames; i++)
			put_field(fp, ev->names[i]);
		break;
	case CS_EV_ROOMLIST:
		fputs(" rooms", fp);
		for (i = 0; i < ev->nrooms; i++) {
			put_field(fp, ev->rooms[i].name);
			fprintf(fp, ":%u", ev->rooms[i].members);
		}
		break;
	case CS_EV_NOTICE:
		fputs(" notice", fp);
		put_rest(fp, ev->text);
		break;
	case CS_EV_SERVER_ERROR:
		fprintf(fp, " error %u", ev->code);
		put_rest(fp, ev->text);
		break;
	case CS_EV_AUTH_FAIL:
		fprintf(fp, " auth-failed %u", ev->code);
		put_rest(fp, ev->text);
		break;
	case CS_EV_BYE:
		fputs(" bye", fp);
		put_rest(fp, ev->text);
		break;
	default:
		return pipe_e2e_fields(fp, ev);
	}
	return 1;
}

/* Finish a memstream line; NULL (and the line freed) if it is unwanted. */
static char *
finish(FILE *fp, char **linep, int wanted)
{
	/* The memstream sets *linep only when it is closed. */
	if (fclose(fp) != 0)
		err(1, "output");
	if (!wanted) {
		free(*linep);
		return NULL;
	}
	return *linep;
}

char *
out_pipe_line(const struct cs_event *ev)
{
	char	 ts[OUT_TIME_MAX], *line = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 wanted;

	if ((fp = open_memstream(&line, &len)) == NULL)
		err(1, "open_memstream");
	out_time_iso(ev->time, ts);
	fputs(ts, fp);
	wanted = pipe_fields(fp, ev);
	return finish(fp, &line, wanted);
}

/* "[room] " when a room message is not for the room being shown. */
static void
put_room_tag(FILE *fp, const char *room, const char *current)
{
	if (room != NULL && (current == NULL || strcmp(room, current) != 0)) {
		fputc('[', fp);
		put_safe(fp, room);
		fputs("] ", fp);
	}
}

static const char *
error_name(unsigned int code)
{
	switch (code) {
	case ERR_BAD_REQUEST:
		return "bad request";
	case ERR_NO_ROOM:
		return "no such room";
	case ERR_NO_USER:
		return "no such user";
	case ERR_BAD_TEXT:
		return "bad text";
	case ERR_BAD_NAME:
		return "bad name";
	case ERR_LIMIT:
		return "limit reached";
	}
	return "error";
}

/*
 * The text of a message: highlighted when it names us (or is private and
 * the caller asked), else as it is.
 */
static int	highlight;	/* set by out_tty_line_hl() for one line */

static void
put_msg_text(FILE *fp, const char *text, int rest)
{
	int	 on;

	if (text == NULL || *text == '\0')
		return;
	if (rest)
		fputc(' ', fp);
	on = highlight ? sgr_start(fp, colour_style(CS_MENTION)) : 0;
	put_text(fp, text);
	sgr_end(fp, on);
}

/* "[private from bob, end-to-end, verified] text" and the like. */
static void
tty_e2e(FILE *fp, const char *hm, const struct cs_event *ev)
{
	int	 copy = ev->code == E2E_SENT_TEXT ||
		    ev->code == E2E_SENT_ACTION;
	int	 action = ev->code == E2E_ACTION ||
		    ev->code == E2E_SENT_ACTION;
	int	 on;

	fprintf(fp, "%s ", hm);
	on = sgr_start(fp, colour_style(CS_PRIVATE));
	fprintf(fp, "[private %s ", ev->type == CS_EV_E2E_OWN || copy ?
	    "to" : "from");
	put_safe(fp, copy ? ev->to : ev->user);
	fprintf(fp, ", end-to-end, %s%s]", trust_word(ev->token),
	    copy ? ", sent from your other device" : "");
	sgr_end(fp, on);
	fputc(' ', fp);
	if (action) {
		fputs("* ", fp);
		if (ev->type == CS_EV_E2E_TEXT && !copy)
			put_nick(fp, ev->user);
		else
			put_safe(fp, "you");
		put_msg_text(fp, ev->text, 1);
	} else
		put_msg_text(fp, ev->text, 0);
}

/* "<bob> text" or "* bob text". */
static void
put_said(FILE *fp, int action, const char *user, const char *text)
{
	if (action) {
		fputs("* ", fp);
		put_nick(fp, user);
		put_msg_text(fp, text, 1);
	} else {
		fputc('<', fp);
		put_nick(fp, user);
		fputs("> ", fp);
		put_msg_text(fp, text, 0);
	}
}

/* Write the interactive line for events that carry a conversation. */
static int
tty_talk(FILE *fp, const struct cs_event *ev, const char *current)
{
	char	 hm[OUT_TIME_MAX], day[OUT_TIME_MAX];
	int	 on;

	out_time_hhmm(ev->time, hm);
	switch (ev->type) {
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
		fprintf(fp, "%s ", hm);
		put_room_tag(fp, ev->room, current);
		put_said(fp, ev->type == CS_EV_ACTION, ev->user, ev->text);
		return 1;
	case CS_EV_PRIVATE:
		/*
		 * The same form as our own, "[private to bob, ...]"; the
		 * server could read this one, and the line says so.
		 */
		fprintf(fp, "%s ", hm);
		on = sgr_start(fp, colour_style(CS_PRIVATE));
		fputs("[private from ", fp);
		put_safe(fp, ev->user);
		fputs(", NOT end-to-end]", fp);
		sgr_end(fp, on);
		fputc(' ', fp);
		put_msg_text(fp, ev->text, 0);
		return 1;
	case CS_EV_E2E_TEXT:
	case CS_EV_E2E_OWN:
		tty_e2e(fp, hm, ev);
		return 1;
	case CS_EV_HISTORY:
		/* Old lines carry their date: they may be days old. */
		out_time_date(ev->time, day);
		on = sgr_start(fp, colour_style(CS_HISTORY));
		fprintf(fp, "[history] %s %s", day, hm);
		sgr_end(fp, on);
		fputc(' ', fp);
		put_room_tag(fp, ev->room, current);
		put_said(fp, ev->code == HISTORY_ACTION, ev->user, ev->text);
		return 1;
	default:
		return 0;
	}
}

/* Write the interactive line for comings, goings and lists. */
static int
tty_status(FILE *fp, const struct cs_event *ev)
{
	char	 hm[OUT_TIME_MAX];
	size_t	 i;
	int	 on, bad;

	bad = ev->type == CS_EV_SERVER_ERROR || ev->type == CS_EV_BYE ||
	    ev->type == CS_EV_KEY_CHANGED || ev->type == CS_EV_E2E_FAILED;
	out_time_hhmm(ev->time, hm);
	fprintf(fp, "%s ", hm);
	/* An event without a line is thrown away whole, style and all. */
	on = sgr_start(fp, colour_style(bad ? CS_ERROR : CS_NOTICE));
	fputs("-- ", fp);
	switch (ev->type) {
	case CS_EV_AUTH_OK:
		fputs("logged in as ", fp);
		put_safe(fp, ev->user);
		break;
	case CS_EV_JOINED:
		fputs("you have joined ", fp);
		put_safe(fp, ev->room);
		break;
	case CS_EV_PARTED:
		fputs("you have left ", fp);
		put_safe(fp, ev->room);
		break;
	case CS_EV_ARRIVED:
		put_safe(fp, ev->user);
		fputs(" has joined ", fp);
		put_safe(fp, ev->room);
		break;
	case CS_EV_DEPARTED:
		put_safe(fp, ev->user);
		fputs(" has left ", fp);
		put_safe(fp, ev->room);
		if (ev->text != NULL && *ev->text != '\0') {
			fputs(" (", fp);
			put_safe(fp, ev->text);
			fputc(')', fp);
		}
		break;
	case CS_EV_NAMES:
		fputs("in ", fp);
		put_safe(fp, ev->room);
		fputc(':', fp);
		for (i = 0; i < ev->nnames; i++)
			put_field(fp, ev->names[i]);
		break;
	case CS_EV_ROOMLIST:
		fputs("rooms:", fp);
		for (i = 0; i < ev->nrooms; i++) {
			put_field(fp, ev->rooms[i].name);
			fprintf(fp, " (%u)%s", ev->rooms[i].members,
			    i + 1 < ev->nrooms ? "," : "");
		}
		if (ev->nrooms == 0)
			fputs(" none", fp);
		break;
	case CS_EV_NOTICE:
		fputs("notice: ", fp);
		put_safe(fp, ev->text);
		break;
	case CS_EV_SERVER_ERROR:
		/* The server's text says it all; else the code's name. */
		fputs("error: ", fp);
		if (ev->text != NULL && *ev->text != '\0')
			put_safe(fp, ev->text);
		else
			fputs(error_name(ev->code), fp);
		break;
	case CS_EV_BYE:
		fputs("the server said goodbye", fp);
		if (ev->text != NULL && *ev->text != '\0') {
			fputs(": ", fp);
			put_safe(fp, ev->text);
		}
		break;
	case CS_EV_KEY_NEW:
		fputs("new key for ", fp);
		put_safe(fp, ev->user);
		fputs(", pinned on first use:", fp);
		put_fingerprint(fp, ev->key);
		fputs(" (/verify ", fp);
		put_safe(fp, ev->user);
		fputs(" to compare safety numbers)", fp);
		break;
	case CS_EV_KEY_CHANGED:
		fputs("WARNING: ", fp);
		put_safe(fp, ev->user);
		fputs(" shows a NEW KEY", fp);
		put_fingerprint(fp, ev->key);
		fputs(" beside a verified one: a new device, or someone "
		    "(the server?) listening in.  Nothing is sent to it until "
		    "/accept ", fp);
		put_safe(fp, ev->user);
		fputs("; compare with /verify ", fp);
		put_safe(fp, ev->user);
		fputs(" first", fp);
		break;
	case CS_EV_E2E_FAILED:
		fputs("not delivered end to end to ", fp);
		put_safe(fp, ev->user);
		fputs(": ", fp);
		put_safe(fp, ev->text);
		break;
	case CS_EV_SAFETY: {
		char	 groups[SAFETY_FORMATTED_LEN];

		put_safe(fp, ev->user);
		put_fingerprint(fp, ev->key);
		fprintf(fp, " (%s): safety number ", ev->token ? "verified" :
		    "seen");
		if (ev->text != NULL && strlen(ev->text) == SAFETY_DIGITS) {
			safety_format(ev->text, groups);
			fputs(groups, fp);
		}
		break;
	}
	default:
		return 0;
	}
	sgr_end(fp, on);
	return 1;
}

char *
out_tty_own(enum cs_event_type type, const char *room, const char *user,
    const char *text, const char *current)
{
	struct cs_event	 ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.time = now_ms();
	/* The event is only read; the casts do not lead to writes. */
	ev.room = (char *)room;
	ev.user = (char *)user;
	ev.text = (char *)text;
	return out_tty_line(&ev, current);
}

char *
out_tty_own_private(const char *to, const char *text)
{
	return out_tty_own_plain(to, text);
}

char *
out_tty_own_plain(const char *to, const char *text)
{
	char	 hm[OUT_TIME_MAX], *line = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 on;

	if ((fp = open_memstream(&line, &len)) == NULL)
		err(1, "open_memstream");
	out_time_hhmm(now_ms(), hm);
	fprintf(fp, "%s ", hm);
	on = sgr_start(fp, colour_style(CS_PRIVATE));
	fputs("[private to ", fp);
	put_safe(fp, to);
	fputs(", NOT end-to-end]", fp);
	sgr_end(fp, on);
	fputc(' ', fp);
	put_text(fp, text);
	return finish(fp, &line, 1);
}

char *
out_tty_line(const struct cs_event *ev, const char *room)
{
	return out_tty_line_hl(ev, room, 0);
}

char *
out_tty_line_hl(const struct cs_event *ev, const char *room, int hl)
{
	char	*line = NULL;
	size_t	 len = 0;
	FILE	*fp;
	int	 wanted;

	if ((fp = open_memstream(&line, &len)) == NULL)
		err(1, "open_memstream");
	highlight = hl;
	wanted = tty_talk(fp, ev, room);
	if (!wanted)
		wanted = tty_status(fp, ev);
	highlight = 0;
	return finish(fp, &line, wanted);
}
