#!/bin/bash
# build-mutt-sasl.sh PROGRAM: prints the path of a PROGRAM (mutt or
# neomutt) linked with Cyrus SASL (libsasl2), building it first when the
# cache has none.
#
# Debian links its mutt and neomutt with GNU SASL; Fedora, Arch, FreeBSD and
# others link them with libsasl2, and that build is what loads the plugin.
# The source is Debian's own: the orig tarball of the source package, from
# the deb-src entry tests/install-deps.sh adds (Debian's archive, this
# release first, then the others listed, for mirrors that lack a file).
# Configured with Cyrus SASL, OpenSSL (for STARTTLS) and as little else as
# possible; mutt also with its debug log (-d), which neomutt always has.
# Build needs: gcc, make, libsasl2-dev, libssl-dev, libncurses-dev, xz-utils,
# and tclsh (tcl) for neomutt's configure.
#
# The binary is cached outside the source tree, in
#   ${SASL_OAUTH2_TEST_CACHE:-/var/cache/sasl-oauth2-tests}/PROGRAM-VERSION-OS-rRECIPE/PROGRAM
# so each machine builds each version once. Concurrent callers wait for one
# build (flock). Exits non-zero, with the reason on stderr, when no version
# could be downloaded or built.
set -eu

PROG=${1:-}
case $PROG in
mutt) FLAGS=(--enable-imap --with-sasl --with-ssl --enable-debug --disable-nls --disable-doc
	     --without-idn --without-idn2 --disable-pop --disable-smtp --disable-hcache)
      ;;
neomutt) FLAGS=(--sasl --ssl --disable-nls --disable-idn2 --disable-doc) ;;
*) echo "usage: $0 mutt|neomutt" >&2; exit 2 ;;
esac
# Bump when FLAGS or the steps below change: old builds are not reused.
RECIPE=1
CACHE=${SASL_OAUTH2_TEST_CACHE:-/var/cache/sasl-oauth2-tests}
. /etc/os-release
OS="${ID:-linux}${VERSION_ID:-}"

say() { echo "build-mutt-sasl: $*" >&2; }

# The versions apt knows for the source package: the one Debian's own
# PROG package here was built from first, then the others, newest first.
versions() {
	{
		dpkg-query -W -f='${source:Version}\n' "$PROG" 2>/dev/null || true
		apt-cache showsrc --only-source "$PROG" 2>/dev/null | sed -n 's/^Version: //p' | sort -V -r
	} | awk 'NF && !seen[$0]++'
}

key() { echo "$PROG-$(echo "$1" | tr -c 'A-Za-z0-9.\n' '_')-$OS-r$RECIPE"; }

mkdir -p "$CACHE"
exec 9>"$CACHE/$PROG.lock"
flock 9

mapfile -t VERSIONS < <(versions)
if [ ${#VERSIONS[@]} -eq 0 ]; then
	say "apt knows no source package $PROG: a deb-src entry is missing (run tests/install-deps.sh)"
	exit 1
fi
for v in "${VERSIONS[@]}"; do
	if [ -x "$CACHE/$(key "$v")/$PROG" ]; then
		echo "$CACHE/$(key "$v")/$PROG"
		exit 0
	fi
done

# build VERSION: downloads the orig tarball, builds, installs into the cache.
build() {
	local v=$1 work tarball src dest
	# neomutt's configure (autosetup) runs on tclsh: Debian's tarball
	# leaves out the bundled jimsh.
	if [ "$PROG" = neomutt ] && ! command -v tclsh >/dev/null 2>&1; then
		say "neomutt's configure needs tclsh (package tcl; run tests/install-deps.sh)"
		return 1
	fi
	work=$(mktemp -d "$CACHE/build-$PROG.XXXXXX")
	trap 'rm -rf "$work"' RETURN
	# The .dsc or .debian.tar may be missing from a mirror; the orig
	# tarball is all the build needs.
	( cd "$work" && apt-get source --download-only "$PROG=$v" ) >"$work/download.log" 2>&1 || true
	tarball=$(find "$work" -maxdepth 1 -name "${PROG}_*.orig.tar.*" ! -name '*.asc' | head -n1)
	if [ -z "$tarball" ]; then
		say "$PROG $v: no orig tarball downloaded: $(grep -E '^(E|Err):' "$work/download.log" | head -n3 | tr '\n' ' ')"
		return 1
	fi
	say "building $PROG $v from $(basename "$tarball") with Cyrus SASL (a few minutes, once per machine)"
	mkdir "$work/src"
	tar -xf "$tarball" -C "$work/src" --strip-components=1
	src="$work/src"
	if ! ( cd "$src" && ./configure "${FLAGS[@]}" && make -j2 ) >"$work/build.log" 2>&1; then
		say "$PROG $v: the build failed; the end of its log:"
		tail -n 25 "$work/build.log" >&2
		return 1
	fi
	if ! ldd "$src/$PROG" | grep -q 'libsasl2\.so'; then
		say "$PROG $v: the binary is not linked with libsasl2"
		return 1
	fi
	dest="$CACHE/$(key "$v")"
	rm -rf "$dest.new"
	mkdir -p "$dest.new"
	install -m 755 "$src/$PROG" "$dest.new/$PROG"
	printf '%s %s\nconfigure %s\n' "$PROG" "$v" "${FLAGS[*]}" >"$dest.new/BUILD-INFO"
	rm -rf "$dest"
	mv "$dest.new" "$dest"
	echo "$dest/$PROG"
}

for v in "${VERSIONS[@]}"; do
	build "$v" && exit 0
done
say "no version of $PROG could be downloaded and built (tried: ${VERSIONS[*]})"
exit 1
