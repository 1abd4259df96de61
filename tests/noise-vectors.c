/*
 * noise-vectors: run Noise test vectors (the format of tests/vectors/README.md)
 * through both the initiator and the responder.  One TAP line per vector.
 *
 *	noise-vectors [FILE ...]
 *
 * Without arguments it reads the shipped cacophony vectors from
 * $top_srcdir/tests/vectors.  A malformed file is a failure, never a skip.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "noise.h"
#include "tap.h"
#include "vectorfile.h"

#define DEFAULT_FILE	"tests/vectors/noise-cacophony.txt"
#define MAX_NAME	128
#define MAX_WHY		160

struct field {
	uint8_t		*p;
	size_t		 len;
	int		 set;
};

struct vec_msg {
	struct field	 payload;
	struct field	 ciphertext;
};

struct vector {
	char		 name[MAX_NAME];
	int		 has_name;
	unsigned long	 line;		/* where "vector" was */
	struct field	 init_prologue, init_static, init_ephemeral;
	struct field	 init_remote_static;
	struct field	 resp_prologue, resp_static, resp_ephemeral;
	struct field	 resp_remote_static;
	struct field	 handshake_hash;
	struct vec_msg	*msgs;
	size_t		 nmsgs, msgcap;
	char		 why[MAX_WHY];	/* why the vector is malformed */
};

static uint8_t	 wbuf[NOISE_MAX_MSG], rbuf[NOISE_MAX_MSG];

/* Decode a hex token ("-" is empty) into a field. */
static int
field_hex(const char *s, struct field *f)
{
	if (vf_hex(s, &f->p, &f->len) == -1)
		return -1;
	f->set = 1;
	return 0;
}

static void
field_free(struct field *f)
{
	free(f->p);
	memset(f, 0, sizeof(*f));
}

static void
vector_free(struct vector *v)
{
	size_t	 i;

	field_free(&v->init_prologue);
	field_free(&v->init_static);
	field_free(&v->init_ephemeral);
	field_free(&v->init_remote_static);
	field_free(&v->resp_prologue);
	field_free(&v->resp_static);
	field_free(&v->resp_ephemeral);
	field_free(&v->resp_remote_static);
	field_free(&v->handshake_hash);
	for (i = 0; i < v->nmsgs; i++) {
		field_free(&v->msgs[i].payload);
		field_free(&v->msgs[i].ciphertext);
	}
	free(v->msgs);
	memset(v, 0, sizeof(*v));
}

static void
vector_bad(struct vector *v, unsigned long lineno, const char *why)
{
	if (v->why[0] == '\0')
		snprintf(v->why, sizeof(v->why), "line %lu: %s", lineno, why);
}

static struct field *
named_field(struct vector *v, const char *key, size_t *wantlen)
{
	static const struct {
		const char	*key;
		size_t		 off;
		size_t		 len;	/* 0: any */
	} keys[] = {
		{ "init_prologue", offsetof(struct vector, init_prologue), 0 },
		{ "init_static", offsetof(struct vector, init_static), 32 },
		{ "init_ephemeral",
		    offsetof(struct vector, init_ephemeral), 32 },
		{ "init_remote_static",
		    offsetof(struct vector, init_remote_static), 32 },
		{ "resp_prologue", offsetof(struct vector, resp_prologue), 0 },
		{ "resp_static", offsetof(struct vector, resp_static), 32 },
		{ "resp_ephemeral",
		    offsetof(struct vector, resp_ephemeral), 32 },
		{ "resp_remote_static",
		    offsetof(struct vector, resp_remote_static), 32 },
		{ "handshake_hash",
		    offsetof(struct vector, handshake_hash), 32 }
	};
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(key, keys[i].key) == 0) {
			*wantlen = keys[i].len;
			return (struct field *)((char *)v + keys[i].off);
		}
	}
	return NULL;
}

static int
add_message(struct vector *v, const char *pt, const char *ct)
{
	struct vec_msg	*m;
	size_t		 ncap;

	if (v->nmsgs == v->msgcap) {
		ncap = v->msgcap ? v->msgcap * 2 : 8;
		if ((m = reallocarray(v->msgs, ncap, sizeof(*m))) == NULL)
			return -1;
		v->msgs = m;
		v->msgcap = ncap;
	}
	m = &v->msgs[v->nmsgs];
	memset(m, 0, sizeof(*m));
	if (field_hex(pt, &m->payload) == -1)
		return -1;
	if (field_hex(ct, &m->ciphertext) == -1) {
		field_free(&m->payload);
		return -1;
	}
	v->nmsgs++;
	return 0;
}

