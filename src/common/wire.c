/*
 * wire.c: frames, hellos, records and application messages of the secchat
 * wire protocol, version 1 (doc/protocol.md).
 *
 * Every message type is one row of msgdefs[]: its field layout (the codes
 * of wire.h) and, field by field, what the field means, so that a single
 * decoder and a single encoder serve every type and both check the same
 * rules.  What the encoder refuses the decoder would refuse too, so a peer
 * never receives a message it must reject from us.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "noise.h"
#include "util.h"
#include "wire.h"

#define WIRE_PASSWORD_MAX	1024	/* bytes */
#define WIRE_MAXFIELDS		6

/*
 * What a field means, one letter per field of the signature:
 *   .  nothing more to check (t, q, N, R: lists carry their own rules)
 *   u  user name		r  room name
 *   x  message text: valid_text(), at most RECORD_MAX_PLAINTEXT bytes
 *   z  reason or notice: UTF-8 without NUL, may be empty
 *   p  password: 1..WIRE_PASSWORD_MAX bytes, any bytes
 *   n  any byte		e  an enum wire_error code
 *   k  a history kind (HISTORY_SAY, HISTORY_ACTION)
 *   K  exactly WIRE_KEYLEN bytes of binary (a key or a proof)
 *   o  opaque payload: 1..E2E_PAYLOAD_MAX bytes of binary
 *   w  away text: empty, or text by the rules of x of at most
 *      AWAY_TEXT_MAX bytes
 *   c  room names joined by commas, at most WHOIS_ROOMS_MAX bytes; may
 *      be empty
 * and one list code more:
 *   M  messages: a 2-byte count (at least BATCH_MIN), then per message a
 *      2-byte length and that many bytes, at least one, the first not
 *      MSG_BATCHREC; each is decoded by the receiver as a record would be
 */
struct msgdef {
	uint8_t		 type;
	const char	*name;
	int		 dirs;		/* FROM_CLIENT | FROM_SERVER */
	const char	*sig;		/* field codes, in order */
	const char	*kinds;		/* one letter per field of sig */
	int		 extended;	/* section 11: extended sessions only */
};

#define BOTH	(FROM_CLIENT | FROM_SERVER)

static const struct msgdef msgdefs[] = {
	/* client to server */
	{ MSG_AUTH,	"AUTH",		FROM_CLIENT,	"ss",	"up", 0 },
	{ MSG_AUTH_KEY,	"AUTH_KEY",	FROM_CLIENT,	"ss",	"uK", 1 },
	{ MSG_SAY,	"SAY",		FROM_CLIENT,	"ss",	"rx", 0 },
	{ MSG_ACT,	"ACT",		FROM_CLIENT,	"ss",	"rx", 0 },
	{ MSG_PRIVMSG,	"PRIVMSG",	FROM_CLIENT,	"ss",	"ux", 0 },
	{ MSG_E2E,	"E2E",		FROM_CLIENT,	"sss",	"uKo", 1 },
	{ MSG_JOIN,	"JOIN",		FROM_CLIENT,	"s",	"r", 0 },
	{ MSG_PART,	"PART",		FROM_CLIENT,	"s",	"r", 0 },
	{ MSG_WHO,	"WHO",		FROM_CLIENT,	"s",	"r", 0 },
	{ MSG_ROOMS,	"ROOMS",	FROM_CLIENT,	"",	"", 0 },
	{ MSG_KEYS,	"KEYS",		FROM_CLIENT,	"s",	"u", 1 },
	{ MSG_AWAY,	"AWAY",		FROM_CLIENT,	"s",	"w", 1 },
	{ MSG_WHOIS,	"WHOIS",	FROM_CLIENT,	"s",	"u", 1 },
	/* either way */
	{ MSG_PING,	"PING",		BOTH,		"q",	".", 0 },
	{ MSG_PONG,	"PONG",		BOTH,		"q",	".", 0 },
	{ MSG_BYE,	"BYE",		BOTH,		"s",	"z", 0 },
	/* server to client */
	{ MSG_AUTH_OK,	"AUTH_OK",	FROM_SERVER,	"s",	"u", 0 },
	{ MSG_AUTH_FAIL, "AUTH_FAIL",	FROM_SERVER,	"bs",	"nz", 0 },
	{ MSG_AUTH_MORE, "AUTH_MORE",	FROM_SERVER,	"s",	"z", 1 },
	{ MSG_MESSAGE,	"MESSAGE",	FROM_SERVER,	"tsss",	".rux", 0 },
	{ MSG_ACTION,	"ACTION",	FROM_SERVER,	"tsss",	".rux", 0 },
	{ MSG_PRIVATE,	"PRIVATE",	FROM_SERVER,	"tss",	".ux", 0 },
	{ MSG_HISTORY,	"HISTORY",	FROM_SERVER,	"tssbs", ".rukx", 0 },
	{ MSG_E2E_FROM,	"E2E_FROM",	FROM_SERVER,	"tsss",	".uKo", 1 },
	{ MSG_E2E_FAIL,	"E2E_FAIL",	FROM_SERVER,	"sss",	"uKz", 1 },
	{ MSG_JOINED,	"JOINED",	FROM_SERVER,	"s",	"r", 0 },
	{ MSG_PARTED,	"PARTED",	FROM_SERVER,	"s",	"r", 0 },
	{ MSG_ARRIVED,	"ARRIVED",	FROM_SERVER,	"tss",	".ru", 0 },
	{ MSG_DEPARTED,	"DEPARTED",	FROM_SERVER,	"tsss",	".ruz", 0 },
	{ MSG_NAMES,	"NAMES",	FROM_SERVER,	"sN",	"r.", 0 },
	{ MSG_ROOMLIST,	"ROOMLIST",	FROM_SERVER,	"R",	".", 0 },
	{ MSG_KEYLIST,	"KEYLIST",	FROM_SERVER,	"sK",	"u.", 1 },
	{ MSG_AWAYNOTE,	"AWAYNOTE",	FROM_SERVER,	"ss",	"uw", 1 },
	{ MSG_WHOISINFO, "WHOISINFO",	FROM_SERVER,	"sstsK", "uc.w.", 1 },
	{ MSG_AWAYNAMES, "AWAYNAMES",	FROM_SERVER,	"sN",	"r.", 1 },
	{ MSG_BATCHREC,	"BATCH",	FROM_SERVER,	"M",	".", 1 },
	{ MSG_NOTICE,	"NOTICE",	FROM_SERVER,	"s",	"z", 0 },
	{ MSG_ERROR,	"ERROR",	FROM_SERVER,	"bs",	"ez", 0 }
};

