#!/bin/bash
# Runs the README's two commands on a pristine Debian system, as a new user of
# the project would: a minimal root made by debootstrap from Debian's archive,
# the repository cloned inside, then `bash tests/demo.sh` and
# `bash tests/run-tests.sh` exactly as the README writes them.
#
#   bash tests/fresh-system.sh bookworm|trixie [--unit-only] [--keep]
#
#   --unit-only   instead of the README's commands: install the build
#                 dependencies, build with -Werror, run the unit tests and
#                 the Debian packaging test (tests/run-suite.sh unit fuzz
#                 debian); CI uses this
#   --keep        keep the root after the run (printed at the end)
#   FRESH_REPO=DIR      the repository to clone (default: the one this script
#                 is in); FRESH_REF=REF the branch or tag (default: its HEAD)
#   ROOT_CACHE=DIR      where the debootstrap tarballs, the apt package cache
#                 and the logs live (default /var/cache/sasl-oauth2-fresh)
#
# The root comes from tests/lib/chroot.sh: only what any host must give a
# chroot is copied in (trusted CA certificates, apt and npm proxy settings);
# proc, sys and dev are mounted inside and unmounted again on every exit,
# also on Ctrl-C.
# Needs root and debootstrap. Exits with the status of the commands run inside.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
die() { echo "fresh-system: $*" >&2; exit 2; }

release= unit_only=
for a in "$@"; do
	case $a in
	bookworm|trixie) release=$a ;;
	--unit-only) unit_only=1 ;;
	--keep) export ROOT_KEEP=1 ;;
	*) die "unknown argument '$a' (usage: $0 bookworm|trixie [--unit-only] [--keep])" ;;
	esac
done
[ -n "$release" ] || die "usage: $0 bookworm|trixie [--unit-only] [--keep]"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"

REPO=${FRESH_REPO:-$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null)} ||
	die "not inside a git checkout; set FRESH_REPO"
# A worktree's .git only points elsewhere: clone from the common git directory.
GITDIR=$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) ||
	die "$REPO is not a git repository"
REF=${FRESH_REF:-$(git -C "$REPO" symbolic-ref -q --short HEAD || git -C "$REPO" rev-parse HEAD)}

. "$HERE/lib/chroot.sh"
root_create "$release"
root_bind "$GITDIR" /mnt/repo
if [ -n "$unit_only" ]; then
	# the packaging test's own root comes from the same cache
	install -d "$ROOT$ROOT_CACHE"
	root_mount --bind "$ROOT_CACHE" "$ROOT$ROOT_CACHE"
fi

LOG=$ROOT_CACHE/logs/$release-$(date -u +%Y%m%dT%H%M%SZ)${unit_only:+-unit}.log
echo "fresh-system: $release root in $ROOT, log in $LOG"
{
	echo "== preparing: git, clone $REPO ($REF)"
	in_root 'set -e
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends ca-certificates git >/dev/null
		git config --global --add safe.directory /mnt/repo
		git clone -q /mnt/repo /root/sasl-oauth2
		cd /root/sasl-oauth2 && git checkout -q '"'$REF'"'
		git log -1 --format="== commit %h %s"
		. /etc/os-release; echo "== $PRETTY_NAME"' || { echo "== result 1"; exit 1; }
	if [ -n "$unit_only" ]; then
		# The build dependencies as the README installs them for the
		# packages (apt-get build-dep ./), the packaging tools, then the
		# unit tests and the debian group (tests/packaging: packages built,
		# linted, installed, tested and purged in a root nested in this one,
		# made from the same cached tarball).
		in_root 'set -e; cd /root/sasl-oauth2
			sh tests/install-deps.sh --build-only
			apt-get install -y -q --no-install-recommends debhelper lintian debootstrap >/dev/null
			apt-get build-dep -y -q ./ >/dev/null
			./autogen.sh >/dev/null
			mkdir -p build && cd build && ../configure --enable-werror -q
			make -s -j2 && make -s -j2 check-programs && cd ..
			BUILDDIR=$PWD/build bash tests/run-suite.sh unit fuzz debian'
	else
		# The README's two commands, exactly as written there.
		echo '== $ bash tests/demo.sh'
		in_root 'cd /root/sasl-oauth2 && bash tests/demo.sh </dev/null'
		demo=$?
		echo "== demo exited with status $demo"
		echo '== $ bash tests/run-tests.sh'
		in_root 'cd /root/sasl-oauth2 && bash tests/run-tests.sh </dev/null'
		suite=$?
		echo "== run-tests exited with status $suite"
		[ "$demo" -eq 0 ] && [ "$suite" -eq 0 ]
	fi
	echo "== result $?"
} 2>&1 | tee "$LOG" &
# In the background and waited for: bash runs a trap only once the
# foreground command ends, and a TERM or Ctrl-C must unmount at once.
wait $!
# the status of the block, not tee's
rc=$(sed -n 's/^== result \([0-9]*\)$/\1/p' "$LOG" | tail -n 1)
rc=${rc:-1}
echo "fresh-system: $release: $([ "$rc" -eq 0 ] && echo PASSED || echo "FAILED (status $rc)"); log: $LOG"
exit "$rc"
