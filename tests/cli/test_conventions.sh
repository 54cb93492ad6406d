#!/bin/bash
# The command line's conventions, as a Debian admin expects them: one error
# line per mistake (never getopt's own line as well), "requires an
# argument" for an option without its value, global options after the
# command too, a `help` command, "did you mean" for mistyped commands,
# accounts and providers, case-insensitive provider names, a --config that
# does not exist is an error, the documented provider.microsoft.* override,
# exit codes as documented, one libcurl message (not two), a failing proxy
# named as the proxy, `watch --once` not promising a retry it will not make,
# and `forget` leaving what is not an account alone.
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"

cli_setup conventions
T=$E2E_TMP
write_refresh_conf
unset DISPLAY WAYLAND_DISPLAY BROWSER SASL_OAUTH2_CLIENT_SECRET
# Nothing here may go through a proxy of the environment.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

OUT="$T/out" ERR="$T/err"
run() { timeout 60 "$CLI" "$@" </dev/null >"$OUT" 2>"$ERR"; RC=$?; }
expect() { # DESCRIPTION COMMAND...
	local d=$1; shift
	if "$@"; then ok "$d"; else not_ok "$d (exit $RC)"; cli_show; fi
}
err_lines() { grep -c . "$ERR"; }
# no_getopt_line: glibc's own messages never appear ("unrecognized option",
# "invalid option", "option requires an argument", "requires an argument --").
no_getopt_line() { ! grep -Eq "unrecognized option|invalid option|option requires an argument|requires an argument -- " "$ERR"; }

# ----- one error line per mistake, for every command --------------------------
for cmd in authorize token refresh status forget watch test import doctor; do
	run "$cmd" --bogus-option
	expect "$cmd --bogus-option: exit 2, our one line naming the option, no getopt line" \
		eval 'test $RC = 2 && no_getopt_line && test "$(grep -c -- "--bogus-option" "$ERR")" = 1'
done
for c in "authorize x --provider" "token x --format" "doctor --for" "test x --imap" "watch --keepalive" "forget --for" "status --for"; do
	# shellcheck disable=SC2086
	run $c
	expect "$c (no value): says \"requires an argument\" once, not \"unknown option\"" \
		eval 'test $RC = 2 && test "$(grep -c "requires an argument" "$ERR")" = 1 && ! err_has "unknown option" && no_getopt_line'
done
run --bogus
expect "sasl-oauth2 --bogus: exit 2, one line" eval 'test $RC = 2 && test "$(err_lines)" = 1 && no_getopt_line'
run --config
expect "sasl-oauth2 --config (no value): requires an argument, one line" \
	eval 'test $RC = 2 && test "$(err_lines)" = 1 && err_has "requires an argument"'

# ----- --config ----------------------------------------------------------------
run -c "$T/no-such.conf" status
expect "-c FILE that does not exist: exit 78, names the file" \
	eval 'test $RC = 78 && err_has "$T/no-such.conf" && test "$(err_lines)" = 1'
printf 'chroot_dir = %s/elsewhere\n' "$T" >"$T/other.conf"
run status --for postfix -c "$T/other.conf"
expect "status --for postfix -c FILE (after the command) reads FILE (its chroot_dir)" \
	err_has "$T/elsewhere/etc/sasl-oauth2"
run status --for postfix --config="$T/other.conf"
expect "status --config=FILE (after the command) reads FILE" err_has "$T/elsewhere/etc"
run --config "$T/other.conf" status --for postfix
expect "--config FILE status (before the command) reads FILE" err_has "$T/elsewhere/etc"

# ----- help, did you mean --------------------------------------------------------
run help
expect "help: exit 0, lists the commands" eval 'test $RC = 0 && grep -q "^  authorize " "$OUT" && grep -q "^  doctor " "$OUT"'
run help token
"$CLI" token --help >"$T/token-help" 2>&1
expect "help token: the same text as token --help" eval 'test $RC = 0 && cmp -s "$OUT" "$T/token-help"'
run stauts
expect "mistyped command: exit 2, did you mean \"status\"" eval 'test $RC = 2 && err_has "did you mean \"status\""'
run hepl
expect "mistyped help: did you mean \"help\"" err_has 'did you mean "help"'
run frobnicate
expect "unknown command far from all: no suggestion" eval 'test $RC = 2 && ! err_has "did you mean"'
seed_token_file "$S/alice.json" alice@example.com 3600
run token alcie
expect "mistyped account (token): exit 67, did you mean \"alice\"" eval 'test $RC = 67 && err_has "did you mean \"alice\""'
run status alcie
expect "mistyped account (status): did you mean \"alice\"" grep -q "did you mean \"alice\"" "$OUT" "$ERR"
run authorize alcie
expect "authorize of a mistyped account: exit 2, did you mean \"alice\"" \
	eval 'test $RC = 2 && err_has "did you mean \"alice\""'
run authorize newacct --provider microsfot --client-id x
expect "mistyped provider: exit 2, did you mean \"microsoft\"" \
	eval 'test $RC = 2 && err_has "did you mean \"microsoft\""'

# ----- providers: case-insensitive, built-in override from the config --------------
run authorize newacct --provider Microsoft --client-id cid-1 --user u@example.com --flow manual --no-open
expect "--provider Microsoft: accepted as microsoft (the sign-in URL is Microsoft's)" \
	grep -q "https://login.microsoftonline.com/common/oauth2/v2.0/authorize?" "$ERR"
run authorize newacct --provider GOOGLE --flow device --client-id cid-1 --user u@example.com
expect "--flow device with Google: usage error (exit 2) before any sign-in" \
	eval 'test $RC = 2 && err_has "device flow"'
