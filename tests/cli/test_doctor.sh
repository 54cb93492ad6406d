#!/bin/bash
# sasl-oauth2 doctor: a correct Postfix setup is all OK; then each check's
# failure is built on purpose and doctor must name it (FAIL/WARN) and give
# the fix. Postfix is inspected through its real postconf/postmap on a
# private configuration directory.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/shellwords.sh"
CLI="$BUILDDIR/tools/sasl-oauth2"
T=$(mktemp_dir doctor)
PIDS=()
cleanup() {
	[ -z "${FAKE:-}" ] || { pkill -P "$FAKE"; kill "$FAKE"; } 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT

PLUGINS="$T/plugins"; make_plugin_dir "$PLUGINS"
CHROOT="$T/spool"
PFDIR="$T/postfix"
TOKDIR="$CHROOT/etc/sasl-oauth2"
TOK="$TOKDIR/work.json"
mkdir -p "$TOKDIR" "$PFDIR"
chown postfix:postfix "$TOKDIR"; chmod 700 "$TOKDIR"
export SASL_OAUTH2_CONF="$T/sasl-oauth2.conf"

# A correct setup tells the admin when a token dies (watch's notify_mail).
good_config() {
	printf 'ca_bundle = /etc/ssl/certs/ca-certificates.crt\nchroot_dir = %s\nnotify_mail = root\n' \
		"$CHROOT" >"$SASL_OAUTH2_CONF"
}

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
	smtp_sasl_tls_security_options = noanonymous
	smtp_tls_security_level = encrypt
	CF
	touch "$PFDIR/master.cf"
	echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
}

