/*
 * Times as people read and other tools write them.
 */
#ifndef SASL_OAUTH2_TIMEFMT_H
#define SASL_OAUTH2_TIMEFMT_H

#include <stddef.h>

/* A span of seconds (sign ignored), short, for tables and one-line
 * reports: "45s", "42m", "3h 5m", "14h", "2d 4h", "31d". Callers add
 * "expires in " / " ago". Always NUL-terminates. */
void oa2_format_span(long long seconds, char *buf, size_t n);

/* Parses an ISO 8601 date and time, "YYYY-MM-DDTHH:MM:SS" (a space instead
 * of 'T' too), with optional fractional seconds (ignored) and an optional
 * "Z" or "+HH:MM" / "-HH:MM" offset; without an offset it is local time, as
 * Python's datetime.now().isoformat() writes it. Returns 0 and sets *epoch,
 * or -1 when s is not such a time. */
int oa2_parse_iso8601(const char *s, long long *epoch);

#endif
