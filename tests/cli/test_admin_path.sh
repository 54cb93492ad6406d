#!/bin/bash
# A new admin's path through the guides (issue 18): what happens when the
# guides' commands run as written, on a host where Postfix's directories do
# not exist yet (Debian 13 has no /var/spool/postfix/etc). Postfix's
# accounts live in a private chroot_dir here, but as the real postfix user.
#   1. keygen makes its directory as postfix, as authorize does;
#   2. credentials live in keys/, never among the token files: the guides,
#      keygen and authorize agree, and nothing lists a key as an account;
#   6. doctor's password-map diagnosis names the real cause, one fix each
#      (Postfix through its real postconf/postmap on a private config);
#   7. watch without systemd: without a syslog socket watch --once logs to
#      stderr; doctor recognises the cron line it prints, and notices when
#      cron is not installed (this touches /etc/cron.d: run it under
#      /work/.system.lock or alone);
#   9. migration from tarickb/sasl-xoauth2: import /etc/tokens/X reads the
#      file inside Postfix's chroot, a send-only import records only SMTP,
#      doctor suggests import while /etc/sasl-xoauth2.conf is the setup;
#  10. what the packages ship matches what the docs and doctor name;
#  11. config checks: a quoted proxy, refresh_margin's range, the CA error;
#  12. completion, doctor's wording, reload advice, a secret from a pipe.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"