/* One line inside a vector; problems are recorded in v->why. */
static void
vector_line(struct vector *v, char **w, int nw, unsigned long lineno)
{
	struct field	*f;
	size_t		 wantlen;

	if (strcmp(w[0], "protocol_name") == 0) {
		if (nw != 2 || v->has_name || strlen(w[1]) >= sizeof(v->name))
			vector_bad(v, lineno, "bad protocol_name");
		else {
			strlcpy(v->name, w[1], sizeof(v->name));
			v->has_name = 1;
		}
	} else if (strcmp(w[0], "message") == 0) {
		if (nw != 3 || add_message(v, w[1], w[2]) == -1)
			vector_bad(v, lineno, "bad message");
	} else if ((f = named_field(v, w[0], &wantlen)) != NULL) {
		if (nw != 2 || f->set)
			vector_bad(v, lineno, "bad or repeated field");
		else if (field_hex(w[1], f) == -1)
			vector_bad(v, lineno, "bad hex");
		else if (wantlen != 0 && f->len != wantlen)
			vector_bad(v, lineno, "wrong length");
	} else
		vector_bad(v, lineno, "unknown keyword");
}

static const uint8_t *
opt(const struct field *f)
{
	return f->set ? f->p : NULL;
}

static int
init_party(struct noise_handshake *hs, struct vector *v, int initiator,
    enum noise_pattern pattern, enum noise_cipher cipher)
{
	struct field	*prologue, *s, *e, *rs;

	prologue = initiator ? &v->init_prologue : &v->resp_prologue;
	s = initiator ? &v->init_static : &v->resp_static;
	e = initiator ? &v->init_ephemeral : &v->resp_ephemeral;
	rs = initiator ? &v->init_remote_static : &v->resp_remote_static;
	if (noise_hs_init(hs, pattern, cipher, initiator, prologue->p,
	    prologue->len, opt(s), NULL, opt(rs)) == -1) {
		tap_diag("%s: %s init failed", v->name,
		    initiator ? "initiator" : "responder");
		return -1;
	}
	if (e->set)
		noise_hs_fix_ephemeral(hs, e->p);
	return 0;
}

static int
check_bytes(const char *name, size_t i, const char *what, const uint8_t *got,
    size_t gotlen, const uint8_t *want, size_t wantlen)
{
	if (gotlen != wantlen || (wantlen > 0 && memcmp(got, want, wantlen))) {
		tap_diag("%s: message %zu: %s differs", name, i, what);
		return -1;
	}
	return 0;
}

/* A handshake message: the writer's output, and what the reader makes of it. */
static int
run_handshake_message(const char *name, size_t i, struct noise_handshake *w,
    struct noise_handshake *r, const struct vec_msg *m)
{
	size_t	 wlen, rlen;

	if (noise_hs_write(w, m->payload.p, m->payload.len, wbuf,
	    &wlen) == -1) {
		tap_diag("%s: message %zu: write failed", name, i);
		return -1;
	}
	if (check_bytes(name, i, "ciphertext", wbuf, wlen, m->ciphertext.p,
	    m->ciphertext.len) == -1)
		return -1;
	if (noise_hs_read(r, m->ciphertext.p, m->ciphertext.len, rbuf,
	    &rlen) == -1) {
		tap_diag("%s: message %zu: read failed", name, i);
		return -1;
	}
	return check_bytes(name, i, "decrypted payload", rbuf, rlen,
	    m->payload.p, m->payload.len);
}

static int
run_transport_message(const char *name, size_t i,
    struct noise_cipherstate *send, struct noise_cipherstate *recv,
    const struct vec_msg *m)
{
	size_t	 wlen, rlen;

	if (noise_cs_encrypt(send, NULL, 0, m->payload.p, m->payload.len,
	    wbuf, &wlen) == -1) {
		tap_diag("%s: message %zu: encrypt failed", name, i);
		return -1;
	}
	if (check_bytes(name, i, "ciphertext", wbuf, wlen, m->ciphertext.p,
	    m->ciphertext.len) == -1)
		return -1;
	if (noise_cs_decrypt(recv, NULL, 0, m->ciphertext.p,
	    m->ciphertext.len, rbuf, &rlen) == -1) {
		tap_diag("%s: message %zu: decrypt failed", name, i);
		return -1;
	}
	return check_bytes(name, i, "decrypted payload", rbuf, rlen,
	    m->payload.p, m->payload.len);
}

/* After the handshake: both hashes agree with each other and the vector. */
static int
check_hash(struct vector *v, struct noise_handshake *ini,
    struct noise_handshake *resp)
{
	if (memcmp(noise_hs_hash(ini), noise_hs_hash(resp), NOISE_HASHLEN)) {
		tap_diag("%s: the parties' handshake hashes differ", v->name);
		return -1;
	}
	if (v->handshake_hash.set && memcmp(noise_hs_hash(ini),
	    v->handshake_hash.p, NOISE_HASHLEN)) {
		tap_diag("%s: handshake_hash differs", v->name);
		return -1;
	}
	return 0;
}

