#!/bin/bash
# sasl-oauth2 authorize --flow device (RFC 8628) against a real OpenID
# Connect server (tests/e2e/oidcserver.js, oidc-provider 9), the user played
# by headless Chromium (tests/e2e/browser.js device ...). The server
# advertises interval 1 s (fast tests), records every poll (/admin/device-polls)
# and answers slow_down when asked to (see oidcserver.js).
. "$(dirname "$0")/../lib/authorize.sh"

authorize_setup authorize-device --device-interval 1
CODE_RE='[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}'

# start_device NAME ARGS...: the CLI in the background; sets CPID, UCODE, VURI
# (parsed from its stdout/stderr), T_START.
start_device() {
	local name=$1; shift
	UCODE= VURI=
	T_START=$(date +%s)
	timeout 150 "$CLI" authorize "$name" --provider oidc --flow device "$@" \
		</dev/null >"$T/$name.out" 2>"$T/$name.err" &
	CPID=$!; E2E_PIDS+=("$CPID")
	if ! wait_for 20 grep -qE "$CODE_RE" "$T/$name.out" "$T/$name.err"; then
		not_ok "device/$name: the CLI printed a user code"
		show_cli "$name"
		return 1
	fi
	sleep 0.3 # the rest of the message
	UCODE=$(grep -ohE "$CODE_RE" "$T/$name.out" "$T/$name.err" | head -n 1)
	VURI=$(grep -ohE "$OIDC_URL/device[^[:space:]\"'<>)]*" "$T/$name.out" "$T/$name.err" | head -n 1)
}
# finish_device NAME: waits for the CLI; RC, SECS, T_END.
finish_device() {
	wait "$CPID"; RC=$?
	T_END=$(date +%s)
	SECS=$((T_END - T_START))
}
approve() { # approve NAME LOGIN [browser.js options]
	local name=$1 user=$2; shift 2
	"$NODE" "$E2E_DIR/browser.js" device "$VURI" "$UCODE" --user "$user" --timeout 40 "$@" \
		>"$T/$name.browser" 2>&1
}
polls() { oidc_admin GET /admin/device-polls; }
# polls_ok JS: evaluates JS with p = the polls array, r = their results.
polls_ok() {
	"$NODE" -e 'const p = JSON.parse(process.argv[1]); const r = p.map((x) => x.result);
		process.exit(eval(process.argv[2]) ? 0 : 1)' "$(polls)" "$1"
}

# ---- 1. approval after a few authorization_pending polls
oidc_admin POST /admin/reset-stats >/dev/null
if start_device dev; then
	check "device: user code printed ($UCODE)" test -n "$UCODE"
	check "device: verification URI printed ($VURI)" test -n "$VURI"
	check "device: the verification URI is the server's ($OIDC_URL/device)" \
		bash -c '[[ $1 == "$2" || $1 == "$2?"* ]]' _ "$VURI" "$OIDC_URL/device"
	sleep 3.5
	approve dev bob@example.com
	check "device: browser.js approved the code" grep -q 'Sign-in Success' "$T/dev.browser"
	t_ok=$(date +%s)
	finish_device
	check "device: exit 0" test "$RC" = 0
	[ "$RC" = 0 ] || { show_cli dev; show_log "$T/dev.browser" browser.js; }
	check "device: the CLI finished within 4 s of the approval ($((T_END - t_ok)) s)" test $((T_END - t_ok)) -le 4
	check_token_file device "$STATE/dev.json" bob@example.com test-public
	check_no_secret_output dev "$STATE/dev.json" device
	check "device: it polled while pending (>= 2 authorization_pending), then got the tokens" \
		polls_ok 'r.filter((x) => x === "authorization_pending").length >= 2 && r[r.length - 1] === "ok"'
	check "device: no slow_down: it kept the 1 s interval (gaps: $(polls_ok 'console.log(p.map((x) => x.gap_ms).join(" ")) || 1' ))" \
		polls_ok '!r.includes("slow_down") && p.every((x) => x.gap_ms === null || x.gap_ms >= 750)'
	# A rate, not a count: how long the browser takes to approve is not ours.
	check "device: it did not poll faster than the interval on average (>= 950 ms per poll)" \
		polls_ok 'p.length >= 2 && p.slice(1).reduce((a, x) => a + x.gap_ms, 0) / (p.length - 1) >= 950'
fi

