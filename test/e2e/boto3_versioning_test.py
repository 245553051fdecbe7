#!/usr/bin/env python3
"""S3 versioning and Object Lock (issue 14) through boto3 with its default settings.

Needs S3_ENDPOINT, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (run.sh sets them).
Retries are off: an error is an answer to check (a 5xx would otherwise be
retried with backoff).
Each scenario runs even when an earlier one broke (an exception counts as a
failure); prints "N passed, M failed" and exits non-zero on any failure.
"""
import datetime
import os
import random
import sys
import traceback

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["S3_ENDPOINT"]
ACCESS = os.environ["AWS_ACCESS_KEY_ID"]
SECRET = os.environ["AWS_SECRET_ACCESS_KEY"]

passed = 0
failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print("ok  ", what)
    else:
        failed += 1
        print("FAIL", what, file=sys.stderr)


def check_eq(want, got, what):
    check(want == got, what if want == got else "%s: want %r, got %r" % (what, want, got))


def client_error(fn):
    """Runs fn and returns its ClientError (None when it succeeded)."""
    try:
        fn()
    except ClientError as e:
        return e
    return None


def code_of(e):
    return e.response["Error"]["Code"] if e is not None else None


def header(e, name):
    return e.response["ResponseMetadata"]["HTTPHeaders"].get(name) if e is not None else None


def new_bucket(s3, prefix, **kw):
    name = "%s-%d" % (prefix, random.randrange(1 << 30))
    s3.create_bucket(Bucket=name, **kw)
    return name


def enable(s3, bucket, status="Enabled"):
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})


def entries(page):
    """The (key, version id, is delete marker) of a ListObjectVersions page."""
    out = [(v["Key"], v["VersionId"], False) for v in page.get("Versions", [])]
    out += [(d["Key"], d["VersionId"], True) for d in page.get("DeleteMarkers", [])]
    return out


def empty_bucket(s3, bucket, bypass=False):
    """Removes every version and delete marker, then the bucket."""
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        objs = [{"Key": k, "VersionId": v} for k, v, _ in entries(page)]
        if objs:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": objs}, BypassGovernanceRetention=bypass)
    s3.delete_bucket(Bucket=bucket)


