#!/bin/bash
# Benchmarks one client authentication (sasl_client_new + sasl_client_start +
# sasl_dispose) with XOAUTH2 and OAUTHBEARER against the system PLAIN plugin.
#
#  1. wall time (bench_auth timing mode): median ns/auth over rounds,
#     target: median <= BENCH_TIME_TARGET (1.5) x PLAIN;
#  2. instructions (valgrind --tool=callgrind on bench_auth --mech M) at two
#     iteration counts; (Ir(N2) - Ir(N1)) / (N2 - N1) cancels startup costs
#     (dynamic loading, sasl_client_init, plugin init),
#     target: <= BENCH_IR_TARGET (2.0) x PLAIN.
#
# Exit status: 0 all targets met, 1 a target missed or a run failed,
# 77 the plugin is not built (PLAIN's figures are still printed).
#
# Environment: BUILDDIR (as in tests/lib/tree.sh), BENCH_ROUNDS (15),
# BENCH_ITERATIONS (5000 per round), BENCH_CG_N1/BENCH_CG_N2 (200/1200),
# BENCH_TOKEN_LEN (bytes of the fake access token, 1200: about a Microsoft
# JWT), BENCH_PROFILE=1 (print callgrind_annotate hot spots for every
# mechanism, not only when a target fails), BENCH_KEEP=1 (keep the work
# directory with the callgrind outputs).
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../lib/tree.sh"

ROUNDS=${BENCH_ROUNDS:-15}
ITERATIONS=${BENCH_ITERATIONS:-5000}
N1=${BENCH_CG_N1:-200}
N2=${BENCH_CG_N2:-1200}
TOKEN_LEN=${BENCH_TOKEN_LEN:-1200}
TIME_TARGET=${BENCH_TIME_TARGET:-1.5}
IR_TARGET=${BENCH_IR_TARGET:-2.0}
MECHS=(PLAIN XOAUTH2 OAUTHBEARER)

die() { echo "run-bench: $*" >&2; exit 1; }

# --- the benchmark program ---------------------------------------------------
BENCH="$BUILDDIR/tests/bench/bench_auth"
if [ -f "$BUILDDIR/Makefile" ]; then
	make -s -C "$BUILDDIR" tests/bench/bench_auth >/dev/null ||
		die "cannot build tests/bench/bench_auth (make tests/bench/bench_auth)"
fi
[ -x "$BENCH" ] || die "$BENCH is missing: run ./configure && make tests/bench/bench_auth"
RUN=("$BENCH")
# A libtool wrapper script would put valgrind on /bin/sh, not on the program.
if [ "$(head -c 2 "$BENCH")" = "#!" ]; then
	RUN=("$BUILDDIR/libtool" --mode=execute "$BENCH")
fi

# --- plugin directory and token file -------------------------------------------
WORK=$(mktemp_dir bench)
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "run-bench: kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT

PLUGINS="$WORK/plugins"
have_plugin=1
if [ -f "$PLUGIN_SO" ]; then
	make_plugin_dir "$PLUGINS"
else
	have_plugin=0
	mkdir -p "$PLUGINS"
	ln -sf "$SYS_SASL_PLUGINDIR/libplain.so" "$PLUGINS/libplain.so"
	MECHS=(PLAIN)
	echo "skip - XOAUTH2/OAUTHBEARER: $PLUGIN_SO is not built; PLAIN baseline only"
fi

USER_NAME="alice@example.com"
# A token of TOKEN_LEN URL-safe characters, fresh for every run.
TOKEN=$(head -c $((TOKEN_LEN * 2)) /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=' |
	head -c "$TOKEN_LEN")
