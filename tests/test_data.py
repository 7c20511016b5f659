"""Built-in photos and their split, folders, training patches, benchmark sets (single images: test_images.py).

Bad input files are written into ``tmp_path`` at test time; nothing here is committed data."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import tinysr
from tinysr.cell import ESA_MIN_SIZE
from tinysr.data import (
    BUILTIN_PHOTOS,
    EVAL_PHOTOS,
    MIN_LR_SIZE,
    PatchSampler,
    builtin_photos,
    find_data_root,
    load_benchmark,
    load_folder,
    paths,
)
from tinysr.data.images import modcrop, save_image
from tinysr.data.photos import split_photos
from tinysr.resize import imresize

RNG = np.random.default_rng(0)


# -- built-in photos ---------------------------------------------------------------------------
def test_builtin_photos_and_split():
    photos = builtin_photos()
    assert sorted(photos) == sorted(BUILTIN_PHOTOS) and len(photos) == 19
    for name, img in photos.items():
        assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 256, name
    train, arch, ev = (set(builtin_photos(p)) for p in ("train", "arch", "eval"))
    assert ev == set(EVAL_PHOTOS)
    assert not (train & arch) and not (train & ev) and not (arch & ev)
    assert train | arch | ev == set(BUILTIN_PHOTOS)
    assert set(builtin_photos("train+arch")) == train | arch
    # split by scene: the two halves of the motorcycle stereo pair are one scene, in one part
    both = {"motorcycle_left", "motorcycle_right"}
    assert sum(both <= part for part in (train, arch, ev)) == 1
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
    with pytest.raises(FileNotFoundError, match=r"missing does not exist.*tinysr download div2k"):
        load_folder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="is a file"):
        load_folder(tmp_path / "file.png")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match=r"empty is empty.*tinysr download div2k"):
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
    make = lambda seed: PatchSampler(photos, 2, 16, 4, seed=seed)  # noqa: E731 - a one-line helper of this test
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
    too_small = r"'tiny' is 40x30 \(WxH\), smaller than one 48x48 patch.*at most 30.*train\.hr_patch"
    with pytest.raises(ValueError, match=too_small):
        PatchSampler(small, 2, 48, 4)
    with pytest.raises(ValueError, match=r"hr_patch=25 must be a positive multiple of scale=2"):
        PatchSampler(small, 2, 25, 4)
    with pytest.raises(ValueError, match=r"scale must be an integer >= 2.*2\.5"):
        PatchSampler(small, 2.5, 20, 4)
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        PatchSampler(small, 2, 16, 0)
    with pytest.raises(ValueError, match="no HR images"):
        PatchSampler({}, 2, 16, 4)


def test_patch_sampler_names_the_image_and_gives_advice_that_works():
    assert MIN_LR_SIZE == ESA_MIN_SIZE          # data sits below cell, so it repeats the value
    ok, small = np.zeros((64, 64, 3), np.uint8), np.zeros((20, 24, 3), np.uint8)
    with pytest.raises(ValueError, match=r"HR image 'hr_images\[1\]' is 24x20") as err:
        PatchSampler([ok, small], 2, 32, 4)
    assert "image 1" not in str(err.value)
    # 20 px at x2 is 10 LR px: no patch size can help (ESA needs 15), so the advice is not "a smaller patch"
    assert f"ESA needs LR patches of >= {ESA_MIN_SIZE} px per side" in str(err.value)
    assert "remove it" in str(err.value) and "smaller patch" not in str(err.value)
    with pytest.raises(ValueError, match=r"at most 40 here, and at least 30"):
        PatchSampler({"mid": np.zeros((40, 44, 3), np.uint8)}, 2, 48, 4)


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
    with pytest.raises(FileNotFoundError, match=r"nowhere does not exist.*tinysr download benchmarks"):
        load_benchmark(tmp_path / "nowhere", "Set5", 2)
    (tmp_path / "Set14" / "HR").mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match=r"'Set5' not found.*sets found in .*: Set14.*tinysr download"):
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


def _copy_set5(benchmarks_dir: Path, tmp_path: Path) -> Path:
    shutil.copytree(benchmarks_dir / "Set5" / "HR", tmp_path / "Set5" / "HR")
    shutil.copytree(benchmarks_dir / "Set5" / "LR_bicubic" / "X2", tmp_path / "Set5" / "LR_bicubic" / "X2")
    return tmp_path / "Set5" / "LR_bicubic" / "X2"


def test_load_benchmark_refuses_an_lr_file_of_another_image(tmp_path, benchmarks_dir):
    lr_dir = _copy_set5(benchmarks_dir, tmp_path)
    shutil.copy(lr_dir / "birdx2.png", lr_dir / "babyx2.png")         # bird's LR (144x144) in baby's place
    with pytest.raises(ValueError, match=r"LR file .*babyx2\.png is 144x144 \(WxH\), but its HR baby\.png is "
                                         r"512x512, so its x2 LR must be 256x256.*re-download"):
        load_benchmark(tmp_path, "Set5", 2)


def test_load_benchmark_refuses_lr_one_pixel_off_and_gray_vs_colour(tmp_path, benchmarks_dir):
    lr_dir = _copy_set5(benchmarks_dir, tmp_path)
    woman = np.asarray(tinysr.load_image(lr_dir / "womanx2.png"))        # 114x172 of a 228x344 HR
    save_image(woman[:-1], lr_dir / "womanx2.png")
    with pytest.raises(ValueError, match=r"womanx2\.png is 114x171 .* must be 114x172"):
        load_benchmark(tmp_path, "Set5", 2)
    save_image(woman[:, :, 0], lr_dir / "womanx2.png")
    with pytest.raises(ValueError, match=r"womanx2\.png has shape \(172, 114\).*grayscale, the other colour"):
        load_benchmark(tmp_path, "Set5", 2)


def test_load_benchmark_refuses_two_hr_files_with_one_stem(tmp_path, benchmarks_dir):
    _copy_set5(benchmarks_dir, tmp_path)
    shutil.copy(tmp_path / "Set5" / "HR" / "bird.png", tmp_path / "Set5" / "HR" / "bird.bmp")
    with pytest.raises(ValueError, match=r"bird\.bmp and .*bird\.png have the same stem 'bird'"):
        load_benchmark(tmp_path, "Set5", 2)


def test_find_data_root_follows_the_one_rule(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TINYSR_DATA", raising=False)
    monkeypatch.delenv("TINYSR_SHARED", raising=False)
    assert find_data_root() is None
    (tmp_path / "shared" / "data").mkdir(parents=True)
    monkeypatch.setenv("TINYSR_SHARED", str(tmp_path / "shared"))
    assert find_data_root() == tmp_path / "shared" / "data"            # 3rd: $TINYSR_SHARED/data
    (tmp_path / "datasets").mkdir()
    assert find_data_root() == Path("datasets")                          # 2nd: ./datasets
    (tmp_path / "mine").mkdir()
    monkeypatch.setenv("TINYSR_DATA", str(tmp_path / "mine"))
    assert find_data_root() == tmp_path / "mine"                         # 1st: $TINYSR_DATA
    assert find_data_root() == paths.data_roots()[0]


def test_train_photos_with_scales_adds_exact_downscales(tmp_path):
    from tinysr.config import override, preset
    from tinysr.data.splits import train_photos, with_scales

    rng = np.random.default_rng(0)
    photos = {"a": rng.integers(0, 256, (200, 120, 3), dtype=np.uint8),
              "b": rng.integers(0, 256, (100, 160, 3), dtype=np.uint8)}
    out = with_scales(photos, (1.0, 0.75, 0.5), min_side=56)
    assert sorted(out) == ["a", "a@0.5", "a@0.75", "b", "b@0.75"]     # b@0.5 is 50 px high: below one patch
    np.testing.assert_array_equal(out["a@0.75"], imresize(photos["a"], 0.75))
    assert out["a"] is photos["a"] and out["b@0.75"].shape == (75, 120, 3)
    assert sorted(with_scales(photos, (0.5,))) == ["a@0.5", "b@0.5"]
    assert with_scales(photos, (1.0,)) == photos
    for n, img in photos.items():
        save_image(img, tmp_path / f"{n}.png")
    cfg = override(preset("smoke"), {"data.source": str(tmp_path), "train.hr_scales": (1.0, 0.5), "train.hr_patch": 48})
    assert sorted(train_photos(cfg)) == ["a", "a@0.5", "b", "b@0.5"]
    with pytest.raises(ValueError, match="hr_scales"):
        override(preset("smoke"), {"train.hr_scales": (1.0, 1.5)})
