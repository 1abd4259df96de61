/*
 * noise.h: the Noise Protocol Framework, revision 34, for
 * Noise_{NN,NK,XX,IK}_25519_{AESGCM,ChaChaPoly}_SHA256.
 *
 * secchat itself uses XX; the other patterns exist so that the state
 * machines are proven against public test vectors.
 *
 * Every function that can fail returns 0 on success and -1 on failure.
 * A failed read (decrypt) leaves the state exactly as it was: the nonce does
 * not advance, the handshake does not move on.
 */
#ifndef SECCHAT_NOISE_H
#define SECCHAT_NOISE_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define NOISE_KEYLEN		32	/* X25519 keys and cipher keys */
#define NOISE_HASHLEN		32
#define NOISE_TAGLEN		16
#define NOISE_MAX_MSG		65535	/* a Noise message, bytes */
#define NOISE_MAX_PAYLOAD	(NOISE_MAX_MSG - NOISE_TAGLEN)

enum noise_cipher {
	NOISE_AESGCM = 1,
	NOISE_CHACHAPOLY = 2
};

enum noise_pattern {
	NOISE_NN = 1,
	NOISE_NK,
	NOISE_XX,
	NOISE_IK
};

struct noise_cipherstate {
	uint8_t			k[NOISE_KEYLEN];
	uint64_t		n;
	int			has_key;
	enum noise_cipher	cipher;
	/*
	 * AES-GCM: k's expanded key schedule and GHASH powers, made once per
	 * key rather than for every record (and wiped with the state).
	 */
	int			has_aes;
	crypto_aead_aes256gcm_state aes;
};

/* True when this CPU can run AES-256-GCM through libsodium. */
int	noise_aesgcm_available(void);

/* "Noise_XX_25519_AESGCM_SHA256" -> pattern and cipher; -1 if unsupported. */
int	noise_parse_name(const char *, enum noise_pattern *, enum noise_cipher *);
/* The protocol name for a pattern and cipher, or NULL. */
const char *noise_name(enum noise_pattern, enum noise_cipher);

void	noise_cs_init(struct noise_cipherstate *, enum noise_cipher,
	    const uint8_t k[NOISE_KEYLEN]);
/*
 * EncryptWithAd/DecryptWithAd.  Without a key they copy the plaintext.
 * out must hold ptlen + NOISE_TAGLEN (encrypt) or ctlen (decrypt); out may
 * equal in.  Encrypt and decrypt fail when n is 2^64-1 (reserved).
 */
int	noise_cs_encrypt(struct noise_cipherstate *, const uint8_t *ad,
	    size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *out,
	    size_t *outlen);
int	noise_cs_decrypt(struct noise_cipherstate *, const uint8_t *ad,
	    size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *out,
	    size_t *outlen);
void	noise_cs_rekey(struct noise_cipherstate *);
void	noise_cs_clear(struct noise_cipherstate *);

/*
 * Where the local static private key is held by another process (the
 * daemon's master), the handshake asks this callback for DH(s, pub) instead
 * of computing it.  Returns 0 or -1.
 */
typedef int (*noise_dh_fn)(void *arg, const uint8_t pub[NOISE_KEYLEN],
    uint8_t shared[NOISE_KEYLEN]);

enum noise_hs_status {
	NOISE_HS_WRITE,		/* our turn to write a message */
	NOISE_HS_READ,		/* waiting for the peer's message */
	NOISE_HS_SPLIT,		/* handshake complete: call noise_hs_split */
	NOISE_HS_FAILED
};

struct noise_handshake {
	enum noise_pattern	pattern;
	enum noise_cipher	cipher;
	int			initiator;
	int			msgno;		/* next message index */
	int			failed;
	/* SymmetricState */
	uint8_t			ck[NOISE_HASHLEN];
	uint8_t			h[NOISE_HASHLEN];
	struct noise_cipherstate cs;
	/* HandshakeState */
	uint8_t			s_priv[NOISE_KEYLEN], s_pub[NOISE_KEYLEN];
	int			has_s;
	noise_dh_fn		dh_static;	/* if set, replaces s_priv */
	void			*dh_arg;
	uint8_t			e_priv[NOISE_KEYLEN], e_pub[NOISE_KEYLEN];
	int			has_e;
	int			fixed_e;	/* test vectors only */
	uint8_t			rs[NOISE_KEYLEN];
	int			has_rs;
	uint8_t			re[NOISE_KEYLEN];
	int			has_re;
};

/*
 * Initialize.  s_priv/s_pub: local static key pair (NULL if the pattern
 * needs none).  If s_priv is NULL but s_pub is given, set dh_static with
 * noise_hs_set_dh() before the first message.  rs: the remote static key
 * known in advance (NK and IK initiators), else NULL.
 */
int	noise_hs_init(struct noise_handshake *, enum noise_pattern,
	    enum noise_cipher, int initiator, const uint8_t *prologue,
	    size_t prologuelen, const uint8_t *s_priv, const uint8_t *s_pub,
	    const uint8_t *rs);
void	noise_hs_set_dh(struct noise_handshake *, noise_dh_fn, void *);
/* Test only: use this ephemeral private key instead of a random one. */
void	noise_hs_fix_ephemeral(struct noise_handshake *,
	    const uint8_t e_priv[NOISE_KEYLEN]);
enum noise_hs_status noise_hs_status(const struct noise_handshake *);
/*
 * WriteMessage: out must hold NOISE_MAX_MSG bytes; fails if the message
 * would be longer.  ReadMessage: payload must hold msglen bytes.
 */
int	noise_hs_write(struct noise_handshake *, const uint8_t *payload,
	    size_t payloadlen, uint8_t *out, size_t *outlen);
int	noise_hs_read(struct noise_handshake *, const uint8_t *msg,
	    size_t msglen, uint8_t *payload, size_t *payloadlen);
/*
 * After the last message: the initiator sends with c1 and receives with c2,
 * the responder the other way round; this returns them as send and recv.
 * Wipes the handshake state.
 */
int	noise_hs_split(struct noise_handshake *, struct noise_cipherstate *send,
	    struct noise_cipherstate *recv);
const uint8_t *noise_hs_hash(const struct noise_handshake *);
/* The peer's static public key, once received; else NULL. */
const uint8_t *noise_hs_remote_static(const struct noise_handshake *);
void	noise_hs_clear(struct noise_handshake *);

#endif
