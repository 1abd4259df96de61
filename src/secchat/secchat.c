/*
 * secchat: the terminal client.
 *
 * One poll loop over the server socket, standard input and a signal
 * self-pipe drives a session (session.c), shows what the server sends
 * (events.c, output.c) and, on a terminal, edits the input line (tty.c).
 * This file holds main(), the loop, its timers and the signals; client.h
 * says where the rest is.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "chatlog.h"
#include "client.h"
#include "e2e_client.h"
#include "peers.h"
#include "events.h"
#include "hostcheck.h"
#include "input.h"
#include "khremove.h"
#include "login.h"
#include "options.h"
#include "output.h"
#include "session.h"
#include "tty.h"
#include "util.h"

static int	sigpipe[2] = { -1, -1 };

/* ---------------------------------------------------------------- signals */

static void
on_signal(int sig)
{
	int		 saved = errno;
	unsigned char	 b = (unsigned char)sig;

	(void)write(sigpipe[1], &b, 1);
	errno = saved;
}

static void
catch(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(sig, &sa, NULL) == -1)
		err(EXIT_ERROR, "sigaction");
}

static void
setup_signals(struct client *c)
{
	if (pipe2(sigpipe, O_CLOEXEC | O_NONBLOCK) == -1)
		err(EXIT_ERROR, "pipe2");
	catch(SIGINT);
	catch(SIGTERM);
	catch(SIGHUP);
	if (c->interactive) {
		catch(SIGTSTP);
		catch(SIGWINCH);
	}
}

/* Stop as ^Z asks, with the terminal as the shell expects it. */
static void
stop_self(void)
{
	int	 raw = tty_active();

	tty_suspend();
	signal(SIGTSTP, SIG_DFL);
	raise(SIGTSTP);
	/* ...and here we are again after SIGCONT. */
	catch(SIGTSTP);
	if (raw)
		tty_resume();
}

static void
read_signals(struct client *c)
{
	unsigned char	 sigs[32];
	ssize_t		 n, i;

	while ((n = read(sigpipe[0], sigs, sizeof(sigs))) > 0) {
		for (i = 0; i < n; i++) {
			switch (sigs[i]) {
			case SIGTSTP:
				stop_self();
				break;
			case SIGWINCH:
				tty_winch();
				break;
			default:
				/* A second one does not wait for the server. */
				if (c->quitting) {
					tty_stop();
					exit(c->status);
				}
				if (!c->ready)
					client_set_status(c, EXIT_ERROR);
				client_leave(c, "exit");
				break;
			}
		}
	}
}

/* ---------------------------------------------------------------- loop */

static void
socket_read(struct client *c)
{
	uint8_t	 buf[65536];
	ssize_t	 n;

	n = read(c->fd, buf, sizeof(buf));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n == -1) {
		if (!cs_finished(c->cs) && !c->quitting)
			client_note(c, "connection lost: %s", strerror(errno));
		client_set_status(c, c->quitting ? EXIT_OK : EXIT_ERROR);
		cs_eof(c->cs);
		return;
	}
	if (n == 0) {
		cs_eof(c->cs);
		return;
	}
	client_data_received(c);
	/* The server is still at work on what we sent: keep waiting. */
	if (c->quitting)
		c->deadline = mono_ms() + CLOSE_TIMEOUT_MS;
	(void)cs_input(c->cs, buf, (size_t)n);
	sodium_memzero(buf, (size_t)n);
}

/* Returns -1 if the connection is gone. */
static int
socket_write(struct client *c)
{
	struct buf	*out = cs_output(c->cs);
	ssize_t		 n;

	if (buf_used(out) == 0)
		return 0;
	n = send(c->fd, buf_head(out), buf_used(out), MSG_NOSIGNAL);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (!cs_finished(c->cs) && !c->quitting) {
			if (!client_will_reconnect(c))
				tty_stop();
			client_note(c, "connection lost: %s", strerror(errno));
			client_set_status(c, EXIT_ERROR);
		}
		buf_reset(out);
		cs_eof(c->cs);
		return -1;
	}
	buf_consume(out, (size_t)n);
	return 0;
}

static int
poll_timeout(const struct client *c)
{
	uint64_t	 now, due = c->deadline;

	if (c->auth_retry_at != 0 && (due == 0 || c->auth_retry_at < due))
		due = c->auth_retry_at;
	if (c->slow_note_at != 0 && (due == 0 || c->slow_note_at < due))
		due = c->slow_note_at;
	if (c->alive_at != 0 && (due == 0 || c->alive_at < due))
		due = c->alive_at;
	if (due == 0)
		return -1;
	now = mono_ms();
	return now >= due ? 0 : (int)(due - now);
}

