"""DLSRNet: shapes at x2/x3/x4, from_x2, model.pt round trip (weights_only), ESA minimum size, the
official key map, and wrong-checkpoint errors."""
from __future__ import annotations

import pytest
import torch

from tinysr.cell import ESA, ESA_MIN_SIZE, DistillationCell
from tinysr.genotype import Genotype
from tinysr.model import DLSRNet, load_model, load_official, official_name, save_model
from tinysr.ops import OPS

SMALL = Genotype(("conv_1x1", "sep_conv_3x3", "dil_conv_3x3"), ((1, 2), (3,), (1, 2, 4)), channels=8, cells=5)


@pytest.mark.parametrize("scale", [2, 3, 4])
def test_shapes(scale):
    torch.manual_seed(0)
    model = DLSRNet(SMALL, scale).eval()
    x = torch.rand(2, 3, 17, 20) * 255
    with torch.no_grad():
        assert model(x).shape == (2, 3, 17 * scale, 20 * scale)
    skip = DLSRNet(SMALL, scale, bicubic_skip=True).eval()
    skip.load_state_dict(model.state_dict())
    with torch.no_grad():   # the skip adds a bicubic upsampling of the input, nothing else
        up = torch.nn.functional.interpolate(x, scale_factor=scale, mode="bicubic", antialias=True)
        torch.testing.assert_close(skip(x) - model(x), up, atol=1e-3, rtol=1e-4)


def test_fusion_widths_follow_inputs():
    model = DLSRNet(SMALL, 2)
    assert [f.conv.in_channels for f in model.fusions] == [16, 8, 24]
    assert model.tail_fusion.conv.in_channels == 5 * 8 and len(model.cells) == 5


def test_from_x2_keeps_the_body():
    x2 = DLSRNet(SMALL, 2)
    x4 = DLSRNet.from_x2(x2, 4)
    assert x4.scale == 4 and x4.training
    a, b = x2.state_dict(), x4.state_dict()
    assert set(a) == set(b)
    for k in a:
        if not k.startswith("upsampler."):
            assert torch.equal(a[k], b[k]), k
    assert b["upsampler.0.weight"].shape == (3 * 4 * 4, 8, 3, 3) and b["upsampler.0.bias"].shape == (48,)


def test_save_load_round_trip_weights_only(tmp_path):
    torch.manual_seed(0)
    model = DLSRNet(SMALL, 3, bicubic_skip=True)
    path = tmp_path / "run" / "model.pt"
    save_model(model, path, config={"seed": 1, "betas": (0.9, 0.999)}, extra={"psnr": 30.5})
    raw = torch.load(path, weights_only=True)     # plain types only
    assert raw["genotype"] == SMALL.to_dict() and raw["scale"] == 3 and raw["bicubic_skip"] is True
    assert raw["config"]["seed"] == 1 and raw["extra"] == {"psnr": 30.5}
    loaded, scale = load_model(path)
    assert scale == 3 and not loaded.training and loaded.genotype == SMALL and loaded.bicubic_skip
    x = torch.rand(1, 3, 16, 16) * 255
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model.eval()(x))
    assert not list(tmp_path.glob("run/*.tmp"))


def test_load_model_rejects_other_files(tmp_path):
    torch.save({"epoch": 1, "state_dict": {}}, tmp_path / "x.pt")
    with pytest.raises(ValueError, match="not a tinysr model.pt.*load_official"):
        load_model(tmp_path / "x.pt")


def test_esa_minimum_size_is_exact():
    assert ESA_MIN_SIZE == 15
    esa = ESA(8)
    esa(torch.rand(1, 8, 15, 15))          # smallest size that works
    for h, w in [(14, 15), (15, 14)]:
        with pytest.raises(ValueError, match="at least 15x15.*larger image"):
            esa(torch.rand(1, 8, h, w))
    with pytest.raises(RuntimeError):      # one pixel less really is impossible for the reduction path
        torch.nn.functional.max_pool2d(esa.conv2(esa.conv1(torch.rand(1, 8, 14, 14))), 7, 3)


def test_model_too_small_input_names_the_minimum():
    with pytest.raises(ValueError, match=r"LR input of 12x40 is too small.*at least 15x15.*HR patch >= 30 at x2"):
        DLSRNet(SMALL, 2)(torch.rand(1, 3, 12, 40))


