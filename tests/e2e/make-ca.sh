#!/bin/bash
# make-ca.sh OUTDIR: a throwaway test CA and a server certificate signed by
# it, for the HTTPS test servers (authserver.js, badtoken.js).
#
#   OUTDIR/ca.pem           CA certificate (give it to clients: curl --cacert,
#                           the plugin's CA bundle setting)
#   OUTDIR/ca-key.pem       CA private key (mode 0600)
#   OUTDIR/server.pem       server certificate, SAN IP:127.0.0.1, DNS:localhost,
#                           extendedKeyUsage serverAuth, signed by the CA
#   OUTDIR/server-key.pem   server private key (mode 0600)
#
# EC P-256 keys (fast). Idempotent: when the four files exist, the server
# certificate verifies against the CA and neither expires within a day,
# nothing is regenerated. Safe to run concurrently on the same OUTDIR (flock).
# Exits non-zero with a message on stderr on failure.
set -eu

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
OUT=$1
command -v openssl >/dev/null 2>&1 || { echo "make-ca.sh: openssl is not installed" >&2; exit 1; }
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# current: the existing set is complete and usable.
current() {
	local f
	for f in ca.pem ca-key.pem server.pem server-key.pem; do
		[ -s "$OUT/$f" ] || return 1
	done
	openssl x509 -in "$OUT/ca.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
	openssl x509 -in "$OUT/server.pem" -noout -checkend 86400 >/dev/null 2>&1 || return 1
	openssl verify -CAfile "$OUT/ca.pem" -purpose sslserver "$OUT/server.pem" >/dev/null 2>&1 || return 1
	openssl x509 -in "$OUT/server.pem" -noout -ext subjectAltName 2>/dev/null |
		grep -q 'IP Address:127.0.0.1' || return 1
	# the key must belong to the certificate
	[ "$(openssl pkey -in "$OUT/server-key.pem" -pubout 2>/dev/null)" = \
	  "$(openssl x509 -in "$OUT/server.pem" -noout -pubkey 2>/dev/null)" ] || return 1
}

generate() {
	local tmp
	tmp=$(mktemp -d "$OUT/.make-ca.XXXXXX")
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'; trap - RETURN" RETURN
	# Our own minimal config: independent of the system openssl.cnf.
	cat >"$tmp/openssl.cnf" <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = sasl-oauth2 test CA
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ v3_server ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
EOF
	(
		umask 077
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/ca-key.pem"
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/server-key.pem"
	) 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	openssl req -new -x509 -config "$tmp/openssl.cnf" -extensions v3_ca -sha256 -days 3650 \
		-key "$tmp/ca-key.pem" -subj "/CN=sasl-oauth2 test CA $(date +%s)" \
		-out "$tmp/ca.pem" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	openssl req -new -config "$tmp/openssl.cnf" -key "$tmp/server-key.pem" \
		-subj "/CN=127.0.0.1" -out "$tmp/server.csr" 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca-key.pem" \
		-set_serial "0x$(openssl rand -hex 8)" -sha256 -days 825 \
		-extfile "$tmp/openssl.cnf" -extensions v3_server -out "$tmp/server.pem" \
		2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
	chmod 644 "$tmp/ca.pem" "$tmp/server.pem"
	chmod 600 "$tmp/ca-key.pem" "$tmp/server-key.pem"
	# keys first, certificates last: a reader never pairs a new cert with an old key
	mv -f "$tmp/ca-key.pem" "$OUT/ca-key.pem"
	mv -f "$tmp/server-key.pem" "$OUT/server-key.pem"
	mv -f "$tmp/server.pem" "$OUT/server.pem"
	mv -f "$tmp/ca.pem" "$OUT/ca.pem"
}

if command -v flock >/dev/null 2>&1; then
	exec 9>"$OUT/.make-ca.lock"
	flock -w 30 9 || { echo "make-ca.sh: cannot lock $OUT/.make-ca.lock" >&2; exit 1; }
fi
current && exit 0
generate
current || { echo "make-ca.sh: generated certificates do not verify" >&2; exit 1; }
