#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sasl-oauth2/json.h"

/* json-c keeps the last string it scanned in the tokener's scratch buffer;
 * when that string was a token it must not outlive the parse. */
static void tokener_free_wiped(struct json_tokener *tok)
{
	if (tok->pb != NULL && tok->pb->buf != NULL && tok->pb->size > 0)
		OPENSSL_cleanse(tok->pb->buf, (size_t)tok->pb->size);
	json_tokener_free(tok);
}

static int only_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
			return 0;
	return 1;
}

int oa2_json_parse_object(const char *text, size_t len, const char *origin,
			  struct json_object **out, struct oa2_err *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end;

	if (len > INT_MAX)
		return oa2_err_set(err, OA2_ERR_TOOBIG, "%s: too large to parse", origin);
	if (memchr(text, '\0', len) != NULL)
		return oa2_err_set(err, OA2_ERR_PARSE,
				   "%s: not valid JSON (contains a NUL byte)", origin);
	tok = json_tokener_new_ex(OA2_JSON_MAX_DEPTH);
	if (tok == NULL)
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s: out of memory", origin);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (jerr != json_tokener_success) {
		oa2_err_set(err, OA2_ERR_PARSE, "%s: not valid JSON (%s near byte %zu)",
			    origin, json_tokener_error_desc(jerr), end);
		oa2_json_put_wiped(obj);
		tokener_free_wiped(tok);
		return OA2_ERR_PARSE;
	}
	tokener_free_wiped(tok);
	if (end > len || !only_space(text + end, len - end)) {
		oa2_json_put_wiped(obj);
		return oa2_err_set(err, OA2_ERR_PARSE,
				   "%s: not valid JSON (extra data after byte %zu)", origin, end);
	}
	if (!json_object_is_type(obj, json_type_object)) {
		oa2_json_put_wiped(obj);
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: expected a JSON object", origin);
	}
	*out = obj;
	return OA2_OK;
}

static void wipe_strings(struct json_object *obj, int depth)
{
	if (obj == NULL || depth > OA2_JSON_MAX_DEPTH + 1)
		return;
	switch (json_object_get_type(obj)) {
	case json_type_string: {
		int n = json_object_get_string_len(obj);
		if (n > 0)
			OPENSSL_cleanse((char *)json_object_get_string(obj), (size_t)n);
		break;
	}
	case json_type_object: {
		json_object_object_foreach(obj, key, val) {
			(void)key;
			wipe_strings(val, depth + 1);
		}
		break;
	}
	case json_type_array: {
		size_t n = json_object_array_length(obj);
		for (size_t i = 0; i < n; i++)
			wipe_strings(json_object_array_get_idx(obj, i), depth + 1);
		break;
	}
	default:
		break;
	}
}

void oa2_json_put_wiped(struct json_object *obj)
{
	if (obj == NULL)
		return;
	wipe_strings(obj, 0);
	json_object_put(obj);
}

int oa2_json_get_string(struct json_object *obj, const char *key, size_t max,
			const char **val, size_t *len, const char *origin,
			struct oa2_err *err)
{
	struct json_object *m;
	size_t n;

	*val = NULL;
	if (len != NULL)
		*len = 0;
	if (!json_object_object_get_ex(obj, key, &m) || m == NULL)
		return OA2_OK;
	if (!json_object_is_type(m, json_type_string))
		return oa2_err_set(err, OA2_ERR_PARSE, "%s: field \"%s\" must be a string",
				   origin, key);
	n = (size_t)json_object_get_string_len(m);
	if (n > max)
		return oa2_err_set(err, OA2_ERR_TOOBIG,
				   "%s: field \"%s\" is %zu bytes, more than the limit of %zu",
				   origin, key, n, max);
	*val = json_object_get_string(m);
	if (len != NULL)
		*len = n;
	return OA2_OK;
}

int oa2_json_get_time(struct json_object *obj, const char *key, long long *val,
		      const char *origin, struct oa2_err *err)
{
	struct json_object *m;

	*val = 0;
	if (!json_object_object_get_ex(obj, key, &m) || m == NULL)
		return OA2_OK;
	if (json_object_is_type(m, json_type_int)) {
		errno = 0;
		long long v = (long long)json_object_get_int64(m);
		if (v < 0 || errno != 0)
			return oa2_err_set(err, OA2_ERR_PARSE,
					   "%s: field \"%s\" is not a valid time", origin, key);
		*val = v;
		return OA2_OK;
	}
	if (json_object_is_type(m, json_type_string)) {
		const char *s = json_object_get_string(m);
		char *end;
		size_t n = strlen(s);

		if (n == 0 || n > 19 || strspn(s, "0123456789") != n)
			return oa2_err_set(err, OA2_ERR_PARSE,
					   "%s: field \"%s\" must be epoch seconds", origin, key);
		errno = 0;
		*val = strtoll(s, &end, 10);
		if (errno != 0)
			return oa2_err_set(err, OA2_ERR_PARSE,
					   "%s: field \"%s\" is out of range", origin, key);
		return OA2_OK;
	}
	return oa2_err_set(err, OA2_ERR_PARSE,
			   "%s: field \"%s\" must be epoch seconds (a number)", origin, key);
}

int oa2_json_set_string(struct json_object *obj, const char *key, const char *val)
{
	struct json_object *old = NULL, *str = NULL;

	if (val != NULL && (str = json_object_new_string(val)) == NULL)
		return -1;
	/* Hold the old value so it can be wiped once obj lets go of it. */
	if (json_object_object_get_ex(obj, key, &old))
		json_object_get(old);
	if (str == NULL) {
		json_object_object_del(obj, key);
	} else if (json_object_object_add(obj, key, str) != 0) {
		oa2_json_put_wiped(str);
		json_object_put(old);
		return -1;
	}
	oa2_json_put_wiped(old);
	return 0;
}