cli_setup admin-path
T=$E2E_TMP
CH="$T/chroot"
PDIR="$CH/etc/sasl-oauth2"
KEYS="$PDIR/keys"
write_refresh_conf "chroot_dir = $CH
provider.test.issuer = $AUTH_URL
provider.test.client_id = test-client
provider.test.scope = mail offline_access
provider.microsoft.token_endpoint = $AUTH_URL/token"
chmod 644 "$SASL_OAUTH2_CONF"
U=relay@example.com
have_postfix() { [ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1; }

# ===== 1. keygen as the guides' first step ===========================================
if have_postfix; then
	"$CLI" keygen relay --for postfix --bits 2048 >"$T/keygen.out" 2>"$T/keygen.err"
	rc=$?
	check "keygen relay --for postfix (no $CH/etc yet): exit 0" test "$rc" = 0 || show_file "$T/keygen.err"
	check "keygen: the key and certificate are in $KEYS" test -s "$KEYS/relay-key.pem" -a -s "$KEYS/relay-cert.pem"
	check "keygen: the account directory and keys/ are postfix's, 0700" \
		test "$(stat -c %U:%a "$PDIR" "$KEYS" 2>/dev/null | sort -u)" = postfix:700
	check "keygen: the files are postfix's (key 0600)" \
		test "$(stat -c %U:%a "$KEYS/relay-key.pem" 2>/dev/null)" = postfix:600
	# the path form makes a missing directory as postfix too
	"$CLI" keygen "$KEYS/two/k.pem" "$KEYS/two/c.pem" --for postfix --bits 2048 >/dev/null 2>"$T/keygen2.err"
	check "keygen KEYFILE CERTFILE --for postfix into a missing directory: made as postfix" \
		test "$(stat -c %U "$KEYS/two" "$KEYS/two/k.pem" 2>/dev/null | sort -u)" = postfix || show_file "$T/keygen2.err"
	# a later authorize --for postfix can still write the account directory
	seed_token_file "$T/relay.json" "$U" 3600
	chown postfix: "$T/relay.json"
	runuser -u postfix -- cp -p "$T/relay.json" "$PDIR/relay.json" 2>"$T/cp.err"
	check "keygen: postfix can still add token files to $PDIR" test -s "$PDIR/relay.json" || show_file "$T/cp.err"
else
	skip "keygen --for postfix: needs root and a postfix user"
fi

# ===== 2. credentials have a place of their own =======================================
# The guides: every credential path they show in a token directory is in keys/.
bad=$(grep -hoE -- "(--service-account|--certificate|--private-key|--client-secret-file|keygen) +/[^ ]+" \
	"$SRCDIR"/docs/*.md "$SRCDIR"/README.md | grep "/sasl-oauth2/" | grep -v "/sasl-oauth2/keys/" || true)
check "guides: every credential path is in the keys/ directory${bad:+ (not: $bad)}" test -z "$bad"
check "guides: keygen's NAME form is what postfix.md's first step runs" \
	grep -q "^sasl-oauth2 keygen relay --for postfix$" "$SRCDIR/docs/postfix.md"

# authorize refuses a credential kept among the token files (it would be
# taken for an account), and nothing is saved.
"$NODE" -e '
	const fs = require("fs");
	fs.writeFileSync(process.argv[1], JSON.stringify({ type: "service_account", private_key: "-----BEGIN PRIVATE KEY-----\nMII\n-----END PRIVATE KEY-----\n", client_email: "sa@proj.iam.gserviceaccount.com", client_id: "1", token_uri: process.argv[2] }), { mode: 0o600 });' \
	"$S/relay-sa.json" "$AUTH_URL/token"
"$CLI" authorize goo --service-account "$S/relay-sa.json" --user "$U" </dev/null >"$T/sa.out" 2>"$T/sa.err"
rc=$?
check "authorize --service-account among the token files: refused (exit 2)" test "$rc" = 2 || show_file "$T/sa.err"
check "authorize: says it would be taken for an account and where keys go ($S/keys/)" \
	bash -c 'grep -q "taken for an account" "$1" && grep -qF "$2/keys/" "$1"' _ "$T/sa.err" "$S"
check "authorize: nothing saved (no goo.json)" test ! -e "$S/goo.json"
# a key file that is there anyway is named for what it is
"$CLI" status relay-sa >"$T/sa-status.err" 2>&1
check "status of a key taken for a token file: says it is a key, not a token file" \
	grep -q "not a token file but a key" "$T/sa-status.err" || show_file "$T/sa-status.err"
rm -f "$S/relay-sa.json"

if have_postfix; then
	# its own account directory, keys/ and relay account (not section 1's
	# keygen's: a failure there must not fail these too)
	install -d -m 700 -o postfix -g postfix "$PDIR" "$KEYS"
	seed_token_file "$PDIR/relay.json" "$U" 3600
	chown postfix: "$PDIR/relay.json"
	# authorize's advice for a credential outside the chroot: the keys/ directory
	mkdir -p "$T/outside"
	"$CLI" keygen "$T/outside/k.pem" "$T/outside/c.pem" --bits 2048 >/dev/null 2>&1
	timeout 60 "$CLI" authorize app --for postfix --app --provider microsoft --tenant contoso.example \
		--client-id cid --user "$U" --certificate "$T/outside/c.pem" --private-key "$T/outside/k.pem" \
		</dev/null >"$T/app.out" 2>"$T/app.err"
	check "authorize --for postfix, a certificate outside the chroot: 'move it to $KEYS/'" \
		grep -qF "move it to $KEYS/" "$T/app.err" || show_file "$T/app.err"
	# A service-account key where the guide keeps it: never an account.
	cp "$T/outside/k.pem" "$KEYS/relay-sa.json"
	chown postfix: "$KEYS/relay-sa.json"
	for cmd in "status" "refresh --all" "watch --once --stderr"; do
		# shellcheck disable=SC2086
		"$CLI" $cmd --for postfix >"$T/list.out" 2>"$T/list.err"
		rc=$?
		check "$cmd --for postfix with a key in keys/: exit 0, no relay-sa" \
			bash -c '[ "$1" = 0 ] && ! grep -q relay-sa "$2" "$3"' _ "$rc" "$T/list.out" "$T/list.err" ||
			show_file "$T/list.err"
	done
	check "no lock file next to the keys" test -z "$(ls "$KEYS" | grep lock)"
	comp=$(bash -c '. "$1"; COMP_WORDS=(sasl-oauth2 status --for postfix ""); COMP_CWORD=4
		_sasl_oauth2; printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/completion/bash/sasl-oauth2" 2>/dev/null)
	check "completion after --for postfix: relay, not the key or keys/ ($(echo $comp))" \
		test "$(echo $comp)" = relay
else
	skip "credentials for Postfix: needs root and a postfix user"
fi

# ===== 6. doctor's password map: the real cause, one fix ==============================
if have_postfix && command -v postconf >/dev/null; then
	PFD="$T/pf"
	mkdir -p "$PFD"
	touch "$PFD/master.cf"
	pf_main() { # MAP: main.cf with that password map
		printf 'compatibility_level = 3.6\nrelayhost = [smtp.example.com]:587\nsmtp_sasl_auth_enable = yes\nsmtp_sasl_password_maps = %s\nsmtp_sasl_mechanism_filter = xoauth2\nsmtp_sasl_tls_security_options = noanonymous\nsmtp_tls_security_level = encrypt\n' "$1" >"$PFD/main.cf"
	}
	doc() { "$CLI" doctor --for postfix --postfix-config "$PFD" >"$T/doc.out" 2>&1; }
	# a. the map names Postfix's token file, which authorize has not made yet
	pf_main "texthash:$PFD/sasl_passwd"
	echo "[smtp.example.com]:587 $U:$PDIR/fresh.json" >"$PFD/sasl_passwd"
	doc
	check "map names a token file not made yet: 'authorize fresh --for postfix first', with --provider" \
		bash -c 'grep -q "^FAIL.*does not exist yet: authorize fresh --for postfix first" "$1" &&
			grep -q "fix: sasl-oauth2 authorize fresh --provider PROVIDER --for postfix" "$1" &&
			! grep -q "it is not the token file" "$1"' _ "$T/doc.out" || show_file "$T/doc.out"
	# b. the map names root's own token file
	seed_token_file "$S/mine.json" "$U" 3600
	echo "[smtp.example.com]:587 $U:$S/mine.json" >"$PFD/sasl_passwd"
	doc
	check "map names root's file: 'Postfix cannot read root's file; use --for postfix'" \
		bash -c 'grep -q "^FAIL.*Postfix cannot read root.s file; use --for postfix" "$1" &&
			grep -q "fix: sasl-oauth2 authorize mine --for postfix" "$1"' _ "$T/doc.out" || show_file "$T/doc.out"
	# c. hash: map whose index was never built: one FAIL (postmap), no second fix
	pf_main "hash:$PFD/sasl_passwd"
	echo "[smtp.example.com]:587 $U:$PDIR/relay.json" >"$PFD/sasl_passwd"
	rm -f "$PFD/sasl_passwd.db"
	doc
	check "missing .db: one FAIL for the map (postmap), no line appended" \
		bash -c '[ "$(grep -c "^FAIL.*postfix:.*\(sasl_passwd\|password map\|smtp_sasl_password_maps\)" "$1")" = 1 ] &&
			grep -q "fix: postmap" "$1" && ! grep -q "fix: echo" "$1"' _ "$T/doc.out" || show_file "$T/doc.out"
	rm -f "$S/mine.json"
else
	skip "doctor's password map: needs root, a postfix user and postconf"
fi

# ===== 7. watch without systemd ==========================================================
printf '{"version":1,"user":"%s","access_token":' "$U" >"$S/broken.json"; chmod 600 "$S/broken.json"
# no-syslog: runs COMMAND where there is no syslog socket
no_syslog() {
	if [ ! -e /dev/log ]; then "$@"; return; fi
	unshare -m --propagation private -- bash -c 'mount --bind /dev/null /dev/log && exec "$@"' _ "$@"
}
no_syslog "$CLI" watch --once broken </dev/null >"$T/w.out" 2>"$T/w.err"
rc=$?
check "watch --once, no terminal, no syslog socket: exit 65 and the error on stderr" \
	bash -c '[ "$1" = 65 ] && grep -q "broken" "$2"' _ "$rc" "$T/w.err" || show_file "$T/w.err"
rm -f "$S/broken.json"
if [ "$(id -u)" = 0 ] && [ ! -d /run/systemd/system ]; then
	CRONF=/etc/cron.d/sasl-oauth2-watch
	[ -e "$CRONF" ] && cp -p "$CRONF" "$T/cron.saved"
	made_crond=; [ -d /etc/cron.d ] || { mkdir /etc/cron.d; made_crond=1; }
	rm -f "$CRONF"
	"$CLI" doctor --for postfix --postfix-config "${PFD:-$T}" >"$T/dw.out" 2>&1
	fix=$(sed -n "s/^ *fix: \(.*echo '.*sasl-oauth2 watch --for postfix --once' > .*\)$/\1/p" "$T/dw.out" | head -n 1)
	check "doctor without systemd: the cron fix" test -n "$fix" || show_file "$T/dw.out"
	if [ -x /usr/sbin/cron ]; then
		check "doctor: cron is installed, the fix is the line alone" bash -c '[[ $1 == echo* ]]' _ "$fix"
	else
		check "doctor: cron is not installed, the fix installs it first" bash -c '[[ $1 == "apt-get install cron && echo"* ]]' _ "$fix"
	fi
	bash -c "${fix#apt-get install cron && }"
	"$CLI" doctor --for postfix --postfix-config "${PFD:-$T}" >"$T/dw2.out" 2>&1
	check "doctor: after its cron line as printed, the watch is no longer 'not running'" \
		bash -c '! grep -q "watch service is not running" "$1"' _ "$T/dw2.out" || show_file "$T/dw2.out"
	if [ -x /usr/sbin/cron ]; then
		check "doctor: OK, cron runs the watch" grep -q "^OK.*cron runs sasl-oauth2 watch" "$T/dw2.out"
	else
		check "doctor: WARN, cron is not installed so the line never runs (fix: apt-get install cron)" \
			bash -c 'grep -q "^WARN.*cron is not installed" "$1" && grep -q "fix: apt-get install cron$" "$1"' _ "$T/dw2.out"
	fi
	rm -f "$CRONF"
	[ -e "$T/cron.saved" ] && cp -p "$T/cron.saved" "$CRONF"
	[ -n "$made_crond" ] && rmdir /etc/cron.d
else
	skip "doctor's cron line: needs root on a system without systemd"
fi

# ===== 9. migration ======================================================================
if have_postfix; then
	mkdir -p "$CH/etc/tokens"
	rt=$(auth_admin POST /admin/seed "{\"user\":\"$U\",\"ttl\":3600}" | "$NODE" -e '
		let b = ""; process.stdin.on("data", (c) => b += c);
		process.stdin.on("end", () => console.log(JSON.parse(b).refresh_token));')
	printf '{"access_token":"%s","refresh_token":"%s","expiry":"%s","client_id":"cid","token_endpoint":"https://login.microsoftonline.com/common/oauth2/v2.0/token"}\n' \
		"$(head -c 1500 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" "$rt" "$(( $(date +%s) + 3000 ))" \
		>"$CH/etc/tokens/$U"
	chown -R postfix: "$CH/etc/tokens"; chmod 600 "$CH/etc/tokens/$U"
	"$CLI" import "/etc/tokens/$U" imp --for postfix >"$T/imp.out" 2>"$T/imp.err"
	rc=$?
	check "import /etc/tokens/X (sasl_passwd's path): read inside the chroot, exit 0" \
		test "$rc" = 0 -a -s "$PDIR/imp.json" || show_file "$T/imp.err"
	sc=$(json_field "$PDIR/imp.json" scope 2>/dev/null)
	check "import of a sasl-xoauth2 (send-only) file records SMTP only ($sc)" \
		bash -c '[[ $1 == *SMTP.Send* && $1 != *IMAP* && $1 != *POP* ]]' _ "$sc"
	# doctor, before any import, on a relay with /etc/sasl-xoauth2.conf
	made_conf=
	[ -e /etc/sasl-xoauth2.conf ] || { echo '{"client_id":"cid"}' >/etc/sasl-xoauth2.conf; made_conf=1; }
	printf 'chroot_dir = %s\n' "$T/chroot2" >"$T/c2.conf"
	SASL_OAUTH2_CONF="$T/c2.conf" "$CLI" doctor --for postfix --postfix-config "${PFD:-$T}" >"$T/dm.out" 2>&1
	check "doctor with /etc/sasl-xoauth2.conf and no account yet: suggests import" \
		bash -c 'grep -q "^WARN.*sasl-xoauth2.conf.*import" "$1" && grep -q "fix: .*sasl-oauth2 import FILE NAME --for postfix" "$1"' _ "$T/dm.out" ||
		show_file "$T/dm.out"
	[ -n "$made_conf" ] && rm -f /etc/sasl-xoauth2.conf
else
	skip "migration: needs root and a postfix user"
fi

# ===== 10. the packages ship what the docs name =========================================
cmds=$("$CLI" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | grep -v '^help$')
missing=$(for c in $cmds; do grep -q "\`$c\`" <(sed -n '/^\[Postfix guide\]\|Commands:/,/sasl-oauth2(1)/p' "$SRCDIR/README.md") || echo "$c"; done)
check "README's command list has every command ($(echo $cmds))${missing:+; missing: $missing}" test -z "$missing"
inst=$(bash "$SRCDIR/debian/sasl-oauth2.install" 2>/dev/null)
for f in $(grep -ohE 'DOCDIR "/[a-z0-9-]+\.md' "$SRCDIR"/tools/*.c | sed 's|.*/||' | sort -u) NEWS; do
	check "the package installs $f, which doctor or the man pages name" \
		grep -qx "usr/share/doc/sasl-oauth2/$f" <<<"$inst"
done
check "sasl-oauth2.conf(5) names the sample where the package puts it" \
	bash -c 'grep -q "/usr/share/doc/sasl-oauth2/examples/sasl-oauth2.conf" "$1" &&
		grep -qx "usr/share/doc/sasl-oauth2/examples/sasl-oauth2.conf" <<<"$2"' _ "$SRCDIR/man/sasl-oauth2.conf.5" "$inst"

# ===== 11. config checks that match reality =============================================
printf 'proxy = "http://proxy.example.com:3128"\n' >"$T/q.conf"
SASL_OAUTH2_CONF="$T/q.conf" "$CLI" doctor >"$T/q.out" 2>&1
check "doctor: a quoted proxy (curl refuses it) is a FAIL naming the line" \
	grep -q "^FAIL.*line 1: proxy: .*no quotes" "$T/q.out" || show_file "$T/q.out"
printf 'refresh_margin = 99999\n' >"$T/m.conf"
SASL_OAUTH2_CONF="$T/m.conf" "$CLI" doctor >"$T/m.out" 2>&1
check "refresh_margin out of range: the error gives the range (0 to 86400)" \
	grep -q "refresh_margin: .*0 to 86400" "$T/m.out" || show_file "$T/m.out"
if [ "$(id -u)" = 0 ] && unshare -m --propagation private true 2>/dev/null; then
	unshare -m --propagation private -- bash -c 'mount -t tmpfs none /etc/ssl/certs && exec "$@"' _ \
		env SASL_OAUTH2_CONF="$T/none.conf" "$CLI" doctor >"$T/ca.out" 2>&1
	check "no config file, no CA bundle: the CA error names no config file" \
		bash -c 'grep -q "^FAIL.*CA bundle" "$1" && ! grep "CA bundle" "$1" | grep -qF "$2"' _ "$T/ca.out" "$T/none.conf" ||
		show_file "$T/ca.out"
else
	skip "the CA error without a config file: needs root and mount namespaces"
fi

# ===== 12. small things ==================================================================
comp() { # WORDS...: bash completion's answers for the last word
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
		_sasl_oauth2; printf "%s\n" "${COMPREPLY[@]}"' _ "$SRCDIR/completion/bash/sasl-oauth2" "$@" 2>/dev/null | sort | tr '\n' ' '
}
check "completion: --cloud offers the real cloud names" test "$(comp sasl-oauth2 authorize --cloud "")" = "china dod gcc gcc-high worldwide "
touch "$T/c-cert.pem" "$T/c-key.pem"
for o in --certificate --private-key --service-account; do
	check "completion: $o completes file names" test "$(comp sasl-oauth2 authorize $o "$T/c-c")" = "$T/c-cert.pem "
done
check "completion: keygen completes file names" test "$(comp sasl-oauth2 keygen "$T/c-k")" = "$T/c-key.pem "
check "zsh completion: the same cloud names and file options" \
	bash -c 'grep -q "worldwide gcc gcc-high dod china" "$1" && grep -q -- "--certificate|--private-key|--service-account" "$1"' _ "$SRCDIR/completion/zsh/_sasl-oauth2"
bad=$(grep -ohE '[^;] *\(nothing was saved\)|[a-z] nothing was saved|nothing was saved\.' "$SRCDIR"/tools/*.c "$SRCDIR"/lib/*.c || true)
check "one wording: '; nothing was saved' everywhere${bad:+ (not: $bad)}" test -z "$bad"
if have_postfix && command -v postconf >/dev/null; then
	# doctor's parenthesis and spacing, reload advice while Postfix is stopped
	pf_main "texthash:$PFD/sasl_passwd"
	postconf -c "$PFD" -e 'smtp_sasl_security_options =' 2>/dev/null
	doc
	check "doctor: an empty value is shown as (empty), no double space" \
		bash -c 'grep -q "smtp_sasl_security_options = (empty)" "$1" && ! grep -E "^(OK|WARN|FAIL) .*[^ ]  +[^ ]" "$1"' _ "$T/doc.out" ||
		show_file "$T/doc.out"
	postconf -c "$PFD" -e 'smtp_sasl_security_options = noplaintext' 2>/dev/null
	postconf -c "$PFD" -X smtp_sasl_tls_security_options 2>/dev/null
	doc
	line=$(grep "unset, so" "$T/doc.out" | head -n 1)
	check "doctor: '(unset, so ...' is closed" bash -c '[ -n "$1" ] && [ "$(tr -cd "(" <<<"$1" | wc -c)" = "$(tr -cd ")" <<<"$1" | wc -c)" ]' _ "$line" || show_file "$T/doc.out"
	check "doctor: no double space in its lines" bash -c '! grep -E "^(OK|WARN|FAIL) .*[^ ]  +[^ ]" "$1"' _ "$T/doc.out"
	if ! postfix -c "$PFD" status >/dev/null 2>&1; then
		check "doctor while Postfix is stopped: no 'postfix reload' in its fixes" \
			bash -c 'grep -q "fix: postconf" "$1" && ! grep -q "postfix.* reload" "$1"' _ "$T/doc.out" || show_file "$T/doc.out"
	else
		skip "reload advice while stopped: a Postfix runs with $PFD's queue directory"
	fi
fi
# a client secret from a pipe: app-only keeps its path, so refused clearly
if true; then
	"$CLI" authorize pipeapp --app --provider microsoft --tenant contoso.example --client-id cid \
		--user "$U" --client-secret-file <(echo s3cr3t) </dev/null >"$T/pipe.out" 2>"$T/pipe.err"
	rc=$?
	check "app-only --client-secret-file <(cmd): refused (exit 2), says why" \
		bash -c '[ "$1" = 2 ] && grep -q "not a regular file" "$2"' _ "$rc" "$T/pipe.err" || show_file "$T/pipe.err"
fi

tests_exit
