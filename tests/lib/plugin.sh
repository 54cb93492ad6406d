# The build tree's plugin driven directly, as Postfix drives it.
#
#   write_refresh_conf [LINE]   $SASL_OAUTH2_CONF trusting the test CA
#                               ($CA_DIR), short timeouts
#   sasl_auth MECH USER SECRET [CHALLENGE]   one login through libsasl2
#                               (tests/tools/sasl_auth); output in $AUTH_OUT
#   warn_lines                  the plugin's WARN lines of the last sasl_auth
#   one_warn_matching RE        exactly one WARN line, matching RE (any case)

[ -z "${_TESTLIB_PLUGIN:-}" ] || return 0
_TESTLIB_PLUGIN=1
. "${BASH_SOURCE[0]%/*}/harness.sh"

SASL_AUTH_BIN="$BUILDDIR/tests/tools/sasl_auth"

write_refresh_conf() {
	SASL_OAUTH2_CONF="$E2E_TMP/sasl-oauth2.conf"
	cat >"$SASL_OAUTH2_CONF" <<-CONF
	# test configuration: trust the test CA, fail fast
	ca_bundle = $CA_DIR/ca.pem
	connect_timeout = ${REFRESH_CONNECT_TIMEOUT:-2}
	timeout = ${REFRESH_TIMEOUT:-3}
	${1:-}
	CONF
	export SASL_OAUTH2_CONF
}

sasl_auth() {
	AUTH_OUT="$E2E_TMP/sasl_auth.out"
	"$SASL_AUTH_BIN" "$PLUGIN_DIR" "$@" >"$AUTH_OUT" 2>&1
}

# warn_lines: the plugin's WARN lines from the last sasl_auth.
warn_lines() {
	grep '^LOG 3 ' "$AUTH_OUT" | sed 's/^LOG 3 //'
}

# one_warn_matching RE: the last sasl_auth logged exactly one WARN line,
# and it matches the basic regular expression RE (any case).
one_warn_matching() { test "$(warn_lines | grep -c .)" = 1 && warn_lines | grep -qi -- "$1"; }
