/* Running a helper program (postconf, postmap, systemctl) and reading what
 * it prints, without a shell. */
#ifndef SASL_OAUTH2_RUN_CAPTURE_H
#define SASL_OAUTH2_RUN_CAPTURE_H

#include <stddef.h>

/* Runs argv[0] (searched in PATH) with argv, stdin from /dev/null, stderr
 * discarded; stores up to n-1 bytes of its stdout in out (NUL-terminated,
 * trailing newlines removed). Returns the exit status, or -1 when it could
 * not be run. */
int run_capture(char *const argv[], char *out, size_t n);

#endif
