#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "privsep.h"
#include "privsep_path.h"

static int user_of(uid_t uid, gid_t gid, struct privsep_user *who)
{
	struct passwd *pw = getpwuid(uid);

	memset(who, 0, sizeof(*who));
	who->uid = uid;
	who->gid = pw != NULL ? pw->pw_gid : gid;
	if (pw != NULL)
		snprintf(who->name, sizeof(who->name), "%s", pw->pw_name);
	who->self = uid == geteuid();
	return OA2_OK;
}

static const char *dir_kind(mode_t mode)
{
	return S_ISLNK(mode) ? "a symbolic link" : "not a directory";
}

int privsep_owner(const struct account *acct, struct privsep_user *who, struct oa2_err *err)
{
	struct stat ds, fs;
	int have_dir = lstat(acct->dir, &ds) == 0;

	/* Every branch: the directory itself, never through a link. */
	if (have_dir && !S_ISDIR(ds.st_mode))
		return oa2_err_set(err, OA2_ERR_UNSAFE, "directory %s is %s: refusing to work in "
				   "it; use the directory itself", acct->dir, dir_kind(ds.st_mode));
	if (acct->for_postfix)
		user_of(acct->owner, acct->group, who);
	else if (geteuid() != 0)
		return user_of(geteuid(), getegid(), who);
	else if (have_dir && ds.st_uid != 0)
		user_of(ds.st_uid, ds.st_gid, who);
	else if (lstat(acct->path, &fs) == 0 && fs.st_uid != 0)
		user_of(fs.st_uid, fs.st_gid, who);
	else
		user_of(0, 0, who);
	if (!who->self && geteuid() != 0)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "the token file %s is for %s (uid %u): run "
				   "this as root or as that user", acct->path,
				   who->name[0] ? who->name : "another user", (unsigned)who->uid);
	/* Root works on no one's files below a directory a third user could
	 * change (privsep_path.h): not its own, not the owner's. */
	if (geteuid() == 0)
		return privsep_check_path(acct->dir, who->uid, who->name[0] ? who->name : "the owner",
					  err);
	return OA2_OK;
}

/* Becomes `who` for good: supplementary groups, group, user, in that
 * order (each step needs the privilege the next one drops). */
static int drop_to(const struct privsep_user *who, struct oa2_err *err)
{
	int r = who->name[0] ? initgroups(who->name, who->gid) : setgroups(0, NULL);

	if (r != 0 || setgid(who->gid) != 0 || setuid(who->uid) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot switch to %s (uid %u): %s",
				   who->name[0] ? who->name : "the owner", (unsigned)who->uid,
				   strerror(errno));
	if (who->uid != 0 && (setuid(0) == 0 || geteuid() == 0))
		return oa2_err_set(err, OA2_ERR_IO, "could not give up root for uid %u",
				   (unsigned)who->uid);
	return OA2_OK;
}

/* What the child sends back before fn's bytes. */
struct report {
	int ran;          /* fn ran; else err says why not */
	int result;
	struct oa2_err err;
};

