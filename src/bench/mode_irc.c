/*
 * mode_irc.c: the fan-out benchmark against an IRC server, so that
 * secchatd can be compared with IRC servers under exactly the same load.
 *
 * N clients register (NICK PREFIXi, USER) over TLS (or plain TCP with -x)
 * and JOIN one channel; the first S each send -r PRIVMSGs a second to it,
 * whose text is the same stamp as the secchat fan-out's (stamp.h), so
 * latency, loss, duplicates, order and attribution are counted by the same
 * code, and the server's CPU time (-P: every process and thread under that
 * pid, /proc) is divided by the same count of deliveries.  An IRC server
 * does not echo a channel message to its sender, so each message is owed
 * to the N-1 others, as in secchat.
 *
 * The server's certificate is not verified: the comparison runs against a
 * throwaway self-signed certificate on loopback, and what is measured is
 * the cost of the encrypted path, not the trust in it.
 *
 * Built only where configure found OpenSSL (the rest of secchat uses
 * libsodium alone; this is a measuring tool, never linked into a program
 * that is installed).
 */
#include "config.h"

#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <sodium.h>

#include "buf.h"

#include "secchat-bench.h"
#include "conn_pool.h"
#include "daemon_stats.h"
#include "histogram.h"
#include "json_line.h"
#include "mode_irc.h"
#include "stamp.h"

#define IRC_CHANNEL	"#" BENCH_ROOM
/* RFC 1459's line is 512 bytes; IRCv3 tags may add 8191 before it. */
#define IRC_LINE_MAX	(8192 + 512)
#define IRC_READ_CHUNK	16384
/* A sender whose output has backed up this far skips a message. */
#define IRC_OUT_MAX	(256 * 1024)
#define IRC_TEXT_MAX	400	/* leaves room for the relay's prefix */
#define IRC_READS_PER_EVENT 16	/* then let the others have a turn */
#define IRC_EPOLL_BATCH	256
#define MAX_PAIRS	(64UL * 1024 * 1024)

enum irc_phase {
	IRC_FREE,
	IRC_CONNECTING,		/* TCP connect in progress */
	IRC_TLS,		/* TLS handshake */
	IRC_REGISTERING,	/* NICK and USER sent, waiting for 001 */
	IRC_JOINING,		/* JOIN sent; waiting for NAMES to end */
	IRC_READY,
	IRC_QUITTING,		/* QUIT sent; waiting for the close */
	IRC_CLOSED
};

struct irc_conn {
	int		 fd;
	unsigned	 id;
	enum irc_phase	 phase;
	SSL		*ssl;		/* NULL with -x */
	struct buf	 in, out;
	uint32_t	 events;	/* registered with epoll */
	int		 want_write;	/* TLS waits for POLLOUT */
	int		 failed;
	uint64_t	 seq;		/* messages sent */
	uint64_t	 next_send;	/* ns */
};

static struct {
	struct addrinfo	*ai;
	SSL_CTX		*ctx;
	int		 epfd;
	char		 tls_desc[96];	/* TLS version, cipher */
	struct irc_conn	*conns;
	unsigned	 n, s;
	unsigned	 nlogin, nready;
	struct seq_window *pairs;	/* n * s, by receiver then sender */
	uint64_t	*sent;
	uint64_t	 period;
	int		 sending;
	uint64_t	 t0, t1;
	uint64_t	 sent_window;
	uint64_t	 unique, dup, ooo, foreign, misattributed, echoed;
	uint64_t	 delivered_window;
	uint64_t	 blocked, behind;
	uint64_t	 server_errors;
	char		 server_error[CONN_REASON_LEN];
	unsigned	 lost;
	struct histogram lat;
	char		*line;		/* the PRIVMSG being queued */
	struct cpu_sample c0, c1;
	struct mem_sample m0, m1;
	double		 setup_s, window_s, drain_s;
	uint64_t	 expected, missing;
} irc;

/* ------------------------------------------------------------ sessions */

