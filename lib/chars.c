#include "sasl-oauth2/chars.h"

static int all_between(const char *s, size_t n, unsigned char lo, unsigned char hi)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < lo || (unsigned char)s[i] > hi)
			return 0;
	return 1;
}

int oa2_chars_visible(const char *s, size_t n)
{
	return all_between(s, n, 0x21, 0x7e);
}

int oa2_chars_printable(const char *s, size_t n)
{
	return all_between(s, n, 0x20, 0x7e);
}

int oa2_chars_no_controls(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}
