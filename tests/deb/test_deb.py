#!/usr/bin/env python3
"""The Debian package on this machine (issue 18, point 8): `make deb`, then
dpkg -i, `dieuhanh init` and `serve` as the user dieuhanh with the installed
settings file and the unit's ExecStart line, GET /api/v1/health over HTTP, a
reinstall over the running data, and dpkg --purge leaving nothing behind but
the system user (Debian keeps system users on purge); lintian, when
installed, finds no error or warning in the package.

It changes the system (a package, a user), so it runs once per `make test`
as its own step of scripts/run-tests.sh, not in every e2e pass; it needs root
and is skipped (counted as such) otherwise. systemd is not assumed to run:
the service is started as the unit would start it, with setpriv(1) taking
the unit's User= and NoNewPrivileges= and a clean environment.

usage: tests/deb/test_deb.py [--deb FILE]   (default: `make deb`'s package)
Prints "ok NAME", "FAIL NAME" or "skip NAME (why)" and ends with
"N passed, N failed, N skipped".
"""
import argparse
import grp
import http.client
import os
import pwd
import re
import shlex
import signal
import stat
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402

PKG = "dieuhanh"
UNIT = "/lib/systemd/system/dieuhanh.service"
CONF = "/etc/dieuhanh/dieuhanh.conf"
DATA = "/var/lib/dieuhanh"
# Everything the package or its scripts may create; none may stay after purge.
LEFT_AFTER_PURGE = [
    "/usr/bin/dieuhanh", "/etc/dieuhanh", DATA, UNIT, "/usr/share/doc/dieuhanh",
    "/usr/share/man/man1/dieuhanh.1.gz",
    "/etc/systemd/system/multi-user.target.wants/dieuhanh.service",
    "/etc/systemd/system/dieuhanh.service",
    "/var/lib/systemd/deb-systemd-helper-enabled/dieuhanh.service.dsh-also",
    "/var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/dieuhanh.service",
    "/var/lib/systemd/deb-systemd-helper-masked/dieuhanh.service",
]


class Skip(Exception):
    """The test cannot run here (and says why)."""


def run(*cmd, ok=True, **kw):
    r = subprocess.run(list(cmd), capture_output=True, text=True, timeout=120, **kw)
    if ok:
        assert r.returncode == 0, "%s: exit %d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                         r.stderr)
    return r


def pkg_status():
    r = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", PKG, ok=False)
    return r.stdout.strip() if r.returncode == 0 else ""


