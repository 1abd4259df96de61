/*
 * e2e_client.c: end-to-end private messages, without I/O (see
 * e2e_client.h): the texts waiting for the key directory, the sessions
 * with each device, the rules of the pins, and what is shown.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "buf.h"
#include "e2e.h"
#include "e2e_client.h"
#include "keys.h"
#include "peers.h"
#include "safety.h"
#include "session.h"
#include "util.h"
#include "wire.h"

#define MAX_DEVICES	KEYLIST_MAX

/* A text for one device, waiting for the session's ANSWER. */
struct e2ec_text {
	enum e2e_kind		 kind;
	char			 to[SECCHAT_NAME_MAX + 1];	/* SENT_* */
	char			*text;
	struct e2ec_text	*next;
};

/* A /msg waiting for the KEYLISTs of the peer and of our own user. */
struct e2ec_msg {
	char			 to[SECCHAT_NAME_MAX + 1];
	enum e2e_kind		 kind;
	char			*text;
	int			 wait_peer, wait_self;
	/* The devices the KEYLISTs gave, after the rules. */
	uint8_t			 peer[MAX_DEVICES][KEY_LEN];
	size_t			 npeer;
	int			 peer_online;	/* any online key listed */
	int			 peer_held;	/* some held back */
	uint8_t			 self[MAX_DEVICES][KEY_LEN];
	size_t			 nself;
	struct e2ec_msg		*next;
};

struct e2ec_out {
	char			 user[SECCHAT_NAME_MAX + 1];
	uint8_t			 device[KEY_LEN];
	struct e2e_out		 s;
	struct e2ec_text	*queue, **qtail;
	size_t			 nqueued;
	struct e2ec_out		*next;
};

struct e2ec_in {
	char			 user[SECCHAT_NAME_MAX + 1];
	uint8_t			 device[KEY_LEN];
	struct e2e_in		 s;
	uint64_t		 serial;
	struct e2ec_in		*next;
};

/* ---------------------------------------------------------------- basics */

void
e2ec_init(struct e2ec *m, const uint8_t priv[KEY_LEN],
    const uint8_t pub[KEY_LEN], const char *user, const char *hostport,
    struct peers *pins)
{
	memset(m, 0, sizeof(*m));
	memcpy(m->priv, priv, KEY_LEN);
	memcpy(m->pub, pub, KEY_LEN);
	strlcpy(m->user, user, sizeof(m->user));
	strlcpy(m->hostport, hostport, sizeof(m->hostport));
	m->pins = pins;
	m->reqtail = &m->reqhead;
	m->evtail = &m->evhead;
}

static void
free_text(char *t)
{
	if (t != NULL) {
		sodium_memzero(t, strlen(t));
		free(t);
	}
}

static void
free_queue(struct e2ec_out *o)
{
	struct e2ec_text	*t;

	while ((t = o->queue) != NULL) {
		o->queue = t->next;
		free_text(t->text);
		free(t);
	}
	o->qtail = &o->queue;
	o->nqueued = 0;
}

void
e2ec_free(struct e2ec *m)
{
	struct e2ec_msg	*g;
	struct e2ec_out	*o;
	struct e2ec_in	*i;
	struct e2ec_req	*r;
	struct cs_event	*ev;

	while ((g = m->msgs) != NULL) {
		m->msgs = g->next;
		free_text(g->text);
		free(g);
	}
	while ((o = m->outs) != NULL) {
		m->outs = o->next;
		free_queue(o);
		e2e_out_clear(&o->s);
		free(o);
	}
	while ((i = m->ins) != NULL) {
		m->ins = i->next;
		e2e_in_clear(&i->s);
		free(i);
	}
	while ((r = e2ec_req_next(m)) != NULL)
		e2ec_req_free(r);
	while ((ev = e2ec_event_next(m)) != NULL)
		cs_event_free(ev);
	sodium_memzero(m, sizeof(*m));
}

struct e2ec_req *
e2ec_req_next(struct e2ec *m)
{
	struct e2ec_req	*r = m->reqhead;

	if (r == NULL)
		return NULL;
	if ((m->reqhead = r->next) == NULL)
		m->reqtail = &m->reqhead;
	r->next = NULL;
	return r;
}

void
e2ec_req_free(struct e2ec_req *r)
{
	if (r == NULL)
		return;
	free(r->payload);
	free(r);
}