static void
irc_close(struct irc_conn *c)
{
	if (c->phase == IRC_FREE || c->phase == IRC_CLOSED)
		return;
	if (c->phase >= IRC_CONNECTING && c->phase <= IRC_JOINING)
		irc.nlogin--;
	else if (c->phase == IRC_READY)
		irc.nready--;
	if (irc.sending && c->phase != IRC_QUITTING)
		irc.lost++;
	if (c->ssl != NULL) {
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd != -1) {
		(void)epoll_ctl(irc.epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	buf_free(&c->in);
	buf_free(&c->out);
	c->phase = IRC_CLOSED;
}

static void irc_fail(struct irc_conn *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
irc_fail(struct irc_conn *c, const char *fmt, ...)
{
	char	 why[CONN_REASON_LEN];
	va_list	 ap;

	if (c->failed || c->phase == IRC_CLOSED || c->phase == IRC_FREE)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	c->failed = 1;
	pool_note_failure(why);
	irc_close(c);
}

static void
irc_phase_to(struct irc_conn *c, enum irc_phase ph)
{
	if (c->phase >= IRC_CONNECTING && c->phase <= IRC_JOINING)
		irc.nlogin--;
	else if (c->phase == IRC_READY)
		irc.nready--;
	c->phase = ph;
	if (ph >= IRC_CONNECTING && ph <= IRC_JOINING)
		irc.nlogin++;
	else if (ph == IRC_READY)
		irc.nready++;
}

/* EPOLLOUT only while there is something to write. */
static void
irc_interest(struct irc_conn *c)
{
	struct epoll_event	 ev;
	uint32_t		 want;

	if (c->fd == -1)
		return;
	want = EPOLLIN;
	if (c->phase == IRC_CONNECTING || c->want_write ||
	    buf_used(&c->out) > 0)
		want |= EPOLLOUT;
	if (want == c->events)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = want;
	ev.data.ptr = c;
	if (epoll_ctl(irc.epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	c->events = want;
}

static const char *
tls_error(void)
{
	unsigned long	 e = ERR_get_error();
	const char	*s;

	ERR_clear_error();
	if (e == 0)
		return strerror(errno);
	return (s = ERR_reason_error_string(e)) != NULL ? s : "unknown error";
}

/* Write what is queued, as far as the socket takes it. */
static void
irc_flush(struct irc_conn *c)
{
	ssize_t	 n;
	int	 e;

	c->want_write = 0;
	while (buf_used(&c->out) > 0 && c->phase != IRC_CLOSED) {
		if (c->ssl != NULL) {
			ERR_clear_error();
			n = SSL_write(c->ssl, buf_head(&c->out),
			    (int)(buf_used(&c->out) > INT_MAX ? INT_MAX :
			    buf_used(&c->out)));
			if (n <= 0) {
				e = SSL_get_error(c->ssl, (int)n);
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want_write = 1;
					break;
				}
				if (e == SSL_ERROR_WANT_READ)
					break;
				irc_fail(c, "TLS write: %s", tls_error());
				return;
			}
		} else {
			n = write(c->fd, buf_head(&c->out),
			    buf_used(&c->out));
			if (n == -1) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				irc_fail(c, "write: %s", strerror(errno));
				return;
			}
		}
		buf_consume(&c->out, (size_t)n);
	}
	irc_interest(c);
}

static int
irc_queue(struct irc_conn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
irc_queue(struct irc_conn *c, const char *fmt, ...)
{
	char	 line[IRC_LINE_MAX];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) ||
	    buf_append(&c->out, line, (size_t)n) == -1)
		return -1;
	return 0;
}

static void
irc_register(struct irc_conn *c)
{
	irc_phase_to(c, IRC_REGISTERING);
	if (irc_queue(c, "NICK %s%u\r\nUSER b%u 0 * :secchat-bench\r\n",
	    bench_opt.prefix, c->id, c->id) == -1) {
		irc_fail(c, "cannot queue the registration");
		return;
	}
	irc_flush(c);
}

static void
irc_handshake(struct irc_conn *c)
{
	int	 r, e;

	ERR_clear_error();
	if ((r = SSL_connect(c->ssl)) == 1) {
		if (irc.tls_desc[0] == '\0')
			snprintf(irc.tls_desc, sizeof(irc.tls_desc), "%s %s",
			    SSL_get_version(c->ssl),
			    SSL_get_cipher_name(c->ssl));
		c->want_write = 0;
		irc_register(c);
		return;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ)
		c->want_write = 0;
	else if (e == SSL_ERROR_WANT_WRITE)
		c->want_write = 1;
	else {
		irc_fail(c, "TLS handshake: %s", tls_error());
		return;
	}
	irc_interest(c);
}

static void
irc_connected(struct irc_conn *c)
{
	int		 soerr = 0;
	socklen_t	 len = sizeof(soerr);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1 ||
	    soerr != 0) {
		irc_fail(c, "connect: %s", strerror(soerr ? soerr : errno));
		return;
	}
	if (irc.ctx == NULL) {
		irc_register(c);
		return;
	}
	if ((c->ssl = SSL_new(irc.ctx)) == NULL ||
	    SSL_set_fd(c->ssl, c->fd) != 1) {
		irc_fail(c, "SSL_new: %s", tls_error());
		return;
	}
	SSL_set_connect_state(c->ssl);
	irc_phase_to(c, IRC_TLS);
	irc_handshake(c);
}

static int
irc_open(struct irc_conn *c)
{
	struct epoll_event	 ev;
	int			 one = 1;

	buf_init(&c->in, IRC_LINE_MAX + IRC_READ_CHUNK);
	buf_init(&c->out, IRC_OUT_MAX + IRC_LINE_MAX);
	c->fd = socket(irc.ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	irc_phase_to(c, IRC_CONNECTING);
	if (c->fd == -1) {
		irc_fail(c, "socket: %s", strerror(errno));
		return -1;
	}
	/* As the secchat sessions do: each line goes out when it is said. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, irc.ai->ai_addr, irc.ai->ai_addrlen) == -1 &&
	    errno != EINPROGRESS) {
		irc_fail(c, "connect: %s", strerror(errno));
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = c->events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(irc.epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1)
		err(1, "epoll_ctl");
	return 0;
}

/* ------------------------------------------------------------ receiving */

static void
irc_privmsg(struct irc_conn *c, const char *prefix, const char *text,
    uint64_t now)
{
	char		 nick[64];
	uint64_t	 sender, seq, ts;
	size_t		 len;

	if (stamp_parse(text, &sender, &seq, &ts) == -1 || sender >= irc.s ||
	    ts > now) {
		irc.foreign++;
		return;
	}
	if (sender == c->id) {
		irc.echoed++;
		return;
	}
	snprintf(nick, sizeof(nick), "%s%llu", bench_opt.prefix,
	    (unsigned long long)sender);
	len = strlen(nick);
	if (prefix == NULL || strncmp(prefix, nick, len) != 0 ||
	    (prefix[len] != '!' && prefix[len] != '\0'))
		irc.misattributed++;
	if (now >= irc.t0 && now < irc.t1)
		irc.delivered_window++;
	if (ts >= irc.t0 && ts < irc.t1)
		histogram_add(&irc.lat, now - ts);
	switch (seq_window_note(&irc.pairs[(size_t)c->id * irc.s + sender],
	    seq)) {
	case SEQ_IN_ORDER:
		irc.unique++;
		break;
	case SEQ_LATE:
		irc.ooo++;
		irc.unique++;
		break;
	case SEQ_DUPLICATE:
		irc.dup++;
		break;
	}
}

/* One line from the server, NUL-terminated, without its CR LF. */
static void
irc_line(struct irc_conn *c, char *p, uint64_t now)
{
	char	*prefix = NULL, *cmd, *target, *text;

	if (*p == '@') {			/* IRCv3 tags: not asked for */
		if ((p = strchr(p, ' ')) == NULL)
			return;
		while (*p == ' ')
			p++;
	}
	if (*p == ':') {
		prefix = p + 1;
		if ((p = strchr(p, ' ')) == NULL)
			return;
		*p++ = '\0';
	}
	while (*p == ' ')
		p++;
	cmd = p;
	if ((p = strchr(p, ' ')) != NULL) {
		*p++ = '\0';
		while (*p == ' ')
			p++;
	} else
		p = cmd + strlen(cmd);

	if (strcmp(cmd, "PRIVMSG") == 0) {
		target = p;
		if ((text = strchr(p, ' ')) == NULL)
			return;
		*text++ = '\0';
		if (*text == ':')
			text++;
		if (strcasecmp(target, IRC_CHANNEL) == 0)
			irc_privmsg(c, prefix, text, now);
		return;
	}
	if (strcmp(cmd, "PING") == 0) {
		if (irc_queue(c, "PONG %s\r\n", p) == 0)
			irc_flush(c);
		return;
	}
	if (strcmp(cmd, "001") == 0 && c->phase == IRC_REGISTERING) {
		irc_phase_to(c, IRC_JOINING);
		if (irc_queue(c, "JOIN %s\r\n", IRC_CHANNEL) == -1)
			irc_fail(c, "cannot queue JOIN");
		else
			irc_flush(c);
		return;
	}
	if (strcmp(cmd, "366") == 0 && c->phase == IRC_JOINING) {
		irc_phase_to(c, IRC_READY);
		return;
	}
	if (strcmp(cmd, "ERROR") == 0) {
		if (c->phase == IRC_QUITTING)
			return;
		irc_fail(c, "server: ERROR %.100s", p);
		return;
	}
	/*
	 * 4xx and 5xx are errors; before the channel, they end the session.
	 * 422 only says there is no message of the day.  The first parameter
	 * is our own nick, left out so that one reason counts many sessions.
	 */
	if (strlen(cmd) == 3 && (cmd[0] == '4' || cmd[0] == '5') &&
	    cmd[1] >= '0' && cmd[1] <= '9' && cmd[2] >= '0' && cmd[2] <= '9' &&
	    strcmp(cmd, "422") != 0) {
		if ((text = strchr(p, ' ')) != NULL)
			p = text + 1;
		if (c->phase != IRC_READY && c->phase != IRC_QUITTING) {
			irc_fail(c, "server said %s %.100s", cmd, p);
			return;
		}
		if (irc.server_errors++ == 0)
			snprintf(irc.server_error, sizeof(irc.server_error),
			    "%s %.100s", cmd, p);
	}
}

/* Cut what was read into lines and handle each. */
static void
irc_lines(struct irc_conn *c, uint64_t now)
{
	uint8_t	*head, *nl;
	size_t	 used, len, line_len;

	while (c->phase != IRC_CLOSED && (used = buf_used(&c->in)) > 0) {
		head = buf_head(&c->in);
		if ((nl = memchr(head, '\n', used)) == NULL) {
			if (used > IRC_LINE_MAX)
				irc_fail(c, "a line longer than %d bytes",
				    IRC_LINE_MAX);
			return;
		}
		len = (size_t)(nl - head);
		line_len = len > 0 && head[len - 1] == '\r' ? len - 1 : len;
		head[line_len] = '\0';
		/* A NUL inside a line: not IRC, and not ours to parse. */
		if (memchr(head, '\0', line_len) == NULL)
			irc_line(c, (char *)head, now);
		if (c->phase != IRC_CLOSED)
			buf_consume(&c->in, len + 1);
	}
}

static void
irc_read(struct irc_conn *c)
{
	uint8_t	*dst;
	ssize_t	 n;
	int	 i, e;

	/*
	 * Past the limit, go on only while TLS holds plaintext already read
	 * from the socket: epoll would not report it again.
	 */
	for (i = 0; c->phase != IRC_CLOSED && (i < IRC_READS_PER_EVENT ||
	    (c->ssl != NULL && SSL_pending(c->ssl) > 0)); i++) {
		if ((dst = buf_reserve(&c->in, IRC_READ_CHUNK)) == NULL) {
			irc_fail(c, "input buffer full");
			return;
		}
		if (c->ssl != NULL) {
			ERR_clear_error();
			n = SSL_read(c->ssl, dst, IRC_READ_CHUNK);
			if (n <= 0) {
				e = SSL_get_error(c->ssl, (int)n);
				if (e == SSL_ERROR_WANT_READ)
					break;
				if (e == SSL_ERROR_WANT_WRITE) {
					c->want_write = 1;
					break;
				}
				if (e == SSL_ERROR_ZERO_RETURN ||
				    (e == SSL_ERROR_SYSCALL && n == 0)) {
					if (c->phase == IRC_QUITTING)
						irc_close(c);
					else
						irc_fail(c, "closed by the "
						    "server");
					return;
				}
				irc_fail(c, "TLS read: %s", tls_error());
				return;
			}
		} else {
			n = read(c->fd, dst, IRC_READ_CHUNK);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				break;
			if (n == -1) {
				irc_fail(c, "read: %s", strerror(errno));
				return;
			}
			if (n == 0) {
				if (c->phase == IRC_QUITTING)
					irc_close(c);
				else
					irc_fail(c, "closed by the server");
				return;
			}
		}
		buf_commit(&c->in, (size_t)n);
		irc_lines(c, now_ns());
	}
	if (c->phase != IRC_CLOSED)
		irc_interest(c);
}

static void
irc_poll(uint64_t until)
{
	static struct epoll_event evs[IRC_EPOLL_BATCH];
	struct irc_conn	*c;
	uint64_t	 now = now_ns(), wait;
	int		 n, i, ms;

	wait = until > now ? until - now : 0;
	if (wait > POOL_HOUSEKEEPING_NS)
		wait = POOL_HOUSEKEEPING_NS;
	ms = (int)((wait + NS_PER_MSEC - 1) / NS_PER_MSEC);
	if ((n = epoll_wait(irc.epfd, evs, IRC_EPOLL_BATCH, ms)) == -1) {
		if (errno == EINTR)
			return;
		err(1, "epoll_wait");
	}
	for (i = 0; i < n; i++) {
		c = evs[i].data.ptr;
		switch (c->phase) {
		case IRC_FREE:
		case IRC_CLOSED:
			break;
		case IRC_CONNECTING:
			if (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
				irc_connected(c);
			break;
		case IRC_TLS:
			irc_handshake(c);
			break;
		default:
			if (evs[i].events & EPOLLOUT)
				irc_flush(c);
			if (c->phase != IRC_CLOSED && evs[i].events &
			    (EPOLLIN | EPOLLERR | EPOLLHUP))
				irc_read(c);
			/* A TLS read may have wanted to write. */
			if (c->phase != IRC_CLOSED && c->want_write)
				irc_interest(c);
			break;
		}
	}
}

/* Open every session, conc at a time; the seconds it took. */
static double
irc_open_all(unsigned conc, uint64_t timeout_ns)
{
	uint64_t	 t0 = now_ns(), until = t0 + timeout_ns;
	unsigned	 next = 0;

	while (!bench_interrupted && now_ns() < until) {
		while (next < irc.n && irc.nlogin < conc)
			(void)irc_open(&irc.conns[next++]);
		if (next == irc.n && irc.nlogin == 0)
			break;
		irc_poll(until);
	}
	return ns_to_s(now_ns() - t0);
}

/* QUIT everywhere, wait (bounded) for the server to close, close all. */
static void
irc_shutdown(void)
{
	uint64_t	 until = now_ns() + 5 * NS_PER_SEC;
	unsigned	 i, open;

	for (i = 0; i < irc.n; i++) {
		struct irc_conn *c = &irc.conns[i];

		if (c->phase == IRC_READY) {
			irc_phase_to(c, IRC_QUITTING);
			if (irc_queue(c, "QUIT :done\r\n") == 0)
				irc_flush(c);
		}
	}
	do {
		for (i = open = 0; i < irc.n; i++)
			if (irc.conns[i].phase == IRC_QUITTING)
				open++;
		if (open == 0)
			break;
		irc_poll(until);
	} while (now_ns() < until);
	for (i = 0; i < irc.n; i++)
		irc_close(&irc.conns[i]);
}

/* ------------------------------------------------------------ sending */

static int
irc_say(struct irc_conn *c, uint64_t now)
{
	size_t	 len;

	if (buf_used(&c->out) > IRC_OUT_MAX)
		return -1;
	memcpy(irc.line, "PRIVMSG " IRC_CHANNEL " :",
	    sizeof("PRIVMSG " IRC_CHANNEL " :") - 1);
	len = sizeof("PRIVMSG " IRC_CHANNEL " :") - 1;
	stamp_format(irc.line + len, bench_opt.size, (int)c->id, c->seq, now);
	len += strlen(irc.line + len);
	memcpy(irc.line + len, "\r\n", 2);
	if (buf_append(&c->out, irc.line, len + 2) == -1)
		return -1;
	c->seq++;
	irc.sent[c->id]++;
	if (now >= irc.t0 && now < irc.t1)
		irc.sent_window++;
	return 0;
}

static uint64_t
irc_send(uint64_t now)
{
	struct irc_conn	*c;
	uint64_t	 due = now + POOL_HOUSEKEEPING_NS;
	unsigned	 i;
	int		 queued;

	for (i = 0; i < irc.s; i++) {
		c = &irc.conns[i];
		if (c->phase != IRC_READY)
			continue;
		queued = 0;
		if (now >= c->next_send + NS_PER_SEC) {
			irc.behind += (now - c->next_send) / irc.period;
			c->next_send = now;
		}
		while (c->next_send <= now) {
			if (irc_say(c, now) == -1)
				irc.blocked++;
			else
				queued = 1;
			c->next_send += irc.period;
		}
		if (c->next_send < due)
			due = c->next_send;
		if (queued)
			irc_flush(c);
	}
	return due;
}

/* ------------------------------------------------------------ the run */

static void
irc_measure(void)
{
	uint64_t	 now, until;
	unsigned	 i;

	now = now_ns();
	for (i = 0; i < irc.s; i++)
		irc.conns[i].next_send = now +
		    randombytes_uniform((uint32_t)(irc.period / 1000 + 1)) *
		    1000ULL;
	irc.t0 = now + (uint64_t)bench_opt.warmup * NS_PER_SEC;
	irc.t1 = irc.t0 + (uint64_t)bench_opt.seconds * NS_PER_SEC;
	irc.sending = 1;
	while ((now = now_ns()) < irc.t1 && !bench_interrupted) {
		if (irc.c0.t == 0 && now >= irc.t0)
			(void)sample_daemon_cpu(&irc.c0);
		until = irc_send(now);
		irc_poll(irc.c0.t == 0 && irc.t0 < until ? irc.t0 : until);
	}
	if (irc.c0.t == 0)
		(void)sample_daemon_cpu(&irc.c0);
	(void)sample_daemon_cpu(&irc.c1);
	irc.t1 = irc.c1.t;
	irc.window_s = ns_to_s(irc.c1.t - irc.c0.t);
}

static void
irc_drain(void)
{
	uint64_t	 t0, until, total = 0;
	unsigned	 i;

	for (i = 0; i < irc.s; i++)
		total += irc.sent[i] * (irc.n - 1);
	irc.expected = total;
	t0 = now_ns();
	until = t0 + (uint64_t)bench_opt.drain * NS_PER_SEC;
	while (irc.unique < irc.expected && now_ns() < until &&
	    !bench_interrupted)
		irc_poll(until);
	irc.sending = 0;
	irc.drain_s = ns_to_s(now_ns() - t0);
	irc.missing = irc.expected > irc.unique ? irc.expected - irc.unique :
	    0;
}

static void
irc_params(struct json_line *j)
{
	js_open(j, "params");
	js_str(j, "host", bench_opt.host);
	js_str(j, "port", bench_opt.port);
	js_str(j, "suite", irc.ctx == NULL ? "plain" : irc.tls_desc[0] ?
	    irc.tls_desc : "tls");
	if (bench_opt.daemon > 0)
		js_u64(j, "daemon_pid", (uint64_t)bench_opt.daemon);
	js_u64(j, "sessions", irc.n);
	js_u64(j, "senders", irc.s);
	js_num(j, "rate", bench_opt.rate);
	js_u64(j, "seconds", bench_opt.seconds);
	js_u64(j, "size", bench_opt.size);
	js_u64(j, "warmup", bench_opt.warmup);
	js_close(j);
}

static void
irc_report_setup_failed(void)
{
	struct json_line j;

	js_start(&j, "irc");
	irc_params(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", 0);
	js_str(&j, "failure", "not every session reached the channel");
	js_u64(&j, "ready", irc.nready);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);
	fprintf(stderr, "irc: only %u of %u sessions reached %s\n",
	    irc.nready, irc.n, IRC_CHANNEL);
	print_fail_reasons();
}

static void
irc_report(void)
{
	struct json_line j;
	double		 offered, w = irc.window_s;

	offered = bench_opt.rate * irc.s * (irc.n - 1);
	js_start(&j, "irc");
	irc_params(&j);
	js_open(&j, "results");
	js_bool(&j, "ok", irc.missing == 0 && irc.dup == 0 && irc.ooo == 0 &&
	    irc.misattributed == 0 && irc.echoed == 0 && irc.lost == 0);
	js_num(&j, "setup_s", irc.setup_s);
	js_num(&j, "window_s", w);
	js_num(&j, "drain_s", irc.drain_s);
	js_u64(&j, "sent", irc.sent_window);
	js_u64(&j, "sent_total", irc.expected / (irc.n - 1));
	js_num(&j, "offered_deliveries_per_s", offered);
	js_num(&j, "delivered_per_s", (double)irc.delivered_window / w);
	js_u64(&j, "delivered_in_window", irc.delivered_window);
	js_u64(&j, "expected", irc.expected);
	js_u64(&j, "received", irc.unique);
	js_u64(&j, "missing", irc.missing);
	js_u64(&j, "duplicated", irc.dup);
	js_u64(&j, "out_of_order", irc.ooo);
	js_u64(&j, "misattributed", irc.misattributed);
	js_u64(&j, "echoed", irc.echoed);
	js_u64(&j, "foreign", irc.foreign);
	js_u64(&j, "sessions_lost", irc.lost);
	js_u64(&j, "send_blocked", irc.blocked);
	js_u64(&j, "bench_behind", irc.behind);
	js_u64(&j, "server_errors", irc.server_errors);
	if (irc.server_errors > 0)
		js_str(&j, "first_server_error", irc.server_error);
	js_latency(&j, "latency_ms", &irc.lat);
	js_daemon_cpu(&j, &irc.c0, &irc.c1, "delivery", irc.delivered_window);
	js_server_mem(&j, &irc.m0, &irc.m1, irc.n);
	js_fail_reasons(&j);
	js_close(&j);
	js_finish(&j, bench_opt.json);

	fprintf(stderr, "irc: %u sessions, %u senders at %.3g/s, %u-byte "
	    "messages, %.1f s, %s\n", irc.n, irc.s, bench_opt.rate,
	    bench_opt.size, w, irc.ctx == NULL ? "plain TCP" : irc.tls_desc);
	fprintf(stderr, "  deliveries/s offered %.0f, delivered %.0f\n",
	    offered, (double)irc.delivered_window / w);
	fprintf(stderr, "  latency ms p50 %.2f p99 %.2f max %.2f (%llu "
	    "samples)\n",
	    (double)histogram_percentile(&irc.lat, 0.5) / NS_PER_MSEC,
	    (double)histogram_percentile(&irc.lat, 0.99) / NS_PER_MSEC,
	    (double)irc.lat.max / NS_PER_MSEC,
	    (unsigned long long)irc.lat.count);
	fprintf(stderr, "  missing %llu, duplicated %llu, out of order %llu, "
	    "sessions lost %u\n", (unsigned long long)irc.missing,
	    (unsigned long long)irc.dup, (unsigned long long)irc.ooo,
	    irc.lost);
	print_daemon_cpu(&irc.c0, &irc.c1, "delivery", irc.delivered_window);
	print_fail_reasons();
}

static void
irc_setup(void)
{
	struct addrinfo	 hints;
	struct rlimit	 rl;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((e = getaddrinfo(bench_opt.host, bench_opt.port, &hints,
	    &irc.ai)) != 0)
		errx(1, "%s port %s: %s", bench_opt.host, bench_opt.port,
		    gai_strerror(e));
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!bench_opt.irc_plain) {
		if ((irc.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
			errx(1, "SSL_CTX_new: %s", tls_error());
		(void)SSL_CTX_set_min_proto_version(irc.ctx, TLS1_2_VERSION);
		/* A throwaway certificate on loopback: see the top. */
		SSL_CTX_set_verify(irc.ctx, SSL_VERIFY_NONE, NULL);
		/* The output buffer grows and moves between retries. */
		SSL_CTX_set_mode(irc.ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
		    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	}
	if ((irc.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		err(1, "epoll_create1");
}

int
run_irc(void)
{
	unsigned	 i;
	int		 rc;

	irc.n = bench_opt.n;
	irc.s = bench_opt.senders;
	if (irc.n < 2 || irc.s > irc.n || irc.s == 0)
		errx(2, "irc needs 2 or more sessions and 1..N senders");
	if (!(bench_opt.rate > 0))
		errx(2, "irc needs a rate above 0 (-r)");
	if (bench_opt.size > IRC_TEXT_MAX)
		errx(2, "irc: -m %u: an IRC line holds at most %d bytes of "
		    "text here", bench_opt.size, IRC_TEXT_MAX);
	if ((size_t)irc.n * irc.s > MAX_PAIRS)
		errx(2, "too many sessions times senders to track");
	if (strlen(bench_opt.prefix) + 7 > 30)
		errx(2, "%s: too long for a nick prefix", bench_opt.prefix);
	irc_setup();
	irc.conns = xcalloc(irc.n, sizeof(*irc.conns));
	for (i = 0; i < irc.n; i++) {
		irc.conns[i].fd = -1;
		irc.conns[i].id = i;
	}
	irc.pairs = xcalloc((size_t)irc.n * irc.s, sizeof(*irc.pairs));
	irc.sent = xcalloc(irc.s, sizeof(*irc.sent));
	irc.line = xcalloc(1, IRC_LINE_MAX);
	irc.period = (uint64_t)((double)NS_PER_SEC / bench_opt.rate);
	if (irc.period == 0)
		irc.period = 1;

	(void)sample_daemon_memory(&irc.m0);
	irc.setup_s = irc_open_all(bench_opt.concurrency,
	    (uint64_t)bench_opt.timeout * NS_PER_SEC);
	fprintf(stderr, "irc: %u of %u sessions in %s after %.1f s\n",
	    irc.nready, irc.n, IRC_CHANNEL, irc.setup_s);
	if (irc.nready != irc.n) {
		irc_report_setup_failed();
		rc = 1;
	} else {
		irc_measure();
		(void)sample_daemon_memory(&irc.m1);
		irc_drain();
		irc_report();
		rc = irc.missing == 0 && irc.dup == 0 && irc.ooo == 0 &&
		    irc.lost == 0 ? 0 : 1;
	}
	irc_shutdown();
	if (irc.ctx != NULL)
		SSL_CTX_free(irc.ctx);
	freeaddrinfo(irc.ai);
	close(irc.epfd);
	free(irc.conns);
	free(irc.pairs);
	free(irc.sent);
	free(irc.line);
	return rc;
}
