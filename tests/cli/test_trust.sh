#!/bin/bash
# Trust boundaries (issue 9, sections 1 and 2): root acting for postfix never
# works inside postfix's directory itself, and names and paths never come
# from file contents. Each attack is made by the real postfix user against
# the real CLI run as root, with the real OAuth2 server (authserver.js)
# counting what reaches it:
#   a hard link planted under the lock's name       (the linked file kept its owner)
#   relay.json a symbolic link to root's token file (refresh, token, status and
#                                                    forget refuse, --for postfix or by
#                                                    path; root's grant is not spent or revoked)
#   the account directory a symbolic link           (refused; nothing written through it)
#   a new account directory                         (never chown'ed by path: strace)
#   import without ACCOUNT                          (the file's user is only suggested)
#   import FILE ../evil, import FILE x.json         (the one account-name rule)
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"

need_cli
if [ "$(id -u)" != 0 ] || ! id postfix >/dev/null 2>&1; then
	skip "trust boundaries: needs root and a postfix user"
	exit 0
fi

e2e_setup cli-trust
T=$E2E_TMP
start_authserver
write_refresh_conf "chroot_dir = $T/spool"
PF="$T/spool/etc/sasl-oauth2"
mkdir -p "$T/spool/etc"
mkdir -m 700 "$PF"
chown postfix:postfix "$PF"
S="$T/state"
mkdir -m 700 "$S"
export SASL_OAUTH2_STATE_DIR="$S"

owner_of() { stat -c %U "$1"; }

# ----- 1a. a hard link planted as NAME.json.lock ------------------------------------------------
# fs.protected_hardlinks=1 still lets postfix link a file it can read and
# write; where it is 0, any file (/etc/shadow). Root must never hand it over.
seed_token_file "$PF/relay.json" relay@example.com 3600
chown postfix:postfix "$PF/relay.json"
printf 'not a lock\n' >"$T/victim"
chmod 666 "$T/victim"
as_postfix ln "$T/victim" "$PF/relay.json.lock"
cp -p "$PF/relay.json" "$T/relay.before"
reset_stats
cli refresh relay --for postfix
check_cli "lock hard link: refresh --for postfix refuses it, saying what it found (exit 77)" \
	eval 'rc_is 77 && err_has "lock file $PF/relay.json.lock has 2 hard links"'
check "lock hard link: the linked file still belongs to root (got $(owner_of "$T/victim"))" \
	test "$(owner_of "$T/victim")" = root
check "lock hard link: no refresh was made, the token file is unchanged" \
	eval 'test "$(token_requests)" = 0 && cmp -s "$T/relay.before" "$PF/relay.json"'
rm -f "$PF/relay.json.lock"
seed_token_file "$PF/relay.json" relay@example.com 3600
chown postfix:postfix "$PF/relay.json"
cli refresh relay --for postfix
check_cli "without the planted link refresh --for postfix works" rc_is 0
check "... and the token file and its new lock belong to postfix" \
	test "$(owner_of "$PF/relay.json") $(owner_of "$PF/relay.json.lock")" = "postfix postfix"

# ----- 1b. relay.json a symbolic link to one of root's token files ----------------------------
mkdir -m 700 "$T/rootstate"
seed_token_file "$T/rootstate/mine.json" root@example.com 3600
set_json_field "$T/rootstate/mine.json" revocation_endpoint "\"$AUTH_URL/revoke\""
cp -p "$T/rootstate/mine.json" "$T/mine.before"
as_postfix ln -s "$T/rootstate/mine.json" "$PF/evil.json"
reset_stats
cli refresh evil --for postfix
check_cli "token file symlink: refresh --for postfix refuses it, naming the link (exit 77)" \
	eval 'rc_is 77 && err_has "token file $PF/evil.json is a symbolic link"'
check "token file symlink: root's refresh token was not spent, root's file is unchanged" \
	eval 'test "$(token_requests)" = 0 && cmp -s "$T/mine.before" "$T/rootstate/mine.json"'
check "token file symlink: nothing was written into postfix's directory" test -L "$PF/evil.json"
cli refresh "$PF/evil.json"
check_cli "token file symlink: root naming the path (no --for) works as the directory's owner and refuses it" \
	eval 'rc_is 77 && err_has "is a symbolic link" && test "$(token_requests)" = 0'
cli token evil --for postfix
check_cli "token file symlink: token --for postfix prints nothing of root's" \
	eval '! rc_is 0 && test ! -s "$OUT" && err_has "symbolic link"'
cli status evil --for postfix
check_cli "token file symlink: status shows the refusal, not root's account" \
	eval '! rc_is 0 && grep -q "symbolic link" "$OUT" "$ERR" && ! grep -q "root@example.com" "$OUT"'
"$SO" authorize evil --for postfix --provider microsoft --flow manual </dev/null >"$OUT" 2>"$ERR"
check_cli "token file symlink: authorize --for postfix takes nothing from root's file as its prior settings" \
	eval '! grep -q "root@example.com\|Signing in again" "$OUT" "$ERR"'
