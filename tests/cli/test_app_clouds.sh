#!/bin/bash
# `sasl-oauth2 authorize --app --cloud C` for every Microsoft cloud and every
# alias the CLI takes, end to end: the client credentials request must reach
# that cloud's own sign-in host (TLS name and Host header) with that cloud's
# app-only scope, RESOURCE/.default.
#
# Nothing may reach Microsoft: the script runs itself again inside a private
# network namespace (only its own loopback) and a private mount namespace in
# which a private /etc/hosts maps the sign-in hosts to 127.0.0.1. There
# tests/e2e/cloudlogin.js listens on 127.0.0.1:443 with a certificate from the
# suite's test CA (make-ca.sh) for those names, which the configuration's
# ca_bundle trusts. Like Entra, it refuses a scope that is not one
# RESOURCE/.default (AADSTS1002012) and a resource that is not its cloud's
# (AADSTS500011); it records host, TLS name, path and scope of each request.
set -u
. "$(dirname "$0")/../lib/harness.sh"

CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
TENANT=contoso.onmicrosoft.com
CLIENT=11111111-2222-3333-4444-555555555555
U=relay@contoso.com
HOSTS="login.microsoftonline.com login.microsoftonline.us login.partner.microsoftonline.cn"

if [ "${1:-}" != --inside ]; then
	need_cli
	[ "$(id -u)" = 0 ] || { skip "app clouds: needs root (private network and mount namespaces)"; exit 0; }
	for cmd in "$NODE" unshare ip openssl getent; do
		command -v "$cmd" >/dev/null 2>&1 ||
			bail "setup: $cmd is not installed (run tests/install-deps.sh)"
	done
	# -m: the private /etc/hosts stays in here (private propagation is
	# unshare's default); -n: port 443 is free and nothing gets out.
	exec unshare -m -n --propagation private -- bash "$0" --inside
fi

trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
E2E_TMP=$(mktemp_dir cli-app-clouds) || bail "setup: cannot make a temp dir"
T=$E2E_TMP
note "temp dir $T"
ip link set lo up || bail "setup: cannot bring up the namespace's loopback"

# ---- the sign-in hosts resolve to 127.0.0.1, here only
{ cat /etc/hosts; echo "127.0.0.1 $HOSTS"; } >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts || bail "setup: cannot bind-mount a private /etc/hosts"
for h in $HOSTS; do
	[ "$(getent ahosts "$h" | awk 'NR == 1 { print $1 }')" = 127.0.0.1 ] ||
		bail "setup: $h does not resolve to 127.0.0.1 in the private namespace"
done

