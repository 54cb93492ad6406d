/*
 * The refresh lock of a token file: an flock(2) on PATH.lock, created 0600
 * beside the token file by the user that refreshes it (who owns the token
 * file too), opened with safe_file.h's checks.
 *
 * Blocking is bounded by the holder: its own token request has connect and
 * total timeouts, and the kernel drops the lock when the holder dies.
 */
#ifndef SASL_OAUTH2_TOKEN_LOCK_H
#define SASL_OAUTH2_TOKEN_LOCK_H

#include "sasl-oauth2/error.h"

/* Takes the exclusive lock for path (creating PATH.lock 0600 when missing);
 * returns a descriptor for oa2_token_unlock, or -1 with err set (err->rc
 * OA2_ERR_UNSAFE for a planted link or non-regular file). */
int oa2_token_lock(const char *path, struct oa2_err *err);

/* The lock for a refresh: exclusive when free; when another process holds
 * it (it is refreshing), a shared lock taken once it lets go, so every
 * waiter wakes at once and reads the holder's result in parallel instead of
 * queueing. *shared says which. The caller re-reads the file and, when the
 * token is still stale (the holder failed), upgrades. -1 with err set. */
int oa2_token_lock_for_refresh(const char *path, int *shared, struct oa2_err *err);

/* Turns the shared lock of oa2_token_lock_for_refresh into the exclusive
 * one, waiting as long as it takes: 0, or -1 with err set. */
int oa2_token_lock_upgrade(int lockfd, const char *path, struct oa2_err *err);

/* Releases and closes; lockfd -1 is ignored. */
void oa2_token_unlock(int lockfd);

#endif