def basic_flow(s3):
    b = new_bucket(s3, "bv")
    check_eq(None, s3.get_bucket_versioning(Bucket=b).get("Status"), "get_bucket_versioning: no Status on a new bucket")
    s3.put_object(Bucket=b, Key="plain", Body=b"unversioned")
    check_eq(b"unversioned", s3.get_object(Bucket=b, Key="plain", VersionId="null")["Body"].read(),
             "never-versioned bucket: get_object VersionId=null reads the object")
    s3.delete_object(Bucket=b, Key="plain", VersionId="null")
    check_eq("NoSuchKey", code_of(client_error(lambda: s3.get_object(Bucket=b, Key="plain"))),
             "never-versioned bucket: delete_object VersionId=null removes it")
    enable(s3, b)
    check_eq("Enabled", s3.get_bucket_versioning(Bucket=b).get("Status"), "put/get_bucket_versioning Enabled")
    bodies = [os.urandom(100 + i) for i in range(3)]
    ids = [s3.put_object(Bucket=b, Key="k", Body=body).get("VersionId") for body in bodies]
    check(all(ids) and len(set(ids)) == 3 and "null" not in ids, "put_object answers 3 distinct VersionIds")
    vs = s3.list_object_versions(Bucket=b)
    check_eq(ids[::-1], [v["VersionId"] for v in vs.get("Versions", [])], "list_object_versions: newest first")
    check_eq([True, False, False], [v["IsLatest"] for v in vs.get("Versions", [])], "list_object_versions: IsLatest")
    for i, vid in enumerate(ids):
        got = s3.get_object(Bucket=b, Key="k", VersionId=vid)
        check(got["Body"].read() == bodies[i] and got.get("VersionId") == vid, "get_object VersionId=v%d: its bytes" % (i + 1))

    d = s3.delete_object(Bucket=b, Key="k")
    marker = d.get("VersionId")
    check(d.get("DeleteMarker") is True and marker and marker not in ids, "delete_object adds a delete marker with a new id")
    e = client_error(lambda: s3.get_object(Bucket=b, Key="k"))
    check_eq("NoSuchKey", code_of(e), "get_object on a delete marker: NoSuchKey")
    check_eq("true", header(e, "x-amz-delete-marker"), "  ... with x-amz-delete-marker: true")
    check_eq(marker, header(e, "x-amz-version-id"), "  ... with the marker's x-amz-version-id")
    e = client_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=marker))
    check_eq("MethodNotAllowed", code_of(e), "get_object VersionId=<delete marker>: MethodNotAllowed")
    check_eq(405, e.response["ResponseMetadata"]["HTTPStatusCode"] if e else None, "  ... status 405")
    check_eq("true", header(e, "x-amz-delete-marker"), "  ... with x-amz-delete-marker: true")
    e = client_error(lambda: s3.head_object(Bucket=b, Key="k"))
    check_eq("404", code_of(e), "head_object on a delete marker: 404")
    check_eq("true", header(e, "x-amz-delete-marker"), "  ... with x-amz-delete-marker: true")
    vs = s3.list_object_versions(Bucket=b)
    check_eq([(marker, True)], [(m["VersionId"], m["IsLatest"]) for m in vs.get("DeleteMarkers", [])],
             "list_object_versions: the DeleteMarker is latest")

    s3.put_object(Bucket=b, Key="other", Body=b"other")
    e = client_error(lambda: s3.get_object(Bucket=b, Key="other", VersionId=ids[1]))
    check_eq("NoSuchVersion", code_of(e), "get_object of another key's VersionId: NoSuchVersion")
    e = client_error(lambda: s3.delete_object(Bucket=b, Key="other", VersionId=ids[1]))
    check(code_of(e) in (None, "NoSuchVersion") and s3.get_object(Bucket=b, Key="k", VersionId=ids[1])["Body"].read() == bodies[1],
          "delete_object of another key's VersionId leaves that version alone (%s)" % code_of(e))
    r = s3.delete_object(Bucket=b, Key="k", VersionId=ids[0])
    check_eq(ids[0], r.get("VersionId"), "delete_object VersionId: answers the removed id")
    e = client_error(lambda: s3.get_object(Bucket=b, Key="k", VersionId=ids[0]))
    check_eq("NoSuchVersion", code_of(e), "a removed version: NoSuchVersion")
    e = client_error(lambda: s3.head_object(Bucket=b, Key="k", VersionId=ids[0]))
    check_eq("404", code_of(e), "head_object of a removed version: 404")
    s3.delete_object(Bucket=b, Key="k", VersionId=marker)
    check_eq(bodies[2], s3.get_object(Bucket=b, Key="k")["Body"].read(), "removing the delete marker restores the newest version")
    empty_bucket(s3, b)


