/*
 * The directory rule of privilege separation (OpenSSH's safe_path, for
 * the directories above an account's token file): before root works on an
 * account's files, itself or as their owner, every directory from the
 * account's directory up to / must belong to root or to that owner and be
 * writable by neither group nor others. Otherwise someone else could
 * rename a directory on the way and put one of their choosing in its
 * place after the checks. Above the account's directory, a root-owned
 * sticky directory such as /tmp is fine: there only an entry's owner may
 * rename it. The walk goes up through descriptors (openat
 * ".."), so it checks the directories the account's directory really lies
 * in, whatever links the path went through.
 */
#ifndef SASL_OAUTH2_PRIVSEP_PATH_H
#define SASL_OAUTH2_PRIVSEP_PATH_H

#include <sys/types.h>

#include "sasl-oauth2/error.h"

/* The owner decision for one directory: OA2_OK when st (an fstat of the
 * directory shown as `dir`) belongs to root or to uid and is writable by
 * neither group nor others, or, when `above` (dir is above the account's
 * directory), is root's with the sticky bit; else OA2_ERR_UNSAFE with err
 * naming dir, what is wrong and the fix. `who` names uid in the message. */
struct stat;
int privsep_dir_ok(const char *dir, const struct stat *st, uid_t uid, const char *who,
		   int above, struct oa2_err *err);

/* Checks dir and every directory above it up to / with privsep_dir_ok. A
 * dir that does not exist yet is checked from its nearest existing
 * ancestor (what would be created below it is root's or uid's). */
int privsep_check_path(const char *dir, uid_t uid, const char *who, struct oa2_err *err);

#endif
