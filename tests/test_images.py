"""Image reading rules, writing, mod-crop and the folder rule of tinysr.data.images.

Bad input files are written into ``tmp_path`` at test time; nothing here is committed data."""
from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import tinysr
from tinysr import data
from tinysr.data.images import IMAGE_EXTENSIONS, check_scale, list_images, load_image, modcrop, save_image, to_rgb

RNG = np.random.default_rng(0)


# -- load_image / save_image -------------------------------------------------------------------
def test_rgb_and_gray_files(tmp_path, benchmarks_dir):
    bridge = benchmarks_dir / "Set14" / "HR" / "bridge.png"       # a genuine mode-L file
    keep, rgb = load_image(bridge, mode="keep"), load_image(bridge)
    assert keep.shape == (512, 512) and keep.dtype == np.uint8
    assert rgb.shape == (512, 512, 3) and (rgb == keep[:, :, None]).all()
    baby = load_image(benchmarks_dir / "Set5" / "HR" / "baby.png", mode="keep")
    assert baby.shape == (512, 512, 3)
    baby[0, 0] = 0                                                  # writable
    img = RNG.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    save_image(img, tmp_path / "sub" / "x.png")
    np.testing.assert_array_equal(load_image(tmp_path / "sub" / "x.png"), img)
    save_image(img[:, :, :1], tmp_path / "g.png")
    assert load_image(tmp_path / "g.png", mode="keep").shape == (7, 9)


def _png16_rgb(path: Path, arr: np.ndarray) -> None:
    """Write a 48-bit RGB PNG by hand (Pillow cannot write one)."""
    h, w, _ = arr.shape
    raw = b"".join(b"\x00" + arr[y].astype(">u2").tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))  # noqa: E731 - a one-line helper of this test
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_16_bit_files_keep_the_top_byte(tmp_path):
    gray16 = RNG.integers(0, 65536, (6, 5), dtype=np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode == "I;16"
    np.testing.assert_array_equal(load_image(tmp_path / "g16.png", mode="keep"), gray16 >> 8)
    assert load_image(tmp_path / "g16.png").shape == (6, 5, 3)
    rgb16 = RNG.integers(0, 65536, (4, 6, 3), dtype=np.uint16)
    _png16_rgb(tmp_path / "rgb16.png", rgb16)
    np.testing.assert_array_equal(load_image(tmp_path / "rgb16.png"), rgb16 >> 8)
    Image.fromarray(np.full((3, 3), 70000, np.int32)).save(tmp_path / "i32.tif")
    with pytest.raises(ValueError, match=r"i32\.tif.*beyond 16 bits.*8-bit PNG"):
        load_image(tmp_path / "i32.tif")
    Image.fromarray(np.zeros((3, 3), np.float32)).save(tmp_path / "f.tif")
    with pytest.raises(ValueError, match=r"f\.tif.*float.*8-bit PNG"):
        load_image(tmp_path / "f.tif")


def test_alpha_is_composited_on_white(tmp_path):
    rgba = np.array([[[10, 20, 30, 255], [10, 20, 30, 0], [0, 0, 0, 128]]], np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    out = load_image(tmp_path / "a.png")
    np.testing.assert_array_equal(out[0, 0], [10, 20, 30])     # opaque: as is
    np.testing.assert_array_equal(out[0, 1], [255, 255, 255])  # transparent: white
    assert 120 <= out[0, 2, 0] <= 135                          # half: a blend
    Image.fromarray(np.array([[[50, 255], [50, 0]]], np.uint8), mode="LA").save(tmp_path / "la.png")
    np.testing.assert_array_equal(load_image(tmp_path / "la.png", mode="keep"), [[50, 255]])


def test_palette_files(tmp_path):
    rgb = RNG.integers(0, 256, (5, 5, 3), dtype=np.uint8)
    pal = Image.fromarray(rgb).quantize(256)
    pal.save(tmp_path / "p.png")
    np.testing.assert_array_equal(load_image(tmp_path / "p.png"), np.asarray(pal.convert("RGB")))
    pal.save(tmp_path / "pt.png", transparency=int(np.asarray(pal)[0, 0]))
    assert (load_image(tmp_path / "pt.png")[0, 0] == 255).all()   # transparent index -> white
    Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1").save(tmp_path / "b.png")
    np.testing.assert_array_equal(load_image(tmp_path / "b.png", mode="keep"), [[0, 255]])


def test_unreadable_files(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"this is not a png")
    with pytest.raises(ValueError, match=r"cannot read image .*junk\.png.*re-download"):
        load_image(tmp_path / "junk.png")
    Image.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "ok.png")
    data = (tmp_path / "ok.png").read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match=r"cut\.png.*corrupt, truncated"):
        load_image(tmp_path / "cut.png")
    with pytest.raises(FileNotFoundError, match=r"nope\.png does not exist"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(ValueError, match="'rgb' or 'keep'"):
        load_image(tmp_path / "ok.png", mode="bgr")
    with pytest.raises(ValueError, match="uint8.*float64"):
        save_image(np.zeros((4, 4, 3)), tmp_path / "f.png")
    with pytest.raises(ValueError, match=r"\(4, 4, 2\)"):
        save_image(np.zeros((4, 4, 2), np.uint8), tmp_path / "f.png")


def test_modcrop_to_rgb_and_scale():
    img = RNG.integers(0, 256, (13, 10, 3), dtype=np.uint8)
    assert modcrop(img, 3).shape == (12, 9, 3) and modcrop(img[:, :, 0], 4).shape == (12, 8)
    np.testing.assert_array_equal(modcrop(img, 3), img[:12, :9])
    assert to_rgb(img[:, :, 0]).shape == (13, 10, 3) and to_rgb(img) is img
    with pytest.raises(ValueError, match=r"\(13, 10, 2\)"):
        to_rgb(img[:, :, :2])
    assert check_scale(np.int64(3)) == 3
    for bad in (1, 2.0, "2", True):
        with pytest.raises(ValueError, match="scale must be an integer >= 2"):
            modcrop(img, bad)


def test_list_images_sorted_and_case_insensitive(tmp_path):
    for name in ("b.PNG", "a.jpg", "c.webp"):
        save_image(np.zeros((2, 2, 3), np.uint8), tmp_path / name)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in list_images(tmp_path)] == ["a.jpg", "b.PNG", "c.webp"]
    assert ".webp" in IMAGE_EXTENSIONS


def test_two_files_with_one_stem_are_an_error_naming_both(tmp_path):
    save_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "a.png")
    save_image(np.full((4, 4, 3), 255, np.uint8), tmp_path / "a.jpg")
    save_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "b.png")
    with pytest.raises(ValueError, match=r"a\.jpg and .*a\.png have the same stem 'a'.*keep one"):
        list_images(tmp_path)
    with pytest.raises(ValueError, match=r"a\.jpg and .*a\.png have the same stem"):
        data.load_folder(tmp_path)        # the folder dataset uses the same rule


def test_former_data_names_are_the_images_functions():
    for name in ("load_image", "save_image", "modcrop", "to_rgb", "check_scale", "IMAGE_EXTENSIONS"):
        assert getattr(data, name) is getattr(tinysr.data.images, name)
    assert tinysr.load_image is load_image and tinysr.modcrop is modcrop
