#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/io.h"
#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/health.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token_lock.h"
#include "sasl-oauth2/token_store.h"

int oa2_store_read(const char *path, struct json_object **obj, struct oa2_token *tok,
		   struct stat *st, struct oa2_err *err)
{
	char origin[64 + PATH_MAX];
	struct oa2_buf b;
	struct oa2_err why;
	struct stat sb;
	char chunk[4096];
	int fd, rc = OA2_OK;

	snprintf(origin, sizeof(origin), "token file %s", path);
	fd = oa2_safe_open(path, O_RDONLY, OA2_SAFE_EXISTING, "token file", &sb, &why);
	if (fd < 0 && why.rc == OA2_ERR_IO && errno == EACCES)
		/* Say who: inside Postfix the reader is the postfix user, not the
		 * admin who made the file. */
		return oa2_err_set(err, OA2_ERR_IO, "%s: cannot open: Permission denied: the user "
				   "reading it (uid %u) needs read permission on it and search "
				   "permission on each directory above it; token files belong to the "
				   "user that uses them (postfix for Postfix), mode 0600", origin,
				   (unsigned)geteuid());
	if (fd < 0) {
		if (err != NULL)
			*err = why;
		return why.rc;
	}
	if (oa2_token_check_mode(path, &sb, err) != OA2_OK) {
		close(fd);
		return OA2_ERR_UNSAFE;
	}
	oa2_buf_init(&b, OA2_TOKEN_FILE_MAX + sizeof(chunk));
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = oa2_err_set(err, OA2_ERR_IO, "%s: cannot read: %s", origin, strerror(errno));
			break;
		}
		if (n == 0 || oa2_buf_put(&b, chunk, (size_t)n) != 0 || b.len > OA2_TOKEN_FILE_MAX)
			break;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
	close(fd);
	if (rc == OA2_OK && b.failed)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "%s: out of memory", origin);
	else if (rc == OA2_OK && b.len > OA2_TOKEN_FILE_MAX)
		rc = oa2_err_set(err, OA2_ERR_TOOBIG, "%s is more than the limit of %d bytes",
				 origin, OA2_TOKEN_FILE_MAX);
	else if (rc == OA2_OK && b.len == 0)
		rc = oa2_err_set(err, OA2_ERR_PARSE, "%s is empty; authorize the account again",
				 origin);
	if (rc == OA2_OK)
		rc = oa2_json_parse_object(b.data, b.len, origin, obj, err);
	oa2_buf_clear(&b);
	if (rc != OA2_OK)
		return rc;
	rc = oa2_token_from_json(*obj, origin, tok, err);
	if (rc != OA2_OK) {
		oa2_json_put_wiped(*obj);
		*obj = NULL;
		return rc;
	}
	if (st != NULL)
		*st = sb;
	return OA2_OK;
}

int oa2_store_load(const char *path, struct oa2_token *tok, struct stat *st,
		   struct oa2_err *err)
{
	struct json_object *obj = NULL;
	int rc = oa2_store_read(path, &obj, tok, st, err);

	oa2_json_put_wiped(obj);
	return rc;
}

int oa2_store_write(const char *path, struct json_object *obj, const struct stat *like,
		    struct oa2_err *err)
{
	char origin[PATH_MAX + 16];
	const char *text;
	size_t len;
	int rc;

	(void)like; /* token files are 0600 whatever the old mode was */
	snprintf(origin, sizeof(origin), "token file %s", path);
	rc = oa2_token_check_fields(obj, origin, err);
	if (rc != OA2_OK)
		return rc;
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "token file %s: out of memory", path);
	len = strlen(text);
	rc = oa2_safe_replace(path, "token file", text, len, 0600, err);
	/* json-c keeps the serialised text, secrets included, inside obj. */
	OPENSSL_cleanse((char *)text, len);
	return rc;
}

/* Writers killed between mkstemp and rename leave ".NAME.XXXXXX" behind,
 * each holding tokens. Called with the lock held; only files older than ten
 * minutes go, so a writer that takes no lock (a new authorization) is never
 * disturbed. */
static void remove_stale_temps(const char *path)
{
	char dir[PATH_MAX], base[PATH_MAX], prefix[PATH_MAX + 2], full[PATH_MAX * 2];
	struct dirent *e;
	struct stat st;
	size_t plen;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	snprintf(prefix, sizeof(prefix), ".%s.", basename(base));
	plen = strlen(prefix);
	if ((d = opendir(dirname(dir))) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, plen) != 0 || strlen(e->d_name) != plen + 6)
			continue;
		snprintf(full, sizeof(full), "%s/%s", dir, e->d_name);
		if (lstat(full, &st) == 0 && S_ISREG(st.st_mode) && st.st_mtime < time(NULL) - 600)
			unlink(full);
	}
	closedir(d);
}

