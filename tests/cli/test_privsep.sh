#!/bin/bash
# Trust boundaries, round 2 (issue 16, items 3, 4 and 7; issue 18, item 3).
# Each attack is made by the real postfix user (or the real unprivileged
# user nobody) against the real CLI run as root, and the checks say what
# did NOT happen:
#   the config's client, a proxy the token file names   (the proxy got no connection)
#   import of a link to another user's token file        (nothing copied)
#   import of a FIFO with an idle writer                 (refused at once, no spin)
#   the account directory a link, for token and forget  (root's file not printed, not removed)
#   a parent directory writable by its group             (refused, naming that directory)
#   keygen into a world-writable directory               (refused)
#   doctor --for postfix --json as root                  (the same checks as the text)
set -u
. "$(dirname "$0")/../lib/tokens.sh"
. "$(dirname "$0")/../lib/cli.sh"
. "$(dirname "$0")/../lib/chroot.sh"

need_cli
if [ "$(id -u)" != 0 ] || ! id postfix >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1; then
	skip "privilege separation: needs root, a postfix user and a nobody user"
	exit 0
fi

e2e_setup cli-privsep
T=$E2E_TMP
start_authserver
CFG_SECRET="CfgSecret-$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
write_refresh_conf "chroot_dir = $T/spool
client_id = cfg-client
client_secret = $CFG_SECRET
token_endpoint = $AUTH_URL/token"
PF="$T/spool/etc/sasl-oauth2"
install -d -m 755 -o root "$T/spool" "$T/spool/etc"
install -d -m 700 -o postfix -g postfix "$PF"
S="$T/state"
install -d -m 700 "$S"
export SASL_OAUTH2_STATE_DIR="$S"

# del_json_field FILE KEY: removes one member, keeping the file's owner and mode.
del_json_field() {
	"$NODE" -e '
		const fs = require("fs"); const [f, k] = process.argv.slice(1);
		const o = JSON.parse(fs.readFileSync(f, "utf8")); delete o[k];
		fs.writeFileSync(f, JSON.stringify(o, null, 2) + "\n");' "$1" "$2"
}

# ----- 1. the config's client and a proxy the token file chooses -------------------------------
# postfix runs a "proxy" (a listener that records every connection) and
# writes token files that name it, with no client of their own, so that
# root's refresh, forget and import would send the config's client_secret.
PPORT=$(free_port) || bail "setup: no free port"
PROXY_LOG="$T/proxy.log"
: >"$PROXY_LOG"
e2e_bg "$PROXY_LOG" "$NODE" -e '
	const [port, uid, gid] = process.argv.slice(1).map(Number);
	require("net").createServer((s) => {
		console.log("connection");
		s.once("data", (d) => { console.log(String(d).split("\r\n")[0]); s.destroy(); });
	}).listen(port, "127.0.0.1", () => { process.setgid(gid); process.setuid(uid); });' \
	"$PPORT" "$(id -u postfix)" "$(id -g postfix)"
wait_port "$PPORT" 10 || bail "setup: the recording proxy did not start"
for _ in $(seq 1 50); do grep -q '^connection' "$PROXY_LOG" && break; sleep 0.1; done
: >"$PROXY_LOG" # wait_port's own probe
proxy_hits() { grep -c '^connection' "$PROXY_LOG"; }
cp "$CA_DIR/ca.pem" "$T/postfix-ca.pem"
chown postfix "$T/postfix-ca.pem"
auth_admin POST /admin/config "{\"client_secret\": \"$CFG_SECRET\"}" >/dev/null

# the file postfix writes: the config's own token endpoint (so the config's
# client may go there), no client_id, its own proxy and CA bundle
proxied_file() {
	seed_token_file "$1" relay@example.com "$2"
	del_json_field "$1" client_id
	set_json_field "$1" proxy "\"http://127.0.0.1:$PPORT\""
	set_json_field "$1" ca_bundle_file "\"$T/postfix-ca.pem\""
	[ -z "${3:-}" ] || set_json_field "$1" revocation_endpoint "\"$3\""
	chown postfix:postfix "$1"
}
proxied_file "$PF/proxied.json" -10
reset_stats
cli refresh proxied --for postfix
check_cli "config client, file's proxy: refresh --for postfix renews with the config's client" \
	eval 'rc_is 0 && test "$(token_requests)" = 1'
check "config client, file's proxy: the proxy postfix named got no connection (got $(proxy_hits))" \
	test "$(proxy_hits)" = 0
check "config client, file's proxy: the secret is in no output" \
	bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$CFG_SECRET" "$OUT" "$ERR"

