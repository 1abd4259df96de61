/*
 * ipc_table.h: the one table of secchatd's internal messages.
 *
 * Every message type that one process may send another is a row: its
 * name, who may send it, who receives it, the payload's layout (which
 * gives its exact length, or its bounds), whether a descriptor comes with
 * it, and, in words, when it is allowed.  A channel that knows its two
 * ends (ipc_set_roles) checks every message against the table in ipc_get,
 * before any handler runs; the fuzzer reads payloads with the table's
 * layouts; doc/security.md section 3 is printed from it (ipc_table_doc),
 * and a test fails if the two differ.  Which state a message is allowed
 * in is each role's own dispatch table.
 */
#ifndef SECCHAT_IPC_TABLE_H
#define SECCHAT_IPC_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct ipc_msg;

/* The processes, as bits so that a row can have several senders. */
enum ipc_role {
	IPC_ROLE_MASTER = 1 << 0,
	IPC_ROLE_WORKER = 1 << 1,
	IPC_ROLE_BROKER = 1 << 2,
	IPC_ROLE_AUTHD = 1 << 3
};

/*
 * Payload layouts, one letter per field, read in order and consuming the
 * payload exactly:  1 u8,  4 u32 (big-endian),  k a 32-byte key,  s a
 * string (u16 length and bytes),  S one fixed struct of size bytes,  a one
 * application message (1 to RECORD_MAX_PLAINTEXT bytes, decoded by its
 * receiver with wire_decode).  An empty layout is an empty payload.  '|'
 * separates alternatives: "k|" is a key or nothing.
 */
struct ipc_spec {
	uint16_t	 type;		/* enum ipc_type in ipc.h */
	char		 name[16];	/* as in the logs and the documents */
	unsigned	 from;		/* enum ipc_role bits */
	unsigned	 to;		/* one enum ipc_role */
	char		 layout[8];
	size_t		 size;		/* for S */
	int		 fd;		/* 1: exactly one descriptor comes with it */
};

/*
 * The rows' words, for the documents, in ipc_table_doc.c: the daemon
 * links none of it.  (Arrays, not pointers, above: a table of pointers
 * is relocated at start, which costs every child a private page.)
 */
struct ipc_spec_doc {
	uint16_t	 type;
	const char	*fields;	/* the layout in words */
	const char	*allowed;	/* when, in words */
};

extern const struct ipc_spec	ipc_specs[];
extern const size_t		ipc_nspecs;

const struct ipc_spec	*ipc_spec_find(uint16_t type);
const char		*ipc_role_name(unsigned role);
/*
 * Does payload p, len bytes, read exactly as one of the layout's
 * alternatives?  1 if so, else 0.
 */
int	ipc_layout_fits(const struct ipc_spec *, const uint8_t *p, size_t len);
/*
 * Check a received message against the table: a known type, sent by
 * "from" to "to", its payload read exactly by the layout, and a
 * descriptor waiting if the row says one comes with it (fds_waiting is
 * how many the channel holds unclaimed).  Returns the row, or NULL with
 * *why saying what was wrong.
 */
const struct ipc_spec *ipc_check(const struct ipc_msg *, unsigned from,
	    unsigned to, int fds_waiting, const char **why);
extern const struct ipc_spec_doc	ipc_spec_docs[];
extern const size_t			ipc_nspec_docs;
const struct ipc_spec_doc	*ipc_spec_doc_find(uint16_t type);
/* doc/security.md section 3's tables, in Markdown. */
void	ipc_table_doc(FILE *);

#endif
