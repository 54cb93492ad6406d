#!/bin/bash
# docs/postfix.md, "Know when it breaks": the guide's notify_mail line is
# accepted as written, and its alert rule names the metrics, labels and
# states that node_exporter really serves; and behind it:
# watch --metrics-file / status --metrics-file (issue 19) read by Debian's
# real prometheus-node-exporter (textfile collector, loopback, other
# collectors off): the test scrapes /metrics and checks the values for a
# fresh, a failing (HTTP 503) and a refused (revoked grant) account of
# Postfix's, written by watch --for postfix under no_new_privs as the
# systemd unit runs it; the mailbox label only with metrics_user_label =
# yes; no token anywhere; the file is never seen half-written. And the
# shipped unit: systemd-analyze verify, and its sandbox lets watch reach
# sendmail's maildrop and the textfile directory.
set -u
. "$(dirname "$0")/../lib/cli.sh"
. "$(dirname "$0")/../lib/docs.sh"

GUIDE=postfix.md
cli_setup docs-monitoring
T=$E2E_TMP
NE=$(command -v prometheus-node-exporter || true)
[ -n "$NE" ] || bail "setup: prometheus-node-exporter is not installed (tests/install-deps.sh)"
[ "$(id -u)" = 0 ] && id postfix >/dev/null 2>&1 || bail "setup: needs root and a postfix user"
CLI=$(for_user postfix "$SO" "$T")
chmod 755 "$T"
BAD_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$T/badtoken.log" "$NODE" "$E2E_DIR/badtoken.js" "$BAD_PORT" --tls-dir "$CA_DIR"
wait_port "$BAD_PORT" 10 || bail "setup: badtoken.js did not start"

# refresh_margin 86400: every pass renews; failing is announced at once.
write_refresh_conf "chroot_dir = $T/chroot
refresh_margin = 86400
notify_failing_after = 0"
chmod 644 "$SASL_OAUTH2_CONF"
D="$T/chroot/etc/sasl-oauth2"
mkdir -p "$D"
seed_token_file "$D/fresh.json" fresh@example.com 3600
seed_token_file "$D/failing.json" failing@example.com 3600 "https://127.0.0.1:$BAD_PORT/503"
seed_token_file "$D/refused.json" refused@example.com 3600
auth_admin POST /admin/revoke "{\"refresh_token\":\"$(json_field "$D/refused.json" refresh_token)\"}" >/dev/null
chown -R postfix "$T/chroot/etc"
chmod 700 "$D"
TF="$T/textfile"
mkdir -p "$TF"
chown postfix "$TF"
PROM="$TF/sasl-oauth2.prom"

now=$(date +%s)
timeout 60 setpriv --no-new-privs "$CLI" watch --for postfix --once --stderr --metrics-file "$PROM" \
	>"$T/watch.out" 2>"$T/watch.err"
check "watch --for postfix --once --metrics-file wrote the file (mode 644, owner postfix)" \
	test "$(stat -c '%a %U' "$PROM" 2>/dev/null)" = "644 postfix"

NE_PORT=$(free_port) || bail "setup: no free port"
e2e_bg "$T/node_exporter.log" "$NE" --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$TF" --web.listen-address="127.0.0.1:$NE_PORT"
wait_port "$NE_PORT" 15 || { show_log "$T/node_exporter.log" node_exporter; bail "setup: node_exporter did not start"; }
scrape() { curl -sS --max-time 10 "http://127.0.0.1:$NE_PORT/metrics" >"$T/$1.scrape"; }
# value SCRAPE METRIC{LABELS}: the sample's value ("" when absent); node_exporter
# sorts the labels by name
value() { awk -v m="$2" 'index($0, m " ") == 1 { print $2; exit }' "$T/$1.scrape"; }
num_between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v + 0 >= lo && v + 0 <= hi) }'; }

