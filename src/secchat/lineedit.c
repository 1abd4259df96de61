/*
 * lineedit.c: the line editor's operations over a buffer (see lineedit.h).
 * Nothing here reads the terminal or writes to it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "lineedit.h"

#define PASTE_END	"\x1b[201~"
#define PASTE_END_LEN	(sizeof(PASTE_END) - 1)

static int
is_cont(char c)
{
	return ((unsigned char)c & 0xc0) == 0x80;
}

/* ---------------------------------------------------------------- editing */

int
le_insert(struct le_line *l, const char *p, size_t n)
{
	if (n > LE_LINE_MAX - l->len)
		return -1;
	memmove(l->buf + l->cur + n, l->buf + l->cur, l->len - l->cur);
	memcpy(l->buf + l->cur, p, n);
	l->len += n;
	l->cur += n;
	l->buf[l->len] = '\0';
	return 0;
}

void
le_set(struct le_line *l, const char *s, size_t n)
{
	if (n > LE_LINE_MAX) {
		/* Cut at a character boundary. */
		n = LE_LINE_MAX;
		while (n > 0 && is_cont(s[n]))
			n--;
	}
	memmove(l->buf, s, n);
	l->len = l->cur = n;
	l->buf[n] = '\0';
}

void
le_delete_range(struct le_line *l, size_t from, size_t to)
{
	if (to > l->len)
		to = l->len;
	if (from >= to)
		return;
	memmove(l->buf + from, l->buf + to, l->len - to);
	l->len -= to - from;
	l->buf[l->len] = '\0';
	if (l->cur > to)
		l->cur -= to - from;
	else if (l->cur > from)
		l->cur = from;
}

size_t
le_prev_char(const struct le_line *l, size_t i)
{
	if (i == 0)
		return 0;
	i--;
	while (i > 0 && is_cont(l->buf[i]))
		i--;
	return i;
}

size_t
le_next_char(const struct le_line *l, size_t i)
{
	if (i >= l->len)
		return l->len;
	i++;
	while (i < l->len && is_cont(l->buf[i]))
		i++;
	return i;
}

void
le_left(struct le_line *l)
{
	l->cur = le_prev_char(l, l->cur);
}

void
le_right(struct le_line *l)
{
	l->cur = le_next_char(l, l->cur);
}

void
le_backspace(struct le_line *l)
{
	le_delete_range(l, le_prev_char(l, l->cur), l->cur);
}

void
le_delete(struct le_line *l)
{
	le_delete_range(l, l->cur, le_next_char(l, l->cur));
}

/* Whether the byte is part of a word: bytes of non-ASCII letters count. */
static int
word_byte(char ch)
{
	unsigned char	 c = (unsigned char)ch;

	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c >= 0x80;
}

size_t
le_word_start(const struct le_line *l)
{
	size_t	 i = l->cur;

	while (i > 0 && !word_byte(l->buf[i - 1]))
		i--;
	while (i > 0 && word_byte(l->buf[i - 1]))
		i--;
	return i;
}

size_t
le_word_end(const struct le_line *l)
{
	size_t	 i = l->cur;

	while (i < l->len && !word_byte(l->buf[i]))
		i++;
	while (i < l->len && word_byte(l->buf[i]))
		i++;
	return i;
}

void
le_word_left(struct le_line *l)
{
	l->cur = le_word_start(l);
}

void
le_word_right(struct le_line *l)
{
	l->cur = le_word_end(l);
}

void
le_kill_word(struct le_line *l)
{
	le_delete_range(l, l->cur, le_word_end(l));
}

void
le_kill_word_back(struct le_line *l)
{
	le_delete_range(l, le_word_start(l), l->cur);
}

void
le_rubout_word(struct le_line *l)
{
	size_t	 i = l->cur;

	while (i > 0 && l->buf[i - 1] == ' ')
		i--;
	while (i > 0 && l->buf[i - 1] != ' ')
		i--;
	le_delete_range(l, i, l->cur);
}

void
le_kill_to_end(struct le_line *l)
{
	le_delete_range(l, l->cur, l->len);
}

