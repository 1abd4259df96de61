/*
 * ctl_output.h: what secchatctl prints of an answer's rows: for people
 * (aligned columns under headings, durations, addresses with their
 * ports), as they came (one line per item, tab-separated: -o tsv), or,
 * for `show stats`, in the OpenMetrics text format.  No I/O but the
 * stream given, so the tests drive it.
 */
#ifndef SECCHAT_CTL_OUTPUT_H
#define SECCHAT_CTL_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ctl_format {
	CTL_FORMAT_HUMAN,
	CTL_FORMAT_TSV,
	CTL_FORMAT_OPENMETRICS
};

/* "human", "tsv", "openmetrics"; -1 if none of them. */
int	ctl_format_parse(const char *, enum ctl_format *);
/* Seconds as "45s", "3m05s", "2h03m", "4d02h"; "-" stays "-". */
void	ctl_duration(const char *seconds, char *out, size_t outlen);
/*
 * Print the rows of the answer to request type (enum ctl_type) in the
 * format.  -1 if the format does not apply to the request (OpenMetrics is
 * for CTL_SHOW_STATS only).
 */
int	ctl_print(FILE *, uint16_t type, enum ctl_format, char **rows,
	    size_t nrows);

#endif