scrape s1
check "node_exporter read the file without error" test "$(value s1 node_textfile_scrape_error)" = 0
check "state: fresh ok, failing failing, refused reauth" test \
	"$(value s1 'sasl_oauth2_state{account="fresh",state="ok"}') $(value s1 'sasl_oauth2_state{account="failing",state="failing"}') $(value s1 'sasl_oauth2_state{account="refused",state="reauth"}')" = "1 1 1"
check "state: one state per account (fresh is not failing)" \
	test "$(value s1 'sasl_oauth2_state{account="fresh",state="failing"}')" = 0
check "consecutive failures: fresh 0, failing 1, refused 1" test \
	"$(value s1 'sasl_oauth2_consecutive_failures{account="fresh"}') $(value s1 'sasl_oauth2_consecutive_failures{account="failing"}') $(value s1 'sasl_oauth2_consecutive_failures{account="refused"}')" = "0 1 1"
v=$(value s1 'sasl_oauth2_access_token_expiry_timestamp_seconds{account="fresh"}')
check "fresh: the renewed token's expiry (now + 3600, got $v)" num_between "$v" $((now + 3500)) $((now + 3700))
v=$(value s1 'sasl_oauth2_last_renewal_timestamp_seconds{account="fresh"}')
check "fresh: last renewal just now (got $v)" num_between "$v" $((now - 5)) $((now + 60))
check "failing, refused: no successful renewal to report" test \
	-z "$(value s1 'sasl_oauth2_last_renewal_timestamp_seconds{account="refused"}')$(value s1 'sasl_oauth2_last_renewal_timestamp_seconds{account="failing"}')"
check "refused: at risk now (0 s)" test "$(value s1 'sasl_oauth2_credential_at_risk_seconds{account="refused"}')" = 0
check "no mailbox label by default" bash -c '! grep -q "user=" "$1"' _ "$T/s1.scrape"
leak=0
for f in "$D"/*.json; do
	for k in access_token refresh_token; do
		tok=$(json_field "$f" "$k")
		[ -n "$tok" ] && grep -qF -- "$tok" "$T/s1.scrape" "$PROM" && leak=1
	done
done
check "no token in the metrics" test "$leak" = 0

# the mailbox as a label only when asked
sed 's/^notify_failing_after.*/&\nmetrics_user_label = yes/' "$SASL_OAUTH2_CONF" >"$T/label.conf"
chmod 644 "$T/label.conf"
SASL_OAUTH2_CONF="$T/label.conf" runuser -u postfix -- "$CLI" status --for postfix --metrics-file "$PROM" 2>"$T/label.err"
scrape s2
check "metrics_user_label = yes: the mailbox is a label" \
	grep -qF 'sasl_oauth2_state{account="fresh",state="ok",user="fresh@example.com"} 1' "$T/s2.scrape"
check "status --metrics reads, never renews: fresh's failures still 0, refused still reauth" test \
	"$(value s2 'sasl_oauth2_consecutive_failures{account="fresh",user="fresh@example.com"}') $(value s2 'sasl_oauth2_state{account="refused",state="reauth",user="refused@example.com"}')" = "0 1"
runuser -u postfix -- "$CLI" status --for postfix --metrics >"$T/stdout.prom" 2>"$T/stdout.err"
check "status --metrics prints the same format on stdout" \
	grep -q '^sasl_oauth2_state{account="refused",state="reauth"} 1$' "$T/stdout.prom"

# never half-written: writers replace the file while a reader and scrapes read it
(
	for i in $(seq 1 60); do
		runuser -u postfix -- "$CLI" status --for postfix --metrics-file "$PROM" 2>>"$T/loop.err"
	done
	echo done >"$T/writers.done"
) &
E2E_PIDS+=("$!")
reads=0 bad=0 scrapes=0 scrape_err=0
while [ ! -e "$T/writers.done" ]; do
	c=$(cat "$PROM")
	reads=$((reads + 1))
	case "$c" in
	"# HELP "*"# end of sasl-oauth2 metrics") ;;
	*) bad=$((bad + 1)) ;;
	esac
	if [ $((reads % 10)) = 0 ]; then
		scrape loop
		scrapes=$((scrapes + 1))
		[ "$(value loop node_textfile_scrape_error)" = 0 ] || scrape_err=$((scrape_err + 1))
	fi
