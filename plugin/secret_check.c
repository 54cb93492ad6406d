#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "plugin_log.h"
#include "secret_check.h"
#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/secret_shape.h"
#include "sasl-oauth2/token.h"

int oa2p_check_direct_token(const sasl_utils_t *u, const char *mech, const char *secret)
{
	size_t len = strlen(secret);

	if (len > OA2_ACCESS_TOKEN_MAX)
		return oa2p_fail(u, SASL_BADPARAM,
				 "sasl-oauth2 %s: the access token given as password is %zu "
				 "bytes, more than the limit of %d", mech, len,
				 OA2_ACCESS_TOKEN_MAX);
	if (oa2_secret_token_shaped(secret, len))
		return SASL_OK;
	return oa2p_fail(u, SASL_BADPARAM,
			 "sasl-oauth2 %s: the password does not look like an access token or a "
			 "token file, so it was not sent (a token is at least %d characters of "
			 "letters, digits and -._~+/, a token file path starts with /). If this "
			 "account logs in with a password, keep XOAUTH2 and OAUTHBEARER away from "
			 "it: in Postfix, smtp_sasl_mechanism_filter = plain, login (see "
			 "sasl-oauth2(7))", mech, OA2_TOKEN_MIN_CHARS);
}

/* The directory part of path, when it exists and says something ("/" does
 * not): a real directory name is no secret, unlike the rest. */
static const char *existing_dir(const char *path, char *buf, size_t n)
{
	struct stat st;
	const char *d;

	if (snprintf(buf, n, "%s", path) >= (int)n)
		return NULL;
	d = dirname(buf);
	if (strcmp(d, "/") == 0 || strcmp(d, ".") == 0 || !oa2_chars_no_controls(d, strlen(d)) ||
	    stat(d, &st) != 0 ||
	    !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

int oa2p_check_token_path(const sasl_utils_t *u, const char *mech, const char *written,
			  const char *path)
{
	char shown[64], dirbuf[PATH_MAX];
	const char *dir;
	struct stat st;
	int e;

	/* Something is there (or a directory on the way exists and cannot be
	 * searched, which the reader explains): a real path, and the reader
	 * reports what is wrong with it. Anything else (no such file, a name
	 * too long for a path, a loop) may be a token that starts with '/':
	 * never logged whole, since a token is a password, unless it lies in
	 * an existing directory (below). */
	if (stat(path, &st) == 0 || errno == EACCES)
		return SASL_OK;
	e = errno;
	dir = existing_dir(path, dirbuf, sizeof(dirbuf));
	/* In an existing directory it is a mistyped path, not a token: show it
	 * as the admin wrote it in the password map (before the chroot prefix
	 * came off), so the entry can be found. */
	if (dir != NULL && oa2_chars_no_controls(written, strlen(written)))
		return oa2p_fail(u, SASL_FAIL,
				 "sasl-oauth2 %s: the password names the token file %s, which "
				 "does not exist (no such file in the directory %s); fix the path "
				 "in the password map", mech, written, dir);
	oa2_secret_prefix(written, shown, sizeof(shown));
	return oa2p_fail(u, SASL_FAIL,
			 "sasl-oauth2 %s: the password starts with /, so it names a token "
			 "file, but %s (%s); give the absolute path of an existing token "
			 "file, or put an access token that starts with / into a token file",
			 mech, e == ENOENT || e == ENOTDIR ? "there is no file at that path" :
			 e == ENAMETOOLONG ? "it is too long to be a path" :
			 "it cannot be opened as one", shown);
}