# every doctor output of this script, for check_fix_lines at the end
ALL_OUT="$T/all-doctor.out"; PLANTED=()
doctor() {
	"$CLI" doctor work --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
	DOCTOR_RC=$?
	cat "$T/out" >>"$ALL_OUT"
}
# expect VERDICT PATTERN [FIX_PATTERN]: the last doctor run has a VERDICT
# line matching PATTERN, followed by a fix line matching FIX_PATTERN.
expect() {
	local v=$1 pat=$2 fix=${3:-}
	cat "$T/out" >>"$ALL_OUT"
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
# doctor's postconf fixes end with a reload only while that Postfix runs
# (a stopped one reads main.cf when it starts; reload would fail)
RELOAD=
postfix -c "$PFDIR" status >/dev/null 2>&1 && RELOAD=" && postfix -c $PFDIR reload"
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
case_ "token file owner" FAIL "owned by root, but the postfix user must read" "chown postfix:postfix $TOKDIR $TOK"
chown postfix:postfix "$TOK"
# the token file replaced by a symbolic link to a file of root's: a printed
# "chown postfix ... $TOK" would hand root's file to postfix (issue 9, 4)
ROOTS="$T/roots-file"; cp -p "$TOK" "$ROOTS"; chown root:root "$ROOTS"; chmod 600 "$ROOTS"
mv "$TOK" "$TOK.real"; ln -s "$ROOTS" "$TOK"
doctor
check "token file is a symlink: no chown/chmod fix names it" \
	bash -c '! grep -E "fix: .*(chown|chmod) .*$1( |\$)" "$2"' _ "$TOK" "$T/out"
check "token file is a symlink: doctor says so" grep -qF "$TOK is a symbolic link" "$T/out"
check "token file is a symlink: root's file is untouched" test "$(stat -c %U "$ROOTS")" = root
grep -E "symbolic|^FAIL token" "$T/out" | sed 's/^/#   /'
rm -f "$TOK"; mv "$TOK.real" "$TOK"
# the token directory replaced by a link to a directory of root's
ROOTDIR="$T/roots-dir"; install -d -m 755 -o root "$ROOTDIR"; cp -p "$TOK" "$ROOTDIR/work.json"
mv "$TOKDIR" "$TOKDIR.real"; ln -s "$ROOTDIR" "$TOKDIR"
doctor
check "token directory is a symlink: no chown fix names it" \
	bash -c '! grep -E "fix: .*chown .*$1( |\$)" "$2"' _ "$TOKDIR" "$T/out"
check "token directory is a symlink: the fix says so" grep -qF "fix: $TOKDIR is a symbolic link (to $ROOTDIR)" "$T/out"
grep -F "symbolic" "$T/out" | sed 's/^/#   /'
rm -f "$TOKDIR"; mv "$TOKDIR.real" "$TOKDIR"

# --- issue 16: what the postfix user plants, root must never run -------------------------
# Each attack is made by the real postfix user; root runs doctor, then (as an
# admin would) every chown/chmod/echo fix it printed, in a scratch directory.
SCRATCH="$T/scratch"; mkdir -p "$SCRATCH"
run_printed_fixes() {
	local line
	grep -E '^ +fix: (chown|chmod|echo) ' "$T/out" | sed 's/^ *fix: //' >"$T/fixes.run"
	while IFS= read -r line; do
		echo "# running as root: $line"
		( cd "$SCRATCH" && bash -c "$line" ) >/dev/null 2>&1
	done <"$T/fixes.run"
	return 0
}
# app_file NAME SECRET_PATH: postfix writes an app-only account naming SECRET_PATH
app_file() {
	local now; now=$(date +%s)
	as_postfix sh -c 'umask 077; cat >"$1"' _ "$TOKDIR/$1.json" <<-JSON
	{ "version": 2, "grant": "client_credentials", "user": "relay@example.com", "client_id": "c",
	  "token_endpoint": "https://login.microsoftonline.com/0f0e0d0c-0b0a-0908-0706-050403020100/oauth2/v2.0/token",
	  "scope": "https://outlook.office365.com/.default", "client_secret_file": "$2",
	  "access_token": "$(jwt "$now")", "expires_at": $(( now + 3000 )) }
	JSON
}
doctor_relay() {
	"$CLI" doctor relay --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
	cat "$T/out" >>"$ALL_OUT"
}
# 1. the credential file is a link to a root-only file: a printed chown would
#    hand that file to postfix
ROOTSECRET="$T/root-only.secret"; ( umask 077; echo root-secret-value >"$ROOTSECRET" )
as_postfix ln -s "$ROOTSECRET" "$TOKDIR/app.secret"
app_file relay "$TOKDIR/app.secret"
doctor_relay
check "credential file is a link (made by postfix): doctor says so" \
	grep -qF "client secret file $TOKDIR/app.secret is a symbolic link" "$T/out"
check "credential file is a link: no chown or chmod fix names it" \
	bash -c '! grep -E "fix: .*(chown|chmod) .*app\.secret" "$1"' _ "$T/out"
run_printed_fixes
check "credential file is a link: after root ran every printed fix, the root-only file is still root's, 0600" \
	test "$(stat -c '%U %a' "$ROOTSECRET")" = "root 600"
grep -E "app.secret" "$T/out" | sed 's/^/#   /'
as_postfix rm -f "$TOKDIR/app.secret" "$TOKDIR/relay.json"
# 2. a credential path with shell syntax in it (a directory postfix named so)
EVILDIR="$TOKDIR/d; touch pwned-by-path; #PWN"
as_postfix mkdir "$EVILDIR"
as_postfix sh -c 'umask 022; echo app-secret-value >"$1/app.secret"' _ "$EVILDIR"
PLANTED+=("$EVILDIR/app.secret")
app_file relay "$EVILDIR/app.secret"
doctor_relay
check "credential path with shell syntax: doctor prints a chmod for it" grep -qE '^ +fix: chmod 600 ' "$T/out"
run_printed_fixes
check "credential path with shell syntax: root ran the printed fix, no command from the path ran" \
	test ! -e "$SCRATCH/pwned-by-path"
check "credential path with shell syntax: the fix applied to the file itself (0600 now)" \
	test "$(stat -c %a "$EVILDIR/app.secret")" = 600
grep -E "fix: chmod" "$T/out" | sed 's/^/#   /'
as_postfix rm -rf "$EVILDIR" "$TOKDIR/relay.json"
# 3. the token file's "user" with shell syntax, and no map entry for the relay:
#    the password-map fix line must not run it
cp -p "$TOK" "$T/tok.saved"
as_postfix sh -c 'umask 077; cat >"$1"' _ "$TOK" <<-JSON
{ "version": 1, "user": "x' >/dev/null; touch pwned-by-user; echo 'PWN@example.com", "client_id": "c",
  "token_endpoint": "https://login.example.com/token", "access_token": "at-0123456789abcdefghij",
  "expires_at": $(( $(date +%s) + 3000 )), "refresh_token": "rt-x" }
JSON
echo "[other.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
doctor
check "user with shell syntax: the token file is refused, naming the file and the field" \
	grep -qF "token file $TOK: field \"user\"" "$T/out"
check "user with shell syntax: the password-map fix uses the MAILBOX placeholder" \
	grep -qE '^ +fix: echo .*MAILBOX:' "$T/out"
run_printed_fixes
check "user with shell syntax: root ran the printed fix, no command from the user ran" \
	test ! -e "$SCRATCH/pwned-by-user"
grep -E "user|fix: echo" "$T/out" | sed 's/^/#   /'
cp -p "$T/tok.saved" "$TOK"; postfix_config
check "postfix's plants: the runs above made no file in root's scratch directory" \
	test -z "$(ls -A "$SCRATCH")"
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
case_ "auth disabled" FAIL "smtp_sasl_auth_enable = no" "postconf -c $PFDIR -e 'smtp_sasl_auth_enable = yes'$RELOAD\$"
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
case_ "mechanism filter" FAIL "filters out XOAUTH2" "'smtp_sasl_mechanism_filter = xoauth2'$RELOAD\$"
postfix_config
echo 'smtp_sasl_security_options = noanonymous, nodictionary' >>"$PFDIR/main.cf"
case_ "security options" FAIL "smtp_sasl_security_options has nodictionary" "smtp_sasl_security_options"
postfix_config

# --- a bearer token is a plaintext credential (issue 9, section 3) -----------------------
# a setup made for plugin versions that claimed noplaintext: the TLS options
# are unset and inherit Postfix's default "noplaintext, noanonymous"
sed -i '/^smtp_sasl_tls_security_options/d' "$PFDIR/main.cf"
case_ "old setup (TLS options unset)" FAIL \
	"smtp_sasl_tls_security_options = \(unset, so smtp_sasl_security_options = noplaintext, noanonymous\) has noplaintext.*No worthy mechs found" \
	"smtp_sasl_tls_security_options = noanonymous"
echo 'smtp_sasl_security_options = noanonymous' >>"$PFDIR/main.cf"
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = may/' "$PFDIR/main.cf"
case_ "token without TLS" FAIL \
	"smtp_sasl_security_options = noanonymous allows plaintext mechanisms .*and smtp_tls_security_level = may does not require TLS: a relay that offers no STARTTLS would get the token in clear" \
	"-X smtp_sasl_security_options"
postfix_config
echo 'smtp_sasl_security_options = noanonymous' >>"$PFDIR/main.cf"
case_ "plaintext allowed, TLS required" WARN \
	"smtp_sasl_security_options = noanonymous allows plaintext mechanisms: only smtp_tls_security_level = encrypt keeps the token on TLS" \
	"-X smtp_sasl_security_options"
postfix_config
doctor
check "guide's setup: the TLS options allow the mechanisms over TLS" \
	expect OK "smtp_sasl_tls_security_options = noanonymous allows the mechanisms over TLS"
check "guide's setup: the default options keep the token off connections without TLS" \
	expect OK "smtp_sasl_security_options = noplaintext, noanonymous keeps the token off"
# password relays next to the OAuth one, in the same map
PW='Pw!relay-Secret.42'
printf '%s\n' "[smtp.example.com]:587 alice@example.com:$TOK" "[mail.example.org]:587 bob:$PW" \
	"[smtp.example.net]:25 carol:eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl" >"$PFDIR/sasl_passwd"
case_ "password entry, XOAUTH2 filter" WARN \
	"postfix: 1 password map entry \(\[mail.example.org\]:587\) holds a password, and smtp_sasl_mechanism_filter = xoauth2 lets XOAUTH2/OAUTHBEARER through" \
	"smtp_sasl_mechanism_filter = plain, login"
check "password entry: doctor never prints the password" bash -c '! grep -qF -- "$1" "$2"' _ "$PW" "$T/out"
sed -i '/^smtp_sasl_mechanism_filter/d' "$PFDIR/main.cf"
case_ "password entry, no filter" WARN "1 password map entry .*smtp_sasl_mechanism_filter = \(none: every mechanism\)" \
	"postfix.md, section 7"
postfix_config
postfix_config
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = none/' "$PFDIR/main.cf"
case_ "no TLS" FAIL "smtp_tls_security_level = none" "encrypt"
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = may/' "$PFDIR/main.cf"
case_ "opportunistic TLS" WARN "smtp_tls_security_level = may" "encrypt"
postfix_config
for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; PIDS=()
# a watch that reads another config file serves another setup: it does not count
cp "$SASL_OAUTH2_CONF" "$T/other.conf"
SASL_OAUTH2_CONF="$T/other.conf" "$CLI" watch --for postfix --foreground --stderr >"$T/watch2.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do
	grep -qsz "SASL_OAUTH2_CONF=$T/other.conf" /proc/$!/environ && break
	sleep 0.2
done
check "another config's watch is running" kill -0 $!
# issue 16: a process of the postfix user that only calls itself "sasl-oauth2
# watch --for postfix" (argv[0] and arguments, same config) is not the watch
runuser -u postfix -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
	bash -c 'echo $$; exec -a sasl-oauth2 bash -s watch --for postfix <<<"sleep 120; :"' >"$SCRATCH.fake" &
PIDS+=($!)
for _ in $(seq 1 50); do
	FAKE=$(cat "$SCRATCH.fake" 2>/dev/null)
	[ -n "$FAKE" ] && tr '\0' ' ' </proc/"$FAKE"/cmdline 2>/dev/null | grep -q "^sasl-oauth2 .*watch --for postfix" && break
	sleep 0.1
done
check "a fake watch (postfix's bash named sasl-oauth2, pid ${FAKE:-none}) is running" \
	bash -c 'test "$(stat -c %U /proc/$1)" = postfix && tr "\0" " " </proc/$1/cmdline | grep -q "^sasl-oauth2 .*watch --for postfix"' _ "${FAKE:-none}"
if [ -d /run/systemd/system ]; then
	case_ "watch not running (systemd)" WARN "watch service is not running" "systemctl enable --now sasl-oauth2-watch"
else
	# the guide's cron line, naming this very program
	case_ "watch not running (no systemd)" WARN "watch service is not running" \
		"echo '\\*/5 \\* \\* \\* \\* root $CLI watch --for postfix --once' > /etc/cron.d/sasl-oauth2-watch\$"
fi
check "watch not running: a warning alone does not fail (exit 0)" test "$DOCTOR_RC" = 0
# --- Postfix, as a Debian admin meets it ------------------------------------------------
# fix_cmd: the last doctor run's first fix line matching PATTERN, as printed
fix_cmd() { grep -E "^ +fix: .*$1" "$T/out" | head -n1 | sed 's/^ *fix: //'; }
# run_fix PATTERN: runs that fix without its trailing "&& postfix ... reload"
# (this Postfix instance is never started)
run_fix() {
	local cmd; cmd=$(fix_cmd "$1")
	[ -n "$cmd" ] || { echo "# no fix matching $1"; return 1; }
	bash -c "${cmd% && postfix -c * reload}"
}
no_line() { ! grep -qE "$1" "$T/out" || { echo "# unexpected:"; grep -E "$1" "$T/out" | sed 's/^/#   /'; return 1; }; }

# Debian's "Local only" main.cf (what postfix's postinst writes), then the guide's lines
local_only_config() {
	cp /usr/share/postfix/main.cf.debian "$PFDIR/main.cf"
	cp /usr/share/postfix/master.cf.dist "$PFDIR/master.cf"
	postconf -c "$PFDIR" -e myhostname=host.example.com mydestination='$myhostname, localhost' \
		inet_interfaces=loopback-only default_transport=error relay_transport=error relayhost= \
		"queue_directory = $CHROOT"
	postconf -c "$PFDIR" -e 'relayhost = [smtp.example.com]:587' smtp_sasl_auth_enable=yes \
		"smtp_sasl_password_maps = hash:$PFDIR/sasl_passwd" smtp_sasl_mechanism_filter=xoauth2 \
		smtp_sasl_tls_security_options=noanonymous smtp_tls_security_level=encrypt
	echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
	postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"
	mkdir -p "$CHROOT/etc"; cp -p /etc/resolv.conf /etc/hosts /etc/services "$CHROOT/etc/"
}
local_only_config
check "Local only: master.cf chroots smtp, as Debian ships it" test "$(postconf -c "$PFDIR" -Fh smtp/unix/chroot)" = y
case_ "Local only main.cf" FAIL "default_transport = error: mail for other domains is bounced" \
	"postconf -c $PFDIR -e 'default_transport = smtp'$RELOAD"
check "Local only main.cf: relay_transport = error is named too" expect FAIL "relay_transport = error" "'relay_transport = relay'"
check "Local only main.cf: the printed fixes run" bash -c "$(declare -f fix_cmd run_fix); T=$T; run_fix default_transport && run_fix relay_transport"
doctor
check "Local only main.cf, after the fixes: the transports are OK" expect OK "default_transport = smtp"
check "Local only main.cf, after the fixes: no FAIL" no_line "^FAIL"

# the chroot: a refresh there needs name resolution
rm -f "$CHROOT/etc/resolv.conf" "$CHROOT/etc/services"
case_ "chroot without resolv.conf" FAIL "smtp is chrooted in $CHROOT, which has no etc/resolv.conf, etc/services" \
	"mkdir -p $CHROOT/etc && cp -p /etc/resolv.conf /etc/services $CHROOT/etc/\$"
check "chroot without resolv.conf: the printed fix runs" run_fix "cp -p"
doctor
check "chroot, after the fix: OK" expect OK "which has etc/resolv.conf, etc/hosts and etc/services"

# the password map, as written by tarickb/sasl-xoauth2 users: the in-chroot path
echo "[smtp.example.com]:587 alice@example.com:/etc/sasl-oauth2/work.json" >"$PFDIR/sasl_passwd"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"
doctor
check "in-chroot path in the map, smtp chrooted: OK" expect OK "sends \[smtp.example.com\]:587 the token file /etc/sasl-oauth2/work.json \(as the chrooted smtp client sees it\)"
check "in-chroot path in the map, smtp chrooted: doctor exits 0" test "$DOCTOR_RC" = 0
postconf -c "$PFDIR" -F smtp/unix/chroot=n
case_ "in-chroot path, smtp not chrooted" FAIL "names /etc/sasl-oauth2/work.json, which exists only inside the chroot $CHROOT, but smtp is not chrooted" \
	"alice@example.com:$TOK"
postconf -c "$PFDIR" -F smtp/unix/chroot=y

# a stale index: the text was edited, postmap forgotten
echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
touch -d "@$(( $(stat -c %Y "$PFDIR/sasl_passwd") - 5 ))" "$PFDIR/sasl_passwd.db"
case_ "stale sasl_passwd.db" FAIL "$PFDIR/sasl_passwd.db is older than $PFDIR/sasl_passwd: .*run postmap" \
	"postmap -c $PFDIR hash:$PFDIR/sasl_passwd\$"
check "stale sasl_passwd.db: the printed fix runs" run_fix "postmap"
doctor
check "stale sasl_passwd.db, after postmap: no FAIL" no_line "^FAIL"
rm "$PFDIR/sasl_passwd.db"
case_ "no sasl_passwd.db" FAIL "sasl_passwd.db does not exist: postmap was never run" "postmap -c $PFDIR hash:"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"

# a missing entry: the fix is the real line, relay host, mailbox and path
echo "[other.example.com]:587 bob@example.com:$TOK" >"$PFDIR/sasl_passwd"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"
case_ "map without the relay's entry" FAIL "no entry for \[smtp.example.com\]:587" \
	"echo '\[smtp.example.com\]:587 alice@example.com:$TOK' >> $PFDIR/sasl_passwd && postmap -c $PFDIR hash:$PFDIR/sasl_passwd"
check "map without the relay's entry: the printed fix runs" run_fix "echo"
doctor
check "map without the relay's entry, after the fix: the map sends the token file" expect OK "the password map sends \[smtp.example.com\]:587 the token file $TOK"

# a mistyped account: named, with the near name; the working map is left alone
"$CLI" doctor wrok --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
check "mistyped account: did you mean" expect FAIL "no account 'wrok'; did you mean 'work'\?" "sasl-oauth2 doctor work --for postfix"
check "mistyped account: the working map is not called wrong" no_line "fix: make the password|is not the token file|no entry"
check "mistyped account: the map's own token file is checked instead" expect OK "the password map sends \[smtp.example.com\]:587 the token file $TOK"
# an account of Postfix's, asked for without --for postfix
SASL_OAUTH2_STATE_DIR="$T/state" "$CLI" doctor work --plugin-dir "$PLUGINS" >"$T/out" 2>&1
check "Postfix's account without --for postfix: says to add it" expect FAIL "no account 'work' in $T/state; $TOK has it: it is Postfix's, add --for postfix" \
	"sasl-oauth2 doctor work --for postfix\$"

# doctor --for postfix without ACCOUNT: Postfix's settings and every token file in the map
OTHER="$TOKDIR/sales.json"; cp -p "$TOK" "$OTHER"; chmod 644 "$OTHER"
printf '[smtp.example.com]:587 alice@example.com:%s\nsales@example.com sales@example.com:%s\n' "$TOK" "$OTHER" >"$PFDIR/sasl_passwd"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"
"$CLI" doctor --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
DOCTOR_RC=$?
check "no ACCOUNT: the relay's token file is checked" expect OK "token file: $TOK parses"
check "no ACCOUNT: the map's other token file is checked too" expect FAIL "$OTHER.*readable by group or others" "chmod 600 $OTHER"
check "no ACCOUNT: Postfix's settings are checked" expect OK "postfix: smtp_sasl_auth_enable = yes"
check "no ACCOUNT: doctor exits 1 for the bad file" test "$DOCTOR_RC" = 1
rm -f "$OTHER"
echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"

# a token file that cannot be refreshed (typical after import)
token_file; sed -i 's/"client_id": "c",//' "$TOK"
case_ "no client_id anywhere" FAIL "refresh: $TOK has no client_id and $SASL_OAUTH2_CONF sets none" \
	"add \"client_id = APP-ID\" .* to $SASL_OAUTH2_CONF"
# the config's client goes only to the config's own token endpoint
echo "client_id = c" >>"$SASL_OAUTH2_CONF"
case_ "client_id in the config, for another endpoint" FAIL "refresh: $TOK cannot be renewed \(refresh_token grant\): it has no \"client_id\" of its own" \
	"sasl-oauth2 authorize work --for postfix"
echo "token_endpoint = https://login.example.com/token" >>"$SASL_OAUTH2_CONF"
doctor
check "client_id in the config, for this endpoint: refreshable" expect OK "refresh: the refresh_token grant has what it needs"
good_config; token_file; sed -i 's|"token_endpoint": "[^"]*",||' "$TOK"
case_ "no token_endpoint anywhere" FAIL "refresh: $TOK has no token_endpoint" "token_endpoint = URL"
sed -i 's/"expires_at": [0-9]*/"expires_at": 1000/' "$TOK"
doctor
check "expired and not refreshable: FAIL, not \"the next login refreshes it\"" expect FAIL "access token: expired" "authorize again"
token_file

# postconf lives in /usr/sbin, outside an ordinary PATH; its own error is shown
PATH=/usr/bin:/bin "$CLI" doctor work --for postfix --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
check "PATH without /usr/sbin: postconf is still found" expect OK "postfix: smtp_sasl_auth_enable = yes"
"$CLI" doctor work --for postfix --postfix-config "$T/nowhere" --plugin-dir "$PLUGINS" >"$T/out" 2>&1
check "postconf's own error is shown" expect FAIL "postconf failed: .*$T/nowhere/main.cf: No such file" "--postfix-config"

# the config file: readable by postfix (the watch service), its secret not by everyone
good_config; chmod 600 "$SASL_OAUTH2_CONF"; chown root:root "$SASL_OAUTH2_CONF"
case_ "config unreadable by postfix" FAIL "config: $SASL_OAUTH2_CONF is not readable by the postfix user" \
	"chown root:postfix $SASL_OAUTH2_CONF && chmod 640 $SASL_OAUTH2_CONF\$"
check "config unreadable by postfix: the printed fix runs" run_fix "chown root:postfix"
doctor
check "config unreadable by postfix, after the fix: readable" expect OK "config: $SASL_OAUTH2_CONF is readable by the postfix user"
echo "client_secret = s3cr3t-value" >>"$SASL_OAUTH2_CONF"; chmod 644 "$SASL_OAUTH2_CONF"
case_ "client_secret readable by all" WARN "config: $SASL_OAUTH2_CONF holds a client_secret and every user can read it" \
	"chown root:postfix $SASL_OAUTH2_CONF && chmod 640"
check "client_secret readable by all: the secret is never printed" no_line "s3cr3t"
good_config; chmod 644 "$SASL_OAUTH2_CONF"

# another XOAUTH2 plugin (tarickb/sasl-xoauth2) beside ours
printf '\177ELF not really, but it names XOAUTH2\n' >"$PLUGINS/libsasl-xoauth2.so"
case_ "another XOAUTH2 plugin" WARN "plugin: $PLUGINS/libsasl-xoauth2.so also offers XOAUTH2" \
	"rm $PLUGINS/libsasl-xoauth2.so$"
rm -f "$PLUGINS/libsasl-xoauth2.so"
doctor
check "no other plugin: OK" expect OK "plugin: no other XOAUTH2 or OAUTHBEARER plugin"

# --json, for scripts and monitoring
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = none/' "$PFDIR/main.cf"
"$CLI" doctor work --for postfix --json --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/out.json" 2>"$T/err"
DOCTOR_RC=$?
check "--json: exit 1 for the problem" test "$DOCTOR_RC" = 1
check "--json: one JSON object with the counts and each check" node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
	const tls = r.checks.find(c => /smtp_tls_security_level = none/.test(c.message));
	if (r.problems !== 1 || !tls || tls.verdict !== "fail" || tls.check !== "postfix" ||
	    !/smtp_tls_security_level = encrypt/.test(tls.fix) ||
	    !r.checks.some(c => c.verdict === "ok" && c.check === "token file")) process.exit(1);
' "$T/out.json"
check "--json: the whole of stdout is that object, nothing on stderr" test ! -s "$T/err"

# --json holds exactly the checks the text shows, in every mode: as root the
# token file's checks are made by a child working as postfix (issue 18,
# item 3: the JSON lost them and still counted them)
same_checks() { # same_checks DOCTOR-ARGS...: text and --json list the same checks
	"$CLI" doctor "$@" --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/text" 2>&1
	"$CLI" doctor "$@" --json --postfix-config "$PFDIR" --plugin-dir "$PLUGINS" >"$T/json" 2>&1
	node -e '
		const fs = require("fs");
		const text = [], lines = fs.readFileSync(process.argv[1], "utf8").split("\n");
		for (const l of lines) {
			const m = /^(OK  |WARN|FAIL) (.*)$/.exec(l), f = /^     fix: (.*)$/.exec(l);
			if (m) text.push({ v: m[1].trim().toLowerCase(), m: m[2] });
			else if (f && text.length) text[text.length - 1].fix = f[1];
		}
		const j = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
		const json = j.checks.map((c) => ({ v: c.verdict, m: (c.check ? c.check + ": " : "") + c.message,
			...(c.fix !== undefined ? { fix: c.fix } : {}) }));
		const fails = json.filter((c) => c.v === "fail").length, warns = json.filter((c) => c.v === "warn").length;
		// the two runs are seconds apart: "last used 11s ago" and "13s ago" agree
		const when = (s) => s.replace(/\b\d+([dhms])\b/g, "N$1");
		const a = when(JSON.stringify(text)), b = when(JSON.stringify(json));
		if (a !== b || j.problems !== fails || j.warnings !== warns || text.length < 8) {
			console.log("# text: " + a + "\n# json: " + b + "\n# problems " + j.problems + " warnings " + j.warnings);
			process.exit(1);
		}' "$T/text" "$T/json"
}
sed -i 's/^smtp_tls_security_level = .*/smtp_tls_security_level = encrypt/' "$PFDIR/main.cf"
token_file; sed -i 's/"client_id": "c",//; s/"expires_at": [0-9]*/"expires_at": 1000/' "$TOK"
echo "[smtp.example.com]:587 alice@example.com:$TOK" >"$PFDIR/sasl_passwd"
postmap -c "$PFDIR" "hash:$PFDIR/sasl_passwd"
check "--json as root, ACCOUNT given: the same checks as the text (expired token, no client_id)" \
	same_checks work --for postfix
check "... and the JSON has the token file's checks made as postfix" \
	node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
		process.exit(r.checks.some((c) => c.check === "access token" && /expired/.test(c.message)) &&
			r.checks.some((c) => c.check === "refresh" && /no client_id/.test(c.message)) ? 0 : 1)' "$T/json"
check "--json as root, no ACCOUNT: the same checks as the text" same_checks --for postfix
check "--json as root, a token file path: the same checks as the text" same_checks "$TOK" --for postfix
check_fix_lines "doctor, every run above" "$ALL_OUT"

tests_exit
