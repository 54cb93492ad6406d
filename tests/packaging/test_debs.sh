#!/bin/bash
# The Debian packages, end to end: dpkg-buildpackage -us -uc -b builds both
# from a clean copy of the tree, lintian finds nothing at its default level,
# then in a throwaway root of this host's Debian release (tests/lib/chroot.sh)
# `apt install ./*.deb` installs them, the autopkgtest's checks pass against
# the installed packages (debian/tests: libsasl2 lists both mechanisms;
# imtest logs in to a private Dovecot with a token file), the watch units are
# installed but neither enabled nor started, `sasl-oauth2 doctor` is happy,
# and `apt purge` leaves nothing behind but the admin's config and token
# files, unchanged.
#
#   sudo bash tests/packaging/test_debs.sh      (or the suite's group "debian")
# Needs root, dpkg-buildpackage, debhelper, lintian and debootstrap
# (tests/install-deps.sh installs them).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${SRCDIR:-$(cd "$HERE/../.." && pwd)}
BUILDDIR=${BUILDDIR:-$SRCDIR/build}
. "$SRCDIR/tests/lib/tree.sh"

for cmd in dpkg-buildpackage dh lintian debootstrap; do
	if ! command -v "$cmd" >/dev/null 2>&1; then
		skip "Debian packages: $cmd is not installed (run tests/install-deps.sh)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	skip "Debian packages: the throwaway root needs root"
	exit 0
fi
. /etc/os-release
RELEASE=${VERSION_CODENAME:?}

T=$(mktemp -d "${TMPDIR:-/tmp}/sasl-oauth2-debs.XXXXXX")
chmod 755 "$T"

# ----- build, from a clean copy: what git tracks (and new files not yet
# added, so a developer tests what they have), never ./build or node_modules
mkdir -p "$T/src"
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
	( cd "$SRCDIR" && git ls-files -z --cached --others --exclude-standard |
		xargs -0 -r sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ |
		tar --null -T - -cf - ) | tar -C "$T/src" -xf -
else
	( cd "$SRCDIR" && tar --exclude=./build --exclude=./build-san --exclude=node_modules \
		--exclude=./tmp-test -cf - . ) | tar -C "$T/src" -xf -
fi
if (cd "$T/src" && dpkg-buildpackage -us -uc -b) >"$T/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the packages on Debian $VERSION_ID"
else
	not_ok "dpkg-buildpackage -us -uc -b builds the packages on Debian $VERSION_ID"
	tail -n 40 "$T/build.log" | sed 's/^/#   /'
	rm -rf "$T"; tests_exit
fi
# the two packages; the -dbgsym ones are not for installing here
debs=("$T"/libsasl2-modules-oauth2_*.deb "$T"/sasl-oauth2_*.deb)
check "sasl-oauth2 depends on libcurl, which it loads with dlopen (dpkg-shlibdeps cannot see that)" \
	bash -c 'dpkg-deb -f "$1" Depends | grep -q "libcurl4"' _ "$(ls "$T"/sasl-oauth2_*.deb)"
check "both binary packages were built (libsasl2-modules-oauth2, sasl-oauth2)" \
	test -f "$(ls "$T"/libsasl2-modules-oauth2_*.deb)" -a -f "$(ls "$T"/sasl-oauth2_*.deb)"
# hardening=+all: PIE, stack protector, fortified calls, full RELRO
mkdir -p "$T/x"
for d in "${debs[@]}"; do dpkg-deb -x "$d" "$T/x"; done
hardened() {
	readelf -lW "$1" | grep -q GNU_RELRO && readelf -dW "$1" | grep -q 'BIND_NOW' &&
		readelf -sW --dyn-syms "$1" | grep -q '__stack_chk_fail' &&
		readelf -sW --dyn-syms "$1" | grep -qE '__[a-z]+_chk@'
}
check "the CLI is built hardened (PIE, full RELRO, stack protector, fortify)" \
	bash -c "$(declare -f hardened); hardened '$T/x/usr/bin/sasl-oauth2' && readelf -hW '$T/x/usr/bin/sasl-oauth2' | grep -q 'DYN'"
check "the plugin is built hardened (full RELRO, stack protector, fortify)" \
	bash -c "$(declare -f hardened); hardened \"\$(ls '$T'/x/usr/lib/*/sasl2/libsasl-oauth2.so)\""
