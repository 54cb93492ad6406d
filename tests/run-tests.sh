#!/bin/bash
# The whole test suite, from a fresh Debian 12 as root: installs what the
# tests need, builds in ./build, runs every test group, and ends with the
# line "N passed, N failed, N skipped".
set -eu
SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
cd "$SRCDIR"
if [ "$(id -u)" -eq 0 ]; then
	sh tests/install-deps.sh
fi
[ -x configure ] || ./autogen.sh >/dev/null
if [ -f config.status ]; then
	echo "the source tree is configured in place; run 'make distclean' first" >&2
	exit 2
fi
mkdir -p build
cd build
[ -f Makefile ] || ../configure --enable-werror -q
make -s -j2
make -s -j2 check-programs
cd "$SRCDIR"
BUILDDIR="$SRCDIR/build" exec bash tests/run-suite.sh "$@"
