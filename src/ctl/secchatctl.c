/*
 * secchatctl: ask a running secchatd, through its control socket, for its
 * sessions, rooms, users and counters; end sessions; send a notice to
 * everyone; reload; set the log level.  See secchatctl(8).
 */
#include "config.h"

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_client.h"
#include "ctl_output.h"
#include "ctlproto.h"
#include "util.h"

#define CALL_TIMEOUT_MS		30000	/* a reload waits up to 15 s */

/* Exit statuses: the man page lists them. */
#define EXIT_REFUSED	1	/* the daemon answered with an error */
#define EXIT_USAGE	2
#define EXIT_CONTACT	3	/* no answer from the daemon */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr,
	    "usage: %s [-s socket] [-o human | tsv | openmetrics] command\n"
	    "commands:\n"
	    "  show sessions | rooms | users | stats [-o format]\n"
	    "  kick user | session-id [reason]\n"
	    "  notice text\n"
	    "  reload\n"
	    "  log verbose | brief\n", getprogname());
	exit(EXIT_USAGE);
}

/* The words from argv[i] on, one space between two, into out. */
static void
join_words(char **argv, int argc, int i, char *out, size_t outlen)
{
	out[0] = '\0';
	for (; i < argc; i++) {
		if (out[0] != '\0' && strlcat(out, " ", outlen) >= outlen)
			errx(EXIT_USAGE, "text too long");
		if (strlcat(out, argv[i], outlen) >= outlen)
			errx(EXIT_USAGE, "text too long");
	}
}

/*
 * The command line's request.  *format is changed by a trailing -o of a
 * show command.
 */
static void
parse_request(int argc, char **argv, struct ctl_request *req,
    enum ctl_format *format, int *format_set)
{
	char		 text[CTL_NOTICE_MAX + 2];
	const char	*errstr;

	memset(req, 0, sizeof(*req));
	if (argc < 1)
		usage();
	if (strcmp(argv[0], "show") == 0) {
		if (argc != 2 && !(argc == 4 && strcmp(argv[2], "-o") == 0))
			usage();
		if (strcmp(argv[1], "sessions") == 0)
			req->type = CTL_SHOW_SESSIONS;
		else if (strcmp(argv[1], "rooms") == 0)
			req->type = CTL_SHOW_ROOMS;
		else if (strcmp(argv[1], "users") == 0)
			req->type = CTL_SHOW_USERS;
		else if (strcmp(argv[1], "stats") == 0)
			req->type = CTL_SHOW_STATS;
		else
			usage();
		if (argc == 4) {
			if (ctl_format_parse(argv[3], format) == -1)
				usage();
			*format_set = 1;
		}
	} else if (strcmp(argv[0], "kick") == 0) {
		if (argc < 2)
			usage();
		/* User names never start with a digit; session ids do. */
		if (argv[1][0] >= '0' && argv[1][0] <= '9') {
			req->type = CTL_KICK_SESSION;
			req->session = (uint32_t)strtonum(argv[1], 1,
			    UINT32_MAX, &errstr);
			if (errstr != NULL)
				errx(EXIT_USAGE, "session id %s: %s", argv[1],
				    errstr);
		} else {
			req->type = CTL_KICK_USER;
			if (!valid_username(argv[1], strlen(argv[1])))
				errx(EXIT_USAGE, "%s: not a user name or a "
				    "session id", argv[1]);
			strlcpy(req->user, argv[1], sizeof(req->user));
		}
		join_words(argv, argc, 2, text, sizeof(text));
		if (strlen(text) > CTL_REASON_MAX ||
		    !ctl_printable(text, strlen(text)))
			errx(EXIT_USAGE, "the reason must be at most %d bytes "
			    "of printable UTF-8", CTL_REASON_MAX);
		strlcpy(req->text, text, sizeof(req->text));
	} else if (strcmp(argv[0], "notice") == 0) {
		if (argc < 2)
			usage();
		req->type = CTL_NOTICE;
		join_words(argv, argc, 1, text, sizeof(text));
		if (text[0] == '\0' || strlen(text) > CTL_NOTICE_MAX ||
		    !ctl_printable(text, strlen(text)))
			errx(EXIT_USAGE, "the notice must be 1 to %d bytes of "
			    "printable UTF-8", CTL_NOTICE_MAX);
		strlcpy(req->text, text, sizeof(req->text));
	} else if (strcmp(argv[0], "reload") == 0) {
		if (argc != 1)
			usage();
		req->type = CTL_RELOAD;
	} else if (strcmp(argv[0], "log") == 0) {
		if (argc != 2)
			usage();
		req->type = CTL_LOG;
		if (strcmp(argv[1], "verbose") == 0)
			req->flag = 1;
		else if (strcmp(argv[1], "brief") == 0)
			req->flag = 0;
		else
			usage();
	} else
		usage();
}

int
main(int argc, char *argv[])
{
	struct ctl_request	 req;
	struct ctl_answer	 ans;
	enum ctl_format		 format = CTL_FORMAT_HUMAN;
	const char		*path = CTL_DEFAULT_SOCKET;
	char			 why[512];
	int			 ch, format_set = 0, show;

	/* "+": what follows the command is its own, a reason's "-x" too. */
	while ((ch = getopt(argc, argv, "+o:s:")) != -1) {
		switch (ch) {
		case 'o':
			if (ctl_format_parse(optarg, &format) == -1)
				usage();
			format_set = 1;
			break;
		case 's':
			path = optarg;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	parse_request(argc, argv, &req, &format, &format_set);
	show = req.type == CTL_SHOW_SESSIONS || req.type == CTL_SHOW_ROOMS ||
	    req.type == CTL_SHOW_USERS || req.type == CTL_SHOW_STATS;
	if (format_set && !show)
		errx(EXIT_USAGE, "-o applies to the show commands only");
	if (format == CTL_FORMAT_OPENMETRICS && req.type != CTL_SHOW_STATS)
		errx(EXIT_USAGE, "-o openmetrics applies to show stats only");

	if (ctl_call(path, &req, CALL_TIMEOUT_MS, &ans, why,
	    sizeof(why)) == -1)
		errx(EXIT_CONTACT, "%s", why);
	if (ans.error) {
		warnx("%s", ans.text);
		ctl_answer_free(&ans);
		return EXIT_REFUSED;
	}
	(void)ctl_print(stdout, req.type, format, ans.rows, ans.nrows);
	/* A show's rows are its output; what the daemon adds is a note. */
	if (ans.text[0] != '\0') {
		if (show)
			warnx("note: %s", ans.text);
		else
			printf("%s\n", ans.text);
	}
	ctl_answer_free(&ans);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(EXIT_CONTACT, "stdout");
	return 0;
}
