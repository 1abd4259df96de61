/*
 * secchatd.c: the secchat daemon's entry point: options, configuration
 * checks, and dispatch to a process role when re-executed with -R.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "authd.h"
#include "broker.h"
#include "conf.h"
#include "keys.h"
#include "log.h"
#include "master.h"
#include "worker.h"

#define DEFAULT_CONFIG	SYSCONFDIR "/secchat/secchatd.conf"

extern char	**environ;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: secchatd [-dDeFGnT] [-f config_file]\n");
	exit(2);
}

static int
run_role(const char *role, int verbose)
{
	if (strcmp(role, "worker") == 0)
		return worker_main(verbose);
	if (strcmp(role, "broker") == 0)
		return broker_main(verbose);
	if (strcmp(role, "auth") == 0)
		return authd_main(verbose);
	fatalx("unknown role %s", role);
}

/* sshd's rule: re-execution needs an absolute path to ourselves. */
static void
find_self(char *buf, size_t len, const char *argv0)
{
	ssize_t	 n;

	n = readlink("/proc/self/exe", buf, len - 1);
	if (n > 0) {
		buf[n] = '\0';
		return;
	}
	if (argv0[0] != '/')
		fatalx("secchatd must be run with an absolute path");
	strlcpy(buf, argv0, len);
}

static int
print_fingerprint(const struct config *conf)
{
	uint8_t	 priv[KEY_LEN], pub[KEY_LEN];
	char	 err[512], fpr[FINGERPRINT_LEN];

	if (keys_load(conf->hostkey, priv, pub, err, sizeof(err)) == -1) {
		fprintf(stderr, "secchatd: %s\n", err);
		return 1;
	}
	sodium_memzero(priv, sizeof(priv));
	keys_fingerprint(pub, fpr);
	printf("%s %s\n", fpr, conf->hostkey);
	return 0;
}

static int
generate_host_key(const struct config *conf)
{
	uint8_t	 priv[KEY_LEN], pub[KEY_LEN];
	char	 err[512], fpr[FINGERPRINT_LEN];

	if (access(conf->hostkey, F_OK) == 0)
		return print_fingerprint(conf);
	if (keys_generate(conf->hostkey, "secchatd host key", priv, pub, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "secchatd: %s\n", err);
		return 1;
	}
	sodium_memzero(priv, sizeof(priv));
	keys_fingerprint(pub, fpr);
	printf("generated %s\n%s %s\n", conf->hostkey, fpr, conf->hostkey);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct config		 conf;
	struct master_opts	 opts;
	const char		*role = NULL;
	char			 err[1024], self[PATH_MAX];
	static char		 confpath[PATH_MAX];
	int			 ch, check_only = 0, print_conf = 0;
	int			 fingerprint = 0, genkey = 0;

	memset(&opts, 0, sizeof(opts));
	opts.config_path = DEFAULT_CONFIG;
	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "dDeFf:GnR:T")) != -1) {
		switch (ch) {
		case 'd':
			opts.foreground = 1;
			opts.log_stderr = 1;
			opts.verbose = 1;
			break;
		case 'D':
			opts.foreground = 1;
			break;
		case 'e':
			opts.log_stderr = 1;
			break;
		case 'F':
			fingerprint = 1;
			break;
		case 'f':
			opts.config_path = optarg;
			break;
		case 'G':
			genkey = 1;
			break;
		case 'n':
			check_only = 1;
			break;
		case 'R':
			role = optarg;
			break;
		case 'T':
			print_conf = 1;
			break;
		default:
			usage();
		}
	}
	/* A child's one operand is room for its process title (spawn.c). */
	if (optind != argc && (role == NULL || optind + 1 != argc))
		usage();

	if (role != NULL) {
		log_init(1, opts.verbose, "secchatd");
		return run_role(role, opts.verbose);
	}

	log_init(1, opts.verbose, "secchatd");
	if (sodium_init() == -1)
		fatalx("sodium_init failed");
	if (config_load(&conf, opts.config_path, err, sizeof(err)) == -1) {
		fprintf(stderr, "secchatd: %s\n", err);
		return 1;
	}
	if (opts.verbose)
		conf.log_verbose = 1;
	if (print_conf) {
		config_print(&conf, stdout);
		return 0;
	}
	if (check_only)
		return 0;
	if (fingerprint)
		return print_fingerprint(&conf);
	if (genkey)
		return generate_host_key(&conf);

	/* SIGHUP re-reads it after daemon() has changed to "/". */
	if (realpath(opts.config_path, confpath) == NULL)
		fatal("%s", opts.config_path);
	opts.config_path = confpath;
	find_self(self, sizeof(self), argv[0]);
	opts.self_path = self;
	opts.argv0_len = strlen(argv[0]);
	opts.verbose = conf.log_verbose;
	return master_main(&conf, &opts);
}
