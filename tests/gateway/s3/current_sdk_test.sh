#!/usr/bin/env bash
# The boto3 suites again under a current botocore (1.36 or newer: it sends CRC checksums
# with every upload by default, in aws-chunked trailers), beside Debian's 1.29 that
# s3_boto3 uses. Looks for such a Python in PATH and pyenv; skips (exit 77) when this
# machine has none, since installing SDKs from PyPI is not part of `make test`.
set -uo pipefail
CCOW=$1
HERE=$(cd "$(dirname "$0")" && pwd)
for py in python3 "$HOME/.pyenv/shims/python3" /usr/local/bin/python3; do
  command -v "$py" >/dev/null 2>&1 || continue
  if "$py" -c 'import sys, boto3, botocore
v = tuple(int(x) for x in botocore.__version__.split(".")[:2])
sys.exit(0 if v >= (1, 36) else 1)' 2>/dev/null; then
    echo "botocore $("$py" -c 'import botocore; print(botocore.__version__)') from $py"
    PYTHONDONTWRITEBYTECODE=1 "$(command -v "$py")" "$HERE/encryption_test.py" "$CCOW" || { echo "FAIL: encryption_test"; exit 1; }
    PYTHON=$(command -v "$py") exec bash "$HERE/boto3_test.sh" "$CCOW" boto3_test boto3_auth_test checksums_test \
      conditional_writes_test post_object_test access_control_test list_buckets_test
  fi
done
echo "SKIP: no Python with botocore >= 1.36 here"
exit 77
