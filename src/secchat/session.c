/*
 * session.c: the client's protocol engine, without I/O: the session's
 * life, its events, its failure, and the frames it is fed.
 *
 * Hello, Noise XX as initiator, AUTH inside message 3 (all in
 * session_handshake.c), then one application message per transport record
 * (session_messages.c).  Everything the server sends is decoded strictly;
 * the first thing that does not fit ends the session.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "session.h"
#include "session_impl.h"
#include "util.h"
#include "wire.h"

/* ---------------------------------------------------------------- events */

/* A new event, not yet queued. */
struct cs_event *
csi_ev_alloc(enum cs_event_type type)
{
	struct cs_event	*ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->type = type;
	return ev;
}

/*
 * An event without the server's time gets the local time when it is
 * queued: most carry the server's, and the clock is read only for the
 * others (a BATCH brings dozens of messages per record).
 */
void
csi_ev_push(struct csession *cs, struct cs_event *ev)
{
	if (ev->time == 0)
		ev->time = now_ms();
	*cs->evtail = ev;
	cs->evtail = &ev->next;
}

/* A new event at the end of the queue. */
struct cs_event *
csi_ev_new(struct csession *cs, enum cs_event_type type)
{
	struct cs_event	*ev;

	if ((ev = csi_ev_alloc(type)) != NULL)
		csi_ev_push(cs, ev);
	return ev;
}

struct cs_event *
cs_event_next(struct csession *cs)
{
	struct cs_event	*ev = cs->evhead;

	if (ev == NULL)
		return NULL;
	if ((cs->evhead = ev->next) == NULL)
		cs->evtail = &cs->evhead;
	ev->next = NULL;
	return ev;
}

void
cs_event_free(struct cs_event *ev)
{
	size_t	 i;

	if (ev == NULL)
		return;
	free(ev->room);
	free(ev->user);
	free(ev->text);
	for (i = 0; i < ev->nnames; i++)
		free(ev->names[i]);
	free(ev->names);
	for (i = 0; i < ev->nrooms; i++)
		free(ev->rooms[i].name);
	free(ev->rooms);
	free(ev->keys);
	free(ev->data);
	free(ev->to);
	free(ev);
}

/* Forget the secrets the session still holds. */
void
csi_wipe_secrets(struct csession *cs)
{
	sodium_memzero(cs->priv, sizeof(cs->priv));
	sodium_memzero(cs->kl_ss, sizeof(cs->kl_ss));
	sodium_memzero(cs->kl_hs2, sizeof(cs->kl_hs2));
	cs->has_kl = 0;
	if (cs->password != NULL) {
		sodium_memzero(cs->password, cs->passwordlen);
		free(cs->password);
		cs->password = NULL;
		cs->passwordlen = 0;
	}
	noise_hs_clear(&cs->hs);
}

/*
 * The session is over.  If the transport is up, tell the server why in a
 * BYE before the caller closes: a damaged record does not spoil our
 * sending direction.
 */
void
csi_fail(struct csession *cs, const char *fmt, ...)
{
	struct cs_event	*ev;
	va_list		 ap;
	char		 msg[256];

	if (cs->state == CS_ST_DONE)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (cs->transport && !cs->bye_sent) {
		struct buf	 pt;

		buf_init(&pt, RECORD_MAX_PLAINTEXT);
		if (wire_put_simple(&pt, MSG_BYE, "protocol error", 14, NULL,
		    0) == 0)
			(void)record_seal(&cs->tx, buf_head(&pt), buf_used(&pt),
			    &cs->out);
		buf_free(&pt);
		cs->bye_sent = 1;
	}
	cs->state = CS_ST_DONE;
	cs->failed = 1;
	csi_wipe_secrets(cs);
	buf_reset(&cs->in);
	if ((ev = csi_ev_new(cs, CS_EV_ERROR)) != NULL)
		ev->text = strdup(msg);
}

/* ---------------------------------------------------------------- setup */

struct csession *
cs_new(const struct cs_params *p)
{
	struct csession	*cs;
	uint8_t		 ids[HELLO_MAX_SUITES];
	size_t		 nids;
	int		 n;

	if (p->priv == NULL || p->pub == NULL || p->suites == NULL ||
	    p->nsuites == 0 || p->nsuites > HELLO_MAX_SUITES)
		return NULL;
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	cs->evtail = &cs->evhead;
	buf_init(&cs->in, INPUT_MAX);
	buf_init(&cs->out, CS_OUTPUT_MAX);
	memcpy(cs->priv, p->priv, KEY_LEN);
	memcpy(cs->pub, p->pub, KEY_LEN);
	memcpy(cs->suites, p->suites, p->nsuites);
	cs->nsuites = p->nsuites;
	if ((p->user != NULL || p->password != NULL) &&
	    cs_set_login(cs, p->user, p->password, p->passwordlen) != 0)
		goto fail;
	if (p->server_key != NULL) {
		memcpy(cs->expect_key, p->server_key, KEY_LEN);
		cs->has_expect_key = 1;
	}
	/*
	 * Capabilities 0x81 and 0x82 go after the suites (doc/protocol.md
	 * 11.1), when there is room for them: a version 1 server ignores
	 * them.
	 */
	memcpy(ids, cs->suites, cs->nsuites);
	nids = cs->nsuites;
	if (!p->no_extensions && nids + 2 <= HELLO_MAX_SUITES) {
		ids[nids++] = HELLO_CAP_E2E;
		ids[nids++] = HELLO_CAP_BATCH;
		cs->offer_ext = 1;
	}
	n = hello_client_encode(cs->hello, sizeof(cs->hello), ids, nids);
	if (n <= 0)
		goto fail;
	cs->hellolen = (size_t)n;
	if (frame_append(&cs->out, cs->hello, cs->hellolen) == -1)
		goto fail;
	cs->state = CS_ST_HELLO;
	return cs;
 fail:
	cs_free(cs);
	return NULL;
}