struct cs_event *
e2ec_event_next(struct e2ec *m)
{
	struct cs_event	*ev = m->evhead;

	if (ev == NULL)
		return NULL;
	if ((m->evhead = ev->next) == NULL)
		m->evtail = &m->evhead;
	ev->next = NULL;
	return ev;
}

int
e2ec_pins_changed(struct e2ec *m)
{
	int	 d = m->pins_dirty;

	m->pins_dirty = 0;
	return d;
}

/* An event to show; NULL only when out of memory (it is then not shown). */
static struct cs_event *
event(struct e2ec *m, enum cs_event_type type, const char *user,
    const uint8_t *key, const char *text)
{
	struct cs_event	*ev;

	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return NULL;
	ev->type = type;
	ev->time = now_ms();
	if ((user != NULL && (ev->user = strdup(user)) == NULL) ||
	    (text != NULL && (ev->text = strdup(text)) == NULL)) {
		cs_event_free(ev);
		return NULL;
	}
	if (key != NULL)
		memcpy(ev->key, key, KEY_LEN);
	*m->evtail = ev;
	m->evtail = &ev->next;
	return ev;
}

static void
failed(struct e2ec *m, const char *user, const char *reason)
{
	(void)event(m, CS_EV_E2E_FAILED, user, NULL, reason);
}

static void
request(struct e2ec *m, enum e2ec_req_type type, const char *user,
    const uint8_t *device, struct buf *payload)
{
	struct e2ec_req	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return;
	r->type = type;
	strlcpy(r->user, user, sizeof(r->user));
	if (device != NULL)
		memcpy(r->device, device, KEY_LEN);
	if (payload != NULL && buf_used(payload) > 0) {
		if ((r->payload = malloc(buf_used(payload))) == NULL) {
			free(r);
			return;
		}
		memcpy(r->payload, buf_head(payload), buf_used(payload));
		r->len = buf_used(payload);
	}
	*m->reqtail = r;
	m->reqtail = &r->next;
}

static int
is_me(const struct e2ec *m, const char *user, const uint8_t *key)
{
	return strcmp(user, m->user) == 0 && (key == NULL ||
	    memcmp(key, m->pub, KEY_LEN) == 0);
}

static int
verified(const struct e2ec *m, const char *user, const uint8_t key[KEY_LEN])
{
	const struct peer_entry	*e;

	e = peers_find(m->pins, m->hostport, user, key);
	return e != NULL && e->status == PEER_VERIFIED;
}

/* ---------------------------------------------------------------- pins */

static int
is_held(const struct e2ec *m, const char *user, const uint8_t key[KEY_LEN])
{
	size_t	 i;

	for (i = 0; i < m->nheld; i++)
		if (strcmp(m->held[i].user, user) == 0 &&
		    memcmp(m->held[i].key, key, KEY_LEN) == 0)
			return 1;
	return 0;
}

/*
 * Apply the rules of the pins to a key user shows: 1 to use it, 0 not
 * (held until /accept).  Pins it, and says so, when it is new.
 */
static int
judge(struct e2ec *m, const char *user, const uint8_t key[KEY_LEN])
{
	switch (peers_judge(m->pins, m->hostport, user, key)) {
	case PEER_USE_SEEN:
	case PEER_USE_VERIFIED:
		return 1;
	case PEER_PIN_NEW:
		if (peers_set(m->pins, m->hostport, user, key, PEER_SEEN) == -1)
			return 0;
		m->pins_dirty = 1;
		(void)event(m, CS_EV_KEY_NEW, user, key, NULL);
		return 1;
	case PEER_HOLD_CHANGED:
		/* Loud, but once per run and key: not at every message. */
		if (!is_held(m, user, key) && m->nheld < E2EC_HELD_MAX) {
			strlcpy(m->held[m->nheld].user, user,
			    sizeof(m->held[m->nheld].user));
			memcpy(m->held[m->nheld].key, key, KEY_LEN);
			m->nheld++;
			(void)event(m, CS_EV_KEY_CHANGED, user, key, NULL);
		}
		return 0;
	}
	return 0;
}

size_t
e2ec_held_count(const struct e2ec *m, const char *user)
{
	size_t	 i, n = 0;

	for (i = 0; i < m->nheld; i++)
		if (strcmp(m->held[i].user, user) == 0)
			n++;
	return n;
}

