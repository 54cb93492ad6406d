#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdutil.h"
#include "sasl-oauth2/suggest.h"

int cli_bad_option(const struct cli_command *cmd, int c, char **argv)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		return cli_usage_error(cmd, "option %s requires an argument", arg);
	if (optopt != 0 && strncmp(arg, "--", 2) != 0)
		return cli_usage_error(cmd, "unknown option -%c", optopt);
	return cli_usage_error(cmd, "unknown option %s", arg);
}

int cli_parse_for(const struct cli_command *cmd, const char *value, int *for_postfix)
{
	if (strcmp(value, "postfix") != 0)
		return cli_usage_error(cmd, "--for takes \"postfix\", not \"%s\"", value);
	*for_postfix = 1;
	return CLI_OK;
}

int cli_parse_seconds(const struct cli_command *cmd, const char *name, const char *value,
		      long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (value[0] < '0' || value[0] > '9' || *end != '\0' || errno != 0 || v > max)
		return cli_usage_error(cmd, "%s takes a number of seconds from 0 to %ld, not "
				       "\"%s\"", name, max, value);
	*out = v;
	return CLI_OK;
}

int cli_resolve(const struct cli *cli, const char *arg, int for_postfix, struct account *acct)
{
	struct oa2_err err;
	int rc = account_resolve(arg, for_postfix, &cli->cfg, acct, &err);

	if (rc == OA2_OK)
		return CLI_OK;
	cli_error("%s", err.msg);
	return rc == OA2_ERR_INVALID ? CLI_USAGE : cli_exit_for(rc);
}

void cli_account_label(const struct account *acct, const char *arg, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s", arg, acct->for_postfix ? " --for postfix" : "");
}

int cli_account_missing(const struct account *acct)
{
	struct stat st;

	return lstat(acct->path, &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

/* Non-zero when acct (a name, not --for postfix) is one of Postfix's. */
static int postfix_has(const struct oa2_config *cfg, const struct account *acct,
		       const char *arg, char *path, size_t n)
{
	struct account pf;
	struct stat st;

	if (acct->for_postfix || strchr(arg, '/') != NULL ||
	    account_resolve(arg, 1, cfg, &pf, NULL) != OA2_OK ||
	    lstat(pf.path, &st) != 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(path, n, "%s", pf.path);
	return 1;
}

void cli_no_account_msg(const struct oa2_config *cfg, const struct account *acct,
			const char *arg, char *buf, size_t n)
{
	const char *pf = acct->for_postfix ? " --for postfix" : "";
	char near[300], theirs[PATH_MAX];

	if (postfix_has(cfg, acct, arg, theirs, sizeof(theirs))) {
		snprintf(buf, n, "no account \"%s\" in %s; %s is Postfix's account (%s): add "
			 "--for postfix", arg, acct->dir, arg, theirs);
		return;
	}
	cli_account_suggestion(acct->dir, arg, near, sizeof(near));
	if (strchr(arg, '/') == NULL)
		snprintf(buf, n, "no account \"%s\"%s (there is no token file %s); create it with: "
			 "sasl-oauth2 authorize %s --provider PROVIDER%s (or import a token "
			 "file: sasl-oauth2 import FILE %s%s)", arg, near, acct->path, arg, pf, arg,
			 pf);
	else
		snprintf(buf, n, "there is no token file %s; create it with: sasl-oauth2 "
			 "authorize %s --provider PROVIDER%s", acct->path, acct->path, pf);
}

int cli_store_failed(const struct oa2_config *cfg, const struct account *acct, const char *arg,
		     int rc, const struct oa2_err *err)
{
	char msg[OA2_ERR_MSG_MAX];

	if (rc == OA2_ERR_IO && cli_account_missing(acct)) {
		cli_no_account_msg(cfg, acct, arg, msg, sizeof(msg));
		cli_error("%s", msg);
		return CLI_NOACCOUNT;
	}
	cli_error("%s", err->msg);
	return cli_exit_for(rc);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NAME for "NAME.json" (not hidden, a valid account name), else NULL. */
static char *account_name(const char *file)
{
	size_t n = strlen(file);

	if (file[0] == '.' || n <= 5 || strcmp(file + n - 5, ".json") != 0)
		return NULL;
	return strndup(file, n - 5);
}

int cli_list_accounts(int for_postfix, const struct oa2_config *cfg, char *dir, size_t dirlen,
		      char ***names, size_t *count, struct oa2_err *err)
{
	int rc;

	*names = NULL;
	*count = 0;
	rc = account_default_dir(for_postfix, cfg, dir, dirlen, err);
	if (rc != OA2_OK)
		return rc;
	return cli_list_accounts_in(dir, names, count, err);
}

void cli_account_suggestion(const char *dir, const char *name, char *buf, size_t n)
{
	char **names;
	size_t count;

	buf[0] = '\0';
	if (strchr(name, '/') != NULL || cli_list_accounts_in(dir, &names, &count, NULL) != OA2_OK)
		return;
	oa2_suggest_phrase(name, (const char *const *)names, count, buf, n);
	cli_names_free(names, count);
}

int cli_list_accounts_in(const char *dir, char ***names, size_t *count, struct oa2_err *err)
{
	struct dirent *e;
	char **v = NULL, **grown, *name;
	size_t n = 0, cap = 0;
	DIR *d;

	*names = NULL;
	*count = 0;
	d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? OA2_OK
				       : oa2_err_set(err, OA2_ERR_IO, "cannot list %s: %s", dir,
						     strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if ((name = account_name(e->d_name)) == NULL)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (grown == NULL) {
				free(name);
				break;
			}
			v = grown;
		}
		v[n++] = name;
	}
	closedir(d);
	if (e != NULL) {
		cli_names_free(v, n);
		return oa2_err_set(err, OA2_ERR_NOMEM, "listing %s: out of memory", dir);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), by_name);
	*names = v;
	*count = n;
	return OA2_OK;
}

void cli_names_free(char **names, size_t count)
{
	if (names == NULL)
		return;
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

int cli_url_host(const char *url, char *buf, size_t n)
{
	const char *p = strstr(url, "://"), *end, *at, *stop;
	size_t len;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	at = memchr(p, '@', (size_t)(end - p));
	if (at != NULL)
		p = at + 1;
	if (*p == '[') { /* an IPv6 literal keeps its brackets */
		stop = memchr(p, ']', (size_t)(end - p));
		if (stop == NULL)
			return -1;
		stop++;
	} else {
		stop = memchr(p, ':', (size_t)(end - p));
		if (stop == NULL)
			stop = end;
	}
	len = (size_t)(stop - p);
	if (len == 0 || len >= n)
		return -1;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

static int severity(int code)
{
	return code == CLI_OK ? 0 : code == CLI_TEMPFAIL ? 1 : 2;
}

int cli_worse(int a, int b)
{
	return severity(b) > severity(a) ? b : a;
}
