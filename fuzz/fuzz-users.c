/*
 * fuzz-users.c: users_parse, the users file parser.
 *
 * The input is a whole users file.  A file that parses holds only valid
 * names and hashes, no name twice; users_format writes it back and that
 * text must parse to the same entries in the same order (secchat-passwd
 * rewrites the file this way).  A file that does not parse leaves no
 * entries behind and names the line.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "pwhash.h"
#include "users.h"
#include "util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same_users(const struct users *a, const struct users *b)
{
	size_t	 i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
		    strcmp(a->v[i].hash, b->v[i].hash) != 0 ||
		    (a->v[i].locked != 0) != (b->v[i].locked != 0) ||
		    a->v[i].nkeys != b->v[i].nkeys ||
		    (a->v[i].nkeys > 0 && memcmp(a->v[i].keys, b->v[i].keys,
		    a->v[i].nkeys * KEY_LEN) != 0))
			return 0;
	return 1;
}

static void
check_entries(struct users *u)
{
	size_t	 i;

	for (i = 0; i < u->n; i++) {
		/* A hash, or "*" for an account without a password. */
		if (!valid_username(u->v[i].name, strlen(u->v[i].name)) ||
		    (!pwhash_valid(u->v[i].hash) &&
		    !users_no_password(&u->v[i])) ||
		    u->v[i].nkeys > USERS_KEYS_MAX ||
		    users_find(u, u->v[i].name) != &u->v[i])
			abort();
	}
}

static void
reformat(const struct users *u)
{
	struct users	 u2;
	char		 err[256], *text, *text2;
	size_t		 len, len2;

	if ((text = users_format(u, &len)) == NULL)
		abort();
	users_init(&u2);
	if (users_parse(&u2, text, len, err, sizeof(err)) == -1 ||
	    !same_users(u, &u2))
		abort();
	if ((text2 = users_format(&u2, &len2)) == NULL || len2 != len ||
	    memcmp(text, text2, len) != 0)
		abort();
	free(text);
	free(text2);
	users_free(&u2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct users	 u;
	char		 err[256];

	users_init(&u);
	memset(err, 'X', sizeof(err));
	if (users_parse(&u, (const char *)data, size, err, sizeof(err)) == -1) {
		if (u.n != 0 || strnlen(err, sizeof(err)) == sizeof(err) ||
		    strncmp(err, "line ", 5) != 0)
			abort();
		users_free(&u);
		return 0;
	}
	check_entries(&u);
	reformat(&u);
	users_free(&u);
	return 0;
}
