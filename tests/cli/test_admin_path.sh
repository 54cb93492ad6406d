#!/bin/bash
# A new admin's path through the guides (issue 18): what happens when the
# guides' commands run as written, on a host where Postfix's directories do
# not exist yet (Debian 13 has no /var/spool/postfix/etc). Postfix's
# accounts live in a private chroot_dir here, but as the real postfix user.
#   1. keygen makes its directory as postfix, as authorize does;
#   2. credentials live in keys/, never among the token files: the guides,
#      keygen and authorize agree, and nothing lists a key as an account;
#   6. doctor's password-map diagnosis names the real cause, one fix each
#      (Postfix through its real postconf/postmap on a private config).
set -u
. "$(dirname "$0")/../e2e/refresh_env.sh"

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
show() { sed 's/^/#   /' "$1" | redact /dev/stdin | head -n 20; }
have_postfix() { [ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1; }

# ===== 1. keygen as the guides' first step ===========================================
if have_postfix; then
	"$CLI" keygen relay --for postfix --bits 2048 >"$T/keygen.out" 2>"$T/keygen.err"
	rc=$?
	check "keygen relay --for postfix (no $CH/etc yet): exit 0" test "$rc" = 0 || show "$T/keygen.err"
	check "keygen: the key and certificate are in $KEYS" test -s "$KEYS/relay-key.pem" -a -s "$KEYS/relay-cert.pem"
	check "keygen: the account directory and keys/ are postfix's, 0700" \
		test "$(stat -c %U:%a "$PDIR" "$KEYS" 2>/dev/null | sort -u)" = postfix:700
	check "keygen: the files are postfix's (key 0600)" \
		test "$(stat -c %U:%a "$KEYS/relay-key.pem" 2>/dev/null)" = postfix:600
	# the path form makes a missing directory as postfix too
	"$CLI" keygen "$KEYS/two/k.pem" "$KEYS/two/c.pem" --for postfix --bits 2048 >/dev/null 2>"$T/keygen2.err"
	check "keygen KEYFILE CERTFILE --for postfix into a missing directory: made as postfix" \
		test "$(stat -c %U "$KEYS/two" "$KEYS/two/k.pem" 2>/dev/null | sort -u)" = postfix || show "$T/keygen2.err"
	# a later authorize --for postfix can still write the account directory
	seed_token_file "$T/relay.json" "$U" 3600
	chown postfix: "$T/relay.json"
	runuser -u postfix -- cp -p "$T/relay.json" "$PDIR/relay.json" 2>"$T/cp.err"
	check "keygen: postfix can still add token files to $PDIR" test -s "$PDIR/relay.json" || show "$T/cp.err"
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
check "authorize --service-account among the token files: refused (exit 2)" test "$rc" = 2 || show "$T/sa.err"
check "authorize: says it would be taken for an account and where keys go ($S/keys/)" \
	bash -c 'grep -q "taken for an account" "$1" && grep -qF "$2/keys/" "$1"' _ "$T/sa.err" "$S"
check "authorize: nothing saved (no goo.json)" test ! -e "$S/goo.json"
# a key file that is there anyway is named for what it is
"$CLI" status relay-sa >"$T/sa-status.err" 2>&1
check "status of a key taken for a token file: says it is a key, not a token file" \
	grep -q "not a token file but a key" "$T/sa-status.err" || show "$T/sa-status.err"
rm -f "$S/relay-sa.json"

if have_postfix; then
	# authorize's advice for a credential outside the chroot: the keys/ directory
	mkdir -p "$T/outside"
	"$CLI" keygen "$T/outside/k.pem" "$T/outside/c.pem" --bits 2048 >/dev/null 2>&1
	timeout 60 "$CLI" authorize app --for postfix --app --provider microsoft --tenant contoso.example \
		--client-id cid --user "$U" --certificate "$T/outside/c.pem" --private-key "$T/outside/k.pem" \
		</dev/null >"$T/app.out" 2>"$T/app.err"
	check "authorize --for postfix, a certificate outside the chroot: 'move it to $KEYS/'" \
		grep -qF "move it to $KEYS/" "$T/app.err" || show "$T/app.err"
	# A service-account key where the guide keeps it: never an account.
	cp "$T/outside/k.pem" "$KEYS/relay-sa.json"
	chown postfix: "$KEYS/relay-sa.json"
	for cmd in "status" "refresh --all" "watch --once --stderr"; do
		# shellcheck disable=SC2086
		"$CLI" $cmd --for postfix >"$T/list.out" 2>"$T/list.err"
		rc=$?
		check "$cmd --for postfix with a key in keys/: exit 0, no relay-sa" \
			bash -c '[ "$1" = 0 ] && ! grep -q relay-sa "$2" "$3"' _ "$rc" "$T/list.out" "$T/list.err" ||
			show "$T/list.err"
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
			! grep -q "it is not the token file" "$1"' _ "$T/doc.out" || show "$T/doc.out"
	# b. the map names root's own token file
	seed_token_file "$S/mine.json" "$U" 3600
	echo "[smtp.example.com]:587 $U:$S/mine.json" >"$PFD/sasl_passwd"
	doc
	check "map names root's file: 'Postfix cannot read root's file; use --for postfix'" \
		bash -c 'grep -q "^FAIL.*Postfix cannot read root.s file; use --for postfix" "$1" &&
			grep -q "fix: sasl-oauth2 authorize mine --for postfix" "$1"' _ "$T/doc.out" || show "$T/doc.out"
	# c. hash: map whose index was never built: one FAIL (postmap), no second fix
	pf_main "hash:$PFD/sasl_passwd"
	echo "[smtp.example.com]:587 $U:$PDIR/relay.json" >"$PFD/sasl_passwd"
	rm -f "$PFD/sasl_passwd.db"
	doc
	check "missing .db: one FAIL for the map (postmap), no line appended" \
		bash -c '[ "$(grep -c "^FAIL.*postfix:.*\(sasl_passwd\|password map\|smtp_sasl_password_maps\)" "$1")" = 1 ] &&
			grep -q "fix: postmap" "$1" && ! grep -q "fix: echo" "$1"' _ "$T/doc.out" || show "$T/doc.out"
	rm -f "$S/mine.json"
else
	skip "doctor's password map: needs root, a postfix user and postconf"
fi

e2e_finish