# ---- a certificate for the sign-in hosts from the suite's test CA
CA_DIR="$T/ca"
bash "$E2E_DIR/make-ca.sh" "$CA_DIR" >/dev/null || bail "setup: make-ca.sh failed"
san=$(printf 'DNS:%s,' $HOSTS)
cat >"$T/login.cnf" <<EOF
[ v3 ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = ${san%,}
EOF
( umask 077; openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$T/login-key.pem" ) 2>/dev/null &&
	openssl req -new -key "$T/login-key.pem" -subj "/CN=login.microsoftonline.com" \
		-out "$T/login.csr" 2>/dev/null &&
	openssl x509 -req -in "$T/login.csr" -CA "$CA_DIR/ca.pem" -CAkey "$CA_DIR/ca-key.pem" \
		-set_serial "0x$(openssl rand -hex 8)" -days 2 -sha256 -extfile "$T/login.cnf" \
		-extensions v3 -out "$T/login.pem" 2>/dev/null ||
	bail "setup: cannot sign the sign-in hosts' certificate with the test CA"

SECRET="app-secret-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')"
( umask 077; echo "$SECRET" >"$T/secret" )
REC="$T/requests.tsv"
: >"$REC"
LOG="$T/cloudlogin.log"
e2e_bg "$LOG" "$NODE" "$E2E_DIR/cloudlogin.js" --cert "$T/login.pem" --key "$T/login-key.pem" \
	--record "$REC" --secret "$SECRET" --port 443
wait_port 443 15 || { show_log "$LOG" cloudlogin; bail "setup: cloudlogin.js did not start on 443"; }

export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf" SASL_OAUTH2_STATE_DIR="$T/state"
cat >"$SASL_OAUTH2_CONF" <<EOF
ca_bundle = $CA_DIR/ca.pem
connect_timeout = 3
timeout = 5
EOF
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

# authorize ACCOUNT ARGS...: the CLI's app-only authorize; output in $T/ACCOUNT.out
authorize() {
	local acct=$1; shift
	timeout 30 "$CLI" authorize "$acct" --app --tenant "$TENANT" --client-id "$CLIENT" \
		--user "$U" "$@" >"$T/$acct.out" 2>&1
}
# field N: field N of the last recorded request
field() { tail -n 1 "$REC" | cut -f "$1"; }
recorded_requests() { wc -l <"$REC"; }
# tokfile ACCOUNT: "TOKEN_ENDPOINT SCOPE" of the account's token file
tokfile() {
	"$NODE" -e 'try { const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		console.log(t.token_endpoint + " " + t.scope); } catch (e) { console.log(""); }' \
		"$SASL_OAUTH2_STATE_DIR/$1.json"
}

# ---- every cloud and alias: "CLOUD SIGN-IN-HOST SCOPE"; "-" is no --cloud
while read -r cloud host scope; do
	acct="app-${cloud//-/_}"
	args=(--client-secret-file "$T/secret")
	[ "$cloud" = - ] || args+=(--cloud "$cloud")
	before=$(recorded_requests)
	authorize "$acct" "${args[@]}"
	rc=$?
	what="--cloud $cloud"
	[ "$cloud" = - ] && what="no --cloud (worldwide)"
	check "$what: authorize --app exits 0" test "$rc" = 0
	[ "$rc" = 0 ] || sed 's/^/#   /' "$T/$acct.out"
	check "$what: one token request" test "$(recorded_requests)" = $((before + 1))
	check "$what: it reached $host (TLS name and Host header)" \
		test "$(field 2)|$(field 1)" = "$host|$host"
	check "$what: path /$TENANT/oauth2/v2.0/token, grant client_credentials" \
		test "$(field 3)|$(field 4)" = "/$TENANT/oauth2/v2.0/token|client_credentials"
	check "$what: the scope sent is $scope" test "$(field 5)" = "$scope"
	[ "$(field 5)" = "$scope" ] || note "sent: $(field 5)"
	check "$what: the token file names https://$host/$TENANT/oauth2/v2.0/token and $scope" \
		test "$(tokfile "$acct")" = \
		"https://$host/$TENANT/oauth2/v2.0/token $scope"
done <<EOF
- login.microsoftonline.com https://outlook.office365.com/.default
worldwide login.microsoftonline.com https://outlook.office365.com/.default
global login.microsoftonline.com https://outlook.office365.com/.default
gcc login.microsoftonline.com https://outlook.office365.com/.default
gcc-high login.microsoftonline.us https://outlook.office365.us/.default
us login.microsoftonline.us https://outlook.office365.us/.default
dod login.microsoftonline.us https://outlook-dod.office365.us/.default
china login.partner.microsoftonline.cn https://partner.outlook.cn/.default
EOF

# ---- renewing later goes to the same host with the same scope
rm -f "$T/renew.out"
before=$(recorded_requests)
timeout 30 "$CLI" token app-dod --min-valid 86400 >"$T/renew.out" 2>&1
rc=$?
check "renew (dod): token --min-valid 86400 (renews the 1 h token) exits 0" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/#   /' "$T/renew.out"
check "renew (dod): login.microsoftonline.us with https://outlook-dod.office365.us/.default" \
	test "$(recorded_requests)|$(field 2)|$(field 5)" = \
	"$((before + 1))|login.microsoftonline.us|https://outlook-dod.office365.us/.default"

# ---- a certificate credential: the assertion's audience is the cloud's endpoint
"$CLI" keygen "$T/key.pem" "$T/cert.pem" --days 30 --bits 2048 >/dev/null 2>&1 ||
	bail "setup: keygen failed"
authorize app-cert-china --cloud china --certificate "$T/cert.pem" --private-key "$T/key.pem"
check "certificate (china): authorize --app exits 0" test $? = 0
check "certificate (china): assertion audience and scope are 21Vianet's" \
	test "$(field 7)|$(field 5)" = \
	"https://login.partner.microsoftonline.cn/$TENANT/oauth2/v2.0/token|https://partner.outlook.cn/.default"

# ---- refused scopes: the advice names the cloud's own scope
authorize bad-high --cloud gcc-high --client-secret-file "$T/secret" \
	--scope https://outlook.office365.us/SMTP.SendAsApp
check "wrong scope (gcc-high): refused, exit non-zero" test $? != 0
check "wrong scope (gcc-high): the server said AADSTS1002012" test "$(field 8)" = 400 -a \
	-n "$(grep AADSTS1002012 "$T/bad-high.out")"
check "wrong scope (gcc-high): the advice names https://outlook.office365.us/.default (GCC High)" \
	grep -qF 'https://outlook.office365.us/.default (GCC High)' "$T/bad-high.out"
check "wrong scope (gcc-high): and no other cloud's scope" \
	test -z "$(grep -E 'outlook\.office365\.com/\.default|outlook-dod|partner\.outlook' "$T/bad-high.out")"
check "wrong scope (gcc-high): nothing written" test ! -e "$SASL_OAUTH2_STATE_DIR/bad-high.json"
authorize bad-dod --cloud dod --client-secret-file "$T/secret" \
	--scope https://outlook-dod.office365.us/IMAP.AccessAsApp
check "wrong scope (dod): the advice names https://outlook-dod.office365.us/.default (DoD) only" \
	test -n "$(grep -F 'https://outlook-dod.office365.us/.default (DoD)' "$T/bad-dod.out")" -a \
	-z "$(grep -F 'https://outlook.office365.us/.default' "$T/bad-dod.out")"
authorize bad-ww --cloud worldwide --client-secret-file "$T/secret" \
	--scope "https://outlook.office.com/IMAP.AccessAsUser.All offline_access"
check "wrong scope (worldwide): the advice names https://outlook.office365.com/.default" \
	grep -qF 'https://outlook.office365.com/.default (worldwide and GCC)' "$T/bad-ww.out"
# the wrong cloud's resource on a sign-in host: Entra does not know it there
authorize bad-cross --cloud china --client-secret-file "$T/secret" \
	--scope https://outlook.office365.com/.default
check "another cloud's scope (china): refused (AADSTS500011), nothing written" \
	test $? != 0 -a "$(field 8)" = 400 -a ! -e "$SASL_OAUTH2_STATE_DIR/bad-cross.json"

check "no secret in any output" test -z "$(grep -rlF "$SECRET" "$T"/*.out)"
check "every request reached a sign-in host on 127.0.0.1 (nothing else was asked)" \
	test -z "$(cut -f 2 "$REC" | grep -vxE 'login\.microsoftonline\.(com|us)|login\.partner\.microsoftonline\.cn')"
tests_exit
