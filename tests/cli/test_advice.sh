#!/bin/bash
# Every command the tool prints as advice must run as printed.
#
# 1. In the situation that printed it: a refresh token dies (the provider
#    answers invalid_grant) and `token`, `refresh`, `watch --once` and the
#    plugin (through libsasl2, as Postfix drives it) each print
#    "sasl-oauth2 authorize ACCOUNT"; that line is cut out of the message
#    and run as it is (a $BROWSER stand-in plays the user signing in at
#    the test's OAuth server), for an account of a provider defined in the
#    configuration, for Microsoft (its built-in values overridden by
#    provider.microsoft.* to reach the test server) and for Postfix's
#    accounts. The account must come back as it was: provider, tenant,
#    client id, services, mailbox, owner and place. Other advice (chmod,
#    the --for postfix re-run, authorize's own next steps) likewise.
# 2. Everywhere else: every "sasl-oauth2 COMMAND ..." line in the sources
#    of the CLI, the plugin and the library, and every command a test run
#    here printed, must parse with the real program; postconf -e lines are
#    applied to a private Postfix configuration by the real postconf;
#    chmod/chown/systemctl lines are checked for syntax, users and units.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"
. "$(dirname "$0")/../lib/shellwords.sh"

cli_setup advice
T=$E2E_TMP
write_refresh_conf "provider.test.issuer = $AUTH_URL
provider.test.client_id = test-client
provider.test.scope = mail offline_access
provider.microsoft.authorize_endpoint = $AUTH_URL/authorize
provider.microsoft.token_endpoint = $AUTH_URL/token
chroot_dir = $T/chroot"
chmod 644 "$SASL_OAUTH2_CONF"
unset DISPLAY WAYLAND_DISPLAY SASL_OAUTH2_CLIENT_SECRET
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
# "sasl-oauth2" as printed is the build tree's program.
mkdir -p "$T/bin"
ln -sf "$CLI" "$T/bin/sasl-oauth2"
export PATH="$T/bin:$PATH"
U=alice@example.com
ADVICE="$T/advice.txt"   # every advice line seen, for part 2
: >"$ADVICE"

# The user at the browser: the test server signs in at once and sends the
# browser back to the CLI's listener.
cat >"$T/browser.sh" <<EOF
#!/bin/bash
printf '%s\n' "\$1" >>"$T/urls"
curl -sS -L --max-time 30 --cacert "$CA_DIR/ca.pem" -o /dev/null "\$1" >>"$T/browser.log" 2>&1
EOF
chmod 755 "$T/browser.sh"
export BROWSER="$T/browser.sh"

# collect FILE...: keeps the advice lines of outputs for part 2.
collect() {
	grep -ohE "(sasl-oauth2 [a-z]+|postmap|chmod|chown|systemctl) [^;\"'()]*" "$@" >>"$ADVICE" 2>/dev/null
	grep -ohE "postconf -e( '[^']*')+" "$@" >>"$ADVICE" 2>/dev/null
	return 0
}
# authorize_hint FILE: the "sasl-oauth2 authorize ..." command in FILE, as printed.
authorize_hint() {
	grep -oE "sasl-oauth2 authorize [^;)\"']*" "$1" | head -n 1 | sed -E 's/[. ]+$//'
}
# run_printed NAME COMMAND: runs the printed command line with the shell.
run_printed() {
	local name=$1 cmd=$2
	: >"$T/urls"
	[ -n "$cmd" ] || { RC=127; echo "no command was printed" >"$T/$name.err"; return; }
	timeout 90 bash -c "$cmd" </dev/null >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
	collect "$T/$name.out" "$T/$name.err"
}
# parses CMDLINE: the command and its options are accepted by the program
# ("--help" at the end: getopt rejects an unknown option before it).
parses() {
	local line=$1 words
	read -r -a words <<<"$line"
	[ "${words[0]}" = sasl-oauth2 ] || return 1
	# placeholders in capitals (ACCOUNT, PROVIDER, FILE) stand for any word
	"$CLI" "${words[@]:1}" --help >/dev/null 2>"$T/parse.err"
}
kill_refresh_token() { # FILE: the provider refuses its refresh token from now on; token expired
	local owner; owner=$(stat -c %u:%g "$1")
	auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$1" refresh_token)\"}" >/dev/null
	set_json_field "$1" expires_at "$(( $(date +%s) - 60 ))"
	chown "$owner" "$1"
}
# the account came back: new tokens that refresh, same settings
came_back() { # LABEL FILE OLD_RT PROVIDER USER CLIENT
	local l=$1 f=$2 rt=$3
	check "$l: exit 0" test "$RC" = 0 || { show_file "$T/$l.err"; return; }
	check "$l: a new refresh token in $f" test -n "$(json_field "$f" refresh_token)" -a "$(json_field "$f" refresh_token)" != "$rt"
	check "$l: provider, user and client id kept ($4 $5 $6)" \
		test "$(json_field "$f" provider) $(json_field "$f" user) $(json_field "$f" client_id)" = "$4 $5 $6"
	check "$l: the file is 0600" test "$(stat -c %a "$f")" = 600
}

