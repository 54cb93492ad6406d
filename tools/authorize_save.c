/* The version 1 token file (sasl-oauth2(7)), written once, at the end. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_store.h"

#include "authorize.h"

static void add_str(struct json_object *obj, const char *key, const char *val)
{
	if (val != NULL)
		json_object_object_add(obj, key, json_object_new_string(val));
}

static struct json_object *token_file(const struct authorize *a,
				      const struct oa2_refresh_result *res, const char *user)
{
	struct json_object *obj = json_object_new_object();
	long long now = (long long)time(NULL);

	if (obj == NULL)
		return NULL;
	json_object_object_add(obj, "version", json_object_new_int(OA2_TOKEN_FILE_VERSION));
	add_str(obj, "provider", a->prov->name);
	add_str(obj, "user", user);
	add_str(obj, "signed_in_as", a->signed_in_as);
	add_str(obj, "client_id", a->client_id);
	add_str(obj, "client_secret", a->client_secret);
	add_str(obj, "token_endpoint", a->prov->token_endpoint);
	add_str(obj, "revocation_endpoint", a->prov->revocation_endpoint);
	add_str(obj, "scope", res->scope ? res->scope : a->prov->scope);
	add_str(obj, "access_token", res->access_token);
	json_object_object_add(obj, "expires_at", json_object_new_int64(
				       now + (res->expires_in > 0 ? res->expires_in : 3600)));
	add_str(obj, "refresh_token", res->refresh_token);
	json_object_object_add(obj, "authorized_at", json_object_new_int64(now));
	return obj;
}

int authorize_save(const struct authorize *a, const struct oa2_refresh_result *res,
		   const char *user, struct oa2_err *err)
{
	struct json_object *obj;
	struct stat like, old;
	int lockfd, rc;

	/* The owner: postfix for --for postfix, else whoever owns the file
	 * being replaced, else the caller. */
	memset(&like, 0, sizeof(like));
	like.st_uid = a->acct->owner;
	like.st_gid = a->acct->group;
	like.st_mode = S_IFREG | 0600;
	if (!a->acct->for_postfix && stat(a->acct->path, &old) == 0 && S_ISREG(old.st_mode)) {
		like.st_uid = old.st_uid;
		like.st_gid = old.st_gid;
	}
	obj = token_file(a, res, user);
	if (obj == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	/* The lock keeps a refresh of the old grant, running right now in
	 * some other process, from writing over the new file. */
	lockfd = oa2_store_lock(a->acct->path, err);
	if (lockfd < 0) {
		oa2_json_put_wiped(obj);
		return OA2_ERR_IO;
	}
	/* Best effort: only root can hand the lock file to postfix, and
	 * everyone else owns it already. */
	(void)!fchown(lockfd, like.st_uid, like.st_gid);
	rc = oa2_store_write(a->acct->path, obj, &like, err);
	oa2_store_unlock(lockfd);
	oa2_json_put_wiped(obj);
	return rc;
}
