/*
 * login.h: the master's part in a login: a worker's AUTH request is
 * throttled or queued for the password checker (loginq.h), and the
 * checker's answer logs the session in or tells the worker no.  After a
 * reload, the sessions of accounts removed or locked are ended here too.
 */
#ifndef SECCHAT_LOGIN_H
#define SECCHAT_LOGIN_H

#include "ipc.h"

struct mchild;
struct msession;

void	login_init(void);
/* IMSG_M_AUTH from a worker: 32-byte key, str user, str password. */
void	login_auth(struct msession *, const struct ipc_msg *);
/*
 * IMSG_M_AUTH_KEY from a worker: a key login (protocol section 11.3),
 * decided here at once: the proof, the enrolled keys and the user's
 * AuthenticationMethods.
 */
void	login_auth_key(struct msession *, const struct ipc_msg *);
/* IMSG_M_RESULT from the checker: u32 request, u8 1 = match. */
void	login_result(struct mchild *, const struct ipc_msg *);
/* A session waiting for its check is going away. */
void	login_abandon(struct msession *);
/* The checker exited: the check it had is lost, not failed. */
void	login_checker_lost(void);
/* Hand the checker the next check, if it has none. */
void	login_dispatch(void);
/* Sources refused for too many failures now (`show stats`). */
unsigned login_throttled_sources(void);
/*
 * After the checker read the users file for reload seq: ask it which
 * logged-in users are now removed or locked, and end their sessions.
 * The control socket hears the end of reload seq when that is done.
 */
void	login_accounts_check(unsigned seq);
/* IMSG_M_ACCOUNTS: u32 request, str removed names, str locked names. */
void	login_accounts_result(struct mchild *, const struct ipc_msg *);
/*
 * The enrolled keys, from the checker: ENROLLED_RESET, ENROLLED per key,
 * and the RELOADED after them puts the new table in place
 * (login_enrolled_commit) and sends it to the broker.
 */
void	login_enrolled_reset(struct mchild *, const struct ipc_msg *);
void	login_enrolled_add(struct mchild *, const struct ipc_msg *);
void	login_enrolled_commit(void);
/* The broker is told the whole table (after its INIT). */
void	login_enrolled_to_broker(void);
/* True when key is enrolled for user. */
int	login_enrolled_find(const char *user, const uint8_t *key);

#endif
