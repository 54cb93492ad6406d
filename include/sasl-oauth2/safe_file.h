/*
 * Opening a token file or its lock without trusting the directory's other
 * writers (OpenSSH's safe_path idea, for one name).
 *
 * A name in a directory that another user can write may be a symbolic link
 * or a hard link to a file that user chose, or a FIFO. These functions never
 * follow a symbolic link in the last component, create new files only with
 * O_EXCL, and check the inode they got before anyone reads or writes it: a
 * regular file with exactly one name, owned by the effective user (the real
 * user in a set-id program: oa2_owner_uid). Anything
 * else is refused with a message saying what was found.
 *
 * The effective user must be the file's owner: a privileged program does
 * its work on another user's files as that user (tools/privsep.c), so the
 * kernel's own permission checks apply.
 */
#ifndef SASL_OAUTH2_SAFE_FILE_H
#define SASL_OAUTH2_SAFE_FILE_H

#include <sys/stat.h>

#include "sasl-oauth2/error.h"

/* How oa2_safe_open treats a missing file. */
enum oa2_safe_create {
	OA2_SAFE_EXISTING,   /* must exist */
	OA2_SAFE_CREATE,     /* created 0600 (O_EXCL) when missing */
};

/*
 * Opens path with access mode `access` (O_RDONLY or O_RDWR), close-on-exec.
 * `what` names the file in messages ("token file", "lock file"). On success
 * returns the descriptor and, when st is non-NULL, its fstat. On failure
 * returns -1 and sets err: OA2_ERR_UNSAFE for a symbolic link, a hard link,
 * something that is not a regular file, or a file owned by someone else;
 * OA2_ERR_IO when it cannot be opened (err names the errno).
 */
int oa2_safe_open(const char *path, int access, enum oa2_safe_create create,
		  const char *what, struct stat *st, struct oa2_err *err);

/* The user whose files these are: the effective uid, except in a set-id
 * program (getauxval(AT_SECURE)), where it is the real uid: the caller
 * chose the password (the token file's path), so it must name a file of
 * the caller's own. */
uid_t oa2_owner_uid(void);

/* Gives a file just created through fd to oa2_owner_uid() when that is not
 * the effective uid (a set-uid program), so the next check accepts it. */
void oa2_own_new_file(int fd);

/* The inode checks alone, on an fstat result: OA2_OK, or OA2_ERR_UNSAFE
 * with err saying what was found. */
int oa2_safe_check(const char *path, const struct stat *st, const char *what,
		   struct oa2_err *err);

/*
 * Replaces the file at path atomically with text (a newline is added when
 * it does not end with one): a temporary ".NAME.XXXXXX" created exclusively
 * in the same directory, given `mode`, written, fsync'ed, renamed over path,
 * then the directory fsync'ed. A reader sees the old file or the new one,
 * never a part. On failure the old file is unchanged and err names `what`
 * and path. The new file belongs to the effective user.
 */
int oa2_safe_replace(const char *path, const char *what, const char *text, size_t len,
		     mode_t mode, struct oa2_err *err);

#endif
