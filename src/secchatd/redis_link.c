/*
 * redis_link.c: the master connects to Redis for the broker; see
 * redis_link.h.  Plain sockets and a few lines of RESP: no library is
 * needed for AUTH, and the daemon builds this file without hiredis too
 * (Engine redis is then refused by the configuration).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "children.h"
#include "ipc.h"
#include "log.h"
#include "redis_link.h"
#include "util.h"

#define LINK_TIMEOUT_MS		2000	/* connect, AUTH: each */
#define LINK_BACKOFF_MIN_MS	250
#define LINK_BACKOFF_MAX_MS	8000
#define LINK_SECRET_MAX		512	/* the password file */

static struct {
	int		 on;		/* Engine redis */
	char		 address[CONFIG_PATH_MAX];
	char		 user[128];	/* ACL user, or "" */
	char		*password;	/* sodium_malloc'd, or NULL */
	int		 wanted;	/* the broker waits for connections */
	uint64_t	 next_at;	/* mono ms of the next try */
	uint64_t	 backoff;
	int		 failing;	/* said so once per outage */
} rl;

/* Wait for fd to be ready for events, at most until deadline; 0 or -1. */
static int
link_wait(int fd, short events, uint64_t deadline)
{
	struct pollfd	 pfd;
	uint64_t	 now;
	int		 n;

	for (;;) {
		now = mono_ms();
		if (now >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, (int)(deadline - now));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 1)
			return 0;
	}
}

static int
link_socket(const char *address, uint64_t deadline, char *err, size_t errlen)
{
	struct sockaddr_un	 sun;
	struct addrinfo		 hints, *res = NULL, *ai;
	char			 host[CONFIG_PATH_MAX], *port;
	socklen_t		 sl;
	int			 fd = -1, e, soerr;

	if (address[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if (strlcpy(sun.sun_path, address, sizeof(sun.sun_path)) >=
		    sizeof(sun.sun_path)) {
			snprintf(err, errlen, "socket path too long");
			return -1;
		}
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) ==
		    -1 || connect(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1) {
			snprintf(err, errlen, "%s", strerror(errno));
			if (fd != -1)
				close(fd);
			return -1;
		}
		return fd;
	}
	strlcpy(host, address, sizeof(host));
	if ((port = strrchr(host, ':')) == NULL) {
		snprintf(err, errlen, "no port");
		return -1;
	}
	*port++ = '\0';
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(e));
		return -1;
	}
	snprintf(err, errlen, "no address");
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS && link_wait(fd, POLLOUT,
		    deadline) == 0) {
			sl = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr,
			    &sl) == 0 && soerr == 0)
				break;
			errno = soerr;
		}
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* One RESP bulk string, as AUTH needs. */
static int
link_bulk(char *out, size_t outlen, size_t *at, const char *s)
{
	int	 n;

	n = snprintf(out + *at, outlen - *at, "$%zu\r\n%s\r\n", strlen(s), s);
	if (n < 0 || (size_t)n >= outlen - *at)
		return -1;
	*at += (size_t)n;
	return 0;
}

