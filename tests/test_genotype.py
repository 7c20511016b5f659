"""Genotype: JSON round trip, validation messages (field + bad value + allowed values), named genotypes."""
from __future__ import annotations

import json

import pytest

from tinysr.genotype import GENOTYPES, Genotype, get_genotype

OPS3 = ["conv_1x1", "sep_conv_7x7", "sep_conv_5x5"]
INPUTS = [[1, 2], [2, 3], [2, 4], [4, 5]]


def test_json_round_trip_text_and_file(tmp_path):
    g = Genotype(OPS3, INPUTS, channels=24, cells=6)
    text = g.to_json()
    assert json.loads(text) == {"ops": OPS3, "inputs": INPUTS, "channels": 24, "cells": 6}
    assert Genotype.from_json(text) == g
    path = tmp_path / "genotype.json"
    g.to_json(path)
    assert Genotype.from_json(path) == g == get_genotype(path) == get_genotype(str(path))
    assert Genotype.from_dict(g.to_dict()) == g
    g3 = Genotype(OPS3, INPUTS, scale=3)
    assert g3.to_dict()["scale"] == 3 and Genotype.from_json(g3.to_json()) == g3


def test_lists_become_tuples_and_hashable():
    g = Genotype(OPS3, INPUTS)
    assert g.ops == tuple(OPS3) and g.inputs == tuple(map(tuple, INPUTS))
    assert hash(g) == hash(Genotype(tuple(OPS3), tuple(map(tuple, INPUTS))))


def test_one_or_more_predecessors_allowed():
    assert Genotype(OPS3, [[2], [3], [1, 2, 3, 4], [5]]).inputs[2] == (1, 2, 3, 4)
    assert Genotype(OPS3, [], cells=2).inputs == ()


@pytest.mark.parametrize("kwargs, field, bad", [
    (dict(ops=["conv_1x1", "conv_9x9", "conv_1x1"]), "ops[1]", "conv_9x9"),
    (dict(ops=["conv_1x1", "conv_3x3"]), "ops", "conv_3x3"),
    (dict(inputs=INPUTS[:3]), "inputs", "(1, 2)"),
    (dict(inputs=[[1, 3], [2, 3], [2, 4], [4, 5]]), "inputs[0]", "3 is itself"),
    (dict(inputs=[[1, 2], [2, 3], [2, 6], [4, 5]]), "inputs[2]", "6 is a later cell"),
    (dict(inputs=[[0, 2], [2, 3], [2, 4], [4, 5]]), "inputs[0]", "0 is not a cell"),
    (dict(inputs=[[1, 2], [3, 3], [2, 4], [4, 5]]), "inputs[1]", "duplicate"),
    (dict(inputs=[[1, 2], [], [2, 4], [4, 5]]), "inputs[1]", "[]"),
    (dict(inputs=[[1, 2.0], [2, 3], [2, 4], [4, 5]]), "inputs[0]", "2.0"),
    (dict(inputs=[[1, "2"], [2, 3], [2, 4], [4, 5]]), "inputs[0]", "'2'"),
    (dict(channels=47), "channels", "47"),
    (dict(channels=0), "channels", "0"),
    (dict(channels=-48), "channels", "-48"),
    (dict(cells=1, inputs=[]), "cells", "1"),
    (dict(scale=5), "scale", "5"),
])
def test_invalid_genotypes_name_the_field(kwargs, field, bad):
    args = dict(ops=OPS3, inputs=INPUTS) | kwargs
    with pytest.raises(ValueError) as err:
        Genotype(**args)
    msg = str(err.value)
    assert f"Genotype.{field}" in msg and bad in msg
    assert "allowed values" in msg or "must" in msg


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(ValueError, match="unknown genotype field.*'op'"):
        Genotype.from_dict({"op": OPS3, "inputs": INPUTS})
    with pytest.raises(ValueError, match="missing field.*inputs"):
        Genotype.from_dict({"ops": OPS3})
    with pytest.raises(ValueError, match="not valid JSON"):
        Genotype.from_json("{not json")


def test_named_genotypes_as_published():
    assert set(GENOTYPES) == {"dlsr", "dlsr_para", "dlsr_tiny"}
    d, p, t = GENOTYPES["dlsr"], GENOTYPES["dlsr_para"], GENOTYPES["dlsr_tiny"]
    assert d.ops == t.ops == ("conv_1x1", "sep_conv_7x7", "sep_conv_5x5")
    assert d.inputs == t.inputs == ((1, 2), (2, 3), (2, 4), (4, 5))
    assert p.ops == ("sep_conv_3x3", "sep_conv_5x5", "sep_conv_5x5")
    assert p.inputs == ((2, 1), (3, 2), (4, 3), (1, 3))         # concat order kept
    assert (d.channels, p.channels, t.channels) == (48, 48, 18)
    assert d.cells == p.cells == t.cells == 6
    assert get_genotype("dlsr") is d and get_genotype(d) is d


def test_unknown_name_lists_names_and_mentions_path():
    with pytest.raises(ValueError) as err:
        get_genotype("dlsr_huge")
    msg = str(err.value)
    assert "dlsr_huge" in msg and all(n in msg for n in GENOTYPES) and "genotype.json" in msg
    with pytest.raises(FileNotFoundError, match="does not exist"):
        Genotype.from_json("missing/genotype.json")