cat >"$T/override.conf" <<EOF
ca_bundle = $CA_DIR/ca.pem
provider.microsoft.client_id = cfg-client-id
provider.Google.client_id = cfg-google-id
EOF
run -c "$T/override.conf" authorize newacct --provider microsoft --user u@example.com --flow manual --no-open
expect "provider.microsoft.client_id in the config: loaded (no config error)" eval 'test $RC != 78'
expect "provider.microsoft.client_id in the config: used as the client id" grep -q "client_id=cfg-client-id" "$ERR"
run -c "$T/override.conf" authorize newacct --provider google --user u@example.com --flow manual --no-open
expect "provider.Google.client_id (any case): used for google" grep -q "client_id=cfg-google-id" "$ERR"
check "no token file is written by any of these" test ! -e "$S/newacct.json"

# ----- authorize over a token file that cannot be read ------------------------------
( umask 077; printf '{"access_token": ' >"$S/broken.json" )
cp -p "$S/broken.json" "$T/broken.before"
run authorize broken
expect "authorize BROKEN (no --provider): says what is wrong and to give --provider, exit 65" \
	eval 'test $RC = 65 && err_has "not valid JSON" && err_has "give --provider"'
run authorize broken --provider google --client-id c --user u@example.com --flow manual --no-open
expect "authorize BROKEN --provider ...: warns and signs in anew (gets to the sign-in URL)" \
	eval 'err_has "signing in anew" && err_has "accounts.google.com"'
check "authorize BROKEN: the file is untouched until a sign-in succeeds" cmp -s "$T/broken.before" "$S/broken.json"
rm -f "$S/broken.json"

# ----- exit codes of the manual flow's paste -----------------------------------------
for paste in "" "not an address"; do
	printf '%s\n' "$paste" | timeout 30 "$CLI" authorize newacct --provider google --client-id c \
		--user u@example.com --flow manual --no-open >"$OUT" 2>"$ERR"; RC=$?
	expect "manual flow, pasted \"$paste\": exit 65 (data error), said once" \
		eval 'test $RC = 65 && test "$(grep -c "pasted" "$ERR")" = 1'
done
"$CLI" authorize --help >"$T/authorize-help"
check "authorize --help: exit 65 is documented for what was pasted" \
	grep -Eq "^  65  .*past" "$T/authorize-help"

# ----- libcurl's error said once; a failing proxy named --------------------------------
seed_token_file "$S/dns.json" alice@example.com -60 "https://no-such-host.invalid/token"
run refresh dns
expect "unresolvable token endpoint: exit 75, the resolver's error said once" \
	eval 'test $RC = 75 && test "$(grep -Eio "resolve host" "$ERR" | wc -l)" = 1'
dead=$(free_port)
cat >"$T/proxy.conf" <<EOF
ca_bundle = $CA_DIR/ca.pem
connect_timeout = 3
proxy = http://user:proxy-pass@127.0.0.1:$dead
EOF
seed_token_file "$S/viaproxy.json" alice@example.com -60
run -c "$T/proxy.conf" refresh viaproxy
expect "proxy not listening: exit 75, the message says the proxy failed" \
	eval 'test $RC = 75 && err_has "the proxy http://127.0.0.1:$dead failed"'
check "proxy not listening: the proxy's password is not shown" bash -c '! grep -q proxy-pass "$1"' _ "$ERR"
pport=$(free_port)
e2e_bg "$T/proxy403.log" "$NODE" -e '
	require("net").createServer((s) => s.once("data", () =>
		s.end("HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))).listen(+process.argv[1], "127.0.0.1");' "$pport"
wait_port "$pport" 10 || bail "setup: the refusing proxy did not start"
sed -i "s|^proxy = .*|proxy = http://127.0.0.1:$pport|" "$T/proxy.conf"
run -c "$T/proxy.conf" refresh viaproxy
expect "proxy refusing the tunnel (403): exit 75, the message says the proxy failed" \
	eval 'test $RC = 75 && err_has "the proxy http://127.0.0.1:$pport failed"'

# ----- watch --once does not promise a retry it will not make --------------------------
seed_token_file "$S/flaky.json" alice@example.com -60 "https://127.0.0.1:$dead/token"
timeout 60 "$CLI" watch --once --stderr flaky >"$OUT" 2>"$ERR"; RC=$?
expect "watch --once, temporary failure: exit 75" test "$RC" = 75
expect "watch --once, temporary failure: no \"retrying in\" (it exits now)" \
	eval '! err_has "retrying" && err_has "next run"'
rm -f "$S/flaky.json" "$S/dns.json" "$S/viaproxy.json"

# ----- forget leaves what is not an account alone -----------------------------------
mkdir -p "$T/notacct/dir"
echo "keep me" >"$T/notacct/notes.txt"
chmod 600 "$T/notacct/notes.txt"
ls -a "$T/notacct" >"$T/notacct.before"
run forget "$T/notacct/dir"
expect "forget DIRECTORY: refused (exit 65)" eval 'test $RC = 65 && err_has "not a token file"'
run forget "$T/notacct/notes.txt"
expect "forget FILE that is no token file: refused (exit 65)" test "$RC" = 65
ls -a "$T/notacct" >"$T/notacct.after"
check "forget on what is not an account creates nothing (no .lock) and removes nothing" \
	cmp -s "$T/notacct.before" "$T/notacct.after"
run forget nobody
check "forget of an unknown name creates nothing" test ! -e "$S/nobody.json.lock" -a "$RC" = 67

tests_exit
