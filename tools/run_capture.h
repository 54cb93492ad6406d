/* Running a helper program (postconf, postmap, systemctl) and reading what
 * it prints, without a shell. */
#ifndef SASL_OAUTH2_RUN_CAPTURE_H
#define SASL_OAUTH2_RUN_CAPTURE_H

#include <stddef.h>

/* Runs argv[0] with argv, stdin from /dev/null; stores up to n-1 bytes of
 * its stdout in out (NUL-terminated, trailing newlines removed). A bare
 * argv[0] is searched in PATH, then in /usr/sbin and /sbin: Postfix's tools
 * live there and an ordinary user's PATH lacks them. When errout is not
 * NULL it receives the first errn-1 bytes of stderr the same way (else
 * stderr is discarded). Returns the exit status, or -1 when it could not be
 * run (errout then says why). */
int run_capture_err(char *const argv[], char *out, size_t n, char *errout, size_t errn);

/* run_capture_err without stderr. */
int run_capture(char *const argv[], char *out, size_t n);

/* Runs argv[0] (an absolute path, no PATH search) with envp, feeding it
 * input on stdin (from an anonymous file: a program that never reads it
 * cannot block us) and discarding stdout. It runs in a process group of
 * its own; when it has not exited after timeout seconds the whole group
 * is killed (SIGKILL). errout receives the first errn-1 bytes of its
 * stderr. Returns the exit status; -1 when it could not be run or was
 * killed (*timed_out then says which). */
int run_feed(char *const argv[], char *const envp[], const char *input, size_t len,
	     long timeout, int *timed_out, char *errout, size_t errn);

#endif
