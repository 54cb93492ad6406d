#!/bin/bash
# What gets installed besides the programs: bash and zsh completion
# (commands, options, account names, Postfix's accounts after --for
# postfix), the commented sample configuration (installed as an example,
# and as sysconfdir/sasl-oauth2.conf only where there is none), and
# sasl-oauth2(1)'s EXAMPLES and FILES sections (lock files explained).
set -u
. "$(dirname "$0")/../lib/tree.sh"

CLI=${CLI:-$BUILDDIR/tools/sasl-oauth2}
[ -x "$CLI" ] || { echo "not ok - $CLI is not built"; exit 1; }
T=$(mktemp_dir extras)
trap 'rm -rf "$T"' EXIT
BASH_COMP="$SRCDIR/completion/bash/sasl-oauth2"
ZSH_COMP="$SRCDIR/completion/zsh/_sasl-oauth2"
SAMPLE="$SRCDIR/etc/sasl-oauth2.conf"

# The program completion asks is the build's.
mkdir -p "$T/bin" "$T/state" "$T/chroot/etc/sasl-oauth2"
ln -s "$CLI" "$T/bin/sasl-oauth2"
for a in alice bob; do echo '{}' >"$T/state/$a.json"; done
echo '{}' >"$T/chroot/etc/sasl-oauth2/relay.json"
printf 'chroot_dir = %s/chroot\nprovider.Corp.issuer = https://login.example.com\n' "$T" >"$T/comp.conf"
export PATH="$T/bin:$PATH" SASL_OAUTH2_STATE_DIR="$T/state" SASL_OAUTH2_CONF="$T/comp.conf"

# ----- bash completion ----------------------------------------------------------
# bcomp WORD...: the completions bash offers for the last word.
bcomp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _sasl_oauth2; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$BASH_COMP" "$@" 2>"$T/bcomp.err" | sort
}
check "bash: the file parses (bash -n)" bash -n "$BASH_COMP"
check "bash: commands (sasl-oauth2 st -> status)" test "$(bcomp sasl-oauth2 st)" = status
check "bash: every command of --help is offered" \
	test "$(bcomp sasl-oauth2 "" | tr '\n' ' ')" = "$("$CLI" --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | sort | tr '\n' ' ')"
check "bash: a command's options (authorize --pro -> --provider)" test "$(bcomp sasl-oauth2 authorize x --pro)" = --provider
check "bash: options after global ones (-c FILE token --f -> --for --format)" \
	test "$(bcomp sasl-oauth2 -c /dev/null token --f | tr '\n' ' ')" = "--for --format "
check "bash: account names (token a -> alice)" test "$(bcomp sasl-oauth2 token a)" = alice
check "bash: all accounts" test "$(bcomp sasl-oauth2 status "" | tr '\n' ' ')" = "alice bob "
check "bash: Postfix's accounts after --for postfix (chroot_dir from the config)" \
	test "$(bcomp sasl-oauth2 token --for postfix "" | tr '\n' ' ')" = "relay "
check "bash: provider names" test "$(bcomp sasl-oauth2 authorize x --provider g)" = google
check "bash: providers of the configuration too" test "$(bcomp sasl-oauth2 authorize x --provider c)" = corp
check "bash: help COMMAND" test "$(bcomp sasl-oauth2 help do)" = doctor
check "bash: tunnel --tls takes implicit or starttls" \
	test "$(bcomp sasl-oauth2 tunnel alice --tls "" | tr '\n' ' ')" = "implicit starttls "
check "bash: tunnel --protocol takes imap or pop3" \
	test "$(bcomp sasl-oauth2 tunnel alice --protocol "" | tr '\n' ' ')" = "imap pop3 "
check "bash: test's --tls takes no value (accounts follow)" \
	test "$(bcomp sasl-oauth2 test --tls "" | tr '\n' ' ')" = "alice bob "
check "bash: nothing on stderr" test ! -s "$T/bcomp.err"

# ----- zsh completion ------------------------------------------------------------
if command -v zsh >/dev/null 2>&1; then
	# zcomp WORD...: what the completion function hands compadd (stubbed).
	zcomp() {
		zsh -f -c 'compadd() { [[ $1 == -a ]] && print -l -- ${(P)2}; }; _files() { print FILES; }
			words=("$@"); CURRENT=$#; source "$0"' "$ZSH_COMP" "$@" 2>"$T/zcomp.err" | sort
	}
	check "zsh: the file parses (zsh -n)" zsh -n "$ZSH_COMP"
	check "zsh: commands (sasl-oauth2 st -> status among them)" bash -c 'grep -qx status <<<"$1"' _ "$(zcomp sasl-oauth2 st)"
	check "zsh: a command's options (--provider for authorize)" bash -c 'grep -qx -- --provider <<<"$1"' _ "$(zcomp sasl-oauth2 authorize x --)"
	check "zsh: providers, built in and configured" test "$(zcomp sasl-oauth2 authorize x --provider "" | tr '\n' ' ')" = "corp google microsoft "
	check "zsh: account names" test "$(zcomp sasl-oauth2 token "" | tr '\n' ' ')" = "alice bob "
	check "zsh: Postfix's accounts after --for postfix" test "$(zcomp sasl-oauth2 refresh --for postfix "" | tr '\n' ' ')" = "relay "
	check "zsh: tunnel --tls takes implicit or starttls" \
		test "$(zcomp sasl-oauth2 tunnel alice --tls "" | tr '\n' ' ')" = "implicit starttls "
	check "zsh: tunnel --protocol takes imap or pop3" \
		test "$(zcomp sasl-oauth2 tunnel alice --protocol "" | tr '\n' ' ')" = "imap pop3 "
	check "zsh: test's --tls takes no value (accounts follow)" \
		test "$(zcomp sasl-oauth2 test --tls "" | tr '\n' ' ')" = "alice bob "
	check "zsh: nothing on stderr" test ! -s "$T/zcomp.err"
