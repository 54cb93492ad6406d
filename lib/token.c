#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"

int oa2_secret_is_path(const char *secret)
{
	return secret != NULL && secret[0] == '/';
}

/* RFC 6750's b64token is a subset of visible ASCII; anything else (spaces,
 * control bytes such as the 0x01 separator) would corrupt the SASL message. */
static int valid_token_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

static int valid_user_chars(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

int oa2_token_parse(const char *text, size_t len, const char *origin,
		    struct oa2_token *tok, struct oa2_err *err)
{
	struct json_object *obj = NULL;
	const char *at, *user;
	size_t at_len, user_len;
	long long exp;
	struct oa2_token t = { 0 };
	int rc;

	if (len > OA2_TOKEN_FILE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG,
				   "%s is %zu bytes, more than the limit of %d",
				   origin, len, OA2_TOKEN_FILE_MAX);
	rc = oa2_json_parse_object(text, len, origin, &obj, err);
	if (rc != OA2_OK)
		return rc;

	rc = oa2_json_get_string(obj, "access_token", OA2_ACCESS_TOKEN_MAX, &at, &at_len,
				 origin, err);
	if (rc != OA2_OK)
		goto out;
	if (at == NULL || at_len == 0) {
		rc = oa2_err_set(err, OA2_ERR_MISSING,
				 "%s: no \"access_token\" field; authorize the account again",
				 origin);
		goto out;
	}
	if (!valid_token_chars(at, at_len)) {
		rc = oa2_err_set(err, OA2_ERR_PARSE,
				 "%s: field \"access_token\" contains spaces or control characters",
				 origin);
		goto out;
	}
	rc = oa2_json_get_string(obj, "user", OA2_USER_MAX, &user, &user_len, origin, err);
	if (rc != OA2_OK)
		goto out;
	if (user != NULL && !valid_user_chars(user, user_len)) {
		rc = oa2_err_set(err, OA2_ERR_PARSE,
				 "%s: field \"user\" contains control characters", origin);
		goto out;
	}
	rc = oa2_json_get_time(obj, "expires_at", &exp, origin, err);
	if (rc == OA2_OK && exp == 0)
		rc = oa2_json_get_time(obj, "expiry", &exp, origin, err);
	if (rc != OA2_OK)
		goto out;

	t.access_token = oa2_secret_strndup(at, at_len);
	t.user = (user != NULL && user_len > 0) ? oa2_secret_strndup(user, user_len) : NULL;
	t.expires_at = exp;
	if (t.access_token == NULL || (user != NULL && user_len > 0 && t.user == NULL)) {
		oa2_token_clear(&t);
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "%s: out of memory", origin);
		goto out;
	}
	*tok = t;
out:
	oa2_json_put_wiped(obj);
	return rc;
}

/* Reads at most max+1 bytes so an oversize file is detected without reading
 * it whole. */
static int read_bounded(int fd, struct oa2_buf *b, size_t max)
{
	char chunk[4096];

	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			OPENSSL_cleanse(chunk, sizeof(chunk));
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		if (oa2_buf_put(b, chunk, (size_t)n) != 0)
			break;
		if (b->len > max)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	return 0;
}

int oa2_token_load(const char *path, struct oa2_token *tok, struct stat *st,
		   struct oa2_err *err)
{
	char origin[64 + 4096];
	struct oa2_buf b;
	struct stat sb;
	int fd, rc;

	snprintf(origin, sizeof(origin), "token file %s", path);
	/* O_NONBLOCK: a FIFO planted at the path must not hang the mail client. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "%s: cannot open: %s", origin,
				   strerror(errno));
	if (fstat(fd, &sb) != 0) {
		rc = oa2_err_set(err, OA2_ERR_IO, "%s: cannot stat: %s", origin,
				 strerror(errno));
		close(fd);
		return rc;
	}
	if (!S_ISREG(sb.st_mode)) {
		close(fd);
		return oa2_err_set(err, OA2_ERR_IO, "%s: not a regular file", origin);
	}
	if (sb.st_size > OA2_TOKEN_FILE_MAX) {
		close(fd);
		return oa2_err_set(err, OA2_ERR_TOOBIG,
				   "%s is %lld bytes, more than the limit of %d", origin,
				   (long long)sb.st_size, OA2_TOKEN_FILE_MAX);
	}
	/* Room for one chunk past the limit: overflow is detected by length. */
	oa2_buf_init(&b, OA2_TOKEN_FILE_MAX + 4096);
	if (read_bounded(fd, &b, OA2_TOKEN_FILE_MAX) != 0) {
		rc = oa2_err_set(err, OA2_ERR_IO, "%s: cannot read: %s", origin,
				 strerror(errno));
	} else if (b.failed) {
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "%s: out of memory", origin);
	} else if (b.len > OA2_TOKEN_FILE_MAX) {
		rc = oa2_err_set(err, OA2_ERR_TOOBIG, "%s is more than the limit of %d bytes",
				 origin, OA2_TOKEN_FILE_MAX);
	} else if (b.len == 0) {
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s is empty; authorize the account again",
				 origin);
	} else {
		rc = oa2_token_parse(b.data, b.len, origin, tok, err);
	}
	close(fd);
	oa2_buf_clear(&b);
	if (rc == OA2_OK && st != NULL)
		*st = sb;
	return rc;
}

int oa2_token_copy(struct oa2_token *dst, const struct oa2_token *src)
{
	struct oa2_token t = { 0 };

	t.access_token = oa2_secret_strndup(src->access_token, strlen(src->access_token));
	if (src->user != NULL)
		t.user = oa2_secret_strndup(src->user, strlen(src->user));
	t.expires_at = src->expires_at;
	if (t.access_token == NULL || (src->user != NULL && t.user == NULL)) {
		oa2_token_clear(&t);
		return OA2_ERR_NOMEM;
	}
	*dst = t;
	return OA2_OK;
}

void oa2_token_clear(struct oa2_token *tok)
{
	oa2_secret_free_str(tok->access_token);
	oa2_secret_free_str(tok->user);
	memset(tok, 0, sizeof(*tok));
}