size_t
e2ec_accept(struct e2ec *m, const char *user)
{
	size_t	 i = 0, n = 0;

	while (i < m->nheld) {
		if (strcmp(m->held[i].user, user) != 0) {
			i++;
			continue;
		}
		if (peers_set(m->pins, m->hostport, user, m->held[i].key,
		    PEER_SEEN) == 0) {
			m->pins_dirty = 1;
			n++;
		}
		m->held[i] = m->held[--m->nheld];
	}
	return n;
}

size_t
e2ec_trust(struct e2ec *m, const char *user, size_t *pinned)
{
	size_t	 n, v;

	peers_count(m->pins, m->hostport, user, pinned, &v);
	if ((n = peers_verify_all(m->pins, m->hostport, user)) > 0)
		m->pins_dirty = 1;
	return n;
}

size_t
e2ec_verify(struct e2ec *m, const char *user)
{
	struct cs_event		*ev;
	const struct peer_entry	*e;
	char			 digits[SAFETY_DIGITS + 1];
	size_t			 i, n = 0;

	for (i = 0; i < m->pins->n; i++) {
		e = &m->pins->e[i];
		if (strcmp(e->hostport, m->hostport) != 0 ||
		    strcmp(e->user, user) != 0)
			continue;
		safety_number(m->pub, m->user, e->key, e->user, digits);
		if ((ev = event(m, CS_EV_SAFETY, user, e->key, digits)) != NULL)
			ev->token = e->status == PEER_VERIFIED;
		n++;
	}
	return n;
}

/* ---------------------------------------------------------------- sending */

static struct e2ec_out *
find_out(struct e2ec *m, const char *user, const uint8_t device[KEY_LEN],
    int create)
{
	struct e2ec_out	*o;

	for (o = m->outs; o != NULL; o = o->next)
		if (strcmp(o->user, user) == 0 &&
		    memcmp(o->device, device, KEY_LEN) == 0)
			return o;
	if (!create || (o = calloc(1, sizeof(*o))) == NULL)
		return NULL;
	strlcpy(o->user, user, sizeof(o->user));
	memcpy(o->device, device, KEY_LEN);
	o->qtail = &o->queue;
	o->next = m->outs;
	m->outs = o;
	return o;
}

/* Seal one text for a ready session and ask for it to be sent. */
static int
seal(struct e2ec *m, struct e2ec_out *o, enum e2e_kind kind, const char *to,
    const char *text)
{
	struct buf	 b;
	int		 rc;

	buf_init(&b, E2E_PAYLOAD_MAX);
	rc = e2e_out_seal(&o->s, kind, to, text, strlen(text), E2EC_TEXT_MAX,
	    &b);
	if (rc == 0)
		request(m, E2EC_REQ_E2E, o->user, o->device, &b);
	buf_free(&b);
	return rc;
}

/* Start a session with the device: its HELLO goes out. */
static int
start(struct e2ec *m, struct e2ec_out *o)
{
	struct buf	 b;
	int		 rc;

	e2e_out_clear(&o->s);
	buf_init(&b, E2E_PAYLOAD_MAX);
	rc = e2e_out_start(&o->s, m->priv, m->pub, m->user, o->device, o->user,
	    &b);
	if (rc == 0)
		request(m, E2EC_REQ_E2E, o->user, o->device, &b);
	buf_free(&b);
	return rc;
}

/* One text to one device: sealed now, or queued until the ANSWER. */
static void
to_device(struct e2ec *m, const char *user, const uint8_t device[KEY_LEN],
    enum e2e_kind kind, const char *to, const char *text)
{
	struct e2ec_out		*o;
	struct e2ec_text	*t;

	if ((o = find_out(m, user, device, 1)) == NULL)
		return;
	if (o->s.state == E2E_OUT_READY) {
		if (seal(m, o, kind, to, text) == -1 && !is_me(m, user, NULL))
			failed(m, user, "cannot encrypt the message");
		return;
	}
	if (o->nqueued >= E2EC_QUEUE_MAX ||
	    (t = calloc(1, sizeof(*t))) == NULL) {
		if (!is_me(m, user, NULL))
			failed(m, user, "too many messages waiting for the "
			    "device's answer");
		return;
	}
	t->kind = kind;
	if (to != NULL)
		strlcpy(t->to, to, sizeof(t->to));
	if ((t->text = strdup(text)) == NULL) {
		free(t);
		return;
	}
	*o->qtail = t;
	o->qtail = &t->next;
	o->nqueued++;
	if (o->s.state == E2E_OUT_NONE && start(m, o) == -1) {
		free_queue(o);
		if (!is_me(m, user, NULL))
			failed(m, user, "cannot start an end-to-end session");
	}
}

