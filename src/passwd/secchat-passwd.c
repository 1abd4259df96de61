/*
 * secchat-passwd: manage the accounts in the secchat users file.
 */
#include "config.h"

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "ctl_client.h"
#include "ctlproto.h"
#include "keys.h"
#include "pwhash.h"
#include "users.h"
#include "util.h"

#define DEFAULT_USERS_FILE	SYSCONFDIR "/secchat/users"
#define NAME_RULE	"user names are 1-32 characters: a lowercase letter " \
	"or '_' first, then lowercase letters, digits, '_', '.', '-'"

/* Room for one byte more than allowed, to tell "too long" from "fits". */
#define PWBUF_LEN	(PWHASH_MAX_PASSWORD + 2)

enum command {
	CMD_ADD,
	CMD_PASSWD,
	CMD_DEL,
	CMD_LIST,
	CMD_LOCK,
	CMD_UNLOCK,
	CMD_KEY_ADD,
	CMD_KEY_DEL
};

/* A public key line "secchat-x25519 BASE64 [comment]", and then some. */
#define KEYLINE_MAX	1024

static const struct {
	const char	*name;
	enum command	 cmd;
	int		 takes_user;
} commands[] = {
	{ "add",	CMD_ADD,	1 },
	{ "passwd",	CMD_PASSWD,	1 },
	{ "del",	CMD_DEL,	1 },
	{ "list",	CMD_LIST,	0 },
	{ "lock",	CMD_LOCK,	1 },
	{ "unlock",	CMD_UNLOCK,	1 },
};

struct options {
	const char	*path;
	enum pwhash_alg	 alg;
	uint32_t	 rounds;	/* 0: the default */
	int		 from_stdin;
	int		 kick;		/* -k: the running daemon is told */
	const char	*socket;	/* -S: its control socket */
};

#define KICK_TIMEOUT_MS		30000
#define PASSWORD_CHANGED_REASON	"password changed"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: %s [-ks] [-a argon2id | pbkdf2-sha256] "
	    "[-f usersfile] [-r rounds] [-S socket] command [user]\n"
	    "commands: add user, passwd user, del user, list, lock user, "
	    "unlock user,\n"
	    "          key add user [line | -], key del user key, "
	    "key list user\n", getprogname());
	exit(2);
}

static int
parse_command(const char *s, enum command *cmd, int *takes_user)
{
	size_t	 i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(s, commands[i].name) == 0) {
			*cmd = commands[i].cmd;
			*takes_user = commands[i].takes_user;
			return 0;
		}
	}
	return -1;
}

/*
 * Hold PATH.lock from load to save so that two administrators cannot lose
 * each other's changes.  users_save takes the same POSIX lock, which this
 * process already owns, and its close releases it when the save is done.
 */
static int
lock_users(const char *path)
{
	struct flock	 fl;
	char		 lockpath[PATH_MAX];
	int		 fd, n;

	n = snprintf(lockpath, sizeof(lockpath), "%s.lock", path);
	if (n < 0 || (size_t)n >= sizeof(lockpath))
		errx(1, "%s: path too long", path);
	if ((fd = open(lockpath, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
	    0600)) == -1)
		err(1, "%s", lockpath);
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	while (fcntl(fd, F_SETLKW, &fl) == -1)
		if (errno != EINTR)
			err(1, "lock %s", lockpath);
	return fd;
}

/*
 * One line from standard input, read a byte at a time so that no copy of
 * the password stays behind in a stdio buffer.
 */
static int
read_password_stdin(char *buf, size_t bufsize, size_t *lenp)
{
	size_t	 len = 0;
	ssize_t	 n;
	char	 c;

	for (;;) {
		n = read(STDIN_FILENO, &c, 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			warn("standard input");
			return -1;
		}
		if (n == 0 || c == '\n')
			break;
		if (len == PWHASH_MAX_PASSWORD || len == bufsize - 1) {
			warnx("password longer than %d bytes",
			    PWHASH_MAX_PASSWORD);
			return -1;
		}
		buf[len++] = c;
	}
	sodium_memzero(&c, sizeof(c));
	buf[len] = '\0';
	*lenp = len;
	return 0;
}

