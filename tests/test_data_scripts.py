"""Tests for ``data_scripts/download.py`` and ``data_scripts/prepare.py``.

Everything network-related talks only to an HTTP server on 127.0.0.1 started here (an ephemeral port,
in a thread, shut down at the end); nothing reaches the internet. The server understands ``Range``
requests and can be told to drop the connection part-way through a file, or to ignore ``Range``, so
that resuming, restarting and verification are exercised for real.
"""
from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import socket
import subprocess
import sys
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Iterator

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = REPO / "data_scripts"


def _load(name: str) -> ModuleType:
    """Import ``data_scripts/<name>.py`` by path (the folder is not an installed package)."""
    spec = importlib.util.spec_from_file_location(f"_tinysr_data_scripts_{name}", SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module   # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


dl = _load("download")


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

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
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
    assert dl.download(f"{base}/a.bin", dest, _sha(data), size=len(data), quiet=True) == dest
    assert dest.read_bytes() == data
    assert not dest.with_name("a.bin.part").exists()
    n = len(state.requests)
    dl.download(f"{base}/a.bin", dest, _sha(data), quiet=True)        # present and verified: no request
    assert len(state.requests) == n


def test_interrupted_download_resumes_with_range(server, tmp_path):
    base, state = server
    data = _payload(250_000, seed=1)
    (state.root / "big.bin").write_bytes(data)
    state.drop_after["big.bin"] = 100_000
    dest = tmp_path / "big.bin"
    with pytest.raises(dl.DownloadError, match=r"big\.bin\.part.*[Rr]e-run to resume"):
        dl.download(f"{base}/big.bin", dest, _sha(data), retries=0, quiet=True)
    part = tmp_path / "big.bin.part"
    assert part.stat().st_size == 100_000 and not dest.exists()
    dl.download(f"{base}/big.bin", dest, _sha(data), retries=0, quiet=True)   # the re-run resumes
    assert state.requests[-1] == ("big.bin", "bytes=100000-")
    assert dest.read_bytes() == data and not part.exists()


def test_automatic_retry_resumes_in_one_call(server, tmp_path):
    base, state = server
    data = _payload(200_000, seed=2)
    (state.root / "c.bin").write_bytes(data)
    state.drop_after["c.bin"] = 70_000
    dest = dl.download(f"{base}/c.bin", tmp_path / "c.bin", _sha(data), retries=2, retry_wait=0, quiet=True)
    assert dest.read_bytes() == data
    assert state.requests == [("c.bin", None), ("c.bin", "bytes=70000-")]


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    base, state = server
    data = _payload(120_000, seed=3)
    (state.root / "d.bin").write_bytes(data)
    state.ignore_range.add("d.bin")
    (tmp_path / "d.bin.part").write_bytes(data[:5000])
    dest = dl.download(f"{base}/d.bin", tmp_path / "d.bin", _sha(data), quiet=True)
    assert state.requests == [("d.bin", "bytes=5000-")]
    assert dest.read_bytes() == data           # not 5000 stale bytes + the whole file


def test_complete_part_file_is_verified_not_refetched(server, tmp_path):
    base, state = server
    data = _payload(50_000, seed=4)
    (state.root / "e.bin").write_bytes(data)
    (tmp_path / "e.bin.part").write_bytes(data)
    dl.download(f"{base}/e.bin", tmp_path / "e.bin", _sha(data), quiet=True)   # server answers 416
    assert (tmp_path / "e.bin").read_bytes() == data
    assert state.requests == [("e.bin", "bytes=50000-")]


def test_checksum_mismatch_names_file_and_both_hashes(server, tmp_path):
    base, state = server
    data = _payload(10_000, seed=5)
    (state.root / "f.bin").write_bytes(data)
    wrong = "0" * 64
    with pytest.raises(dl.ChecksumError) as info:
        dl.download(f"{base}/f.bin", tmp_path / "f.bin", wrong, quiet=True)
    msg = str(info.value)
    assert "f.bin" in msg and wrong in msg and _sha(data) in msg
    assert not (tmp_path / "f.bin").exists() and not (tmp_path / "f.bin.part").exists()
    assert (tmp_path / "f.bin.corrupt").read_bytes() == data      # kept for inspection, never resumed
    # A hand-placed wrong file is reported the same way (and left alone).
    (tmp_path / "g.bin").write_bytes(b"not it")
    with pytest.raises(dl.ChecksumError, match="g.bin.*expected " + wrong):
        dl.verify(tmp_path / "g.bin", wrong)


def test_verify_md5_and_missing_checksum_warning(tmp_path, capsys):
    path = tmp_path / "h.bin"
    path.write_bytes(b"hello")
    sha = _sha(b"hello")
    assert dl.verify(path, md5=hashlib.md5(b"hello").hexdigest()) == sha
    with pytest.raises(dl.ChecksumError, match="md5 mismatch"):
        dl.verify(path, md5="0" * 32)
    capsys.readouterr()
    assert dl.verify(path) == sha
    err = capsys.readouterr().err
    assert "no published checksum" in err and sha in err


def test_http_error_is_reported(server, tmp_path):
    base, _ = server
    with pytest.raises(dl.DownloadError, match="HTTP 404"):
        dl.download(f"{base}/missing.bin", tmp_path / "missing.bin", quiet=True)


def test_offline_message_and_exit_code(tmp_path):
    port = _closed_port()
    root = tmp_path / "data"
    proc = subprocess.run([sys.executable, str(SCRIPTS / "download.py"), "official", "--parts", "dlsr",
                           "--root", str(root), "--mirror", f"http://127.0.0.1:{port}", "--retries", "0",
                           "--timeout", "5"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    dest = root / "official" / "RFDN_beta21_ps128_20210128_1000.pt"
    url = f"http://127.0.0.1:{port}/RFDN_beta21_ps128_20210128_1000.pt"
    assert (f"cannot reach 127.0.0.1:{port}: you appear to be offline; download {url} by hand into {dest} "
            f"and re-run") in proc.stderr
    assert proc.stderr.count("cannot reach") == 1
    assert proc.stderr.strip().splitlines()[-1].startswith("download.py: cannot reach")   # the last word


def test_dry_run_lists_everything_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "nothing-here"
    assert dl.main(["all", "--dry-run", "--root", str(root)]) == 0
    out = capsys.readouterr().out
    for srcs in dl.SOURCES.values():
        for src in srcs:
            assert src.url in out
            assert str(root / ("official" if src.layout == "file" else "downloads") / src.filename) in out
    assert "3.53 GB" in out and "md5 only" in out
    assert not root.exists()
    port = _closed_port()      # a mirror is listed, never contacted
    assert dl.main(["div2k", "--parts", "valid_x4", "--dry-run", "--root", str(root),
                    "--mirror", f"http://127.0.0.1:{port}/m"]) == 0
    out = capsys.readouterr().out
    assert f"http://127.0.0.1:{port}/m/DIV2K_valid_LR_bicubic_X4.zip" in out and "DIV2K_train_HR" not in out
    assert not root.exists()


def test_unknown_part_is_a_usage_error(capsys):
    assert dl.main(["div2k", "--parts", "train_x8", "--dry-run"]) == 2
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
    with pytest.raises(dl.UnsafeArchiveError, match=repr(bad).replace("\\", "\\\\")):
        dl.safe_extract(archive, dest)
    assert not dest.exists()                       # checked before anything was written
    assert not (tmp_path / "evil").exists()


def test_zip_symlink_outside_is_refused(tmp_path):
    archive = _zip(tmp_path / "s.zip", {"a.txt": b"1"}, symlinks={"link": "../../etc/passwd"})
    with pytest.raises(dl.UnsafeArchiveError, match="'link'.*symlink"):
        dl.safe_extract(archive, tmp_path / "dest")


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
    with pytest.raises(dl.UnsafeArchiveError) as info:
        dl.safe_extract(archive, dest)
    assert repr(name) in str(info.value) and what in str(info.value)
    assert not dest.exists()


def test_safe_archives_extract(tmp_path):
    z = _zip(tmp_path / "ok.zip", {"top/a.txt": b"a", "top/sub/b.txt": b"b"})
    assert sorted(dl.safe_extract(z, tmp_path / "z")) == ["top/a.txt", "top/sub/b.txt"]
    assert (tmp_path / "z" / "top" / "sub" / "b.txt").read_bytes() == b"b"
    t = _tar(tmp_path / "ok.tar", [("top/a.txt", b"a"), _link("top/alias", "a.txt")])
    dl.safe_extract(t, tmp_path / "t")
    assert (tmp_path / "t" / "top" / "alias").read_bytes() == b"a"     # in-tree symlink is fine
    (tmp_path / "plain.txt").write_text("hi")
    with pytest.raises(ValueError, match="neither a zip nor a tar"):
        dl.safe_extract(tmp_path / "plain.txt", tmp_path / "p")


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
    monkeypatch.setattr(dl, "SOURCES", {
        "benchmarks": (dl.Source("benchmark", "https://example.invalid/benchmark.tar", _sha(bench),
                                 layout="benchmarks", target="benchmarks"),),
        "div2k": (dl.Source("valid_hr", "https://example.invalid/DIV2K_valid_HR.zip", _sha(div2k),
                            target="DIV2K"),),
    })
    root = tmp_path / "data"
    argv = ["all", "--root", str(root), "--mirror", base, "--parts", "Set5,Set14", "valid_hr", "-q"]
    assert dl.main(argv) == 0
    for s in sets:
        assert (root / "benchmarks" / s / "HR" / "img.png").read_bytes() == s.encode()
        assert (root / "benchmarks" / s / "LR_bicubic" / "X2" / "imgx2.png").exists()
        assert (root / "benchmarks" / s / "LR_bicubic" / "X4" / "imgx4.png").exists()
    assert not (root / "benchmarks" / "benchmark").exists()
    assert (root / "DIV2K" / "DIV2K_valid_HR" / "0801.png").read_bytes() == b"hr"
    n = len(state.requests)
    assert dl.main(argv + ["--remove-archives"]) == 0          # already done: no request, nothing redone
    assert len(state.requests) == n
    capsys.readouterr()
    assert dl.main(["benchmarks", "--root", str(root), "--mirror", base, "--parts", "B100", "-q"]) == 1
    assert "no B100/ folder" in capsys.readouterr().err


# -------------------------------------------------------------------------------------------- prepare
@pytest.fixture(scope="module")
def prep() -> ModuleType:
    return _load("prepare")


def test_prepare_writes_lr_layout(tmp_path, prep):
    from tinysr.data import load_image, save_image
    from tinysr.resize import imresize

    hr_dir = tmp_path / "Set" / "HR"
    hr_dir.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (29, 37, 3), dtype=np.uint8)
    gray = rng.integers(0, 256, (18, 21), dtype=np.uint8)
    save_image(rgb, hr_dir / "rgb.png")
    save_image(gray, hr_dir / "gray.png")
    assert prep.main([str(hr_dir), "--scales", "2,3", "--write-hr", "-q"]) == 0
    out = tmp_path / "Set"
    for s in (2, 3):
        lr = load_image(out / "LR_bicubic" / f"X{s}" / f"rgbx{s}.png", mode="keep")
        assert lr.shape == (29 // s, 37 // s, 3)
        np.testing.assert_array_equal(lr, imresize(rgb[: 29 // s * s, : 37 // s * s], 1 / s))
        lr_gray = load_image(out / "LR_bicubic" / f"X{s}" / f"grayx{s}.png", mode="keep")
        assert lr_gray.shape == (18 // s, 21 // s)                      # still single-channel
        np.testing.assert_array_equal(lr_gray, imresize(gray[: 18 // s * s, : 21 // s * s], 1 / s))
        assert load_image(out / f"HR_mod{s}" / "rgb.png", mode="keep").shape == (29 // s * s, 37 // s * s, 3)
    counts = prep.prepare(hr_dir, [2, 3], write_hr=True, quiet=True)      # idempotent
    assert counts == {"images": 2, "written": 0, "skipped": 8}


def test_prepare_clear_errors(tmp_path, prep, capsys):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        prep.prepare(tmp_path / "nope", [2])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        prep.prepare(tmp_path / "empty", [2])
    assert prep.main([str(tmp_path / "empty")]) == 2
    assert "holds no images" in capsys.readouterr().err
    with pytest.raises(ValueError, match="scales"):
        prep.parse_scales("2,x")
    with pytest.raises(ValueError, match=">= 2"):
        prep.parse_scales("1")


def test_prepare_reproduces_genuine_set5(benchmarks_dir, tmp_path, prep):
    """prepare.py's LR files equal the published MATLAB-made Set5 LR files, pixel for pixel."""
    from tinysr.data import load_image

    hr_dir = benchmarks_dir / "Set5" / "HR"
    prep.prepare(hr_dir, [2, 3, 4], out=tmp_path, quiet=True)
    for s in (2, 3, 4):
        genuine_dir = benchmarks_dir / "Set5" / "LR_bicubic" / f"X{s}"
        for hr in sorted(hr_dir.glob("*.png")):
            ours = load_image(tmp_path / "LR_bicubic" / f"X{s}" / f"{hr.stem}x{s}.png", mode="keep")
            genuine = load_image(genuine_dir / f"{hr.stem}x{s}.png", mode="keep")
            assert ours.shape == genuine.shape, (hr.stem, s)
            assert np.array_equal(ours, genuine), f"{hr.stem} x{s}: {np.count_nonzero(ours != genuine)} differ"
