/*
 * session_impl.h: what the files of the client's protocol engine share,
 * and nobody else sees.
 *
 * session.c owns a session: its life, its event queue, its failure, and
 * the input it cuts into frames, each handed on by the state it arrives
 * in.  session_handshake.c takes the session from the hello through Noise
 * XX to the AUTH in handshake message 3 (and to another AUTH after a
 * failure).  session_messages.c encodes our requests and decodes the
 * server's messages once the transport is up.  The functions they share
 * start with csi_.
 */
#ifndef SECCHAT_SESSION_IMPL_H
#define SECCHAT_SESSION_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "keys.h"
#include "noise.h"
#include "session.h"
#include "wire.h"

#define HELLO_CLIENT_MAX	(HELLO_MAGICLEN + 1 + HELLO_MAX_SUITES)
#define INPUT_MAX		(FRAME_HDRLEN + FRAME_MAX)

struct csession {
	enum cs_state		 state;
	struct buf		 in;
	struct buf		 out;
	struct cs_event		*evhead;
	struct cs_event		**evtail;

	uint8_t			 priv[KEY_LEN];	/* until the handshake starts */
	uint8_t			 pub[KEY_LEN];
	uint8_t			 suites[HELLO_MAX_SUITES];
	size_t			 nsuites;
	uint8_t			 hello[HELLO_CLIENT_MAX];
	size_t			 hellolen;
	uint8_t			 suite;
	int			 offer_ext;	/* 0x81 is in our hello */
	int			 extended;	/* and in the server's */
	int			 batched;	/* 0x82 in both hellos */
	/* For AUTH_KEY: X25519(our key, the server's) and h after msg 2. */
	uint8_t			 kl_ss[KEY_LEN];
	uint8_t			 kl_hs2[NOISE_HASHLEN];
	int			 has_kl;
	int			 key_sent;	/* our login was AUTH_KEY */
	int			 more_seen;	/* and got AUTH_MORE */
	char			 user[SECCHAT_NAME_MAX + 1];
	char			*password;	/* until AUTH is sent */
	size_t			 passwordlen;
	uint8_t			 expect_key[KEY_LEN];
	int			 has_expect_key;

	struct noise_handshake	 hs;
	uint8_t			 server_key[KEY_LEN];
	int			 has_server_key;
	struct noise_cipherstate tx, rx;
	int			 transport;	/* tx and rx are set */
	int			 authenticated;
	int			 auth_exhausted; /* AUTH_FAIL, no tries left */
	int			 bye_sent;
	int			 bye_received;
	int			 failed;
};

/* session.c */
struct cs_event	*csi_ev_alloc(enum cs_event_type);
void		 csi_ev_push(struct csession *, struct cs_event *);
struct cs_event	*csi_ev_new(struct csession *, enum cs_event_type);
void		 csi_wipe_secrets(struct csession *);
void		 csi_fail(struct csession *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* session_handshake.c: the frames before the transport is up. */
void		 csi_handle_hello(struct csession *, const uint8_t *, size_t);
void		 csi_handle_msg2(struct csession *, const uint8_t *, size_t);

/* session_messages.c */
int		 csi_send_msg(struct csession *, struct buf *);
void		 csi_handle_record(struct csession *, const uint8_t *, size_t);

#endif
