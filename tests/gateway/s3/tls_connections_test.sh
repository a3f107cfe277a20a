#!/usr/bin/env bash
# S3 over HTTPS (--tls-cert/--tls-key with a self-signed certificate made here), and many
# concurrent keep-alive connections: 200 clients at once, each doing a PUT and a GET on
# one connection, all answered, none lost.
set -euo pipefail
CCOW=$1
WORK=$(mktemp -d /tmp/ccow-s3tls.XXXXXX)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/s3_test_lib.sh"
trap 's3_stop_server; rm -rf "$WORK"' EXIT
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
s3_start_server "$CCOW" "$WORK" --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem" ||
  s3_fail "server did not start with TLS"
case "$S3_URL" in https://*) ;; *) s3_fail "the server did not announce https: $S3_URL" ;; esac
AWS=aws; [ -x /usr/bin/aws ] && AWS=/usr/bin/aws
export AWS_CA_BUNDLE="$WORK/cert.pem"
$AWS --endpoint-url "$S3_URL" s3 mb s3://tls >/dev/null || s3_fail "mb over TLS"
head -c 3000000 /dev/urandom >"$WORK/obj"
$AWS --endpoint-url "$S3_URL" s3 cp "$WORK/obj" s3://tls/obj >/dev/null || s3_fail "put over TLS"
$AWS --endpoint-url "$S3_URL" s3 cp s3://tls/obj "$WORK/back" >/dev/null || s3_fail "get over TLS"
cmp "$WORK/obj" "$WORK/back" || s3_fail "TLS round trip differs"
# Plain HTTP to the TLS port is refused, not served.
if curl -s -m 5 -o /dev/null "http://${S3_URL#https://}/" 2>/dev/null; then
  s3_fail "plain HTTP was answered on the TLS port"
fi

# 200 concurrent keep-alive connections.
/usr/bin/python3 - "$S3_URL" "$WORK/cert.pem" <<'PY'
import hashlib, hmac, http.client, ssl, sys, threading, time, urllib.parse
url, ca = sys.argv[1], sys.argv[2]
host = urllib.parse.urlparse(url).netloc
ctx = ssl.create_default_context(cafile=ca)
AK, SK, REGION = "ccow-admin", "ccow-admin-secret", "us-east-1"
def sign(method, path, body):
    t = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()); day = t[:8]
    ph = hashlib.sha256(body).hexdigest()
    h = {"host": host, "x-amz-content-sha256": ph, "x-amz-date": t}
    signed = ";".join(sorted(h))
    creq = "\n".join([method, path, "", "".join("%s:%s\n" % (k, h[k]) for k in sorted(h)), signed, ph])
    scope = "%s/%s/s3/aws4_request" % (day, REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", t, scope, hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + SK).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    h["Authorization"] = "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s" % (AK, scope, signed, sig)
    return h
errors, done = [], []
barrier = threading.Barrier(200, timeout=60)
def client(i):
    try:
        c = http.client.HTTPSConnection(host, context=ctx, timeout=60)
        c.connect()
        barrier.wait()  # all 200 connections open at once
        body = b"conn-%d" % i
        path = "/tls/c/%03d" % i
        c.request("PUT", path, body=body, headers=sign("PUT", path, body))
        r = c.getresponse(); r.read()
        if r.status != 200: raise Exception("PUT %d" % r.status)
        c.request("GET", path, headers=sign("GET", path, b""))  # same connection
        r = c.getresponse(); got = r.read()
        if r.status != 200 or got != body: raise Exception("GET %d %r" % (r.status, got))
        done.append(i)
    except Exception as e:
        errors.append("%d: %s" % (i, e))
ts = [threading.Thread(target=client, args=(i,)) for i in range(200)]
for t in ts: t.start()
for t in ts: t.join()
if errors or len(done) != 200:
    print("FAIL: %d done, errors: %s" % (len(done), errors[:5])); sys.exit(1)
print("200 concurrent TLS connections served")
PY
kill -0 "$SERVER_PID" || s3_fail "server died"
echo "1 passed, 0 failed"