# ===== 1. the re-authorize advice, run where it was printed =======================

# --- an account of a configured provider: token, refresh, watch, plugin --------------
timeout 90 "$CLI" authorize alice --provider test --flow browser --timeout 60 </dev/null >"$T/first.out" 2>"$T/first.err"
RC=$?
check "setup: alice authorized with --provider test" test "$RC" = 0 || show_file "$T/first.err"
collect "$T/first.out" "$T/first.err"
F="$S/alice.json"
# test_account FILE: the fixture each way below starts from, an account of
# provider "test" as authorize leaves it, so that one way's failure (or the
# sign-in's above) does not fail the next
test_account() {
	seed_token_file "$1" "$U" 3600
	set_json_field "$1" provider '"test"'
	set_json_field "$1" scope '"mail offline_access"'
}
for how in token refresh watch plugin; do
	test_account "$F"
	kill_refresh_token "$F"
	rt=$(json_field "$F" refresh_token)
	case $how in
	token) "$CLI" token alice >/dev/null 2>"$T/hint.txt" ;;
	refresh) "$CLI" refresh alice >/dev/null 2>"$T/hint.txt" ;;
	watch) "$CLI" watch --once --stderr alice >/dev/null 2>"$T/hint.txt" ;;
	plugin) "$SASL_AUTH_BIN" "$PLUGIN_DIR" XOAUTH2 "$U" "$F" >/dev/null 2>"$T/hint.txt" ;;
	esac
	collect "$T/hint.txt"
	hint=$(authorize_hint "$T/hint.txt")
	if [ -z "$hint" ]; then
		not_ok "$how: prints a re-authorize command"; show_file "$T/hint.txt"; continue
	fi
	ok "$how: prints a re-authorize command: $hint"
	[ "$how" = plugin ] && check "plugin: the advice names the file as authorize takes it" \
		test "$hint" = "sasl-oauth2 authorize $F"
	run_printed "$how-again" "$hint"
	came_back "$how-again" "$F" "$rt" test "$U" test-client
	check "$how-again: the token works again ('sasl-oauth2 token alice')" \
		test "$("$CLI" token alice 2>/dev/null)" = "$(json_field "$F" access_token)"
done

# --- Microsoft: tenant, services and client id come back ----------------------------
# (the built-in provider, with provider.microsoft.* pointing it at the test server)
seed_token_file "$S/ms.json" "$U" 3600
set_json_field "$S/ms.json" provider '"microsoft"'
set_json_field "$S/ms.json" scope '"https://outlook.office.com/IMAP.AccessAsUser.All offline_access"'
kill_refresh_token "$S/ms.json"
rt=$(json_field "$S/ms.json" refresh_token)
"$CLI" token ms >/dev/null 2>"$T/ms-hint.txt"
hint=$(authorize_hint "$T/ms-hint.txt")
check "microsoft: token prints 'sasl-oauth2 authorize ms'" test "$hint" = "sasl-oauth2 authorize ms" || show_file "$T/ms-hint.txt"
run_printed ms-again "$hint"
came_back ms-again "$S/ms.json" "$rt" microsoft "$U" test-client
url=$(head -n 1 "$T/urls")
check "microsoft: signed in again for IMAP only (the file's services), as $U" \
	bash -c '[[ $1 == *IMAP.AccessAsUser.All* && $1 != *SMTP.Send* && $1 == *login_hint=alice%40example.com* ]]' _ "$url"
