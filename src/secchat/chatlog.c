/*
 * chatlog.c: the conversation logs (chatlog.h).  A file is opened for
 * each line and closed after: few lines come per second, and a file
 * moved or removed meanwhile is simply made again.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "chatlog.h"
#include "client.h"
#include "commands.h"
#include "e2e.h"
#include "knownhosts.h"
#include "output.h"
#include "util.h"

#define DEFAULT_PORT_TEXT	"9999"

struct chatlog {
	char	*dir;		/* .../logs/HOST */
	char	 me[SECCHAT_NAME_MAX + 1];
	int	 warned;	/* a write failed and was told */
};

static char *
default_dir(void)
{
	const char	*xdg = getenv("XDG_DATA_HOME"), *home;
	struct passwd	*pw;
	char		*dir;

	if (xdg != NULL && xdg[0] == '/') {
		if (asprintf(&dir, "%s/secchat/logs", xdg) == -1)
			err(EXIT_ERROR, "asprintf");
		return dir;
	}
	if ((home = getenv("HOME")) == NULL || *home == '\0') {
		if ((pw = getpwuid(getuid())) == NULL)
			return NULL;
		home = pw->pw_dir;
	}
	if (asprintf(&dir, "%s/.local/share/secchat/logs", home) == -1)
		err(EXIT_ERROR, "asprintf");
	return dir;
}

/* A host name as one path component: no '/', no leading dot. */
static void
host_component(const char *host, const char *port, char *out, size_t len)
{
	size_t	 i, o = 0;
	char	 ch;

	for (i = 0; host[i] != '\0' && o + 1 < len; i++) {
		ch = host[i];
		if ((ch >= 'A' && ch <= 'Z'))
			ch = (char)(ch - 'A' + 'a');
		else if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' &&
		    ch <= '9') || ch == '-' || ch == '_' || ch == ':' ||
		    (ch == '.' && o > 0)))
			ch = '_';
		out[o++] = ch;
	}
	out[o] = '\0';
	if (strcmp(port, DEFAULT_PORT_TEXT) != 0) {
		strlcat(out, "_", len);
		strlcat(out, port, len);
	}
}

