"""``tinysr upscale``: files, folders and globs in (PNG, JPEG, WebP, BMP), PNG out with the pixels of
``super_resolve``; EXIF orientation, gray and alpha; nothing overwritten; every bad input a clear error."""
from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from tinysr.cli import main
from tinysr.data.images import load_image, modcrop
from tinysr.deploy.inference import super_resolve
from tinysr.genotype import Genotype
from tinysr.metrics import calculate_psnr
from tinysr.model import DLSRNet, load_model, save_model
from tinysr.resize import imresize

RNG = np.random.default_rng(0)


@pytest.fixture(scope="module")
def model_pt(tmp_path_factory):
    torch.manual_seed(0)
    net = DLSRNet(Genotype(("conv_1x1", "sep_conv_3x3", "dil_conv_3x3"), ((1, 2),), channels=8, cells=3), 2)
    path = tmp_path_factory.mktemp("model") / "model.pt"
    save_model(net, path)
    return path


def _photo(h=21, w=27, c=3):
    return RNG.integers(0, 256, (h, w, c) if c else (h, w), dtype=np.uint8)


def _upscale(capsys, *argv):
    code = main(["upscale", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def test_formats_folders_globs_same_pixels(tmp_path, model_pt, capsys):
    src = tmp_path / "in"
    src.mkdir()
    img = _photo()
    for suffix in ("png", "bmp", "webp"):
        Image.fromarray(img).save(src / f"p_{suffix}.{suffix}", lossless=True) if suffix == "webp" else \
            Image.fromarray(img).save(src / f"p_{suffix}.{suffix}")
    Image.fromarray(img).save(tmp_path / "photo.jpg", quality=95)
    (src / "notes.txt").write_text("not an image: folders take image files only")
    code, out, err = _upscale(capsys, src, str(tmp_path / "*.jpg"), "--model", model_pt, "--out", tmp_path / "D")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "D").iterdir()) == ["p_bmp.png", "p_png.png", "p_webp.png", "photo.png"]
    assert out.split() == [str(tmp_path / "D" / n) for n in ("p_bmp.png", "p_png.png", "p_webp.png", "photo.png")]
    model, _ = load_model(model_pt)
    want = super_resolve(model, img, 2)
    for name in ("p_bmp.png", "p_png.png", "p_webp.png"):
        got = load_image(tmp_path / "D" / name)
        np.testing.assert_array_equal(got, want, err_msg=name)
    jpeg = super_resolve(model, load_image(tmp_path / "photo.jpg"), 2)
    np.testing.assert_array_equal(load_image(tmp_path / "D" / "photo.png"), jpeg)


def test_default_output_beside_input_and_json(tmp_path, model_pt, capsys):
    Image.fromarray(_photo()).save(tmp_path / "cat.png")
    Image.fromarray(_photo()).save(tmp_path / "dogx2.png")
    code, out, _ = _upscale(capsys, tmp_path / "cat.png", tmp_path / "dogx2.png", "--model", model_pt, "--json")
    assert code == 0
    res = json.loads(out)
    assert res["scale"] == 2 and [o["output"] for o in res["outputs"]] == \
        [str(tmp_path / "cat_x2.png"), str(tmp_path / "dog_x2.png")]
    assert res["outputs"][0]["size"] == [54, 42] and Image.open(tmp_path / "cat_x2.png").size == (54, 42)


def test_exif_orientation_gray_and_alpha(tmp_path, model_pt, capsys):
    img = _photo(20, 30)
    exif = Image.Exif()
    exif[0x0112] = 6                                       # "rotate 90 CW to display"
    Image.fromarray(img).save(tmp_path / "rot.jpg", exif=exif.tobytes(), quality=95)
    gray = _photo(19, 23, 0)
    Image.fromarray(gray).save(tmp_path / "gray.png")
    rgba = np.dstack([_photo(17, 25), _photo(17, 25, 0)])
    Image.fromarray(rgba).save(tmp_path / "alpha.png")
    code, _, err = _upscale(capsys, tmp_path / "rot.jpg", tmp_path / "gray.png", tmp_path / "alpha.png",
                            "--model", model_pt, "--out", tmp_path / "D")
    assert code == 0, err
    model, _ = load_model(model_pt)
    with Image.open(tmp_path / "D" / "rot.png") as im:
        assert im.size == (40, 60)                         # upright: the 30x20 photo turned to 20 wide, 30 high
    with Image.open(tmp_path / "D" / "gray.png") as im:
        assert im.mode == "L" and im.size == (46, 38)
        sr = super_resolve(model, gray, 2).astype(np.float64)
        np.testing.assert_array_equal(np.asarray(im), np.floor(sr.mean(axis=2) + 0.5).astype(np.uint8))
    with Image.open(tmp_path / "D" / "alpha.png") as im:
        assert im.mode == "RGBA"
        got = np.asarray(im)
    np.testing.assert_array_equal(got[:, :, :3], super_resolve(model, rgba[:, :, :3], 2))
    np.testing.assert_array_equal(got[:, :, 3], imresize(rgba[:, :, 3], 2))


