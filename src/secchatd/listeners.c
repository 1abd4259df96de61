/*
 * listeners.c: the master's listening sockets (listeners.h).
 *
 * A connection is accepted, asked the admission rules (admit.c), and
 * either handed to a new session or refused: the client then gets a
 * server hello that says no, and why, and the socket lingers a moment so
 * that closing it does not reset the connection before that is read.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "admit.h"
#include "children.h"
#include "listeners.h"
#include "log.h"
#include "master.h"
#include "mlog.h"
#include "proto.h"
#include "sessions.h"
#include "throttle.h"
#include "util.h"
#include "wire.h"

#define MAX_LISTENERS		32
#define MAX_LINGER		64
#define LINGER_MS		2000
#define ACCEPT_BATCH		64
#define ACCEPT_BACKOFF_MS	1000	/* listeners rest after EMFILE */

struct lingerer {
	int		 fd;
	uint64_t	 until;
};

static int		 listeners[MAX_LISTENERS];
static int		 nlisteners;
static struct lingerer	 linger[MAX_LINGER];
static int		 nlinger;
static size_t		 polled_linger;	/* lingerers given to poll() */
static struct throttle	 connrate;
static struct logquota	 acceptlogq;
static uint64_t		 accept_resume_ms;

static void
format_peer(const struct sockaddr_storage *ss, char *addr, size_t addrlen,
    char *peer, size_t peerlen)
{
	char	 port[NI_MAXSERV];

	if (getnameinfo((const struct sockaddr *)ss, sizeof(*ss), addr,
	    (socklen_t)addrlen, port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		strlcpy(addr, "unknown", addrlen);
		strlcpy(port, "0", sizeof(port));
	}
	snprintf(peer, peerlen, "%s port %s", addr, port);
}

void
listeners_bind(void)
{
	const struct config	*conf = mctx.conf;
	struct addrinfo		 hints, *res, *ai;
	int			 i, fd, on = 1, err;

	for (i = 0; i < conf->nlisten; i++) {
		const struct listen_addr *la = &conf->listen[i];
		const char *port = la->port[0] ? la->port : conf->port;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_PASSIVE;
		if ((err = getaddrinfo(la->host, port, &hints, &res)) != 0)
			fatalx("ListenAddress %s: %s", la->host,
			    gai_strerror(err));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			struct sockaddr_storage	 ss;
			socklen_t		 sslen = sizeof(ss);
			char			 addr[INET6_ADDRSTRLEN];
			char			 peer[PEER_NAME_MAX];

			if (nlisteners == MAX_LISTENERS)
				fatalx("too many listening addresses");
			fd = socket(ai->ai_family, ai->ai_socktype |
			    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd == -1) {
				/* No IPv6 on this host: skip ::1 quietly. */
				if (errno == EAFNOSUPPORT)
					continue;
				fatal("socket");
			}
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
			    sizeof(on));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on,
				    sizeof(on));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
				if (ai->ai_family == AF_INET6 &&
				    errno == EADDRNOTAVAIL) {
					close(fd);
					continue;
				}
				fatal("bind %s port %s", la->host, port);
			}
			if (listen(fd, 128) == -1)
				fatal("listen");
			getsockname(fd, (struct sockaddr *)&ss, &sslen);
			format_peer(&ss, addr, sizeof(addr), peer,
			    sizeof(peer));
			log_info("listening on %s", peer);
			listeners[nlisteners++] = fd;
		}
		freeaddrinfo(res);
	}
	if (nlisteners == 0)
		fatalx("no address to listen on");
}

size_t
listeners_fd_overhead(void)
{
	return MAX_LINGER + (size_t)nlisteners;
}

void
listeners_configure(void)
{
	admit_rate_init(&connrate, mctx.conf);
}

/* ------------------------------------------------------------ refusals */

static void
linger_add(int fd)
{
	if (nlinger == MAX_LINGER) {
		close(fd);
		return;
	}
	shutdown(fd, SHUT_WR);
	linger[nlinger].fd = fd;
	linger[nlinger].until = mono_ms() + LINGER_MS;
	nlinger++;
}

