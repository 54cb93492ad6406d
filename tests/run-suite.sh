#!/bin/bash
# Runs the test suite against an already built tree and prints, as its last
# line, "N passed, N failed, N skipped". Exits non-zero when anything failed.
#
#   BUILDDIR=build tests/run-suite.sh [--unit-only] [GROUP...]
#
# Groups: unit fuzz valgrind sanitizers e2e cli docs debian distcheck (default: all; with
# --unit-only: unit fuzz). Each group prints "ok - ..." / "not ok - ..." /
# "skip - ..." lines. Under CI=true a skip counts as a failure.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
SRCDIR=${SRCDIR:-$(dirname "$HERE")}
BUILDDIR=${BUILDDIR:-$SRCDIR}
BUILDDIR=$(cd "$BUILDDIR" && pwd)
export SRCDIR BUILDDIR
. "$HERE/lib/tree.sh"

groups=()
for a in "$@"; do
	case $a in
	--unit-only) groups=(unit fuzz) ;;
	*) groups+=("$a") ;;
	esac
done
[ ${#groups[@]} -gt 0 ] || groups=(unit fuzz valgrind sanitizers e2e cli docs debian distcheck)

passed=0 failed=0 skipped=0
LOGDIR="$BUILDDIR/test-logs"
mkdir -p "$LOGDIR"
FAILURES="$LOGDIR/failures.txt"
: >"$FAILURES"

# run_group NAME COMMAND...: runs a group, echoes its lines, counts them. A
# group that exits non-zero without reporting a failure counts as one.
run_group() {
	local name=$1; shift
	local log="$LOGDIR/$name.log" rc p f s start=$SECONDS
	echo "=== $name"
	( "$@" ) >"$log" 2>&1 &
	local pid=$!
	# A hung group must not hang CI: stop it after 15 minutes.
	( trap 'kill $s 2>/dev/null; exit 0' TERM
	  sleep 900 & s=$!; wait $s; kill -TERM "$pid" ) >/dev/null 2>&1 &
	local watchdog=$!
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
	grep -E '^(ok|not ok|skip) - |^#' "$log" | sed "s/^/[$name] /"
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	s=$(grep -c '^skip - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		{ echo "[$name] not ok - $name exited with status $rc (log: $log)"
		  tail -n 20 "$log" | sed "s/^/[$name]   /"; } | tee -a "$FAILURES"
		f=1
	fi
	# Keep each failure and the diagnostics under it for the summary at the
	# end: a long CI log is often cut, and the end is what gets read.
	awk -v g="$name" 'BEGIN{n=-1} /^not ok - /{n=0; print "[" g "] " $0; next}
		/^#/ && n >= 0 && n < 15 {n++; print "[" g "]   " $0; next}
		{n=-1}' "$log" >>"$FAILURES"
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	echo "=== $name: $p passed, $f failed, $s skipped in $((SECONDS - start)) s"
}

group_unit() {
	local t h=0; t=$(mktemp_dir unit)
	# the shell tests' one helper library (tests/lib/)
	bash "$SRCDIR/tests/unit/test_helpers.sh" || h=1
	make_plugin_dir "$t/plugins"
	mkdir -p "$t/tmp"
	"$BUILDDIR/tests/unit/test_lib" || return 1
	mkdir -p "$t/grant"
	"$BUILDDIR/tests/unit/test_grant" "$t/grant" || return 1
	"$BUILDDIR/tests/unit/test_plugin" "$t/plugins" "$t/tmp" || return 1
	bash "$SRCDIR/tests/unit/check_layers.sh" "$SRCDIR" || h=1
	bash "$SRCDIR/tests/unit/plugin_contents.sh" "$BUILDDIR" || h=1
	return $h
}

group_fuzz() {
	local target dir
	for target in token_file server_error token_response sa_key; do
		dir="$SRCDIR/tests/fuzz/corpus/$target"
		check "fuzz_$target runs its seed corpus ($(ls "$dir" | wc -l) inputs) cleanly" \
			"$BUILDDIR/tests/fuzz/fuzz_$target" "$dir"/*
	done
}

# valgrind memcheck over the libsasl2-driven tests: any error or leak of ours
# fails. libsasl2 keeps some allocations until exit ("still reachable");
# those are not ours and not counted.
group_valgrind() {
	local t vg
	t=$(mktemp_dir valgrind)
	make_plugin_dir "$t/plugins"
	mkdir -p "$t/tmp"
	vg=(valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	    --errors-for-leak-kinds=definite,indirect --track-origins=yes)
	# The inner tests' own lines go to files: the unit group counts them.
	check "valgrind: test_lib has no memory errors or leaks" \
		sh -c "${vg[*]} --log-file='$t/lib.vg' '$BUILDDIR/tests/unit/test_lib' > '$t/lib.out'"
	mkdir -p "$t/grant"
	check "valgrind: test_grant (signing, credential files) has no memory errors or leaks" \
		sh -c "${vg[*]} --log-file='$t/grant.vg' '$BUILDDIR/tests/unit/test_grant' '$t/grant' \
			> '$t/grant.out'"
	check "valgrind: test_plugin (plugin inside libsasl2) has no memory errors or leaks" \
		sh -c "${vg[*]} --log-file='$t/plugin.vg.%p' '$BUILDDIR/tests/unit/test_plugin' \
			'$t/plugins' '$t/tmp' > '$t/plugin.out'"
	grep -h '^not ok' "$t"/*.out | sed 's/^/# under valgrind: /'
	local f
	for f in "$t"/*.vg*; do
		[ -s "$f" ] && { echo "# $f:"; sed 's/^/#   /' "$f"; }
	done
	return 0
}

# A second build with ASan + UBSan, running the same unit tests.
group_sanitizers() {
	local b="$SRCDIR/build-san" t
	mkdir -p "$b"
	( cd "$b" && { [ -f Makefile ] || "$SRCDIR/configure" --enable-sanitizers --enable-werror -q; } &&
	  make -s -j2 >/dev/null && make -s -j2 check-programs >/dev/null ) || {
		not_ok "sanitizers: the --enable-sanitizers build fails"; return 1; }
	t=$(mktemp_dir san)
	mkdir -p "$t/plugins" "$t/tmp"
	ln -sf "$b/plugin/.libs/libsasl-oauth2.so" "$t/plugins/libsasl-oauth2.so"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	check "sanitizers: test_lib passes under ASan+UBSan" \
		sh -c "'$b/tests/unit/test_lib' > '$t/lib.out' 2>&1"
	mkdir -p "$t/grant"
	check "sanitizers: test_grant passes under ASan+UBSan" \
		sh -c "'$b/tests/unit/test_grant' '$t/grant' > '$t/grant.out' 2>&1"
	check "sanitizers: test_plugin passes under ASan+UBSan" \
		sh -c "'$b/tests/unit/test_plugin' '$t/plugins' '$t/tmp' > '$t/plugin.out' 2>&1"
	check "sanitizers: fuzz corpora run clean under ASan+UBSan" \
		sh -c "'$b/tests/fuzz/fuzz_token_file' '$SRCDIR'/tests/fuzz/corpus/token_file/* &&
		       '$b/tests/fuzz/fuzz_server_error' '$SRCDIR'/tests/fuzz/corpus/server_error/* &&
		       '$b/tests/fuzz/fuzz_token_response' '$SRCDIR'/tests/fuzz/corpus/token_response/* &&
		       '$b/tests/fuzz/fuzz_sa_key' '$SRCDIR'/tests/fuzz/corpus/sa_key/* \
		       > '$t/fuzz.out' 2>&1"
	grep -h -E 'ERROR: |runtime error|not ok' "$t"/*.out | head -20 | sed 's/^/# /'
	return 0
}

# run_scripts DIR: every test_*.sh in DIR, one after the other.
run_scripts() {
	local s rc=0
	for s in "$1"/test_*.sh; do
		[ -e "$s" ] || continue
		echo "# $(basename "$s")"
		bash "$s" || rc=1
	done
	return $rc
}

group_e2e() { run_scripts "$SRCDIR/tests/e2e"; }
group_cli() { run_scripts "$SRCDIR/tests/cli"; }
group_docs() { run_scripts "$SRCDIR/tests/docs"; }
# the Debian packages: build, lintian, install into a throwaway root, purge
group_debian() { run_scripts "$SRCDIR/tests/packaging"; }

group_distcheck() {
	check "make distcheck passes" sh -c "cd '$BUILDDIR' && make -s distcheck > '$LOGDIR/distcheck.out' 2>&1" ||
		tail -n 30 "$LOGDIR/distcheck.out" | sed 's/^/# /'
	return 0
}

for g in "${groups[@]}"; do
	run_group "$g" "group_$g"
done

if [ "${CI:-}" = "true" ] && [ "$skipped" -gt 0 ]; then
	echo "CI: $skipped skipped test(s) count as failures"
	failed=$((failed + skipped))
fi
if [ -s "$FAILURES" ]; then
	echo "=== failures (also in $FAILURES)"
	cat "$FAILURES"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
