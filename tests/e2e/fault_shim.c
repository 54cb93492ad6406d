/*
 * LD_PRELOAD fault injection for the refresh tests' negative controls: it
 * breaks one guarantee of the token store so that a test can show it would
 * notice. Built on demand by tests/lib/multiproc.sh (rf_setup) and
 * used only when a test runs with FAULT=MODE; never in a normal run.
 *
 *   OA2_FAULT=nolock    flock(2) succeeds without locking: no single flight
 *   OA2_FAULT=norename  renaming a temp file .BASE.XXXXXX over BASE fails
 *                       (EIO): the refreshed file is never written
 *   OA2_FAULT=inplace   that rename becomes an in-place rewrite of BASE
 *                       (truncate, then slow 64-byte writes): not atomic
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

static const char *mode(void)
{
	const char *m = getenv("OA2_FAULT");
	return m ? m : "";
}

int flock(int fd, int op)
{
	static int (*real)(int, int);

	if (strcmp(mode(), "nolock") == 0)
		return 0;
	if (real == NULL)
		real = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
	return real(fd, op);
}

/* oldpath is the plugin's temp file for newpath: .BASE.XXXXXX beside it. */
static int is_token_tmp(const char *oldpath, const char *newpath)
{
	const char *ob = strrchr(oldpath, '/'), *nb = strrchr(newpath, '/');
	size_t n;

	ob = ob ? ob + 1 : oldpath;
	nb = nb ? nb + 1 : newpath;
	n = strlen(nb);
	return ob[0] == '.' && strncmp(ob + 1, nb, n) == 0 && ob[1 + n] == '.' &&
	       strlen(ob + 2 + n) == 6;
}

int rename(const char *oldpath, const char *newpath)
{
	static int (*real)(const char *, const char *);
	char buf[64];
	ssize_t r;
	int in, out;

	if (real == NULL)
		real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
	if (!is_token_tmp(oldpath, newpath))
		return real(oldpath, newpath);
	if (strcmp(mode(), "norename") == 0) {
		errno = EIO;
		return -1;
	}
	if (strcmp(mode(), "inplace") != 0)
		return real(oldpath, newpath);
	in = open(oldpath, O_RDONLY);
	out = open(newpath, O_WRONLY | O_TRUNC);
	if (in < 0 || out < 0) {
		if (in >= 0)
			close(in);
		if (out >= 0)
			close(out);
		return real(oldpath, newpath);
	}
	while ((r = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)r) != r)
			break;
		usleep(300);
	}
	close(in);
	close(out);
	unlink(oldpath);
	return 0;
}
