#!/bin/bash
# Runs the README's two commands on a pristine Debian system, as a new user of
# the project would: a minimal root made by debootstrap from Debian's archive,
# the repository cloned inside, then `bash tests/demo.sh` and
# `bash tests/run-tests.sh` exactly as the README writes them.
#
#   bash tests/fresh-system.sh bookworm|trixie [--unit-only] [--keep]
#
#   --unit-only   instead of the README's commands: install the build
#                 dependencies, build with -Werror and run the unit tests
#                 (tests/run-suite.sh --unit-only); CI uses this
#   --keep        keep the root after the run (printed at the end)
#   FRESH_REPO=DIR      the repository to clone (default: the one this script
#                 is in); FRESH_REF=REF the branch or tag (default: its HEAD)
#   FRESH_CACHE=DIR     where the debootstrap tarballs, the apt package cache
#                 and the logs live (default /var/cache/sasl-oauth2-fresh)
#
# Only what any host must give a chroot is copied in: the CA certificates the
# host trusts (/usr/local/share/ca-certificates, for TLS-intercepting proxies),
# apt proxy settings and ~/.npmrc. Daemons that packages would start are held
# back with policy-rc.d, as in every Debian build chroot: there is no init
# inside, and the tests start their own private servers. proc, sys and dev are
# mounted inside and unmounted again on every exit, also on Ctrl-C.
# Needs root and debootstrap. Exits with the status of the commands run inside.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
die() { echo "fresh-system: $*" >&2; exit 2; }

release= unit_only= keep=
for a in "$@"; do
	case $a in
	bookworm|trixie) release=$a ;;
	--unit-only) unit_only=1 ;;
	--keep) keep=1 ;;
	*) die "unknown argument '$a' (usage: $0 bookworm|trixie [--unit-only] [--keep])" ;;
	esac
done
[ -n "$release" ] || die "usage: $0 bookworm|trixie [--unit-only] [--keep]"
[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mounts)"
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is not installed (apt-get install debootstrap)"

REPO=${FRESH_REPO:-$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null)} ||
	die "not inside a git checkout; set FRESH_REPO"
# A worktree's .git only points elsewhere: clone from the common git directory.
GITDIR=$(git -C "$REPO" rev-parse --path-format=absolute --git-common-dir 2>/dev/null) ||
	die "$REPO is not a git repository"
REF=${FRESH_REF:-$(git -C "$REPO" symbolic-ref -q --short HEAD || git -C "$REPO" rev-parse HEAD)}
CACHE=${FRESH_CACHE:-/var/cache/sasl-oauth2-fresh}
MIRROR=http://deb.debian.org/debian
mkdir -p "$CACHE/logs" "$CACHE/apt-archives-$release" || die "cannot create $CACHE"

