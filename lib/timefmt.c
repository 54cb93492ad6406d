#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sasl-oauth2/timefmt.h"

void oa2_format_span(long long s, char *buf, size_t n)
{
	long long d, h, m;

	if (s < 0)
		s = -s;
	d = s / 86400;
	h = s % 86400 / 3600;
	m = s % 3600 / 60;
	if (s < 60)
		snprintf(buf, n, "%llds", s);
	else if (s < 3600)
		snprintf(buf, n, "%lldm", m);
	else if (s < 86400 && (h >= 10 || m == 0))
		snprintf(buf, n, "%lldh", h);
	else if (s < 86400)
		snprintf(buf, n, "%lldh %lldm", h, m);
	else if (d >= 10 || h == 0)
		snprintf(buf, n, "%lldd", d);
	else
		snprintf(buf, n, "%lldd %lldh", d, h);
}

/* Reads exactly `width` digits at *p into *v and advances *p. */
static int digits(const char **p, int width, int *v)
{
	*v = 0;
	for (int i = 0; i < width; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

static int expect(const char **p, const char *set)
{
	if (**p == '\0' || strchr(set, **p) == NULL)
		return -1;
	(*p)++;
	return 0;
}

/* "", "Z", "+HH:MM", "-HH:MM", "+HHMM": the offset east of UTC in seconds,
 * *has set when one was given. */
static int offset(const char *p, int *has, long *off)
{
	int sign, hh, mm;

	*has = 0;
	*off = 0;
	if (*p == '\0')
		return 0;
	*has = 1;
	if (strcmp(p, "Z") == 0 || strcmp(p, "z") == 0)
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh) != 0)
		return -1;
	if (*p == ':')
		p++;
	if (digits(&p, 2, &mm) != 0 || *p != '\0' || hh > 23 || mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	return 0;
}

int oa2_parse_iso8601(const char *s, long long *epoch)
{
	const char *p = s;
	struct tm tm;
	int year, mon, day, hour, min, sec, has_off;
	long off;
	time_t t;

	if (digits(&p, 4, &year) || expect(&p, "-") || digits(&p, 2, &mon) || expect(&p, "-") ||
	    digits(&p, 2, &day) || expect(&p, "Tt ") || digits(&p, 2, &hour) ||
	    expect(&p, ":") || digits(&p, 2, &min) || expect(&p, ":") || digits(&p, 2, &sec))
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (offset(p, &has_off, &off) != 0)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	tm.tm_isdst = -1;
	t = has_off ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1)
		return -1;
	*epoch = (long long)t - (has_off ? off : 0);
	return 0;
}
