"""What the ISGW tests share: a site (a `ccow server` with a link end on its own data
directory, driven with boto3 and the CLI), bounded waits, and reads that answer None for a
missing key. Each test sets WORK and CCOW first (configure())."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "gateway", "s3"))
from server_process import ServerProcess, admin_client  # noqa: E402

CCOW = None
WORK = None
SITES = []  # every site started, stopped at the end whatever happens


def configure(ccow, work):
    global CCOW, WORK
    CCOW, WORK = ccow, work


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    for name in sorted(os.listdir(WORK)):
        if name.endswith(".log"):
            print("---- " + name, file=sys.stderr)
            print(open(os.path.join(WORK, name)).read()[-4000:], file=sys.stderr)
    sys.exit(1)


def ccow(data, *args, ok=True):
    r = subprocess.run([CCOW, "--data", data, *args], capture_output=True, text=True, timeout=60)
    if ok and r.returncode != 0:
        fail("ccow %s: exit %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r


class Site:
    def __init__(self, name, link_flags, services=("hawaii",)):
        self.name = name
        self.data = os.path.join(WORK, name)
        self.services = services
        flags = [f for s in services for f in ("--isgw", s)]
        self.server = ServerProcess(CCOW, self.data, os.path.join(WORK, name + ".log"),
                                    [*flags, "--isgw-listen", "127.0.0.1:0", *link_flags], fail)

    def start(self):
        if self not in SITES:
            SITES.append(self)
        if os.path.exists(self.server.log_path):  # a restart: parse only the new run's output
            os.replace(self.server.log_path, self.server.log_path + ".before")
        self.s3_url, self.admin = self.server.start()
        text = open(self.server.log_path).read().split("ccow server:")[-1]
        m = re.search(r"isgw\s+service %s, receiving on ([0-9.]+:\d+)" % re.escape(self.services[0]), text)
        if not m:
            fail("site %s printed no link endpoint" % self.name)
        self.link = m.group(1)
        self.s3 = admin_client(self.s3_url)

    def status(self, service=None):
        info = json.load(open(os.path.join(self.data, "server.json")))
        req = urllib.request.Request("%s/admin/isgw?service=%s" % (self.admin, service or self.services[0]),
                                     headers={"Authorization": "Bearer " + info["admin_token"]})
        return json.load(urllib.request.urlopen(req, timeout=10))


    def link_to(self, other, path, service="hawaii", interval="200ms", settings=()):
        """Makes this site an end of `service` serving `path` with `other` as its remote
        (the settings first, the remote last, so the first round sees them all)."""
        ccow(self.data, "service", "create", "isgw", service)
        ccow(self.data, "service", "serve", service, path)
        ccow(self.data, "service", "config", service, "batch-interval", interval)
        for key, value in settings:
            ccow(self.data, "service", "config", service, key, value)
        ccow(self.data, "service", "config", service, "remote", "ccow://" + other.link)

    def body(self, bucket, key):
        return body_of(self.s3, bucket, key)

    def versions(self, bucket, key):
        return versions(self.s3, bucket, key)


def start_sites(names, token, bucket, **create):
    """Starts a site per name (a shared link token), each with `bucket` created (with
    `create`'s extra arguments) and versioned."""
    out = []
    for name in names:
        site = Site(name, ["--isgw-token", token])
        site.start()
        site.s3.create_bucket(Bucket=bucket, **create)
        site.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        out.append(site)
    return out


def settle(sites, quiet=1.5, timeout=60):
    """Waits until no link of these sites (every service each runs) compares another list
    for `quiet` seconds (several 200 ms rounds): nothing is left to ship either way."""
    def compared():
        return [s.status(svc)["lists_compared"] for s in sites for svc in s.services]
    deadline = time.time() + timeout
    while time.time() < deadline:
        before = compared()
        time.sleep(quiet)
        if compared() == before:
            return
    fail("the links never went idle: %s" % [s.status() for s in sites])


def converged(sites, bucket, expect):
    """Every site reads every key of `expect` as given (None: absent), with one history."""
    for key, data in expect.items():
        if any(s.body(bucket, key) != data for s in sites):
            return False
        if len({tuple(s.versions(bucket, key)) for s in sites}) != 1:
            return False
    return True


def run(main, prefix):
    """Runs main() with `ccow` from argv[1] in a new WORK directory, and stops every site
    and removes WORK (unless KEEP is set) whatever happens."""
    import shutil
    import tempfile
    configure(sys.argv[1], tempfile.mkdtemp(prefix=prefix))
    try:
        main()
    finally:
        stop_all()
        if not os.environ.get("KEEP"):
            shutil.rmtree(WORK, ignore_errors=True)


def stop_all():
    for s in SITES:
        s.server.stop()


def wait_for(what, check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.1)
    fail("timed out waiting for " + what)


def body_of(s3, bucket, key):
    try:
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def versions(s3, bucket, key):
    r = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return sorted((v["VersionId"], v["ETag"]) for v in r.get("Versions", []) if v["Key"] == key)