# each case counts the proxy's connections from its own start
: >"$PROXY_LOG"
proxied_file "$PF/gone.json" 3600 "$AUTH_URL/revoke"
cli forget gone --for postfix
check_cli "config client, file's proxy: forget --for postfix removes the account" \
	eval 'rc_is 0 && test ! -e "$PF/gone.json"'
check "config client, file's proxy: forget's revocation did not go through postfix's proxy (got $(proxy_hits))" \
	test "$(proxy_hits)" = 0

seed_token_file "$T/seed.json" relay@example.com 3600
printf '{"refresh_token": "%s", "token_endpoint": "%s/token", "proxy": "http://127.0.0.1:%s",
  "ca_bundle_file": "%s/postfix-ca.pem", "user": "relay@example.com"}\n' \
	"$(json_field "$T/seed.json" refresh_token)" "$AUTH_URL" "$PPORT" "$T" >"$PF/src.json"
chown postfix:postfix "$PF/src.json"
chmod 600 "$PF/src.json"
reset_stats
: >"$PROXY_LOG"
cli import "$PF/src.json" imported
check_cli "config client, file's proxy: import gets the first access token with the config's client" \
	eval 'rc_is 0 && test "$(token_requests)" = 1'
check "config client, file's proxy: import's request did not go through the file's proxy (got $(proxy_hits))" \
	test "$(proxy_hits)" = 0

# import copies a configured provider's client only with that provider's
# endpoints: a file naming provider "corp" but its own token endpoint and
# proxy does not get corp's secret to send there.
cat >>"$SASL_OAUTH2_CONF" <<CONF
provider.corp.authorize_endpoint = $AUTH_URL/authorize
provider.corp.token_endpoint = $AUTH_URL/token
provider.corp.scope = mail
provider.corp.client_id = corp-client
provider.corp.client_secret = $CFG_SECRET-corp
CONF
printf '{"provider": "corp", "access_token": "at-%s", "refresh_token": "rt-corp", "expiry": "%s",
  "token_endpoint": "https://127.0.0.1:%s/token", "proxy": "http://127.0.0.1:%s", "user": "relay@example.com"}\n' \
	"$(head -c 1500 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" "$(( $(date +%s) + 3600 ))" \
	"$PPORT" "$PPORT" >"$PF/corp-src.json"
chown postfix:postfix "$PF/corp-src.json"
chmod 600 "$PF/corp-src.json"
cli import "$PF/corp-src.json" corp
check_cli "provider client: import names the provider's client" \
	eval 'rc_is 0 && test "$(json_field "$S/corp.json" client_id)" = corp-client'
check "provider client: ... with the provider's token endpoint, not the file's (got $(json_field "$S/corp.json" token_endpoint))" \
	test "$(json_field "$S/corp.json" token_endpoint)" = "$AUTH_URL/token"
check "provider client: ... and without the file's proxy (got '$(json_field "$S/corp.json" proxy)')" \
	test -z "$(json_field "$S/corp.json" proxy)"
check "provider client: import says the file's endpoints and proxy were replaced" \
	eval 'err_has "endpoints are replaced by provider corp" && err_has "\"proxy\" is dropped"'
sed 's/^/#   proxy: /' "$PROXY_LOG"

# ----- 2. import reads its source as the source directory's owner ------------------------------
# tarickb/sasl-xoauth2 keeps its token files in a postfix-owned directory.
# nobody has a token file of its own; postfix cannot read it, root can.
TOKS="$T/spool/etc/tokens"
install -d -m 700 -o postfix -g postfix "$TOKS"
NB="$T/nobody-home"
install -d -m 700 -o nobody "$NB"
NB_RT="rt-NOBODY-$(head -c 1500 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
printf '{"version": 1, "user": "nobody@example.com", "access_token": "at-nobody", "refresh_token": "%s",
  "expires_at": %s, "client_id": "c", "token_endpoint": "%s/token"}\n' \
	"$NB_RT" "$(( $(date +%s) + 3600 ))" "$AUTH_URL" >"$NB/work.json"
chown nobody "$NB/work.json"
chmod 600 "$NB/work.json"
secret_leaked() { grep -rqF -- "${NB_RT:0:200}" "$PF" "$S" "$OUT" "$ERR"; }

as_postfix ln -s "$NB/work.json" "$TOKS/relay"
cli import "$TOKS/relay" stolen --for postfix
check_cli "import of a link to another user's token file: refused, naming the path (exit 77)" \
	eval 'rc_is 77 && err_has "$TOKS/relay is a symbolic link"'
check "import of a link: nothing of nobody's was copied (no account, no refresh token anywhere)" \
	eval 'test ! -e "$PF/stolen.json" && ! secret_leaked'
rm -f "$TOKS/relay"

