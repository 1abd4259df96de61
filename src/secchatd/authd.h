/*
 * authd.h: the password checker.
 *
 * The only process that reads the users file (the master opens it and
 * passes the descriptor).  It answers "does this password match this user"
 * and nothing else; unknown users cost as much as real ones.
 */
#ifndef SECCHAT_AUTHD_H
#define SECCHAT_AUTHD_H

/* Entry point of "secchatd -R auth"; the master channel is fd 3. */
int	authd_main(int verbose);

#endif
