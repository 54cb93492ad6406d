# Throwaway Debian roots for tests/fresh-system.sh and the packaging test
# (tests/packaging/test_debs.sh). Source it (bash); needs root and
# debootstrap.
#
#   root_create RELEASE   a fresh root in $ROOT, unpacked from a cached
#                         debootstrap --variant=minbase tarball (made once
#                         per release from Debian's archive), with proc,
#                         sys, dev, run mounted; the EXIT trap unmounts and
#                         removes it again (also on Ctrl-C or TERM)
#   in_root SCRIPT        runs a bash script inside, as root, with a clean
#                         environment (HOME=/root, PATH, LANG, CI)
#   root_bind DIR TARGET  DIR bind-mounted read-only at TARGET inside
#
# Only what any host must give a chroot is copied in: the CA certificates
# the host trusts (/usr/local/share/ca-certificates, for TLS-intercepting
# proxies), apt proxy settings, ~/.npmrc and resolv.conf. Daemons that
# package scripts would start are held back with policy-rc.d, as in every
# Debian build chroot: there is no init inside, and the tests start their
# own private servers.
#   ROOT_CACHE (default /var/cache/sasl-oauth2-fresh): tarballs, the apt
#   package cache (shared between runs only to save downloads; apt checks
#   every package) and logs.  ROOT_KEEP=1 keeps the root after the run.

ROOT_CACHE=${ROOT_CACHE:-/var/cache/sasl-oauth2-fresh}
ROOT_MIRROR=http://deb.debian.org/debian
ROOT=
ROOT_MOUNTS=()

root_die() { echo "chroot-lib: $*" >&2; exit 2; }

root_cleanup() {
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
		for ((i = ${#ROOT_MOUNTS[@]} - 1; i >= 0; i--)); do
			m=${ROOT_MOUNTS[i]}
			umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null ||
				echo "chroot-lib: could not unmount $m" >&2
		done
		if grep -qE " $ROOT(/| )" /proc/self/mounts; then
			echo "chroot-lib: mounts left under $ROOT; not removing it" >&2
		elif [ -z "${ROOT_KEEP:-}" ]; then
			rm -rf --one-file-system "$ROOT"
		else
			echo "chroot-lib: root kept in $ROOT"
		fi
	fi
	exit "$rc"
}

# root_tarball RELEASE: prints the cached base tarball, making it first if
# needed. Built in a scratch directory and renamed, so an interrupted
# debootstrap leaves no half tarball behind.
root_tarball() {
	local release=$1 tarball=$ROOT_CACHE/$1-minbase.tar.gz scratch
	if [ ! -s "$tarball" ]; then
		command -v debootstrap >/dev/null 2>&1 ||
			root_die "debootstrap is not installed (apt-get install debootstrap)"
		echo "chroot-lib: debootstrap --variant=minbase $release (once; cached in $tarball)" >&2
		scratch=$(mktemp -d "$ROOT_CACHE/debootstrap.XXXXXX") || return 1
		if ! debootstrap --variant=minbase "$release" "$scratch/root" "$ROOT_MIRROR" >"$scratch/log" 2>&1; then
			tail -n 20 "$scratch/log" >&2
			rm -rf --one-file-system "$scratch"
			root_die "debootstrap $release failed"
		fi
		tar -C "$scratch/root" -czf "$scratch/base.tar.gz" . &&
			mv "$scratch/base.tar.gz" "$tarball" || { rm -rf --one-file-system "$scratch"; root_die "cannot write $tarball"; }
		rm -rf --one-file-system "$scratch"
	fi
	echo "$tarball"
}

root_mount() {
	mount "$@" && ROOT_MOUNTS+=("${@: -1}") || root_die "cannot mount ${*: -1}"
}

root_create() {
	local release=$1 tarball c f d
	[ "$(id -u)" -eq 0 ] || root_die "needs root (debootstrap, chroot, mounts)"
	mkdir -p "$ROOT_CACHE/logs" "$ROOT_CACHE/apt-archives-$release" || root_die "cannot create $ROOT_CACHE"
	tarball=$(root_tarball "$release") || exit 2
	trap root_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	ROOT=$(mktemp -d "$ROOT_CACHE/root-$release.XXXXXX") || root_die "cannot make a root directory"
	tar -C "$ROOT" -xzf "$tarball" || root_die "cannot unpack $tarball"

	install -d "$ROOT/usr/local/share/ca-certificates"
	for c in /usr/local/share/ca-certificates/*.crt; do
		[ -f "$c" ] && cp "$c" "$ROOT/usr/local/share/ca-certificates/"
	done
	for f in /etc/apt/apt.conf /etc/apt/apt.conf.d/*; do
		[ -f "$f" ] && grep -qi 'proxy' "$f" && cp "$f" "$ROOT/etc/apt/apt.conf.d/99host-$(basename "$f")"
	done
	[ -f "$HOME/.npmrc" ] && cp "$HOME/.npmrc" "$ROOT/root/.npmrc"
	cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	cat >"$ROOT/etc/apt/sources.list" <<-EOF
	deb $ROOT_MIRROR $release main
	deb $ROOT_MIRROR $release-updates main
	deb http://deb.debian.org/debian-security $release-security main
	EOF
	printf '#!/bin/sh\n# chroot-lib: no daemons from package scripts in this chroot\nexit 101\n' \
		>"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"

	# The root a mount point of its own, as / is on any system: tools that
	# change mount propagation (unshare -m, used by the tests' syslog
	# capture) fail on a plain directory.
	# Private, so that nothing mounted below it propagates to the host's /.
	root_mount --bind "$ROOT" "$ROOT"
	mount --make-private "$ROOT" || root_die "cannot make $ROOT a private mount"
	root_mount -t proc proc "$ROOT/proc"
	for d in sys dev; do
		root_mount --rbind "/$d" "$ROOT/$d"
		mount --make-rslave "$ROOT/$d"
	done
	root_mount -t tmpfs -o mode=755 tmpfs "$ROOT/run"
	root_mount --bind "$ROOT_CACHE/apt-archives-$release" "$ROOT/var/cache/apt/archives"
	# CA certificates first: apt itself may need them behind a proxy.
	in_root 'update-ca-certificates >/dev/null 2>&1 || true'
}

# root_bind DIR TARGET: DIR, read-only, at TARGET (an absolute path inside).
root_bind() {
	install -d "$ROOT$2"
	root_mount --bind "$1" "$ROOT$2"
	mount -o remount,bind,ro "$ROOT$2" || root_die "cannot make $ROOT$2 read-only"
}

in_root() {
	chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" LANG=C.UTF-8 \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive ROOT_CACHE="$ROOT_CACHE" ${CI:+CI=$CI} /bin/bash -c "$1"
}
