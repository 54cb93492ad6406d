/* doctor's fix lines: the one place a command for the admin is written.
 * The admin runs it as root, so nothing in it may come from a file as
 * shell syntax: every argument is one quoted word (oa2_chars_shell_quote),
 * and every path the command changes is looked at with lstat first:
 * chown, chmod and a redirection follow a link, so a fix printed for a
 * path another user turned into a link would have root change the link's
 * target (/etc/shadow, say). Such a fix says so and prints no command. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor.h"
#include "sasl-oauth2/chars.h"

#define DOCTOR_FIX_ARGS 8

static int is_link(const char *path, char *target, size_t n)
{
	struct stat st;
	ssize_t len;

	if (lstat(path, &st) != 0 || !S_ISLNK(st.st_mode))
		return 0;
	len = readlink(path, target, n - 1);
	target[len > 0 ? len : 0] = '\0';
	return 1;
}

static const char *refuse_link(char *buf, size_t n, const char *link, const char *target)
{
	snprintf(buf, n, "%s is a symbolic link (to %s): a command run on it would change its "
		 "target, so none is suggested; replace the link with the real file or "
		 "directory (as its owner), then run doctor again", link,
		 target[0] ? target : "?");
	return buf;
}

const char *doctor_fix_argv(char *buf, size_t n, const char *tmpl, const char *const args[])
{
	char target[PATH_MAX], word[2 * PATH_MAX + 64];
	size_t o = 0, a = 0;

	for (const char *t = tmpl; *t != '\0' && o + 1 < n; t++) {
		const char *arg;

		if (t[0] != '%' || (t[1] != 's' && t[1] != 'p')) {
			buf[o++] = t[0] == '%' && t[1] == '%' ? *t++ : *t;
			continue;
		}
		arg = a < DOCTOR_FIX_ARGS && args[a] != NULL ? args[a++] : "";
		if (*++t == 'p' && is_link(arg, target, sizeof(target)))
			return refuse_link(buf, n, arg, target);
		if (oa2_chars_shell_quote(arg, word, sizeof(word)) != 0 ||
		    snprintf(buf + o, n - o, "%s", word) >= (int)(n - o)) {
			snprintf(buf, n, "(the command is too long to print; run doctor on a "
				 "shorter path)");
			return buf;
		}
		o += strlen(word);
	}
	buf[o < n ? o : n - 1] = '\0';
	return buf;
}

const char *doctor_fix(char *buf, size_t n, const char *tmpl, ...)
{
	const char *args[DOCTOR_FIX_ARGS + 1] = { NULL };
	size_t count = 0;
	va_list ap;

	for (const char *t = tmpl; (t = strchr(t, '%')) != NULL && t[1] != '\0'; t += 2)
		count += (t[1] == 's' || t[1] == 'p') && count < DOCTOR_FIX_ARGS;
	va_start(ap, tmpl);
	for (size_t i = 0; i < count; i++)
		args[i] = va_arg(ap, const char *);
	va_end(ap);
	return doctor_fix_argv(buf, n, tmpl, args);
}
