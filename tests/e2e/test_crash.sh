#!/bin/bash
# Crash safety of the token file and refresh-token rotation.
#
# Part 1, kill -9 during refresh (CRASH_ITER, 300, iterations). The token
# endpoint (authserver.js, HTTPS) keeps old refresh tokens valid, like
# Microsoft's; its response delay is drawn from 0-30 ms anew each iteration.
# Each iteration: the token file's expires_at is set in the past (atomic
# rewrite, every other member kept, mode 0600), one sasl_auth starts and is
# killed with SIGKILL after a random delay drawn uniformly from 0 to the
# measured duration of a whole refresh (startup, TLS, request, write; the
# fork of sleep(1) and kill(1) add a few ms), so the kills land before,
# during and after the HTTP request, during the write, and after the
# process is done. Then:
#   - the file is a regular file, mode 0600, valid JSON, with a non-empty
#     refresh_token and access_token;
#   - a process that finished before its kill printed OK and rewrote the
#     file with a new refresh token;
#   - temporary files (.alice.json.XXXXXX) left by killed writers are
#     counted and printed; they are acceptable, but must be mode 0600 (they
#     hold tokens) and must never be the token file;
#   - every CRASH_VERIFY_EVERY (20) iterations and at the end: the refresh
#     token in the file works: a sasl_auth with the file expired succeeds,
#     after exactly one token request, and rewrites the file.
# Where the kills landed is printed, from the endpoint's request counter, new
# temp files and the file: before the request, during it, during the write
# (a temp file was left), after the rename, or not at all (the process had
# finished); before, during and after (write or rename) must each have
# happened at least once.
#
# Part 2, strict rotation (each refresh token works once) with an access
# token lifetime of 300 s, inside the default 600 s refresh margin, so every
# authentication refreshes: CRASH_STRICT_N (20) sequential authentications
# all succeed with one token request each and no refusal, and the refresh
# token left in the file is still accepted: no rotated token was lost.
#
# FAULT=inplace (rewrite in place instead of rename) must fail part 1,
# FAULT=norename (the file is never rewritten) must fail part 2.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/servers.sh"
. "$HERE/../lib/plugin.sh"
. "$HERE/../lib/multiproc.sh"

ITER=${CRASH_ITER:-300}
VERIFY_EVERY=${CRASH_VERIFY_EVERY:-20}
MAX_DELAY_MS=${CRASH_MAX_DELAY_MS:-30}
STRICT_N=${CRASH_STRICT_N:-20}
T0=$EPOCHREALTIME

now_us() { echo "${EPOCHREALTIME/./}"; }

rf_setup crash
rf_start_authserver
note "authserver $RF_URL (old refresh tokens stay valid), $ITER iterations"
D="$RF_TMP/crash"
mkdir -p "$D"
TOK="$D/alice.json"
rf_seed 3600
rf_write_token_file "$TOK" "$RF_SEED_AT" $(( $(date +%s) - 60 )) "$RF_SEED_RT"
STATS="$RF_URL/admin/stats"

# field NAME LINE: a word NAME=VALUE from tokfile.js inspect's output.
field() {
	local kv
	for kv in $2; do
		[ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }
	done
}

# one_auth: a whole authentication from the (expired) file; sets A_RC, A_OUT.
one_auth() {
	A_OUT=$(timeout 60 env LD_PRELOAD="$RF_PRELOAD" OA2_FAULT="${FAULT:-}" \
		"$SASL_AUTH" "$RF_PLUGINS" XOAUTH2 "$RF_USER" "$TOK" 2>>"$D/verify.err")
	A_RC=$?
}

# --- calibration: how long does a whole refresh take? ----------------------
# Median wall time of 5 unkilled refreshes with the delay in the middle of
# its range, from just before the fork to the reaped exit.
rf_api POST /admin/config "{\"delay_ms\":$((MAX_DELAY_MS / 2))}" >/dev/null
samples=()
for _ in 1 2 3 4 5; do
	rf_tokd expire "$TOK" 60 || bail "calibration: cannot expire $TOK: $RF_TOKD_OUT"
	s=$(now_us)
	one_auth
	samples+=($(( ($(now_us) - s) / 1000 )))
	[ "$A_RC" = 0 ] || bail "calibration: a plain refresh failed: $A_OUT"
