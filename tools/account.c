#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account.h"
#include "sasl-oauth2/account_name.h"

#define STATE_DIR_ENV "SASL_OAUTH2_STATE_DIR"

int account_name_check(const char *arg, char *name, size_t n, struct oa2_err *err)
{
	size_t len = strlen(arg);

	/* "x.json" is the file of account "x", never "x.json.json". */
	if (len > 5 && strcmp(arg + len - 5, ".json") == 0)
		len -= 5;
	if (!oa2_account_name_ok(arg, len) || len >= n)
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "\"%s\" is not a valid account name: use 1 to %d letters, digits "
				   "and ._@+- starting with a letter or digit, without \"..\" (or "
				   "give a token file path starting with / or ./)", arg,
				   OA2_ACCOUNT_NAME_MAX);
	memcpy(name, arg, len);
	name[len] = '\0';
	return OA2_OK;
}

/* A token file path: absolute or ./relative, without ".." components, so
 * that what it names is plain to see. */
static int path_check(const char *arg, struct oa2_err *err)
{
	const char *p = arg;

	if (arg[0] != '/' && strncmp(arg, "./", 2) != 0)
		return oa2_err_set(err, OA2_ERR_INVALID, "\"%s\" is neither an account name nor "
				   "a token file path: a path starts with / or ./", arg);
	for (; p != NULL; p = strchr(p, '/') ? strchr(p, '/') + 1 : NULL)
		if (strncmp(p, "..", 2) == 0 && (p[2] == '/' || p[2] == '\0'))
			return oa2_err_set(err, OA2_ERR_INVALID, "\"%s\": a token file path may "
					   "not contain \"..\"", arg);
	return OA2_OK;
}

int account_default_dir(int for_postfix, const struct oa2_config *cfg, char *buf, size_t n,
			struct oa2_err *err)
{
	const char *env = getenv(STATE_DIR_ENV), *xdg, *home;
	int w;

	if (for_postfix)
		w = snprintf(buf, n, "%s/etc/sasl-oauth2", cfg->chroot_dir);
	else if (env != NULL && env[0] == '/')
		w = snprintf(buf, n, "%s", env);
	else if (geteuid() == 0)
		w = snprintf(buf, n, "/var/lib/sasl-oauth2");
	else if ((xdg = getenv("XDG_STATE_HOME")) != NULL && xdg[0] == '/')
		w = snprintf(buf, n, "%s/sasl-oauth2", xdg);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/')
		w = snprintf(buf, n, "%s/.local/state/sasl-oauth2", home);
	else
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "cannot find your state directory: set HOME or %s", STATE_DIR_ENV);
	if (w < 0 || (size_t)w >= n)
		return oa2_err_set(err, OA2_ERR_INVALID, "state directory path too long");
	return OA2_OK;
}

int account_keys_dir(int for_postfix, const struct oa2_config *cfg, char *buf, size_t n,
		     struct oa2_err *err)
{
	size_t len;
	int rc = account_default_dir(for_postfix, cfg, buf, n, err);

	if (rc != OA2_OK)
		return rc;
	len = strlen(buf);
	if (len + sizeof("/keys") > n)
		return oa2_err_set(err, OA2_ERR_INVALID, "state directory path too long");
	memcpy(buf + len, "/keys", sizeof("/keys"));
	return OA2_OK;
}

int account_resolve(const char *arg, int for_postfix, const struct oa2_config *cfg,
		    struct account *acct, struct oa2_err *err)
{
	struct passwd *pw;
	const char *slash, *base;
	int rc;

	memset(acct, 0, sizeof(*acct));
	acct->for_postfix = for_postfix;
	acct->owner = geteuid();
	acct->group = getegid();
	if (for_postfix) {
		pw = getpwnam("postfix");
		if (pw == NULL)
			return oa2_err_set(err, OA2_ERR_INVALID,
					   "--for postfix: there is no postfix user on this host");
		acct->owner = pw->pw_uid;
		acct->group = pw->pw_gid;
	}
	if (strchr(arg, '/') != NULL) {
		if (path_check(arg, err) != OA2_OK)
			return OA2_ERR_INVALID;
		if (snprintf(acct->path, sizeof(acct->path), "%s", arg) >= (int)sizeof(acct->path))
			return oa2_err_set(err, OA2_ERR_INVALID, "%s: path too long", arg);
		slash = strrchr(acct->path, '/');
		base = slash + 1;
		snprintf(acct->dir, sizeof(acct->dir), "%.*s", (int)(slash - acct->path),
			 acct->path);
		if (acct->dir[0] == '\0')
			snprintf(acct->dir, sizeof(acct->dir), "/");
		snprintf(acct->name, sizeof(acct->name), "%.*s",
			 (int)(strlen(base) > 5 && strcmp(base + strlen(base) - 5, ".json") == 0
				       ? strlen(base) - 5 : strlen(base)), base);
		return OA2_OK;
	}
	rc = account_name_check(arg, acct->name, sizeof(acct->name), err);
	if (rc != OA2_OK)
		return rc;
	rc = account_default_dir(for_postfix, cfg, acct->dir, sizeof(acct->dir), err);
	if (rc != OA2_OK)
		return rc;
	if (snprintf(acct->path, sizeof(acct->path), "%s/%s.json", acct->dir, acct->name) >=
	    (int)sizeof(acct->path))
		return oa2_err_set(err, OA2_ERR_INVALID, "%s: path too long", arg);
	return OA2_OK;
}