/* Twice without echo, from the terminal, and both must agree. */
static int
read_password_tty(const char *user, char *buf, char *again, size_t bufsize,
    size_t *lenp)
{
	char	 prompt[128];
	size_t	 len;

	snprintf(prompt, sizeof(prompt), "New password for %s: ", user);
	if (readpassphrase(prompt, buf, bufsize, RPP_REQUIRE_TTY) == NULL) {
		warn("cannot read password");
		return -1;
	}
	if ((len = strlen(buf)) > PWHASH_MAX_PASSWORD) {
		warnx("password longer than %d bytes", PWHASH_MAX_PASSWORD);
		return -1;
	}
	if (readpassphrase("Retype new password: ", again, bufsize,
	    RPP_REQUIRE_TTY) == NULL) {
		warn("cannot read password");
		return -1;
	}
	if (strlen(again) != len || sodium_memcmp(buf, again, len) != 0) {
		warnx("passwords do not match");
		return -1;
	}
	*lenp = len;
	return 0;
}

/* Read the new password for user and hash it into hash. */
static int
new_hash(const struct options *opt, const char *user, char *hash,
    size_t hashlen)
{
	char	 pw[PWBUF_LEN], again[PWBUF_LEN];
	size_t	 len = 0;
	int	 rc = -1;

	if (opt->from_stdin) {
		if (read_password_stdin(pw, sizeof(pw), &len) == -1)
			goto out;
	} else if (read_password_tty(user, pw, again, sizeof(pw), &len) == -1)
		goto out;
	if (len == 0) {
		warnx("empty password");
		goto out;
	}
	if (memchr(pw, '\0', len) != NULL) {
		warnx("password contains a NUL byte");
		goto out;
	}
	if (pwhash_create(opt->alg, pw, len, opt->rounds, hash, hashlen) == -1) {
		warnx("cannot hash the password");
		goto out;
	}
	rc = 0;
 out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(again, sizeof(again));
	return rc;
}

static const char *
hash_algorithm(const char *hash)
{
	if (strcmp(hash, USERS_NOPASSWORD) == 0)
		return "none";
	if (strncmp(hash, "$argon2id$", 10) == 0)
		return "argon2id";
	if (strncmp(hash, "$pbkdf2-sha256$", 15) == 0)
		return "pbkdf2-sha256";
	return "unknown";
}

static int
cmd_list(const struct users *u)
{
	size_t	 i;

	for (i = 0; i < u->n; i++)
		printf("%s\t%s\t%s\n", u->v[i].name,
		    hash_algorithm(u->v[i].hash),
		    u->v[i].locked ? "locked" : "active");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("standard output");
		return 1;
	}
	return 0;
}