check "microsoft: the next steps are IMAP's (mbsync), not SMTP's (msmtp)" \
	bash -c 'grep -q "^mbsync" "$1" && ! grep -q "^msmtp" "$1"' _ "$T/ms-again.out"
# A tenant (and cloud) is read back from the file's token endpoint.
cat >"$T/tenant.conf" <<EOF
ca_bundle = $CA_DIR/ca.pem
EOF
( umask 077; printf '{"version":1,"provider":"microsoft","user":"%s","client_id":"cid-tenant","token_endpoint":"https://login.microsoftonline.us/contoso.example/oauth2/v2.0/token","scope":"https://outlook-dod.office365.us/SMTP.Send offline_access","access_token":"x","expires_at":1}\n' "$U" >"$S/tenant.json" )
timeout 30 "$CLI" -c "$T/tenant.conf" authorize tenant --flow manual --no-open </dev/null >"$T/tenant.out" 2>"$T/tenant.err"
check "microsoft tenant: 'authorize tenant' signs in at the file's tenant and cloud (DoD: its sign-in host and resource)" \
	bash -c 'grep -q "https://login.microsoftonline.us/contoso.example/oauth2/v2.0/authorize?.*client_id=cid-tenant" "$1" &&
		grep "authorize?" "$1" | grep -q "outlook-dod.office365.us"' _ "$T/tenant.err"
check "microsoft tenant: with the file's services (SMTP) and mailbox" \
	bash -c 'grep "authorize?" "$1" | grep -q "SMTP.Send" && ! grep "authorize?" "$1" | grep -q IMAP && grep -q "login_hint=alice%40example.com" "$1"' _ "$T/tenant.err"
collect "$T/tenant.err"

# --- an unknown account still needs --provider, and says which accounts exist -----
"$CLI" authorize alcie </dev/null >/dev/null 2>"$T/alcie.err"
check "authorize of an unknown account: needs --provider, suggests alice" \
	bash -c 'grep -q -- "--provider" "$1" && grep -q "did you mean \"alice\"" "$1"' _ "$T/alcie.err"