[ ${#TOKEN} -eq "$TOKEN_LEN" ] || die "cannot make a $TOKEN_LEN-byte token"
TOKEN_FILE="$WORK/token.json"
(
	umask 077
	printf '{"access_token":"%s","user":"%s","expires_at":%d}\n' \
		"$TOKEN" "$USER_NAME" $(( $(date +%s) + 3600 )) >"$TOKEN_FILE"
)
chmod 600 "$TOKEN_FILE"

COMMON=(--plugin-dir "$PLUGINS" --token-file "$TOKEN_FILE" --user "$USER_NAME"
	--expect-token "$TOKEN")
failed=0

# --- 1. wall time ----------------------------------------------------------------
echo "== wall time: $ROUNDS rounds x $ITERATIONS authentications per mechanism =="
mechs_csv=$(IFS=,; echo "${MECHS[*]}")
"${RUN[@]}" "${COMMON[@]}" --mechs "$mechs_csv" --rounds "$ROUNDS" \
	--iterations "$ITERATIONS" --target "$TIME_TARGET" >"$WORK/timing.txt" 2>"$WORK/timing.err"
rc=$?
cat "$WORK/timing.txt"
[ -s "$WORK/timing.err" ] && sed 's/^/  stderr: /' "$WORK/timing.err"
case $rc in
0) ;;
1) failed=1 ;;
*) echo "FAIL: bench_auth timing run exited with $rc"; failed=1 ;;
esac

# --- 2. instructions per authentication (callgrind) --------------------------
command -v valgrind >/dev/null || die "valgrind is not installed (Debian package valgrind)"
[ "$N2" -gt "$N1" ] || die "BENCH_CG_N2 ($N2) must exceed BENCH_CG_N1 ($N1)"

# total_ir FILE: the Ir total of a callgrind output file.
total_ir() {
	awk '/^(summary|totals):/ { print $2; exit }' "$1"
}

echo
echo "== instructions per authentication: callgrind, ($N2 - $N1) iterations =="
declare -A IR
for m in "${MECHS[@]}"; do
	for n in "$N1" "$N2"; do
		out="$WORK/callgrind.$m.$n.out"
		if ! valgrind --tool=callgrind --callgrind-out-file="$out" \
			"${RUN[@]}" "${COMMON[@]}" --mech "$m" --iterations "$n" \
			>"$WORK/cg.$m.$n.log" 2>&1; then
			echo "FAIL: callgrind run of $m x $n failed:"
			sed 's/^/  /' "$WORK/cg.$m.$n.log" | grep -v '^  ==[0-9]*==' | tail -5
			failed=1
			continue 2
		fi
	done
	i1=$(total_ir "$WORK/callgrind.$m.$N1.out")
	i2=$(total_ir "$WORK/callgrind.$m.$N2.out")
	if [ -z "$i1" ] || [ -z "$i2" ]; then
		echo "FAIL: no totals in callgrind output for $m"
		failed=1
		continue
	fi
	IR[$m]=$(( (i2 - i1) / (N2 - N1) ))
done

printf '%-12s %16s %14s %10s\n' mechanism "instr/auth" "vs PLAIN" result
ir_failed=0
for m in "${MECHS[@]}"; do
	[ -n "${IR[$m]:-}" ] || { printf '%-12s %16s\n' "$m" "(failed)"; continue; }
	if [ -z "${IR[PLAIN]:-}" ]; then
		printf '%-12s %16d\n' "$m" "${IR[$m]}"
		continue
	fi
	ratio=$(awk -v a="${IR[$m]}" -v b="${IR[PLAIN]}" 'BEGIN { printf "%.2f", a / b }')
	if [ "$m" = PLAIN ]; then
		res=baseline
	elif awk -v r="$ratio" -v t="$IR_TARGET" 'BEGIN { exit !(r <= t) }'; then
		res=PASS
	else
		res=FAIL
		ir_failed=1
	fi
	printf '%-12s %16d %13sx %10s\n' "$m" "${IR[$m]}" "$ratio" "$res"
done
if [ "${#MECHS[@]}" -gt 1 ]; then
	if [ "$ir_failed" = 0 ] && [ -n "${IR[XOAUTH2]:-}" ] && [ -n "${IR[OAUTHBEARER]:-}" ]; then
		echo "PASS: instruction target <= ${IR_TARGET}x PLAIN"
	else
		echo "FAIL: instruction target <= ${IR_TARGET}x PLAIN"
		failed=1
	fi
