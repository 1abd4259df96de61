/*
 * ctlproto.h: the control socket's protocol, between secchatctl (and
 * secchat-passwd -k) and the master (doc/security.md section 3.6).
 *
 * One request per connection.  A request and every reply frame is an
 * 8-byte header (payload length, type, flags, all big-endian; flags must
 * be 0) and the payload.  Every request type is a row of one table with
 * its payload's layout, which gives its exact or bounded length; the
 * master reads a request with ctl_request_parse, a function over a buffer
 * that does no I/O.  The master answers with any number of ROW frames
 * (one line of tab-separated fields each) and then one OK or ERROR frame
 * (a line of text for people), and closes the connection.
 */
#ifndef SECCHAT_CTLPROTO_H
#define SECCHAT_CTLPROTO_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "util.h"

#define CTL_HDRLEN		8
#define CTL_REASON_MAX		127	/* bytes of a kick reason */
#define CTL_NOTICE_MAX		1024	/* bytes of a notice's text */
/* The longest request payload any row allows: a notice. */
#define CTL_REQUEST_MAX		(2 + CTL_NOTICE_MAX)
/* The longest reply frame's payload: a row of a session in 1024 rooms. */
#define CTL_REPLY_MAX		(64 * 1024)

enum ctl_type {
	/* requests */
	CTL_SHOW_SESSIONS = 1,
	CTL_SHOW_ROOMS,
	CTL_SHOW_USERS,
	CTL_SHOW_STATS,
	CTL_KICK_USER = 10,
	CTL_KICK_SESSION,
	CTL_NOTICE,
	CTL_RELOAD,
	CTL_LOG,
	/* replies */
	CTL_R_ROW = 100,	/* one line of tab-separated fields */
	CTL_R_OK,		/* the end: a line for people, may be empty */
	CTL_R_ERROR		/* the end: why the request failed */
};

/*
 * Request layouts, one letter per field, read in order and consuming the
 * payload exactly:  b a u8 that is 0 or 1;  i a u32 session id, not 0;
 * u a string (u16 length and bytes) that is a valid user name;  r a
 * string of 0..CTL_REASON_MAX bytes of printable UTF-8;  n a string of
 * 1..CTL_NOTICE_MAX bytes of printable UTF-8.  Printable: no C0 or C1
 * control character, no DEL (so no tab and no newline either).
 */
struct ctl_spec {
	uint16_t	 type;
	const char	*name;		/* as secchatctl spells the command */
	const char	*layout;
	const char	*fields;	/* the layout in words, for documents */
	const char	*does;		/* what the master does, in words */
};

extern const struct ctl_spec	ctl_specs[];
extern const size_t		ctl_nspecs;

/* A parsed request: the fields its layout has, the others zero. */
struct ctl_request {
	const struct ctl_spec	*spec;
	uint16_t		 type;
	uint8_t			 flag;				/* b */
	uint32_t		 session;			/* i */
	char			 user[SECCHAT_NAME_MAX + 1];	/* u */
	char			 text[CTL_NOTICE_MAX + 1];	/* r or n */
};

const struct ctl_spec *ctl_spec_find(uint16_t type);
/*
 * Read one request from p, len bytes.  Returns 1 with *req filled and
 * *used the bytes it took; 0 if more bytes are needed (nothing filled);
 * -1 if the bytes can never make a valid request, with *why saying why:
 * a flag set, a length beyond CTL_REQUEST_MAX, an unknown type, a payload
 * its layout does not read exactly, or a field that breaks its rule.
 */
int	ctl_request_parse(const uint8_t *p, size_t len, struct ctl_request *req,
	    size_t *used, const char **why);
/* Append a request built from req's fields; -1 if they break the rules. */
int	ctl_request_encode(struct buf *, const struct ctl_request *);
/* Append a reply frame; -1 if len is over CTL_REPLY_MAX. */
int	ctl_reply_encode(struct buf *, uint16_t type, const void *, size_t len);
/*
 * Read one reply frame: 1 with *type, *payload, *plen and *used, 0 if
 * more bytes are needed, -1 if malformed (flags, length, unknown type).
 */
int	ctl_reply_parse(const uint8_t *p, size_t len, uint16_t *type,
	    const uint8_t **payload, size_t *plen, size_t *used);
/* Printable UTF-8 as the r and n fields require (len bytes, any length). */
int	ctl_printable(const char *, size_t len);
/* doc/security.md section 3.6's table, in Markdown. */
void	ctl_table_doc(FILE *);

#endif