done
check "never half-written: $reads reads while 60 writers replaced it, $bad incomplete" \
	test "$reads" -gt 10 -a "$bad" = 0
check "never half-written: $scrapes scrapes meanwhile, $scrape_err with a textfile error" \
	test "$scrapes" -gt 0 -a "$scrape_err" = 0
check "no temporary file left behind" test "$(ls -A "$TF")" = sasl-oauth2.prom

# --- the guide ---------------------------------------------------------------------
guide_config "$T/guide-notify.conf" "$GUIDE" postfix-notify-conf
cat "$SASL_OAUTH2_CONF" "$T/guide-notify.conf" >"$T/notify.conf"
"$SO" -c "$T/notify.conf" status --metrics >/dev/null 2>"$T/guide-notify.err"
check "guide: its notify_mail line is a valid configuration ($(head -c 200 "$T/guide-notify.err"))" \
	test ! -s "$T/guide-notify.err"
check "guide: it mails root" grep -qx 'notify_mail = root' "$T/guide-notify.conf"
guide_config "$T/alerts.yml" "$GUIDE" postfix-alert-rule
# every metric, label and state the rule names must be in the real scrape
python3 - "$T/alerts.yml" "$T/s1.scrape" >"$T/alerts.check" 2>&1 <<'PY'
import re, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
scrape = open(sys.argv[2]).read()
bad = 0
exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
assert exprs, "no rules"
for e in exprs:
    for name, labels in re.findall(r'([a-z_][a-z0-9_]*)(?:\{([^}]*)\})?\s*(?:==|<|>|or|$|\))', e):
        if name in ("or", "and", "time"):
            continue
        if not re.search(r'^' + name + r'[{ ]', scrape, re.M):
            print("no metric", name); bad += 1
        for k, op, v in re.findall(r'(\w+)\s*(=~|=)\s*"([^"]*)"', labels or ""):
            pat = (k + '="' + v + '"') if op == "=" else None
            if pat and pat not in scrape:
                print("no sample", name, pat); bad += 1
print("checked", len(exprs), "rules")
sys.exit(bad)
PY
check "guide: the alert rules parse and name only metrics, labels and states node_exporter serves ($(tr '\n' ' ' <"$T/alerts.check"))" \
	grep -q "^checked 3 rules" "$T/alerts.check"
check "guide: no problem in the alert rules" bash -c '! grep -q "^no " "$1"' _ "$T/alerts.check"

# --- the shipped unit ----------------------------------------------------------
UNIT="$T/sasl-oauth2-watch.service"
sed "s|@bindir@|$(dirname "$SO")|" "$SRCDIR/systemd/sasl-oauth2-watch.service.in" >"$UNIT"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify --man=no "$UNIT" >"$T/verify.out" 2>&1
	check "unit: systemd-analyze verify passes" \
		bash -c '! grep -v -e "Failed to connect to bus" -e "^$" "$1" | grep -q .' _ "$T/verify.out"
	grep -q . "$T/verify.out" && sed 's/^/#   /' "$T/verify.out" | head -n 10
fi
rw=$(sed -n 's/^ReadWritePaths=//p' "$UNIT" | tr ' ' '\n')
check "unit: sendmail's maildrop is writable in the sandbox (postdrop runs as postfix under NoNewPrivileges)" \
	grep -qx -- '-\?/var/spool/postfix/maildrop' <<<"$rw"
check "unit: node_exporter's textfile directory is writable in the sandbox" \
	grep -qx -- '-\?/var/lib/prometheus/node-exporter' <<<"$rw"
check "unit: NoNewPrivileges=yes, as test_notify.sh runs sendmail" grep -qx 'NoNewPrivileges=yes' "$UNIT"
check "unit: no PrivateNetwork/IPAddressDeny that would cut off the token endpoint" \
	bash -c '! grep -qE "^(PrivateNetwork=yes|IPAddressDeny=)" "$1"' _ "$UNIT"

tests_exit
