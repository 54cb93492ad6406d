# A test that starts servers: its temp dir, the processes it starts and
# their cleanup, which the EXIT trap runs even when a test dies half way.
#
#   e2e_setup NAME [PROG...]    temp dir $E2E_TMP, plugin dir $PLUGIN_DIR,
#                               traps; stops when a program the test runs is
#                               not installed
#   e2e_bg LOGFILE COMMAND...   a background process, stopped by stop_all
#   ensure_node_deps            tests/e2e's node modules (npm ci from the
#                               committed lockfile when missing)
#   stop_all                    stops everything (postfix.sh's instances too)
#   log_count ERE FILE          how many lines of a log match
#   log_more_than N ERE FILE    more than N of them

[ -z "${_TESTLIB_HARNESS:-}" ] || return 0
_TESTLIB_HARNESS=1
. "${BASH_SOURCE[0]%/*}/tap.sh"
. "${BASH_SOURCE[0]%/*}/tree.sh"
. "${BASH_SOURCE[0]%/*}/net.sh"

E2E_PIDS=()
E2E_POSTFIX_DIRS=()
E2E_TMP=

# e2e_setup NAME: temp dir ($E2E_TMP), plugin dir ($PLUGIN_DIR), traps.
e2e_setup() {
	trap stop_all EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for cmd in "$NODE" dovecot doveconf "${@:2}"; do
		command -v "$cmd" >/dev/null 2>&1 || bail "setup: $cmd is not installed (run tests/install-deps.sh)"
	done
	if [ ! -f "$PLUGIN_SO" ]; then
		bail "setup: $PLUGIN_SO is missing (build first: ./autogen.sh && ./configure && make)"
	fi
	E2E_TMP=$(mktemp_dir "e2e-$1") || bail "setup: cannot make a temp dir"
	# Dovecot's mail processes (nobody) and Postfix (postfix) must reach
	# files in here; a build tree under a private directory (/root) is not
	# reachable for them: use /tmp then.
	if ! runuser -u nobody -- test -x "$E2E_TMP"; then
		rm -rf "$E2E_TMP"
		E2E_TMP=$(mktemp -d "${TMPDIR:-/tmp}/sasl-oauth2-e2e-$1.XXXXXX") || bail "setup: cannot make a temp dir"
		chmod 755 "$E2E_TMP"
	fi
	PLUGIN_DIR="$E2E_TMP/sasl-plugins"
	make_plugin_dir "$PLUGIN_DIR"
	# ... and so must the plugin itself (Postfix loads it as user postfix)
	if ! runuser -u postfix -- test -r "$PLUGIN_DIR/libsasl-oauth2.so" 2>/dev/null; then
		cp --remove-destination "$PLUGIN_SO" "$PLUGIN_DIR/libsasl-oauth2.so"
		chmod 755 "$PLUGIN_DIR/libsasl-oauth2.so"
	fi
	note "temp dir $E2E_TMP"
}

# e2e_bg LOGFILE COMMAND...: starts a background process, records its pid.
e2e_bg() {
	local log=$1; shift
	"$@" >>"$log" 2>&1 &
	E2E_PIDS+=("$!")
}

stop_all() {
	local rc=$? d p i
	for d in "${E2E_POSTFIX_DIRS[@]}"; do
		postfix -c "$d/etc" stop >/dev/null 2>&1 || true
	done
	for d in "${E2E_POSTFIX_DIRS[@]}"; do
		# master exits asynchronously; make sure it is gone
		p=$(sed -n 's/ //gp;1q' "$d/queue/pid/master.pid" 2>/dev/null)
		[ -n "$p" ] || continue
		for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
	done
	E2E_POSTFIX_DIRS=()
	for p in "${E2E_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${E2E_PIDS[@]}"; do
		for i in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	E2E_PIDS=()
	if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
		if [ "$rc" = 0 ] && [ "$TESTS_FAILED" = 0 ] && [ -z "${E2E_KEEP:-}" ]; then
			rm -rf "$E2E_TMP"
		else
			echo "# kept $E2E_TMP for inspection"
		fi
	fi
	return $rc
}

ensure_node_deps() {
	[ -d "$E2E_DIR/node_modules/oauth2-mock-server" ] && return 0
	npm ci --prefix "$E2E_DIR" --no-audit --no-fund >"$E2E_TMP/npm.log" 2>&1 ||
		{ show_log "$E2E_TMP/npm.log" npm; bail "setup: npm ci in tests/e2e failed"; }
}

# log_count ERE FILE: how many lines of FILE match ERE (0 when none, or no FILE).
log_count() { grep -cE -- "$1" "$2" 2>/dev/null || true; }
# log_more_than N ERE FILE: more than N lines of FILE match ERE.
log_more_than() { [ "$(log_count "$2" "$3")" -gt "$1" ]; }