done
T_MS=$(printf '%s\n' "${samples[@]}" | sort -n | sed -n 3p)
WINDOW_MS=$(( T_MS + 1 ))
note "a whole refresh takes ${T_MS} ms (median of: ${samples[*]}); kill delays 0-${WINDOW_MS} ms"

# --- part 1: kill -9 at random points --------------------------------------
before=0 during=0 writing=0 after=0 finished=0 finish_bad=0 broken=0 unsafe=0 verified=0 verify_fail=0
rf_tokd inspect "$TOK" --stats "$STATS" --ca "$RF_CA/ca.pem" \
	--set-delay $(( RANDOM % (MAX_DELAY_MS + 1) )) --expire 60 || bail "setup: $RF_TOKD_OUT"
prev=$RF_TOKD_OUT

# verify N: the file's refresh token works (the file is expired now).
verify() {
	local r0 info
	r0=$(field requests "$prev")
	one_auth
	rf_tokd inspect "$TOK" --stats "$STATS" --ca "$RF_CA/ca.pem" --expire 60
	info=$RF_TOKD_OUT
	if [ "$A_RC" = 0 ] && [ "${A_OUT:0:3}" = "OK " ] &&
	   [ "$(field requests "$info")" = $((r0 + 1)) ] &&
	   [ "$(field rt "$info")" != "$(field rt "$prev")" ]; then
		verified=$((verified + 1))
	else
		verify_fail=$((verify_fail + 1))
		[ "$verify_fail" -gt 3 ] ||
			note "iteration $1: the refresh token in the file does not work: $A_OUT ($info)"
	fi
	prev=$info
}

for i in $(seq 1 "$ITER"); do
	kd=$(( (RANDOM * 32768 + RANDOM) % (WINDOW_MS + 1) ))
	LD_PRELOAD="$RF_PRELOAD" OA2_FAULT="${FAULT:-}" \
		"$SASL_AUTH" "$RF_PLUGINS" XOAUTH2 "$RF_USER" "$TOK" >"$D/out" 2>>"$D/killed.err" &
	pid=$!
	sleep "$(printf '%d.%03d' $((kd / 1000)) $((kd % 1000)))"
	kill -KILL "$pid" 2>/dev/null
	{ wait "$pid"; } 2>/dev/null # (no "Killed" job message)
	rc=$?
	rf_tokd inspect "$TOK" --stats "$STATS" --ca "$RF_CA/ca.pem" \
		--set-delay $(( RANDOM % (MAX_DELAY_MS + 1) )) --expire 60
	info=$RF_TOKD_OUT
	if [ "$(field valid "$info")" != 1 ]; then
		broken=$((broken + 1))
		note "iteration $i (killed after $kd ms, exit $rc): token file broken: $info"
		break
	fi
	[ "$(field tmpunsafe "$info")" = 0 ] || unsafe=$((unsafe + 1))
	dtmp=$(( $(field tmpfiles "$info") - $(field tmpfiles "$prev") ))
	dreq=$(( $(field requests "$info") - $(field requests "$prev") ))
	if [ "$(field rt "$info")" != "$(field rt "$prev")" ]; then
		changed=1
	else
		changed=0
	fi
	if [ "$rc" != 137 ]; then
		finished=$((finished + 1))
		if [ "$rc" != 0 ] || [ "$changed" = 0 ]; then
			finish_bad=$((finish_bad + 1))
			[ "$finish_bad" -gt 3 ] ||
				note "iteration $i: sasl_auth was not killed but exited $rc ($(cat "$D/out"))," \
					"refresh token changed: $changed"
		fi
	elif [ "$changed" = 1 ]; then
		after=$((after + 1))
	elif [ "$dtmp" -gt 0 ]; then
		writing=$((writing + 1))
	elif [ "$dreq" -gt 0 ]; then
		during=$((during + 1))
	else
		before=$((before + 1))
	fi
	prev=$info
	if [ $((i % VERIFY_EVERY)) = 0 ] || [ "$i" = "$ITER" ]; then
		verify "$i"
	fi
