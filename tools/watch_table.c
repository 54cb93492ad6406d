#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "watch.h"
#include "watch_log.h"

static struct watch_acct *add(struct watch_table *t, const struct account *acct)
{
	struct watch_acct *a;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		struct watch_acct *v = realloc(t->v, cap * sizeof(*v));
		if (v == NULL)
			return NULL;
		t->v = v;
		t->cap = cap;
	}
	a = &t->v[t->n++];
	memset(a, 0, sizeof(*a));
	a->acct = *acct;
	a->seen = 1;
	return a;
}

/* The daemon changes to /: relative token file paths must not break. */
static int absolute(struct account *acct)
{
	char cwd[PATH_MAX], path[PATH_MAX];

	if (getcwd(cwd, sizeof(cwd)) == NULL ||
	    snprintf(path, sizeof(path), "%s/%s", cwd, acct->path) >= (int)sizeof(path))
		return -1;
	memcpy(acct->path, path, sizeof(path));
	return 0;
}

int watch_table_add_args(struct watch_table *t, char **args, int nargs,
			 const struct watch_opts *o, const struct oa2_config *cfg,
			 struct oa2_err *err)
{
	struct account acct;
	struct watch_acct *a;
	int rc;

	t->scan_dir = 0;
	for (int i = 0; i < nargs; i++) {
		rc = account_resolve(args[i], o->for_postfix, cfg, &acct, err);
		if (rc != OA2_OK)
			return rc;
		if (acct.path[0] != '/' && absolute(&acct) != 0)
			return oa2_err_set(err, OA2_ERR_INVALID, "%s: cannot make the path absolute",
					   args[i]);
		if ((a = add(t, &acct)) == NULL)
			return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
		a->by_path = strchr(args[i], '/') != NULL;
	}
	return OA2_OK;
}

static int by_name(const void *x, const void *y)
{
	return strcmp(((const struct watch_acct *)x)->acct.name,
		      ((const struct watch_acct *)y)->acct.name);
}

/* NAME.json, not hidden (our temporary files are .NAME.json.XXXXXX), not a
 * lock file. */
static int account_file_name(const char *d, char *name, size_t n)
{
	size_t len = strlen(d);

	if (d[0] == '.' || len <= 5 || len - 5 >= n || strcmp(d + len - 5, ".json") != 0)
		return 0;
	memcpy(name, d, len - 5);
	name[len - 5] = '\0';
	return 1;
}

void watch_table_scan(struct watch_table *t, const struct watch_opts *o,
		      const struct oa2_config *cfg)
{
	char name[256], path[8192];
	struct account acct;
	struct oa2_err err;
	struct dirent *d;
	struct stat st;
	size_t i, kept;
	DIR *dir;

	if (!t->scan_dir)
		return;
	dir = opendir(t->dir);
	if (dir == NULL) {
		if (t->dir_errno != errno) /* once while it lasts */
			wlog(LOG_WARNING, "account directory %s: %s; nothing to watch until it "
			     "holds token files", t->dir, strerror(errno));
		t->dir_errno = errno;
		/* Keep what we know: a directory that is briefly unreadable
		 * must not make us forget back-off state. */
		return;
	}
	t->dir_errno = 0;
	for (i = 0; i < t->n; i++)
		t->v[i].seen = 0;
	while ((d = readdir(dir)) != NULL) {
		if (!account_file_name(d->d_name, name, sizeof(name)))
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->dir, d->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < t->n; i++)
			if (strcmp(t->v[i].acct.name, name) == 0)
				break;
		if (i < t->n) {
			t->v[i].seen = 1;
			continue;
		}
		if (account_resolve(name, o->for_postfix, cfg, &acct, &err) != OA2_OK) {
			wlog(LOG_DEBUG, "skipping %s: %s", path, err.msg);
			continue;
		}
		if (add(t, &acct) == NULL) {
			wlog(LOG_ERR, "out of memory: %s is not watched", path);
			continue;
		}
		wlog(o->once ? LOG_DEBUG : LOG_INFO, "%s: watching %s", name, acct.path);
	}
	closedir(dir);
	for (i = 0, kept = 0; i < t->n; i++) {
		if (!t->v[i].seen) {
			wlog(LOG_INFO, "%s: token file is gone; no longer watched", t->v[i].acct.name);
			continue;
		}
		if (kept != i)
			t->v[kept] = t->v[i];
		kept++;
	}
	t->n = kept;
	if (t->n > 1)
		qsort(t->v, t->n, sizeof(t->v[0]), by_name);
}

void watch_table_free(struct watch_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
