#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/secret_shape.h"

/* b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int b64token_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int oa2_secret_token_shaped(const char *s, size_t n)
{
	size_t i = 0, body;

	while (i < n && b64token_char((unsigned char)s[i]))
		i++;
	body = i;
	while (i < n && s[i] == '=')
		i++;
	return i == n && body > 0 && n >= OA2_TOKEN_MIN_CHARS;
}

#define PREFIX_CHARS 4

void oa2_secret_prefix(const char *s, char *out, size_t n)
{
	char head[PREFIX_CHARS + 1];
	size_t len = strlen(s), i;

	for (i = 0; i < PREFIX_CHARS && i < len; i++)
		head[i] = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' ? s[i] : '?';
	head[i] = '\0';
	snprintf(out, n, "\"%s...\" (%zu characters)", head, len);
}
