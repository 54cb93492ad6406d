#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/sasl_response.h"

void oa2_xoauth2_response(struct oa2_buf *out, const char *user, const char *token)
{
	oa2_buf_puts(out, "user=");
	oa2_buf_puts(out, user);
	oa2_buf_puts(out, "\001auth=Bearer ");
	oa2_buf_puts(out, token);
	oa2_buf_puts(out, "\001\001");
}

/* RFC 5801 saslname: ',' and '=' are escaped as =2C and =3D. */
static void put_saslname(struct oa2_buf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == ',')
			oa2_buf_puts(out, "=2C");
		else if (*s == '=')
			oa2_buf_puts(out, "=3D");
		else
			oa2_buf_putc(out, *s);
	}
}

static void put_pair(struct oa2_buf *out, const char *key, const char *value)
{
	oa2_buf_puts(out, key);
	oa2_buf_putc(out, '=');
	oa2_buf_puts(out, value);
	oa2_buf_putc(out, '\001');
}

void oa2_oauthbearer_response(struct oa2_buf *out, const char *authzid, const char *host,
			      const char *port, const char *token)
{
	oa2_buf_puts(out, "n,");
	if (authzid != NULL) {
		oa2_buf_puts(out, "a=");
		put_saslname(out, authzid);
	}
	oa2_buf_puts(out, ",\001");
	if (host != NULL)
		put_pair(out, "host", host);
	if (port != NULL)
		put_pair(out, "port", port);
	oa2_buf_puts(out, "auth=Bearer ");
	oa2_buf_puts(out, token);
	oa2_buf_puts(out, "\001\001");
}

void oa2_base64_append(struct oa2_buf *out, const void *p, size_t n)
{
	static const char abc[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = p;
	char quad[4];

	for (size_t i = 0; i < n; i += 3) {
		unsigned long v = (unsigned long)s[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (unsigned long)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		quad[0] = abc[(v >> 18) & 63];
		quad[1] = abc[(v >> 12) & 63];
		quad[2] = left > 1 ? abc[(v >> 6) & 63] : '=';
		quad[3] = left > 2 ? abc[v & 63] : '=';
		oa2_buf_put(out, quad, 4);
	}
	OPENSSL_cleanse(quad, sizeof(quad)); /* it held token bytes */
}

/* The protocols whose AUTH command line has a length limit, by libsasl2
 * service name ("pop3" too: some applications register that). */
static const struct {
	const char *service;
	size_t line_max; /* octets, CRLF included */
} auth_line_limits[] = {
	{ "smtp", 512 },
	{ "pop", 255 },
	{ "pop3", 255 },
};

int oa2_auth_line_fits(const char *service, const char *mech, size_t n)
{
	size_t line;

	if (service == NULL)
		return 1;
	/* "AUTH" SP mech SP base64 CRLF; base64 is 4 octets per 3 bytes */
	line = 4 + 1 + strlen(mech) + 1 + (n + 2) / 3 * 4 + 2;
	for (size_t i = 0; i < sizeof(auth_line_limits) / sizeof(auth_line_limits[0]); i++)
		if (strcasecmp(service, auth_line_limits[i].service) == 0)
			return line <= auth_line_limits[i].line_max;
	return 1;
}
