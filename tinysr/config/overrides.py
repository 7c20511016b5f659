"""Changes to a config: ``--set key=value`` text parsed to a field's type and applied as one batch, and the
sections of a saved ``config.json``.

All changes of one call are applied together (one ``replace`` per section, then one of the whole config),
so rules between fields see the final values: ``--set data.scale=3 --set search.hr_patch=63`` is valid
although neither change alone would be. Values are checked by the config's own ``__post_init__``.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import fields, replace
from typing import Any

from .rules import ConfigError, FieldSpec

__all__ = ["split_assignment", "parse_value", "resolve_name", "apply_overrides", "build_section", "sections_from_json",
           "REMOVED_FIELDS", "ADDED_FIELDS"]


#: Fields a saved config may still hold although they were removed, with why (loading it is an error saying so).
REMOVED_FIELDS = {"data.num_workers": "it was unused", "eval.scales": "it was unused",
                  "search.cost_kind": "the kind follows which budget is set: budget_params or budget_multi_adds"}
#: Fields added later, with the value that reproduces what a config saved before them did.
ADDED_FIELDS = {"search.derive": "argmax", "search.alpha_optim": "adam", "search.gumbel_hard": False,
                "search.tau_hold": 0.0, "search.single_path": False}


def split_assignment(assignment: str) -> tuple[str, str]:
    """``"search.w_lr=1e-3"`` -> ``("search.w_lr", "1e-3")`` (the value may itself contain ``=``)."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key=value, got {assignment!r} (e.g. --set search.w_lr=1e-3)")
    key, value = assignment.split("=", 1)
    return key.strip(), value


def _scalar(text: str, kind: type) -> Any:
    text = text.strip()
    if kind is bool:
        low = text.lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true/false")
    if kind is int:
        try:
            return int(text)
        except ValueError:
            number = float(text)            # "1e6" is an int too
            if not number.is_integer():
                raise ValueError("expected an int") from None
            return int(number)
    return kind(text)


def parse_value(text: str, spec: FieldSpec, key: str) -> Any:
    """``text`` as a value of the field ``key`` declared by ``spec`` (tuples: comma-separated)."""
    try:
        if spec.kind is tuple:
            parts = [p for p in text.strip().strip("()[]").split(",") if p.strip()]
            return tuple(_scalar(p, spec.elem) for p in parts)
        return text if spec.kind is str else _scalar(text, spec.kind)
    except ValueError as exc:
        what = str(exc) if str(exc).startswith("expected") else {
            int: "expected an int", float: "expected a number"}.get(spec.elem or spec.kind, str(exc))
        if spec.kind is tuple:
            what += " for each comma-separated element"
        raise ConfigError(f"bad value {text!r} for {key}: {what}") from None


def resolve_name(key: str, names: list[str]) -> str:
    """The dotted field meant by ``key``: itself, or the one field whose last part it is."""
    matches = [n for n in names if n == key or n.split(".")[-1] == key]
    if len(matches) > 1:
        raise ConfigError(f"--set {key}: {key!r} is ambiguous, it matches {' and '.join(matches)}; "
                          "use the dotted name")
    if not matches:
        raise ConfigError(f"--set {key}: {key!r} is not a config field; valid names: {', '.join(names)}")
    return matches[0]


def apply_overrides(cfg: Any, assignments: Iterable[str] | Mapping[str, Any], names: list[str],
                    spec_for: Callable[[str], FieldSpec]) -> Any:
    """``cfg`` with ``assignments`` (``["key=value", ...]`` or ``{key: value}``; string values are parsed,
    others used as given) applied together. ``names``: the valid dotted names; ``spec_for(dotted)``: a
    field's :class:`FieldSpec`. Later assignments of the same field win."""
    if isinstance(assignments, Mapping):
        items = list(assignments.items())
    else:
        items = [split_assignment(a) for a in assignments]
    top: dict[str, Any] = {}
    sections: dict[str, dict[str, Any]] = {}
    for key, value in items:
        full = resolve_name(key, names)
        new = parse_value(value, spec_for(full), full) if isinstance(value, str) else value
        section, _, name = full.rpartition(".")
        (sections.setdefault(section, {}) if section else top)[name] = new
    changed = {s: replace(getattr(cfg, s), **kv) for s, kv in sections.items()}
    return replace(cfg, **top, **changed) if top or changed else cfg


def build_section(klass: type, values: Any, where: str, removed: Mapping[str, str],
                  added: Mapping[str, Any] | None = None, base: Any = None, filled: list[str] | None = None) -> Any:
    """``klass(**values)`` for the JSON object ``values`` of section ``where`` of a saved config; an unknown
    key is an error naming the valid ones (``removed``: ``{dotted: why}`` for fields that no longer exist;
    ``added``: ``{dotted: value}``, what a config saved before that field existed did, used when it is absent).
    Any other absent field comes from ``base`` (the section of the preset the config names, its name appended
    to ``filled``); without a ``base`` an absent field is an error naming it -- never a silent default."""
    if not isinstance(values, dict):
        raise ConfigError(f"{where} must be a JSON object of {klass.__name__} fields, got {values!r}")
    names = {f.name for f in fields(klass)}
    for key in values:
        if key not in names:
            why = removed.get(f"{where}.{key}")
            raise ConfigError(f"{where}.{key} was removed from the config ({why}): delete it" if why else
                              f"unknown field {where}.{key}; valid fields: {', '.join(sorted(names))}")
    before = {k.split(".", 1)[1]: v for k, v in (added or {}).items() if k.split(".", 1)[0] == where}
    missing = sorted(names - set(values) - set(before))
    if missing and base is None:
        raise ConfigError(f"{where} lacks {', '.join(f'{where}.{m}' for m in missing)}: a saved config holds every "
                          "field; add them, or name a preset in its \"name\" (smoke, laptop, gpu, paper) to fill them")
    filled_in = {m: getattr(base, m) for m in missing}       # base is not None here, or nothing is missing
    if filled is not None:
        filled += [f"{where}.{m}" for m in missing]
    return klass(**{**filled_in, **before, **values})


def sections_from_json(d: Mapping[str, Any], sections: Mapping[str, type], presets: Mapping[str, Callable[[], Any]],
                       removed: Mapping[str, str], added: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The keyword arguments of a ``Config`` from a saved config's JSON ``d``, and a note naming what came from the
    preset ``d["name"]`` names ('' when nothing did): an absent section is that preset's; a present section lacking
    fields gets the ``added`` values of fields introduced later (an older tinysr's config) and the preset's for the
    rest (:func:`build_section`). With no preset of that name, anything absent is an error naming it."""
    if not isinstance(d, dict) or not set(d) <= {"name", "seed", *sections}:
        raise ConfigError(f"a config is a JSON object with keys name, seed, {', '.join(sections)}; got "
                          f"{sorted(d) if isinstance(d, dict) else type(d).__name__}")
    base = presets[d["name"]]() if d.get("name") in presets else None
    kwargs, filled, whole = dict(d), [], []
    for key, klass in sections.items():
        if key not in d and base is not None:
            kwargs[key] = getattr(base, key)
            whole.append(key)
        else:
            kwargs[key] = build_section(klass, d.get(key, {}), key, removed, added, getattr(base, key, None), filled)
    parts = ([f"sections {', '.join(whole)}"] if whole else []) + filled
    return kwargs, (f"config: {', '.join(parts)} not in the file, taken from preset {d['name']!r}" if parts else "")