# --- Postfix's accounts (root, a postfix user) --------------------------------------
if [ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1; then
	timeout 90 "$CLI" authorize relay --provider test --user "$U" --for postfix --flow browser --timeout 60 \
		</dev/null >"$T/relay.out" 2>"$T/relay.err"
	RC=$?
	P="$T/chroot/etc/sasl-oauth2/relay.json"
	check "postfix: relay authorized --for postfix" test "$RC" = 0 -a -f "$P" || show_file "$T/relay.err"
	collect "$T/relay.out"
	check "postfix: next steps are Postfix's only (no mbsync, mutt or msmtp pointing at Postfix's file)" \
		bash -c '! grep -Eq "^(mbsync|neomutt|msmtp)|PassCmd|passwordeval|oauth_refresh_command" "$1"' _ "$T/relay.out"
	check "postfix: the snippet keeps tokens on TLS (smtp_sasl_tls_security_options = noanonymous)" \
		bash -c 'grep -q "smtp_sasl_tls_security_options = noanonymous" "$1" && ! grep -q "^  smtp_sasl_security_options" "$1"' _ "$T/relay.out"
	check "postfix: the sasl_passwd line names Postfix's file" grep -qF "$U:$P" "$T/relay.out"
	check "postfix: main.cf's settings as postconf -e (no second 'relayhost =' line for Debian's main.cf)" \
		bash -c 'grep -q "^  postconf -e .relayhost = \[" "$1" && ! grep -q "^  relayhost =" "$1"' _ "$T/relay.out"
	# the plugin's case starts from its own account (test_account)
	install -d -m 700 -o postfix -g postfix "$(dirname "$P")"
	test_account "$P"
	chown postfix:postfix "$P"
	kill_refresh_token "$P"
	rt=$(json_field "$P" refresh_token)
	runuser -u postfix -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" \
		"$(for_user postfix "$SASL_AUTH_BIN" "$E2E_TMP")" "$PLUGIN_DIR" XOAUTH2 "$U" "$P" >/dev/null 2>"$T/pf-hint.txt"
	hint=$(authorize_hint "$T/pf-hint.txt")
	check "postfix: the plugin names the account, not the path ('sasl-oauth2 authorize relay --for postfix')" \
		test "$hint" = "sasl-oauth2 authorize relay --for postfix" || show_file "$T/pf-hint.txt"
	run_printed pf-again "$hint"
	came_back pf-again "$P" "$rt" test "$U" test-client
	check "postfix: still owned by postfix, in Postfix's directory" test "$(stat -c %U "$P")" = postfix
	check "postfix: no account of that name appeared in root's state directory" test ! -e "$S/relay.json"
	# `authorize relay` without --for finds Postfix's account
	kill_refresh_token "$P"
	rt=$(json_field "$P" refresh_token)
	run_printed pf-plain "sasl-oauth2 authorize relay"
	came_back pf-plain "$P" "$rt" test "$U" test-client
	check "postfix: 'authorize relay' (no --for) rewrote Postfix's file, owner postfix" test "$(stat -c %U "$P")" = postfix
	# an own account's advice for Postfix: authorize NAME --for postfix (settings reused)
	hint=$(grep -oE "sasl-oauth2 authorize alice --for postfix" "$T/first.out" | head -n 1)
	check "own account: next steps say how to give Postfix a file" test -n "$hint"
	run_printed alice-pf "${hint:-false}"
	check "own account: '$hint' runs as printed (exit 0)" test "$RC" = 0 || show_file "$T/alice-pf.err"
	check "own account: Postfix's copy has alice's provider and client" \
		test "$(json_field "$T/chroot/etc/sasl-oauth2/alice.json" provider) $(json_field "$T/chroot/etc/sasl-oauth2/alice.json" client_id)" = "test test-client"
	# Postfix's account, asked for without --for postfix: say so, no duplicate
	for cmd in token status refresh "test"; do
		extra=; [ "$cmd" = test ] && extra="--smtp 127.0.0.1:1"
		# shellcheck disable=SC2086
		"$CLI" $cmd relay $extra >"$T/pf-$cmd.out" 2>&1
		check "$cmd relay (Postfix's only): 'relay is Postfix's account: add --for postfix', no authorize advice" \
			bash -c 'grep -q "relay is Postfix.s account .*: add --for postfix" "$1" && ! grep -q "authorize relay --provider" "$1"' _ "$T/pf-$cmd.out" ||
			show_file "$T/pf-$cmd.out"
	done
	check "no account relay appeared in root's state directory" test ! -e "$S/relay.json"
	# doctor as an ordinary user on Postfix's accounts: run it as root
	NCLI=$(for_user nobody "$CLI" "$T")
	runuser -u nobody -- env SASL_OAUTH2_CONF="$SASL_OAUTH2_CONF" "$NCLI" doctor relay --for postfix >"$T/doc-nobody.out" 2>&1
	check "doctor as nobody on Postfix's account: the fix is 'run it as root', not authorize" \
		bash -c 'grep -q "fix: run it as root: sasl-oauth2 doctor relay --for postfix" "$1" && ! grep -q "fix: sasl-oauth2 authorize" "$1"' _ "$T/doc-nobody.out" ||
		show_file "$T/doc-nobody.out"
else
	skip "postfix accounts: needs root and a postfix user"
fi

# --- the paths a new admin hit (issue 18) -------------------------------------------
# help's first example, as printed (APP-ID is the client id it explains)
hint=$("$CLI" --help | grep -oE "sasl-oauth2 authorize work --provider microsoft [^\\]*" | head -n 1 | sed -E 's/ +$//')
run_printed help-example "$hint"
check "help: '$hint' runs as printed (exit 0)" test "$RC" = 0 || show_file "$T/help-example.err"
check "help: it says where the client id comes from" bash -c '"$1" --help | grep -q "Application"' _ "$CLI"
# doctor: an account that does not exist, an expired token that can be renewed
"$CLI" doctor ghost >"$T/doc-ghost.out" 2>&1
collect "$T/doc-ghost.out"
check "doctor ghost: the fix names a provider placeholder, not '...'" \
	bash -c 'grep -q "fix: sasl-oauth2 authorize ghost --provider PROVIDER" "$1" && ! grep -q -- "--provider \.\.\." "$1"' _ "$T/doc-ghost.out"
set_json_field "$S/alice.json" expires_at "$(( $(date +%s) - 60 ))"
"$CLI" doctor alice >"$T/doc-exp.out" 2>&1
hint=$(grep -oE "sasl-oauth2 refresh [^)]*" "$T/doc-exp.out" | head -n 1)
check "doctor: an expired token's advice names the account ('$hint')" test "$hint" = "sasl-oauth2 refresh alice"
run_printed doc-refresh "${hint:-false}"
check "doctor: '$hint' runs as printed (exit 0)" test "$RC" = 0 || show_file "$T/doc-refresh.err"
# a sign-in whose client secret comes from a pipe: read once, it works
timeout 90 "$CLI" authorize piped --provider test --user "$U" --client-secret-file <(echo s3cr3t) --flow browser \
	--timeout 60 </dev/null >"$T/piped.out" 2>"$T/piped.err"
check "authorize --client-secret-file <(cmd) (sign-in): exit 0" test "$?" = 0 || show_file "$T/piped.err"
# test: no such account
"$CLI" test ghost --smtp 127.0.0.1:1 >/dev/null 2>"$T/test-ghost.err"
collect "$T/test-ghost.err"
check "test ghost: 'create it with' gives --provider" grep -q "authorize ghost --provider PROVIDER" "$T/test-ghost.err" ||
	show_file "$T/test-ghost.err"
# a service account the provider refuses: nothing saved, and no doctor advice
mkdir -p -m 700 "$S/keys"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$T/sa-priv.pem" 2>/dev/null
"$NODE" -e '
	const fs = require("fs"); const [priv, uri, out] = process.argv.slice(1);
	fs.writeFileSync(out, JSON.stringify({ type: "service_account", private_key: fs.readFileSync(priv, "utf8"),
		private_key_id: "k1", client_email: "relay@proj.iam.gserviceaccount.com", client_id: "1000042",
		token_uri: uri }), { mode: 0o600 });' "$T/sa-priv.pem" "$AUTH_URL/token" "$S/keys/sa.json"
"$CLI" authorize sa --service-account "$S/keys/sa.json" --user "$U" </dev/null >"$T/sa.out" 2>"$T/sa.err"
RC=$?
collect "$T/sa.err"
check "refused service account: fails, nothing saved (no sa.json)" test "$RC" != 0 -a ! -e "$S/sa.json"
check "refused service account: says nothing was saved, no 'check with: sasl-oauth2 doctor'" \
	bash -c 'grep -q "nothing was saved" "$1" && ! grep -q "check with: sasl-oauth2 doctor" "$1"' _ "$T/sa.err" ||
	show_file "$T/sa.err"
check "refused service account: names its client id for the delegation" grep -q "client id 1000042" "$T/sa.err"

# --- doctor's fixes, run (or checked) as printed ---------------------------------------
# A private copy of this host's Postfix configuration (Debian's as installed);
# every "fix:" doctor prints is split at "&&" and each command run when it
# only touches that copy (postconf -c DIR -e), else checked.
if [ -f /etc/postfix/main.cf ] && [ -f /etc/postfix/master.cf ]; then
	PFD="$T/pfconf"
	mkdir -p "$PFD"
	cp /etc/postfix/main.cf /etc/postfix/master.cf "$PFD/"
	"$CLI" doctor relay --for postfix --postfix-config "$PFD" >"$T/doctor1.out" 2>&1
	collect "$T/doctor1.out"
	sed -n 's/^ *fix: //p' "$T/doctor1.out" >"$T/fixes.txt"
	check "doctor: prints fixes ($(grep -c . "$T/fixes.txt"))" test -s "$T/fixes.txt"
	bad=0 ran=0
	while read -r fix; do
		# one command at a time: "A && B" -> A, B
		while [ -n "$fix" ]; do
			c=${fix%% && *}
			[ "$c" = "$fix" ] && fix="" || fix=${fix#* && }
			case $c in
			"postconf -c $PFD -e "*)
				bash -c "$c" >"$T/pc.out" 2>&1 && ! grep -q warning "$T/pc.out" && ran=$((ran + 1)) ||
					{ bad=$((bad + 1)); echo "# fails as printed: $c"; sed 's/^/#   /' "$T/pc.out"; } ;;
			"postfix -c $PFD reload" | "postfix reload") ;;
			"sasl-oauth2 "*) parses "$c" || { bad=$((bad + 1)); echo "# does not parse: $c"; } ;;
			"mkdir -p "*) [[ $c =~ ^mkdir\ -p\ /[^\ ]+$ ]] || { bad=$((bad + 1)); echo "# bad: $c"; } ;;
			"cp -p "*)
				read -r -a w <<<"$c"
				for src in "${w[@]:2:${#w[@]}-3}"; do
					[ -e "$src" ] || { bad=$((bad + 1)); echo "# no such source: $src in $c"; }
				done ;;
			"echo '"*"' > /etc/cron.d/"*)
				line=${c#echo \'}; line=${line%%\' > *}
				read -r -a w <<<"$line"
				# five time fields, a user, then a command that parses
				[ "${#w[@]}" -ge 7 ] && id "${w[5]}" >/dev/null 2>&1 && [ -x "${w[6]}" ] &&
					"${w[6]}" "${w[@]:7}" --help >/dev/null 2>&1 ||
					{ bad=$((bad + 1)); echo "# bad cron line: $c"; } ;;
			"chmod "* | "chown "* | "systemctl "*) printf '%s\n' "$c" >>"$ADVICE" ;;
			postconf\ * | postfix\ * | postmap\ * | runuser\ * | su\ * | rm\ * | mv\ * | ln\ *)
				bad=$((bad + 1)); echo "# a command this test does not know how to check: $c" ;;
			*) echo "# prose, not a command: $c" ;;
			esac
		done
	done <"$T/fixes.txt"
	check "doctor: every printed fix runs or checks out ($ran run, $bad bad)" test "$bad" = 0
	"$CLI" doctor relay --for postfix --postfix-config "$PFD" >"$T/doctor2.out" 2>&1
	still=$(grep -c "^ *fix: postconf -c $PFD" "$T/doctor2.out")
	check "doctor: after its postconf fixes as printed, it asks for none ($still left)" test "$still" = 0 ||
		sed 's/^/#   /' "$T/doctor2.out" | head -n 30
	PLANTED=()
	check_fix_lines "doctor on this host's Postfix configuration" "$T/doctor1.out" "$T/doctor2.out"
