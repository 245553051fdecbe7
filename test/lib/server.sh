# shellcheck shell=bash
# server.sh: the one way the shell suites (test/e2e, test/bench, test/browser)
# start the built coffer binary. Source it with COFFER_BIN set; it defines
#
#   coffer_start DATADIR LOGDIR [server flags...]
#       starts `coffer server` on 127.0.0.1:0 over 4 drive directories under
#       DATADIR (2 data + 2 parity), stdout in LOGDIR/server.out (the banner
#       with the addresses it got) and logs in LOGDIR/server.log, and waits
#       (bounded) until /readyz answers. Later flags win over these defaults.
#       Sets and exports COFFER_PID, S3_ENDPOINT, COFFER_SERVER (the console
#       URL), COFFER_TOKEN_FILE (the operator API token the server writes on
#       first start) and COFFER_METRICS_TOKEN_FILE (the /metrics bearer token).
#   coffer_stop      SIGTERM, at most 30 s for a clean exit, then SIGKILL;
#                    returns the server's exit status (0 = clean).
#   coffer_kill      SIGKILL and reap (for EXIT traps); never fails.
#   coffer_admin ARGS...     `coffer admin` as the operator, by API token.
#   coffer_make_key TENANT   creates the tenant and its S3 key pair; sets
#                            COFFER_ACCESS_KEY and COFFER_SECRET_KEY.
#
# COFFER_ADMIN_PASSWORD is exported (random unless already set), so the
# operator password is known to the scripts that log in to the console.

: "${COFFER_BIN:?COFFER_BIN must name the built coffer binary}"
: "${COFFER_ADMIN_PASSWORD:=test-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')}"
export COFFER_ADMIN_PASSWORD
COFFER_PID=""

# coffer_log_tail prints the end of the server's output, for failure messages.
coffer_log_tail() {
	tail -n 40 "$COFFER_LOGS/server.out" "$COFFER_LOGS/server.log" >&2 2>/dev/null || true
}

coffer_start() {
	local data=$1 logs=$2
	shift 2
	mkdir -p "$logs"
	COFFER_LOGS=$logs
	"$COFFER_BIN" server --data "$data" --drives 4 --parity 2 \
		--s3-address 127.0.0.1:0 --console-address 127.0.0.1:0 "$@" \
		>"$logs/server.out" 2>"$logs/server.log" &
	COFFER_PID=$!
	export COFFER_PID
	for _ in $(seq 1 600); do
		grep -q '^  Console:' "$logs/server.out" 2>/dev/null && break
		if ! kill -0 "$COFFER_PID" 2>/dev/null; then
			echo "coffer_start: the server exited before serving:" >&2
			coffer_log_tail
			COFFER_PID=""
			return 1
		fi
		sleep 0.1
	done
	S3_ENDPOINT=$(awk '/^  S3 endpoint:/ {print $3}' "$logs/server.out")
	COFFER_SERVER=$(awk '/^  Console:/ {print $2}' "$logs/server.out")
	if [ -z "$S3_ENDPOINT" ] || [ -z "$COFFER_SERVER" ]; then
		echo "coffer_start: no addresses in the server's output after 60 s:" >&2
		coffer_log_tail
		return 1
	fi
	COFFER_TOKEN_FILE=$data/operator.token
	COFFER_METRICS_TOKEN_FILE=$data/metrics.token
	export S3_ENDPOINT COFFER_SERVER COFFER_TOKEN_FILE COFFER_METRICS_TOKEN_FILE
	for _ in $(seq 1 600); do
		curl -fsS -o /dev/null "$COFFER_SERVER/readyz" 2>/dev/null && return 0
		if ! kill -0 "$COFFER_PID" 2>/dev/null; then break; fi
		sleep 0.1
	done
	echo "coffer_start: the server never became ready:" >&2
	coffer_log_tail
	return 1
}

coffer_stop() {
	local pid=$COFFER_PID status=0
	[ -n "$pid" ] || return 0
	COFFER_PID=""
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "coffer_stop: no exit 30 s after SIGTERM; sending SIGKILL" >&2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || status=$?
	return "$status"
}

coffer_kill() {
	local pid=$COFFER_PID
	[ -n "$pid" ] || return 0
	COFFER_PID=""
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

coffer_admin() {
	"$COFFER_BIN" admin --server "$COFFER_SERVER" --token-file "$COFFER_TOKEN_FILE" "$@"
}

coffer_make_key() {
	local keys
	coffer_admin tenant create "$1" >/dev/null
	keys=$(coffer_admin keys generate "$1")
	# shellcheck disable=SC2034 # set for the caller
	COFFER_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
	# shellcheck disable=SC2034 # set for the caller
	COFFER_SECRET_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
}
