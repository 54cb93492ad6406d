/*
 * The one token policy: "is the token in this file usable now, or must it
 * be renewed first?", for everything that sends a token (the plugin, and
 * `sasl-oauth2 token` and `tunnel`).
 *
 *   1. Read the file without the lock (files are replaced by rename, so
 *      the read sees one whole version). A token valid for longer than the
 *      margin is used as it is: no lock, no request.
 *   2. Otherwise (within the margin, expired, or marked rejected by a
 *      server) it is renewed under the file's lock (oa2_store_refresh:
 *      one renewal at a time; the others wait and take its result), unless
 *      the file lacks what its grant needs or the configuration could not
 *      be loaded.
 *   3. When it is not renewed, for whatever reason but an unsafe file or
 *      lock (OA2_ERR_UNSAFE), the token as first read is used if a server
 *      would still take it (oa2_store_still_valid: not expired, not
 *      rejected). Temporary failures never change the file.
 *
 * lib/ prints nothing: the caller learns what happened from
 * struct oa2_acquire_info and says it in its own words (a log line in the
 * plugin, a warning on stderr in the CLI).
 */
#ifndef SASL_OAUTH2_TOKEN_ACQUIRE_H
#define SASL_OAUTH2_TOKEN_ACQUIRE_H

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/token.h"

struct json_object;
struct oa2_token_cache;

/* What the caller brings; everything is borrowed. */
struct oa2_acquire_req {
	/* Names the file in re-authorize advice ("work", "relay --for postfix",
	 * or a path): what `sasl-oauth2 authorize` takes, which inside
	 * Postfix's chroot is not the path opened. */
	const char *account;
	/* Renew unless the token is valid for more than this many seconds;
	 * -1 for the file's refresh_window, else the config's refresh_margin. */
	long min_valid;
	/* Non-NULL when the configuration could not be loaded: renewing is
	 * refused with this error (a still valid token is used). */
	const struct oa2_err *cfg_err;
	/* Non-NULL: the first read goes through this per-process cache. */
	struct oa2_token_cache *cache;
	/* Non-NULL (and cache NULL): receives the file as first read (release
	 * with oa2_json_put_wiped), on success and failure alike once read. */
	struct json_object **obj;
};

/* How the token handed out came to be. */
enum oa2_acquire_outcome {
	OA2_ACQUIRE_CURRENT,  /* valid beyond the margin: the file as read */
	OA2_ACQUIRE_RENEWED,  /* renewed and saved (by this call, or by another
			       * process while this one waited for the lock) */
	OA2_ACQUIRE_UNSAVED,  /* renewed, but the file keeps the old one */
	OA2_ACQUIRE_KEPT,     /* due for renewal but not renewed: the current
			       * token, still valid */
};

/* Why it was not renewed (outcome KEPT, or the error returned). */
enum oa2_acquire_stop {
	OA2_ACQUIRE_NO_STOP,    /* not asked to renew, or renewed */
	OA2_ACQUIRE_READ,       /* the file could not be read */
	OA2_ACQUIRE_NO_GRANT,   /* the file lacks what its grant needs */
	OA2_ACQUIRE_NO_CONFIG,  /* req->cfg_err */
	OA2_ACQUIRE_FAILED,     /* the renewal was tried and failed */
};

struct oa2_acquire_info {
	enum oa2_acquire_outcome outcome;  /* meaningful on OA2_OK only */
	enum oa2_acquire_stop stop;
	/* UNSAVED: why the file could not be written; KEPT: why the token was
	 * not renewed (why.rc the kind: OA2_ERR_TEMPORARY, OA2_ERR_DENIED,
	 * OA2_ERR_NOREFRESH, ...). Empty otherwise. */
	struct oa2_err why;
	int renewable;          /* the file as read has what its grant needs */
	const char *missing;    /* !renewable: what it lacks, in words (static) */
	long long expires_at;   /* the file's token as first read (0: unknown) */
	long long rejected_at;  /* ... and when a server rejected it (0: never) */
	long long now;          /* when the decision was taken */
};

/*
 * Fills *out (owned by the caller, release with oa2_token_clear) with a
 * token to send from the token file at path (as opened: inside Postfix's
 * chroot, oa2_config_path_in_chroot's result), following the policy above,
 * and *info with how it came to be.
 *
 * Returns OA2_OK, or an error with err one sentence for the admin and
 * *out cleared; info->stop says at which step: READ (errors as
 * oa2_store_read: OA2_ERR_IO when the file cannot be opened, ...),
 * NO_GRANT (OA2_ERR_NOREFRESH), NO_CONFIG (req->cfg_err's rc) or FAILED
 * (errors as oa2_store_refresh: OA2_ERR_DENIED, OA2_ERR_TEMPORARY,
 * OA2_ERR_NET, OA2_ERR_UNSAFE, ...). A renewal that fails with
 * OA2_ERR_UNSAFE (a file replaced by something planted) is an error even
 * while the token first read is still valid.
 */
int oa2_token_acquire(const char *path, const struct oa2_config *cfg,
		      const struct oa2_acquire_req *req, struct oa2_token *out,
		      struct oa2_acquire_info *info, struct oa2_err *err);

#endif