static int read_all(int fd, void *p, size_t n)
{
	char *c = p;

	while (n > 0) {
		ssize_t r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

static void child(int fd, const struct privsep_user *who, int (*fn)(void *), void *ctx,
		  const void *back, size_t backlen)
{
	struct report rep;

	memset(&rep, 0, sizeof(rep));
	if (drop_to(who, &rep.err) == OA2_OK) {
		rep.ran = 1;
		rep.result = fn(ctx);
	}
	fflush(NULL);
	write_all(fd, &rep, sizeof(rep));
	if (rep.ran && backlen > 0)
		write_all(fd, back, backlen);
	_exit(0);
}

int privsep_run(const struct account *acct, int (*fn)(void *ctx), void *ctx, void *back,
		size_t backlen, int *result, struct oa2_err *err)
{
	struct privsep_user who;
	struct report rep;
	int p[2], status, rc;
	pid_t pid;

	rc = privsep_owner(acct, &who, err);
	if (rc != OA2_OK)
		return rc;
	if (who.self) {
		*result = fn(ctx);
		return OA2_OK;
	}
	fflush(NULL); /* or the child would print the parent's buffered output again */
	if (pipe2(p, O_CLOEXEC) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return oa2_err_set(err, OA2_ERR_IO, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(p[0]);
		child(p[1], &who, fn, ctx, back, backlen);
	}
	close(p[1]);
	memset(&rep, 0, sizeof(rep));
	rc = read_all(p[0], &rep, sizeof(rep));
	if (rc == 0 && rep.ran && backlen > 0)
		rc = read_all(p[0], back, backlen);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (rc != 0)
		return oa2_err_set(err, OA2_ERR_IO, "the process working as %s (uid %u) ended "
				   "without an answer%s", who.name[0] ? who.name : "the owner",
				   (unsigned)who.uid, WIFSIGNALED(status) ? " (killed by a signal)" : "");
	if (!rep.ran) {
		if (err != NULL)
			*err = rep.err;
		return rep.err.rc ? rep.err.rc : OA2_ERR_IO;
	}
	*result = rep.result;
	return OA2_OK;
}

int privsep_run_rc(const struct account *acct, int (*fn)(void *ctx), void *ctx,
		   struct oa2_err *fn_err, struct oa2_err *err)
{
	int result, rc = privsep_run(acct, fn, ctx, fn_err, sizeof(*fn_err), &result, err);

	if (rc != OA2_OK)
		return rc;
	if (result != OA2_OK && err != NULL)
		*err = *fn_err;
	return result;
}

int privsep_command(const struct account *acct, int (*fn)(void *ctx), void *ctx, void *back,
		    size_t backlen)
{
	struct oa2_err err;
	int result, rc = privsep_run(acct, fn, ctx, back, backlen, &result, &err);

	if (rc == OA2_OK)
		return result;
	cli_error("%s: %s", acct->name, err.msg);
	return cli_exit_for(rc);
}

/* ----- directories ----------------------------------------------------------- */

/* mkdir -p, each new level 0755, the last one last_mode. */
static int make_dirs(const char *dir, mode_t last_mode)
{
	char path[PATH_MAX], *p;
	struct stat st;

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (p = path + 1;; p++) {
		char *slash = strchr(p, '/');
		if (slash != NULL)
			*slash = '\0';
		if (stat(path, &st) != 0 && mkdir(path, slash ? 0755 : last_mode) != 0 &&
		    errno != EEXIST)
			return -1;
		if (slash == NULL)
			return 0;
		*slash = '/';
		p = slash;
	}
}

static int make_dir_as_owner(void *ctx)
{
	const struct account *acct = ctx;

	return make_dirs(acct->dir, 0700) == 0 ? 0 : errno;
}

/* Root creates the last level in a parent only root can write, and hands
 * it over through a descriptor. */
static int make_dir_for(const struct account *acct, const struct privsep_user *who,
			const char *parent, const char *base, struct oa2_err *err)
{
	struct stat ps, ds;
	int pfd, dfd, rc = OA2_OK;

	pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot open directory %s: %s", parent,
				   strerror(errno));
	if (mkdirat(pfd, base, 0700) != 0 && errno != EEXIST) {
		rc = oa2_err_set(err, OA2_ERR_IO, "cannot create directory %s: %s", acct->dir,
				 strerror(errno));
		goto out;
	}
	dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		rc = oa2_err_set(err, errno == ELOOP || errno == ENOTDIR ? OA2_ERR_UNSAFE : OA2_ERR_IO,
				 "directory %s: %s", acct->dir, errno == ELOOP ?
				 "is a symbolic link: refusing to use it" : strerror(errno));
		goto out;
	}
	if (fstat(pfd, &ps) != 0 || fstat(dfd, &ds) != 0 || ds.st_uid != 0 ||
	    (ds.st_mode & 022) != 0 || ps.st_uid != 0 || (ps.st_mode & 022) != 0)
		rc = oa2_err_set(err, OA2_ERR_UNSAFE, "directory %s changed while it was created, "
				 "or its parent is not root's alone: refusing", acct->dir);
	else if (fchown(dfd, who->uid, who->gid) != 0 || fchmod(dfd, 0700) != 0)
		rc = oa2_err_set(err, OA2_ERR_IO, "cannot give %s to %s: %s", acct->dir,
				 who->name[0] ? who->name : "its owner", strerror(errno));
	close(dfd);
out:
	close(pfd);
	return rc;
}

int privsep_make_dir(const struct account *acct, struct oa2_err *err)
{
	char parent[PATH_MAX], *slash;
	struct privsep_user who;
	struct stat st;
	int rc, made;

	if (lstat(acct->dir, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return OA2_OK;
		return oa2_err_set(err, S_ISLNK(st.st_mode) ? OA2_ERR_UNSAFE : OA2_ERR_IO,
				   "directory %s is %s: refusing to use it", acct->dir,
				   dir_kind(st.st_mode));
	}
	rc = privsep_owner(acct, &who, err);
	if (rc != OA2_OK)
		return rc;
	if (who.self)
		return make_dirs(acct->dir, 0700) == 0 ? OA2_OK :
		       oa2_err_set(err, OA2_ERR_IO, "cannot create directory %s: %s", acct->dir,
				   strerror(errno));
	snprintf(parent, sizeof(parent), "%s", acct->dir);
	slash = strrchr(parent, '/');
	if (slash == NULL || slash[1] == '\0')
		return oa2_err_set(err, OA2_ERR_INVALID, "directory %s: not an absolute path",
				   acct->dir);
	*slash = '\0';
	if (parent[0] == '\0')
		snprintf(parent, sizeof(parent), "/");
	/* The levels above belong to root (as /var/spool/postfix/etc does). */
	if (stat(parent, &st) != 0 && make_dirs(parent, 0755) != 0)
		return oa2_err_set(err, OA2_ERR_IO, "cannot create directory %s: %s", parent,
				   strerror(errno));
	if (stat(parent, &st) == 0 && st.st_uid == 0 && (st.st_mode & 022) == 0)
		return make_dir_for(acct, &who, parent, slash + 1, err);
	/* Someone else can write the parent: only its owner may add to it. */
	rc = privsep_run(acct, make_dir_as_owner, (void *)acct, NULL, 0, &made, err);
	if (rc == OA2_OK && made != 0)
		rc = oa2_err_set(err, OA2_ERR_IO, "cannot create directory %s as %s: %s", acct->dir,
				 who.name[0] ? who.name : "its owner", strerror(made));
	return rc;
}

/* ----- for good --------------------------------------------------------------- */

int privsep_become_owner(const struct account *acct, const char *cmd)
{
	struct privsep_user who;
	struct oa2_err err;

	if (privsep_owner(acct, &who, &err) != OA2_OK || (!who.self && drop_to(&who, &err) != OA2_OK)) {
		cli_error("%s: %s", cmd, err.msg);
		return cli_exit_for(err.rc);
	}
	return CLI_OK;
}

int privsep_become_postfix(const char *cmd)
{
	struct passwd *pw = getpwnam("postfix");
	struct privsep_user who;
	struct oa2_err err;

	if (pw == NULL) {
		cli_error("%s --for postfix: there is no postfix user on this host", cmd);
		return CLI_NOACCOUNT;
	}
	if (geteuid() == pw->pw_uid)
		return CLI_OK;
	if (geteuid() != 0) {
		cli_error("%s --for postfix: run it as root or as the postfix user", cmd);
		return CLI_NOPERM;
	}
	user_of(pw->pw_uid, pw->pw_gid, &who);
	if (drop_to(&who, &err) != OA2_OK) {
		cli_error("%s --for postfix: %s", cmd, err.msg);
		return CLI_NOPERM;
	}
	return CLI_OK;
}
