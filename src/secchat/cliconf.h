/*
 * cliconf.h: secchat's configuration file, in the style of ssh_config(5).
 *
 *	# comment
 *	Port 7000			(before any Host: for every host)
 *	Host chat.example.org *.corp !old.corp
 *		User alice
 *		IdentityFile=~/.config/secchat/work
 *
 * A line is a keyword and its value, apart by blanks or one '='; a value
 * may be quoted ("..."), and is then taken whole.  Host patterns take '*'
 * (any run of characters) and '?' (any one), match without regard to
 * case, and a pattern starting with '!' excludes what it matches.  For
 * each keyword the first value found in a matching block wins, so
 * specific blocks go first and "Host *" last.  The parser works on a
 * buffer, so that it is tested without files; a mistake is an error
 * naming its line.
 */
#ifndef SECCHAT_CLICONF_H
#define SECCHAT_CLICONF_H

#include <stddef.h>

#define CLICONF_FILE_MAX	(256 * 1024)
#define CLICONF_LINE_MAX	1024	/* bytes, without the newline */
#define CLICONF_PATTERNS_MAX	64	/* per Host line */

struct cliconf_item {
	char	*key;
	char	*value;
	size_t	 line;
	size_t	 block;		/* index in blocks; 0: before any Host */
};

struct cliconf_block {
	char	**patterns;	/* "!"-prefixed ones exclude */
	size_t	  npatterns;
	size_t	  line;
};

struct cliconf {
	char			*name;	/* the file, for errors */
	struct cliconf_item	*items;
	size_t			 nitems;
	struct cliconf_block	*blocks;	/* [0] matches every host */
	size_t			 nblocks;
};

void	cliconf_init(struct cliconf *);
void	cliconf_free(struct cliconf *);

/*
 * Parse len bytes (any bytes; need not be NUL-terminated) named name (for
 * errors).  Keywords are checked against opt_keyword_known(), and "Host".
 * Returns 0, or -1 with err set to "NAME line N: reason".
 */
int	cliconf_parse(struct cliconf *, const char *name, const char *buf,
	    size_t len, char *err, size_t errlen);

/*
 * Read and parse a file.  A missing file is an empty configuration unless
 * must_exist.  As ssh, a file that others could have written (writable by
 * group or others, or owned by someone else than the user or root) is
 * refused.  Returns 0 or -1 with err set.
 */
int	cliconf_load(struct cliconf *, const char *path, int must_exist,
	    char *err, size_t errlen);

/* Whether s matches a pattern of '*', '?' and other characters (any case). */
int	cliconf_pattern_match(const char *pattern, const char *s);
/* Whether a block's patterns take host: one matches and none excludes. */
int	cliconf_block_matches(const struct cliconf_block *, const char *host);

/*
 * For host, call fn with every item of the blocks that match, in the
 * file's order (fn keeps the first value of each keyword).  If fn fails,
 * stop and return -1 with err set to "NAME line N: " and its message.
 */
typedef int	(*cliconf_fn)(void *arg, const char *key, const char *value,
		    char *err, size_t errlen);
int	cliconf_apply(const struct cliconf *, const char *host, cliconf_fn fn,
	    void *arg, char *err, size_t errlen);

/*
 * Hand the values over to an array of strings (*own, *nown) that the
 * caller frees, so that the pointers fn kept stay good after
 * cliconf_free().
 */
void	cliconf_give(struct cliconf *, char ***own, size_t *nown);

#endif