long oa2_store_margin(const struct oa2_token *tok, const struct oa2_config *cfg)
{
	return tok->refresh_window >= 0 ? (long)tok->refresh_window : cfg->refresh_margin;
}

int oa2_store_needs_refresh(const struct oa2_token *tok, long margin, long long now)
{
	return margin == OA2_MARGIN_FORCE || tok->rejected_at != 0 ||
	       (tok->expires_at != 0 && tok->expires_at - now <= margin);
}

int oa2_store_still_valid(const struct oa2_token *tok, long long now)
{
	return tok->rejected_at == 0 && (tok->expires_at == 0 || tok->expires_at > now);
}

static int set_str(struct json_object *obj, const char *key, const char *val)
{
	struct json_object *old;

	/* Wipe the value being replaced: it may be a token. */
	if (json_object_object_get_ex(obj, key, &old) && json_object_is_type(old, json_type_string))
		OPENSSL_cleanse((char *)json_object_get_string(old),
				(size_t)json_object_get_string_len(old));
	return json_object_object_add(obj, key, json_object_new_string(val));
}

static void set_int(struct json_object *obj, const char *key, long long v)
{
	json_object_object_add(obj, key, json_object_new_int64(v));
}

static void record_error(struct json_object *obj, const struct oa2_token_response *res,
			 const char *message, long long now)
{
	struct json_object *e = json_object_new_object();

	json_object_object_add(e, "at", json_object_new_int64(now));
	if (res->status)
		json_object_object_add(e, "http_status", json_object_new_int64(res->status));
	if (res->error[0])
		json_object_object_add(e, "error", json_object_new_string(res->error));
	if (res->description[0])
		json_object_object_add(e, "error_description",
				       json_object_new_string(res->description));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(obj, "last_error", e);
}

/* Moves the grant's result into the file's JSON. */
static void apply_result(struct json_object *obj, const struct oa2_token_response *res,
			 long long now)
{
	long long expires_at = now + (res->expires_in > 0 ? res->expires_in : 3600);
	char digits[32];

	/* An app-only file says version 2; a refresh must not lower it. */
	if (!json_object_object_get_ex(obj, "version", NULL))
		set_int(obj, "version", OA2_TOKEN_FILE_VERSION);
	set_str(obj, "access_token", res->access_token);
	set_int(obj, "expires_at", expires_at);
	if (json_object_object_get_ex(obj, "expiry", NULL)) {
		/* tarickb/sasl-xoauth2 reads this one; keep it true. */
		snprintf(digits, sizeof(digits), "%lld", expires_at);
		set_str(obj, "expiry", digits);
	}
	if (res->refresh_token != NULL)
		set_str(obj, "refresh_token", res->refresh_token);
	if (res->scope != NULL)
		set_str(obj, "scope", res->scope);
	set_int(obj, "refreshed_at", now);
	json_object_object_del(obj, "last_error");
	json_object_object_del(obj, "rejected_at");
}

/* A refresh spends the refresh token: strict-rotation providers invalidate
 * it as soon as they answer, so a result that cannot be saved loses the
 * grant. Before asking, make sure a temporary file can be created beside
 * the token file, as oa2_store_write will. */
static int check_writable(const char *path, struct oa2_err *err)
{
	char dir[PATH_MAX], base[PATH_MAX], tmp[PATH_MAX];
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	snprintf(base, sizeof(base), "%s", path);
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dirname(dir), basename(base)) >=
	    (int)sizeof(tmp))
		return oa2_err_set(err, OA2_ERR_INVALID, "token file %s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return oa2_err_set(err, OA2_ERR_UNWRITABLE, "token file %s: not refreshed, so as not to "
				   "spend the refresh token on a result that cannot be saved: cannot "
				   "create a file in %s (%s); the directory must be writable by the "
				   "user that refreshes the token (uid %u)", path, dir,
				   strerror(errno), (unsigned)geteuid());
	close(fd);
	unlink(tmp);
	return OA2_OK;
}

/* When the lock cannot be taken (a directory the refreshing user cannot
 * write, and no lock file yet), a token that is still valid is used as it
 * is: *tok filled, *notice says why it was not refreshed. */
static int use_current(const char *path, long long now, struct oa2_token *tok,
		       struct oa2_err *err, struct oa2_err *notice)
{
	struct json_object *obj = NULL;
	struct oa2_token cur;
	struct oa2_err rerr;

