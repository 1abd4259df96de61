/*
 * knownhosts.h: the client's record of server keys, in the spirit of ssh's
 * known_hosts.
 *
 * The file holds one line per server:
 *     HOST:PORT secchat-x25519 BASE64(32-byte public key) [comment]
 * with an IPv6 address in brackets ("[::1]:9999").  Blank lines and lines
 * whose first non-blank character is '#' are ignored.  Host names are
 * compared after lowercasing.  A malformed line is an error naming its line
 * number: a damaged file must not silently turn a known server into an
 * unknown one.
 */
#ifndef SECCHAT_KNOWNHOSTS_H
#define SECCHAT_KNOWNHOSTS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

#define KH_KEYTYPE	"secchat-x25519"
#define KH_LINE_MAX	1024		/* bytes per line, without newline */
#define KH_HOSTPORT_MAX	(255 + 2 + 1 + 5 + 1)	/* "[host]:port" and NUL */
#define KH_FILE_MAX	(4 * 1024 * 1024)

struct kh_entry {
	char	 hostport[KH_HOSTPORT_MAX];
	uint8_t	 pub[KEY_LEN];
	size_t	 line;			/* 1-based line number */
};

struct knownhosts {
	struct kh_entry	*entries;
	size_t		 n;
	size_t		 cap;
};

enum kh_status {
	KH_UNKNOWN = 0,		/* no line for this host */
	KH_MATCH,		/* a line for this host holds this key */
	KH_MISMATCH		/* lines for this host, none with this key */
};

void	kh_init(struct knownhosts *);
void	kh_free(struct knownhosts *);

/*
 * The canonical "host:port" key for a host (name or address, without
 * brackets) and a port: lowercased, IPv6 addresses bracketed.  Returns 0, or
 * -1 if the host is empty, holds spaces or control characters, or is too
 * long, or the port is not 1..65535.
 */
int	kh_hostport(const char *host, unsigned int port, char *out,
	    size_t outlen);

/*
 * Canonicalize a "host:port" field as read from a file (known_peers uses
 * the same form).  Returns 0, or -1 if it is not one.
 */
int	kh_parse_hostport(const char *s, size_t len, char *out, size_t outlen);

/*
 * Parse a whole file's contents (any bytes; need not be NUL-terminated)
 * and append its entries to kh.  Returns 0, or -1 with err set to
 * "line N: reason" (and *errline to N if errline is not NULL).
 */
int	kh_parse(struct knownhosts *, const char *buf, size_t len, char *err,
	    size_t errlen, size_t *errline);

/*
 * Read and parse a file.  A missing file is an empty list.  Returns 0, or
 * -1 with err set to a message naming the file.
 */
int	kh_load(struct knownhosts *, const char *path, char *err,
	    size_t errlen);

/*
 * Look hostport up.  On KH_MISMATCH, *linep (if not NULL) gets the line of
 * the first entry for that host; on KH_MATCH the matching line.
 */
enum kh_status kh_lookup(const struct knownhosts *, const char *hostport,
	    const uint8_t pub[KEY_LEN], size_t *linep);

/*
 * Append a line for hostport to the file at path, creating the file (mode
 * 0600) and its directory (mode 0700) if need be.  Returns 0 or -1 with err
 * set.
 */
int	kh_add(const char *path, const char *hostport,
	    const uint8_t pub[KEY_LEN], char *err, size_t errlen);

/*
 * Add an entry to the list in memory only (after kh_add() has put it in
 * the file, so that the key is known for the rest of the run).  0 or -1.
 */
int	kh_remember(struct knownhosts *, const char *hostport,
	    const uint8_t pub[KEY_LEN], size_t line);

/*
 * What the first-contact question says about other names of a key: the
 * hosts other than hostport that the list holds pub for, one per line with
 * the file (path) and line, or that there are none.  Returns 0, or -1 if
 * out is too small (it then holds as much as fits).
 */
#define KH_OTHER_NAMES_MAX	8	/* listed; the rest are counted */
int	kh_other_names(const struct knownhosts *, const char *hostport,
	    const uint8_t pub[KEY_LEN], const char *path, char *out,
	    size_t outlen);

/*
 * An answer to "continue connecting (yes/no/[fingerprint])?": as ssh, the
 * fingerprint itself (fp, "SHA256:...") is a yes.  Case does not matter
 * in yes, no and "SHA256:", does in the rest; blanks around the answer and
 * a final '.' after a fingerprint (copied with the sentence) are ignored.
 */
#define KH_ANSWER_YES		1
#define KH_ANSWER_NO		0
#define KH_ANSWER_OTHER		-1	/* neither: ask again */
#define KH_ANSWER_WRONG_FP	-2	/* a fingerprint, but not fp's */
int	kh_answer(const char *answer, const char *fp);

/* Format one file line, with its newline.  Returns its length or -1. */
int	kh_format_line(const char *hostport, const uint8_t pub[KEY_LEN],
	    char *out, size_t outlen);

/*
 * Create a directory and its missing parents; the ones created get mode
 * (an existing directory is left alone).  Returns 0 or -1 with errno set.
 */
int	mkdir_parents(const char *dir, mode_t mode);

#endif
