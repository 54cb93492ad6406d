#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "browser_open.h"

int browser_available(void)
{
	const char *v[] = { "DISPLAY", "WAYLAND_DISPLAY", "BROWSER" };

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const char *s = getenv(v[i]);
		if (s != NULL && s[0] != '\0')
			return 1;
	}
	return 0;
}

/* Finds n bytes of a command name as an executable: itself when it has a
 * '/', else in $PATH. */
static int find(const char *cmd, size_t n, char *out, size_t outsz)
{
	const char *path = getenv("PATH"), *p;

	if (n == 0 || n >= outsz)
		return -1;
	if (memchr(cmd, '/', n) != NULL) {
		snprintf(out, outsz, "%.*s", (int)n, cmd);
		return access(out, X_OK) == 0 ? 0 : -1;
	}
	for (p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
		size_t d = strcspn(p, ":");
		if (d > 0 && snprintf(out, outsz, "%.*s/%.*s", (int)d, p, (int)n, cmd) < (int)outsz &&
		    access(out, X_OK) == 0)
			return 0;
		p += d;
		if (*p == ':')
			p++;
	}
	return -1;
}

static int pick(char *prog, size_t n)
{
	const char *b = getenv("BROWSER");

	while (b != NULL && *b) {
		size_t len = strcspn(b, ":");
		if (find(b, len, prog, n) == 0)
			return 0;
		b += len;
		if (*b == ':')
			b++;
	}
	return find("xdg-open", 8, prog, n);
}

int browser_open(const char *url, char *what, size_t n)
{
	char prog[PATH_MAX];
	pid_t child;
	int status;

	if (pick(prog, sizeof(prog)) != 0)
		return -1;
	snprintf(what, n, "%s", prog);
	fflush(NULL);
	child = fork();
	if (child < 0)
		return -1;
	if (child == 0) {
		/* The browser outlives us: a grandchild, adopted by init, so it
		 * leaves no zombie and we never wait for it. */
		pid_t g = fork();
		if (g == 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			char *argv[] = { prog, (char *)url, NULL };
			if (null >= 0) {
				dup2(null, STDIN_FILENO);
				dup2(null, STDOUT_FILENO);
			}
			setsid();
			execv(prog, argv);
			_exit(127);
		}
		_exit(g < 0 ? 1 : 0);
	}
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
