#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run_capture.h"

extern char **environ;

int run_capture(char *const argv[], char *out, size_t n)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0;
	int pipefd[2], status;
	pid_t pid;

	if (n == 0 || pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
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
	out[len] = '\0';
	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == '\r'))
		out[--len] = '\0';
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
