# shellcheck shell=bash
# Sourced by run.sh, memory.sh and scale.sh after test/lib/server.sh (which
# starts and stops the server): bench_key TENANT creates the tenant and
# exports its key pair as S3LOAD_ACCESS_KEY/S3LOAD_SECRET_KEY for s3load.
bench_key() {
	coffer_make_key "$1"
	export S3LOAD_ACCESS_KEY=$COFFER_ACCESS_KEY S3LOAD_SECRET_KEY=$COFFER_SECRET_KEY
}
