/*
 * users.h: the users file.
 *
 * One account per line:  NAME:HASH[:key=BASE64]...
 * A locked account has '!' in front of its hash; a HASH of "*" is no
 * password at all (a password login fails, after the same work as a wrong
 * one).  Each key= field enrolls one X25519 public key (standard base64,
 * 32 bytes) for key login, at most USERS_KEYS_MAX of them.  Blank lines and
 * lines starting with '#' are ignored.  The file must be a regular file with mode
 * 0600 (or stricter) when the daemon or secchat-passwd reads it.
 */
#ifndef SECCHAT_USERS_H
#define SECCHAT_USERS_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "pwhash.h"
#include "util.h"

#define USERS_FILE_MAX	(16 * 1024 * 1024)
#define USERS_MAX	100000
#define USERS_KEYS_MAX	16	/* enrolled keys of one account */
#define USERS_NOPASSWORD	"*"	/* the HASH of an account without one */
/* Room for users_parse_skip_bad's report of the first bad lines. */
#define USERS_REPORT_MAX	512

/*
 * The hash is allocated to its length: passlib's can be 1436 characters,
 * most are under 100, and a table may hold USERS_MAX entries.
 */
struct user_entry {
	char	 name[SECCHAT_NAME_MAX + 1];
	char	*hash;		/* wiped and freed with the entry */
	int	 locked;
	uint8_t	*keys;		/* nkeys * KEY_LEN bytes, or NULL */
	size_t	 nkeys;		/* 0..USERS_KEYS_MAX */
};

struct users {
	struct user_entry	*v;
	size_t			 n, cap;
};

void	users_init(struct users *);
void	users_free(struct users *);	/* wipes hashes */
/*
 * Parse a users file held in buf.  On error, returns -1 and err names the
 * line ("line 3: ...").  Duplicate names, bad names and malformed hashes
 * are errors.
 */
int	users_parse(struct users *, const char *buf, size_t len, char *err,
	    size_t errlen);
/*
 * The daemon's reading: a bad line costs only its own account.  Every line
 * users_parse would refuse is left out, and so is every line of a name
 * that appears twice (which of them was meant is unknown); the other
 * accounts are kept.  *nbad is the number of lines left out; report names
 * the first few ("line 3: invalid password hash; line 9: ...") and is
 * empty when there are none.  Returns -1, with u empty and report saying
 * why, only when memory runs out.
 */
int	users_parse_skip_bad(struct users *, const char *buf, size_t len,
	    size_t *nbad, char *report, size_t reportlen);
/* Read and parse a file, checking its type and mode.  err names the file. */
int	users_load(struct users *, const char *path, char *err, size_t errlen);
struct user_entry *users_find(struct users *, const char *name);
int	users_add(struct users *, const char *name, const char *hash);
/* Replace an entry's hash; -1 if the hash is malformed or memory is short. */
int	users_set_hash(struct user_entry *, const char *hash);
int	users_remove(struct users *, const char *name);
/* True when the entry has no password (HASH "*"). */
int	users_no_password(const struct user_entry *);
/*
 * Enroll a key: 1 if it is new, 0 if it was enrolled already, -1 when the
 * entry holds USERS_KEYS_MAX keys (or memory is short).
 */
int	users_key_add(struct user_entry *, const uint8_t key[KEY_LEN]);
/* Withdraw a key: 0, or -1 if it was not enrolled. */
int	users_key_del(struct user_entry *, const uint8_t key[KEY_LEN]);
/* The index of key among the entry's, or -1. */
int	users_key_find(const struct user_entry *, const uint8_t key[KEY_LEN]);
/* Serialize in file order into a malloc'd string. */
char	*users_format(const struct users *, size_t *lenp);
/*
 * Replace path atomically with the serialized users: lock PATH.lock, write
 * PATH.tmp (mode 0600), fsync, rename, fsync the directory.
 */
int	users_save(const struct users *, const char *path, char *err,
	    size_t errlen);

#endif