#define NMSGDEFS	(sizeof(msgdefs) / sizeof(msgdefs[0]))

static const struct msgdef *
msgdef_find(uint8_t type)
{
	size_t	 i;

	for (i = 0; i < NMSGDEFS; i++)
		if (msgdefs[i].type == type)
			return &msgdefs[i];
	return NULL;
}

/* ---------------------------------------------------------------- frames */

int
frame_parse(const uint8_t *buf, size_t len, const uint8_t **payload,
    size_t *plen, size_t *consumed)
{
	size_t	 flen;

	if (len < FRAME_HDRLEN)
		return 0;
	flen = get_u16(buf);
	/* An empty frame carries nothing any layer could use. */
	if (flen == 0)
		return -1;
	if (len - FRAME_HDRLEN < flen)
		return 0;
	*payload = buf + FRAME_HDRLEN;
	*plen = flen;
	*consumed = FRAME_HDRLEN + flen;
	return 1;
}

int
frame_append(struct buf *out, const uint8_t *p, size_t plen)
{
	uint8_t	*d;

	if (plen == 0 || plen > FRAME_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* Reserve the whole frame first: never leave half of one behind. */
	if ((d = buf_reserve(out, FRAME_HDRLEN + plen)) == NULL)
		return -1;
	put_u16(d, (uint16_t)plen);
	memcpy(d + FRAME_HDRLEN, p, plen);
	buf_commit(out, FRAME_HDRLEN + plen);
	return 0;
}

/* ---------------------------------------------------------------- hello */

/*
 * A refusal reason is shown to a person before any key is verified, so it
 * must be harmless on a terminal: UTF-8 with no C0 or C1 control
 * characters and no DEL.
 */
static int
valid_reason_text(const uint8_t *p, size_t len)
{
	size_t	 i;

	if (len > HELLO_REASON_MAX || !valid_utf8(p, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* U+0080..U+009F are encoded as C2 80..C2 9F. */
		if (p[i] == 0xc2 && i + 1 < len && p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

int
hello_client_encode(uint8_t *out, size_t outmax, const uint8_t *suites,
    size_t nsuites)
{
	size_t	 len = HELLO_MAGICLEN + 1 + nsuites, i;

	if (nsuites == 0 || nsuites > HELLO_MAX_SUITES || outmax < len)
		return -1;
	for (i = 0; i < nsuites; i++)
		if (suites[i] == SUITE_NONE)
			return -1;
	memcpy(out, HELLO_MAGIC, HELLO_MAGICLEN);
	out[HELLO_MAGICLEN] = (uint8_t)nsuites;
	memcpy(out + HELLO_MAGICLEN + 1, suites, nsuites);
	return (int)len;
}

int
hello_client_decode(const uint8_t *p, size_t len, uint8_t *suites,
    size_t *nsuites)
{
	size_t	 n, i;

	if (len < HELLO_MAGICLEN + 1 ||
	    memcmp(p, HELLO_MAGIC, HELLO_MAGICLEN) != 0)
		return -1;
	n = p[HELLO_MAGICLEN];
	if (n == 0 || n > HELLO_MAX_SUITES || len != HELLO_MAGICLEN + 1 + n)
		return -1;
	/* Unknown ids are fine (a newer client); "none" is not a suite. */
	for (i = 0; i < n; i++)
		if (p[HELLO_MAGICLEN + 1 + i] == SUITE_NONE)
			return -1;
	memcpy(suites, p + HELLO_MAGICLEN + 1, n);
	*nsuites = n;
	return 0;
}

int
hello_server_encode(uint8_t *out, size_t outmax, uint8_t suite,
    const char *reason)
{
	size_t	 rlen = reason != NULL ? strlen(reason) : 0;
	size_t	 len = HELLO_MAGICLEN + 1 + rlen;

	if (rlen > 0 && (suite != SUITE_NONE ||
	    !valid_reason_text((const uint8_t *)reason, rlen)))
		return -1;
	if (outmax < len)
		return -1;
	memcpy(out, HELLO_MAGIC, HELLO_MAGICLEN);
	out[HELLO_MAGICLEN] = suite;
	if (rlen > 0)
		memcpy(out + HELLO_MAGICLEN + 1, reason, rlen);
	return (int)len;
}

int
hello_server_encode_caps(uint8_t *out, size_t outmax, uint8_t suite,
    const uint8_t *caps, size_t ncaps)
{
	size_t	 i;
	int	 n;

	if (ncaps == 0)
		return hello_server_encode(out, outmax, suite, NULL);
	if (suite == SUITE_NONE || ncaps > HELLO_MAX_CAPS)
		return -1;
	for (i = 0; i < ncaps; i++)
		if (caps[i] < HELLO_CAP_MIN || (i > 0 && caps[i] <= caps[i - 1]))
			return -1;
	if ((n = hello_server_encode(out, outmax, suite, NULL)) == -1 ||
	    (size_t)n + ncaps > outmax)
		return -1;
	memcpy(out + n, caps, ncaps);
	return n + (int)ncaps;
}

int
hello_server_decode_caps(const uint8_t *p, size_t len,
    const uint8_t *offered, size_t noffered, uint8_t *suite,
    uint8_t *agreed, size_t *nagreed, char *reason, size_t reasonmax)
{
	size_t	 i, n;

	*nagreed = 0;
	if (noffered > 0 && len > HELLO_MAGICLEN + 1 &&
	    memcmp(p, HELLO_MAGIC, HELLO_MAGICLEN) == 0 &&
	    p[HELLO_MAGICLEN] != SUITE_NONE) {
		n = len - (HELLO_MAGICLEN + 1);
		if (n > HELLO_MAX_CAPS || n > noffered)
			return -1;
		for (i = 0; i < n; i++) {
			agreed[i] = p[HELLO_MAGICLEN + 1 + i];
			if (!hello_has_cap(offered, noffered, agreed[i]) ||
			    agreed[i] < HELLO_CAP_MIN ||
			    (i > 0 && agreed[i] <= agreed[i - 1]))
				return -1;
		}
		*suite = p[HELLO_MAGICLEN];
		*nagreed = n;
		if (reason != NULL && reasonmax > 0)
			reason[0] = '\0';
		return 0;
	}
	return hello_server_decode(p, len, suite, reason, reasonmax);
}

int
hello_has_cap(const uint8_t *suites, size_t nsuites, uint8_t cap)
{
	size_t	 i;

	for (i = 0; i < nsuites; i++)
		if (suites[i] == cap)
			return 1;
	return 0;
}

/* Copy a valid UTF-8 string, cutting it short only between characters. */
static void
copy_utf8(char *dst, size_t dstmax, const uint8_t *src, size_t len)
{
	if (dstmax == 0)
		return;
	if (len > dstmax - 1) {
		len = dstmax - 1;
		while (len > 0 && (src[len] & 0xc0) == 0x80)
			len--;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
}

int
hello_server_decode(const uint8_t *p, size_t len, uint8_t *suite,
    char *reason, size_t reasonmax)
{
	const uint8_t	*r;
	size_t		 rlen;

	if (len < HELLO_MAGICLEN + 1 ||
	    memcmp(p, HELLO_MAGIC, HELLO_MAGICLEN) != 0)
		return -1;
	r = p + HELLO_MAGICLEN + 1;
	rlen = len - (HELLO_MAGICLEN + 1);
	if (rlen > 0 && (p[HELLO_MAGICLEN] != SUITE_NONE ||
	    !valid_reason_text(r, rlen)))
		return -1;
	*suite = p[HELLO_MAGICLEN];
	if (reason != NULL)
		copy_utf8(reason, reasonmax, r, rlen);
	return 0;
}

enum noise_cipher
suite_cipher(uint8_t suite)
{
	switch (suite) {
	case SUITE_AESGCM:
		return NOISE_AESGCM;
	case SUITE_CHACHAPOLY:
		return NOISE_CHACHAPOLY;
	default:
		return (enum noise_cipher)0;
	}
}

/* Never NULL: the result goes straight into log lines. */
const char *
suite_name(uint8_t suite)
{
	switch (suite) {
	case SUITE_NONE:
		return "none";
	case SUITE_AESGCM:
		return "Noise_XX_25519_AESGCM_SHA256";
	case SUITE_CHACHAPOLY:
		return "Noise_XX_25519_ChaChaPoly_SHA256";
	default:
		return "unknown";
	}
}

/* ---------------------------------------------------------------- records */

/*
 * A cipher state without a key would "encrypt" by copying: refuse it here
 * so that no bug elsewhere can put a cleartext record on the wire or
 * accept one from it.
 */
int
record_seal(struct noise_cipherstate *cs, const uint8_t *pt, size_t ptlen,
    struct buf *out)
{
	uint8_t	*d;
	size_t	 ctlen;

	if (!cs->has_key || ptlen > RECORD_MAX_PLAINTEXT)
		return -1;
	if ((d = buf_reserve(out, FRAME_HDRLEN + ptlen + NOISE_TAGLEN)) == NULL)
		return -1;
	if (noise_cs_encrypt(cs, NULL, 0, pt, ptlen, d + FRAME_HDRLEN,
	    &ctlen) == -1 || ctlen != ptlen + NOISE_TAGLEN)
		return -1;
	put_u16(d, (uint16_t)ctlen);
	buf_commit(out, FRAME_HDRLEN + ctlen);
	return 0;
}

int
record_open(struct noise_cipherstate *cs, const uint8_t *ct, size_t ctlen,
    uint8_t *pt, size_t *ptlen)
{
	if (!cs->has_key || ctlen < NOISE_TAGLEN || ctlen > FRAME_MAX)
		return -1;
	return noise_cs_decrypt(cs, NULL, 0, ct, ctlen, pt, ptlen);
}

/* ---------------------------------------------------------------- messages */

/* Room names joined by single commas, none empty. */
static int
valid_room_csv(const char *s, size_t len)
{
	const char	*comma;
	size_t		 n;

	if (len > WHOIS_ROOMS_MAX)
		return 0;
	while (len > 0) {
		comma = memchr(s, ',', len);
		n = comma != NULL ? (size_t)(comma - s) : len;
		if (!valid_roomname(s, n))
			return 0;
		if (comma == NULL)
			break;
		/* A trailing comma leaves an empty name: refused above. */
		s += n + 1;
		len -= n + 1;
		if (len == 0)
			return 0;
	}
	return 1;
}

static int
string_ok(char kind, const uint8_t *p, size_t len)
{
	const char	*s = (const char *)p;

	/* An empty string may come with a NULL pointer. */
	if (len == 0)
		return kind == 'z' || kind == 'w' || kind == 'c';
	switch (kind) {
	case 'u':
		return valid_username(s, len);
	case 'r':
		return valid_roomname(s, len);
	case 'x':
		return valid_text(s, len, RECORD_MAX_PLAINTEXT);
	case 'z':
		return memchr(s, '\0', len) == NULL && valid_utf8(p, len);
	case 'p':
		return len <= WIRE_PASSWORD_MAX;
	case 'K':
		return len == WIRE_KEYLEN;
	case 'o':
		return len <= E2E_PAYLOAD_MAX;
	case 'w':
		return valid_text(s, len, AWAY_TEXT_MAX);
	case 'c':
		return valid_room_csv(s, len);
	default:
		return 0;
	}
}

static int
byte_ok(char kind, uint8_t v)
{
	switch (kind) {
	case 'n':
		return 1;
	case 'e':
		return v >= ERR_BAD_REQUEST && v <= ERR_LIMIT;
	case 'k':
		return v == HISTORY_SAY || v == HISTORY_ACTION;
	default:
		return 0;
	}
}

/*
 * Walk count entries of an N (user names) or R (room name, member count)
 * list, checking each.  Returns 0, or -1 with the reader's error set.
 */
static int
list_walk(struct reader *r, char code, uint16_t count)
{
	const uint8_t	*s;
	size_t		 len;
	uint16_t	 i;

	if (code == 'M') {
		if (count < BATCH_MIN)
			r->err = 1;
		for (i = 0; i < count && !r->err; i++) {
			s = rd_str(r, &len);
			if (!r->err && (len == 0 || s[0] == MSG_BATCHREC))
				r->err = 1;
		}
		return r->err ? -1 : 0;
	}
	if (code == 'K') {
		if (count > KEYLIST_MAX)
			r->err = 1;
		for (i = 0; i < count && !r->err; i++) {
			(void)rd_bytes(r, WIRE_KEYLEN);
			/* Flags this version does not define are malformed. */
			if ((rd_u8(r) & ~(KEYLIST_ONLINE | KEYLIST_ENROLLED)) != 0)
				r->err = 1;
		}
		return r->err ? -1 : 0;
	}
	for (i = 0; i < count && !r->err; i++) {
		s = rd_str(r, &len);
		if (code == 'R')
			(void)rd_u16(r);
		if (r->err)
			break;
		if (code == 'N' ? !valid_username((const char *)s, len) :
		    !valid_roomname((const char *)s, len))
			r->err = 1;
	}
	return r->err ? -1 : 0;
}

static int
decode_fields(const struct msgdef *def, struct reader *r, struct wire_msg *m)
{
	const uint8_t	*s;
	size_t		 slen, i;

	for (i = 0; def->sig[i] != '\0'; i++) {
		switch (def->sig[i]) {
		case 't':
			m->time = rd_u64(r);
			break;
		case 'q':
			m->token = rd_u64(r);
			break;
		case 'b':
			m->byte = rd_u8(r);
			if (r->err || !byte_ok(def->kinds[i], m->byte))
				return -1;
			break;
		case 's':
			s = rd_str(r, &slen);
			if (r->err || m->ns >= WIRE_MAXSTR ||
			    !string_ok(def->kinds[i], s, slen))
				return -1;
			m->s[m->ns].p = (const char *)s;
			m->s[m->ns].len = slen;
			m->ns++;
			break;
		case 'N':
		case 'R':
		case 'K':
		case 'M':
			m->count = rd_u16(r);
			m->list = r->p;
			if (list_walk(r, def->sig[i], m->count) == -1)
				return -1;
			m->listlen = (size_t)(r->p - m->list);
			break;
		default:
			return -1;
		}
	}
	/* Every byte must belong to a field. */
	return rd_done(r);
}

int
wire_decode(const uint8_t *p, size_t len, enum wire_dir dir,
    struct wire_msg *m)
{
	const struct msgdef	*def;
	struct reader		 r;

	memset(m, 0, sizeof(*m));
	if (len == 0 || len > RECORD_MAX_PLAINTEXT)
		return -1;
	if ((dir != FROM_CLIENT && dir != FROM_SERVER) ||
	    (def = msgdef_find(p[0])) == NULL || (def->dirs & (int)dir) == 0)
		return -1;
	rd_init(&r, p + 1, len - 1);
	if (decode_fields(def, &r, m) == -1) {
		memset(m, 0, sizeof(*m));
		return -1;
	}
	m->type = def->type;
	return 0;
}

int
wire_encode(struct buf *b, const struct wire_msg *m)
{
	const struct msgdef	*def;
	const struct wire_str	*s;
	struct reader		 r;
	size_t			 used0 = buf_used(b), i;
	int			 ns = 0, rv = 0;

	if ((def = msgdef_find(m->type)) == NULL)
		return -1;
	rv |= buf_put_u8(b, m->type);
	for (i = 0; def->sig[i] != '\0' && rv == 0; i++) {
		switch (def->sig[i]) {
		case 't':
			rv |= buf_put_u64(b, m->time);
			break;
		case 'q':
			rv |= buf_put_u64(b, m->token);
			break;
		case 'b':
			if (!byte_ok(def->kinds[i], m->byte))
				rv = -1;
			else
				rv |= buf_put_u8(b, m->byte);
			break;
		case 's':
			if (ns >= m->ns || ns >= WIRE_MAXSTR) {
				rv = -1;
				break;
			}
			s = &m->s[ns++];
			if ((s->p == NULL && s->len != 0) ||
			    !string_ok(def->kinds[i], (const uint8_t *)s->p,
			    s->len))
				rv = -1;
			else
				rv |= buf_put_str(b, s->p, s->len);
			break;
		case 'N':
		case 'R':
		case 'K':
		case 'M':
			rd_init(&r, m->list, m->list != NULL ? m->listlen : 0);
			if (list_walk(&r, def->sig[i], m->count) == -1 ||
			    rd_done(&r) == -1)
				rv = -1;
			else {
				rv |= buf_put_u16(b, m->count);
				if (m->listlen > 0)
					rv |= buf_append(b, m->list,
					    m->listlen);
			}
			break;
		default:
			rv = -1;
			break;
		}
	}
	if (rv == 0 && (ns != m->ns ||
	    buf_used(b) - used0 > RECORD_MAX_PLAINTEXT))
		rv = -1;
	if (rv != 0) {
		/* buf_reserve may have slid the data down: keep used bytes. */
		b->len = b->off + used0;
		return -1;
	}
	return 0;
}

const char *
wire_type_name(uint8_t type)
{
	const struct msgdef	*def = msgdef_find(type);

	return def != NULL ? def->name : NULL;
}

int
wire_type_extended(uint8_t type)
{
	const struct msgdef	*def = msgdef_find(type);

	return def != NULL && def->extended;
}

/*
 * The iterators run over a list wire_decode() has checked, but they still
 * stop (returning 0, with the reader's error set) at anything malformed
 * rather than trusting that.
 */
int
wire_names_next(struct reader *r, struct wire_str *name)
{
	const uint8_t	*s;
	size_t		 len;

	if (r->err || r->left == 0)
		return 0;
	s = rd_str(r, &len);
	if (r->err || !valid_username((const char *)s, len)) {
		r->err = 1;
		return 0;
	}
	name->p = (const char *)s;
	name->len = len;
	return 1;
}

int
wire_batch_next(struct reader *r, const uint8_t **msg, size_t *len)
{
	const uint8_t	*s;
	size_t		 n;

	if (r->err || r->left == 0)
		return 0;
	s = rd_str(r, &n);
	if (r->err || n == 0 || s[0] == MSG_BATCHREC) {
		r->err = 1;
		return 0;
	}
	*msg = s;
	*len = n;
	return 1;
}

int
wire_keys_next(struct reader *r, const uint8_t **key, uint8_t *flags)
{
	const uint8_t	*k;
	uint8_t		 f;

	if (r->err || r->left == 0)
		return 0;
	k = rd_bytes(r, WIRE_KEYLEN);
	f = rd_u8(r);
	if (r->err || (f & ~(KEYLIST_ONLINE | KEYLIST_ENROLLED)) != 0) {
		r->err = 1;
		return 0;
	}
	*key = k;
	*flags = f;
	return 1;
}

int
wire_rooms_next(struct reader *r, struct wire_str *room, uint16_t *members)
{
	const uint8_t	*s;
	size_t		 len;
	uint16_t	 n;

	if (r->err || r->left == 0)
		return 0;
	s = rd_str(r, &len);
	n = rd_u16(r);
	if (r->err || !valid_roomname((const char *)s, len)) {
		r->err = 1;
		return 0;
	}
	room->p = (const char *)s;
	room->len = len;
	*members = n;
	return 1;
}

int
wire_put_simple(struct buf *b, uint8_t type, const char *s0, size_t l0,
    const char *s1, size_t l1)
{
	const struct msgdef	*def;
	struct wire_msg		 m;
	size_t			 n;

	if ((def = msgdef_find(type)) == NULL)
		return -1;
	n = strlen(def->sig);
	if (n > 2 || strspn(def->sig, "s") != n)
		return -1;
	memset(&m, 0, sizeof(m));
	m.type = type;
	m.ns = (int)n;
	m.s[0].p = s0;
	m.s[0].len = l0;
	m.s[1].p = s1;
	m.s[1].len = l1;
	return wire_encode(b, &m);
}
