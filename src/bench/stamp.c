/*
 * stamp.c: fan-out message texts and the receiver's order check.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "stamp.h"

void
stamp_format(char *text, unsigned size, int sender, uint64_t seq, uint64_t t)
{
	int	 n;

	n = snprintf(text, (size_t)size + 64, "%d %llu %llu ", sender,
	    (unsigned long long)seq, (unsigned long long)t);
	if (n > 0 && (unsigned)n < size)
		memset(text + n, 'x', size - (unsigned)n);
	text[n > 0 && (unsigned)n > size ? (unsigned)n : size] = '\0';
}

static int
parse_u64(const char **pp, uint64_t *v)
{
	const char		*p = *pp;
	unsigned long long	 x = 0;

	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9') {
		if (x > (ULLONG_MAX - 9) / 10)
			return -1;
		x = x * 10 + (unsigned long long)(*p++ - '0');
	}
	*v = x;
	*pp = p;
	return 0;
}

int
stamp_parse(const char *text, uint64_t *sender, uint64_t *seq, uint64_t *ts)
{
	const char	*p = text;

	if (parse_u64(&p, sender) == -1 || *p++ != ' ' ||
	    parse_u64(&p, seq) == -1 || *p++ != ' ' ||
	    parse_u64(&p, ts) == -1 || (*p != ' ' && *p != '\0'))
		return -1;
	return 0;
}

enum seq_verdict
seq_window_note(struct seq_window *w, uint64_t seq)
{
	uint64_t	 back;

	if (seq >= w->next) {
		back = seq - w->next + 1;
		w->window = back >= 64 ? 0 : w->window << back;
		w->window |= 1;
		w->next = seq + 1;
		return SEQ_IN_ORDER;
	}
	back = w->next - 1 - seq;
	if (back >= 64)
		return SEQ_LATE;
	if (w->window & (1ULL << back))
		return SEQ_DUPLICATE;
	w->window |= 1ULL << back;
	return SEQ_LATE;
}