def unit_settings(path):
    """The [Service] settings of a unit file, each key's values in order."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("["):
                section = line
            elif section == "[Service]":
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
    return out


def as_service(unit, argv, env=None):
    """argv run as the unit would run it: its user and group, no new
    privileges, no capabilities, a clean environment, its working directory."""
    user = unit["User"][0]
    clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    clean.update(env or {})
    return (["setpriv", "--reuid", user, "--regid", unit["Group"][0], "--init-groups",
             "--no-new-privs", "--inh-caps=-all", "env", "-i"] +
            ["%s=%s" % kv for kv in sorted(clean.items())] + argv)


def owner(path):
    st = os.stat(path)
    return pwd.getpwuid(st.st_uid).pw_name, grp.getgrgid(st.st_gid).gr_name, \
        stat.S_IMODE(st.st_mode)


def health(port, deadline, proc, log):
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("serve exited with %d: %s" % (proc.returncode, log()))
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/api/v1/health")
            r = c.getresponse()
            body = r.read()
            c.close()
            return r.status, body
        except OSError:
            time.sleep(0.05)
    raise AssertionError("serve did not answer: " + log())


def purge_quietly():
    if pkg_status():
        subprocess.run(["dpkg", "--purge", PKG], capture_output=True, timeout=120)


def test_install_serve_purge(deb):
    if os.geteuid() != 0:
        raise Skip("not root: dpkg -i needs root")
    st = pkg_status()
    assert not st, ("a dieuhanh package is already here (%s); this test would remove it: "
                    "dpkg --purge dieuhanh first" % st)
    if deb is None:
        r = run("make", "-s", "deb", cwd=ROOT)
        deb = os.path.join(ROOT, r.stdout.strip().splitlines()[-1])
    server = None
    work = tempfile.mkdtemp(prefix="dh-deb-")
    # lintian (when installed) reads the package beside the rest of the test:
    # no error and no warning (docs/DEPLOY.md lists its informational notes).
    lint = None
    if os.path.exists("/usr/bin/lintian"):
        lint = subprocess.Popen(["lintian", "--pedantic", deb], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
    try:
        # Install: the package, its user, its directory and its settings.
        r = run("dpkg", "-i", deb)
        assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
        assert pkg_status() == "ii", pkg_status()
        fields = run("dpkg-query", "-W", "-f=${Depends}\n${Conffiles}\n", PKG).stdout
        assert "libsqlite3-0" in fields and "libmicrohttpd12" in fields, fields
        assert CONF in fields, fields  # a conffile: dpkg keeps the administrator's edits
        u = pwd.getpwnam("dieuhanh")
        assert u.pw_uid < 1000 and u.pw_dir == DATA and u.pw_shell.endswith("nologin"), u
        assert owner(DATA) == ("dieuhanh", "dieuhanh", 0o750), owner(DATA)
        assert owner(CONF) == ("root", "dieuhanh", 0o640), owner(CONF)
        assert os.path.exists("/usr/share/man/man1/dieuhanh.1.gz")
        man = run("man", "-l", "/usr/share/man/man1/dieuhanh.1.gz",
                  env=dict(os.environ, MANWIDTH="80", MANPAGER="cat", LC_ALL="C.UTF-8")).stdout
        assert "--config" in man and "smtp_password" in man, man[:500]

        # The unit: its user, its hardening, the command it starts.
        unit = unit_settings(UNIT)
        assert unit["User"] == ["dieuhanh"], unit
        for k, v in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
                     ("ReadWritePaths", DATA), ("PrivateTmp", "yes"), ("ProtectHome", "yes")):
            assert unit.get(k) == [v], (k, unit.get(k))
        argv = shlex.split(unit["ExecStart"][0])
        assert argv[:2] == ["/usr/bin/dieuhanh", "serve"] and "--config" in argv, argv
        if os.path.exists("/usr/bin/systemd-analyze"):
            r = run("systemd-analyze", "verify", UNIT, ok=False)
            assert r.returncode == 0 and not r.stderr.strip(), r.stderr

        # Where systemd runs, the postinst started the unit, which migrated
        # the database; stop it so that the steps below run alone.
        systemd = os.path.isdir("/run/systemd/system")
        if systemd:
            run("systemctl", "stop", "dieuhanh.service")

        # init as the user, with the installed settings (the same options
        # as the unit's ExecStart, the subcommand init).
        init = [argv[0], "init"] + argv[2:]
        r = run(*as_service(unit, init), cwd=unit["WorkingDirectory"][0])
        assert "migrated from schema 0" in r.stdout or (systemd and "up to date" in r.stdout), \
            r.stdout
        db = os.path.join(DATA, "dieuhanh.db")
        assert owner(db)[0] == "dieuhanh", owner(db)

        # serve, exactly the unit's ExecStart, on a free port: the
        # environment overrides the file's listen = 127.0.0.1:8080.
        port = harness.free_port()
        log_path = os.path.join(work, "serve.log")
        log = open(log_path, "w")
        server = subprocess.Popen(
            as_service(unit, argv, {"DIEUHANH_LISTEN": "127.0.0.1:%d" % port}),
            stdout=log, stderr=subprocess.STDOUT, cwd=unit["WorkingDirectory"][0])

        def read_log():
            with open(log_path) as f:
                return f.read()[-3000:]
        status, body = health(port, time.time() + 20, server, read_log)
        assert status == 200, (status, body)
        with open("/proc/%d/status" % server.pid) as f:
            uids = re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1)
        assert int(uids) == u.pw_uid, uids
        # (the line is written just after the listener starts: allow for the race)
        until = time.time() + 10
        while "serving on http://127.0.0.1:%d/" % port not in read_log():
            assert time.time() < until, read_log()
            time.sleep(0.05)

        # A reinstall over the running data (the upgrade path of the
        # scripts) keeps the database, the user and the settings' modes.
        run("dpkg", "-i", deb)
        if systemd:
            run("systemctl", "stop", "dieuhanh.service")
        assert pkg_status() == "ii" and os.path.exists(db)
        assert owner(CONF) == ("root", "dieuhanh", 0o640), owner(CONF)
        assert health(port, time.time() + 10, server, read_log)[0] == 200

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0, read_log()
        server = None
        log.close()

        # Purge: nothing of the package is left; the user stays.
        r = run("dpkg", "--purge", PKG)
        assert "warning" not in (r.stdout + r.stderr).lower(), r.stdout + r.stderr
        assert not pkg_status(), pkg_status()
        left = [p for p in LEFT_AFTER_PURGE if os.path.lexists(p)]
        left += [p for p in os.listdir("/var/lib/dpkg/info") if p.startswith(PKG + ".")]
        assert not left, left
        pwd.getpwnam("dieuhanh")
        if lint:
            out = lint.communicate(timeout=120)[0]
            bad = [l for l in out.splitlines() if l[:2] in ("E:", "W:")]
            assert lint.returncode == 0 and not bad, out
            lint = None
    finally:
        if lint:
            lint.kill()
            lint.wait()
        if server is not None:
            server.kill()
            server.wait()
        purge_quietly()
        subprocess.run(["rm", "-rf", work])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deb", help="the package to test (default: build it with make deb)")
    args = ap.parse_args()
    passed = failed = skipped = 0
    name = "test_deb.test_install_serve_purge"
    t0 = time.time()
    try:
        test_install_serve_purge(args.deb)
        passed += 1
        print("ok   %s (%.1fs)" % (name, time.time() - t0))
    except Skip as s:
        skipped += 1
        print("skip %s (%s)" % (name, s))
    except Exception:
        failed += 1
        print("FAIL %s" % name)
        print(traceback.format_exc())
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
