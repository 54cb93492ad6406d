/*
 * The JSON error a server sends as a SASL challenge after rejecting a bearer
 * token (RFC 7628 3.2.2; Gmail and Dovecot send the same shape for XOAUTH2):
 *   {"status":"401","schemes":"Bearer","scope":"https://mail.google.com/"}
 *   {"status":"invalid_token","scope":"...","openid-configuration":"..."}
 */
#ifndef SASL_OAUTH2_SERVER_ERROR_H
#define SASL_OAUTH2_SERVER_ERROR_H

#include <stddef.h>

#include "sasl-oauth2/error.h"

#define OA2_SERVER_ERROR_MAX 4096 /* bytes of challenge we parse */

struct oa2_server_error {
	char status[64];   /* "" when the server sent none */
	char scope[256];
	char schemes[64];
	char openid_configuration[256];
};

/* Parses a server's error challenge. Fields that are absent, not strings or
 * too long stay empty (values are truncated to their buffers). Returns
 * OA2_OK, or OA2_ERR_PARSE / OA2_ERR_TOOBIG with err set when the challenge
 * is not a JSON object within bounds. */
int oa2_server_error_parse(const char *data, size_t len,
			   struct oa2_server_error *out, struct oa2_err *err);

/* Writes one sentence for the admin into buf: what the server reported and
 * what to do about it. Always NUL-terminates. */
void oa2_server_error_advice(const struct oa2_server_error *e, char *buf,
			     size_t n);

struct json_object;

/* Copies the first line of the string member `key` of obj into dst as
 * oa2_printable does; dst is "" when the member is absent or not a string.
 * Servers append lines of noise (Microsoft: "\r\nTrace ID: ...") that would
 * push the useful part out of a log line. */
void oa2_json_printable_field(struct json_object *obj, const char *key, char *dst, size_t n);

/* Copies up to n-1 bytes of untrusted text into buf for a log line, replacing
 * non-printable bytes with '?' and truncating long input with "...". */
void oa2_printable(const char *data, size_t len, char *buf, size_t n);

#endif
