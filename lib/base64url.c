#include "sasl-oauth2/base64url.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t oa2_base64url_encode(const unsigned char *in, size_t n, char *out, size_t outsz)
{
	size_t len = OA2_BASE64URL_LEN(n), o = 0, i = 0;

	if (outsz < len + 1)
		return 0;
	for (; i + 3 <= n; i += 3) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;
		out[o++] = alphabet[(v >> 18) & 63];
		out[o++] = alphabet[(v >> 12) & 63];
		out[o++] = alphabet[(v >> 6) & 63];
	}
	out[o] = '\0';
	return o;
}

static int value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

int oa2_base64url_decode(const char *in, size_t n, unsigned char *out, size_t outsz,
			 size_t *outlen)
{
	unsigned long acc = 0;
	size_t o = 0;
	int bits = 0;

	while (n > 0 && in[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = value(in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= outsz)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}
