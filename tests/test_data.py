"""Image reading rules, built-in photos and their split, folders, training patches, benchmarks.

Bad input files are written into ``tmp_path`` at test time; nothing here is committed data."""
from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import tinysr
from tinysr.data import (BUILTIN_PHOTOS, EVAL_PHOTOS, PairedDataset, PatchSampler, builtin_photos, load_benchmark,
                         load_folder, load_image, modcrop, save_image, split_photos)
from tinysr.resize import imresize

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
    chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))  # noqa: E731
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


# -- built-in photos ---------------------------------------------------------------------------
def test_builtin_photos_and_split():
    photos = builtin_photos()
    assert sorted(photos) == sorted(BUILTIN_PHOTOS) and len(photos) == 12
    for name, img in photos.items():
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 256, name
    train, arch, ev = (set(builtin_photos(p)) for p in ("train", "arch", "eval"))
    assert ev == set(EVAL_PHOTOS)
    assert not (train & arch) and not (train & ev) and not (arch & ev)
    assert train | arch | ev == set(BUILTIN_PHOTOS)
    assert set(builtin_photos("train+arch")) == train | arch
    assert set(builtin_photos("train", seed=0)) == train                 # deterministic
    assert len(builtin_photos("arch", arch_fraction=0.25)) == 2           # floor(9 * 0.25 + 0.5)
    photos["astronaut"][:] = 0                                             # copies: the cache is safe
    assert builtin_photos("all")["astronaut"].any()
    with pytest.raises(ValueError, match="unknown split 'val'.*train\\+arch"):
        builtin_photos("val")


def test_split_photos():
    names = [f"img{i}" for i in range(10)]
    train, arch = split_photos(names, 0.3, seed=1)
    assert len(arch) == 3 and sorted(train + arch) == sorted(names)
    assert split_photos(list(reversed(names)), 0.3, seed=1) == (train, arch)   # order-independent
    assert any(split_photos(names, 0.3, seed=s) != (train, arch) for s in range(2, 6))
    assert split_photos(names, 0.0) == (sorted(names), [])
    assert [len(part) for part in split_photos(["a", "b"], 0.01)] == [1, 1]   # both parts non-empty
    with pytest.raises(ValueError, match=r"arch_fraction must be in \[0, 1\].*1.5"):
        split_photos(names, 1.5)


# -- folders -----------------------------------------------------------------------------------
def test_load_folder(tmp_path):
    for i in range(3):
        save_image(RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8), tmp_path / f"{i:02d}.png")
    (tmp_path / "notes.txt").write_text("x")
    imgs = load_folder(tmp_path)
    assert list(imgs) == ["00", "01", "02"]
    assert list(load_folder(tmp_path, max_images=2)) == ["00", "01"]


def test_load_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"missing does not exist.*download\.py div2k"):
        load_folder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_folder(tmp_path / "file.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty is empty.*download\.py div2k"):
        load_folder(tmp_path / "empty")
    (tmp_path / "nested" / "HR").mkdir(parents=True)
    save_image(np.zeros((4, 4, 3), np.uint8), tmp_path / "nested" / "HR" / "a.png")
    with pytest.raises(ValueError, match=r"no images .* directly in .*nested.*subfolders with images: HR"):
        load_folder(tmp_path / "nested")


# -- patches -----------------------------------------------------------------------------------
def _dihedral(t: torch.Tensor) -> list[torch.Tensor]:
    out = []
    for tr in (False, True):
        x = t.transpose(-1, -2) if tr else t
        out += [x, x.flip(-1), x.flip(-2), x.flip(-1).flip(-2)]
    return out


def test_patch_sampler_aligned_crops():
    s, p = 3, 24
    hr_img = RNG.integers(0, 256, (70, 83, 3), dtype=np.uint8)     # not a multiple of 3: mod-cropped
    hr_c = modcrop(hr_img, s)
    lr_full = torch.from_numpy(imresize(np.ascontiguousarray(hr_c), 1 / s)).permute(2, 0, 1).float()
    hr_full = torch.from_numpy(np.ascontiguousarray(hr_c)).permute(2, 0, 1).float()
    sampler = PatchSampler({"noise": hr_img}, scale=s, hr_patch=p, batch_size=12, seed=3)
    lr, hr = sampler.next_batch()
    assert lr.shape == (12, 3, 8, 8) and hr.shape == (12, 3, 24, 24)
    assert lr.dtype == hr.dtype == torch.float32 and 0 <= lr.min() and hr.max() <= 255
    lp = p // s
    for lr_p, hr_p in zip(lr, hr):   # undo the augmentation, find the crop, check the LR crop matches
        hits = []
        for k, (h_k, l_k) in enumerate(zip(_dihedral(hr_p), _dihedral(lr_p))):
            for y in range(lr_full.shape[1] - lp + 1):
                for x in range(lr_full.shape[2] - lp + 1):
                    if torch.equal(lr_full[:, y:y + lp, x:x + lp], l_k) and \
                            torch.equal(hr_full[:, y * s:y * s + p, x * s:x * s + p], h_k):
                        hits.append((k, y, x))
        assert hits, "patch pair is not an aligned crop under one flip/transpose"


