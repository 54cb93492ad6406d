#include <stdio.h>
#include <string.h>

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

/* Length of the well-formed UTF-8 sequence at s (at most n bytes) that is
 * not a C1 control (U+0080-U+009F), or 0. */
static size_t utf8_printable_len(const unsigned char *s, size_t n)
{
	size_t len = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;

	if (len == 0 || len > n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if (s[0] == 0xc2 && s[1] < 0xa0)
		return 0; /* C1 control: a terminal may take 0x9b as CSI */
	return len;
}

void oa2_chars_escape(const char *in, char *out, size_t n)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0, len = strlen(in), i = 0;

	if (n == 0)
		return;
	while (i < len) {
		size_t u = s[i] >= 0x80 ? utf8_printable_len(s + i, len - i) : 0;
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (o + 1 >= n)
				break;
			out[o++] = (char)s[i++];
		} else if (u > 0) {
			if (o + u >= n)
				break;
			memcpy(out + o, s + i, u);
			o += u;
			i += u;
		} else {
			if (o + 4 >= n)
				break;
			snprintf(out + o, 5, "\\x%02x", s[i++]);
			o += 4;
		}
	}
	out[o] = '\0';
}