ROOT=
MOUNTS=()
cleanup() {
	local rc=$? p m i
	trap - EXIT INT TERM HUP
	if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
		# Processes still running inside (a server an interrupted test
		# started) hold the mounts: stop them, found by their root directory.
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill -TERM "${p#/proc/}" 2>/dev/null
		done
		sleep 1
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill -KILL "${p#/proc/}" 2>/dev/null
		done
		# Unmount in reverse order, each recursively (dev and sys are rbinds).
		for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
			m=${MOUNTS[i]}
			umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null ||
				echo "fresh-system: could not unmount $m" >&2
		done
		if grep -q " $ROOT/" /proc/self/mounts; then
			echo "fresh-system: mounts left under $ROOT; not removing it" >&2
		elif [ -z "$keep" ]; then
			rm -rf --one-file-system "$ROOT"
		else
			echo "fresh-system: root kept in $ROOT"
		fi
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# The pristine base, made once per release and kept as a tarball. Built in a
# scratch directory and renamed, so an interrupted debootstrap leaves no half
# tarball behind.
TARBALL=$CACHE/$release-minbase.tar.gz
if [ ! -s "$TARBALL" ]; then
	echo "fresh-system: debootstrap --variant=minbase $release (once; cached in $TARBALL)"
	scratch=$(mktemp -d "$CACHE/debootstrap.XXXXXX")
	if ! debootstrap --variant=minbase "$release" "$scratch/root" "$MIRROR" >"$scratch/log" 2>&1; then
		tail -n 20 "$scratch/log" >&2
		rm -rf --one-file-system "$scratch"
		die "debootstrap $release failed"
	fi
	tar -C "$scratch/root" -czf "$scratch/base.tar.gz" . &&
		mv "$scratch/base.tar.gz" "$TARBALL" || die "cannot write $TARBALL"
	rm -rf --one-file-system "$scratch"
fi

ROOT=$(mktemp -d "$CACHE/root-$release.XXXXXX")
tar -C "$ROOT" -xzf "$TARBALL" || die "cannot unpack $TARBALL"

# What a host gives a chroot: its trusted CAs, apt and npm proxy settings,
# name resolution. Then Debian's own sources for the release.
install -d "$ROOT/usr/local/share/ca-certificates"
for c in /usr/local/share/ca-certificates/*.crt; do
	[ -f "$c" ] && cp "$c" "$ROOT/usr/local/share/ca-certificates/"
done
for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
	[ -f "$f" ] && grep -qi 'proxy' "$f" && cp "$f" "$ROOT/etc/apt/apt.conf.d/99host-$(basename "$f")"
done
[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$ROOT/root/.npmrc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
cat >"$ROOT/etc/apt/sources.list" <<EOF
deb $MIRROR $release main
deb $MIRROR $release-updates main
deb http://deb.debian.org/debian-security $release-security main
EOF
printf '#!/bin/sh\n# fresh-system: no daemons from package scripts in this chroot\nexit 101\n' \
	>"$ROOT/usr/sbin/policy-rc.d"
chmod 755 "$ROOT/usr/sbin/policy-rc.d"

mount -t proc proc "$ROOT/proc" && MOUNTS+=("$ROOT/proc") || die "cannot mount proc"
for d in sys dev; do
	mount --rbind "/$d" "$ROOT/$d" && MOUNTS+=("$ROOT/$d") || die "cannot bind /$d"
	mount --make-rslave "$ROOT/$d"
done
mount -t tmpfs -o mode=755 tmpfs "$ROOT/run" && MOUNTS+=("$ROOT/run") || die "cannot mount /run"
# Downloaded .debs are kept between runs (only to save time; apt checks them).
mount --bind "$CACHE/apt-archives-$release" "$ROOT/var/cache/apt/archives" &&
	MOUNTS+=("$ROOT/var/cache/apt/archives") || die "cannot bind the apt cache"
# The repository to clone, read-only.
install -d "$ROOT/mnt/repo"
mount --bind "$GITDIR" "$ROOT/mnt/repo" && MOUNTS+=("$ROOT/mnt/repo") || die "cannot bind $GITDIR"
mount -o remount,bind,ro "$ROOT/mnt/repo"

in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		${CI:+CI=$CI} /bin/bash -c "$1"
}

LOG=$CACHE/logs/$release-$(date -u +%Y%m%dT%H%M%SZ)${unit_only:+-unit}.log
echo "fresh-system: $release root in $ROOT, log in $LOG"
{
	echo "== preparing: update-ca-certificates, git, clone $REPO ($REF)"
	in_root 'set -e
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends ca-certificates git >/dev/null
		update-ca-certificates >/dev/null
		git config --global --add safe.directory /mnt/repo
		git clone -q /mnt/repo /root/sasl-oauth2
		cd /root/sasl-oauth2 && git checkout -q '"'$REF'"'
		git log -1 --format="== commit %h %s"
		. /etc/os-release; echo "== $PRETTY_NAME"' || exit 1
	if [ -n "$unit_only" ]; then
		in_root 'set -e; cd /root/sasl-oauth2
			sh tests/install-deps.sh --build-only
			./autogen.sh >/dev/null
			mkdir -p build && cd build && ../configure --enable-werror -q
			make -s -j2 && make -s -j2 check-programs && cd ..
			BUILDDIR=$PWD/build bash tests/run-suite.sh --unit-only'
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
} 2>&1 | tee "$LOG"
rc=${PIPESTATUS[0]}
echo "fresh-system: $release: $([ "$rc" -eq 0 ] && echo PASSED || echo "FAILED (status $rc)"); log: $LOG"
exit "$rc"
