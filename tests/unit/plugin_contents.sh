#!/bin/bash
# The plugin carries only what it runs (Makefile.am: lib/liboa2core.la for
# the plugin, lib/liboa2signin.la for the command line tool alone). Fails
# when:
#   1. the sign-in archive is missing or defines no function (the split
#      was undone: everything went back into the core);
#   2. the plugin's symbol table cannot be read, or lacks the core's
#      functions (a stripped or foreign .so would pass the next rule
#      without proving anything);
#   3. the plugin defines any symbol that the sign-in archive defines.
# The list of sign-in symbols is read from the archive with nm each time,
# so a module moved into lib/liboa2signin.la is covered at once.
#
#   BUILDDIR=build bash tests/unit/plugin_contents.sh   prints "ok - ..." / "not ok - ..."
set -u
BUILDDIR=${1:-${BUILDDIR:?set BUILDDIR or pass the build directory}}
so=${PLUGIN_SO:-$BUILDDIR/plugin/.libs/libsasl-oauth2.so}
signin_a=$BUILDDIR/lib/.libs/liboa2signin.a
core_a=$BUILDDIR/lib/.libs/liboa2core.a
status=0

# The external symbols an archive or object defines, one a line, sorted.
# In the plugin, built with -fvisibility=hidden, our functions are local
# ("t") symbols: every defined symbol counts there.
archive_defines() { nm -g --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
so_defines() { nm --defined-only "$1" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }

signin=$( [ -f "$signin_a" ] && archive_defines "$signin_a")
n_signin=$(grep -c . <<<"$signin")
if [ "$n_signin" -gt 0 ]; then
	echo "ok - plugin contents: lib/liboa2signin.a defines $n_signin functions and objects"
else
	echo "not ok - plugin contents: lib/liboa2signin.a defines sign-in's functions"
	echo "#   $signin_a is missing or defines nothing"
	status=1
fi

plugin=$( [ -f "$so" ] && so_defines "$so")
core=$( [ -f "$core_a" ] && archive_defines "$core_a")
n_core=$(grep -c . <<<"$core")
core_in=$(comm -12 <(echo "$core") <(echo "$plugin") | grep -c .)
if [ "$n_core" -gt 0 ] && [ "$core_in" -eq "$n_core" ]; then
	echo "ok - plugin contents: nm reads the plugin's own symbols (all $n_core of the core's)"
else
	echo "not ok - plugin contents: nm reads the plugin's own symbols (all of the core's)"
	echo "#   $so shows $core_in of the $n_core symbols $core_a defines"
	status=1
fi

both=$(comm -12 <(echo "$signin") <(echo "$plugin") | grep .)
if [ -n "$signin" ] && [ -n "$plugin" ] && [ -z "$both" ]; then
	echo "ok - plugin contents: the plugin defines none of sign-in's $n_signin symbols"
else
	echo "not ok - plugin contents: the plugin defines none of sign-in's symbols"
	[ -n "$both" ] && echo "#   $(basename "$so") defines $(grep -c . <<<"$both") of them:" \
		$(head -n 20 <<<"$both")
	status=1
fi
exit $status
