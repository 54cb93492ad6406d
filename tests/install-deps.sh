#!/bin/sh
# Installs every Debian package the build and the tests need. Idempotent.
# Package daemons (postfix, dovecot) are stopped again: the tests run private
# instances on free loopback ports.
#
#   sh tests/install-deps.sh [--build-only]
#   --build-only: only what building and the unit tests need
set -eu
export DEBIAN_FRONTEND=noninteractive
build_pkgs="build-essential autoconf automake libtool pkg-config
  libsasl2-dev libsasl2-modules sasl2-bin libcurl4-openssl-dev libjson-c-dev libssl-dev"
pkgs="$build_pkgs
  dovecot-core dovecot-imapd dovecot-submissiond postfix cyrus-clients isync msmtp neomutt mutt tmux
  valgrind curl ca-certificates openssl
  chromium fonts-liberation"
[ "${1:-}" = --build-only ] && pkgs=$build_pkgs
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  # postfix asks debconf questions; preseed a local-only setup
  echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
  echo "postfix postfix/mailname string localhost" | debconf-set-selections
  apt-get update -q
  # cyrus-clients pulls in an MTA: postfix in the same call keeps apt from choosing exim4
  apt-get install -y -q --no-install-recommends $missing
fi
[ "${1:-}" = --build-only ] && exit 0
# The OAuth2 servers the tests run (oauth2-mock-server, oidc-provider) need
# Node.js 20.19 or later. Debian 12's own nodejs is 18: take it only when
# there is none, and say plainly when the one here is too old.
if ! command -v node >/dev/null 2>&1; then
  apt-get install -y -q --no-install-recommends nodejs npm
fi
if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
  echo "install-deps: Node.js $(node --version) is older than 20.19, which the tests' OAuth2 servers need;" >&2
  echo "install-deps: install Node.js 20 or 22 (the end-to-end tests fail without it)" >&2
fi
# Stop system instances a package may have started; tests run their own.
for svc in postfix dovecot; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
  fi
done
exit 0