else
	skip "zsh completion: zsh is not installed (tests/install-deps.sh installs it)"
fi

# ----- the sample configuration ------------------------------------------------------
check "sample: every setting is commented out (defaults)" bash -c '! grep -Ev "^(#|$)" "$1"' _ "$SAMPLE"
"$CLI" -c "$SAMPLE" status >/dev/null 2>"$T/sample.err"
check "sample: the program reads it without a configuration error" bash -c '! grep -q "config" "$1"' _ "$T/sample.err"
sed -E 's/^#([a-z_]+(\.[a-z0-9_-]+\.[a-z_]+)? = )/\1/' "$SAMPLE" >"$T/uncommented.conf"
n=$(grep -cEv '^(#|$)' "$T/uncommented.conf")
"$CLI" -c "$T/uncommented.conf" status >/dev/null 2>"$T/uncommented.err"
check "sample: each of its $n example settings, uncommented, is a valid key and value" \
	bash -c '[ "$1" -gt 15 ] && ! grep -q "config file" "$2"' _ "$n" "$T/uncommented.err"
keys=$(sed -n '/^\.SH KEYS/,/^\.SH /p' "$SRCDIR/man/sasl-oauth2.conf.5" | sed -n 's/^\.B \([a-z_]*\)$/\1/p' | sort -u)
missing=""
for k in $keys; do grep -Eq "^#$k = " "$SAMPLE" || missing="$missing $k"; done
check "sample: shows every key of sasl-oauth2.conf(5) (missing:${missing:- none})" test -z "$missing"

# ----- make install: completion, sample, never over an admin's file --------------------
D="$T/root"
if make -s -C "$BUILDDIR" install DESTDIR="$D" >"$T/install.log" 2>&1; then
	ok "make install DESTDIR=... succeeds"
	check "install: bash completion named after the command (sasl-oauth2)" \
		test -n "$(find "$D" -path '*bash-completion/completions/sasl-oauth2')"
	check "install: zsh completion (_sasl-oauth2)" test -n "$(find "$D" -path '*zsh/*/_sasl-oauth2')"
	check "install: the sample under the documentation's examples" \
		test -n "$(find "$D" -path '*/doc/*/examples/sasl-oauth2.conf')"
	conf=$(find "$D" -path '*/etc/sasl-oauth2.conf' | head -n 1)
	check "install: sysconfdir/sasl-oauth2.conf from the sample when there was none" cmp -s "$conf" "$SAMPLE"
	echo "client_id = admins-own" >"${conf:-$T/none}"
	make -s -C "$BUILDDIR" install DESTDIR="$D" >"$T/install2.log" 2>&1
	check "install again: an existing sasl-oauth2.conf is left as it is" \
		test "$(cat "${conf:-$T/none}")" = "client_id = admins-own"
	check "install again: it says so" grep -q "left as it is" "$T/install2.log"
	make -s -C "$BUILDDIR" uninstall DESTDIR="$D" >/dev/null 2>&1
	check "uninstall: the admin's configuration stays" test "$(cat "${conf:-$T/none}")" = "client_id = admins-own"
else
	not_ok "make install DESTDIR=... succeeds"; sed 's/^/#   /' "$T/install.log" | tail -n 20
fi

# ----- sasl-oauth2(1): EXAMPLES and FILES ------------------------------------------------
MAN="$BUILDDIR/man/sasl-oauth2.1"
check "man: sasl-oauth2(1) has an EXAMPLES section" grep -q '^\.SH EXAMPLES' "$MAN"
ex=$(sed -n '/^\.SH EXAMPLES/,/^\.SH /p' "$MAN" | sed -n 's/^\.B //p' | sed 's/\\-/-/g')
check "man: EXAMPLES holds commands ($(grep -c . <<<"$ex"))" test "$(grep -c '^sasl-oauth2 ' <<<"$ex")" -ge 4
bad=""
while read -r line; do
	read -r -a w <<<"$line"
	"$CLI" "${w[@]:1}" --help >/dev/null 2>&1 || bad="$bad [$line]"
done <<<"$ex"
check "man: every EXAMPLES command parses with the program${bad:+ (not:$bad)}" test -z "$bad"
check "man: FILES names the configuration, token files, Postfix's, completion" \
	bash -c 'f=$(sed -n "/^\.SH FILES/,/^\.SH /p" "$1"); for w in sasl-oauth2.conf /var/lib/sasl-oauth2 /var/spool/postfix/etc/sasl-oauth2 bash-completion _sasl-oauth2; do grep -qF -- "$w" <<<"$f" || exit 1; done' _ "$MAN"
check "man: FILES says why NAME.json.lock stays" \
	bash -c 'sed -n "/^\.SH FILES/,/^\.SH /p" "$1" | grep -A6 "json.lock" | grep -q "on purpose"' _ "$MAN"

tests_exit
