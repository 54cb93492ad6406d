#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run_capture.h"
#include "sasl-oauth2/io.h"

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

/* Waits for pid up to timeout seconds; kills its group after that. */
static int wait_or_kill(pid_t pid, long timeout, int *timed_out)
{
	struct timespec start, now, nap = { 0, 20 * 1000000L };
	int status;
	pid_t r;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000L +
		    (now.tv_nsec - start.tv_nsec) / 1000000L >= timeout * 1000L) {
			*timed_out = 1;
			kill(-pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return -1;
		}
		nanosleep(&nap, NULL);
	}
}

int run_feed(char *const argv[], char *const envp[], const char *input, size_t len,
	     long timeout, int *timed_out, char *errout, size_t errn)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	int infd, errfd, rc;
	pid_t pid;

	*timed_out = 0;
	errout[0] = '\0';
	infd = memfd_create("stdin", MFD_CLOEXEC);
	errfd = memfd_create("stderr", MFD_CLOEXEC);
	if (infd < 0 || errfd < 0 || oa2_write_all(infd, input, len) != 0 ||
	    lseek(infd, 0, SEEK_SET) != 0) {
		snprintf(errout, errn, "cannot run %s: %s", argv[0], strerror(errno));
		if (infd >= 0)
			close(infd);
		if (errfd >= 0)
			close(errfd);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, infd, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, errfd, 2);
	/* watch blocks the signals it reads through signalfd; the program
	 * starts with none blocked and default handlers. */
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGTERM);
	sigaddset(&dflt, SIGINT);
	sigaddset(&dflt, SIGHUP);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					  POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	rc = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	close(infd);
	if (rc != 0) {
		snprintf(errout, errn, "cannot run %s: %s", argv[0], strerror(rc));
		close(errfd);
		return -1;
	}
	rc = wait_or_kill(pid, timeout, timed_out);
	{
		ssize_t r = pread(errfd, errout, errn - 1, 0);
		trim(errout, r > 0 ? (size_t)r : 0);
	}
	close(errfd);
	return rc;
}