def test_patch_sampler_determinism_and_resume(tmp_path):
    photos = {"a": RNG.integers(0, 256, (60, 50, 3), dtype=np.uint8),
              "b": RNG.integers(0, 256, (40, 70), dtype=np.uint8)}      # gray: replicated
    make = lambda seed: PatchSampler(photos, 2, 16, 4, seed=seed)  # noqa: E731
    one, two = make(5), make(5)
    for _ in range(3):
        for x, y in zip(one.next_batch(), two.next_batch()):
            assert torch.equal(x, y)
    assert not torch.equal(make(6).next_batch()[1], make(5).next_batch()[1])
    torch.save(one.state_dict(), tmp_path / "state.pt")
    expected = [one.next_batch() for _ in range(2)]
    resumed = make(0)
    resumed.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    for (lr_a, hr_a), (lr_b, hr_b) in zip(expected, (resumed.next_batch() for _ in range(2))):
        assert torch.equal(lr_a, lr_b) and torch.equal(hr_a, hr_b)
    assert resumed.batches_drawn == 5
    with pytest.raises(ValueError, match=r"different hr_patch.*saved \[16\], now \[32\]"):
        PatchSampler(photos, 2, 32, 4).load_state_dict(one.state_dict())
    assert tinysr.PatchSampler is PatchSampler


def test_patch_sampler_errors():
    small = {"tiny": np.zeros((30, 40, 3), np.uint8)}
    with pytest.raises(ValueError, match=r"'tiny' is 40x30 \(WxH\), smaller than one 48x48 patch.*at most 30.*train\.hr_patch"):
        PatchSampler(small, 2, 48, 4)
    with pytest.raises(ValueError, match=r"hr_patch=25 must be a positive multiple of scale=2"):
        PatchSampler(small, 2, 25, 4)
    with pytest.raises(ValueError, match=r"scale must be an integer >= 2.*2\.5"):
        PatchSampler(small, 2.5, 20, 4)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        PatchSampler(small, 2, 16, 0)
    with pytest.raises(ValueError, match="no HR images"):
        PatchSampler({}, 2, 16, 4)


# -- benchmarks --------------------------------------------------------------------------------
def test_load_benchmark_genuine(benchmarks_dir):
    set5 = load_benchmark(benchmarks_dir, "Set5", 3)
    assert [b.stem for b in set5] == ["baby", "bird", "butterfly", "head", "woman"]
    for b in set5:
        assert not b.gray and b.hr.shape == (b.lr.shape[0] * 3, b.lr.shape[1] * 3, 3)
    bridge = {b.stem: b for b in load_benchmark(benchmarks_dir, "Set14", 2)}["bridge"]
    assert bridge.gray and bridge.hr.shape == (512, 512) and bridge.lr.shape == (256, 256)


def test_load_benchmark_without_lr_folder_makes_identical_lr(tmp_path, benchmarks_dir):
    shutil.copytree(benchmarks_dir / "Set5" / "HR", tmp_path / "Set5" / "HR")
    made = load_benchmark(tmp_path, "Set5", 4)
    genuine = load_benchmark(benchmarks_dir, "Set5", 4)
    for m, g in zip(made, genuine):
        np.testing.assert_array_equal(m.lr, g.lr)
        np.testing.assert_array_equal(m.hr, g.hr)


def test_load_benchmark_errors(tmp_path, benchmarks_dir):
    with pytest.raises(FileNotFoundError, match=r"nowhere does not exist.*download\.py benchmarks"):
        load_benchmark(tmp_path / "nowhere", "Set5", 2)
    (tmp_path / "Set14" / "HR").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"'Set5' not found.*sets found in .*: Set14.*download\.py"):
        load_benchmark(tmp_path, "Set5", 2)
    with pytest.raises(ValueError, match=r"HR folder .*Set14.HR has no images"):
        load_benchmark(tmp_path, "Set14", 2)
    (tmp_path / "Flat").mkdir()
    save_image(np.zeros((8, 8, 3), np.uint8), tmp_path / "Flat" / "a.png")
    with pytest.raises(FileNotFoundError, match=r"no HR folder .*Flat.HR.*EDSR layout"):
        load_benchmark(tmp_path, "Flat", 2)
    shutil.copytree(benchmarks_dir / "Set5" / "HR", tmp_path / "S" / "HR")
    (tmp_path / "S" / "LR_bicubic" / "X2").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"LR file .*babyx2\.png is missing"):
        load_benchmark(tmp_path, "S", 2)
    for bad in (0, 1, 2.0, "2"):
        with pytest.raises(ValueError, match="scale must be an integer >= 2"):
            load_benchmark(benchmarks_dir, "Set5", bad)


def test_paired_dataset(benchmarks_dir):
    hr_paths = sorted((benchmarks_dir / "Set5" / "HR").glob("*.png"))
    lr_paths = [benchmarks_dir / "Set5" / "LR_bicubic" / "X2" / f"{p.stem}x2.png" for p in hr_paths]
    genuine, made = PairedDataset(hr_paths, lr_paths, 2), PairedDataset(hr_paths, None, 2)
    assert len(genuine) == 5
    lr, hr = genuine[4]                                  # woman: 228x344
    assert lr.shape == (3, 172, 114) and hr.shape == (3, 344, 228) and lr.dtype == torch.float32
    lr2, hr2 = made[4]
    assert torch.equal(lr, lr2) and torch.equal(hr, hr2)
    with pytest.raises(ValueError, match="5 HR but 4 LR"):
        PairedDataset(hr_paths, lr_paths[:4], 2)
    swapped = PairedDataset(hr_paths[:1], [benchmarks_dir / "Set5" / "LR_bicubic" / "X2" / "babyx2.png"], 4)
    with pytest.raises(ValueError, match="needs at least 1024x1024.*another image or scale"):
        swapped[0]
