#!/usr/bin/env bash
# local-cluster-stop.sh stops what `local-cluster.sh --background` started.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUN="${CLUSTER_DIR:-$PWD/.cluster}"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[[ -f "$RUN/nginx.pid" ]] && "$NGINX" -p "$RUN" -c "$RUN/nginx.conf" -s quit
if [[ -f "$RUN/pledge.pids" ]]; then
	xargs -r kill -TERM <"$RUN/pledge.pids"
	rm -f "$RUN/pledge.pids"
fi
