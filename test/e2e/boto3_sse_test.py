#!/usr/bin/env python3
"""Server-side encryption with boto3: SSE-S3 and SSE-C put/get, copies
between modes, ranged reads at chunk boundaries, multipart upload_file and
download_file with SSE-C ExtraArgs, bucket default encryption, wrong keys.

Needs S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (run.sh sets
them); the server must accept SSE-C over plain HTTP (--sse-c-allow-http).
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import hashlib
import os
import random
import tempfile

import boto3
from boto3.s3.transfer import TransferConfig
from checks import check, error_code, run, sha256_file

ENDPOINT = os.environ["S3_ENDPOINT"]


def main():
    s3 = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1")
    bucket = "boto3-sse-%d" % random.randrange(1 << 30)
    s3.create_bucket(Bucket=bucket)
    key1, key2 = os.urandom(32), os.urandom(32)
    c1 = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key1}
    c2 = {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key2}
    src1 = {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key1}
    body = os.urandom(3 * 65536 + 123)

    # SSE-S3.
    r = s3.put_object(Bucket=bucket, Key="s3", Body=body, ServerSideEncryption="AES256")
    check(r.get("ServerSideEncryption") == "AES256", "put SSE-S3: ServerSideEncryption AES256")
    check(r["ETag"].strip('"') == hashlib.md5(body).hexdigest(), "put SSE-S3: ETag is the plaintext MD5")
    g = s3.get_object(Bucket=bucket, Key="s3")
    check(g["Body"].read() == body, "get SSE-S3: bytes equal")
    check(g.get("ServerSideEncryption") == "AES256", "get SSE-S3: ServerSideEncryption AES256")
    h = s3.head_object(Bucket=bucket, Key="s3")
    check(h["ContentLength"] == len(body), "head SSE-S3: plaintext length")

    # SSE-C.
    r = s3.put_object(Bucket=bucket, Key="c", Body=body, **c1)
    check(r.get("SSECustomerAlgorithm") == "AES256", "put SSE-C: SSECustomerAlgorithm AES256")
    g = s3.get_object(Bucket=bucket, Key="c", **c1)
    check(g["Body"].read() == body, "get SSE-C: bytes equal")
    h = s3.head_object(Bucket=bucket, Key="c", **c1)
    check(h.get("SSECustomerAlgorithm") == "AES256" and h.get("SSECustomerKeyMD5"), "head SSE-C: algorithm and key MD5")
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key="c", **c2)) == "AccessDenied", "get SSE-C with another key: AccessDenied")
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key="c")) == "InvalidRequest", "get SSE-C without a key: InvalidRequest")
    check(error_code(lambda: s3.head_object(Bucket=bucket, Key="c", **c2)) in ("403", "AccessDenied"), "head SSE-C with another key: 403")
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key="s3", **c1)) == "InvalidRequest", "get SSE-S3 with a customer key: InvalidRequest")

    # Ranged reads at and across chunk boundaries (64 KiB plaintext chunks).
    for name, extra in (("s3", {}), ("c", c1)):
        for lo, hi in ((0, 0), (65535, 65536), (65530, 131080), (196607, 196607 + 123), (100, 65535)):
            got = s3.get_object(Bucket=bucket, Key=name, Range="bytes=%d-%d" % (lo, hi), **extra)["Body"].read()
            check(got == body[lo:hi + 1], "ranged get %s bytes=%d-%d" % (name, lo, hi))
        got = s3.get_object(Bucket=bucket, Key=name, Range="bytes=-100", **extra)["Body"].read()
        check(got == body[-100:], "ranged get %s suffix bytes=-100" % name)

    # Copies between modes.
    s3.copy_object(Bucket=bucket, Key="c-to-s3", CopySource={"Bucket": bucket, "Key": "c"},
                   ServerSideEncryption="AES256", **src1)
    g = s3.get_object(Bucket=bucket, Key="c-to-s3")
    check(g["Body"].read() == body and g.get("ServerSideEncryption") == "AES256", "copy SSE-C -> SSE-S3")
    s3.copy_object(Bucket=bucket, Key="s3-to-c", CopySource={"Bucket": bucket, "Key": "s3"}, **c2)
    check(s3.get_object(Bucket=bucket, Key="s3-to-c", **c2)["Body"].read() == body, "copy SSE-S3 -> SSE-C")
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key="s3-to-c")) == "InvalidRequest", "  ... the copy needs its key")
    s3.copy_object(Bucket=bucket, Key="c-to-c", CopySource={"Bucket": bucket, "Key": "c"}, **src1, **c2)
    check(s3.get_object(Bucket=bucket, Key="c-to-c", **c2)["Body"].read() == body, "copy SSE-C key1 -> SSE-C key2")
    check(error_code(lambda: s3.get_object(Bucket=bucket, Key="c-to-c", **c1)) == "AccessDenied", "  ... the old key no longer opens the copy")
    check(error_code(lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource={"Bucket": bucket, "Key": "c"})) == "InvalidRequest",
          "copy of an SSE-C object without the source key: InvalidRequest")
    s3.put_object(Bucket=bucket, Key="plain", Body=body)
    s3.copy_object(Bucket=bucket, Key="plain", CopySource={"Bucket": bucket, "Key": "plain"}, ServerSideEncryption="AES256")
    h = s3.head_object(Bucket=bucket, Key="plain")
    check(h.get("ServerSideEncryption") == "AES256", "self copy encrypts a plain object with SSE-S3")

    # Multipart with SSE-C ExtraArgs (upload_file/download_file, 5 MiB parts).
    cfg = TransferConfig(multipart_threshold=5 << 20, multipart_chunksize=5 << 20)
    with tempfile.TemporaryDirectory() as d:
        src, dst = os.path.join(d, "big"), os.path.join(d, "big.got")
        with open(src, "wb") as f:
            f.write(os.urandom(23 << 20))
        s3.upload_file(src, bucket, "mp-c", ExtraArgs=dict(c1), Config=cfg)
        h = s3.head_object(Bucket=bucket, Key="mp-c", **c1)
        check(h["ContentLength"] == 23 << 20 and "-" in h["ETag"], "upload_file SSE-C multipart: size and multipart ETag")
        s3.download_file(bucket, "mp-c", dst, ExtraArgs=dict(c1), Config=cfg)
        check(sha256_file(src) == sha256_file(dst), "download_file SSE-C multipart: sha256 equal")
        lo = (5 << 20) - 10
        got = s3.get_object(Bucket=bucket, Key="mp-c", Range="bytes=%d-%d" % (lo, lo + 20), **c1)["Body"].read()
        with open(src, "rb") as f:
            f.seek(lo)
            check(got == f.read(21), "ranged get across a part boundary of the SSE-C multipart object")
        check(error_code(lambda: s3.get_object(Bucket=bucket, Key="mp-c", **c2)) == "AccessDenied", "multipart SSE-C with another key: AccessDenied")
        s3.upload_file(src, bucket, "mp-s3", ExtraArgs={"ServerSideEncryption": "AES256"}, Config=cfg)
        s3.download_file(bucket, "mp-s3", dst, Config=cfg)
        check(sha256_file(src) == sha256_file(dst), "upload_file/download_file SSE-S3 multipart: sha256 equal")

    # Bucket default encryption.
    check(error_code(lambda: s3.get_bucket_encryption(Bucket=bucket)) == "ServerSideEncryptionConfigurationNotFoundError",
          "get_bucket_encryption before any: ServerSideEncryptionConfigurationNotFoundError")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    check(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256", "get_bucket_encryption: AES256")
    r = s3.put_object(Bucket=bucket, Key="by-default", Body=b"x")
    check(r.get("ServerSideEncryption") == "AES256", "put without SSE headers is encrypted by the bucket default")
    check(error_code(lambda: s3.put_object(Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms")) == "NotImplemented",
          "put with aws:kms: NotImplemented")
    s3.delete_bucket_encryption(Bucket=bucket)
    r = s3.put_object(Bucket=bucket, Key="after-delete", Body=b"x")
    check("ServerSideEncryption" not in r, "after delete_bucket_encryption, puts are not encrypted")

    # Clean up.
    for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=o["Key"])
    s3.delete_bucket(Bucket=bucket)


if __name__ == "__main__":
    run(main)