# a FIFO with a writer that never writes: an O_NONBLOCK read loop spun
# here at 100% CPU until killed
as_postfix mkfifo -m 600 "$TOKS/fifo"
e2e_bg "$T/writer.log" runuser -u postfix -- sh -c 'exec 3>"$1"; exec sleep 60' _ "$TOKS/fifo"
WRITER=${E2E_PIDS[-1]}
sleep 0.3
start=$(date +%s%N)
OUT="$T/fifo.out" ERR="$T/fifo.err"
timeout 10 "$SO" import "$TOKS/fifo" fromfifo --for postfix >"$OUT" 2>"$ERR"
RC=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_cli "import of a FIFO with an idle writer: refused at once, naming it (exit 77, ${ms} ms)" \
	eval 'rc_is 77 && test "$ms" -lt 3000 && err_has "$TOKS/fifo is a FIFO"'
kill "$WRITER" 2>/dev/null
OUT="$E2E_TMP/cli.out" ERR="$E2E_TMP/cli.err"

cli import "$TOKS" fromdir --for postfix
check_cli "import of a directory: refused, naming it" eval '! rc_is 0 && err_has "$TOKS" && test ! -e "$PF/fromdir.json"'
cli import /dev/zero fromdev
check_cli "import of a device: refused, naming it (exit 77)" \
	eval 'rc_is 77 && err_has "/dev/zero is a device" && test ! -e "$S/fromdev.json"'

# the real thing still works: postfix's own file in postfix's directory,
# read as postfix, written for postfix
printf '{"access_token": "at-%s", "expiry": "%s", "refresh_token": "rt-relay", "user": "relay@example.com",
  "client_id": "test-client", "token_endpoint": "%s/token"}\n' \
	"$(head -c 1500 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')" "$(( $(date +%s) + 3600 ))" "$AUTH_URL" >"$TOKS/relay"
chown postfix:postfix "$TOKS/relay"
chmod 600 "$TOKS/relay"
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=openat -o "$T/import.strace" "$SO" import "$TOKS/relay" relay --for postfix >"$OUT" 2>"$ERR"
	RC=$?
	check_cli "import of postfix's own file in its directory works" \
		eval 'rc_is 0 && test "$(json_field "$PF/relay.json" refresh_token)" = rt-relay'
	opener=$(grep -F "\"$TOKS/relay\"" "$T/import.strace" | head -1)
	check "... opened with O_NOFOLLOW by the child working as postfix, not by root's process: $opener" \
		eval '[[ "$opener" == *O_NOFOLLOW* ]] && test "${opener%% *}" != "$(head -1 "$T/import.strace" | cut -d" " -f1)"'

else
	not_ok "strace is not installed (tests/install-deps.sh installs it)"
fi

# ----- 3. the account directory and the directories above it -----------------------------------
# root's own token file in a directory only root can read
ROOTONLY="$T/rootonly"
install -d -m 700 -o root "$ROOTONLY"
ROOT_AT="at-ROOT-$(head -c 1500 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
root_file() {
	printf '{"version": 1, "user": "root@example.com", "access_token": "%s", "refresh_token": "rt-root",
  "expires_at": %s, "client_id": "c", "token_endpoint": "%s/token"}\n' \
		"$ROOT_AT" "$(( $(date +%s) + 3600 ))" "$AUTH_URL" >"$1"
	chmod 600 "$1"
}
root_file "$ROOTONLY/mine.json"
cp -p "$ROOTONLY/mine.json" "$T/mine.before"
root_leaked() { grep -qF -- "${ROOT_AT:0:200}" "$OUT" "$ERR"; }

# nobody makes ~/box a link to root's directory
runuser -u nobody -- ln -s "$ROOTONLY" "$NB/box"
for cmd in token status refresh; do
	cli $cmd "$NB/box/mine.json"
	check_cli "linked account directory: $cmd refuses it, naming the link, prints nothing of root's" \
		eval '! rc_is 0 && grep -q "directory $NB/box is a symbolic link" "$OUT" "$ERR" && ! root_leaked &&
			! grep -q root@example.com "$OUT" "$ERR"'
done
cli forget "$NB/box/mine.json"
check_cli "linked account directory: forget refuses it (exit 77)" \
	eval 'rc_is 77 && err_has "directory $NB/box is a symbolic link"'
check "linked account directory: root's token file is still there, unchanged, no lock made" \
	eval 'cmp -s "$T/mine.before" "$ROOTONLY/mine.json" && test ! -e "$ROOTONLY/mine.json.lock"'

