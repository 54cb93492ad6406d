#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_capture.h"

extern char **environ;

static void trim(char *s, size_t len)
{
	s[len] = '\0';
	while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = '\0';
}

/* posix_spawnp, then the system directories PATH may leave out. */
static int spawn(pid_t *pid, char *const argv[], const posix_spawn_file_actions_t *fa)
{
	static const char *const sbin[] = { "/usr/sbin/", "/sbin/" };
	char path[PATH_MAX];
	int rc = posix_spawnp(pid, argv[0], fa, NULL, argv, environ);

	for (size_t i = 0; rc == ENOENT && strchr(argv[0], '/') == NULL &&
			   i < sizeof(sbin) / sizeof(sbin[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", sbin[i], argv[0]);
		if (access(path, X_OK) == 0)
			rc = posix_spawn(pid, path, fa, NULL, argv, environ);
	}
	return rc;
}

int run_capture_err(char *const argv[], char *out, size_t n, char *errout, size_t errn)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	int pipefd[2], status, errfd = -1, rc;
	pid_t pid;

	if (n == 0 || (errout != NULL && errn == 0) || pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	/* stderr goes to an anonymous file, read after the exit: reading two
	 * pipes in turn could deadlock on a chatty program. */
	if (errout != NULL && (errfd = memfd_create("stderr", MFD_CLOEXEC)) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	if (errfd >= 0)
		posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	else
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = spawn(&pid, argv, &fa);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		if (errout != NULL)
			snprintf(errout, errn, "cannot run %s: %s", argv[0], strerror(rc));
		if (errfd >= 0)
			close(errfd);
		out[0] = '\0';
		return -1;
	}
	for (;;) {
		char drain[512];
		ssize_t r = len + 1 < n ? read(pipefd[0], out + len, n - 1 - len)
					: read(pipefd[0], drain, sizeof(drain));
		if (r <= 0)
			break;
		if (len + 1 < n)
			len += (size_t)r;
	}
	close(pipefd[0]);
	trim(out, len);
	rc = waitpid(pid, &status, 0);
	if (errfd >= 0) {
		ssize_t r = pread(errfd, errout, errn - 1, 0);
		trim(errout, r > 0 ? (size_t)r : 0);
		close(errfd);
	}
	if (rc < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_capture(char *const argv[], char *out, size_t n)
{
	return run_capture_err(argv, out, n, NULL, 0);
}
