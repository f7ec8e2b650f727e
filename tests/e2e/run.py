#!/usr/bin/env python3
"""Runs every test_* function of tests/e2e/test_*.py against one binary.

usage: run.py --bin PATH [-k SUBSTRING]
Prints "ok NAME" / "FAIL NAME" lines and ends with "N passed, N failed".
"""
import argparse
import glob
import importlib.util
import os
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("-k", default="")
    args = ap.parse_args()
    # Every temporary file of the tests, and of the programs they start (the
    # binary, Chromium, nginx), goes below one folder removed at the end, so
    # that a run leaves nothing behind in /tmp whatever a test forgot.
    run_tmp = tempfile.mkdtemp(prefix="dh-e2e-run-")
    # open like /tmp itself: some programs run as another user (initdb and the
    # PostgreSQL server of scripts/pg-test.sh run as nobody)
    os.chmod(run_tmp, 0o1777)
    os.environ["TMPDIR"] = run_tmp
    tempfile.tempdir = run_tmp
    try:
        return run_all(args)
    finally:
        shutil.rmtree(run_tmp, ignore_errors=True)


def run_all(args):
    here = os.path.dirname(os.path.abspath(__file__))
    passed = failed = 0
    for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for fname in sorted(n for n in dir(mod) if n.startswith("test_")):
            full = "%s.%s" % (name, fname)
            if args.k not in full:
                continue
            ctx = harness.Ctx(args.bin)
            t0 = time.time()
            try:
                getattr(mod, fname)(ctx)
                problems = ctx.close()
                if problems:
                    raise AssertionError("; ".join(problems))
                passed += 1
                print("ok   %s (%.1fs)" % (full, time.time() - t0))
            except Exception:
                logs = [sv.read_log() for sv in ctx.servers]
                problems = ctx.close()
                failed += 1
                print("FAIL %s" % full)
                print(traceback.format_exc())
                for p in problems or [l for l in logs if l.strip()]:
                    print("  server: " + p[-2000:])
            sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
