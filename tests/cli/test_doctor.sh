#!/bin/bash
# sasl-oauth2 doctor: a correct Postfix setup is all OK; then each check's
# failure is built on purpose and doctor must name it (FAIL/WARN) and give
# the fix. Postfix is inspected through its real postconf/postmap on a
# private configuration directory.
set -u
. "$(dirname "$0")/../lib.sh"
CLI="$BUILDDIR/tools/sasl-oauth2"
T=$(mktemp_dir doctor)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT

PLUGINS="$T/plugins"; make_plugin_dir "$PLUGINS"
CHROOT="$T/spool"
PFDIR="$T/postfix"
TOKDIR="$CHROOT/etc/sasl-oauth2"
TOK="$TOKDIR/work.json"
mkdir -p "$TOKDIR" "$PFDIR"
chown postfix:postfix "$TOKDIR"; chmod 700 "$TOKDIR"
export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf"

good_config() {
	printf 'ca_bundle = /etc/ssl/certs/ca-certificates.crt\nchroot_dir = %s\n' "$CHROOT" >"$SASL_OAUTH2_CONF"
}

b64url() { base64 -w0 | tr '+/' '-_' | tr -d '='; }
# jwt IAT: an (unsigned) JWT-shaped token issued at IAT.
jwt() {
	printf '%s.%s.c2ln' "$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)" \
		"$(printf '{"sub":"alice@example.com","iat":%s,"exp":%s}' "$1" $(( $1 + 3600 )) | b64url)"
}

# token_file [EXTRA_JSON_MEMBERS]: a healthy token file, owned by postfix.
token_file() {
	local now; now=$(date +%s)
	( umask 077; cat >"$TOK" <<-JSON
	{ "version": 1, "user": "alice@example.com", "client_id": "c",
	  "token_endpoint": "https://login.example.com/token",
	  "access_token": "$(jwt "$now")", "expires_at": $(( now + 3000 )),
	  "refresh_token": "rt-x", "refreshed_at": $now ${1:-} }
	JSON
	)
	chown postfix:postfix "$TOK"; chmod 600 "$TOK"
}

postfix_config() {
	cat >"$PFDIR/main.cf" <<-CF
	compatibility_level = 3.6
	relayhost = [smtp.example.com]:587
	smtp_sasl_auth_enable = yes
	smtp_sasl_password_maps = texthash:$PFDIR/sasl_passwd
	smtp_sasl_mechanism_filter = xoauth2
	smtp_sasl_security_options = noanonymous
	smtp_tls_security_level = encrypt
	CF
	touch "$PFDIR/master.cf"
	echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
}

doctor() {
	"$CLI" doctor work --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
	DOCTOR_RC=$?
}
# expect VERDICT PATTERN [FIX_PATTERN]: the last doctor run has a VERDICT
# line matching PATTERN, followed by a fix line matching FIX_PATTERN.
expect() {
	local v=$1 pat=$2 fix=${3:-}
	if ! grep -A1 -E "^$v +.*$pat" "$T/out" >"$T/hit"; then
		echo "# doctor printed:"; sed 's/^/#   /' "$T/out"; return 1
	fi
	[ -z "$fix" ] || grep -qE "^ +fix: .*$fix" "$T/hit" || { echo "# no fix matching $fix:"; sed 's/^/#   /' "$T/hit"; return 1; }
}
case_() { # case_ NAME VERDICT PATTERN FIX: runs doctor, checks, and the exit status
	local name=$1; shift
	doctor
	check "$name: doctor reports $1 \"$2\" with its fix" expect "$@"
	if [ "$1" = FAIL ]; then
		check "$name: doctor exits 1" test "$DOCTOR_RC" = 1
	fi
}

good_config; token_file; postfix_config
"$CLI" watch --for postfix --foreground --stderr >"$T/watch.log" 2>&1 &
PIDS+=($!)
# doctor looks for it in /proc: wait until it is there, not a fixed time.
for _ in $(seq 1 50); do
	pgrep -f "sasl-oauth2 watch --for postfix" >/dev/null && break
	sleep 0.2
done

# --- the correct setup -------------------------------------------------------------
doctor
check "correct setup: doctor exits 0" test "$DOCTOR_RC" = 0
check "correct setup: no FAIL or WARN line" bash -c '! grep -qE "^(FAIL|WARN)" "$1"' _ "$T/out"
check "correct setup: every check ran (12 OK lines)" test "$(grep -c '^OK' "$T/out")" -ge 12
check "correct setup: the summary says 0 problems" grep -q '^0 problems, 0 warnings' "$T/out"
sed 's/^/#   /' "$T/out"