# a directory of root's inside nobody's home: nobody could rename it away
# and put its own in its place between root's checks and root's work
install -d -m 700 -o root "$NB/rootsub"
root_file "$NB/rootsub/work.json"
cli token "$NB/rootsub/work.json"
check_cli "a directory above belongs to another user: token refuses, naming that directory (exit 77)" \
	eval 'rc_is 77 && err_has "directory $NB belongs to nobody" && ! root_leaked'

# the group (postfix) may write the directory above root's account directory
SH="$T/shared"
install -d -m 2775 -o root -g postfix "$SH"
install -d -m 700 -o root "$SH/acct"
root_file "$SH/acct/work.json"
for cmd in token refresh; do
	cli $cmd "$SH/acct/work.json"
	check_cli "group-writable parent: $cmd refuses, saying which directory and why (exit 77)" \
		eval 'rc_is 77 && err_has "directory $SH is writable by its group (mode 2775)" && err_has "chmod go-w $SH" && ! root_leaked'
done
# postfix swaps the directory for one of its own: still refused, and
# root's forget removes nothing of either
as_postfix mv "$SH/acct" "$SH/acct.root"
as_postfix mkdir -m 700 "$SH/acct"
as_postfix cp "$SH/acct.root/work.json" "$SH/acct/work.json" 2>/dev/null || as_postfix sh -c 'echo "{}" >"$1"' _ "$SH/acct/work.json"
cli forget "$SH/acct/work.json"
check_cli "group-writable parent, directory swapped by postfix: forget refuses, removes nothing" \
	eval 'rc_is 77 && test -e "$SH/acct/work.json" -a -e "$SH/acct.root/work.json"'
chmod 755 "$SH"
cli token "$SH/acct.root/work.json"
check_cli "after chmod go-w on the parent: root's token works again" eval 'rc_is 0 && root_leaked'

# forget removes the token file and its lock through the directory it
# opened (unlinkat), never by path
seed_token_file "$PF/byfd.json" relay@example.com 3600
chown postfix:postfix "$PF/byfd.json"
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=unlink,unlinkat -o "$T/forget.strace" "$SO" forget byfd --for postfix --keep-token >"$OUT" 2>"$ERR"
	RC=$?
	check_cli "forget --for postfix removes the account" eval 'rc_is 0 && test ! -e "$PF/byfd.json" -a ! -e "$PF/byfd.json.lock"'
	check "... through the directory's descriptor: $(grep -F byfd.json "$T/forget.strace" | head -2 | tr '\n' ' ')" \
		eval 'grep -qE "unlinkat\([0-9]+, \"byfd.json\", 0\)" "$T/forget.strace" &&
			grep -qE "unlinkat\([0-9]+, \"byfd.json.lock\", 0\)" "$T/forget.strace" &&
			! grep -qF "\"$PF/byfd.json" "$T/forget.strace"'
else
	not_ok "strace is not installed (tests/install-deps.sh installs it)"
fi

# ----- 4. keygen's directory ---------------------------------------------------------------------
WW="$T/world"
install -d -m 777 "$WW"
cli keygen "$WW/relay-key.pem" "$WW/relay-cert.pem" --bits 2048
check_cli "keygen into a directory everyone may write, not sticky: refused, naming it (exit 77)" \
	eval 'rc_is 77 && err_has "directory $WW is writable by everyone and not sticky" && test -z "$(ls -A "$WW")"'
chmod 1777 "$WW"
rm -f "$WW/relay-key.pem" "$WW/relay-cert.pem"
cli keygen "$WW/relay-key.pem" "$WW/relay-cert.pem" --bits 2048
check_cli "keygen into a sticky world-writable directory works" eval 'rc_is 0 && test -s "$WW/relay-key.pem"'
# the certificate cannot be written: the key just made goes again, through
# the directory's descriptor, not by path
KD="$T/keys"
install -d -m 700 "$KD"
: >"$KD/cert.pem"
if command -v strace >/dev/null 2>&1; then
	strace -f -qq -e trace=unlink,unlinkat -o "$T/keygen.strace" "$SO" keygen "$KD/key.pem" "$KD/cert.pem" --bits 2048 >"$OUT" 2>"$ERR"
	RC=$?
	check_cli "keygen, certificate exists: fails (exit 74), the new key is removed" \
		eval 'rc_is 74 && test ! -e "$KD/key.pem"'
	check "... through the directory's descriptor: $(grep -F key.pem "$T/keygen.strace" | head -1)" \
		eval 'grep -qE "unlinkat\([0-9]+, \"key.pem\"" "$T/keygen.strace" && ! grep -qF "\"$KD/key.pem\"" "$T/keygen.strace"'
else
	not_ok "strace is not installed (tests/install-deps.sh installs it)"
fi

tests_exit
