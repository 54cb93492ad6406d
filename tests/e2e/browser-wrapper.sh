#!/bin/sh
# browser-wrapper.sh URL: a $BROWSER for `sasl-oauth2 authorize --flow browser`.
# Starts `node browser.js login URL --user $E2E_LOGIN_USER $E2E_BROWSER_ARGS`
# in the background and returns at once (the CLI waits for the redirect to its
# loopback listener, as with a real browser).
#
#   E2E_LOGIN_USER      the login typed into oidcserver.js's form (required)
#   E2E_BROWSER_ARGS    more browser.js options, split on blanks (e.g. --deny)
#   E2E_BROWSER_LOG     where browser.js's stdout+stderr go (default /dev/null);
#                       ends with a line "browser.js exit STATUS"
#   E2E_BROWSER_PIDFILE the background process id is written here (to stop it)
#   E2E_BROWSER_URLS    each URL it was called with is appended here
# Exits 2 without starting anything when URL or E2E_LOGIN_USER is missing.
if [ $# -lt 1 ] || [ -z "$1" ]; then
	echo "browser-wrapper.sh: no URL" >&2
	exit 2
fi
if [ -z "${E2E_LOGIN_USER:-}" ]; then
	echo "browser-wrapper.sh: E2E_LOGIN_USER is not set" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
log=${E2E_BROWSER_LOG:-/dev/null}
[ -z "${E2E_BROWSER_URLS:-}" ] || printf '%s\n' "$1" >>"$E2E_BROWSER_URLS"
# shellcheck disable=SC2086 # E2E_BROWSER_ARGS is a list of options
(
	"${NODE:-node}" "$here/browser.js" login "$1" --user "$E2E_LOGIN_USER" ${E2E_BROWSER_ARGS:-}
	echo "browser.js exit $?"
) </dev/null >>"$log" 2>&1 &
[ -z "${E2E_BROWSER_PIDFILE:-}" ] || echo $! >"$E2E_BROWSER_PIDFILE"
exit 0
