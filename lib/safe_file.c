#include <errno.h>
#include <sys/auxv.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sasl-oauth2/io.h"
#include "sasl-oauth2/safe_file.h"

static const char *kind_of(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "not a regular file";
}

uid_t oa2_owner_uid(void)
{
	/* AT_SECURE: a set-id program (or one with file capabilities). Its
	 * caller chose the password, so the token file it names, the lock
	 * and the credential files must be the caller's, never those of the
	 * program's owner (root, say). */
	return getauxval(AT_SECURE) ? getuid() : geteuid();
}

void oa2_own_new_file(int fd)
{
	if (oa2_owner_uid() != geteuid())
		(void)fchown(fd, oa2_owner_uid(), (gid_t)-1);
}

int oa2_safe_check(const char *path, const struct stat *st, const char *what,
		   struct oa2_err *err)
{
	if (!S_ISREG(st->st_mode))
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s is %s, not a regular file: refusing "
				   "to use it", what, path, kind_of(st->st_mode));
	/* A second name means someone may have linked a file they do not
	 * own into this directory (or this name into theirs). */
	if (st->st_nlink != 1)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s has %lu hard links: refusing to use "
				   "it; remove the other names, or copy it to a file of its own",
				   what, path, (unsigned long)st->st_nlink);
	if (st->st_uid != oa2_owner_uid())
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s belongs to uid %u, not to uid %u "
				   "that is using it%s: refusing; work on it as its owner (or give "
				   "it to the user that uses it: chown)", what, path,
				   (unsigned)st->st_uid, (unsigned)oa2_owner_uid(),
				   oa2_owner_uid() != geteuid() ? " (the real user of this set-id "
				   "program)" : "");
	return OA2_OK;
}

/* Says what was found at path after O_NOFOLLOW refused it. */
static int refuse_link(const char *path, const char *what, struct oa2_err *err)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	if (n < 0)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s is a symbolic link: refusing to "
				   "follow it", what, path);
	target[n] = '\0';
	return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s is a symbolic link (to %s): refusing to "
			   "follow it; put the file itself there", what, path, target);
}

int oa2_safe_open(const char *path, int access, enum oa2_safe_create create,
		  const char *what, struct stat *st, struct oa2_err *err)
{
	/* O_NONBLOCK: a FIFO planted under the name must not hang the open. */
	const int base = access | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
	struct stat sb;
	int fd = -1;

	/* Open what is there, else create it exclusively; a name that
	 * appears in between is opened on the next round, and checked. */
	for (int round = 0; fd < 0 && round < 3; round++) {
		fd = open(path, base);
		if (fd >= 0 || errno != ENOENT || create != OA2_SAFE_CREATE)
			break;
		fd = open(path, base | O_CREAT | O_EXCL, 0600);
		if (fd >= 0)
			oa2_own_new_file(fd);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP)
			refuse_link(path, what, err);
		else
			oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot open: %s", what, path, strerror(e));
		errno = e; /* for callers that word the advice themselves */
		return -1;
	}
	if (fstat(fd, &sb) != 0) {
		oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot stat: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (oa2_safe_check(path, &sb, what, err) != OA2_OK) {
		close(fd);
		return -1;
	}
	/* Reads must block as usual now that it is known to be a file. */
	(void)fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (st != NULL)
		*st = sb;
	return fd;
}

/* The temporary name beside path: ".BASE.XXXXXX", a dot file that readers
 * which pick files by suffix (node_exporter's *.prom) never take. */
static int temp_name(const char *path, char *dir, char *tmp, size_t n)
{
	char base[PATH_MAX];

	if (snprintf(dir, n, "%s", path) >= (int)n ||
	    snprintf(base, sizeof(base), "%s", path) >= (int)sizeof(base))
		return -1;
	if (snprintf(tmp, n, "%s/.%s.XXXXXX", dirname(dir), basename(base)) >= (int)n)
		return -1;
	/* dirname may have returned a static "."; keep dir usable. */
	snprintf(dir, n, "%s", tmp);
	*strrchr(dir, '/') = '\0';
	return 0;
}

int oa2_safe_replace(const char *path, const char *what, const char *text, size_t len,
		     mode_t mode, struct oa2_err *err)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, dfd;

	if (temp_name(path, dir, tmp, sizeof(tmp)) != 0)
		return oa2_err_set(err, OA2_ERR_INVALID, "%s %s: path too long", what, path);
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 until fchmod */
	if (fd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot create a temporary file in its "
				   "directory (%s); the directory must be writable by %s", what,
				   path, strerror(errno), "the user that writes it");
	oa2_own_new_file(fd); /* a set-uid program: the real user's file */
	if (fchmod(fd, mode) != 0) {
		oa2_err_set(err, OA2_ERR_IO, "%s %s: chmod: %s", what, path, strerror(errno));
		goto fail;
	}
	if (oa2_write_all(fd, text, len) != 0 ||
	    ((len == 0 || text[len - 1] != '\n') && oa2_write_all(fd, "\n", 1) != 0) ||
	    fsync(fd) != 0) {
		oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write %s: %s (the old file is "
			    "unchanged)", what, path, tmp, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		fd = -1;
		oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot write %s: %s (the old file is "
			    "unchanged)", what, path, tmp, strerror(errno));
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot replace it: %s (the old file is "
			    "unchanged)", what, path, strerror(errno));
		goto fail;
	}
	/* The rename is durable only once the directory is on disk too. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return OA2_OK;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return err->rc;
}
