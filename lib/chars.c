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

int oa2_chars_no_controls(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < n;) {
		size_t len = u[i] >= 0x80 ? utf8_printable_len(u + i, n - i) : 1;
		if (len == 0 || u[i] < 0x20 || u[i] == 0x7f)
			return 0;
		i += len;
	}
	return 1;
}

/* RFC 5321's Local-part as dot-atom (no quoted strings), with only the
 * atext characters that mean nothing to a shell. */
static int local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-';
}

int oa2_chars_mailbox(const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t local = at ? (size_t)(at - s) : 0;

	if (at == NULL || local == 0 || local + 1 == n || s[0] == '.' || s[local - 1] == '.' ||
	    at[1] == '.' || at[1] == '-' || s[n - 1] == '.' || s[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i == local)
			continue;
		if (i < local ? !local_char(c) : !domain_char(c))
			return 0;
		if (c == '.' && i + 1 < n && s[i + 1] == '.')
			return 0;
	}
	return 1;
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

static int shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("@%+=:,./_-", c) != NULL;
}

int oa2_chars_shell_quote(const char *in, char *out, size_t n)
{
	size_t o = 0, len = strlen(in);
	int plain = len > 0;

	for (size_t i = 0; i < len && plain; i++)
		plain = shell_safe((unsigned char)in[i]);
	if (plain) {
		if (len >= n)
			goto toolong;
		memcpy(out, in, len + 1);
		return 0;
	}
	if (o + 1 >= n)
		goto toolong;
	out[o++] = '\'';
	for (size_t i = 0; i < len; i++) {
		const char *piece = in[i] == '\'' ? "'\\''" : NULL;
		size_t plen = piece ? 4 : 1;

		if (o + plen + 2 > n)
			goto toolong;
		if (piece)
			memcpy(out + o, piece, plen);
		else
			out[o] = in[i];
		o += plen;
	}
	out[o++] = '\'';
	out[o] = '\0';
	return 0;
toolong:
	if (n > 0)
		out[0] = '\0';
	return -1;
}