int
redis_link_connect(const char *address, const char *user,
    const char *password, int timeout_ms, char *err, size_t errlen)
{
	uint64_t	 deadline = mono_ms() + (uint64_t)timeout_ms;
	char		 cmd[LINK_SECRET_MAX + 256], reply[256];
	size_t		 at = 0, got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = link_socket(address, deadline, err, errlen)) == -1)
		return -1;
	if (set_nonblock(fd) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	if (password == NULL)
		return fd;
	at = (size_t)snprintf(cmd, sizeof(cmd), "*%d\r\n",
	    user != NULL && user[0] != '\0' ? 3 : 2);
	if (link_bulk(cmd, sizeof(cmd), &at, "AUTH") == -1 ||
	    (user != NULL && user[0] != '\0' &&
	    link_bulk(cmd, sizeof(cmd), &at, user) == -1) ||
	    link_bulk(cmd, sizeof(cmd), &at, password) == -1) {
		sodium_memzero(cmd, sizeof(cmd));
		snprintf(err, errlen, "password too long");
		close(fd);
		return -1;
	}
	/* A few hundred bytes into an empty socket: one write. */
	n = write(fd, cmd, at);
	sodium_memzero(cmd, sizeof(cmd));
	if (n != (ssize_t)at) {
		snprintf(err, errlen, "cannot send AUTH");
		close(fd);
		return -1;
	}
	while (got < sizeof(reply) - 1 && memchr(reply, '\n', got) == NULL) {
		if (link_wait(fd, POLLIN, deadline) == -1) {
			snprintf(err, errlen, "no answer to AUTH");
			close(fd);
			return -1;
		}
		n = read(fd, reply + got, sizeof(reply) - 1 - got);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "closed during AUTH");
			close(fd);
			return -1;
		}
		got += (size_t)n;
	}
	reply[got] = '\0';
	if (strncmp(reply, "+OK\r\n", 5) != 0) {
		/* Redis's own words, without the password: safe to log. */
		reply[strcspn(reply, "\r\n")] = '\0';
		snprintf(err, errlen, "AUTH refused: %s", reply);
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * RedisPasswordFile: owned by the daemon's user (root) and readable by it
 * only; its first line is "password" or "user password" (an ACL user).
 */
static int
link_read_secret(const char *path)
{
	struct stat	 st;
	char		 err[512], *buf, *line, *sp;
	size_t		 len;

	if ((buf = read_private_file(path, LINK_SECRET_MAX, &len, err,
	    sizeof(err))) == NULL) {
		log_warnx("RedisPasswordFile: %s", err);
		return -1;
	}
	if (stat(path, &st) == -1 || st.st_uid != geteuid()) {
		log_warnx("RedisPasswordFile %s: not owned by uid %ld", path,
		    (long)geteuid());
		goto fail;
	}
	line = buf;
	line[strcspn(line, "\r\n")] = '\0';
	if (line[0] == '\0' || strchr(line, '\t') != NULL) {
		log_warnx("RedisPasswordFile %s: the first line must be "
		    "\"password\" or \"user password\"", path);
		goto fail;
	}
	if ((sp = strchr(line, ' ')) != NULL) {
		*sp++ = '\0';
		if (*sp == '\0' || strchr(sp, ' ') != NULL ||
		    strlen(line) >= sizeof(rl.user)) {
			log_warnx("RedisPasswordFile %s: the first line must "
			    "be \"password\" or \"user password\"", path);
			goto fail;
		}
		strlcpy(rl.user, line, sizeof(rl.user));
	} else
		sp = line;
	if ((rl.password = sodium_malloc(strlen(sp) + 1)) == NULL) {
		log_warnx("RedisPasswordFile: out of memory");
		goto fail;
	}
	memcpy(rl.password, sp, strlen(sp) + 1);
	sodium_memzero(buf, len + 1);
	free(buf);
	return 0;
 fail:
	sodium_memzero(buf, len + 1);
	free(buf);
	return -1;
}

int
redis_link_start(const struct config *conf)
{
	char	 err[256];
	int	 fd;

	if (strcmp(conf->engine, "redis") != 0)
		return 0;
	rl.on = 1;
	strlcpy(rl.address, conf->redis_address, sizeof(rl.address));
	if (strcmp(conf->redis_password_file, "none") != 0 &&
	    link_read_secret(conf->redis_password_file) == -1)
		return -1;
	rl.backoff = LINK_BACKOFF_MIN_MS;
	if ((fd = redis_link_connect(rl.address, rl.user, rl.password,
	    LINK_TIMEOUT_MS, err, sizeof(err))) != -1) {
		close(fd);
		log_info("Redis at %s: reachable; node %s, key prefix %s",
		    rl.address, conf->node_name, conf->redis_prefix);
		return 0;
	}
	if (strcmp(conf->redis_startup, "fail") == 0) {
		log_warnx("Redis at %s: %s (RedisStartup fail)", rl.address,
		    err);
		return -1;
	}
	log_warnx("Redis at %s: %s; retrying (sessions are served, "
	    "cross-node delivery waits)", rl.address, err);
	rl.failing = 1;
	return 0;
}

void
redis_link_want(void)
{
	uint64_t	 now = mono_ms();

	if (!rl.on || rl.wanted)
		return;
	rl.wanted = 1;
	if (rl.next_at < now)
		rl.next_at = now;
}

void
redis_link_tick(uint64_t now)
{
	struct mchild	*b;
	char		 err[256];
	uint8_t		 role;
	int		 fd[2] = { -1, -1 }, i;

	if (!rl.on || !rl.wanted || now < rl.next_at)
		return;
	b = mchild_get(MCHILD_BROKER);
	if (b == NULL || !b->ready)
		return;
	for (i = 0; i < 2; i++)
		if ((fd[i] = redis_link_connect(rl.address, rl.user,
		    rl.password, LINK_TIMEOUT_MS, err, sizeof(err))) == -1)
			break;
	if (i < 2) {
		if (fd[0] != -1)
			close(fd[0]);
		if (!rl.failing)
			log_warnx("Redis at %s: %s; retrying", rl.address,
			    err);
		rl.failing = 1;
		rl.next_at = now + rl.backoff;
		rl.backoff = rl.backoff * 2 > LINK_BACKOFF_MAX_MS ?
		    LINK_BACKOFF_MAX_MS : rl.backoff * 2;
		return;
	}
	for (i = 0; i < 2; i++) {
		role = i == 0 ? REDIS_ROLE_COMMANDS : REDIS_ROLE_READER;
		if (ipc_compose(&b->chan, IMSG_B_REDIS, 0, fd[i], &role,
		    1) == -1) {
			close(fd[i]);
			log_warnx("cannot pass the Redis connection to the "
			    "broker");
		}
	}
	if (rl.failing)
		log_info("Redis at %s: connected again", rl.address);
	rl.failing = 0;
	rl.wanted = 0;
	rl.backoff = LINK_BACKOFF_MIN_MS;
	/* A broker that loses them at once is not answered at once. */
	rl.next_at = now + LINK_BACKOFF_MIN_MS;
}

void
redis_link_stop(void)
{
	if (rl.password != NULL)
		sodium_free(rl.password);
	rl.password = NULL;
	sodium_memzero(rl.user, sizeof(rl.user));
	rl.on = 0;
}
