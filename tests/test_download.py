"""Tests for :mod:`tinysr.data.download`: resumable, verified transfers, safe extraction, the benchmark layout,
and the plan / run behind ``tinysr download`` and ``data_scripts/download.py``.

Everything network-related talks only to an HTTP server on 127.0.0.1 started here (an ephemeral port,
in a thread, shut down at the end); nothing reaches the internet. The server understands ``Range``
requests and can be told to drop the connection part-way through a file, or to ignore ``Range``, so
that resuming, restarting and verification are exercised for real. The entry points themselves (the
script against the CLI, as subprocesses) are tested in ``tests/test_data_scripts.py``.
"""
from __future__ import annotations

import hashlib
import io
import socket
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from tinysr import cli
from tinysr.data.download import (
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    command,
    safe_extract,
    sources,
    transfer,
)
from tinysr.data.download.install import download_plan


# ------------------------------------------------------------------------------------------ the server
class _State:
    """What the handler serves and how it misbehaves; shared between the test and the server thread."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.drop_after: dict[str, int] = {}    # name -> bytes sent before cutting the first response
        self.ignore_range: set[str] = set()     # names for which Range is ignored (plain 200)
        self.requests: list[tuple[str, str | None]] = []   # (name, Range header)


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:   # keep pytest output clean
            pass

        def do_GET(self) -> None:  # http.server's naming
            name = self.path.lstrip("/")
            rng = self.headers.get("Range")
            state.requests.append((name, rng))
            path = state.root / name
            if not path.is_file():
                self.send_error(404, "not found")
                return
            data = path.read_bytes()
            start = 0
            if rng and name not in state.ignore_range and rng.startswith("bytes="):
                start = int(rng[len("bytes="):].split("-")[0])
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            cut = state.drop_after.pop(name, None)
            if cut is not None:      # promise the whole body, send part of it, hang up
                self.wfile.write(body[:cut])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, _State]]:
    """``(base_url, state)`` of a local HTTP server serving ``tmp_path / "srv"``."""
    root = tmp_path / "srv"
    root.mkdir()
    state = _State(root)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _closed_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _payload(n: int, seed: int = 0) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ------------------------------------------------------------------------------------------- download
def test_download_verifies_and_is_idempotent(server, tmp_path):
    base, state = server
    data = _payload(300_000)
    (state.root / "a.bin").write_bytes(data)
    dest = tmp_path / "out" / "a.bin"
    assert transfer.download_file(f"{base}/a.bin", dest, _sha(data), size=len(data), quiet=True) == dest
    assert dest.read_bytes() == data
    assert not dest.with_name("a.bin.part").exists()
    n = len(state.requests)
    transfer.download_file(f"{base}/a.bin", dest, _sha(data), quiet=True)        # present and verified: no request
    assert len(state.requests) == n


def test_interrupted_download_resumes_with_range(server, tmp_path):
    base, state = server
    data = _payload(250_000, seed=1)
    (state.root / "big.bin").write_bytes(data)
    state.drop_after["big.bin"] = 100_000
    dest = tmp_path / "big.bin"
    with pytest.raises(DownloadError, match=r"big\.bin\.part.*[Rr]e-run to resume"):
        transfer.download_file(f"{base}/big.bin", dest, _sha(data), retries=0, quiet=True)
    part = tmp_path / "big.bin.part"
    assert part.stat().st_size == 100_000 and not dest.exists()
    transfer.download_file(f"{base}/big.bin", dest, _sha(data), retries=0, quiet=True)   # the re-run resumes
    assert state.requests[-1] == ("big.bin", "bytes=100000-")
    assert dest.read_bytes() == data and not part.exists()


def test_automatic_retry_resumes_in_one_call(server, tmp_path):
    base, state = server
    data = _payload(200_000, seed=2)
    (state.root / "c.bin").write_bytes(data)
    state.drop_after["c.bin"] = 70_000
    dest = transfer.download_file(f"{base}/c.bin", tmp_path / "c.bin", _sha(data), retries=2, retry_wait=0, quiet=True)
    assert dest.read_bytes() == data
    assert state.requests == [("c.bin", None), ("c.bin", "bytes=70000-")]


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    base, state = server
    data = _payload(120_000, seed=3)
    (state.root / "d.bin").write_bytes(data)
    state.ignore_range.add("d.bin")
    (tmp_path / "d.bin.part").write_bytes(data[:5000])
    dest = transfer.download_file(f"{base}/d.bin", tmp_path / "d.bin", _sha(data), quiet=True)
    assert state.requests == [("d.bin", "bytes=5000-")]
    assert dest.read_bytes() == data           # not 5000 stale bytes + the whole file


def test_complete_part_file_is_verified_not_refetched(server, tmp_path):
    base, state = server
    data = _payload(50_000, seed=4)
    (state.root / "e.bin").write_bytes(data)
    (tmp_path / "e.bin.part").write_bytes(data)
    transfer.download_file(f"{base}/e.bin", tmp_path / "e.bin", _sha(data), quiet=True)   # server answers 416
    assert (tmp_path / "e.bin").read_bytes() == data
    assert state.requests == [("e.bin", "bytes=50000-")]


def test_checksum_mismatch_names_file_and_both_hashes(server, tmp_path):
    base, state = server
    data = _payload(10_000, seed=5)
    (state.root / "f.bin").write_bytes(data)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as info:
        transfer.download_file(f"{base}/f.bin", tmp_path / "f.bin", wrong, quiet=True)
    msg = str(info.value)
    assert "f.bin" in msg and wrong in msg and _sha(data) in msg
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()
    assert (tmp_path / "f.bin.corrupt").read_bytes() == data      # kept for inspection, never resumed
    # A hand-placed wrong file is reported the same way (and left alone).
    (tmp_path / "g.bin").write_bytes(b"not it")
    with pytest.raises(ChecksumError, match="g.bin.*expected " + wrong):
        transfer.verify_file(tmp_path / "g.bin", wrong)


def test_verify_md5_and_missing_checksum_warning(tmp_path, capsys):
    path = tmp_path / "h.bin"
    path.write_bytes(b"hello")
    sha = _sha(b"hello")
    assert transfer.verify_file(path, md5=hashlib.md5(b"hello").hexdigest()) == sha
    with pytest.raises(ChecksumError, match="md5 mismatch"):
        transfer.verify_file(path, md5="0" * 32)
    capsys.readouterr()
    assert transfer.verify_file(path) == sha
    err = capsys.readouterr().err
    assert "no published checksum" in err and sha in err


def test_http_error_is_reported(server, tmp_path):
    base, _ = server
    with pytest.raises(DownloadError, match="HTTP 404"):
        transfer.download_file(f"{base}/missing.bin", tmp_path / "missing.bin", quiet=True)


def test_dry_run_lists_everything_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "nothing-here"
    assert command.main(["all", "--dry-run", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    for srcs in sources.SOURCES.values():
        for src in srcs:
            assert src.url in out
            assert str(root / ("official" if src.layout == "file" else "downloads") / src.filename) in out
    assert "3.53 GB" in out and "md5 only" in out
    assert not root.exists()
    port = _closed_port()      # a mirror is listed, never contacted
    assert command.main(["div2k", "--parts", "valid_x4", "--dry-run", "--root", str(root),
                    "--mirror", f"http://127.0.0.1:{port}/m"]) == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{port}/m/DIV2K_valid_LR_bicubic_X4.zip" in out and "DIV2K_train_HR" not in out
    assert not root.exists()


def test_unknown_part_is_a_usage_error(capsys):
    assert command.main(["div2k", "--parts", "train_x8", "--dry-run"]) == 2
    assert "valid parts" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------ extraction
def _zip(path: Path, members: dict[str, bytes], symlinks: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)          # unix symlink
            zf.writestr(info, target)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo | tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w") as tf:
        for m in members:
            if isinstance(m, tarfile.TarInfo):
                tf.addfile(m)
            else:
                info = tarfile.TarInfo(m[0])
                info.size = len(m[1])
                tf.addfile(info, io.BytesIO(m[1]))
    return path


def _link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    info.linkname = target
    return info


@pytest.mark.parametrize("bad", ["../evil", "ok/../../evil", "/abs/evil", "C:/evil"])
def test_zip_with_escaping_member_is_refused(tmp_path, bad):
    archive = _zip(tmp_path / "x.zip", {"good.txt": b"1", bad: b"2"})
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError, match=repr(bad).replace("\\", "\\\\")):
        safe_extract(archive, dest)
    assert not dest.exists()                       # checked before anything was written
    assert not (tmp_path / "evil").exists()


def test_zip_symlink_outside_is_refused(tmp_path):
    archive = _zip(tmp_path / "s.zip", {"a.txt": b"1"}, symlinks={"link": "../../etc/passwd"})
    with pytest.raises(UnsafeArchiveError, match="'link'.*symlink"):
        safe_extract(archive, tmp_path / "dest")


@pytest.mark.parametrize("member, what", [
    (("../evil", b"x"), "'..'"),
    (("/abs/evil", b"x"), "absolute"),
    (_link("d/link", "../../outside"), "symlink"),
    (_link("link", "/etc/passwd"), "absolute"),
    (_link("hard", "../outside", hard=True), "hard link"),
])
def test_tar_with_escaping_member_is_refused(tmp_path, member, what):
    archive = _tar(tmp_path / "x.tar", [("good.txt", b"1"), member])
    name = member.name if isinstance(member, tarfile.TarInfo) else member[0]
    dest = tmp_path / "dest"
    with pytest.raises(UnsafeArchiveError) as info:
        safe_extract(archive, dest)
    assert repr(name) in str(info.value) and what in str(info.value)
    assert not dest.exists()


def test_safe_archives_extract(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"top/a.txt": b"a", "top/sub/b.txt": b"b"})
    assert sorted(safe_extract(z, tmp_path / "z")) == ["top/a.txt", "top/sub/b.txt"]
    assert (tmp_path / "z" / "top" / "sub" / "b.txt").read_bytes() == b"b"
    t = _tar(tmp_path / "ok.tar", [("top/a.txt", b"a"), _link("top/alias", "a.txt")])
    safe_extract(t, tmp_path / "t")
    assert (tmp_path / "t" / "top" / "alias").read_bytes() == b"a"     # in-tree symlink is fine
    (tmp_path / "plain.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        safe_extract(tmp_path / "plain.txt", tmp_path / "p")


# ----------------------------------------------------------------------------------- install (end to end)
def test_install_arranges_benchmarks_and_div2k(server, tmp_path, monkeypatch, capsys):
    base, state = server
    sets = ("Set5", "Set14")
    members = []
    for s in sets:
        members += [(f"benchmark/{s}/HR/img.png", s.encode()),
                    (f"benchmark/{s}/LR_bicubic/X2/imgx2.png", b"lr2"),
                    (f"benchmark/{s}/LR_bicubic/X4/img.png", b"lr4")]    # suffix missing: normalised
    bench = _tar(state.root / "benchmark.tar", members).read_bytes()
    div2k = _zip(state.root / "DIV2K_valid_HR.zip", {"DIV2K_valid_HR/0801.png": b"hr"}).read_bytes()
    monkeypatch.setattr(sources, "SOURCES", {
        "benchmarks": (sources.Source("benchmark", "https://example.invalid/benchmark.tar", _sha(bench),
                                      layout="benchmarks", target="benchmarks"),),
        "div2k": (sources.Source("valid_hr", "https://example.invalid/DIV2K_valid_HR.zip", _sha(div2k),
                                 target="DIV2K"),),
    })
    root = tmp_path / "data"
    argv = ["all", "--root", str(root), "--mirror", base, "--parts", "Set5,Set14", "valid_hr", "-q"]
    assert command.main(argv) == 0
    for s in sets:
        assert (root / "benchmarks" / s / "HR" / "img.png").read_bytes() == s.encode()
        assert (root / "benchmarks" / s / "LR_bicubic" / "X2" / "imgx2.png").exists()
        assert (root / "benchmarks" / s / "LR_bicubic" / "X4" / "imgx4.png").exists()
    assert not (root / "benchmarks" / "benchmark").exists()
    assert (root / "DIV2K" / "DIV2K_valid_HR" / "0801.png").read_bytes() == b"hr"
    n = len(state.requests)
    assert command.main(argv + ["--remove-archives"]) == 0          # already done: no request, nothing redone
    assert len(state.requests) == n
    capsys.readouterr()
    missing = ["benchmarks", "--root", str(root), "--mirror", base, "--parts", "B100", "-q"]
    assert command.main(missing) == 1                       # the script: 1 for a failed download
    err = capsys.readouterr().err
    assert "no B100/ folder" in err and err.startswith("download.py: error: ")
    assert cli.main(["download", *missing]) == 2            # tinysr: 2 for every error, one line
    err = capsys.readouterr().err
    assert err.startswith("tinysr download: error: ") and "no B100/ folder" in err
    assert len(err.strip().splitlines()) == 1


def test_cli_checksum_failure_is_one_line_exit_2(server, tmp_path, monkeypatch, capsys):
    base, state = server
    (state.root / "w.pt").write_bytes(b"not the released bytes")
    monkeypatch.setattr(sources, "SOURCES", {
        "official": (sources.Source("dlsr", "https://example.invalid/w.pt", "0" * 64, layout="file",
                                    target="official"),)})
    argv = ["download", "official", "--root", str(tmp_path / "data"), "--mirror", base, "-q"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("tinysr download: error: sha256 mismatch for ")
    assert (tmp_path / "data" / "official" / "w.pt.corrupt").exists()
    assert not (tmp_path / "data" / "official" / "w.pt").exists()


# ------------------------------------------------------------------------------------------ the root
def test_downloads_land_in_the_data_rules_first_folder(tmp_path, monkeypatch):
    """``$TINYSR_DATA`` if set, else ``./datasets``; never ``$TINYSR_SHARED/data`` (read-only)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYSR_SHARED", str(tmp_path / "shared"))
    monkeypatch.delenv("TINYSR_DATA", raising=False)
    name = "RFDN_beta21_ps128_20210128_1000.pt"
    assert f"-> {Path('datasets') / 'official' / name} " in download_plan("official", parts=["dlsr"])[0]
    monkeypatch.setenv("TINYSR_DATA", str(tmp_path / "mine"))
    assert f"-> {tmp_path / 'mine' / 'official' / name} " in download_plan("official", parts=["dlsr"])[0]
    assert not (tmp_path / "mine").exists() and not (tmp_path / "datasets").exists()
