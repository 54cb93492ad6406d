#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "sasl-oauth2/health.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/token_lock.h"

static const char *const names[OA2_HEALTH_NSTATES] = { "ok", "expiring", "failing", "reauth" };

const char *oa2_health_state_name(enum oa2_health_state s)
{
	return (unsigned)s < OA2_HEALTH_NSTATES ? names[s] : "ok";
}

static int state_of_name(const char *s)
{
	for (int i = 0; i < OA2_HEALTH_NSTATES; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return OA2_HEALTH_OK;
}

int oa2_health_path(const char *token_path, char *buf, size_t n)
{
	return snprintf(buf, n, "%s.state", token_path) >= (int)n ? -1 : 0;
}

static long long time_of(struct json_object *obj, const char *key)
{
	long long v = 0;

	if (oa2_json_get_time(obj, key, &v, "state file", NULL) != OA2_OK || v < 0)
		return 0;
	return v;
}

static void from_json(struct json_object *obj, struct oa2_health *h)
{
	struct json_object *v;

	h->refused = json_object_object_get_ex(obj, "refused", &v) && json_object_get_boolean(v);
	h->failures = (long)time_of(obj, "failures");
	h->failing_since = time_of(obj, "failing_since");
	h->last_success = time_of(obj, "last_success");
	h->last_failure = time_of(obj, "last_failure");
	h->rejected_at = time_of(obj, "rejected_at");
	h->announced_at = time_of(obj, "announced_at");
	if (json_object_object_get_ex(obj, "announced", &v) &&
	    json_object_is_type(v, json_type_string))
		h->announced = state_of_name(json_object_get_string(v));
	if (json_object_object_get_ex(obj, "reason", &v) &&
	    json_object_is_type(v, json_type_string))
		snprintf(h->reason, sizeof(h->reason), "%s", json_object_get_string(v));
}

int oa2_health_read(const char *token_path, struct oa2_health *h, struct oa2_err *err)
{
	char path[4200], text[OA2_HEALTH_FILE_MAX + 1];
	struct json_object *obj = NULL;
	ssize_t n;
	size_t len = 0;
	int fd, rc;

	memset(h, 0, sizeof(*h));
	if (oa2_health_path(token_path, path, sizeof(path)) != 0)
		return oa2_err_set(err, OA2_ERR_INVALID, "state file for %s: path too long",
				   token_path);
	fd = oa2_safe_open(path, O_RDONLY, OA2_SAFE_EXISTING, "state file", NULL, err);
	if (fd < 0)
		return errno == ENOENT ? OA2_OK : err->rc;
	while (len < sizeof(text) && (n = read(fd, text + len, sizeof(text) - len)) > 0)
		len += (size_t)n;
	close(fd);
	if (len > OA2_HEALTH_FILE_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "state file %s: larger than %d bytes",
				   path, OA2_HEALTH_FILE_MAX);
	rc = oa2_json_parse_object(text, len, path, &obj, err);
	if (rc != OA2_OK)
		return rc;
	from_json(obj, h);
	json_object_put(obj);
	return OA2_OK;
}

static void add_time(struct json_object *obj, const char *key, long long v)
{
	if (v != 0)
		json_object_object_add(obj, key, json_object_new_int64(v));
}

int oa2_health_write(const char *token_path, const struct oa2_health *h, struct oa2_err *err)
{
	struct json_object *obj = json_object_new_object();
	char path[4200];
	const char *text;
	int rc;

	if (obj == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "state file for %s: out of memory",
				   token_path);
	if (oa2_health_path(token_path, path, sizeof(path)) != 0) {
		json_object_put(obj);
		return oa2_err_set(err, OA2_ERR_INVALID, "state file for %s: path too long",
				   token_path);
	}
	json_object_object_add(obj, "version", json_object_new_int(1));
	json_object_object_add(obj, "refused", json_object_new_boolean(h->refused));
	json_object_object_add(obj, "failures", json_object_new_int64(h->failures));
	add_time(obj, "failing_since", h->failing_since);
	add_time(obj, "last_success", h->last_success);
	add_time(obj, "last_failure", h->last_failure);
	add_time(obj, "rejected_at", h->rejected_at);
	json_object_object_add(obj, "announced",
			       json_object_new_string(oa2_health_state_name(h->announced)));
	add_time(obj, "announced_at", h->announced_at);
	if (h->reason[0] != '\0')
		json_object_object_add(obj, "reason", json_object_new_string(h->reason));
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PRETTY |
						   JSON_C_TO_STRING_NOSLASHESCAPE);
	rc = text == NULL ? oa2_err_set(err, OA2_ERR_NOMEM, "state file %s: out of memory", path)
			  : oa2_safe_replace(path, "state file", text, strlen(text), 0600, err);
	json_object_put(obj);
	return rc;
}

void oa2_health_record(const char *token_path, int rc, const char *reason, long long now)
{
	struct oa2_health h;
	struct oa2_err err;

	/* An unreadable state file starts over: it only holds bookkeeping. */
	(void)oa2_health_read(token_path, &h, &err);
	if (rc == OA2_OK) {
		h.refused = 0;
		h.failures = 0;
		h.failing_since = 0;
		h.rejected_at = 0;
		h.last_success = now;
		h.reason[0] = '\0';
	} else {
		h.refused = rc == OA2_ERR_DENIED || rc == OA2_ERR_NOREFRESH;
		if (h.failures++ == 0 || h.failing_since == 0)
			h.failing_since = now;
		h.last_failure = now;
		snprintf(h.reason, sizeof(h.reason), "%s", reason ? reason : "");
	}
	(void)oa2_health_write(token_path, &h, &err);
}

int oa2_health_note_rejected(const char *token_path, const char *reason, struct oa2_err *err)
{
	struct oa2_health h;
	int lockfd, rc;

	lockfd = oa2_token_lock(token_path, err);
	if (lockfd < 0)
		return err->rc;
	(void)oa2_health_read(token_path, &h, err);
	h.rejected_at = (long long)time(NULL);
	if (!h.refused && h.failures == 0) /* a renewal's own reason wins */
		snprintf(h.reason, sizeof(h.reason), "%s", reason);
	rc = oa2_health_write(token_path, &h, err);
	oa2_token_unlock(lockfd);
	return rc;
}

enum oa2_health_state oa2_health_state(const struct oa2_health *h, long long now,
				       long failing_after, long long credential_expires_at,
				       long expiring_within)
{
	if (h->refused)
		return OA2_HEALTH_REAUTH;
	if (h->failures > 0 && h->failing_since != 0 && now - h->failing_since >= failing_after)
		return OA2_HEALTH_FAILING;
	if (credential_expires_at != 0 && credential_expires_at - now <= expiring_within)
		return OA2_HEALTH_EXPIRING;
	return OA2_HEALTH_OK;
}
