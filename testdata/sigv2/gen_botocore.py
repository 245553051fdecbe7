import json, boto3, botocore
from botocore.config import Config
from botocore.awsrequest import AWSRequest
from botocore.auth import HmacV1Auth
from botocore.credentials import Credentials

AK, SK = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
out = {"generator": "botocore " + botocore.__version__, "accessKey": AK, "presigned": [], "header": []}
for style in ["path", "virtual"]:
    for sigv in [None, "s3"]:
        cfg = Config(s3={"addressing_style": style}, signature_version=sigv) if sigv else Config(s3={"addressing_style": style})
        c = boto3.client("s3", endpoint_url="http://s3.example.test:9000", aws_access_key_id=AK, aws_secret_access_key=SK, region_name="us-east-1", config=cfg)
        for op, params in [("get_object", {"Bucket": "photos", "Key": "dir/a b+c(1)&é.txt"}),
                           ("get_object", {"Bucket": "photos", "Key": "k", "ResponseContentType": "text/plain"}),
                           ("put_object", {"Bucket": "photos", "Key": "upload.bin"}),
                           ("list_objects_v2", {"Bucket": "photos", "Prefix": "a/"})]:
            url = c.generate_presigned_url(op, Params=params, ExpiresIn=3600)
            method = {"get_object": "GET", "put_object": "PUT", "list_objects_v2": "GET"}[op]
            out["presigned"].append({"style": style, "signatureVersion": sigv or "default", "method": method, "url": url})
# Header-signed V2 requests exactly as a boto3 client with
# signature_version='s3' sends them, captured before they leave.
class Captured(Exception):
    pass
def capture(request, **kwargs):
    out["header"].append({"method": request.method, "url": request.url,
                          "headers": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in request.headers.items()}})
    raise Captured()
for style in ["path", "virtual"]:
    c = boto3.client("s3", endpoint_url="http://s3.example.test:9000", aws_access_key_id=AK, aws_secret_access_key=SK,
                     region_name="us-east-1", config=Config(s3={"addressing_style": style}, signature_version="s3",
                     retries={"max_attempts": 1}, request_checksum_calculation="when_required"))
    c.meta.events.register("before-send", capture)
    for op, params in [("get_object", {"Bucket": "photos", "Key": "dir/a b+c.txt"}),
                       ("put_object", {"Bucket": "photos", "Key": "obj", "Body": b"hello", "ContentType": "text/plain",
                                       "Metadata": {"owner": "alice", "team": "storage  team"}}),
                       ("upload_part", {"Bucket": "photos", "Key": "obj", "UploadId": "abc", "PartNumber": 2, "Body": b"x"}),
                       ("list_objects_v2", {"Bucket": "photos", "Prefix": "x/"}),
                       ("delete_objects", {"Bucket": "photos", "Delete": {"Objects": [{"Key": "a"}]}}),
                       ("get_object_acl", {"Bucket": "photos", "Key": "k"})]:
        try:
            getattr(c, op)(**params)
        except Captured:
            pass
print(json.dumps(out, indent=1, ensure_ascii=False))