	if (oa2_store_read(path, &obj, &cur, NULL, &rerr) != OA2_OK)
		return err->rc;
	oa2_json_put_wiped(obj);
	if (!oa2_store_still_valid(&cur, now)) {
		oa2_token_clear(&cur);
		return err->rc;
	}
	*tok = cur;
	*notice = *err;
	/* A planted lock (OA2_ERR_UNSAFE) stays what it is. */
	if (err->rc == OA2_ERR_IO)
		notice->rc = OA2_ERR_UNWRITABLE;
	return OA2_OK;
}

int oa2_store_refresh(const char *path, const char *account, const struct oa2_config *cfg,
		      long margin, struct oa2_token *tok, struct oa2_err *err,
		      struct oa2_err *notice, int *renewed)
{
	struct json_object *obj = NULL;
	struct oa2_token_response res;
	struct oa2_token cur;
	struct oa2_err why, werr;
	struct stat st;
	long long now;
	int lockfd, rc, shared;

	notice->msg[0] = '\0';
	notice->rc = OA2_OK;
	if (renewed != NULL)
		*renewed = 0;
	memset(&res, 0, sizeof(res));
	lockfd = oa2_token_lock_for_refresh(path, &shared, err);
	if (lockfd < 0)
		return use_current(path, (long long)time(NULL), tok, err, notice);
	for (;;) {
		/* Another process may have refreshed while we waited. */
		rc = oa2_store_read(path, &obj, &cur, &st, err);
		if (rc != OA2_OK)
			goto out_unlocked;
		now = (long long)time(NULL);
		if (margin == OA2_MARGIN_DEFAULT)
			margin = oa2_store_margin(&cur, cfg);
		if (!oa2_store_needs_refresh(&cur, margin, now)) {
			/* Renewed by the process we waited for (or by one before
			 * our unlocked read, which the caller tells apart). */
			*tok = cur;
			if (renewed != NULL)
				*renewed = 1;
			goto out;
		}
		if (!shared)
			break;
		/* The other process failed: refresh ourselves. */
		oa2_token_clear(&cur);
		oa2_json_put_wiped(obj);
		obj = NULL;
		if (oa2_token_lock_upgrade(lockfd, path, err) != 0) {
			rc = OA2_ERR_IO;
			goto out_unlocked;
		}
		shared = 0;
	}
	remove_stale_temps(path);

	/* The file's grant kind knows how to renew it (grant.h), once the
	 * result is known to be savable. */
	rc = check_writable(path, &why);
	if (rc == OA2_OK)
		rc = oa2_grant_renew(path, account, cfg, &cur, &res, &why);

	if (rc == OA2_OK) {
		/* Persist first: with rotation the old refresh token may be dead. */
		apply_result(obj, &res, now);
		rc = oa2_store_write(path, obj, &st, &werr);
		oa2_token_clear(&cur);
		if (oa2_token_from_json(obj, path, tok, err) != OA2_OK) {
			rc = OA2_ERR_NOMEM;
			goto out;
		}
		if (rc != OA2_OK) /* the token works, but the file kept the old one */
			*notice = werr;
		if (renewed != NULL)
			*renewed = 1;
		oa2_health_record(path, OA2_OK, NULL, now);
		rc = OA2_OK;
		goto out;
	}
	oa2_health_record(path, rc, why.msg, now);

	if (rc == OA2_ERR_DENIED || rc == OA2_ERR_NOREFRESH) {
		record_error(obj, &res, why.msg, now);
		/* Recording is best effort: the refusal itself is what the admin
		 * must see, and it is reported either way. */
		(void)oa2_store_write(path, obj, &st, &werr);
	}
	if (oa2_store_still_valid(&cur, now)) {
		/* Temporary trouble or not: the current token still works. */
		*tok = cur;
		*notice = why;
		rc = OA2_OK;
		goto out;
	}
	oa2_token_clear(&cur);
	*err = why;
out:
	oa2_json_put_wiped(obj);
out_unlocked:
	oa2_token_response_clear(&res);
	oa2_token_unlock(lockfd);
	return rc;
}

int oa2_store_mark_rejected(const char *path, const char *access_token, struct oa2_err *err)
{
	struct json_object *obj = NULL;
	struct oa2_token cur;
	struct stat st;
	int lockfd, rc;

	lockfd = oa2_token_lock(path, err);
	if (lockfd < 0)
		return err->rc;
	rc = oa2_store_read(path, &obj, &cur, &st, err);
	if (rc == OA2_OK) {
		/* Only if no one replaced the token meanwhile. */
		if (cur.access_token != NULL && strcmp(cur.access_token, access_token) == 0) {
			set_int(obj, "rejected_at", (long long)time(NULL));
			rc = oa2_store_write(path, obj, &st, err);
		}
		oa2_token_clear(&cur);
		oa2_json_put_wiped(obj);
	}
	oa2_token_unlock(lockfd);
	return rc;
}