# ---- 2. slow_down: the first poll is answered slow_down; the client must add
# 5 s to its interval, for that and every later poll
oidc_admin POST /admin/reset-stats >/dev/null
oidc_admin POST /admin/config '{"slow_down_first":true}' >/dev/null
if start_device slow; then
	sleep 9 # polls at ~1 s (slow_down), ~7 s (pending), ~13 s (ok)
	approve slow carol@example.com
	finish_device
	check "device/slow_down: exit 0 (took ${SECS}s)" test "$RC" = 0
	[ "$RC" = 0 ] || show_cli slow
	check "device/slow_down: the server sent slow_down once" polls_ok 'r[0] === "slow_down" && r.filter((x) => x === "slow_down").length === 1'
	check "device/slow_down: the next poll came >= 6 s later (1 + 5; gaps: $(polls_ok 'console.log(p.map((x) => x.gap_ms).join(" ")) || 1'))" \
		polls_ok 'p.length >= 2 && p[1].gap_ms >= 5750'
	check "device/slow_down: later polls kept the longer interval" \
		polls_ok 'p.length >= 3 && p.slice(2).every((x) => x.gap_ms >= 5750)'
	check "device/slow_down: token file for carol@example.com" test "$(json_field "$STATE/slow.json" user)" = carol@example.com
fi
oidc_admin POST /admin/config '{"slow_down_first":false}' >/dev/null

# ---- 3. the user aborts on the code confirmation page
oidc_admin POST /admin/reset-stats >/dev/null
if start_device deny; then
	sleep 1
	approve deny bob@example.com --deny
	t_deny=$(date +%s)
	finish_device
	check "device/denied at confirmation: non-zero exit (got $RC)" test "$RC" != 0
	check "device/denied at confirmation: stopped within 4 s ($((T_END - t_deny)) s)" test $((T_END - t_deny)) -le 4
	check "device/denied at confirmation: no token file" test ! -e "$STATE/deny.json"
	check "device/denied at confirmation: the error says access_denied" grep -qiE 'access_denied|denied' "$T/deny.err"
	check "device/denied at confirmation: no poll after access_denied" polls_ok 'r[r.length - 1] === "access_denied"'
	note "device/denied: CLI said: $(redact "$T/deny.err" | tail -n 1 | cut -c1-400)"
fi

# ---- 3b. Microsoft answers a refused device sign-in with
# authorization_declined (its device-code documentation), not RFC 8628's
# access_denied: the server here renames its answer the same way
oidc_admin POST /admin/reset-stats >/dev/null
oidc_admin POST /admin/config '{"denied_error":"authorization_declined"}' >/dev/null
if start_device declined; then
	sleep 1
	approve declined bob@example.com --deny
	t_deny=$(date +%s)
	finish_device
	check "device/authorization_declined: exit 69 like access_denied (got $RC) within 4 s ($((T_END - t_deny)) s)" \
		test "$RC" = 69 -a $((T_END - t_deny)) -le 4
	check "device/authorization_declined: the error says the user declined the sign-in" \
		grep -q 'the user declined the sign-in (authorization_declined' "$T/declined.err"
	check "device/authorization_declined: no token file" test ! -e "$STATE/declined.json"
	check "device/authorization_declined: no poll after it" polls_ok 'r[r.length - 1] === "authorization_declined"'
	note "device/authorization_declined: CLI said: $(redact "$T/declined.err" | tail -n 1 | cut -c1-400)"
fi
oidc_admin POST /admin/config '{"denied_error":""}' >/dev/null

# ---- 4. the user cancels on the consent page (after signing in)
if start_device deny2; then
	approve deny2 bob@example.com --deny-at consent
	finish_device
	check "device/denied at consent: non-zero exit (got $RC)" test "$RC" != 0
	check "device/denied at consent: no token file" test ! -e "$STATE/deny2.json"
	check "device/denied at consent: the error says access_denied" grep -qiE 'access_denied|denied' "$T/deny2.err"
fi

# ---- 5. nobody approves and the device code expires (expired_token)
oidc_admin POST /admin/config '{"device_code_ttl":4}' >/dev/null
if start_device expire; then
	finish_device
	check "device/expired: non-zero exit (got $RC) within 20 s (took ${SECS}s)" test "$RC" != 0 -a "$SECS" -le 20
	check "device/expired: no token file" test ! -e "$STATE/expire.json"
	check "device/expired: the error says the code expired" grep -qiE 'expired' "$T/expire.err"
	note "device/expired: CLI said: $(redact "$T/expire.err" | tail -n 1 | cut -c1-400)"
fi
oidc_admin POST /admin/config '{"device_code_ttl":600}' >/dev/null

# ---- 6. --timeout stops waiting
if start_device late --timeout 4; then
	finish_device
	check "device --timeout 4: non-zero exit (got $RC) within 15 s (took ${SECS}s)" test "$RC" != 0 -a "$SECS" -le 15
	check "device --timeout: no token file" test ! -e "$STATE/late.json"
fi

# ---- 7. confidential client with --client-secret-file
secret_file="$T/client-secret"
( umask 077; printf '%s\n' "$OIDC_CONFIDENTIAL_SECRET" >"$secret_file" )
if start_device conf --client-id test-confidential --client-secret-file "$secret_file"; then
	approve conf dave@example.com
	finish_device
	check "device/confidential: exit 0" test "$RC" = 0
	[ "$RC" = 0 ] || show_cli conf
	check_token_file device/confidential "$STATE/conf.json" dave@example.com test-confidential
fi

tests_exit