done

tmpfiles=0
for f in "$D"/.alice.json.??????; do
	[ -e "$f" ] && tmpfiles=$((tmpfiles + 1))
done
note "kills: $before before the token request, $during during it (or between it and" \
	"the write), $writing during the write (temp file left), $after after the rename;" \
	"$finished processes finished before their kill"
note "temporary files left by killed writers: $tmpfiles ($(ls -A "$D" | tr '\n' ' '))"
check "the token file stayed a regular 0600 file of valid JSON with a refresh token through $ITER kills ($i done)" \
	test "$broken" = 0
# The write (mkostemp to rename, fsync included) and the exit after it are
# short, on a fast disk far under a millisecond: hits there are counted
# together, and only as "after the request".
check "kills landed before ($before), during ($during) and after ($((writing + after))) the token request" \
	test "$before" -gt 0 -a "$during" -gt 0 -a $((writing + after)) -gt 0
check "every process that was not killed ($finished) succeeded and rewrote the file" test "$finish_bad" = 0
check "leftover temporary files ($tmpfiles) are all mode 0600 and none is the token file" \
	test "$unsafe" = 0 -a -f "$TOK" -a ! -L "$TOK"
check "the refresh token in the file worked at every check ($verified of $((verified + verify_fail)))" \
	test "$verify_fail" = 0 -a "$verified" -ge $(( ITER / VERIFY_EVERY ))
check "no token in the killed or verifying processes' log lines" \
	rf_no_secret_in "$D/killed.err" "$D/verify.err" -- "$RF_SEED_RT" "$RF_SEED_AT" \
	"$(rf_tok get "$TOK" refresh_token 2>/dev/null)" "$(rf_tok get "$TOK" access_token 2>/dev/null)"
note "part 1 took $(( ($(now_us) - ${T0/./}) / 1000 )) ms"

# --- part 2: strict rotation, every authentication refreshes ----------------
T1=$(now_us)
rf_start_authserver --strict-rotation --access-ttl 300
note "authserver $RF_URL (strict rotation, access tokens live 300 s)"
TOK="$RF_TMP/strict/alice.json"
mkdir -p "$RF_TMP/strict"
rf_seed 300
rf_write_token_file "$TOK" "$RF_SEED_AT" "$RF_SEED_EXP" "$RF_SEED_RT"
oks=0 fails=()
for i in $(seq 1 "$STRICT_N"); do
	if out=$(rf_auth XOAUTH2 "$TOK" 2>>"$RF_TMP/strict/err") && [ "${out:0:3}" = "OK " ]; then
		oks=$((oks + 1))
	else
		fails+=("$i: $out")
	fi
done
stats=$(rf_api GET /admin/stats)
req=$(jstr "$stats" token_requests)
rfail=$(jstr "$stats" refresh_failed)
check "strict rotation: $STRICT_N sequential authentications all succeeded ($oks)" test "$oks" = "$STRICT_N"
for f in "${fails[@]:0:3}"; do note "  failed $f"; done
check "strict rotation: each refreshed once, none refused (token_requests=$req, refresh_failed=$rfail)" \
	test "$req" = "$STRICT_N" -a "$rfail" = 0
info=$(rf_tok inspect "$TOK")
check "strict rotation: the file is valid, mode 0600 ($(field why "$info"))" test "$(field valid "$info")" = 1
st=$(rf_refresh_status "$(rf_tok get "$TOK" refresh_token)")
check "strict rotation: the last refresh token in the file is still accepted (status $st)" test "$st" = 200
note "part 2 took $(( ($(now_us) - T1) / 1000 )) ms; runtime $(( ($(now_us) - ${T0/./}) / 1000 )) ms"
tests_exit
