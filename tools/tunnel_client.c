/* The client's side of the tunnel before sign-in: bounded reads from stdin,
 * whole writes to stdout. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "tunnel.h"
#include "sasl-oauth2/io.h"

/* Reads more input; a client that sends nothing for TUN_CLIENT_TIMEOUT_S
 * is gone (the server would have dropped it long before). */
static int fill(struct tun_client *c, struct oa2_err *err)
{
	struct pollfd p = { .fd = c->in, .events = POLLIN };
	ssize_t n;
	int r;

	do
		r = poll(&p, 1, TUN_CLIENT_TIMEOUT_S * 1000);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		return oa2_err_set(err, OA2_ERR_NET, "the client sent nothing for %d s",
				   TUN_CLIENT_TIMEOUT_S);
	do
		n = read(c->in, c->buf + c->len, sizeof(c->buf) - c->len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return OA2_OK;
	if (n < 0)
		return oa2_err_set(err, OA2_ERR_NET, "reading from the client: %s", strerror(errno));
	if (n == 0)
		return oa2_err_set(err, OA2_ERR_NET, "the client hung up");
	c->len += (size_t)n;
	return OA2_OK;
}

static void take(struct tun_client *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

int tun_client_line(struct tun_client *c, char *line, size_t n, size_t *len,
		    struct oa2_err *err)
{
	char *nl;
	size_t k;
	int rc;

	while ((nl = memchr(c->buf, '\n', c->len)) == NULL) {
		if (c->len >= n || c->len == sizeof(c->buf))
			return oa2_err_set(err, OA2_ERR_TOOBIG, "the client sent a line of more "
					   "than %zu bytes before logging in", n - 1);
		if ((rc = fill(c, err)) != OA2_OK)
			return rc;
	}
	k = (size_t)(nl - c->buf);
	if (k >= n)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "the client sent a line of more than %zu "
				   "bytes before logging in", n - 1);
	memcpy(line, c->buf, k);
	line[k] = '\0';
	take(c, k + 1);
	if (k > 0 && line[k - 1] == '\r')
		line[--k] = '\0';
	*len = k;
	return OA2_OK;
}

int tun_client_bytes(struct tun_client *c, char *p, size_t n, struct oa2_err *err)
{
	while (n > 0) {
		size_t k;
		int rc;

		if (c->len == 0 && (rc = fill(c, err)) != OA2_OK)
			return rc;
		k = c->len < n ? c->len : n;
		memcpy(p, c->buf, k);
		take(c, k);
		p += k;
		n -= k;
	}
	return OA2_OK;
}

int tun_client_say(struct tun_client *c, const char *fmt, ...)
{
	char text[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(text))
		return -1;
	return oa2_write_all(c->out, text, (size_t)n);
}

int tun_plain_user(const char *b64, char *user, size_t n)
{
	unsigned char raw[TUN_LINE_MAX];
	size_t len = strlen(b64), pad = 0;
	const unsigned char *authcid, *pass;
	int k;

	if (len % 4 != 0 || len / 4 * 3 > sizeof(raw))
		return -1;
	if (len > 0 && b64[len - 1] == '=')
		pad++;
	if (len > 1 && b64[len - 2] == '=')
		pad++;
	k = len == 0 ? 0 : EVP_DecodeBlock(raw, (const unsigned char *)b64, (int)len);
	if (k < 0 || (size_t)k < pad)
		return -1;
	k -= (int)pad;
	/* authzid NUL authcid NUL password */
	authcid = memchr(raw, '\0', (size_t)k);
	pass = authcid == NULL ? NULL : memchr(authcid + 1, '\0', (size_t)(raw + k - authcid - 1));
	if (pass == NULL || (size_t)(pass - authcid - 1) >= n) {
		OPENSSL_cleanse(raw, sizeof(raw));
		return -1;
	}
	memcpy(user, authcid + 1, (size_t)(pass - authcid - 1));
	user[pass - authcid - 1] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}
