"""Shared checks of the boto3 e2e scripts: check counts and prints each
result, run calls a script's main and exits with "N passed, M failed"
(non-zero on any failure or exception)."""
import hashlib
import sys
import traceback

from botocore.exceptions import ClientError

counts = {"passed": 0, "failed": 0}


def check(cond, what):
    if cond:
        counts["passed"] += 1
        print("ok  ", what)
    else:
        counts["failed"] += 1
        print("FAIL", what, file=sys.stderr)


def error_code(fn):
    """The S3 error code fn fails with, or None when it succeeds."""
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run(main):
    try:
        main()
    except Exception:
        traceback.print_exc()
        counts["failed"] += 1
    print("%d passed, %d failed" % (counts["passed"], counts["failed"]))
    sys.exit(1 if counts["failed"] else 0)
