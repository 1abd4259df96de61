/*
 * chatlog.h: optional logs of the conversations (Log=yes or LogDir=DIR;
 * off by default), one file per room and one per private peer:
 *
 *	DIR/HOST/ROOM.log	DIR/HOST/@USER.log
 *
 * DIR is LogDir, else $XDG_DATA_HOME/secchat/logs, else
 * ~/.local/share/secchat/logs; HOST is the server's name, with "_PORT"
 * if the port is not the default.  Directories are made mode 0700, files
 * 0600 and appended to.  One line per message:
 *
 *	2026-11-25T20:01:02.123Z <alice> text
 *	2026-11-25T20:01:02.123Z * alice waves
 *	2026-11-25T20:01:02.123Z [end-to-end, verified] <bob> text
 *	2026-11-25T20:01:02.123Z [NOT end-to-end] <me> text
 *
 * The names and the text are made safe as on the screen (out_safe()):
 * no control character of a peer's reaches the file raw.
 */
#ifndef SECCHAT_CHATLOG_H
#define SECCHAT_CHATLOG_H

#include <stdint.h>

#include "session.h"

struct client;
struct chatlog;

/*
 * Start logging for the server host:port into dir (NULL: the default).
 * NULL if the directory cannot be made (the caller says so).
 */
struct chatlog	*chatlog_open(const char *dir, const char *host,
		    const char *port, const char *me, char *err,
		    size_t errlen);
void		 chatlog_close(struct chatlog *);
/* The path of the file for a room ("#room") or a peer ("@user"). */
char		*chatlog_path(const struct chatlog *, const char *name);

/* Log an event if it is a message (a room's, a private one). */
void		 chatlog_event(struct client *, const struct cs_event *);
/* Log a line we typed and sent, as the screen shows it. */
void		 chatlog_own_line(struct client *, const char *line);

#endif