struct chatlog *
chatlog_open(const char *dir, const char *host, const char *port,
    const char *me, char *errbuf, size_t errlen)
{
	struct chatlog	*cl;
	char		*base, comp[300];
	struct stat	 st;

	if ((base = dir != NULL ? strdup(dir) : default_dir()) == NULL) {
		snprintf(errbuf, errlen, "cannot find the home directory");
		return NULL;
	}
	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		err(EXIT_ERROR, "calloc");
	host_component(host, port, comp, sizeof(comp));
	if (asprintf(&cl->dir, "%s/%s", base, comp) == -1)
		err(EXIT_ERROR, "asprintf");
	free(base);
	strlcpy(cl->me, me, sizeof(cl->me));
	if (mkdir_parents(cl->dir, 0700) == -1 || lstat(cl->dir, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", cl->dir, strerror(errno));
		chatlog_close(cl);
		return NULL;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a directory", cl->dir);
		chatlog_close(cl);
		return NULL;
	}
	/* An existing directory that others may read is made private. */
	if ((st.st_mode & 077) != 0 && chmod(cl->dir, 0700) == -1) {
		snprintf(errbuf, errlen, "%s: %s", cl->dir, strerror(errno));
		chatlog_close(cl);
		return NULL;
	}
	return cl;
}

void
chatlog_close(struct chatlog *cl)
{
	if (cl == NULL)
		return;
	free(cl->dir);
	free(cl);
}

char *
chatlog_path(const struct chatlog *cl, const char *name)
{
	char	*path;

	/* Room and user names are checked: no '/', never "." or "..". */
	if (asprintf(&path, "%s/%s%s.log", cl->dir, name[0] == '@' ? "@" :
	    "", name + 1) == -1)
		err(EXIT_ERROR, "asprintf");
	return path;
}

/* Append one line (the parts made safe here) to the file for name. */
static void
append(struct client *c, const char *name, uint64_t ms, const char *tag,
    const char *who, int action, const char *text)
{
	struct chatlog	*cl = c->log;
	char		 when[OUT_TIME_MAX], *path, *swho, *stext, *line;
	size_t		 len, done = 0;
	ssize_t		 n;
	int		 fd, len_i;

	path = chatlog_path(cl, name);
	out_time_iso(ms, when);
	swho = out_safe(who);
	stext = out_safe(text);
	len_i = action ?
	    asprintf(&line, "%s %s* %s %s\n", when, tag, swho, stext) :
	    asprintf(&line, "%s %s<%s> %s\n", when, tag, swho, stext);
	if (len_i == -1)
		err(EXIT_ERROR, "asprintf");
	len = (size_t)len_i;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (fd != -1) {
		while (done < len) {
			n = write(fd, line + done, len - done);
			if (n == -1 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		if (close(fd) == -1)
			done = 0;
	}
	if (done < len && !cl->warned) {
		cl->warned = 1;
		client_note(c, "cannot write the log %s: %s (further errors "
		    "are not told)", path, fd == -1 ? strerror(errno) :
		    "short write");
	}
	free(line);
	free(stext);
	free(swho);
	free(path);
}

static void
room_line(struct client *c, const char *room, uint64_t ms, const char *who,
    int action, const char *text)
{
	char	 name[SECCHAT_NAME_MAX + 2];

	if (room == NULL || !valid_roomname(room, strlen(room)))
		return;
	snprintf(name, sizeof(name), "#%s", room);
	append(c, name, ms, "", who, action, text);
}

static void
private_line(struct client *c, const char *peer, uint64_t ms,
    const char *tag, const char *who, int action, const char *text)
{
	char	 name[SECCHAT_NAME_MAX + 2];

	if (peer == NULL || !valid_username(peer, strlen(peer)))
		return;
	snprintf(name, sizeof(name), "@%s", peer);
	append(c, name, ms, tag, who, action, text);
}

void
chatlog_event(struct client *c, const struct cs_event *ev)
{
	const char	*tag;
	int		 copy, action;

	if (c->log == NULL || ev->text == NULL)
		return;
	switch (ev->type) {
	case CS_EV_MESSAGE:
	case CS_EV_ACTION:
		if (ev->user != NULL)
			room_line(c, ev->room, ev->time, ev->user,
			    ev->type == CS_EV_ACTION, ev->text);
		break;
	case CS_EV_PRIVATE:
		if (ev->user != NULL)
			private_line(c, ev->user, ev->time,
			    "[NOT end-to-end] ", ev->user, 0, ev->text);
		break;
	case CS_EV_E2E_TEXT:
		copy = ev->code == E2E_SENT_TEXT ||
		    ev->code == E2E_SENT_ACTION;
		action = ev->code == E2E_ACTION ||
		    ev->code == E2E_SENT_ACTION;
		tag = ev->token ? "[end-to-end, verified] " :
		    "[end-to-end, unverified] ";
		if (ev->user != NULL)
			private_line(c, copy ? ev->to : ev->user, ev->time,
			    tag, copy ? c->log->me : ev->user, action,
			    ev->text);
		break;
	case CS_EV_E2E_OWN:
		tag = ev->token ? "[end-to-end, verified] " :
		    "[end-to-end, unverified] ";
		private_line(c, ev->user, ev->time != 0 ? ev->time :
		    now_ms(), tag, c->log->me, ev->code == E2E_ACTION,
		    ev->text);
		break;
	default:
		break;
	}
}

/* Split "/NAME rest": whether NAME is the command want (or its alias). */
static const char *
command_rest(const char *line, const char *want)
{
	char		 word[32];
	size_t		 n;

	if (line[0] != '/' || line[1] == '/')
		return NULL;
	n = strcspn(line + 1, " \t");
	if (n == 0 || n >= sizeof(word))
		return NULL;
	memcpy(word, line + 1, n);
	word[n] = '\0';
	if (cmd_find(word) == NULL || cmd_find(word) != cmd_find(want))
		return NULL;
	line += 1 + n;
	return line + strspn(line, " \t");
}

void
chatlog_own_line(struct client *c, const char *line)
{
	const char	*rest;
	char		 user[SECCHAT_NAME_MAX + 1];
	size_t		 n;

	if (c->log == NULL)
		return;
	if (line[0] != '/')
		room_line(c, c->current, now_ms(), c->log->me, 0, line);
	else if (line[1] == '/')
		room_line(c, c->current, now_ms(), c->log->me, 0, line + 1);
	else if ((rest = command_rest(line, "me")) != NULL && *rest != '\0')
		room_line(c, c->current, now_ms(), c->log->me, 1, rest);
	else if ((rest = command_rest(line, "plainmsg")) != NULL) {
		/* /msg logs itself when sent: see CS_EV_E2E_OWN. */
		n = strcspn(rest, " \t");
		if (n == 0 || n >= sizeof(user) || rest[n] == '\0')
			return;
		memcpy(user, rest, n);
		user[n] = '\0';
		rest += n;
		rest += strspn(rest, " \t");
		private_line(c, user, now_ms(), "[NOT end-to-end] ",
		    c->log->me, 0, rest);
	}
}