/* A silent server: say what we wait for rather than show nothing. */
static void
slow_server(struct client *c)
{
	c->slow_note_at = 0;
	if (cs_state(c->cs) != CS_ST_HELLO &&
	    cs_state(c->cs) != CS_ST_HANDSHAKE)
		return;
	client_note(c, "no answer yet from %s port %s; waiting up to %d s "
	    "for its %s", c->addr, c->o->port,
	    client_hello_timeout_ms(c) / 1000,
	    cs_state(c->cs) == CS_ST_HELLO ? "hello" : "handshake");
}

static void
timed_out(struct client *c)
{
	c->deadline = 0;
	if (!client_will_reconnect(c))
		tty_stop();
	switch (cs_state(c->cs)) {
	case CS_ST_HELLO:
	case CS_ST_HANDSHAKE:
		client_note(c, "timed out after %d s waiting for the server's "
		    "%s: is %s port %s a secchat server?",
		    client_hello_timeout_ms(c) / 1000,
		    cs_state(c->cs) == CS_ST_HELLO ? "hello" : "handshake",
		    c->addr, c->o->port);
		client_set_status(c, EXIT_CONNECT);
		break;
	case CS_ST_AUTH:
		client_note(c, "timed out waiting for the server to answer "
		    "the login");
		client_set_status(c, EXIT_ERROR);
		break;
	default:
		if (c->quitting || cs_state(c->cs) == CS_ST_CLOSING) {
			client_note(c, "timed out waiting for the server to "
			    "close the connection: answers to the last "
			    "requests may be missing");
			if (c->status == EXIT_OK)
				client_force_status(c, EXIT_ERROR);
		} else {
			client_note(c, "timed out waiting for the server");
			client_set_status(c, EXIT_ERROR);
		}
		break;
	}
	cs_free(c->cs);
	c->cs = NULL;
}

/*
 * Disconnected, waiting to reconnect: the terminal stays as it was, its
 * lines are held (client_hold_line()), and signals still work.
 */
static void
run_down(struct client *c)
{
	struct pollfd	 pfd[2];
	uint64_t	 now;
	int		 n = 1, timeout;

	pfd[0].fd = sigpipe[0];
	pfd[0].events = POLLIN;
	if (c->interactive && c->stdin_open && !c->stdin_eof) {
		pfd[1].fd = STDIN_FILENO;
		pfd[1].events = POLLIN;
		n = 2;
	}
	now = mono_ms();
	timeout = c->reconnect_at > now ? (int)(c->reconnect_at - now) : 0;
	if (poll(pfd, (nfds_t)n, timeout) == -1) {
		if (errno == EINTR)
			return;
		err(EXIT_ERROR, "poll");
	}
	if (pfd[0].revents & POLLIN)
		read_signals(c);
	if (n == 2 && (pfd[1].revents & (POLLIN | POLLHUP | POLLERR)))
		input_read(c);
	if (!c->stop_now && mono_ms() >= c->reconnect_at)
		client_try_reconnect(c);
}