def pagination(s3):
    b = new_bucket(s3, "bp")
    s3.put_object(Bucket=b, Key="0null", Body=b"before versioning")  # a null version under later ones
    enable(s3, b)
    expected = [("0null", s3.put_object(Bucket=b, Key="0null", Body=b"v%d" % i)["VersionId"], False) for i in (1, 2)][::-1]
    expected.append(("0null", "null", False))  # (key, version id, marker): key ascending, newest first
    for k in ["a", "b/x", "b/y", "c", "d", "e f+%&<.txt"]:
        ids = [(k, s3.put_object(Bucket=b, Key=k, Body=b"%s-%d" % (k.encode(), i))["VersionId"], False) for i in range(3)]
        if k in ("b/y", "d", "e f+%&<.txt"):
            ids.append((k, s3.delete_object(Bucket=b, Key=k)["VersionId"], True))
        expected += ids[::-1]
    pages = list(s3.get_paginator("list_object_versions").paginate(Bucket=b, PaginationConfig={"PageSize": 2}))
    check_eq((len(expected) + 1) // 2, len(pages), "paginator over list_object_versions, MaxKeys 2: page count")
    got = []
    for i, p in enumerate(pages):
        es = entries(p)
        want = expected[2 * i:2 * i + 2]
        check_eq(sorted(want), sorted(es), "page %d holds the next two entries in order" % (i + 1))
        got += es
        last = i == len(pages) - 1
        check_eq(not last, p.get("IsTruncated"), "page %d IsTruncated" % (i + 1))
        if not last:
            check_eq((want[-1][0], want[-1][1]), (p.get("NextKeyMarker"), p.get("NextVersionIdMarker")),
                     "page %d NextKeyMarker/NextVersionIdMarker name its last entry" % (i + 1))
    check_eq(len(expected), len(set(got)), "every version and marker listed exactly once")

    # Markers given by hand: the listing resumes after that version (also
    # after the null version).
    r = s3.list_object_versions(Bucket=b, KeyMarker="0null", VersionIdMarker="null", MaxKeys=2)
    check_eq(sorted(expected[3:5]), sorted(entries(r)), "KeyMarker + VersionIdMarker=null resume after the null version")
    k, vid, _ = expected[4]
    r = s3.list_object_versions(Bucket=b, KeyMarker=k, VersionIdMarker=vid, MaxKeys=3)
    check_eq(sorted(expected[5:8]), sorted(entries(r)), "KeyMarker + VersionIdMarker resume after that version")
    r = s3.list_object_versions(Bucket=b, KeyMarker="b/x")
    check_eq(sorted(e for e in expected if e[0] > "b/x"), sorted(entries(r)), "KeyMarker alone skips every version of that key")
    r = s3.list_object_versions(Bucket=b, Prefix="b/", Delimiter="/")
    check_eq(([], sorted(e for e in expected if e[0].startswith("b/"))),
             ([p["Prefix"] for p in r.get("CommonPrefixes", [])], sorted(entries(r))), "Prefix b/ with Delimiter /: b/'s versions")
    r = s3.list_object_versions(Bucket=b, Delimiter="/")
    check_eq(["b/"], [p["Prefix"] for p in r.get("CommonPrefixes", [])], "Delimiter /: CommonPrefixes b/")
    check(all(e[0] != "b/x" for e in entries(r)), "  ... and its keys are folded")
    empty_bucket(s3, b)


def delete_objects_by_version(s3):
    b = new_bucket(s3, "bd")
    enable(s3, b)
    a = [s3.put_object(Bucket=b, Key="a", Body=b"a%d" % i)["VersionId"] for i in range(2)]
    c = s3.put_object(Bucket=b, Key="c", Body=b"c")["VersionId"]
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "a", "VersionId": a[0]}, {"Key": "c", "VersionId": c}, {"Key": "a"}]})
    deleted = {(d["Key"], d.get("VersionId")): d for d in r.get("Deleted", [])}
    check(not r.get("Errors") and len(r.get("Deleted", [])) == 3, "delete_objects with VersionIds: 3 deleted, no errors")
    check(("a", a[0]) in deleted and ("c", c) in deleted, "  ... each removed version named with its VersionId")
    dm = deleted.get(("a", None))
    check(dm is not None and dm.get("DeleteMarker") is True and dm.get("DeleteMarkerVersionId"),
          "  ... the entry without a VersionId made a delete marker (DeleteMarkerVersionId)")
    vs = s3.list_object_versions(Bucket=b)
    check_eq([("a", a[1])], [(v["Key"], v["VersionId"]) for v in vs.get("Versions", [])], "only a's newer version is left")
    check_eq([dm.get("DeleteMarkerVersionId") if dm else None], [m["VersionId"] for m in vs.get("DeleteMarkers", [])],
             "  ... under the new delete marker")
    empty_bucket(s3, b)


