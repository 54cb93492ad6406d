/*
 * Token files on disk: reading them whole, rewriting them safely, and
 * refreshing the access token in them.
 *
 * Writes are atomic and durable: a temporary file created 0600 in the same
 * directory, written, fsync'ed, given the old file's mode, renamed over the
 * old one, then the directory is fsync'ed. On any failure the old
 * file is left as it was. Refreshes are single-flight across processes: an
 * exclusive flock(2) on PATH.lock is held around read, refresh and write,
 * and the file is read again once the lock is held, so when many processes
 * find the token expiring at once, one asks the token endpoint and the rest
 * use its answer.
 *
 * The token file and its lock are opened with the checks of safe_file.h
 * (no symbolic link, one hard link, a regular file owned by the effective
 * user; refused with OA2_ERR_UNSAFE otherwise). Nothing here changes a
 * file's owner: the process that calls these functions must be the files'
 * owner (the CLI forks and drops to it, tools/privsep.h), and what it
 * creates is its own.
 */
#ifndef SASL_OAUTH2_TOKEN_STORE_H
#define SASL_OAUTH2_TOKEN_STORE_H

#include <limits.h>
#include <sys/stat.h>

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"
#include "sasl-oauth2/token.h"

struct json_object;

#define OA2_TOKEN_FILE_VERSION 1

/* Reads and parses the whole file (inode and mode checked). *obj (owned; release with
 * oa2_json_put_wiped) keeps every member, known or not, for rewriting. */
int oa2_store_read(const char *path, struct json_object **obj, struct oa2_token *tok,
		   struct stat *st, struct oa2_err *err);

/* Reads and parses the token file at path (oa2_store_read without the
 * object). When st is non-NULL it receives the stat of the file actually
 * read (for change detection). */
int oa2_store_load(const char *path, struct oa2_token *tok, struct stat *st,
		   struct oa2_err *err);

/* Atomically replaces the file at path with obj. `like`, when non-NULL,
 * gives the mode to keep (capped at 0600); the new file is the caller's. */
int oa2_store_write(const char *path, struct json_object *obj, const struct stat *like,
		    struct oa2_err *err);

/* The refresh margin for tok: its refresh_window, else the config's. */
long oa2_store_margin(const struct oa2_token *tok, const struct oa2_config *cfg);

/* Non-zero when tok must be refreshed before use at time now
 * (always for OA2_MARGIN_FORCE). */
int oa2_store_needs_refresh(const struct oa2_token *tok, long margin, long long now);

/* Non-zero when a server would still accept tok at time now: not marked
 * rejected, not expired. What may be used when renewing it failed. */
int oa2_store_still_valid(const struct oa2_token *tok, long long now);

/*
 * Makes sure the token file at path holds a usable access token, refreshing
 * it under the lock when it expires within the margin or a server rejected
 * it, and fills *tok (owned by the caller) with the result.
 *
 * `account` names the file in the re-authorize advice (sasl-oauth2
 * authorize takes a token file path as ACCOUNT); inside Postfix's chroot
 * the file's path is not the one the admin uses, so it may differ from path.
 *
 * Returns OA2_OK with a token to send. When the refresh failed but the old
 * token is still valid, that token is returned and `notice` says why the
 * refresh failed and notice->rc what kind of failure it was (OA2_ERR_IO:
 * the new token works but could not be written to the file); otherwise
 * notice->msg is empty and notice->rc OA2_OK. Returns an error when no
 * valid token can be had; err is one sentence for the admin. Temporary
 * failures never change the file; refusals (invalid_grant, ...) record
 * last_error in it; a new refresh token is written before the new access
 * token is handed out. *renewed (when not NULL) is 1 when *tok is not the
 * token that needed renewing: this call's new one (saved or not), or one
 * another process wrote meanwhile; 0 when it is the current one kept.
 *
 * This is the locked renewal itself; oa2_token_acquire (token_acquire.h)
 * is the whole "give me a token to send" policy built on it.
 */
int oa2_store_refresh(const char *path, const char *account, const struct oa2_config *cfg,
		      long margin, struct oa2_token *tok, struct oa2_err *err,
		      struct oa2_err *notice, int *renewed);

/* margin values for oa2_store_refresh: the file's or config's own margin,
 * or refresh whatever the expiry (the CLI's `refresh`). */
#define OA2_MARGIN_DEFAULT (-1L)
#define OA2_MARGIN_FORCE LONG_MAX

/* Records that a server rejected `access_token` (if the file still holds
 * it), so the next authentication, in any process, refreshes first. */
int oa2_store_mark_rejected(const char *path, const char *access_token, struct oa2_err *err);


#endif
