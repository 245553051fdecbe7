# shellcheck shell=bash
# Sourced by run.sh, memory.sh and scale.sh: start and stop the built coffer binary
# on loopback and make a tenant's key. Expects COFFER_BIN and
# COFFER_ADMIN_PASSWORD; sets server_pid, s3, console.
server_pid=""
# start_server DATADIR LOGDIR [extra server flags...]
start_server() {
	local data=$1 logs=$2
	shift 2
	"$COFFER_BIN" server --data "$data" --drives 4 --parity 2 \
		--s3-address 127.0.0.1:0 --console-address 127.0.0.1:0 --log-level warn "$@" \
		>"$logs/server.out" 2>"$logs/server.log" &
	server_pid=$!
	for _ in $(seq 1 600); do
		grep -q '^  Console:' "$logs/server.out" 2>/dev/null && break
		kill -0 "$server_pid" 2>/dev/null || { echo "bench: server died:" >&2; cat "$logs/server.out" "$logs/server.log" >&2; exit 1; }
		sleep 0.1
	done
	s3=$(awk '/^  S3 endpoint:/ {print $3}' "$logs/server.out")
	console=$(awk '/^  Console:/ {print $2}' "$logs/server.out")
	if [ -z "$s3" ] || [ -z "$console" ]; then
		echo "bench: no addresses in server output" >&2
		cat "$logs/server.out" "$logs/server.log" >&2
		exit 1
	fi
	for _ in $(seq 1 600); do curl -fsS -o /dev/null "$console/readyz" && break; sleep 0.1; done
}
stop_server() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid" 2>/dev/null || true
		for _ in $(seq 1 300); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	server_pid=""
}
# make_key TENANT: creates the tenant and exports S3LOAD_ACCESS_KEY/SECRET_KEY.
make_key() {
	"$COFFER_BIN" admin --server "$console" --password "$COFFER_ADMIN_PASSWORD" tenant create "$1" >/dev/null
	local keys
	keys=$("$COFFER_BIN" admin --server "$console" --password "$COFFER_ADMIN_PASSWORD" keys generate "$1")
	S3LOAD_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
	S3LOAD_SECRET_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
	export S3LOAD_ACCESS_KEY S3LOAD_SECRET_KEY
}
