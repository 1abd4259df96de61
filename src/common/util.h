/*
 * util.h: small helpers shared by every program.
 */
#ifndef SECCHAT_UTIL_H
#define SECCHAT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define SECCHAT_NAME_MAX	32	/* user and room names, bytes */

/* Milliseconds since the epoch (wall clock) and a monotonic clock. */
uint64_t now_ms(void);
uint64_t mono_ms(void);

/*
 * User names: 1..32 bytes, [a-z_][a-z0-9_.-]*.  Room names: 1..32 bytes of
 * [A-Za-z0-9_.-].  Both rules are stated in doc/protocol.md.
 */
int	valid_username(const char *, size_t);
int	valid_roomname(const char *, size_t);
/* Message text: valid UTF-8, no NUL, CR or LF, 1..max bytes. */
int	valid_text(const char *, size_t, size_t max);
int	valid_utf8(const uint8_t *, size_t);
/*
 * Copy text from a less trusted process into dst (NUL-terminated, cut at
 * a character boundary to fit): valid UTF-8 other than control characters
 * (C0, DEL, C1) is kept; every other byte becomes '?'.
 */
void	printable_text(char *dst, size_t dstlen, const uint8_t *src, size_t len);

/* Lowercase hex; hex_decode returns the byte count or -1. */
void	hex_encode(const uint8_t *, size_t, char *out /* 2n+1 */);
int	hex_decode(const char *, uint8_t *out, size_t outmax);

int	set_nonblock(int fd);
/* Write all of buf, retrying after EINTR and short writes; 0 or -1. */
int	write_full(int fd, const void *buf, size_t len);
int	set_cloexec(int fd);
/*
 * Files that hold secrets (keys, password hashes) must be regular files,
 * not symbolic links or FIFOs, that neither group nor others may access,
 * and at most max bytes.  Errors go to err, naming the file ("name" for a
 * descriptor); errno is kept from a failed open (ENOENT: missing) and is
 * EINVAL for a file that fails the checks.
 *
 * open_private_file returns a checked descriptor; read_private_fd and
 * read_private_file return the contents, NUL-terminated, in a malloc'd
 * buffer that the caller wipes (sodium_memzero, *lenp + 1 bytes) and frees.
 */
int	open_private_file(const char *path, size_t max, char *err,
	    size_t errlen);
char	*read_private_fd(int fd, const char *name, size_t max, size_t *lenp,
	    char *err, size_t errlen);
char	*read_private_file(const char *path, size_t max, size_t *lenp,
	    char *err, size_t errlen);
/* Read a whole small file (at most max bytes) into a NUL-terminated buffer. */
char	*read_small_file(const char *path, size_t max, size_t *lenp);

#endif
