/*
 * Error reporting shared by the plugin and the CLI.
 *
 * Library functions never print. They return an oa2_rc and, on failure, fill
 * a caller-owned oa2_err with one sentence written for the admin: what went
 * wrong, naming the file, field or server answer involved, and what to do.
 * The message never contains a token, refresh token or client secret.
 */
#ifndef SASL_OAUTH2_ERROR_H
#define SASL_OAUTH2_ERROR_H

#include <stddef.h>

enum oa2_rc {
	OA2_OK = 0,
	OA2_ERR_NOMEM,    /* allocation failed */
	OA2_ERR_IO,       /* file could not be opened, read or stat'ed */
	OA2_ERR_TOOBIG,   /* input over its documented bound */
	OA2_ERR_PARSE,    /* malformed JSON or wrong field type */
	OA2_ERR_MISSING,  /* a required field is absent or empty */
	OA2_ERR_EXPIRED,  /* the access token's expires_at is in the past */
	OA2_ERR_INVALID,  /* argument or value out of range */
	OA2_ERR_UNSAFE,   /* a token file others can read or write */
	OA2_ERR_CONFIG,   /* the configuration file is wrong */
	OA2_ERR_NET,      /* no usable answer from the server: retry later */
	OA2_ERR_TEMPORARY,/* the server said try later (408, 429, 5xx) */
	OA2_ERR_DENIED,   /* the server refused for good: re-authorize */
	OA2_ERR_NOREFRESH,/* the token file has nothing to refresh with */
	OA2_ERR_UNWRITABLE,/* not refreshed: the result could not be saved */
};

/* Non-zero for failures that may go away by themselves (network, a busy
 * server): nothing may be discarded because of them. */
static inline int oa2_rc_is_temporary(int rc)
{
	return rc == OA2_ERR_NET || rc == OA2_ERR_TEMPORARY;
}

#define OA2_ERR_MSG_MAX 1024

struct oa2_err {
	char msg[OA2_ERR_MSG_MAX];
	int rc;   /* the oa2_rc given to oa2_err_set, so a message passed on
		   * (a refresh's notice) still says what kind of failure it was */
};

/* Sets err->msg (truncated to fit) and err->rc, and returns rc, so callers can write
 * `return oa2_err_set(err, OA2_ERR_IO, "...", ...);`. err may be NULL. */
int oa2_err_set(struct oa2_err *err, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Rewrites err->msg so that it names the file `opened` as `shown`: inside
 * Postfix's chroot a token file is opened by its in-chroot path, but the
 * admin wrote, and fixes, the host path. Occurrences already part of
 * `shown` are left alone; the message is truncated to fit. */
void oa2_err_show_path(struct oa2_err *err, const char *opened, const char *shown);

#endif