/* Both KEYLISTs are in: send the text to every device it goes to. */
static void
dispatch(struct e2ec *m, struct e2ec_msg *g)
{
	struct cs_event	*ev;
	enum e2e_kind	 copy;
	size_t		 i;
	int		 allv = 1;

	if (g->npeer == 0) {
		if (g->peer_held)
			failed(m, g->to, "key changed: nothing is sent to a "
			    "new key until /accept (compare with /verify)");
		else if (g->peer_online)
			failed(m, g->to, "no trusted key online");
		else
			failed(m, g->to, "not online with an end-to-end "
			    "device (/plainmsg sends through the server)");
		return;
	}
	copy = g->kind == E2E_ACTION ? E2E_SENT_ACTION : E2E_SENT_TEXT;
	for (i = 0; i < g->npeer; i++) {
		to_device(m, g->to, g->peer[i], g->kind, NULL, g->text);
		if (!verified(m, g->to, g->peer[i]))
			allv = 0;
	}
	for (i = 0; i < g->nself; i++)
		to_device(m, m->user, g->self[i], copy, g->to, g->text);
	if ((ev = event(m, CS_EV_E2E_OWN, g->to, NULL, g->text)) != NULL) {
		ev->code = g->kind;
		ev->token = allv;
	}
}

int
e2ec_send(struct e2ec *m, const char *to, enum e2e_kind kind,
    const char *text)
{
	struct e2ec_msg	*g, **tail;
	int		 asked_peer = 0, asked_self = 0;

	if (!valid_username(to, strlen(to)) || (kind != E2E_TEXT &&
	    kind != E2E_ACTION) || !valid_text(text, strlen(text),
	    E2EC_TEXT_MAX) || m->nmsgs >= E2EC_QUEUE_MAX)
		return -1;
	/* A KEYS already asked answers every text waiting for it. */
	for (tail = &m->msgs; *tail != NULL; tail = &(*tail)->next) {
		g = *tail;
		if ((g->wait_peer && strcmp(g->to, to) == 0) ||
		    (g->wait_self && strcmp(m->user, to) == 0))
			asked_peer = 1;
		if ((g->wait_self) || (g->wait_peer &&
		    strcmp(g->to, m->user) == 0))
			asked_self = 1;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return -1;
	if ((g->text = strdup(text)) == NULL) {
		free(g);
		return -1;
	}
	strlcpy(g->to, to, sizeof(g->to));
	g->kind = kind;
	g->wait_peer = 1;
	/* To ourselves, the peer's list is our own. */
	g->wait_self = strcmp(to, m->user) != 0;
	*tail = g;
	m->nmsgs++;
	if (!asked_peer)
		request(m, E2EC_REQ_KEYS, to, NULL, NULL);
	if (g->wait_self && !asked_self)
		request(m, E2EC_REQ_KEYS, m->user, NULL, NULL);
	return 0;
}

void
e2ec_keylist(struct e2ec *m, const char *user, const struct cs_key *keys,
    size_t nkeys)
{
	uint8_t		 use[MAX_DEVICES][KEY_LEN];
	size_t		 i, nuse = 0;
	int		 online = 0, held = 0;
	struct e2ec_msg	*g, **pp;

	/*
	 * Only keys online now can take a message; enrolled ones alone are
	 * not pinned (nothing would show that their owner holds them).
	 */
	for (i = 0; i < nkeys && i < MAX_DEVICES; i++) {
		if (!(keys[i].flags & KEYLIST_ONLINE) ||
		    is_me(m, user, keys[i].key))
			continue;
		online = 1;
		if (judge(m, user, keys[i].key))
			memcpy(use[nuse++], keys[i].key, KEY_LEN);
		else
			held = 1;
	}
	for (g = m->msgs; g != NULL; g = g->next) {
		if (g->wait_peer && strcmp(g->to, user) == 0) {
			g->wait_peer = 0;
			memcpy(g->peer, use, nuse * KEY_LEN);
			g->npeer = nuse;
			g->peer_online = online;
			g->peer_held = held;
		}
		if (g->wait_self && strcmp(m->user, user) == 0) {
			g->wait_self = 0;
			memcpy(g->self, use, nuse * KEY_LEN);
			g->nself = nuse;
		}
	}
	/* Whatever is complete goes, in the order it was typed. */
	pp = &m->msgs;
	while ((g = *pp) != NULL) {
		if (g->wait_peer || g->wait_self) {
			/* A later text must not overtake it. */
			break;
		}
		*pp = g->next;
		m->nmsgs--;
		dispatch(m, g);
		free_text(g->text);
		free(g);
	}
}

/* ---------------------------------------------------------------- receiving */

static struct e2ec_in *
find_in(struct e2ec *m, const char *user, const uint8_t device[KEY_LEN],
    const uint8_t sid[E2E_SID_LEN])
{
	struct e2ec_in	*i;

	for (i = m->ins; i != NULL; i = i->next)
		if (strcmp(i->user, user) == 0 &&
		    memcmp(i->device, device, KEY_LEN) == 0 &&
		    memcmp(i->s.sid, sid, E2E_SID_LEN) == 0)
			return i;
	return NULL;
}

static void
drop_in(struct e2ec *m, struct e2ec_in *gone)
{
	struct e2ec_in	**pp;

	for (pp = &m->ins; *pp != NULL; pp = &(*pp)->next)
		if (*pp == gone) {
			*pp = gone->next;
			e2e_in_clear(&gone->s);
			free(gone);
			m->nins--;
			return;
		}
}

static void
hello(struct e2ec *m, const char *sender, const uint8_t device[KEY_LEN],
    const uint8_t sid[E2E_SID_LEN], const uint8_t *p, size_t len)
{
	struct e2ec_in	*in, *old, *i;
	struct buf	 b;

	if (is_me(m, sender, device))
		return;
	/* An unpinned key follows the rules; a held one is shown as such. */
	(void)judge(m, sender, device);
	if ((in = calloc(1, sizeof(*in))) == NULL)
		return;
	buf_init(&b, E2E_PAYLOAD_MAX);
	if (e2e_in_accept(&in->s, m->priv, m->pub, m->user, device, sender, p,
	    len, &b) == -1) {
		buf_free(&b);
		free(in);
		failed(m, sender, "dropped a damaged or forged end-to-end "
		    "handshake");
		return;
	}
	request(m, E2EC_REQ_E2E, sender, device, &b);
	buf_free(&b);
	strlcpy(in->user, sender, sizeof(in->user));
	memcpy(in->device, device, KEY_LEN);
	in->serial = ++m->in_serial;
	if ((old = find_in(m, sender, device, sid)) != NULL)
		drop_in(m, old);
	if (m->nins >= E2EC_IN_MAX) {
		for (old = i = m->ins; i != NULL; i = i->next)
			if (i->serial < old->serial)
				old = i;
		drop_in(m, old);
	}
	in->next = m->ins;
	m->ins = in;
	m->nins++;
}

static void
data(struct e2ec *m, uint64_t time, const char *sender,
    const uint8_t device[KEY_LEN], const uint8_t sid[E2E_SID_LEN],
    const uint8_t *p, size_t len)
{
	struct e2ec_in	*in;
	struct e2e_plain pl;
	struct cs_event	*ev;
	struct buf	 b;
	uint8_t		*scratch;
	char		*text;

	if ((in = find_in(m, sender, device, sid)) == NULL) {
		/* "I have no session sid": the sender may start again. */
		buf_init(&b, E2E_RESET_LEN);
		if (e2e_reset(sid, &b) == 0)
			request(m, E2EC_REQ_E2E, sender, device, &b);
		buf_free(&b);
		return;
	}
	if ((scratch = malloc(len)) == NULL)
		return;
	if (e2e_in_open(&in->s, p, len, scratch, &pl) == -1 ||
	    ((pl.kind == E2E_SENT_TEXT || pl.kind == E2E_SENT_ACTION) &&
	    strcmp(sender, m->user) != 0)) {
		/* Only our own devices send copies of what we sent. */
		sodium_memzero(scratch, len);
		free(scratch);
		failed(m, sender, "dropped a damaged, replayed or forged "
		    "end-to-end message");
		return;
	}
	if ((text = malloc(pl.textlen + 1)) != NULL) {
		memcpy(text, pl.text, pl.textlen);
		text[pl.textlen] = '\0';
	}
	sodium_memzero(scratch, len);
	free(scratch);
	if (text == NULL)
		return;
	if ((ev = event(m, CS_EV_E2E_TEXT, sender, device, text)) != NULL) {
		ev->time = time;
		ev->code = pl.kind;
		ev->token = verified(m, sender, device);
		if ((pl.kind == E2E_SENT_TEXT || pl.kind == E2E_SENT_ACTION) &&
		    (ev->to = strdup(pl.to)) == NULL) {
			/* Shown without its recipient it would mislead. */
			ev->type = CS_EV_E2E_FAILED;
			free_text(ev->text);
			ev->text = strdup("out of memory");
		}
	}
	free_text(text);
}

static void
answer(struct e2ec *m, const char *sender, const uint8_t device[KEY_LEN],
    const uint8_t sid[E2E_SID_LEN], const uint8_t *p, size_t len)
{
	struct e2ec_out		*o;
	struct e2ec_text	*t;

	if ((o = find_out(m, sender, device, 0)) == NULL ||
	    o->s.state != E2E_OUT_WAIT ||
	    memcmp(o->s.sid, sid, E2E_SID_LEN) != 0)
		return;		/* a stale or unasked answer */
	if (e2e_out_answer(&o->s, p, len) == -1) {
		failed(m, sender, "dropped a damaged or forged end-to-end "
		    "answer");
		return;
	}
	while ((t = o->queue) != NULL) {
		o->queue = t->next;
		if (seal(m, o, t->kind, t->kind == E2E_SENT_TEXT ||
		    t->kind == E2E_SENT_ACTION ? t->to : NULL, t->text) == -1 &&
		    !is_me(m, sender, NULL))
			failed(m, sender, "cannot encrypt the message");
		free_text(t->text);
		free(t);
	}
	o->qtail = &o->queue;
	o->nqueued = 0;
}

static void
reset(struct e2ec *m, const char *sender, const uint8_t device[KEY_LEN],
    const uint8_t sid[E2E_SID_LEN])
{
	struct e2ec_out	*o;

	if ((o = find_out(m, sender, device, 0)) == NULL ||
	    o->s.state == E2E_OUT_NONE ||
	    memcmp(o->s.sid, sid, E2E_SID_LEN) != 0)
		return;
	if (o->s.state == E2E_OUT_READY && !is_me(m, sender, NULL))
		failed(m, sender, "a device lost the end-to-end session: the "
		    "last messages may not have reached it");
	e2e_out_clear(&o->s);
	/* Texts still waiting go in a new session. */
	if (o->nqueued > 0 && start(m, o) == -1)
		free_queue(o);
}

void
e2ec_from(struct e2ec *m, uint64_t time, const char *sender,
    const uint8_t device[KEY_LEN], const uint8_t *p, size_t len)
{
	uint8_t	 sid[E2E_SID_LEN];

	switch (e2e_payload_type(p, len, sid)) {
	case E2E_HELLO:
		hello(m, sender, device, sid, p, len);
		break;
	case E2E_ANSWER:
		answer(m, sender, device, sid, p, len);
		break;
	case E2E_DATA:
		data(m, time, sender, device, sid, p, len);
		break;
	case E2E_RESET:
		reset(m, sender, device, sid);
		break;
	default:
		failed(m, sender, "dropped a malformed end-to-end message");
		break;
	}
}

void
e2ec_fail(struct e2ec *m, const char *user, const uint8_t device[KEY_LEN],
    const char *reason)
{
	struct e2ec_out	*o;
	char		 why[256];

	if ((o = find_out(m, user, device, 0)) == NULL)
		return;
	free_queue(o);
	e2e_out_clear(&o->s);
	/* A copy for one of our own devices that went offline is no news. */
	if (is_me(m, user, NULL))
		return;
	snprintf(why, sizeof(why), "%s", reason != NULL && *reason != '\0' ?
	    reason : "not delivered");
	failed(m, user, why);
}
