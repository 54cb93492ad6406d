#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/token_lock.h"

static int open_lock(const char *path, struct oa2_err *err)
{
	char lock[PATH_MAX];
	struct oa2_err why;
	int fd;

	if (snprintf(lock, sizeof(lock), "%s.lock", path) >= (int)sizeof(lock)) {
		oa2_err_set(err, OA2_ERR_INVALID, "token file %s: path too long", path);
		return -1;
	}
	/* Created by the user that refreshes, who owns the token file too:
	 * a lock is never handed to anyone (root works as the owner). */
	fd = oa2_safe_open(lock, O_RDWR, OA2_SAFE_CREATE, "lock file", NULL, &why);
	if (fd < 0 && why.rc != OA2_ERR_IO && err != NULL)
		*err = why;
	else if (fd < 0)
		oa2_err_set(err, OA2_ERR_IO, "token file %s: cannot open lock file %s: %s; the "
			    "directory must be writable by the user that refreshes the token",
			    path, lock, strerror(errno));
	return fd;
}

/* Blocking is bounded: the holder's own request has connect and total
 * timeouts, and the kernel drops the lock if the holder dies. */
static int take(int fd, int op, const char *path, struct oa2_err *err)
{
	while (flock(fd, op) != 0) {
		if (errno == EWOULDBLOCK && (op & LOCK_NB))
			return 1;
		if (errno != EINTR) {
			oa2_err_set(err, OA2_ERR_IO, "token file %s: cannot lock %s.lock: %s", path,
				    path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

int oa2_token_lock(const char *path, struct oa2_err *err)
{
	int fd = open_lock(path, err);

	if (fd >= 0 && take(fd, LOCK_EX, path, err) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * The exclusive lock for a refresh. When another process holds it (it is
 * refreshing), wait for it with a shared lock instead: when it finishes,
 * every waiter wakes at once and reads its result in parallel, rather than
 * queueing for the exclusive lock one by one. Returns with the shared lock
 * held then; the caller re-reads the file and upgrades only if the token
 * is still stale (the holder failed).
 */
int oa2_token_lock_for_refresh(const char *path, int *shared, struct oa2_err *err)
{
	int fd = open_lock(path, err), r;

	if (fd < 0)
		return -1;
	r = take(fd, LOCK_EX | LOCK_NB, path, err);
	*shared = r == 1;
	if (r == 1)
		r = take(fd, LOCK_SH, path, err);
	if (r < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int oa2_token_lock_upgrade(int lockfd, const char *path, struct oa2_err *err)
{
	return take(lockfd, LOCK_EX, path, err) == 0 ? 0 : -1;
}

void oa2_token_unlock(int lockfd)
{
	if (lockfd >= 0) {
		flock(lockfd, LOCK_UN);
		close(lockfd);
	}
}