fi

# --- where the instructions go ------------------------------------------------------
# Per-authentication costs from the N1/N2 difference (startup cancels out):
# always a table by shared object; per function for XOAUTH2/OAUTHBEARER when
# a target failed or BENCH_PROFILE=1.
annotate() { # annotate OUTFILE yes|no
	callgrind_annotate --auto=no --threshold=100 --inclusive="$2" "$1" 2>/dev/null
}
profile() { # profile MECH self|incl [awk args...]
	local m=$1 mode=$2; shift 2
	local incl=no; [ "$mode" = incl ] && incl=yes
	awk -v div=$((N2 - N1)) -v mode="$mode" "$@" -f "$HERE/cg-profile.awk" \
		<(annotate "$WORK/callgrind.$m.$N1.out" "$incl") \
		<(annotate "$WORK/callgrind.$m.$N2.out" "$incl")
}
if command -v callgrind_annotate >/dev/null; then
	echo
	echo "== instructions per authentication by shared object (self cost) =="
	prof_mechs=()
	obj_files=()
	for m in "${MECHS[@]}"; do
		[ -n "${IR[$m]:-}" ] || continue
		profile "$m" self | awk '$1 == "O" { print $3, $2 }' >"$WORK/objects.$m"
		prof_mechs+=("$m")
		obj_files+=("objects.$m")
	done
	if [ "${#prof_mechs[@]}" -gt 0 ]; then
		( cd "$WORK" && awk -v mechs="${prof_mechs[*]}" '
			BEGIN { n = split(mechs, M, " ") }
			{ split(FILENAME, p, "objects."); v[$1, p[2]] = $2; o[$1] = 1;
			  sum[$1] += $2 }
			END {
				printf "%-24s", "object"
				for (i = 1; i <= n; i++) printf " %12s", M[i]
				printf "\n"
				for (ob in o) {
					printf "%-24s", ob
					for (i = 1; i <= n; i++) printf " %12d", v[ob, M[i]]
					printf "\n"
				}
			}' "${obj_files[@]}" | { read -r h; echo "$h"; sort -k2,2nr; } )
	fi
	if [ "$failed" = 1 ] || [ "${BENCH_PROFILE:-0}" = 1 ]; then
		syms="$WORK/plugin-symbols"
		nm --defined-only "$PLUGIN_SO" 2>/dev/null | awk '{ print $3 }' | sort -u >"$syms"
		for m in "${MECHS[@]}"; do
			[ "$m" = PLAIN ] && [ "${BENCH_PROFILE:-0}" != 1 ] && continue
			[ -n "${IR[$m]:-}" ] || continue
			echo
			echo "== $m: top functions by self cost, instructions per authentication =="
			profile "$m" self | awk '$1 == "F" { $1 = ""; print }' | sort -k1,1nr |
				head -15 | awk '{ printf "%10d  %s %s\n", $1, $2, $3 }'
			if [ "$m" != PLAIN ]; then
				echo "-- $m: the plugin's functions, inclusive cost per authentication --"
				profile "$m" incl -v symbols="$syms" | awk '$1 == "F" { $1 = ""; print }' |
					sort -k1,1nr | head -15 | awk '{ printf "%10d  %s\n", $1, $2 }'
			fi
		done
	fi
fi

# --- summary ------------------------------------------------------------------------
echo
if [ "$have_plugin" = 0 ]; then
	echo "SKIP: the plugin is not built; only the PLAIN baseline was measured"
	exit 77
fi
if [ "$failed" = 0 ]; then
	echo "RESULT: PASS (time <= ${TIME_TARGET}x PLAIN, instructions <= ${IR_TARGET}x PLAIN)"
	exit 0
fi
echo "RESULT: FAIL"
exit 1