check "the plugin is in the multiarch sasl2 directory, Multi-Arch: same" \
	bash -c 'dpkg-deb -c "$1" | grep -q "/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/sasl2/libsasl-oauth2.so$" &&
		test "$(dpkg-deb -f "$1" Multi-Arch)" = same' _ "$(ls "$T"/libsasl2-modules-oauth2_*.deb)"
lintian --fail-on error,warning "$T"/*.changes >"$T/lintian.log" 2>&1
lrc=$?
if [ "$lrc" = 0 ] && ! grep -qE '^[EW]: ' "$T/lintian.log"; then
	ok "lintian: no errors or warnings"
else
	not_ok "lintian: no errors or warnings (exit $lrc)"
	grep -E '^[EW]: ' "$T/lintian.log" | head -n 30 | sed 's/^/#   /'
fi

# ----- the throwaway root ------------------------------------------------
. "$SRCDIR/tests/lib/chroot.sh"
root_create "$RELEASE"
# chroot.sh's EXIT trap removes the root; remove the build directory too
trap 'rc=$?; rm -rf "$T"; (exit $rc); root_cleanup' EXIT
mkdir -p "$ROOT/root/debs"
cp "${debs[@]}" "$ROOT/root/debs/"
cp -a "$T/src" "$ROOT/root/src"

deps=
for d in "${debs[@]}"; do
	deps="$deps${deps:+, }$(dpkg-deb -f "$d" Depends)"
done
TEST_DEPS=$(sed -n 's/^Depends:\s*//p; /^ [a-z0-9]/p' "$SRCDIR/debian/tests/control" |
	tr ',' '\n' | sed 's/^\s*//; s/\s*$//' | grep -v '^$' | grep -v 'oauth2' | sort -u | tr '\n' ' ')
# Leftover check: the file list with every dependency installed, before our
# packages come in; caches, logs and scratch directories are not looked at.
SNAP='find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /run -o -path /tmp \
	-o -path /var/tmp -o -path /var/cache -o -path /var/log -o -path /var/lib/apt/lists \
	-o -path /root/src -o -path /root/debs -o -path "/var/lib/dpkg/*-old" \) -prune -o -print | sort'
if in_root "set -e
	apt-get update -q >/dev/null
	echo 'postfix postfix/main_mailer_type select Local only' | debconf-set-selections
	echo 'postfix postfix/mailname string localhost' | debconf-set-selections
	apt-get satisfy -y -q --no-install-recommends '$deps' >/dev/null
	apt-get install -y -q --no-install-recommends $TEST_DEPS >/dev/null
	$SNAP >/root/before.list" >"$T/deps.log" 2>&1; then
	ok "the packages' dependencies and the autopkgtest's install in a fresh $RELEASE root"
else
	not_ok "the packages' dependencies and the autopkgtest's install in a fresh $RELEASE root"
	tail -n 20 "$T/deps.log" | sed 's/^/#   /'
	tests_exit
fi

# the README's way
check "apt install ./*.deb installs both packages" \
	in_root 'cd /root/debs && apt-get install -y -q ./*.deb >/root/install.log 2>&1'
in_root 'cat /root/install.log' | grep -iE '^(E|W):' | sed 's/^/#   /'

unitdir=$(in_root 'pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system')
check "the watch units are installed" \
	in_root 'dpkg -L sasl-oauth2 | grep -q "/systemd/system/sasl-oauth2-watch.service$" &&
		dpkg -L sasl-oauth2 | grep -q "/systemd/user/sasl-oauth2-watch-user.service$"'
check "the watch units are not enabled on install (no .wants links)" \
	in_root '! find /etc/systemd -name "sasl-oauth2-watch*" | grep -q .'
check "shell completion (bash, zsh) and the sample configuration (as an example) are installed" \
	in_root 'test -f /usr/share/bash-completion/completions/sasl-oauth2 &&
		test -f /usr/share/zsh/vendor-completions/_sasl-oauth2 &&
		test -f /usr/share/doc/sasl-oauth2/examples/sasl-oauth2.conf'
check "the guides (with the migration guide) and NEWS are in /usr/share/doc/sasl-oauth2, where doctor points" \
	in_root 'for f in README.md clients.md gmail.md microsoft365.md migrate-sasl-xoauth2.md postfix.md; do
		test -f /usr/share/doc/sasl-oauth2/$f || exit 1; done
		test -f /usr/share/doc/sasl-oauth2/NEWS || test -f /usr/share/doc/sasl-oauth2/NEWS.gz'