/* Say no in the server hello, so the client can tell its user why. */
static void
refuse(int fd, const char *peer, const char *reason)
{
	uint8_t		 hello[HELLO_MAGICLEN + 1 + HELLO_REASON_MAX];
	uint8_t		 frame[300];
	int		 n;

	mlog_conn("refused connection from %s: %s", peer, reason);
	n = hello_server_encode(hello, sizeof(hello), SUITE_NONE, reason);
	if (n > 0) {
		put_u16(frame, (uint16_t)n);
		memcpy(frame + 2, hello, (size_t)n);
		(void)send(fd, frame, (size_t)n + 2,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	linger_add(fd);
}

void
listeners_expire(uint64_t now)
{
	int	 i;

	for (i = 0; i < nlinger; i++) {
		if (now < linger[i].until)
			continue;
		close(linger[i].fd);
		linger[i--] = linger[--nlinger];
	}
}

/* ------------------------------------------------------------ accept */

/*
 * Out of descriptors: accepting again at once would fail again and spin,
 * so the listeners rest for a while, as sshd's do, and say so once.
 */
static void
accept_backoff(void)
{
	int	 saved = errno;

	accept_resume_ms = mono_ms() + ACCEPT_BACKOFF_MS;
	errno = saved;
	if (mlog_allowed(&acceptlogq, "accept", 1))
		log_warn("accept (not accepting for %d ms)", ACCEPT_BACKOFF_MS);
}

/* Returns 1 if a connection was taken (and maybe refused), else 0. */
static int
accept_one(int lfd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sslen = sizeof(ss);
	struct admit_state	 st;
	char			 addr[INET6_ADDRSTRLEN], peer[PEER_NAME_MAX];
	char			 source[ADMIT_SOURCE_MAX];
	const char		*why;
	int			 cfd;

	memset(&ss, 0, sizeof(ss));
	cfd = accept4(lfd, (struct sockaddr *)&ss, &sslen,
	    SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd == -1) {
		switch (errno) {
		case EAGAIN:
		case EINTR:
		case ECONNABORTED:
			break;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			accept_backoff();
			break;
		default:
			if (mlog_allowed(&acceptlogq, "accept", 1))
				log_warn("accept");
			break;
		}
		return 0;
	}
	format_peer(&ss, addr, sizeof(addr), peer, sizeof(peer));
	admit_source_block(&ss, mctx.conf->netblock, source, sizeof(source));
	memset(&st, 0, sizeof(st));
	st.shutting_down = mctx.shutting_down;
	st.children_ready = children_ready();
	st.sessions = msessions_count();
	st.max_sessions = mctx.max_sessions;
	st.from_addr = msessions_from(addr);
	st.startups = msessions_startups();
	if ((why = admit_refusal(&st, mctx.conf, &connrate, source,
	    mono_ms())) == NULL)
		why = msession_new(cfd, addr, source, peer);
	if (why != NULL)
		refuse(cfd, peer, why);
	return 1;
}

/* ------------------------------------------------------------ poll */

size_t
listeners_npollfd(void)
{
	return (size_t)nlisteners + (size_t)nlinger;
}

int
listeners_pollfd(struct pollfd *pfd)
{
	int	 i, listening;

	listening = !mctx.shutting_down && mono_ms() >= accept_resume_ms;
	for (i = 0; i < nlisteners; i++) {
		pfd[i].fd = listening ? listeners[i] : -1;
		pfd[i].events = POLLIN;
	}
	pfd += nlisteners;
	for (i = 0; i < nlinger; i++) {
		pfd[i].fd = linger[i].fd;
		pfd[i].events = POLLIN;
	}
	polled_linger = (size_t)nlinger;
	return listening;
}

void
listeners_handle(const struct pollfd *pfd)
{
	char	 drainbuf[256];
	size_t	 i;
	int	 k;

	for (i = 0; i < (size_t)nlisteners; i++)
		if (pfd[i].revents & POLLIN)
			for (k = 0; k < ACCEPT_BATCH &&
			    mono_ms() >= accept_resume_ms; k++)
				if (!accept_one(listeners[i]))
					break;	/* nothing more to take */
	/*
	 * The lingerers polled (those refused meanwhile come after them):
	 * what a client still sends is read and dropped, and one whose
	 * client has closed is done with.
	 */
	pfd += nlisteners;
	for (i = 0; i < polled_linger; i++)
		if (pfd[i].fd == linger[i].fd &&
		    pfd[i].revents & (POLLIN | POLLHUP | POLLERR) &&
		    read(linger[i].fd, drainbuf, sizeof(drainbuf)) <= 0)
			linger[i].until = 0;
}