static int
run_messages(struct vector *v, struct noise_handshake *ini,
    struct noise_handshake *resp)
{
	struct noise_cipherstate	 isend, irecv, rsend, rrecv;
	size_t				 i;
	int				 split = 0, rc = 0;

	for (i = 0; i < v->nmsgs && rc == 0; i++) {
		if (!split && noise_hs_status(ini) == NOISE_HS_SPLIT &&
		    noise_hs_status(resp) == NOISE_HS_SPLIT) {
			if (check_hash(v, ini, resp) == -1 ||
			    noise_hs_split(ini, &isend, &irecv) == -1 ||
			    noise_hs_split(resp, &rsend, &rrecv) == -1)
				rc = -1;
			split = 1;
		}
		if (rc == -1)
			break;
		if (!split)
			rc = i % 2 == 0 ?
			    run_handshake_message(v->name, i, ini, resp,
			    &v->msgs[i]) :
			    run_handshake_message(v->name, i, resp, ini,
			    &v->msgs[i]);
		else
			rc = i % 2 == 0 ?
			    run_transport_message(v->name, i, &isend, &rrecv,
			    &v->msgs[i]) :
			    run_transport_message(v->name, i, &rsend, &irecv,
			    &v->msgs[i]);
	}
	if (rc == 0 && !split) {
		/* The vector may stop right after the handshake. */
		if (noise_hs_status(ini) == NOISE_HS_SPLIT &&
		    noise_hs_status(resp) == NOISE_HS_SPLIT)
			rc = check_hash(v, ini, resp);
		else if (v->handshake_hash.set) {
			tap_diag("%s: handshake did not complete", v->name);
			rc = -1;
		}
	}
	if (split) {
		noise_cs_clear(&isend);
		noise_cs_clear(&irecv);
		noise_cs_clear(&rsend);
		noise_cs_clear(&rrecv);
	}
	return rc;
}

static void
run_vector(struct vector *v, const char *file)
{
	struct noise_handshake	 ini, resp;
	enum noise_pattern	 pattern;
	enum noise_cipher	 cipher;
	int			 rc;

	if (v->why[0] != '\0' || !v->has_name) {
		tap_ok(0, "%s:%lu: %s: malformed vector: %s", file, v->line,
		    v->has_name ? v->name : "(no protocol_name)",
		    v->why[0] ? v->why : "no protocol_name");
		return;
	}
	if (noise_parse_name(v->name, &pattern, &cipher) == -1) {
		tap_skip("not implemented", v->name);
		return;
	}
	if (cipher == NOISE_AESGCM && !noise_aesgcm_available()) {
		tap_skip("no AES-NI", v->name);
		return;
	}
	rc = -1;
	if (init_party(&ini, v, 1, pattern, cipher) == 0 &&
	    init_party(&resp, v, 0, pattern, cipher) == 0)
		rc = run_messages(v, &ini, &resp);
	noise_hs_clear(&ini);
	noise_hs_clear(&resp);
	tap_ok(rc == 0, "%s", v->name);
}

static void
run_file(const char *file)
{
	FILE		*fp;
	struct vector	 v;
	char		*line = NULL, *w[4];
	size_t		 linecap = 0;
	ssize_t		 n;
	unsigned long	 lineno = 0;
	int		 in_vector = 0, nw;

	if ((fp = fopen(file, "r")) == NULL) {
		tap_ok(0, "%s: %s", file, strerror(errno));
		return;
	}
	memset(&v, 0, sizeof(v));
	while ((n = getline(&line, &linecap, fp)) != -1) {
		lineno++;
		if ((size_t)n != strlen(line)) {
			if (in_vector)
				vector_bad(&v, lineno, "NUL byte");
			else
				tap_ok(0, "%s:%lu: NUL byte", file, lineno);
			continue;
		}
		if (vf_ignorable(line))
			continue;
		nw = vf_split_words(line, w, 3);
		if (!in_vector) {
			if (nw == 1 && strcmp(w[0], "vector") == 0) {
				in_vector = 1;
				v.line = lineno;
			} else
				tap_ok(0, "%s:%lu: malformed: expected "
				    "\"vector\"", file, lineno);
		} else if (nw == 1 && strcmp(w[0], "end") == 0) {
			run_vector(&v, file);
			vector_free(&v);
			in_vector = 0;
		} else if (nw == 1 && strcmp(w[0], "vector") == 0)
			vector_bad(&v, lineno, "vector inside a vector");
		else if (nw > 3)
			vector_bad(&v, lineno, "too many words");
		else
			vector_line(&v, w, nw, lineno);
	}
	if (ferror(fp))
		tap_ok(0, "%s: read error", file);
	if (in_vector) {
		vector_bad(&v, lineno, "no \"end\" before end of file");
		run_vector(&v, file);
		vector_free(&v);
	}
	free(line);
	fclose(fp);
}

int
main(int argc, char *argv[])
{
	return vf_main(argc, argv, DEFAULT_FILE, run_file);
}