def test_out_file_tile_and_overwrite(tmp_path, model_pt, capsys):
    img = _photo(40, 44)
    Image.fromarray(img).save(tmp_path / "a.png")
    target = tmp_path / "sub" / "big.png"
    assert _upscale(capsys, tmp_path / "a.png", "--model", model_pt, "--out", target, "--tile", "16")[0] == 0
    model, _ = load_model(model_pt)
    tiled = load_image(target)
    np.testing.assert_array_equal(tiled, super_resolve(model, img, 2, tile=16))
    before = target.read_bytes()
    code, _, err = _upscale(capsys, tmp_path / "a.png", "--model", model_pt, "--out", target)
    assert code == 2 and "already exists; pass --overwrite" in err and target.read_bytes() == before
    assert _upscale(capsys, tmp_path / "a.png", "--model", model_pt, "--out", target, "--overwrite")[0] == 0
    np.testing.assert_array_equal(load_image(target), super_resolve(model, img, 2))
    assert (target.stat().st_mode & 0o777) != 0o600        # a normal file, not a private temp file


@pytest.mark.parametrize("case, message", [
    ("unreadable", "cannot read image .*bad.png.*Is it a PNG, JPEG, WebP or BMP"),
    ("missing model", "checkpoint .*nope.pt does not exist"),
    ("wrong scale", "is a x2 model; --scale 3 asks for x3"),
    ("wrong scale pretrained", "released x2 weights only, so there is no x4 model by name.*tinysr train --scale 4"),
    ("unknown name", "unknown pretrained model 'edsr'; released models: dlsr, dlsr_para, dlsr_tiny"),
    ("onto input", "would be .*a.png, which is an input; tinysr never overwrites an input"),
    ("empty glob", r"no image matches '.*nothing\*.png'"),
    ("missing input", "input .*ghost.png does not exist"),
    ("empty folder", "folder .*empty holds no image"),
    ("file for many", "names one file but there are 2 inputs"),
    ("not png", "outputs are PNG"),
    ("same stem", "would both be written to .*a.png \\(same stem\\)"),
    ("negative tile", "--tile must be >= 0"),
])
def test_bad_inputs(tmp_path, model_pt, capsys, monkeypatch, case, message):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(_photo()).save(tmp_path / "a.png")
    Image.fromarray(_photo()).save(tmp_path / "b.png")
    (tmp_path / "bad.png").write_bytes(b"\x89PNG but then nothing")
    (tmp_path / "other").mkdir()
    Image.fromarray(_photo()).save(tmp_path / "other" / "a.jpg")
    (tmp_path / "empty").mkdir()
    m = ["--model", model_pt]
    argv = {
        "unreadable": ["a.png", "bad.png", *m, "--out", "D"],
        "missing model": ["a.png", "--model", tmp_path / "nope.pt"],
        "wrong scale": ["a.png", *m, "--scale", "3"],
        "wrong scale pretrained": ["a.png", "--pretrained", "dlsr", "--scale", "4"],
        "unknown name": ["a.png", "--pretrained", "edsr"],
        "onto input": ["a.png", *m, "--out", "."],
        "empty glob": [str(tmp_path / "nothing*.png"), *m],
        "missing input": ["ghost.png", *m],
        "empty folder": ["empty", *m],
        "file for many": ["a.png", "b.png", *m, "--out", "x.png"],
        "not png": ["a.png", *m, "--out", "x.jpg"],
        "same stem": ["a.png", "other/a.jpg", *m, "--out", "D"],
        "negative tile": ["a.png", *m, "--tile", "-1"],
    }[case]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    code, out, err = _upscale(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("tinysr upscale: error: ")
    assert re.search(message, err), err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before          # nothing written


def test_set5_with_the_released_model(benchmarks_dir, official_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TINYSR_SHARED", str(official_dir.parents[1]))
    monkeypatch.setenv("TINYSR_CACHE", str(tmp_path / "cache"))       # found by the data rule: no download
    lr_dir = benchmarks_dir / "Set5" / "LR_bicubic" / "X2"
    for name in ("babyx2.png", "birdx2.png"):
        shutil.copy(lr_dir / name, tmp_path)
    code, _, err = _upscale(capsys, "babyx2.png", "birdx2.png", "--pretrained", "dlsr", "--out", "D")
    assert code == 0, err
    lr = load_image(tmp_path / "babyx2.png")
    out = load_image(tmp_path / "D" / "baby.png")
    assert out.shape == (2 * lr.shape[0], 2 * lr.shape[1], 3)
    assert (tmp_path / "D" / "bird.png").is_file() and not (tmp_path / "cache").exists()
    hr = modcrop(load_image(benchmarks_dir / "Set5" / "HR" / "baby.png"), 2)
    from tinysr.model import load_official

    model = load_official(official_dir / "RFDN_beta21_ps128_20210128_1000.pt", "dlsr")
    want = calculate_psnr(super_resolve(model, lr, 2), hr, crop_border=2)
    assert abs(calculate_psnr(out, hr, crop_border=2) - want) < 0.01
    assert want > 37.5                                      # the released model, not a stand-in
