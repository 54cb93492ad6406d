# Where things are: the source and build trees, the built plugin and CLI,
# temp directories the tests' daemons can read.
#
#   SRCDIR      the source tree
#   BUILDDIR    the build tree (env BUILDDIR, default SRCDIR)
#   PLUGIN_SO   the built plugin (env PLUGIN_SO: another one, e.g. the
#               installed package's, for debian/tests)
#   E2E_DIR     tests/e2e, where the node helper servers live (authserver.js,
#               oidcserver.js, ..., their package.json and node_modules)
#   NODE        node (env NODE)
#   need_cli                    $CLI (also $SO), or stops the test
#   make_plugin_dir DIR         a SASL plugin dir with only ours and PLAIN
#   mktemp_dir NAME             a fresh directory daemons can read
#   for_user USER FILE DIR      FILE, or a copy USER can read
#   as_postfix COMMAND...       COMMAND run as the postfix user

[ -z "${_TESTLIB_TREE:-}" ] || return 0
_TESTLIB_TREE=1
. "${BASH_SOURCE[0]%/*}/tap.sh"

SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR}
# Absolute: tests pass paths under it to programs that run elsewhere, and the
# plugin tells a token file from a token by its leading '/'.
[ ! -d "$BUILDDIR" ] || BUILDDIR=$(cd "$BUILDDIR" && pwd)
PLUGIN_SO=${PLUGIN_SO:-"$BUILDDIR/plugin/.libs/libsasl-oauth2.so"}
SYS_SASL_PLUGINDIR="$(pkg-config --variable=libdir libsasl2 2>/dev/null)/sasl2"
E2E_DIR="$SRCDIR/tests/e2e"
NODE=${NODE:-node}

# need_cli: CLI (env CLI, default the build tree's sasl-oauth2), also named
# SO; stops the test (one "not ok") when it is not built.
need_cli() {
	CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
	SO=$CLI
	[ -x "$CLI" ] || { echo "not ok - $CLI is not built (make tools/sasl-oauth2)"; exit 1; }
}

# make_plugin_dir DIR: a SASL plugin directory holding only our plugin and the
# system PLAIN plugin (as symlinks), so tests load the build tree's plugin and
# nothing installed elsewhere.
make_plugin_dir() {
	mkdir -p "$1"
	ln -sf "$PLUGIN_SO" "$1/libsasl-oauth2.so"
	ln -sf "$SYS_SASL_PLUGINDIR/libplain.so" "$1/libplain.so"
	chmod 755 "$1"
}

# mktemp_dir NAME: a fresh directory under the build tree's tmp-test/,
# readable by unprivileged daemons (postfix, dovecot) that tests start.
mktemp_dir() {
	mkdir -p "$BUILDDIR/tmp-test"
	chmod 755 "$BUILDDIR/tmp-test"
	local d; d=$(mktemp -d "$BUILDDIR/tmp-test/$1.XXXXXX")
	chmod 755 "$d"
	# A build tree under a private directory (a clone in /root, as the
	# README's commands make on a fresh system) is out of the daemons'
	# reach: use TMPDIR then.
	if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$d" 2>/dev/null; then
		rmdir "$d"
		d=$(mktemp -d "${TMPDIR:-/tmp}/sasl-oauth2-$1.XXXXXX")
		chmod 755 "$d"
	fi
	echo "$d"
}

# for_user USER FILE DIR: prints FILE, or the path of a copy of it in DIR
# when USER cannot read it (a build tree in a private directory).
for_user() {
	if runuser -u "$1" -- test -r "$2" 2>/dev/null; then
		echo "$2"
	else
		cp --remove-destination "$2" "$3/" && chmod 755 "$3/$(basename "$2")" &&
			echo "$3/$(basename "$2")"
	fi
}

# as_postfix COMMAND...: runs COMMAND as the postfix user (as root).
as_postfix() { runuser -u postfix -- "$@"; }
