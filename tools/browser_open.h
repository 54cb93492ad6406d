/*
 * Starting the user's web browser on a URL (which must hold no secret: it
 * ends up in process listings).
 */
#ifndef SASL_OAUTH2_BROWSER_OPEN_H
#define SASL_OAUTH2_BROWSER_OPEN_H

#include <stddef.h>

/* Non-zero when there is somewhere to open a URL: $DISPLAY,
 * $WAYLAND_DISPLAY or $BROWSER is set. */
int browser_available(void);

/* Starts the first program of $BROWSER (a ':'-separated list of commands,
 * the first one found is used) or else xdg-open, with the URL as its only
 * argument, in the background (fork/exec, no shell; stdin and stdout on
 * /dev/null). Returns 0 and names the program in what, or -1 when none was
 * found or it could not be started. */
int browser_open(const char *url, char *what, size_t n);

#endif