static void
save(const struct users *u, const char *path)
{
	char	 errbuf[PATH_MAX + 256];

	if (users_save(u, path, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
}

/*
 * The key of "key add": the line given, or one line of standard input
 * (arg NULL or "-").
 */
static void
key_from_line(const char *arg, uint8_t key[KEY_LEN])
{
	char	 line[KEYLINE_MAX + 2];
	size_t	 len;

	if (arg == NULL || strcmp(arg, "-") == 0) {
		if (fgets(line, sizeof(line), stdin) == NULL)
			errx(1, "no key line on standard input");
		arg = line;
	}
	if ((len = strlen(arg)) > KEYLINE_MAX ||
	    keys_parse_public(arg, len, key) == -1)
		errx(1, "not a public key line (\"secchat-x25519 BASE64 "
		    "[comment]\", as secchat -K prints it)");
}

/* The key of "key del": its base64, or its SHA256: fingerprint. */
static int
key_from_arg(const struct user_entry *e, const char *arg,
    uint8_t key[KEY_LEN])
{
	char	 fpr[FINGERPRINT_LEN];
	size_t	 i;

	if (strncmp(arg, "SHA256:", 7) == 0) {
		for (i = 0; i < e->nkeys; i++) {
			keys_fingerprint(e->keys + i * KEY_LEN, fpr);
			if (strcmp(fpr, arg) == 0) {
				memcpy(key, e->keys + i * KEY_LEN, KEY_LEN);
				return 0;
			}
		}
		return -1;
	}
	if (b64_decode(arg, strlen(arg), key, KEY_LEN) != KEY_LEN)
		errx(1, "not a key: give its base64 or its SHA256: "
		    "fingerprint");
	return 0;
}

static int
key_list(const struct options *opt, const char *user)
{
	struct users		 u;
	struct user_entry	*e;
	char			 errbuf[PATH_MAX + 256], fpr[FINGERPRINT_LEN];
	char			 b64[64];
	size_t			 i;
	int			 rc = 0;

	users_init(&u);
	if (users_load(&u, opt->path, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if ((e = users_find(&u, user)) == NULL)
		errx(1, "no such user: %s", user);
	for (i = 0; i < e->nkeys; i++) {
		keys_fingerprint(e->keys + i * KEY_LEN, fpr);
		(void)b64_encode(e->keys + i * KEY_LEN, KEY_LEN, b64,
		    sizeof(b64));
		printf("%s %s\n", fpr, b64);
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		warn("standard output");
		rc = 1;
	}
	users_free(&u);
	return rc;
}

/* Apply a change under the lock.  Returns the exit status. */
static int
modify(const struct options *opt, enum command cmd, const char *user,
    const char *keyarg)
{
	struct users		 u;
	struct user_entry	*e;
	char			 errbuf[PATH_MAX + 256], hash[PWHASH_MAXLEN];
	char			 fpr[FINGERPRINT_LEN];
	uint8_t			 key[KEY_LEN];
	int			 lockfd;

	/* The key is read before the lock is taken: stdin may be slow. */
	if (cmd == CMD_KEY_ADD)
		key_from_line(keyarg, key);
	lockfd = lock_users(opt->path);
	users_init(&u);
	if (users_load(&u, opt->path, errbuf, sizeof(errbuf)) == -1 &&
	    !(errno == ENOENT && (cmd == CMD_ADD || cmd == CMD_KEY_ADD)))
		errx(1, "%s", errbuf);
	e = users_find(&u, user);
	if (cmd == CMD_ADD && e != NULL)
		errx(1, "user %s already exists", user);
	if (cmd != CMD_ADD && cmd != CMD_KEY_ADD && e == NULL)
		errx(1, "no such user: %s", user);
	hash[0] = '\0';

	switch (cmd) {
	case CMD_ADD:
		if (new_hash(opt, user, hash, sizeof(hash)) == -1)
			exit(1);
		if (users_add(&u, user, hash) == -1)
			errx(1, "cannot add user %s", user);
		break;
	case CMD_PASSWD:
		/* A locked account stays locked: unlocking is separate. */
		if (new_hash(opt, user, hash, sizeof(hash)) == -1)
			exit(1);
		if (users_set_hash(e, hash) == -1)
			errx(1, "cannot set the password of %s", user);
		break;
	case CMD_DEL:
		users_remove(&u, user);
		break;
	case CMD_LOCK:
	case CMD_UNLOCK:
		if (e->locked == (cmd == CMD_LOCK)) {
			warnx("user %s is already %s", user,
			    e->locked ? "locked" : "unlocked");
			goto done;
		}
		e->locked = cmd == CMD_LOCK;
		break;
	case CMD_KEY_ADD:
		/* A user made for a key has no password until one is set. */
		if (e == NULL) {
			if (users_add(&u, user, USERS_NOPASSWORD) == -1)
				errx(1, "cannot add user %s", user);
			e = users_find(&u, user);
			printf("user %s added, without a password\n", user);
		}
		keys_fingerprint(key, fpr);
		switch (users_key_add(e, key)) {
		case 0:
			warnx("key %s is already enrolled for %s", fpr, user);
			goto done;
		case -1:
			errx(1, "user %s has %d keys already", user,
			    USERS_KEYS_MAX);
		}
		printf("key %s enrolled for %s\n", fpr, user);
		break;
	case CMD_KEY_DEL:
		if (key_from_arg(e, keyarg, key) == -1 ||
		    users_key_del(e, key) == -1)
			errx(1, "no such key enrolled for %s", user);
		keys_fingerprint(key, fpr);
		printf("key %s withdrawn for %s\n", fpr, user);
		break;
	case CMD_LIST:
		break;
	}
	save(&u, opt->path);
 done:
	sodium_memzero(hash, sizeof(hash));
	users_free(&u);
	close(lockfd);
	return 0;
}

/*
 * -k: the running daemon reloads the users file through its control
 * socket, which ends the sessions of a removed or locked account; after
 * passwd, the user's sessions (logged in with the old password) are
 * ended too.  Returns the exit status: 1 if the daemon could not be told.
 */
static int
tell_daemon(const struct options *opt, enum command cmd, const char *user)
{
	struct ctl_request	 req;
	struct ctl_answer	 ans;
	char			 why[512];
	size_t			 i;

	memset(&req, 0, sizeof(req));
	req.type = CTL_RELOAD;
	if (ctl_call(opt->socket, &req, KICK_TIMEOUT_MS, &ans, why,
	    sizeof(why)) == -1) {
		warnx("the users file is changed, but the daemon was not "
		    "told: %s", why);
		return 1;
	}
	for (i = 0; i < ans.nrows; i++)
		printf("%s\n", ans.rows[i]);
	if (ans.error) {
		warnx("reload: %s", ans.text);
		ctl_answer_free(&ans);
		return 1;
	}
	ctl_answer_free(&ans);
	if (cmd != CMD_PASSWD)
		return 0;
	req.type = CTL_KICK_USER;
	strlcpy(req.user, user, sizeof(req.user));
	strlcpy(req.text, PASSWORD_CHANGED_REASON, sizeof(req.text));
	if (ctl_call(opt->socket, &req, KICK_TIMEOUT_MS, &ans, why,
	    sizeof(why)) == -1) {
		warnx("the password is changed, but %s's sessions were not "
		    "ended: %s", user, why);
		return 1;
	}
	/* No session to end is no failure. */
	printf("%s\n", ans.text);
	ctl_answer_free(&ans);
	return 0;
}

static int
list(const struct options *opt)
{
	struct users	 u;
	char		 errbuf[PATH_MAX + 256];
	int		 rc;

	users_init(&u);
	if (users_load(&u, opt->path, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	rc = cmd_list(&u);
	users_free(&u);
	return rc;
}

/*
 * key add USER [LINE | -], key del USER KEY, key list USER.  With -k the
 * daemon reloads the users file, so a key withdrawn can no longer log in
 * (sessions logged in with it go on; del or lock the user to end them).
 */
static int
key_main(struct options *opt, int argc, char *argv[])
{
	enum command	 cmd;
	const char	*user;

	if (argc < 2)
		usage();
	user = argv[1];
	if (!valid_username(user, strlen(user)))
		errx(1, "invalid user name: " NAME_RULE);
	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");
	if (strcmp(argv[0], "list") == 0 && argc == 2) {
		if (opt->kick)
			usage();
		return key_list(opt, user);
	}
	if (strcmp(argv[0], "add") == 0 && (argc == 2 || argc == 3))
		cmd = CMD_KEY_ADD;
	else if (strcmp(argv[0], "del") == 0 && argc == 3)
		cmd = CMD_KEY_DEL;
	else
		usage();
	if (modify(opt, cmd, user, argc == 3 ? argv[2] : NULL) != 0 ||
	    !opt->kick)
		return 0;
	return tell_daemon(opt, cmd, user);
}

int
main(int argc, char *argv[])
{
	struct options	 opt;
	enum command	 cmd;
	const char	*errstr, *user = NULL;
	int		 ch, takes_user, rounds_set = 0, rc;

	umask(077);
	memset(&opt, 0, sizeof(opt));
	opt.path = DEFAULT_USERS_FILE;
	opt.alg = PWHASH_ARGON2ID;
	opt.socket = CTL_DEFAULT_SOCKET;

	while ((ch = getopt(argc, argv, "a:f:kr:S:s")) != -1) {
		switch (ch) {
		case 'a':
			if (pwhash_alg_parse(optarg, &opt.alg) == -1) {
				warnx("unknown algorithm %s", optarg);
				usage();
			}
			break;
		case 'f':
			opt.path = optarg;
			break;
		case 'r':
			opt.rounds = (uint32_t)strtonum(optarg, 1, UINT32_MAX,
			    &errstr);
			if (errstr != NULL) {
				warnx("rounds %s: %s", optarg, errstr);
				usage();
			}
			rounds_set = 1;
			break;
		case 'k':
			opt.kick = 1;
			break;
		case 'S':
			opt.socket = optarg;
			break;
		case 's':
			opt.from_stdin = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;

	if (argc >= 1 && strcmp(argv[0], "key") == 0)
		return key_main(&opt, argc - 1, argv + 1);
	if (argc < 1 || parse_command(argv[0], &cmd, &takes_user) == -1)
		usage();
	if (argc != 1 + takes_user)
		usage();
	if (rounds_set && opt.alg != PWHASH_PBKDF2_SHA256) {
		warnx("-r applies to -a pbkdf2-sha256 only");
		usage();
	}
	if (rounds_set && opt.rounds < PBKDF2_DEFAULT_ROUNDS)
		warnx("warning: %u rounds is fewer than the default %d",
		    (unsigned)opt.rounds, PBKDF2_DEFAULT_ROUNDS);
	if (takes_user) {
		user = argv[1];
		if (!valid_username(user, strlen(user)))
			errx(1, "invalid user name: " NAME_RULE);
	}
	if (opt.kick && cmd != CMD_PASSWD && cmd != CMD_DEL &&
	    cmd != CMD_LOCK) {
		warnx("-k applies to passwd, del and lock only");
		usage();
	}
	if (sodium_init() == -1)
		errx(1, "cannot initialise libsodium");

	if (cmd == CMD_LIST)
		return list(&opt);
	if ((rc = modify(&opt, cmd, user, NULL)) != 0 || !opt.kick)
		return rc;
	return tell_daemon(&opt, cmd, user);
}
