"""What a new user trips on (issue 19, point 11): every command's --help and its
error output when an argument is missing; an output's format follows the extension
of -o FILE when --format is absent."""
import os
import re
import subprocess
import tempfile

# commands that run without arguments (on the default database)
NO_ARGS_RUN = {"init", "serve", "demo", "version", "rebuild", "audit", "routes"}


def run(binary, *args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "DIEUHANH_DB"}
    return subprocess.run([binary] + list(args), capture_output=True, text=True, timeout=60,
                          cwd=cwd, env=env)


def commands(binary, cwd):
    out = run(binary, "--help", cwd=cwd).stdout
    block = out.split("commands:\n")[1].split("\n\n")[0]
    return [l.split()[0] for l in block.splitlines()]


def test_every_help_and_missing_argument(ctx):
    d = tempfile.mkdtemp(prefix="dh-help-")
    binary = os.path.abspath(ctx.binary)
    cmds = commands(binary, d)
    assert len(cmds) >= 20 and "station" in cmds and "report" in cmds, cmds
    for c in cmds:
        r = run(binary, c, "--help", cwd=d)
        assert r.returncode == 0 and r.stderr == "", (c, r.returncode, r.stderr)
        assert r.stdout.startswith("usage: dieuhanh " + c), (c, r.stdout[:80])
        assert "%%" not in r.stdout and r.stdout.endswith("\n"), (c, r.stdout)
        for line in r.stdout.splitlines():
            assert len(line) <= 100, (c, line)
        if c in NO_ARGS_RUN:
            continue
        r = run(binary, c, cwd=d)
        # one reason and the pointer to --help: never the help text glued on
        assert r.returncode == 2 and r.stdout == "", (c, r.returncode, r.stdout)
        assert re.fullmatch(r"dieuhanh %s: [^\n]+\n\(see 'dieuhanh %s --help'\)\n" % (c, c),
                            r.stderr), (c, r.stderr)
    # subcommands with their own help and a missing argument
    for args, needs in ((("report", "late-daily"), "--unit"),
                        (("report", "completeness"), "--obligation"),
                        (("report", "trend"), "--unit"),
                        (("station", "import"), "FILE"),
                        (("gen", "events"), "--dossiers")):
        r = run(binary, *args, "--help", cwd=d)
        assert r.returncode == 0 and r.stdout.startswith("usage: dieuhanh " + args[0]), args
        assert "%%" not in r.stdout, args
        r = run(binary, *args, cwd=d)
        assert r.returncode == 2 and needs in r.stderr and "usage:" not in r.stderr, (args,
                                                                                   r.stderr)
    assert not os.listdir(d), os.listdir(d)  # no command made a database by accident


def test_gen_events_papercuts(ctx):
    d = tempfile.mkdtemp(prefix="dh-gen-")
    binary = os.path.abspath(ctx.binary)
    r = run(binary, "gen", "events", "--help", cwd=d)
    assert "about 60% online" in r.stdout and "5%\n" in r.stdout, r.stdout
    # without --db (and no database here): one line saying so, not the usage text
    r = run(binary, "gen", "events", "--dossiers", "5", "--from", "2025-01-01", "--to",
            "2025-01-31", cwd=d)
    assert r.returncode == 1 and r.stdout == "", r
    assert r.stderr.count("\n") == 1 and "no database" in r.stderr, r.stderr
    assert "usage" not in r.stderr


def test_output_format_follows_the_extension(ctx):
    d = tempfile.mkdtemp(prefix="dh-o-")
    binary = os.path.abspath(ctx.binary)
    r = run(binary, "calendar", "export", "2026", "-o", "lich-2026.ics", cwd=d)
    assert r.returncode == 0, r.stderr
    ics = open(os.path.join(d, "lich-2026.ics"), encoding="utf-8").read()
    assert ics.startswith("BEGIN:VCALENDAR") and "Tết" in ics, ics[:200]
    r = run(binary, "calendar", "export", "2026", "-o", "lich-2026.csv", cwd=d)
    assert open(os.path.join(d, "lich-2026.csv"), encoding="utf-8").read().startswith("date,")
    # --format wins over the extension
    r = run(binary, "calendar", "export", "2026", "--format", "csv", "-o", "x.ics", cwd=d)
    assert open(os.path.join(d, "x.ics"), encoding="utf-8").read().startswith("date,")
    s = ctx.server(demo=True)
    for ext, magic in (("xlsx", b"PK"), ("pdf", b"%PDF"), ("html", b"<!DOCTYPE"),
                       ("csv", None), ("json", b"{")):
        path = os.path.join(s.dir, "ii06a." + ext)
        r = s.cli("report", "ii06a", "--unit", "VT-P1", "--period", "2025-03", "-o", path,
                  "--db", s.db)
        assert r.returncode == 0, (ext, r.stderr)
        head = open(path, "rb").read(16)
        if magic:
            assert head.upper().startswith(magic.upper()), (ext, head)
        else:
            assert not head.startswith(b"{") and not head.startswith(b"PK"), (ext, head)