def test_cell_shapes_and_official_names():
    cell = DistillationCell(8, [OPS[n](8) for n in ("conv_1x1", "sep_conv_7x7", "dil_conv_5x5")])
    assert cell(torch.rand(2, 8, 16, 18)).shape == (2, 8, 16, 18)
    assert official_name("cells.0.ops.1.op.1.weight") == "B1.c2_r.op.1.weight"
    assert official_name("cells.5.distill.2.bias") == "B6.c3_d.bias"
    assert official_name("cells.2.refine.weight") == "B3.c4.weight"
    assert official_name("cells.2.fuse.weight") == "B3.c5.weight"
    assert official_name("cells.3.esa.conv3_.bias") == "B4.esa.conv3_.bias"
    assert official_name("fusions.3.conv.weight") == "c6.0.weight"
    assert official_name("tail_fusion.conv.bias") == "cout.0.bias"
    assert official_name("tail_conv.weight") == "LR_conv.weight"
    assert official_name("upsampler.0.weight") == "upsampler.0.weight"


def test_wrong_official_checkpoint_names_key_and_genotype(official_dir):
    tiny = official_dir / "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt"
    with pytest.raises(ValueError) as err:
        load_official(tiny, "dlsr")
    msg = str(err.value)
    assert "fea_conv.weight" in msg and "(48, 3, 3, 3)" in msg and "(18, 3, 3, 3)" in msg
    assert "genotype='dlsr_tiny'" in msg
    with pytest.raises(ValueError, match=r"B1\.c1_r\.op\.1\.weight.*'dlsr_para'"):
        load_official(official_dir / "RFDN_beta1_para_loss.pt", "dlsr")


def test_official_bare_state_dict_with_module_prefix(tmp_path, official_dir):
    sd = torch.load(official_dir / "RFDN_beta21_tiny18_ps128_20210306_lr4_700.pt", map_location="cpu",
                    weights_only=True)["state_dict"]
    torch.save({"module." + k: v for k, v in sd.items()}, tmp_path / "bare.pt")
    model = load_official(tmp_path / "bare.pt", "dlsr_tiny")
    assert not model.training and torch.equal(model.fea_conv.weight, sd["fea_conv.weight"])
    del sd["LR_conv.bias"]
    torch.save(sd, tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="LR_conv.bias.*missing"):
        load_official(tmp_path / "missing.pt", "dlsr_tiny")


def test_find_official_uses_the_one_data_rule(tmp_path, monkeypatch):
    from tinysr.data import paths
    from tinysr.model import OFFICIAL_FILES, find_official

    assert OFFICIAL_FILES is paths.OFFICIAL_FILES
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TINYSR_DATA", raising=False)
    monkeypatch.setenv("TINYSR_SHARED", str(tmp_path / "shared"))
    assert find_official("dlsr") is None
    shared = tmp_path / "shared" / "data" / "official" / OFFICIAL_FILES["dlsr"]
    local = tmp_path / "datasets" / "official" / OFFICIAL_FILES["dlsr"]
    for f in (shared, local):
        f.parent.mkdir(parents=True)
        f.write_bytes(b"")
    assert find_official("dlsr").resolve() == local.resolve()            # ./datasets comes before $TINYSR_SHARED
    local.unlink()
    assert find_official("dlsr") == shared
    with pytest.raises(ValueError, match="no released checkpoint for 'nope'"):
        find_official("nope")


def test_flipped_bytes_inside_a_saved_tensor_are_an_error(tmp_path):
    """A model.pt damaged after it was written (bytes flipped inside a tensor, the zip intact) must not load as
    silently different weights: its entries' CRC-32 say so."""
    import zipfile
    from dataclasses import replace

    from tinysr.genotype import GENOTYPES
    from tinysr.model import DLSRNet, load_model, save_model

    net = DLSRNet(replace(GENOTYPES["dlsr"], channels=8), 2)
    path = tmp_path / "model.pt"
    save_model(net, path)
    load_model(path)                                             # the intact file loads
    with zipfile.ZipFile(path) as zf:
        info = max(zf.infolist(), key=lambda i: i.file_size)    # the largest tensor's storage
    raw = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + info.file_size // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="CRC-32"):
        load_model(path)


def test_esa_min_is_declared_once_and_derived():
    """The smallest LR side lives in tinysr.config.rules (layer 0); the cell's derivation from ESA's layers agrees."""
    from tinysr.cell import esa_min_size
    from tinysr.config.rules import ESA_MIN
    from tinysr.data import MIN_LR_SIZE

    assert esa_min_size() == ESA_MIN == MIN_LR_SIZE == ESA_MIN_SIZE
