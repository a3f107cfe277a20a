"""A `ccow server` on a data directory as a child process, for the tests that run it with
flags of their own or stop and restart it (gc_test, object_lock_test)."""

import os
import re
import subprocess
import time


def admin_client(url):
    """A boto3 S3 client of the server's first administrator (ccow-admin), path style, no
    retries (a test sees the first answer)."""
    import boto3
    import botocore.config
    cfg = botocore.config.Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"})
    return boto3.client("s3", endpoint_url=url, aws_access_key_id="ccow-admin",
                        aws_secret_access_key="ccow-admin-secret", region_name="us-east-1", config=cfg)


class ServerProcess:
    def __init__(self, ccow, data, log_path, flags, fail):
        self.ccow, self.data, self.log_path, self.flags, self.fail = ccow, data, log_path, flags, fail
        self.proc = None

    def start(self):
        """Starts the server; returns its S3 and admin endpoints (http://HOST:PORT) once it
        prints them, or calls fail()."""
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([self.ccow, "server", "--data", self.data, "--s3-listen", "127.0.0.1:0",
                                      "--admin-listen", "127.0.0.1:0", *self.flags],
                                     stdout=log, stderr=subprocess.STDOUT)
        for _ in range(200):
            text = open(self.log_path).read().split("ccow server:")[-1]
            s3 = re.search(r"^  S3\s+(http://[0-9.:]+)", text, re.M)
            admin = re.search(r"^  health\s+(http://[0-9.:]+)/health", text, re.M)
            if s3 and admin:
                return s3.group(1), admin.group(1)
            if self.proc.poll() is not None:
                self.fail("the server exited")
            time.sleep(0.05)
        self.fail("the server did not start")

    def stop(self):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