void
le_kill_to_start(struct le_line *l)
{
	le_delete_range(l, 0, l->cur);
}

/* ---------------------------------------------------------------- history */

static void
free_str(char *s, size_t n)
{
	if (s == NULL)
		return;
	/* What was typed may be private: it does not linger in memory. */
	explicit_bzero(s, n);
	free(s);
}

static char *
dup_mem(const char *s, size_t n)
{
	char	*p;

	if ((p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void
drop_draft(struct le_history *h)
{
	free_str(h->draft, h->draftlen);
	h->draft = NULL;
	h->draftlen = 0;
}

void
le_hist_reset(struct le_history *h)
{
	h->pos = h->n;
	drop_draft(h);
}

void
le_hist_add(struct le_history *h, const char *s, size_t n)
{
	char	*copy;

	le_hist_reset(h);
	if (n == 0 || s[0] == ' ' || memchr(s, '\0', n) != NULL)
		return;
	if (h->n > 0 && strlen(h->ent[h->n - 1]) == n &&
	    memcmp(h->ent[h->n - 1], s, n) == 0)
		return;
	if ((copy = dup_mem(s, n)) == NULL)
		return;		/* only a convenience is lost */
	if (h->n == LE_HISTORY_MAX) {
		free_str(h->ent[0], strlen(h->ent[0]));
		memmove(h->ent, h->ent + 1, (h->n - 1) * sizeof(h->ent[0]));
		h->n--;
	}
	h->ent[h->n++] = copy;
	h->pos = h->n;
}

static void
show_entry(struct le_history *h, struct le_line *l)
{
	if (h->pos == h->n)
		le_set(l, h->draft != NULL ? h->draft : "", h->draftlen);
	else
		le_set(l, h->ent[h->pos], strlen(h->ent[h->pos]));
}

int
le_hist_up(struct le_history *h, struct le_line *l)
{
	if (h->pos > h->n)
		h->pos = h->n;
	if (h->pos == 0)
		return -1;
	if (h->pos == h->n) {
		/* Leaving the line being typed: keep it to come back to. */
		drop_draft(h);
		if ((h->draft = dup_mem(l->buf, l->len)) == NULL)
			return -1;
		h->draftlen = l->len;
	}
	h->pos--;
	show_entry(h, l);
	return 0;
}

int
le_hist_down(struct le_history *h, struct le_line *l)
{
	if (h->pos >= h->n)
		return -1;
	h->pos++;
	show_entry(h, l);
	if (h->pos == h->n)
		drop_draft(h);
	return 0;
}

void
le_hist_free(struct le_history *h)
{
	size_t	 i;

	for (i = 0; i < h->n; i++)
		free_str(h->ent[i], strlen(h->ent[i]));
	h->n = h->pos = 0;
	drop_draft(h);
}

/* ---------------------------------------------------------------- search */

/* The newest entry at or before from that holds the query. */
static int
search_from(struct le_search *s, struct le_history *h, struct le_line *l,
    size_t from)
{
	size_t		 i;
	const char	*m;

	for (i = from + 1; i-- > 0;) {
		if (i >= h->n)
			continue;
		if ((m = strstr(h->ent[i], s->query)) != NULL) {
			s->at = i;
			s->failed = 0;
			le_set(l, h->ent[i], strlen(h->ent[i]));
			l->cur = (size_t)(m - h->ent[i]);
			return 0;
		}
	}
	s->failed = 1;
	return -1;
}

void
le_search_start(struct le_search *s, struct le_history *h,
    struct le_line *l)
{
	if (s->active) {
		/* ^R again: the next older match. */
		if (s->qlen > 0 && s->at < h->n && s->at > 0)
			(void)search_from(s, h, l, s->at - 1);
		else if (s->qlen > 0)
			s->failed = 1;
		return;
	}
	memset(s, 0, sizeof(*s));
	s->active = 1;
	s->at = h->n;
	if ((s->saved = dup_mem(l->buf, l->len)) != NULL) {
		s->savedlen = l->len;
		s->savedcur = l->cur;
	}
}

int
le_search_add(struct le_search *s, struct le_history *h, struct le_line *l,
    const char *p, size_t n)
{
	if (n > LE_QUERY_MAX - s->qlen || memchr(p, '\0', n) != NULL)
		return -1;
	memcpy(s->query + s->qlen, p, n);
	s->qlen += n;
	s->query[s->qlen] = '\0';
	/* The match so far may still hold the longer query. */
	(void)search_from(s, h, l, s->at < h->n ? s->at : h->n - 1);
	return 0;
}

void
le_search_back(struct le_search *s, struct le_history *h, struct le_line *l)
{
	if (s->qlen == 0)
		return;
	while (s->qlen > 0 && is_cont(s->query[s->qlen - 1]))
		s->qlen--;
	if (s->qlen > 0)
		s->qlen--;
	s->query[s->qlen] = '\0';
	if (s->qlen == 0) {
		s->failed = 0;
		return;
	}
	(void)search_from(s, h, l, h->n - 1);
}

static void
search_end(struct le_search *s)
{
	free_str(s->saved, s->savedlen);
	explicit_bzero(s->query, sizeof(s->query));
	memset(s, 0, sizeof(*s));
}

void
le_search_accept(struct le_search *s)
{
	search_end(s);
}

void
le_search_cancel(struct le_search *s, struct le_line *l)
{
	if (s->saved != NULL) {
		le_set(l, s->saved, s->savedlen);
		l->cur = s->savedcur <= l->len ? s->savedcur : l->len;
	}
	search_end(s);
}

/* ---------------------------------------------------------------- paste */

void
le_paste_begin(struct le_paste *p)
{
	p->in = 1;
	p->len = 0;
	p->endmatch = 0;
	p->overflow = 0;
}

static int
paste_put(struct le_paste *p, unsigned char c)
{
	char	*nb;
	size_t	 ns;

	if (p->overflow)
		return 0;
	if (p->len == LE_PASTE_MAX) {
		p->overflow = 1;
		return 0;
	}
	if (p->len == p->size) {
		ns = p->size == 0 ? 4096 : p->size * 2;
		if (ns > LE_PASTE_MAX)
			ns = LE_PASTE_MAX;
		if ((nb = realloc(p->buf, ns)) == NULL)
			return -1;
		p->buf = nb;
		p->size = ns;
	}
	p->buf[p->len++] = (char)c;
	return 0;
}

int
le_paste_byte(struct le_paste *p, unsigned char c)
{
	size_t	 i;

	if (!p->in)
		return 0;
	if (c == (unsigned char)PASTE_END[p->endmatch]) {
		if (++p->endmatch == PASTE_END_LEN) {
			p->in = 0;
			p->endmatch = 0;
			return 1;
		}
		return 0;
	}
	/* Not the end after all: what looked like its start is text. */
	for (i = 0; i < p->endmatch; i++)
		if (paste_put(p, (unsigned char)PASTE_END[i]) == -1)
			goto nomem;
	p->endmatch = 0;
	if (c == (unsigned char)PASTE_END[0]) {
		p->endmatch = 1;
		return 0;
	}
	if (paste_put(p, c) == -1)
		goto nomem;
	return 0;
nomem:
	p->overflow = 1;
	return -1;
}

void
le_paste_free(struct le_paste *p)
{
	if (p->buf != NULL) {
		explicit_bzero(p->buf, p->size);
		free(p->buf);
	}
	memset(p, 0, sizeof(*p));
}

size_t
le_paste_lines(char *buf, size_t *len)
{
	size_t	 i, o = 0, lines = 1;

	for (i = 0; i < *len; i++) {
		if (buf[i] == '\r') {
			if (i + 1 < *len && buf[i + 1] == '\n')
				i++;
			buf[o++] = '\n';
		} else
			buf[o++] = buf[i];
	}
	if (o > 0 && buf[o - 1] == '\n')
		o--;
	for (i = 0; i < o; i++)
		if (buf[i] == '\n')
			lines++;
	*len = o;
	return lines;
}