void
cs_free(struct csession *cs)
{
	struct cs_event	*ev;

	if (cs == NULL)
		return;
	csi_wipe_secrets(cs);
	noise_cs_clear(&cs->tx);
	noise_cs_clear(&cs->rx);
	buf_free(&cs->in);
	buf_free(&cs->out);
	while ((ev = cs_event_next(cs)) != NULL)
		cs_event_free(ev);
	sodium_memzero(cs, sizeof(*cs));
	free(cs);
}

struct buf *
cs_output(struct csession *cs)
{
	return &cs->out;
}

enum cs_state
cs_state(const struct csession *cs)
{
	return cs->state;
}

int
cs_finished(const struct csession *cs)
{
	return cs->state == CS_ST_DONE;
}

int
cs_bye_sent(const struct csession *cs)
{
	return cs->bye_sent;
}

uint8_t
cs_suite(const struct csession *cs)
{
	return cs->suite;
}

const uint8_t *
cs_server_key(const struct csession *cs)
{
	return cs->has_server_key ? cs->server_key : NULL;
}

const char *
cs_user(const struct csession *cs)
{
	return cs->user;
}

int
cs_extended(const struct csession *cs)
{
	return cs->extended;
}

int
cs_key_login_sent(const struct csession *cs)
{
	return cs->key_sent;
}

/* ---------------------------------------------------------------- frames */

static void
handle_frame(struct csession *cs, const uint8_t *p, size_t len)
{
	switch (cs->state) {
	case CS_ST_HELLO:
		csi_handle_hello(cs, p, len);
		break;
	case CS_ST_HANDSHAKE:
		csi_handle_msg2(cs, p, len);
		break;
	case CS_ST_AUTH:
	case CS_ST_AUTH_RETRY:
	case CS_ST_READY:
	case CS_ST_CLOSING:
		csi_handle_record(cs, p, len);
		break;
	case CS_ST_VERDICT:
	case CS_ST_DONE:
		break;
	}
}

/* Handle every whole frame in the input buffer, as far as the state allows. */
static void
process(struct csession *cs)
{
	const uint8_t	*payload;
	size_t		 plen, used;
	int		 rc;

	while (cs->state != CS_ST_DONE && cs->state != CS_ST_VERDICT &&
	    buf_used(&cs->in) > 0) {
		rc = frame_parse(buf_head(&cs->in), buf_used(&cs->in),
		    &payload, &plen, &used);
		if (rc == 0)
			return;
		if (rc == -1) {
			csi_fail(cs, "malformed frame from the server");
			return;
		}
		handle_frame(cs, payload, plen);
		buf_consume(&cs->in, used);
	}
}

int
cs_input(struct csession *cs, const uint8_t *p, size_t len)
{
	size_t	 room, n;

	while (len > 0 && cs->state != CS_ST_DONE) {
		room = INPUT_MAX - buf_used(&cs->in);
		if (room == 0) {
			/* Only a paused session keeps a whole frame. */
			csi_fail(cs, "the server sent data before its key was "
			    "verified");
			break;
		}
		n = len < room ? len : room;
		if (buf_append(&cs->in, p, n) == -1) {
			csi_fail(cs, "out of memory");
			break;
		}
		p += n;
		len -= n;
		process(cs);
	}
	return cs->failed ? -1 : 0;
}

void
cs_eof(struct csession *cs)
{
	struct cs_event	*ev;
	const char	*what;

	switch (cs->state) {
	case CS_ST_DONE:
		return;
	case CS_ST_HELLO:
		what = "the server closed the connection before its hello";
		break;
	case CS_ST_HANDSHAKE:
		what = "the server closed the connection during the handshake";
		break;
	case CS_ST_AUTH:
	case CS_ST_AUTH_RETRY:
		what = "the server closed the connection during "
		    "authentication";
		break;
	default:
		what = buf_used(&cs->in) > 0 ?
		    "the connection was cut in the middle of a record" :
		    "the server closed the connection";
		break;
	}
	if ((ev = csi_ev_new(cs, CS_EV_CLOSED)) != NULL) {
		ev->code = (cs->bye_sent || cs->bye_received ||
		    cs->auth_exhausted) && buf_used(&cs->in) == 0 ?
		    CS_CLOSE_CLEAN : CS_CLOSE_LOST;
		ev->text = strdup(what);
	}
	cs->state = CS_ST_DONE;
	csi_wipe_secrets(cs);
	buf_reset(&cs->in);
}