def suspended(s3):
    b = new_bucket(s3, "bs")
    enable(s3, b)
    v1 = s3.put_object(Bucket=b, Key="k", Body=b"enabled")["VersionId"]
    enable(s3, b, "Suspended")
    check_eq("Suspended", s3.get_bucket_versioning(Bucket=b).get("Status"), "get_bucket_versioning: Suspended")
    s3.put_object(Bucket=b, Key="k", Body=b"first null")
    s3.put_object(Bucket=b, Key="k", Body=b"second null, replacing the first")
    vs = s3.list_object_versions(Bucket=b)
    check_eq([("null", True), (v1, False)], [(v["VersionId"], v["IsLatest"]) for v in vs.get("Versions", [])],
             "suspended writes replace the null version; the Enabled version stays")
    check_eq(b"second null, replacing the first", s3.get_object(Bucket=b, Key="k", VersionId="null")["Body"].read(),
             "get_object VersionId=null: the last suspended write")
    d = s3.delete_object(Bucket=b, Key="k")
    check_eq((True, "null"), (d.get("DeleteMarker"), d.get("VersionId")), "delete_object while suspended: a null delete marker")
    vs = s3.list_object_versions(Bucket=b)
    check_eq([v1], [v["VersionId"] for v in vs.get("Versions", [])], "  ... it replaced the null version")
    check_eq([("null", True)], [(m["VersionId"], m["IsLatest"]) for m in vs.get("DeleteMarkers", [])], "  ... and is latest")
    enable(s3, b)
    check_eq("Enabled", s3.get_bucket_versioning(Bucket=b).get("Status"), "Suspended -> Enabled")
    empty_bucket(s3, b)


def copy_from_version(s3):
    b = new_bucket(s3, "bc")
    enable(s3, b)
    old = os.urandom(3000)
    v1 = s3.put_object(Bucket=b, Key="src", Body=old)["VersionId"]
    s3.put_object(Bucket=b, Key="src", Body=b"newer")
    r = s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
    check_eq(v1, r.get("CopySourceVersionId"), "copy_object from a version: CopySourceVersionId")
    check(r.get("VersionId") not in (None, "null", v1), "copy_object makes a new version of the destination")
    check_eq(old, s3.get_object(Bucket=b, Key="dst")["Body"].read(), "copy_object from a version: that version's bytes")

    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    pc = s3.upload_part_copy(Bucket=b, Key="mp", UploadId=up, PartNumber=1, CopySource={"Bucket": b, "Key": "src", "VersionId": v1})
    check_eq(v1, pc.get("CopySourceVersionId"), "upload_part_copy from a version: CopySourceVersionId")
    done = s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": pc["CopyPartResult"]["ETag"]}]})
    check(done.get("VersionId") not in (None, "null"), "complete_multipart_upload answers a VersionId")
    check_eq(old, s3.get_object(Bucket=b, Key="mp")["Body"].read(), "upload_part_copy from a version: that version's bytes")

    dm = s3.delete_object(Bucket=b, Key="src")["VersionId"]
    e = client_error(lambda: s3.copy_object(Bucket=b, Key="dst2", CopySource={"Bucket": b, "Key": "src", "VersionId": dm}))
    check(e is not None and 400 <= e.response["ResponseMetadata"]["HTTPStatusCode"] < 500,
          "copy_object from a delete marker's version is refused with a 4xx (%s)" % code_of(e))
    e = client_error(lambda: s3.copy_object(Bucket=b, Key="dst2", CopySource={"Bucket": b, "Key": "src"}))
    check_eq("NoSuchKey", code_of(e), "copy_object from a key whose latest is a delete marker: NoSuchKey")
    empty_bucket(s3, b)


