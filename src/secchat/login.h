/*
 * login.h: who we are to the server, and getting in: the identity key,
 * the user name and password (from a file, a descriptor or the terminal),
 * the login once the server's key is trusted, and the answers to it.
 */
#ifndef SECCHAT_LOGIN_H
#define SECCHAT_LOGIN_H

#include <stdint.h>

#include "keys.h"
#include "options.h"
#include "session.h"

struct client;

/*
 * Load the identity key (-i, else dir/identity, created on first use);
 * exits if it cannot.
 */
void	login_load_identity(const struct options *, const char *dir,
	    uint8_t priv[KEY_LEN], uint8_t pub[KEY_LEN]);
/* -l: the identity's fingerprint and file, on stdout. */
void	login_print_fingerprint(const struct options *, const char *dir,
	    const uint8_t pub[KEY_LEN]);

/* -K: the identity's public line, on stdout. */
void	login_print_public(const struct options *, const char *dir,
	    const uint8_t pub[KEY_LEN]);
/* -N: set, change or remove the identity's passphrase. */
void	login_set_passphrase(const struct options *, const char *dir,
	    const uint8_t priv[KEY_LEN]);
/* CS_EV_AUTH_MORE: the key is accepted, the password is to follow. */
void	login_more(struct client *, const struct cs_event *);

/* CS_EV_SERVER_KEY: check the key, then send the login (or refuse). */
void	login_server_key(struct client *, const struct cs_event *);
/* CS_EV_AUTH_OK */
void	login_ok(struct client *, const struct cs_event *);
/* CS_EV_AUTH_FAIL: try again, ask again, or give up. */
void	login_failed(struct client *, const struct cs_event *);
/* The wait after "server busy" is over: send the login again. */
void	login_retry(struct client *);
/* Forget what was kept only for connecting again. */
void	login_forget(struct client *);

#endif
