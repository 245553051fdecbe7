#!/usr/bin/env python3
"""boto3 against a running coffer with the client's default settings.

Needs S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (run.sh sets them).
Prints "N passed, M failed" and exits non-zero on any failure.
"""
import os
import random
import tempfile
import urllib.error
import urllib.request

import boto3
from checks import check, error_code, run, sha256_file

ENDPOINT = os.environ["S3_ENDPOINT"]
ACCESS = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]


def write_random(path, size):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(left, 1 << 20)
            f.write(os.urandom(n))
            left -= n


def product_page_snippet(work, bucket):
    """The boto3 snippet of the product page, word for word but for the placeholders."""
    os.chdir(work)
    with open("myfile.txt", "w") as f:
        f.write("from the product page\n")
    s3 = boto3.client("s3", endpoint_url=ENDPOINT,
                      aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET,
                      region_name="us-east-1")
    response = s3.list_objects_v2(Bucket=bucket)
    for obj in response.get("Contents", []):
        print(obj["Key"])
    s3.upload_file("myfile.txt", bucket, "myfile.txt")
    s3.download_file(bucket, "myfile.txt", "myfile-downloaded.txt")
    check(open("myfile-downloaded.txt").read() == "from the product page\n",
          "product page snippet: upload_file/download_file round trip")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    check(keys == ["myfile.txt"], "product page snippet: list_objects_v2 shows myfile.txt")


def main():
    s3 = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1")
    bucket = "boto-%d" % random.randrange(1 << 30)
    s3.create_bucket(Bucket=bucket)
    check(bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]], "create_bucket + list_buckets")

    with tempfile.TemporaryDirectory() as work:
        product_page_snippet(work, bucket)

        # Multipart-sized file (boto3's threshold is 8 MiB; 8 MiB parts, run in parallel).
        big = os.path.join(work, "big.bin")
        write_random(big, 21 * 1024 * 1024 + 123)
        s3.upload_file(big, bucket, "big/big.bin")
        head = s3.head_object(Bucket=bucket, Key="big/big.bin")
        check(head["ContentLength"] == 21 * 1024 * 1024 + 123, "upload_file multipart: size")
        check(head["ETag"].strip('"').endswith("-3"), "upload_file multipart: ETag has 3 parts (%s)" % head["ETag"])
        back = os.path.join(work, "big.back")
        s3.download_file(bucket, "big/big.bin", back)
        check(sha256_file(big) == sha256_file(back), "download_file: sha256 equal")

        # Paging: 25 keys, 10 per page, plus a delimiter listing.
        for i in range(25):
            s3.put_object(Bucket=bucket, Key="page/%02d" % i, Body=b"k%d" % i)
        s3.put_object(Bucket=bucket, Key="page/sub/x", Body=b"x")
        pages = list(s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix="page/", PaginationConfig={"PageSize": 10}))
        keys = [o["Key"] for p in pages for o in p.get("Contents", [])]
        check(len(pages) == 3, "list_objects_v2 paging: 3 pages of 10 (%d)" % len(pages))
        check(keys == sorted(["page/%02d" % i for i in range(25)] + ["page/sub/x"]),
              "list_objects_v2 paging: every key once, in order")
        d = s3.list_objects_v2(Bucket=bucket, Prefix="page/", Delimiter="/")
        check([p["Prefix"] for p in d.get("CommonPrefixes", [])] == ["page/sub/"] and d["KeyCount"] == 26,
              "list_objects_v2 delimiter: page/sub/ folded")

        # copy_object, metadata COPY and REPLACE.
        s3.put_object(Bucket=bucket, Key="src", Body=b"source bytes", Metadata={"a": "1"}, ContentType="text/x-src")
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
        got = s3.get_object(Bucket=bucket, Key="dst")
        check(got["Body"].read() == b"source bytes" and got["Metadata"] == {"a": "1"},
              "copy_object COPY keeps bytes and metadata")
        s3.copy_object(Bucket=bucket, Key="dst2", CopySource={"Bucket": bucket, "Key": "src"},
                       MetadataDirective="REPLACE", Metadata={"b": "2"})
        check(s3.head_object(Bucket=bucket, Key="dst2")["Metadata"] == {"b": "2"}, "copy_object REPLACE")

        # delete_objects in one batch.
        res = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "page/%02d" % i} for i in range(25)]})
        check(len(res.get("Deleted", [])) == 25 and not res.get("Errors"), "delete_objects: 25 deleted")
        left = s3.list_objects_v2(Bucket=bucket, Prefix="page/")
        check([o["Key"] for o in left.get("Contents", [])] == ["page/sub/x"], "delete_objects: only page/sub/x left")

        # Presigned URLs through urllib (no boto3 on the wire).
        url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "src"}, ExpiresIn=300)
        with urllib.request.urlopen(url) as r:
            check(r.read() == b"source bytes", "presigned GET via urllib")
        put_url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "presigned-put"}, ExpiresIn=300)
        # No Content-Type: the link was signed without one (urllib would add a form type).
        req = urllib.request.Request(put_url, data=b"put through a link", method="PUT", headers={"Content-Type": ""})
        with urllib.request.urlopen(req) as r:
            check(r.status == 200, "presigned PUT via urllib")
        check(s3.get_object(Bucket=bucket, Key="presigned-put")["Body"].read() == b"put through a link",
              "presigned PUT stored the bytes")
        try:
            urllib.request.urlopen(url.replace("src", "dst", 1))
            check(False, "a presigned URL does not work for another key")
        except urllib.error.HTTPError as e:
            check(e.code == 403, "a presigned URL does not work for another key (403)")

        # Errors.
        check(error_code(lambda: s3.get_object(Bucket=bucket, Key="nope")) == "NoSuchKey", "NoSuchKey")
        check(error_code(lambda: s3.delete_bucket(Bucket=bucket)) == "BucketNotEmpty", "BucketNotEmpty")
        check(error_code(lambda: s3.list_objects_v2(Bucket=bucket + "-missing")) == "NoSuchBucket", "NoSuchBucket")

        # Clean up through the API.
        for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objs = [{"Key": o["Key"]} for o in p.get("Contents", [])]
            if objs:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objs})
        s3.delete_bucket(Bucket=bucket)
        check(bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]], "delete_bucket")


if __name__ == "__main__":
    run(main)
