"""Released models by name: found by the data rule, else downloaded (from a local HTTP server on 127.0.0.1,
never the internet) into the cache with sha256 verification and atomic writes."""
from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest
import torch

from tinysr.data.paths import OFFICIAL_FILES
from tinysr.deploy import pretrained as pretrained_mod
from tinysr.deploy.pretrained import PRETRAINED_SHA256, cache_dir, pretrained, pretrained_path
from tinysr.model import DLSRNet, load_official


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:   # keep the test output clean
        pass


@pytest.fixture()
def server(tmp_path):
    """A threaded HTTP server on 127.0.0.1 serving ``tmp_path/www``; yields (base URL, folder, request log)."""
    www = tmp_path / "www"
    www.mkdir()
    requests: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(www)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/checkpoints", www, requests
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture()
def isolated(tmp_path, monkeypatch):
    """No data root holds the checkpoints (cwd without ./datasets, no TINYSR_DATA/SHARED); cache in tmp."""
    monkeypatch.chdir(tmp_path)
    for var in ("TINYSR_DATA", "TINYSR_SHARED", "TINYSR_MODEL_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TINYSR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_sha_constants_match_the_shared_list(official_dir):
    listed = dict(reversed(line.split()) for line in (official_dir / "sha256sums.txt").read_text().splitlines()
                  if line.strip())
    assert {name: listed[f] for name, f in OFFICIAL_FILES.items()} == PRETRAINED_SHA256


def test_found_by_the_data_rule(official_dir, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TINYSR_DATA", raising=False)
    monkeypatch.setenv("TINYSR_SHARED", str(official_dir.parents[1]))
    monkeypatch.setenv("TINYSR_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("TINYSR_MODEL_URL", "http://127.0.0.1:9/nothing-listens-here")
    assert pretrained_path("dlsr_tiny") == official_dir / OFFICIAL_FILES["dlsr_tiny"]
    model = pretrained("dlsr_tiny")
    assert isinstance(model, DLSRNet) and not model.training and model.scale == 2
    assert model.genotype.channels == 18
    assert not (tmp_path / "cache").exists()                 # nothing downloaded


def test_download_verify_and_cache(official_dir, server, isolated, monkeypatch):
    url, www, requests = server
    (www / "checkpoints").mkdir()
    shutil.copy(official_dir / OFFICIAL_FILES["dlsr_tiny"], www / "checkpoints")
    monkeypatch.setenv("TINYSR_MODEL_URL", url + "/")
    with pytest.raises(FileNotFoundError, match="not on this machine"):
        pretrained_path("dlsr_tiny", download=False)
    path = pretrained_path("dlsr_tiny")
    assert path == isolated / OFFICIAL_FILES["dlsr_tiny"] == cache_dir() / OFFICIAL_FILES["dlsr_tiny"]
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PRETRAINED_SHA256["dlsr_tiny"]
    assert sorted(p.name for p in isolated.iterdir()) == [OFFICIAL_FILES["dlsr_tiny"]]   # no temp file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask          # readable by all on a shared course server
    assert requests == [f"/checkpoints/{OFFICIAL_FILES['dlsr_tiny']}"]
    ref = load_official(official_dir / OFFICIAL_FILES["dlsr_tiny"], "dlsr_tiny")
    got = pretrained("dlsr_tiny")                            # from the cache: no second request
    assert len(requests) == 1
    for (k, a), (_, b) in zip(ref.state_dict().items(), got.state_dict().items()):
        assert torch.equal(a, b), k


def test_corrupt_cache_is_replaced(official_dir, server, isolated, monkeypatch):
    url, www, requests = server
    shutil.copy(official_dir / OFFICIAL_FILES["dlsr_tiny"], www)
    monkeypatch.setenv("TINYSR_MODEL_URL", url.rsplit("/", 1)[0])   # no trailing slash, other folder
    isolated.mkdir()
    (isolated / OFFICIAL_FILES["dlsr_tiny"]).write_bytes(b"half a file")
    path = pretrained_path("dlsr_tiny")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == PRETRAINED_SHA256["dlsr_tiny"] and len(requests) == 1


def test_sha_mismatch_leaves_nothing(official_dir, server, isolated, monkeypatch):
    url, www, _ = server
    (www / "checkpoints").mkdir()
    data = (official_dir / OFFICIAL_FILES["dlsr_tiny"]).read_bytes()
    (www / "checkpoints" / OFFICIAL_FILES["dlsr_tiny"]).write_bytes(data[:-1] + bytes([data[-1] ^ 1]))
    monkeypatch.setenv("TINYSR_MODEL_URL", url)
    with pytest.raises(ValueError, match=r"sha256 [0-9a-f]{64}, expected " + PRETRAINED_SHA256["dlsr_tiny"]):
        pretrained_path("dlsr_tiny")
    assert not isolated.exists() or list(isolated.iterdir()) == []


def test_http_error_and_unreachable(server, isolated, monkeypatch):
    url, _, _ = server
    monkeypatch.setenv("TINYSR_MODEL_URL", url)              # the server has no such file: HTTP 404
    with pytest.raises(ConnectionError, match="404.*TINYSR_MODEL_URL"):
        pretrained_path("dlsr")
    assert not isolated.exists() or list(isolated.iterdir()) == []


def test_wrong_local_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYSR_DATA", str(tmp_path / "data"))
    (tmp_path / "data" / "official").mkdir(parents=True)
    (tmp_path / "data" / "official" / OFFICIAL_FILES["dlsr"]).write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="is not the released checkpoint"):
        pretrained_path("dlsr")


def test_unknown_name():
    with pytest.raises(ValueError, match=r"unknown pretrained model 'rfdn'.*dlsr, dlsr_para, dlsr_tiny"):
        pretrained("rfdn")


def test_cache_dir_default(monkeypatch):
    monkeypatch.delenv("TINYSR_CACHE", raising=False)
    assert cache_dir() == Path.home() / ".cache" / "tinysr"
    assert "pretrained" in pretrained_mod.__all__


def test_module_is_callable(official_dir, monkeypatch, tmp_path):
    import tinysr

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYSR_SHARED", str(official_dir.parents[1]))
    model = pretrained_mod("dlsr_tiny")        # the module itself: tinysr.deploy.pretrained("dlsr_tiny")
    assert isinstance(model, DLSRNet) and model.genotype.channels == 18
    same = tinysr.pretrained("dlsr_tiny")      # and the name the package offers
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), same.state_dict().values()))