# forget never reads through the link, so root's grant is not revoked.
cli forget evil --for postfix
check_cli "token file symlink: forget --for postfix does not revoke root's grant" \
	eval 'err_has "symbolic link" && ! grep -q "revocation endpoint\|revoked the refresh token" "$OUT" "$ERR"'
check "token file symlink: root's file is untouched" cmp -s "$T/mine.before" "$T/rootstate/mine.json"
rm -f "$PF/evil.json"

# ----- 1c. the account directory swapped for a symbolic link -----------------------------------
printf '{"access_token": "imported-at", "expiry": "%s", "refresh_token": "imported-rt",
  "user": "relay@example.com", "client_id": "test-client", "token_endpoint": "%s"}\n' \
	"$(( $(date +%s) + 3600 ))" "$AUTH_URL/token" >"$T/src.json"
chmod 600 "$T/src.json"
mkdir -m 700 "$T/rootdir"
as_postfix ln -s "$T/rootdir" "$PF/sub"
cli import "$T/src.json" "$PF/sub/x.json" --for postfix
check_cli "directory symlink: import --for postfix refuses it (exit 77)" \
	eval 'rc_is 77 && err_has "directory $PF/sub is a symbolic link"'
check "directory symlink: nothing was created behind it" test -z "$(ls -A "$T/rootdir")"
rm -f "$PF/sub"

# ----- 1d. a new account directory is never chown'ed by path ----------------------------------
# Between a mkdir and a chown by path, a user who can write the parent can
# swap the directory for a link: the handover must go by descriptor.
if command -v strace >/dev/null 2>&1; then
	sed '/^chroot_dir/d' "$SASL_OAUTH2_CONF" >"$T/spool2.conf"
	printf 'chroot_dir = %s/spool2\n' "$T" >>"$T/spool2.conf"
	mkdir -p "$T/spool2/etc"
	strace -f -qq -e trace=chown,lchown,fchownat -o "$T/strace.log" \
		"$SO" --config "$T/spool2.conf" import "$T/src.json" relay2 --for postfix >"$OUT" 2>"$ERR"
	RC=$?
	check_cli "new directory: import --for postfix creates CHROOT/etc/sasl-oauth2" \
		eval 'rc_is 0 && test -d "$T/spool2/etc/sasl-oauth2"'
	check "new directory: it and the file belong to postfix, 0700 and 0600" \
		test "$(stat -c '%U %a' "$T/spool2/etc/sasl-oauth2") $(stat -c '%U %a' "$T/spool2/etc/sasl-oauth2/relay2.json")" = "postfix 700 postfix 600"
	if grep -E '(^|[^f])(l?chown|fchownat)\(' "$T/strace.log" | grep -v 'AT_EMPTY_PATH' >"$T/by-path"; then
		not_ok "new directory: no chown by path (strace saw: $(head -3 "$T/by-path" | tr '\n' ' '))"
	else
		ok "new directory: no chown by path (strace saw only fchown on descriptors)"
	fi
else
	not_ok "new directory: strace is not installed (tests/install-deps.sh installs it)"
fi

# ----- 2a. import FILE without ACCOUNT: the file's user is only a suggestion -------------------
mkdir -m 755 "$T/cwd"
sed 's#"user": "relay@example.com"#"user": "'"$T"'/planted/owned"#' "$T/src.json" >"$T/pathuser.json"
chmod 600 "$T/pathuser.json"
( cd "$T/cwd" && "$SO" import "$T/pathuser.json" >"$OUT" 2>"$ERR" ); RC=$?
check_cli "import without ACCOUNT: a user that is a path is not used (exit 2, asks for ACCOUNT)" \
	eval 'rc_is 2 && err_has "give the ACCOUNT" && test ! -e "$T/planted"'
cli import "$T/src.json"
check_cli "import without ACCOUNT: the file's user is suggested, nothing is written" \
	eval 'rc_is 2 && err_has "sasl-oauth2 import $T/src.json relay@example.com" && test -z "$(ls -A "$S")"'

# ----- 2b. import FILE ../evil and import FILE x.json ------------------------------------------
( cd "$T/cwd" && "$SO" import "$T/src.json" ../evil >"$OUT" 2>"$ERR" ); RC=$?
check_cli "import FILE ../evil: refused (exit 2), nothing written outside the state directory" \
	eval 'rc_is 2 && err_has "../evil" && test ! -e "$T/evil" && test ! -e "$T/evil.json"'
cli import "$T/src.json" x.json
check_cli "import FILE x.json: the account is x, its file x.json (not x.json.json)" \
	eval 'rc_is 0 && test -f "$S/x.json" && test ! -e "$S/x.json.json"'
cli token x.json
check_cli "token x.json reads the same account" eval 'rc_is 0 && grep -qx imported-at "$OUT"'
for bad in .hidden 'a b' 'x..y' "$(printf 'a%.0s' $(seq 129))"; do
	cli token "$bad"
	check_cli "account name \"${bad:0:20}\": refused with the rule (exit 2)" \
		eval 'rc_is 2 && err_has "not a valid account name"'
done

tests_exit
