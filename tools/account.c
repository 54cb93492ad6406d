#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "account.h"

#define STATE_DIR_ENV "SASL_OAUTH2_STATE_DIR"

static int valid_name(const char *s)
{
	if (s[0] == '\0' || s[0] == '.' || strlen(s) > 200)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._@+-", *s)))
			return 0;
	return 1;
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
	if (!valid_name(arg))
		return oa2_err_set(err, OA2_ERR_INVALID,
				   "\"%s\" is not a valid account name: use letters, digits and "
				   "._@+- (or give a token file path)", arg);
	rc = account_default_dir(for_postfix, cfg, acct->dir, sizeof(acct->dir), err);
	if (rc != OA2_OK)
		return rc;
	snprintf(acct->name, sizeof(acct->name), "%s", arg);
	if (snprintf(acct->path, sizeof(acct->path), "%s/%s.json", acct->dir, arg) >=
	    (int)sizeof(acct->path))
		return oa2_err_set(err, OA2_ERR_INVALID, "%s: path too long", arg);
	return OA2_OK;
}

/* mkdir -p, each new level 0700 (0755 for the levels above the last). */
static int make_dirs(char *path, mode_t last_mode)
{
	char *p = path + 1;
	struct stat st;

	for (;;) {
		char *slash = strchr(p, '/');
		if (slash != NULL)
			*slash = '\0';
		if (stat(path, &st) != 0) {
			if (mkdir(path, slash ? 0755 : last_mode) != 0 && errno != EEXIST) {
				if (slash)
					*slash = '/';
				return -1;
			}
		}
		if (slash == NULL)
			return 0;
		*slash = '/';
		p = slash + 1;
	}
}

int account_make_dir(const struct account *acct, struct oa2_err *err)
{
	char dir[PATH_MAX];
	struct stat st;

	if (stat(acct->dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode))
			return oa2_err_set(err, OA2_ERR_IO, "%s is not a directory", acct->dir);
		return OA2_OK;
	}
	snprintf(dir, sizeof(dir), "%s", acct->dir);
	if (make_dirs(dir, 0700) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot create directory %s: %s", acct->dir,
				   strerror(errno));
	if (acct->for_postfix && chown(acct->dir, acct->owner, acct->group) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot give %s to the postfix user: %s",
				   acct->dir, strerror(errno));
	return OA2_OK;
}
