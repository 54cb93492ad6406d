/* doctor's chown/chmod fixes, checked against symbolic links. chown and
 * chmod follow a link: a fix printed for a path that another user turned
 * into a link would have root change the link's target (/etc/shadow, say).
 * So every path such a fix names is looked at with lstat first. */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"

static int is_link(const char *path, char *target, size_t n)
{
	struct stat st;
	ssize_t len;

	if (path == NULL || lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	len = readlink(path, target, n - 1);
	target[len > 0 ? len : 0] = '\0';
	return 1;
}

const char *doctor_fix_paths(char *fix, size_t n, const char *p1, const char *p2)
{
	char target[PATH_MAX];
	const char *link = is_link(p1, target, sizeof(target)) ? p1 :
			   is_link(p2, target, sizeof(target)) ? p2 : NULL;

	if (link != NULL)
		snprintf(fix, n, "%s is a symbolic link (to %s): chown and chmod would change "
			 "its target, so nothing is suggested; replace the link with the real "
			 "file or directory (as its owner), then run doctor again", link,
			 target[0] ? target : "?");
	return fix;
}
