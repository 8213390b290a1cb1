#!/usr/bin/env bash
# local-cluster-stop.sh stops what `local-cluster.sh --background` started:
# the nginx in $RUN/nginx.pid and the instances listed in $RUN/pledge.pids,
# and waits (at most STOP_WAIT seconds, 45 by default: an instance drains for
# up to twice PLEDGE_SHUTDOWN_TIMEOUT) until they have exited.
#
# A process is signalled only while it is still the cluster's: nginx running
# with this directory as its prefix, or $RUN/pledge serve. A process that has
# exited already (one killed on purpose, as deploy/chaos.sh does) is passed
# over quietly, and so is a process ID now used by another program. Exits 1
# when something is still running at the end of the wait.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
RUN=$(realpath -m -- "${CLUSTER_DIR:-$PWD/.cluster}")
STOP_WAIT="${STOP_WAIT:-45}"
[[ "$STOP_WAIT" =~ ^[0-9]+$ ]] || { echo "local-cluster-stop: STOP_WAIT must be a number of seconds" >&2; exit 2; }

# running PID: the process exists and has not exited (a zombie has).
running() {
	local stat
	read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
	stat=${stat##*) }
	[[ "${stat%% *}" != [ZX] ]]
}

# is_nginx PID: the master of the nginx whose prefix is $RUN.
is_nginx() {
	local cmd
	running "$1" || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
	[[ "$cmd" == "nginx: master process "* && ("$cmd" == *" -p $RUN "* || "$cmd" == *" -p $RUN/ "*) ]]
}

# is_instance PID: $RUN/pledge serve (the file may have been rebuilt since).
is_instance() {
	local exe cmd
	running "$1" || return 1
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	[[ "$exe" == "$RUN/pledge" || "$exe" == "$RUN/pledge (deleted)" ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline") || return 1
	[[ "$cmd" == *" serve "* ]]
}

nginx_pid=""
if [[ -f "$RUN/nginx.pid" ]]; then
	read -r nginx_pid <"$RUN/nginx.pid" || true
	if [[ "$nginx_pid" =~ ^[0-9]+$ ]] && is_nginx "$nginx_pid"; then
		kill -QUIT "$nginx_pid" 2>/dev/null || true # graceful: requests in flight finish
	elif [[ "$nginx_pid" =~ ^[0-9]+$ ]] && running "$nginx_pid"; then
		echo "local-cluster-stop: process $nginx_pid (in $RUN/nginx.pid) is not this cluster's nginx; left alone" >&2
		nginx_pid=""
	else
		nginx_pid=""
		rm -f "$RUN/nginx.pid" # left by an nginx that was killed
	fi
fi

instances=()
if [[ -f "$RUN/pledge.pids" ]]; then
	while read -r pid; do
		[[ "$pid" =~ ^[0-9]+$ ]] || continue
		if is_instance "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true # drains its intake queue, then exits
			instances+=("$pid")
		elif running "$pid"; then
			echo "local-cluster-stop: process $pid is no longer an instance of this cluster; left alone" >&2
		fi
	done <"$RUN/pledge.pids"
fi

deadline=$((SECONDS + STOP_WAIT))
while :; do
	left=()
	[[ -n "$nginx_pid" ]] && is_nginx "$nginx_pid" && left+=("nginx $nginx_pid")
	for pid in "${instances[@]}"; do
		is_instance "$pid" && left+=("pledge $pid")
	done
	((${#left[@]} == 0)) && break
	if ((SECONDS >= deadline)); then
		echo "local-cluster-stop: still running after ${STOP_WAIT}s: ${left[*]}" >&2
		exit 1
	fi
	sleep 0.1
done
rm -f "$RUN/pledge.pids"
