/*
 * ctl_output.c: printing an answer's rows (ctl_output.h).
 *
 * The daemon sends each item as one line of tab-separated fields, in an
 * order secchatctl(8) documents; -o tsv prints them as they came.  For
 * people, each request has its columns: a heading, and how a column is
 * made from the fields.  A field the daemon did not send shows as "-".
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_output.h"
#include "ctlproto.h"
#include "util.h"

#define MAX_FIELDS	16

enum col_kind {
	COL_FIELD,	/* field a as it is */
	COL_DURATION,	/* field a, seconds, as a duration */
	COL_ADDRESS	/* field a the address, field b the port */
};

struct column {
	const char	*heading;
	enum col_kind	 kind;
	int		 a, b;
};

static const struct column session_columns[] = {
	{ "ID", COL_FIELD, 0, 0 },
	{ "USER", COL_FIELD, 1, 0 },
	{ "STATE", COL_FIELD, 2, 0 },
	{ "ADDRESS", COL_ADDRESS, 3, 4 },
	{ "SINCE", COL_FIELD, 5, 0 },
	{ "IDLE", COL_DURATION, 6, 0 },
	{ "CIPHER", COL_FIELD, 7, 0 },
	{ "KEY", COL_FIELD, 8, 0 },
	{ "ROOMS", COL_FIELD, 9, 0 },
	{ NULL, COL_FIELD, 0, 0 }
};

static const struct column user_columns[] = {
	{ "USER", COL_FIELD, 0, 0 },
	{ "SESSIONS", COL_FIELD, 1, 0 },
	{ "SINCE", COL_FIELD, 2, 0 },
	{ "IDLE", COL_DURATION, 3, 0 },
	{ "ROOMS", COL_FIELD, 4, 0 },
	{ NULL, COL_FIELD, 0, 0 }
};

static const struct column room_columns[] = {
	{ "ROOM", COL_FIELD, 0, 0 },
	{ "USERS", COL_FIELD, 1, 0 },
	{ "SESSIONS", COL_FIELD, 2, 0 },
	{ "NAMES", COL_FIELD, 3, 0 },
	{ NULL, COL_FIELD, 0, 0 }
};

/* A counter without heading: name and value. */
static const struct column stat_columns[] = {
	{ "", COL_FIELD, 0, 0 },
	{ "", COL_FIELD, 1, 0 },
	{ NULL, COL_FIELD, 0, 0 }
};

/*
 * What OpenMetrics says of each counter of `show stats`: its type and
 * help.  A name the table lacks (a newer daemon's) is "unknown".
 */
static const struct {
	const char	*name;
	const char	*type;
	const char	*help;
} metrics[] = {
	{ "uptime_seconds", "gauge", "Seconds since the daemon started." },
	{ "sessions", "gauge", "Connections with a worker, logged in or not." },
	{ "sessions_logged_in", "gauge", "Sessions logged in." },
	{ "sessions_preauth", "gauge", "Sessions not logged in yet." },
	{ "logins_total", "counter", "Logins accepted." },
	{ "login_failures_total", "counter",
	    "Logins refused after a password check." },
	{ "logins_throttled_total", "counter",
	    "Logins refused without a check, for too many failures." },
	{ "throttled_sources", "gauge",
	    "Sources refused now for too many failed logins." },
	{ "rooms", "gauge", "Rooms with a session in them." },
	{ "messages_total", "counter",
	    "Client messages the broker received, since it started." },
	{ "deliveries_total", "counter",
	    "Messages the broker queued for sessions, since it started." },
	{ "messages_per_second", "gauge",
	    "Client messages a second, over the last 10 seconds." },
	{ "deliveries_per_second", "gauge",
	    "Messages queued for sessions a second, over the last 10 "
	    "seconds." },
	{ "queue_drops_total", "counter",
	    "Sessions ended because their send queue was full." },
	{ "sessions_kicked_total", "counter",
	    "Sessions ended by the control socket's kick." },
	{ "sessions_ended_by_reload_total", "counter",
	    "Sessions ended by a reload: account removed or locked." },
	{ "broker_restarts_total", "counter", "Times the broker was lost." },
	{ "checker_restarts_total", "counter",
	    "Times the password checker was lost." },
};

int
ctl_format_parse(const char *s, enum ctl_format *f)
{
	if (strcmp(s, "human") == 0)
		*f = CTL_FORMAT_HUMAN;
	else if (strcmp(s, "tsv") == 0)
		*f = CTL_FORMAT_TSV;
	else if (strcmp(s, "openmetrics") == 0)
		*f = CTL_FORMAT_OPENMETRICS;
	else
		return -1;
	return 0;
}

void
ctl_duration(const char *seconds, char *out, size_t outlen)
{
	const char		*errstr;
	unsigned long long	 s;

	s = (unsigned long long)strtonum(seconds, 0, UINT32_MAX, &errstr);
	if (errstr != NULL) {
		strlcpy(out, seconds, outlen);
		return;
	}
	if (s < 60)
		snprintf(out, outlen, "%llus", s);
	else if (s < 3600)
		snprintf(out, outlen, "%llum%02llus", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, outlen, "%lluh%02llum", s / 3600,
		    s % 3600 / 60);
	else
		snprintf(out, outlen, "%llud%02lluh", s / 86400,
		    s % 86400 / 3600);
}

/* Split a copy of row at tabs; returns the number of fields. */
static int
split(char *row, char **f)
{
	int	 n = 0;
	char	*tab;

	for (;;) {
		if (n == MAX_FIELDS)
			return n;
		f[n++] = row;
		if ((tab = strchr(row, '\t')) == NULL)
			return n;
		*tab = '\0';
		row = tab + 1;
	}
}