else
	skip "doctor fixes: /etc/postfix/main.cf and master.cf are needed"
fi

# --- chmod advice, run as printed ------------------------------------------------
seed_token_file "$S/open.json" "$U" 3600
chmod 644 "$S/open.json"
"$CLI" token open >/dev/null 2>"$T/open.err"
collect "$T/open.err"
fix=$(grep -oE "chmod 600 [^ ;)]*" "$T/open.err" | head -n 1)
check "unsafe mode: prints a chmod" test -n "$fix"
bash -c "${fix:-false}"
check "unsafe mode: after '$fix' as printed, the token command works" \
	bash -c '"$1" token open >/dev/null' _ "$CLI"

# ===== 2. every advice line parses with the real program ============================

# From the sources: "sasl-oauth2 COMMAND ..." inside C string literals
# (adjacent literals joined), printf conversions filled in with a name.
"$NODE" -e '
	const fs = require("fs"), path = require("path");
	const out = [];
	for (const dir of process.argv.slice(1)) {
		for (const f of fs.readdirSync(dir)) {
			if (!f.endsWith(".c")) continue;
			let src = fs.readFileSync(path.join(dir, f), "utf8");
			src = src.replace(/\/\*[\s\S]*?\*\//g, " ");
			// join "a" "b" across white space into "ab"
			src = src.replace(/"\s*\n\s*"/g, "").replace(/"\s+"/g, "");
			for (const lit of src.match(/"(?:[^"\\\n]|\\.)*"/g) || []) {
				const s = lit.slice(1, -1).replace(/\\n/g, "\n").replace(/\\"/g, "\"");
				for (const m of s.matchAll(/sasl-oauth2 (authorize|token|refresh|status|forget|watch|test|import|doctor|help)(?=[ ]|$)[^;)"'"'"'\n(]*/g)) {
					let c = m[0].replace(/%(?:\.\*)?[-0-9]*(?:l|ll|z)?[sdui]/g, "alice").replace(/[.,: ]+$/, "");
					/* shapes ("ACCOUNT ...", "[COMMAND]") and prose are not commands */
					if (/\.\.\.|\[/.test(c)) continue;
					out.push(f + "\t" + c);
				}
				for (const m of s.matchAll(/systemctl (?:--user )?[a-z-]+(?: --now)?(?: [A-Za-z0-9@._%-]+)?/g))
					out.push(f + "\t" + m[0]);
			}
		}
	}
	console.log(out.join("\n"));' "$SRCDIR/tools" "$SRCDIR/plugin" "$SRCDIR/lib" >"$T/source-advice.txt"
n=$(grep -c . "$T/source-advice.txt")
check "sources: advice commands found ($n)" test "$n" -gt 10
bad=0
# systemctl_ok LINE: a verb systemctl has, and a unit this tree installs.
systemctl_ok() {
	local unit; unit=$(awk '{print $NF}' <<<"$1")
	[[ $1 =~ ^systemctl\ (--user\ )?(enable\ --now|enable|disable|start|stop|restart|reload|status|daemon-reload|is-active)( |$) ]] &&
		{ [[ $1 == *daemon-reload* ]] || [ -e "$SRCDIR/systemd/${unit%.service}.service.in" ] || [[ $unit == postfix* ]]; }
}
while IFS=$'\t' read -r file line; do
	case $line in
	systemctl\ *) systemctl_ok "$line" || { bad=$((bad + 1)); echo "# $file: bad systemctl line: $line"; } ;;
	*) parses "$line" || { bad=$((bad + 1)); echo "# $file: does not parse: $line ($(head -n 1 "$T/parse.err"))"; } ;;
	esac
