/*
 * hostcheck.c: the server's key against known_hosts, and the question on
 * first contact.  The messages follow ssh's, which users know; the key is
 * decided on before any password leaves (it goes in handshake message 3).
 */
#include "config.h"

#include <err.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "hostcheck.h"
#include "keys.h"
#include "knownhosts.h"
#include "util.h"

void
hc_load(struct hostcheck *hc, const struct options *o)
{
	char	 errbuf[1024];

	memset(hc, 0, sizeof(*hc));
	hc->path = o->known_hosts;
	hc->policy = o->policy;
	if (kh_hostport(o->host, (unsigned int)strtonum(o->port, 1, 65535,
	    NULL), hc->hostport, sizeof(hc->hostport)) == -1)
		errx(EXIT_USAGE, "invalid host name \"%s\"", o->host);
	kh_init(&hc->kh);
	if (kh_load(&hc->kh, hc->path, errbuf, sizeof(errbuf)) == -1) {
		client_note(NULL, "%s", errbuf);
		client_note(NULL, "fix or remove that line; host key "
		    "verification failed");
		exit(EXIT_HOSTKEY);
	}
}

void
hc_free(struct hostcheck *hc)
{
	kh_free(&hc->kh);
}

static void
warn_changed(struct hostcheck *hc, const uint8_t *key, size_t line)
{
	char	 fp[FINGERPRINT_LEN];

	keys_fingerprint(key, fp);
	fprintf(stderr,
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "@    WARNING: SERVER HOST KEY HAS CHANGED!                @\n"
	    "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n"
	    "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
	    "Someone could be eavesdropping on you right now "
	    "(man-in-the-middle attack)!\n"
	    "It is also possible that the server's key has just been "
	    "changed.\n"
	    "The fingerprint for the key sent by the server is\n"
	    "%s.\n"
	    "Please contact your system administrator.\n"
	    "Offending key in %s:%zu\n"
	    "Remove that line if you know the new key is genuine.\n",
	    fp, hc->path, line);
	client_note(NULL, "host key for %s has changed; refusing to connect "
	    "(no password was sent)", hc->hostport);
}

static int
remember_key(struct hostcheck *hc, const uint8_t *key)
{
	struct knownhosts	 fresh;
	char			 errbuf[512];

	if (kh_add(hc->path, hc->hostport, key, errbuf,
	    sizeof(errbuf)) == -1) {
		client_note(NULL, "cannot record the host key: %s", errbuf);
		return -1;
	}
	client_note(NULL, "Warning: permanently added '%s' (%s) to the list of "
	    "known hosts.", hc->hostport, KH_KEYTYPE);
	/*
	 * Known from now on, should we have to connect again: the file
	 * again (for its line numbers), else the key alone.
	 */
	kh_init(&fresh);
	if (kh_load(&fresh, hc->path, errbuf, sizeof(errbuf)) == 0 &&
	    kh_lookup(&fresh, hc->hostport, key, NULL) == KH_MATCH) {
		kh_free(&hc->kh);
		hc->kh = fresh;
	} else {
		kh_free(&fresh);
		if (kh_remember(&hc->kh, hc->hostport, key, 0) == -1)
			err(EXIT_ERROR, "kh_remember");
	}
	return 0;
}

/* Ask yes or no on the terminal; -1 if there is none. */
static int
ask_yes_no(struct hostcheck *hc, const uint8_t *key, const char *addr,
    int *prompted)
{
	char	 fp[FINGERPRINT_LEN], answer[128], prompt[4096];
	char	 names[2048];

	keys_fingerprint(key, fp);
	/* A list too long for the buffer is cut short: no harm. */
	(void)kh_other_names(&hc->kh, hc->hostport, key, hc->path,
	    names, sizeof(names));
	snprintf(prompt, sizeof(prompt),
	    "The authenticity of server '%s (%s)' can't be established.\n"
	    "%s key fingerprint is %s.\n"
	    "%s\n"
	    "Are you sure you want to continue connecting "
	    "(yes/no/[fingerprint])? ",
	    hc->hostport, addr, KH_KEYTYPE, fp, names);
	*prompted = 1;
	for (;;) {
		if (readpassphrase(prompt, answer, sizeof(answer),
		    RPP_ECHO_ON | RPP_REQUIRE_TTY) == NULL)
			return -1;
		switch (kh_answer(answer, fp)) {
		case KH_ANSWER_YES:
			return 1;
		case KH_ANSWER_NO:
			return 0;
		case KH_ANSWER_WRONG_FP:
			snprintf(prompt, sizeof(prompt), "That fingerprint is "
			    "not the server's.\nPlease type 'yes', 'no' or "
			    "the fingerprint: ");
			break;
		default:
			snprintf(prompt, sizeof(prompt), "Please type 'yes', "
			    "'no' or the fingerprint: ");
			break;
		}
	}
}

int
hc_verify(struct hostcheck *hc, const uint8_t key[KEY_LEN], const char *addr,
    int *prompted)
{
	char	 fp[FINGERPRINT_LEN];
	size_t	 line = 0;
	int	 yes;

	switch (kh_lookup(&hc->kh, hc->hostport, key, &line)) {
	case KH_MATCH:
		return 1;
	case KH_MISMATCH:
		warn_changed(hc, key, line);
		return 0;
	case KH_UNKNOWN:
		break;
	}
	keys_fingerprint(key, fp);
	switch (hc->policy) {
	case HK_STRICT:
		client_note(NULL, "no host key is known for %s (fingerprint "
		    "%s) and you have requested strict checking", hc->hostport,
		    fp);
		return 0;
	case HK_ACCEPT_NEW:
	case HK_NO:
		return remember_key(hc, key) == 0;
	case HK_ASK:
		break;
	}
	if ((yes = ask_yes_no(hc, key, addr, prompted)) == -1) {
		client_check_interrupted();
		client_note(NULL, "the key of %s is not known and there is no "
		    "terminal to ask on", hc->hostport);
		client_note(NULL, "its fingerprint is %s; if that is right, "
		    "connect once with -o StrictHostKeyChecking=accept-new",
		    fp);
		return 0;
	}
	if (!yes)
		return 0;
	return remember_key(hc, key) == 0;
}
