/*
 * session_handshake.c: the client's way into a session: the hello, Noise
 * XX as initiator, and the login, which goes as AUTH in handshake message
 * 3 once the caller has accepted the server's key (or again, with another
 * password, after a failure the server allows another try for).
 */
#include "config.h"

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

static int
offered(const struct csession *cs, uint8_t suite)
{
	size_t	 i;

	for (i = 0; i < cs->nsuites; i++)
		if (cs->suites[i] == suite)
			return 1;
	return 0;
}

void
csi_handle_hello(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 prologue[HELLO_CLIENT_MAX + FRAME_MAX];
	uint8_t		 msg[NOISE_MAX_MSG];
	char		 reason[HELLO_REASON_MAX + 1];
	enum noise_cipher cipher;
	struct cs_event	*ev;
	static const uint8_t caps[] = { HELLO_CAP_E2E, HELLO_CAP_BATCH };
	uint8_t		 agreed[HELLO_MAX_CAPS];
	size_t		 msglen, nagreed = 0;
	uint8_t		 suite;

	if (hello_server_decode_caps(p, len, caps, cs->offer_ext ?
	    sizeof(caps) : 0, &suite, agreed, &nagreed, reason,
	    sizeof(reason)) == -1) {
		csi_fail(cs, "malformed hello from the server "
		    "(not a secchat server?)");
		return;
	}
	if (suite == SUITE_NONE) {
		cs->state = CS_ST_DONE;
		csi_wipe_secrets(cs);
		if ((ev = csi_ev_new(cs, CS_EV_REFUSED)) != NULL)
			ev->text = strdup(reason);
		return;
	}
	if (!offered(cs, suite) || (cipher = suite_cipher(suite)) == 0) {
		csi_fail(cs, "the server chose cipher suite 0x%02x, which we "
		    "did not offer", suite);
		return;
	}
	cs->suite = suite;
	cs->extended = hello_has_cap(agreed, nagreed, HELLO_CAP_E2E);
	cs->batched = hello_has_cap(agreed, nagreed, HELLO_CAP_BATCH);

	/* The prologue binds both hellos into the handshake. */
	memcpy(prologue, cs->hello, cs->hellolen);
	memcpy(prologue + cs->hellolen, p, len);
	if (noise_hs_init(&cs->hs, NOISE_XX, cipher, 1, prologue,
	    cs->hellolen + len, cs->priv, cs->pub, NULL) == -1) {
		csi_fail(cs, "cannot start the handshake");
		return;
	}
	sodium_memzero(cs->priv, sizeof(cs->priv));
	if (noise_hs_write(&cs->hs, NULL, 0, msg, &msglen) == -1 ||
	    frame_append(&cs->out, msg, msglen) == -1) {
		csi_fail(cs, "cannot write handshake message 1");
		return;
	}
	cs->state = CS_ST_HANDSHAKE;
}

void
csi_handle_msg2(struct csession *cs, const uint8_t *p, size_t len)
{
	uint8_t		 payload[NOISE_MAX_MSG];
	const uint8_t	*rs;
	struct cs_event	*ev;
	size_t		 plen;

	if (noise_hs_read(&cs->hs, p, len, payload, &plen) == -1) {
		csi_fail(cs, "handshake failed: the server's message 2 does "
		    "not decrypt");
		return;
	}
	if (plen != 0) {
		csi_fail(cs, "handshake message 2 carries a payload");
		return;
	}
	if (noise_hs_status(&cs->hs) != NOISE_HS_WRITE ||
	    (rs = noise_hs_remote_static(&cs->hs)) == NULL) {
		csi_fail(cs, "handshake failed after message 2");
		return;
	}
	memcpy(cs->server_key, rs, KEY_LEN);
	cs->has_server_key = 1;
	/*
	 * What a key login proves (doc/protocol.md 11.3) is bound to this
	 * handshake by its hash now, before message 3 is written.
	 */
	if (cs->extended && cs->hs.has_s) {
		memcpy(cs->kl_hs2, noise_hs_hash(&cs->hs), NOISE_HASHLEN);
		if (crypto_scalarmult(cs->kl_ss, cs->hs.s_priv,
		    cs->server_key) == 0)
			cs->has_kl = 1;
	}
	cs->state = CS_ST_VERDICT;
	if (cs->has_expect_key) {
		if (sodium_memcmp(cs->server_key, cs->expect_key, KEY_LEN) != 0)
			csi_fail(cs, "the server's key is not the expected "
			    "one");
		else if (cs_verdict(cs, 1) != 0)
			csi_fail(cs, "no user name and password to send");
		return;
	}
	if ((ev = csi_ev_new(cs, CS_EV_SERVER_KEY)) == NULL) {
		csi_fail(cs, "out of memory");
		return;
	}
	memcpy(ev->key, cs->server_key, KEY_LEN);
}

static int
valid_password(const char *pw, size_t len)
{
	return pw != NULL && len >= 1 && len <= CS_PASSWORD_MAX;
}