static void
run(struct client *c)
{
	struct pollfd	 pfd[3];
	int		 n;

	for (;;) {
		if (c->stop_now)
			break;
		if (c->down) {
			run_down(c);
			continue;
		}
		events_drain(c);
		if (c->stop_now)
			break;
		if (c->cs == NULL || (cs_finished(c->cs) &&
		    buf_used(cs_output(c->cs)) == 0)) {
			if (client_connection_over(c))
				continue;
			break;
		}
		pfd[0].fd = c->fd;
		pfd[0].events = POLLIN;
		if (buf_used(cs_output(c->cs)) > 0)
			pfd[0].events |= POLLOUT;
		pfd[1].fd = sigpipe[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = STDIN_FILENO;
		pfd[2].events = POLLIN;
		n = 2;
		if (c->stdin_open && !c->quitting && !c->stdin_eof) {
			if (c->interactive ? buf_used(cs_output(c->cs)) <
			    OUTPUT_HIGH_WATER : input_window_open(c) &&
			    c->inlen < STDIN_LINE_MAX)
				n = 3;
		}
		if (poll(pfd, (nfds_t)n, poll_timeout(c)) == -1) {
			if (errno == EINTR)
				continue;
			err(EXIT_ERROR, "poll");
		}
		if (pfd[1].revents & POLLIN)
			read_signals(c);
		if (c->stop_now)
			break;
		if (pfd[0].revents & POLLOUT)
			(void)socket_write(c);
		if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
			socket_read(c);
		if (n == 3 && (pfd[2].revents & (POLLIN | POLLHUP | POLLERR)))
			input_read(c);
		if (c->stop_now || c->cs == NULL)
			continue;
		if (c->slow_note_at != 0 && mono_ms() >= c->slow_note_at)
			slow_server(c);
		if (c->auth_retry_at != 0 && mono_ms() >= c->auth_retry_at)
			login_retry(c);
		client_alive_check(c);
		if (c->deadline != 0 && mono_ms() >= c->deadline) {
			timed_out(c);
			if (client_connection_over(c))
				continue;
			return;
		}
	}
	cs_free(c->cs);
	c->cs = NULL;
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char *argv[])
{
	struct options		 o;
	struct client		 c;
	char			*dir, *khpath = NULL, *kppath = NULL;
	char			 errbuf[512];
	size_t			 i;

	setlocale(LC_CTYPE, "");
	out_init();
	if (sodium_init() == -1)
		errx(EXIT_ERROR, "cannot initialize libsodium");
	signal(SIGPIPE, SIG_IGN);
	opt_parse(&o, argc, argv);

	memset(&c, 0, sizeof(c));
	/* Kept to log in again after a loss: never swapped out. */
	(void)sodium_mlock(c.password, sizeof(c.password));
	(void)sodium_mlock(c.priv, sizeof(c.priv));
	dir = opt_config_dir();
	opt_read_config(&o, dir);
	if (o.remove_host != NULL) {
		int rc;

		if (o.known_hosts == NULL) {
			if (asprintf(&khpath, "%s/known_hosts", dir) == -1)
				err(EXIT_ERROR, "asprintf");
			o.known_hosts = khpath;
		}
		rc = khr_remove_file(o.known_hosts, o.remove_host);
		free(khpath);
		free(dir);
		opt_free(&o);
		return rc;
	}
	login_load_identity(&o, dir, c.priv, c.pub);
	if (o.show_fingerprint) {
		login_print_fingerprint(&o, dir, c.pub);
		sodium_memzero(c.priv, sizeof(c.priv));
		free(dir);
		opt_free(&o);
		return EXIT_OK;
	}
	if (o.show_public) {
		login_print_public(&o, dir, c.pub);
		sodium_memzero(c.priv, sizeof(c.priv));
		free(dir);
		opt_free(&o);
		return EXIT_OK;
	}
	if (o.set_passphrase) {
		login_set_passphrase(&o, dir, c.priv);
		sodium_memzero(c.priv, sizeof(c.priv));
		free(dir);
		opt_free(&o);
		return EXIT_OK;
	}
	if (o.known_hosts == NULL) {
		if (asprintf(&khpath, "%s/known_hosts", dir) == -1)
			err(EXIT_ERROR, "asprintf");
		o.known_hosts = khpath;
	}

	c.o = &o;
	c.fd = -1;
	c.lag_ms = -1;
	c.interactive = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (!c.interactive) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		if ((c.inbuf = malloc(STDIN_LINE_MAX + 1)) == NULL)
			err(EXIT_ERROR, "malloc");
	}
	hc_load(&c.hc, &o);
	/* A damaged pin file must not silently unpin anyone. */
	if (o.known_peers == NULL) {
		if (asprintf(&kppath, "%s/known_peers", dir) == -1)
			err(EXIT_ERROR, "asprintf");
		o.known_peers = kppath;
	}
	c.pins_path = o.known_peers;
	peers_init(&c.pins);
	if (peers_load(&c.pins, c.pins_path, errbuf, sizeof(errbuf)) == -1)
		errx(EXIT_HOSTKEY, "%s", errbuf);

	client_connect(&c);
	setup_signals(&c);
	run(&c);
	tty_stop();
	login_forget(&c);
	(void)sodium_munlock(c.password, sizeof(c.password));
	(void)sodium_munlock(c.priv, sizeof(c.priv));
	if (c.fd != -1)
		close(c.fd);
	/* Pipe mode: a script must learn that not everything went through. */
	if (!c.interactive && c.status == EXIT_OK && c.failures > 0) {
		client_note(NULL, "%lu request%s from standard input failed "
		    "or %s not sent (see above)", c.failures,
		    c.failures == 1 ? "" : "s",
		    c.failures == 1 ? "was" : "were");
		c.status = EXIT_UNDELIVERED;
	}
	hc_free(&c.hc);
	if (c.e2e_ready)
		e2ec_free(&c.e2e);
	peers_free(&c.pins);
	chatlog_close(c.log);
	for (i = 0; i < c.nheld; i++)
		free(c.held[i]);
	for (i = 0; i < c.nunconfirmed; i++)
		free(c.unconfirmed[i].text);
	free(c.inbuf);
	free(kppath);
	free(khpath);
	free(dir);
	opt_free(&o);
	return c.status;
}