# --- the plugin ------------------------------------------------------------------------
EMPTY="$T/empty-plugins"; mkdir -p "$EMPTY"
"$CLI" doctor --plugin-dir "$EMPTY" >"$T/out" 2>&1
check "plugin missing: FAIL with the install fix" expect FAIL "plugin: $EMPTY/libsasl-oauth2.so is missing" "make install"
BROKEN="$T/broken-plugins"; mkdir -p "$BROKEN"; echo "not an ELF file" >"$BROKEN/libsasl-oauth2.so"
"$CLI" doctor --plugin-dir "$BROKEN" >"$T/out" 2>&1
check "plugin broken: FAIL, libsasl2 does not list the mechanisms" expect FAIL "libsasl2 does not list XOAUTH2 and OAUTHBEARER" "reinstall"

# --- configuration -----------------------------------------------------------------------
printf 'ca_bundle = /etc/ssl/certs/ca-certificates.crt\nrefresh_margin = soon\n' >"$SASL_OAUTH2_CONF"
case_ "config" FAIL "config: config file $SASL_OAUTH2_CONF, line 2: refresh_margin" "sasl-oauth2.conf"
good_config
printf 'ca_bundle = %s/nowhere.pem\nchroot_dir = %s\n' "$T" "$CHROOT" >"$SASL_OAUTH2_CONF"
case_ "CA bundle" FAIL "CA bundle $T/nowhere.pem" "ca-certificates"
good_config

# --- the token file ---------------------------------------------------------------------
mv "$TOK" "$TOK.away"
case_ "token file missing" FAIL "token file: $TOK: No such file" "sasl-oauth2 authorize work"
mv "$TOK.away" "$TOK"
chmod 644 "$TOK"
case_ "token file mode" FAIL "readable by group or others" "chmod 600 $TOK"
chmod 600 "$TOK"; chown root:root "$TOK"
case_ "token file owner" FAIL "owned by root, but the postfix user must read" "chown"
chown postfix:postfix "$TOK"
now=$(date +%s)
( umask 077; printf '{"access_token":"opaque","user":"a@b","expires_at":%s}' $((now - 7200)) >"$TOK" ); chown postfix:postfix "$TOK"
case_ "expired, no refresh token" FAIL "access token: expired 2h" "authorize again"
check "expired, no refresh token: the refresh token is reported missing" expect FAIL "refresh token: none"
token_file ', "last_error": {"at": 1, "error": "invalid_grant", "message": "token endpoint refused the refresh (invalid_grant): AADSTS700082"}'
case_ "last refresh error" FAIL "last refresh: .*AADSTS700082" "follow the advice"
token_file; sed -i "s/\"access_token\": \"[^\"]*\"/\"access_token\": \"$(jwt $(( now + 3600 )))\"/" "$TOK"
case_ "clock" FAIL "clock: this host is 3[0-9]{3} s behind" "synchronise the clock"
token_file
OUTSIDE="$T/outside.json"; cp -p "$TOK" "$OUTSIDE"
"$CLI" doctor "$OUTSIDE" --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
check "token file outside the chroot: FAIL" expect FAIL "is outside Postfix's chroot" "--for postfix"

# --- Postfix ---------------------------------------------------------------------------
sed -i 's/^smtp_sasl_auth_enable = yes/smtp_sasl_auth_enable = no/' "$PFDIR/main.cf"
case_ "auth disabled" FAIL "smtp_sasl_auth_enable = no" "smtp_sasl_auth_enable=yes"
postfix_config
echo "[other.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
case_ "map entry missing" FAIL "no entry for \[smtp.example.com\]:587" "postmap"
echo "[smtp.example.com]:587 alice@example.com:/etc/elsewhere.json" >"$PFDIR/sasl_passwd"
case_ "map entry elsewhere" FAIL "is not the token file" "token file's path"
postfix_config
sed -i "s|^smtp_sasl_password_maps = .*|smtp_sasl_password_maps = inline:{ {[smtp.example.com]:587 = alice@example.com:$TOK} }, texthash:$PFDIR/sasl_passwd|" "$PFDIR/main.cf"
doctor
check "inline map (with spaces and a second table): the entry is found" \
	expect OK "the password map sends \[smtp.example.com\]:587 the token file $TOK"
postfix_config
sed -i 's/^smtp_sasl_mechanism_filter = .*/smtp_sasl_mechanism_filter = plain, login/' "$PFDIR/main.cf"
case_ "mechanism filter" FAIL "filters out XOAUTH2" "smtp_sasl_mechanism_filter=xoauth2"
postfix_config
sed -i 's/^smtp_sasl_security_options = .*/smtp_sasl_security_options = noanonymous, nodictionary/' "$PFDIR/main.cf"
case_ "security options" FAIL "has nodictionary" "noanonymous"
postfix_config
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = none/' "$PFDIR/main.cf"
case_ "no TLS" FAIL "smtp_tls_security_level = none" "encrypt"
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = may/' "$PFDIR/main.cf"
case_ "opportunistic TLS" WARN "smtp_tls_security_level = may" "encrypt"
postfix_config
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=()
case_ "watch not running" WARN "watch service is not running" "systemctl enable --now sasl-oauth2-watch"
check "watch not running: a warning alone does not fail (exit 0)" test "$DOCTOR_RC" = 0

tests_exit
