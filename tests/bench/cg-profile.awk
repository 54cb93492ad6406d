# Per-authentication profile from two callgrind_annotate listings of the same
# program, run for N1 and then N2 iterations (give them in that order):
# every figure is (cost at N2 - cost at N1) / div with div = N2 - N1, which
# cancels the one-off startup (dynamic loading, sasl_client_init).
#
#   awk -v div=1000 -v mode=self -f cg-profile.awk N1.self N2.self
#       "F <instr> <function> [<object>]" self cost per function, and
#       "O <instr> <object>" self cost per shared object;
#   awk -v div=1000 -v mode=incl -v symbols=FILE -f cg-profile.awk N1.incl N2.incl
#       "F <instr> <function>" inclusive cost, only for the functions named
#       in FILE (one a line: the plugin's symbols, from nm).
#
# callgrind_annotate splits a function by source file (inlined code shows as
# "???:fn") and does not always print the object, so functions are keyed by
# name: self costs are summed, inclusive costs take the largest entry, and an
# object is remembered from any line of the function that names it.

function parse(line,   v, rest, i) {
	if (!match(line, /^ *[0-9,]+ \( *[0-9.]+%\)  /))
		return 0
	v = substr(line, 1, RLENGTH)
	sub(/ \(.*/, "", v)
	gsub(/[ ,]/, "", v)
	rest = substr(line, RLENGTH + 1)
	if (rest ~ /PROGRAM TOTALS/)
		return 0
	OBJ = ""
	if (match(rest, / \[[^]]*\]$/)) {
		OBJ = substr(rest, RSTART + 2, RLENGTH - 3)
		sub(/.*\//, "", OBJ)
		rest = substr(rest, 1, RSTART - 1)
	}
	i = index(rest, ":")
	FN = i ? substr(rest, i + 1) : rest
	VAL = v + 0
	return 1
}

BEGIN {
	if (symbols != "")
		while ((getline s < symbols) > 0)
			want[s] = 1
}
FNR == 1 { f++ }
{
	if (!parse($0))
		next
	if (OBJ != "" && !(FN in obj))
		obj[FN] = OBJ
	if (mode == "self")
		c[f, FN] += VAL
	else if (VAL > c[f, FN])
		c[f, FN] = VAL
	names[FN] = 1
}
END {
	for (fn in names) {
		d = (c[2, fn] - c[1, fn]) / div
		o = (fn in obj) ? obj[fn] : "???"
		if (mode == "self") {
			perobj[o] += d
			if (d >= 0.5)
				printf "F %.0f %s [%s]\n", d, fn, o
		} else if (d >= 0.5 && (symbols == "" || fn in want)) {
			printf "F %.0f %s\n", d, fn
		}
	}
	if (mode == "self")
		for (o in perobj)
			if (perobj[o] >= 0.5 || perobj[o] <= -0.5)
				printf "O %.0f %s\n", perobj[o], o
}
