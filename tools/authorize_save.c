/* The version 1 token file (sasl-oauth2(7)), written once, at the end. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <json-c/json.h>

#include "sasl-oauth2/json.h"
#include "sasl-oauth2/token_store.h"

#include "authorize.h"
#include "privsep.h"
#include "sasl-oauth2/health.h"
#include "sasl-oauth2/token_lock.h"

static struct json_object *token_file(const struct authorize *a,
				      const struct oa2_token_response *res, const char *user)
{
	struct json_object *obj = json_object_new_object();
	long long now = (long long)time(NULL);
	int bad = 0;

	if (obj == NULL)
		return NULL;
	json_object_object_add(obj, "version", json_object_new_int(OA2_TOKEN_FILE_VERSION));
	bad |= oa2_json_set_string(obj, "provider", a->prov->name);
	bad |= oa2_json_set_string(obj, "user", user);
	bad |= oa2_json_set_string(obj, "signed_in_as", a->signed_in_as);
	bad |= oa2_json_set_string(obj, "client_id", a->client_id);
	bad |= oa2_json_set_string(obj, "client_secret", a->client_secret);
	bad |= oa2_json_set_string(obj, "token_endpoint", a->prov->token_endpoint);
	bad |= oa2_json_set_string(obj, "revocation_endpoint", a->prov->revocation_endpoint);
	bad |= oa2_json_set_string(obj, "scope", res->scope ? res->scope : a->prov->scope);
	bad |= oa2_json_set_string(obj, "access_token", res->access_token);
	json_object_object_add(obj, "expires_at", json_object_new_int64(
				       now + (res->expires_in > 0 ? res->expires_in : 3600)));
	bad |= oa2_json_set_string(obj, "refresh_token", res->refresh_token);
	json_object_object_add(obj, "authorized_at", json_object_new_int64(now));
	if (bad) {
		oa2_json_put_wiped(obj);
		return NULL;
	}
	return obj;
}

struct save_job {
	const char *path;
	struct json_object *obj;
	struct oa2_err err;   /* sent back */
};

/* As the account's owner (privsep.h): the new file is theirs. */
static int save_as_owner(void *ctx)
{
	struct save_job *j = ctx;
	struct stat like;
	int lockfd, rc;

	/* The lock keeps a refresh of the old grant, running right now in
	 * some other process, from writing over the new file. */
	lockfd = oa2_token_lock(j->path, &j->err);
	if (lockfd < 0)
		return j->err.rc;
	memset(&like, 0, sizeof(like));
	like.st_mode = S_IFREG | 0600;
	rc = oa2_store_write(j->path, j->obj, &like, &j->err);
	/* A fresh sign-in: the account's state starts over (watch announces
	 * "recovered" if it had announced a problem). */
	if (rc == OA2_OK)
		oa2_health_record(j->path, OA2_OK, NULL, (long long)time(NULL));
	oa2_token_unlock(lockfd);
	return rc;
}

int authorize_save(const struct authorize *a, const struct oa2_token_response *res,
		   const char *user, struct oa2_err *err)
{
	struct json_object *obj = token_file(a, res, user);
	int rc;

	if (obj == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	rc = authorize_write(a->acct, obj, err);
	oa2_json_put_wiped(obj);
	return rc;
}

int authorize_write(const struct account *acct, struct json_object *obj, struct oa2_err *err)
{
	struct save_job j;

	memset(&j, 0, sizeof(j));
	j.path = acct->path;
	j.obj = obj;
	return privsep_run_rc(acct, save_as_owner, &j, &j.err, err);
}