done <"$T/source-advice.txt"
check "sources: every printed sasl-oauth2 command parses, every systemctl line names a verb and our unit ($bad do not)" test "$bad" = 0

# What the runs above printed.
sed 's/ && /\n/g' "$ADVICE" | sed -E 's/[. ]+$//' | sort -u >"$T/advice-uniq.txt"
n=$(grep -c . "$T/advice-uniq.txt")
check "runs: advice lines collected ($n)" test "$n" -gt 5
PCONF="$T/postconf"
mkdir -p "$PCONF"
cp /etc/postfix/main.cf "$PCONF/main.cf" 2>/dev/null || : >"$PCONF/main.cf"
cp /etc/postfix/master.cf "$PCONF/master.cf" 2>/dev/null || true
bad=0
while read -r line; do
	[ -n "$line" ] || continue
	case $line in
	sasl-oauth2\ *) parses "$line" || { bad=$((bad + 1)); echo "# does not parse: $line"; } ;;
	postconf\ -e*)
		# applied to a private copy by the real postconf: no error, no warning
		eval "set -- ${line#postconf -e}"
		postconf -c "$PCONF" -e "$@" >"$T/pc.out" 2>&1 && ! grep -q warning "$T/pc.out" ||
			{ bad=$((bad + 1)); echo "# postconf rejects: $line"; sed 's/^/#   /' "$T/pc.out"; } ;;
	chmod\ *)
		[[ $line =~ ^chmod\ [0-7]{3,4}\ /[^\ ]+$ ]] || { bad=$((bad + 1)); echo "# bad chmod: $line"; } ;;
	chown\ *)
		owner=$(awk '{print $2}' <<<"$line")
		[[ $line =~ ^chown\ [a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?\ /[^\ ]+$ ]] && id "${owner%%:*}" >/dev/null 2>&1 ||
			{ bad=$((bad + 1)); echo "# bad chown: $line"; } ;;
	systemctl\ *) systemctl_ok "$line" || { bad=$((bad + 1)); echo "# bad systemctl line: $line"; } ;;
	esac
done <"$T/advice-uniq.txt"
check "runs: every printed command parses or applies with the real program ($bad do not)" test "$bad" = 0

tests_exit
