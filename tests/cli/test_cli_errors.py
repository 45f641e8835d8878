"""The CLI's remaining unclean errors, each one clear line with the documented exit code and
nothing moved: undecodable argv bytes, a binary config file, an unwritable HIGGSCTL_HOME,
--ref naming something that is not a file, a rejected key, a refused connection, and the
operator account named before it exists."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from higgsctl.engine.models import Generation, LedgerEntry

CLI = [sys.executable, "-c", "from higgsctl.cli import main; main()"]
BAD_BYTES = ["\udcff", "caf\udce9", "a fox \udcff\udcfe in snow", "\udcc3\udc28"]  # argv bytes Python could not decode


def _one_error(stderr: str) -> None:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("Error: "), stderr
    assert len(lines) <= 2 and "Traceback" not in stderr, stderr  # the line and its hint


def _books(engine) -> tuple[int, int]:
    return LedgerEntry.select().count(), Generation.select().count()


# --- invalid UTF-8 in arguments ----------------------------------------------------------

@pytest.mark.parametrize("bad", BAD_BYTES)
@pytest.mark.parametrize("args", [
    ("generate", "{}", "--sandbox", "--yes"),
    ("users", "list", "--search", "{}"),
    ("history", "-q", "{}"),
    ("credits", "grant", "0", "5", "--reason", "{}"),
    ("credits", "grant", "@{}", "5"),
])
def test_undecodable_argument_bytes_are_a_usage_error(cli, engine, bad, args):
    engine.users.operator()
    before = _books(engine)
    result = cli(*[a.format(bad) for a in args])
    assert result.exit_code == 2, result.stderr
    _one_error(result.stderr)
    assert "not valid UTF-8" in result.stderr
    assert _books(engine) == before and engine.credits.balance(0) == 10000


def test_undecodable_prompt_bytes_from_a_real_argv(home):
    """The bytes reach Python as surrogate escapes, as from a shell in a non-UTF-8 locale."""
    done = subprocess.run([os.fsencode(a) for a in CLI] + [b"generate", b"a fox \xff\xfe", b"--sandbox", b"--yes"],
                          capture_output=True, env={**os.environ, "HIGGSCTL_HOME": str(home)}, timeout=120)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, stderr
    assert "The prompt contains bytes that are not valid UTF-8 text." in stderr and "Traceback" not in stderr


# --- a binary config file ----------------------------------------------------------------

@pytest.mark.parametrize("content", [
    b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)),  # an executable
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # an image
    "[credits]\ninitial = 5\n".encode("utf-16"),  # text in another encoding
    "[telegram]\ntoken = \"caf\xe9\"\n".encode("latin-1"),
    b"\xff\xfe\xfd",
], ids=["executable", "png", "utf-16", "latin-1", "junk"])
def test_binary_config_file_is_a_config_error(cli, home, content):
    (home / "config.toml").write_bytes(content)
    result = cli("users", "list")
    assert result.exit_code == 3, result.stderr
    _one_error(result.stderr)
    assert "config.toml: not UTF-8 text" in result.stderr


# --- an unwritable HIGGSCTL_HOME ---------------------------------------------------------

COMMANDS = [("users", "list"), ("credits", "grant", "0", "5"), ("generate", "a fox", "--sandbox", "--yes"),
            ("db", "migrate"), ("history",)]


def _run(home: Path, *args: str, user: list[str] = ()) -> subprocess.CompletedProcess:
    return subprocess.run([*user, *CLI, *args], capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                          env={**os.environ, "HIGGSCTL_HOME": str(home)})


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_home_under_a_regular_file_is_a_config_error(tmp_path, args):
    (tmp_path / "a-file").write_text("x")
    done = _run(tmp_path / "a-file" / "home", *args)
    assert done.returncode == 3, done.stderr
    _one_error(done.stderr)
    assert "Not a directory" in done.stderr


NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
as_nobody = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"),
                               reason="needs root and setpriv to run as an unprivileged user")


@functools.cache
def _nobody_can_run_higgsctl() -> bool:
    """The unprivileged user must reach the interpreter and the source tree: a checkout in a
    root-only folder (``mktemp -d``, as a CI clone may be) is out of its reach."""
    done = subprocess.run([*NOBODY, *CLI, "--version"], capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    return done.returncode == 0


@pytest.fixture
def root_owned_dir():
    """A directory nobody else may write to (outside pytest's root-only tmp tree)."""
    if not _nobody_can_run_higgsctl():
        pytest.skip("the unprivileged user can't read this checkout or its interpreter")
    path = Path(tempfile.mkdtemp(prefix="higgsctl-ro-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@as_nobody
@pytest.mark.parametrize("existing", [False, True], ids=["empty home", "home with data"])
@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_home_the_user_cannot_write_is_a_config_error(root_owned_dir, existing, args):
    home = root_owned_dir / "home"
    if existing:  # made by another (root) user: the database, logs and storage exist, read-only to us
        assert _run(home, "generate", "a fox", "--sandbox", "--yes", "--sandbox-service-time", "0").returncode == 0
        for path in [home, *home.rglob("*")]:
            path.chmod(path.stat().st_mode & ~(stat.S_IWGRP | stat.S_IWOTH))
    else:
        home.mkdir(mode=0o755)
    before = sorted((p.name, p.stat().st_size) for p in home.rglob("*") if p.is_file())
    done = _run(home, *args, user=NOBODY)
    assert done.returncode == 3, done.stderr
    _one_error(done.stderr)
    assert sorted((p.name, p.stat().st_size) for p in home.rglob("*") if p.is_file()) == before


# --- --ref naming something that is not a file ----------------------------------------------

@pytest.fixture
def not_files(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock.png"))
    (tmp_path / "folder.png").mkdir()
    yield {
        "directory": (tmp_path / "folder.png", "is a directory"),
        "fifo": (fifo, "is a named pipe (FIFO), not a file"),
        "char device": (Path("/dev/null"), "is a device, not a file"),
        "socket": (tmp_path / "sock.png", "is a socket, not a file"),
        "missing": (tmp_path / "nope.png", "does not exist"),
    }
    sock.close()


@pytest.mark.parametrize("kind", ["directory", "fifo", "char device", "socket", "missing"])
def test_ref_that_is_not_a_file_says_what_it_is(cli, engine, not_files, png, kind):
    path, says = not_files[kind]
    engine.users.operator()
    before = _books(engine)
    result = cli("generate", "a fox", "--sandbox", "--yes", "--ref", png, "--ref", path)
    assert result.exit_code == 2, result.stderr
    _one_error(result.stderr)
    assert f"Reference {path.name!r} {says}." in result.stderr
    assert _books(engine) == before


# --- Higgsfield: a rejected key, a refused connection --------------------------------------

@pytest.mark.parametrize("key", ["wrong-id:wrong-secret", "hf-key-id:wrong-secret", "wrong-id:hf-secret-value-123"])
def test_rejected_key_exits_3_with_a_hint_and_holds_nothing(cli, engine, sandbox_server, key):
    engine.users.operator()
    before = _books(engine)
    result = cli("generate", "a fox", "--yes", env={"HIGGSCTL_BASE_URL": sandbox_server.base_url, "HF_KEY": key})
    assert result.exit_code == 3, result.stderr
    assert "Higgsfield rejected the API credentials (HTTP 401)" in result.stderr
    assert "api_key/api_secret" in result.stderr and key.split(":")[1] not in result.stderr
    assert _books(engine) == before and engine.credits.balance(0) == 10000
    assert sandbox_server.stats.submits == 0


def test_key_rejected_during_the_run_exits_3_and_releases(engine, settings, sandbox_server):
    """A key revoked between the check and the submit: the job ends failed with its credits
    released, and the exit code says it is the key (3), not a failed generation (5)."""
    import asyncio
    from dataclasses import replace

    import typer

    from higgsctl.cli.generate import _finish, run_generate
    from higgsctl.engine import GenerationRequest

    engine.users.operator()
    wrong = replace(settings, higgsfield=replace(settings.higgsfield, base_url=sandbox_server.base_url,
                                                 api_key="hf-key-id", api_secret="revoked-secret"))
    request = GenerationRequest(user_id=0, model="nano-banana", prompt="a fox", aspect_ratio="1:1", source="cli")
    result = asyncio.run(run_generate(wrong, [request], sandbox=False))
    outcome = [(r["status"], r["charge"], r["error_code"]) for r in result.rows]
    assert outcome == [("failed", "released", "service_auth")]
    with pytest.raises(typer.Exit) as exit_:
        _finish(result)
    assert exit_.value.exit_code == 3
    assert engine.credits.balance(0) == 10000 and engine.credits.discrepancies() == []


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_refused_connection_is_cannot_connect_not_a_timeout(cli, engine, closed_port):
    engine.users.operator()
    before = _books(engine)
    env = {"HIGGSCTL_BASE_URL": f"http://127.0.0.1:{closed_port}", "HF_KEY": "some-id:some-secret"}
    result = cli("generate", "a fox", "--yes", env=env)
    assert result.exit_code == 4, result.stderr
    _one_error(result.stderr)
    assert f"Cannot connect to 127.0.0.1:{closed_port}: Connection refused." in result.stderr
    assert "imed out" not in result.stderr
    assert _books(engine) == before
    check = cli("config", "check", "--online", env=env)
    assert check.exit_code == 4 and f"Cannot connect to 127.0.0.1:{closed_port}: Connection refused" in check.stdout


# --- the operator account --------------------------------------------------------------------

@pytest.mark.parametrize("first", [("credits", "grant", "0", "500"), ("credits", "show", "0"),
                                   ("credits", "ledger", "0"), ("users", "show", "0")])
def test_operator_account_can_be_named_before_it_exists(cli, engine, first):
    result = cli(*first)
    assert result.exit_code == 0, result.stderr
    granted = 500 if first[1] == "grant" else 0
    assert engine.credits.balance(0) == 10000 + granted
    assert engine.credits.discrepancies() == []