static char *
cell(const struct column *c, char **f, int nf)
{
	char	 text[512];
	const char *a = c->a < nf ? f[c->a] : "-";
	const char *b = c->b < nf ? f[c->b] : "-";
	char	*dup;

	switch (c->kind) {
	case COL_DURATION:
		ctl_duration(a, text, sizeof(text));
		break;
	case COL_ADDRESS:
		snprintf(text, sizeof(text), strchr(a, ':') != NULL ?
		    "[%s]:%s" : "%s:%s", a, b);
		break;
	default:
		if ((dup = strdup(a)) == NULL) {
			perror("strdup");
			exit(3);
		}
		return dup;
	}
	if ((dup = strdup(text)) == NULL) {
		perror("strdup");
		exit(3);
	}
	return dup;
}

/* Aligned columns, the last one not padded. */
static void
print_table(FILE *fp, const struct column *cols, int headings, char **rows,
    size_t nrows)
{
	char	**cells, *copy, *f[MAX_FIELDS];
	size_t	  ncols = 0, i, j, *width;
	int	  nf;

	while (cols[ncols].heading != NULL)
		ncols++;
	if (nrows == 0)
		return;
	cells = calloc(nrows * ncols, sizeof(*cells));
	width = calloc(ncols, sizeof(*width));
	if (cells == NULL || width == NULL) {
		perror("calloc");
		exit(3);
	}
	for (j = 0; j < ncols && headings; j++)
		width[j] = strlen(cols[j].heading);
	for (i = 0; i < nrows; i++) {
		if ((copy = strdup(rows[i])) == NULL) {
			perror("strdup");
			exit(3);
		}
		nf = split(copy, f);
		for (j = 0; j < ncols; j++) {
			cells[i * ncols + j] = cell(&cols[j], f, nf);
			if (strlen(cells[i * ncols + j]) > width[j])
				width[j] = strlen(cells[i * ncols + j]);
		}
		free(copy);
	}
	for (j = 0; j < ncols && headings; j++)
		fprintf(fp, "%-*s%s", j + 1 < ncols ? (int)width[j] : 0,
		    cols[j].heading, j + 1 < ncols ? "  " : "\n");
	for (i = 0; i < nrows; i++)
		for (j = 0; j < ncols; j++)
			fprintf(fp, "%-*s%s", j + 1 < ncols ? (int)width[j] : 0,
			    cells[i * ncols + j], j + 1 < ncols ? "  " : "\n");
	for (i = 0; i < nrows * ncols; i++)
		free(cells[i]);
	free(cells);
	free(width);
}

/* A value OpenMetrics takes: digits, at most one point. */
static int
number(const char *v)
{
	size_t	 n = strspn(v, "0123456789.");

	return n > 0 && v[n] == '\0' && v[0] != '.' &&
	    strchr(v, '.') == strrchr(v, '.');
}

static void
print_openmetrics(FILE *fp, char **rows, size_t nrows)
{
	const char	*type, *help;
	char		*copy, *f[MAX_FIELDS], family[128];
	size_t		 i, j, len;
	int		 nf;

	for (i = 0; i < nrows; i++) {
		if ((copy = strdup(rows[i])) == NULL) {
			perror("strdup");
			exit(3);
		}
		nf = split(copy, f);
		/* What is unknown is left out, not made up. */
		if (nf < 2 || !number(f[1]) ||
		    strspn(f[0], "abcdefghijklmnopqrstuvwxyz_") !=
		    strlen(f[0]) || f[0][0] == '\0') {
			free(copy);
			continue;
		}
		type = "unknown";
		help = NULL;
		for (j = 0; j < sizeof(metrics) / sizeof(metrics[0]); j++)
			if (strcmp(metrics[j].name, f[0]) == 0) {
				type = metrics[j].type;
				help = metrics[j].help;
			}
		len = strlen(f[0]);
		/* A counter's family drops the _total its sample has. */
		if (strcmp(type, "counter") == 0 && len > 6 &&
		    strcmp(f[0] + len - 6, "_total") == 0)
			len -= 6;
		else if (strcmp(type, "counter") == 0)
			type = "unknown";
		snprintf(family, sizeof(family), "secchat_%.*s", (int)len,
		    f[0]);
		fprintf(fp, "# TYPE %s %s\n", family, type);
		if (help != NULL)
			fprintf(fp, "# HELP %s %s\n", family, help);
		fprintf(fp, "secchat_%s %s\n", f[0], f[1]);
		free(copy);
	}
	fputs("# EOF\n", fp);
}

int
ctl_print(FILE *fp, uint16_t type, enum ctl_format fmt, char **rows,
    size_t nrows)
{
	size_t	 i;

	if (fmt == CTL_FORMAT_OPENMETRICS) {
		if (type != CTL_SHOW_STATS)
			return -1;
		print_openmetrics(fp, rows, nrows);
		return 0;
	}
	if (fmt == CTL_FORMAT_HUMAN) {
		switch (type) {
		case CTL_SHOW_SESSIONS:
			print_table(fp, session_columns, 1, rows, nrows);
			return 0;
		case CTL_SHOW_USERS:
			print_table(fp, user_columns, 1, rows, nrows);
			return 0;
		case CTL_SHOW_ROOMS:
			print_table(fp, room_columns, 1, rows, nrows);
			return 0;
		case CTL_SHOW_STATS:
			print_table(fp, stat_columns, 0, rows, nrows);
			return 0;
		}
	}
	for (i = 0; i < nrows; i++)
		fprintf(fp, "%s\n", rows[i]);
	return 0;
}
