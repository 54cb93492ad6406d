/*
 * Bounded JSON parsing on top of json-c, for input from disk or the network.
 *
 * The whole input must be one JSON object (no trailing bytes), no larger than
 * the caller's bound and nested no deeper than OA2_JSON_MAX_DEPTH. Parsed
 * trees may hold secrets: release them with oa2_json_put_wiped, which wipes
 * every string value (and the parser's scratch buffer) before freeing.
 */
#ifndef SASL_OAUTH2_JSON_H
#define SASL_OAUTH2_JSON_H

#include <stddef.h>
#include <json-c/json.h>

#include "sasl-oauth2/error.h"

#define OA2_JSON_MAX_DEPTH 16

/* Parses len bytes at text into a JSON object. `origin` names the source in
 * error messages ("token file /etc/x.json", "server challenge"). On success
 * *out is owned by the caller. */
int oa2_json_parse_object(const char *text, size_t len, const char *origin,
			  struct json_object **out, struct oa2_err *err);

/* Wipes every string in the tree and drops the caller's reference. */
void oa2_json_put_wiped(struct json_object *obj);

/* Looks up an optional string member. Returns OA2_OK with *val NULL when
 * absent or JSON null, OA2_ERR_PARSE when present with another type, and
 * OA2_ERR_TOOBIG when longer than max bytes. *val points into obj. */
int oa2_json_get_string(struct json_object *obj, const char *key, size_t max,
			const char **val, size_t *len, const char *origin,
			struct oa2_err *err);

/* Looks up an optional time in epoch seconds, given as a JSON integer or as a
 * string of decimal digits. *val is 0 when absent. */
int oa2_json_get_time(struct json_object *obj, const char *key, long long *val,
		      const char *origin, struct oa2_err *err);

/* Sets obj[key] to a copy of val, or removes the member when val is NULL,
 * wiping the string value it replaces first (it may be a token). Returns 0,
 * or -1 when out of memory (obj unchanged). */
int oa2_json_set_string(struct json_object *obj, const char *key, const char *val);

#endif