def object_lock(s3):
    b = new_bucket(s3, "bl", ObjectLockEnabledForBucket=True)
    check_eq("Enabled", s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"].get("ObjectLockEnabled"),
             "create_bucket ObjectLockEnabledForBucket")
    until = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0) + datetime.timedelta(days=1)
    v = s3.put_object(Bucket=b, Key="k", Body=b"locked", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
    ret = s3.get_object_retention(Bucket=b, Key="k", VersionId=v)["Retention"]
    check_eq(("GOVERNANCE", until), (ret.get("Mode"), ret.get("RetainUntilDate")), "put_object lock headers: get_object_retention")
    got = s3.get_object(Bucket=b, Key="k", VersionId=v)
    check_eq(("GOVERNANCE", until), (got.get("ObjectLockMode"), got.get("ObjectLockRetainUntilDate")), "get_object shows the retention")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k", "VersionId": v}]})
    check_eq(["AccessDenied"], [x["Code"] for x in r.get("Errors", [])], "delete_objects of a GOVERNANCE version: AccessDenied per key")
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k", "VersionId": v}]}, BypassGovernanceRetention=True)
    check_eq([("k", v)], [(x["Key"], x.get("VersionId")) for x in r.get("Deleted", [])], "  ... deleted with BypassGovernanceRetention")
    h = s3.put_object(Bucket=b, Key="h", Body=b"held", ObjectLockLegalHoldStatus="ON")["VersionId"]
    check_eq("ON", s3.get_object_legal_hold(Bucket=b, Key="h", VersionId=h)["LegalHold"]["Status"], "put_object with a legal hold")
    e = client_error(lambda: s3.delete_object(Bucket=b, Key="h", VersionId=h, BypassGovernanceRetention=True))
    check_eq("AccessDenied", code_of(e), "a legal hold blocks delete_object VersionId even with bypass")
    s3.put_object_legal_hold(Bucket=b, Key="h", VersionId=h, LegalHold={"Status": "OFF"})
    empty_bucket(s3, b, bypass=True)

    # Object Lock on an existing versioned bucket (AWS allows it since 2023).
    e2 = new_bucket(s3, "be")
    enable(s3, e2)
    s3.put_object_lock_configuration(Bucket=e2, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    check_eq("Enabled", s3.get_object_lock_configuration(Bucket=e2)["ObjectLockConfiguration"].get("ObjectLockEnabled"),
             "put_object_lock_configuration on an existing versioned bucket enables Object Lock")
    v = s3.put_object(Bucket=e2, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)["VersionId"]
    check_eq("AccessDenied", code_of(client_error(lambda: s3.delete_object(Bucket=e2, Key="k", VersionId=v))),
             "  ... and protects the versions written after")
    empty_bucket(s3, e2, bypass=True)

    p = new_bucket(s3, "bn")
    s3.put_object(Bucket=p, Key="k", Body=b"x")
    e = client_error(lambda: s3.put_object_retention(Bucket=p, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}))
    check_eq("InvalidRequest", code_of(e), "put_object_retention on a bucket without Object Lock: InvalidRequest")
    e = client_error(lambda: s3.put_bucket_versioning(Bucket=b + "-none", VersioningConfiguration={"Status": "Enabled"}))
    check_eq("NoSuchBucket", code_of(e), "put_bucket_versioning on a missing bucket: NoSuchBucket")
    s3.delete_object(Bucket=p, Key="k")
    s3.delete_bucket(Bucket=p)


def main():
    s3 = boto3.client("s3", endpoint_url=ENDPOINT, aws_access_key_id=ACCESS,
                      aws_secret_access_key=SECRET, region_name="us-east-1",
                      config=Config(retries={"total_max_attempts": 1}))
    global failed
    for scenario in (basic_flow, pagination, delete_objects_by_version, suspended, copy_from_version, object_lock):
        print("--", scenario.__name__)
        try:
            scenario(s3)
        except Exception:
            traceback.print_exc()
            failed += 1
            print("FAIL", scenario.__name__, "stopped by an exception", file=sys.stderr)


if __name__ == "__main__":
    main()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)
