#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "privsep_path.h"

static void owner_name(uid_t uid, char *buf, size_t n)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, n, "%s (uid %u)", pw->pw_name, (unsigned)uid);
	else
		snprintf(buf, n, "uid %u", (unsigned)uid);
}

int privsep_dir_ok(const char *dir, const struct stat *st, uid_t uid, const char *who,
		   int above, struct oa2_err *err)
{
	char owner[128];

	if (st->st_uid != 0 && st->st_uid != uid) {
		owner_name(st->st_uid, owner, sizeof(owner));
		return oa2_err_set(err, OA2_ERR_UNSAFE, "directory %s belongs to %s, neither root "
				   "nor %s whose token file lies below it: refusing to work there "
				   "(that user could put other directories in its place); keep "
				   "token files where every directory above them is root's or %s's",
				   dir, owner, who, who);
	}
	/* In a root-owned sticky directory (/tmp) only an entry's owner or
	 * root may rename or remove it: nobody else can replace the directory
	 * below, which the walk checks in turn. The account's own directory
	 * must not be one: others could add files beside the token files. */
	if (above && st->st_uid == 0 && (st->st_mode & S_ISVTX) != 0)
		return OA2_OK;
	if ((st->st_mode & 022) != 0)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "directory %s is writable by %s (mode %04o): "
				   "refusing to work below it for %s (others could put other "
				   "directories in its place); fix: chmod go-w %s", dir,
				   (st->st_mode & 020) && (st->st_mode & 002) ? "group and others" :
				   (st->st_mode & 020) ? "its group" : "others",
				   (unsigned)(st->st_mode & 07777), who, dir);
	return OA2_OK;
}

/* The nearest existing ancestor of dir (dir itself when it exists), made
 * absolute, in out. Returns 0 for dir itself, 1 for an ancestor, -1 on
 * error. */
static int existing(const char *dir, char *out, size_t n)
{
	char cur[PATH_MAX], *slash;
	int up = 0;

	if (snprintf(cur, sizeof(cur), "%s", dir) >= (int)sizeof(cur))
		return -1;
	for (;; up = 1) {
		if (realpath(cur, out) != NULL)
			return strlen(out) < n ? up : -1;
		if (errno != ENOENT && errno != ENOTDIR)
			return -1;
		slash = strrchr(cur, '/');
		if (slash == NULL)
			snprintf(cur, sizeof(cur), ".");
		else if (slash == cur)
			cur[1] = '\0';
		else
			*slash = '\0';
	}
}

int privsep_check_path(const char *dir, uid_t uid, const char *who, struct oa2_err *err)
{
	char shown[PATH_MAX], *slash;
	struct stat st, root;
	int fd, up, above, rc = OA2_OK;

	above = existing(dir, shown, sizeof(shown));
	if (above < 0)
		return oa2_err_set(err, OA2_ERR_IO, "directory %s: cannot resolve it: %s", dir,
				   strerror(errno));
	if (stat("/", &root) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "/: %s", strerror(errno));
	fd = open(shown, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	while (rc == OA2_OK) {
		if (fd < 0 || fstat(fd, &st) != 0) {
			rc = oa2_err_set(err, OA2_ERR_IO, "directory %s: %s", shown, strerror(errno));
			break;
		}
		rc = privsep_dir_ok(shown, &st, uid, who, above, err);
		above = 1;
		if (rc != OA2_OK || (st.st_dev == root.st_dev && st.st_ino == root.st_ino))
			break;
		up = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = up;
		slash = strrchr(shown, '/');
		if (slash == shown || slash == NULL)
			snprintf(shown, sizeof(shown), "/");
		else
			*slash = '\0';
	}
	if (fd >= 0)
		close(fd);
	return rc;
}
