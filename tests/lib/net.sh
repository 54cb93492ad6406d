# Loopback ports and waiting.
#
#   free_port                   a port on 127.0.0.1 nothing listens on
#   wait_port PORT [SECONDS]    until something accepts on it
#   wait_for SECONDS COMMAND... polls COMMAND until it succeeds

[ -z "${_TESTLIB_NET:-}" ] || return 0
_TESTLIB_NET=1

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
# Picked below the kernel's ephemeral range, so no outgoing connection can
# be using it as its local port when a server binds it.
free_port() {
	local p lo=32768 span
	read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
	span=$(( lo - 10000 ))
	[ "$span" -ge 2000 ] || { lo=60000; span=5000; }
	for _ in $(seq 1 200); do
		p=$(( lo - span + RANDOM % span ))
		if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
			echo "$p"; return 0
		fi
	done
	return 1
}

# wait_port PORT [SECONDS]: waits until something accepts on 127.0.0.1:PORT.
wait_port() {
	local i n=$(( ${2:-10} * 10 ))
	for i in $(seq 1 "$n"); do
		(exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# wait_for SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
	local n=$(( $1 * 5 )); shift
	local i
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}