int
cs_set_login(struct csession *cs, const char *user, const char *password,
    size_t len)
{
	char	*copy = NULL;

	if (cs->state != CS_ST_HELLO && cs->state != CS_ST_HANDSHAKE &&
	    cs->state != CS_ST_VERDICT)
		return CS_E_STATE;
	if (user != NULL && !valid_username(user, strlen(user)))
		return CS_E_NAME;
	if (password != NULL) {
		if (!valid_password(password, len))
			return CS_E_TEXT;
		if ((copy = malloc(len)) == NULL)
			return CS_E_NOMEM;
		memcpy(copy, password, len);
	}
	if (user != NULL)
		strlcpy(cs->user, user, sizeof(cs->user));
	if (copy != NULL) {
		if (cs->password != NULL) {
			sodium_memzero(cs->password, cs->passwordlen);
			free(cs->password);
		}
		cs->password = copy;
		cs->passwordlen = len;
	}
	return 0;
}

/* Encode AUTH(user, password) into pt; the caller wipes it. */
static int
put_auth(struct csession *cs, struct buf *pt, const char *pw, size_t pwlen)
{
	return wire_put_simple(pt, MSG_AUTH, cs->user, strlen(cs->user), pw,
	    pwlen);
}

/* Write handshake message 3 with the login in pt (which is freed). */
static int
write_msg3(struct csession *cs, struct buf *pt)
{
	uint8_t		 msg[NOISE_MAX_MSG];
	size_t		 msglen;
	int		 rc;

	rc = noise_hs_write(&cs->hs, buf_head(pt), buf_used(pt), msg,
	    &msglen);
	sodium_memzero(buf_head(pt), buf_used(pt));
	buf_free(pt);
	if (rc == 0)
		rc = frame_append(&cs->out, msg, msglen);
	sodium_memzero(msg, sizeof(msg));
	if (rc == -1) {
		csi_fail(cs, "cannot write handshake message 3");
		return -1;
	}
	if (noise_hs_status(&cs->hs) != NOISE_HS_SPLIT ||
	    noise_hs_split(&cs->hs, &cs->tx, &cs->rx) == -1) {
		csi_fail(cs, "cannot complete the handshake");
		return -1;
	}
	cs->transport = 1;
	csi_wipe_secrets(cs);
	cs->state = CS_ST_AUTH;
	return 0;
}

int
cs_verdict(struct csession *cs, int accept)
{
	struct buf	 pt;

	if (cs->state != CS_ST_VERDICT)
		return CS_E_STATE;
	if (accept && (cs->user[0] == '\0' || cs->password == NULL))
		return CS_E_STATE;
	if (!accept) {
		/* Nothing more goes to a server we do not trust. */
		cs->state = CS_ST_DONE;
		csi_wipe_secrets(cs);
		buf_reset(&cs->out);
		return 0;
	}
	buf_init(&pt, NOISE_MAX_PAYLOAD);
	if (put_auth(cs, &pt, cs->password, cs->passwordlen) == -1) {
		buf_free(&pt);
		csi_fail(cs, "cannot write handshake message 3");
		return -1;
	}
	return write_msg3(cs, &pt);
}

int
cs_verdict_key(struct csession *cs)
{
	uint8_t		 proof[KEYPROOF_LEN];
	struct buf	 pt;
	int		 rc;

	if (cs->state != CS_ST_VERDICT || cs->user[0] == '\0')
		return CS_E_STATE;
	if (!cs->extended || !cs->has_kl)
		return CS_E_NOEXT;
	if (keyproof_make(cs->kl_ss, cs->kl_hs2, cs->user, proof) == -1) {
		csi_fail(cs, "cannot compute the key login proof");
		return -1;
	}
	buf_init(&pt, NOISE_MAX_PAYLOAD);
	rc = wire_put_simple(&pt, MSG_AUTH_KEY, cs->user, strlen(cs->user),
	    (const char *)proof, sizeof(proof));
	sodium_memzero(proof, sizeof(proof));
	if (rc == -1) {
		buf_free(&pt);
		csi_fail(cs, "cannot write handshake message 3");
		return -1;
	}
	cs->key_sent = 1;
	return write_msg3(cs, &pt);
}

/*
 * Another AUTH, after a failure with tries left or an AUTH_MORE: a record
 * now.
 */
int
cs_auth(struct csession *cs, const char *password, size_t len)
{
	struct buf	 pt;
	int		 rc;

	if (cs->state != CS_ST_AUTH_RETRY)
		return CS_E_STATE;
	if (!valid_password(password, len))
		return CS_E_TEXT;
	buf_init(&pt, RECORD_MAX_PLAINTEXT);
	if (put_auth(cs, &pt, password, len) == -1) {
		buf_free(&pt);
		return CS_E_TEXT;
	}
	if ((rc = csi_send_msg(cs, &pt)) == 0)
		cs->state = CS_ST_AUTH;
	return rc;
}