check "no /etc/sasl-oauth2.conf comes with the package (it is the admin's)" \
	in_root '! test -e /etc/sasl-oauth2.conf && ! dpkg -S /etc/sasl-oauth2.conf >/dev/null 2>&1'
check "the man pages are installed" \
	in_root 'for m in man1/sasl-oauth2.1 man5/sasl-oauth2.conf.5 man7/sasl-oauth2.7; do
		test -f /usr/share/man/$m.gz || exit 1; done'
: "$unitdir"

# the autopkgtest's checks, against the installed packages only
for t in plugin-mechanisms imtest-dovecot; do
	if in_root "cd /root/src && AUTOPKGTEST_TMP=\$(mktemp -d) debian/tests/$t" >"$T/$t.log" 2>&1; then
		ok "autopkgtest $t passes"
	else
		not_ok "autopkgtest $t passes"
		grep -E '^(not ok|#)' "$T/$t.log" | head -n 40 | sed 's/^/#   /'
	fi
done

in_root 'sasl-oauth2 doctor' >"$T/doctor.log" 2>&1
drc=$?
check "sasl-oauth2 doctor: no problem found (exit 0)" test "$drc" = 0
check "sasl-oauth2 doctor: the plugin is where libsasl2 loads it" grep -q '^OK   plugin: ' "$T/doctor.log"
[ "$drc" = 0 ] || sed 's/^/#   /' "$T/doctor.log"

# What an admin made: the config and token files (never the package's to
# remove), then purge.
ADMIN_FILES="/etc/sasl-oauth2.conf /root/.local/state/sasl-oauth2/work.json /var/spool/postfix/etc/sasl-oauth2/relay.json"
in_root 'set -e
	printf "# admin settings\nrefresh_margin = 900\n" >/etc/sasl-oauth2.conf
	install -d -m 700 /root/.local/state/sasl-oauth2
	printf "{\"access_token\": \"admin-token\", \"user\": \"alice@example.com\", \"expires_at\": 1}\n" \
		>/root/.local/state/sasl-oauth2/work.json
	install -d -m 700 -o postfix -g postfix /var/spool/postfix/etc/sasl-oauth2
	install -m 600 -o postfix -g postfix /root/.local/state/sasl-oauth2/work.json \
		/var/spool/postfix/etc/sasl-oauth2/relay.json
	md5sum '"$ADMIN_FILES"' >/root/admin.md5'
check "apt purge removes both packages" \
	in_root 'apt-get purge -y -q libsasl2-modules-oauth2 sasl-oauth2 >/root/purge.log 2>&1 &&
		! dpkg -l libsasl2-modules-oauth2 sasl-oauth2 2>/dev/null | grep -q "^[a-z][a-z] "'
check "the admin's config and token files are still there, unchanged" in_root 'md5sum -c --quiet /root/admin.md5'
in_root "$SNAP >/root/after.list"
in_root 'comm -13 /root/before.list /root/after.list' >"$T/left.list"
# the admin's files and the directories they made for them (Debian 13's
# postfix has no /var/spool/postfix/etc until someone makes it)
grep -vxF -e /etc/sasl-oauth2.conf -e /root/.local -e /root/.local/state \
	-e /root/.local/state/sasl-oauth2 -e /root/.local/state/sasl-oauth2/work.json \
	-e /var/spool/postfix/etc -e /var/spool/postfix/etc/sasl-oauth2 \
	-e /var/spool/postfix/etc/sasl-oauth2/relay.json \
	-e /root/admin.md5 -e /root/before.list -e /root/after.list -e /root/install.log -e /root/purge.log \
	"$T/left.list" >"$T/unexpected.list"
if [ ! -s "$T/unexpected.list" ]; then
	ok "purge leaves nothing behind but the admin's files ($(grep -c . "$T/left.list") entries, all the admin's)"
else
	not_ok "purge leaves nothing behind but the admin's files"
	head -n 30 "$T/unexpected.list" | sed 's/^/#   left: /'
fi
check "nothing of ours is left in the plugin directory" \
	in_root '! ls /usr/lib/*/sasl2/ | grep -q oauth2'
tests_exit
