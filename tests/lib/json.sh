# JSON, read with node (the tests' one JSON reader).
#
#   json_field FILE KEY         a member of the JSON object in FILE ("" when
#                               absent, null, or FILE is missing or not JSON;
#                               objects as JSON)
#   jstr JSON KEY               the same for a JSON text
#   set_json_field FILE KEY VALUE_JSON   rewrites one member (mode 0600)
#   json_valid FILE             FILE parses as JSON
#   file_mode FILE              octal permission bits, e.g. 600

[ -z "${_TESTLIB_JSON:-}" ] || return 0
_TESTLIB_JSON=1
. "${BASH_SOURCE[0]%/*}/tree.sh"

json_field() {
	"$NODE" -e '
		let v; try { v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]]; } catch (e) { v = undefined; }
		console.log(v === undefined || v === null ? "" : (typeof v === "object" ? JSON.stringify(v) : v));' "$1" "$2"
}

jstr() {
	"$NODE" -e '
		let v; try { v = JSON.parse(process.argv[1])[process.argv[2]]; } catch (e) { v = undefined; }
		console.log(v === undefined || v === null ? "" : (typeof v === "object" ? JSON.stringify(v) : v));' "$1" "$2"
}

# set_json_field FILE KEY VALUE_JSON: rewrites one member, keeping mode 0600.
set_json_field() {
	"$NODE" -e '
		const fs = require("fs"); const [f, k, v] = process.argv.slice(1);
		const o = JSON.parse(fs.readFileSync(f, "utf8")); o[k] = JSON.parse(v);
		fs.writeFileSync(f + ".new", JSON.stringify(o, null, 2) + "\n", { mode: 0o600 });
		fs.renameSync(f + ".new", f);' "$1" "$2" "$3"
}

json_valid() {
	"$NODE" -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$1" 2>/dev/null
}

file_mode() { stat -c %a "$1"; }
