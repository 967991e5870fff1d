"""Turn parsed YAML into frozen dataclasses, naming the key path of every wrong value."""

from __future__ import annotations

import dataclasses
import difflib
import keyword
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

KeyPath = tuple[str | int, ...]


@dataclasses.dataclass(frozen=True)
class SchemaProblem:
    """A value at `keys` that does not fit; `message` is written for a person."""

    keys: KeyPath
    message: str


TYPE_NAMES = {str: "text", int: "a whole number", bool: "true or false", float: "a number"}


def describe(tp: Any) -> str:
    """Say in words what a type annotation expects."""
    origin = get_origin(tp)
    if tp in TYPE_NAMES:
        return TYPE_NAMES[tp]
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(describe(a) for a in get_args(tp) if a is not type(None))
    if origin is tuple:
        return f"a list of {describe(get_args(tp)[0])}"
    if origin is dict:
        return "a mapping"
    if dataclasses.is_dataclass(tp):
        return "a mapping"
    return getattr(tp, "__name__", str(tp))


def show(value: Any) -> str:
    """Show a user's value briefly, without Python type names."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def convert(tp: Any, value: Any, keys: KeyPath, problems: list[SchemaProblem]) -> Any:
    """Convert `value` to `tp`; record a problem and return None where it does not fit."""
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        options = get_args(tp)
        if value is None and type(None) in options:
            return None
        for option in options:
            if option is type(None):
                continue
            trial: list[SchemaProblem] = []
            result = convert(option, value, keys, trial)
            if not trial:
                return result
        problems.append(SchemaProblem(keys, f"expected {describe(tp)}, got {show(value)}"))
        return None
    if origin is Literal:
        if value in get_args(tp):
            return value
        problems.append(SchemaProblem(keys, f"expected {describe(tp)}, got {show(value)}"))
        return None
    if origin is tuple:
        item_type = get_args(tp)[0]
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, list):
            problems.append(SchemaProblem(keys, f"expected {describe(tp)}, got {show(value)}"))
            return ()
        return tuple(convert(item_type, v, (*keys, i), problems) for i, v in enumerate(value))
    if origin is dict:
        key_type, value_type = get_args(tp)
        if not isinstance(value, dict):
            problems.append(SchemaProblem(keys, f"expected a mapping, got {show(value)}"))
            return {}
        return {
            str(k): convert(value_type, v, (*keys, str(k)), problems) for k, v in value.items()
        }
    if dataclasses.is_dataclass(tp):
        return build_dataclass(tp, value, keys, problems)
    if tp is Any:
        return value
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if tp is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    problems.append(SchemaProblem(keys, f"expected {describe(tp)}, got {show(value)}"))
    return None


def build_dataclass(cls: Any, value: Any, keys: KeyPath, problems: list[SchemaProblem],
                    fixed: dict[str, Any] | None = None) -> Any:
    """Build a dataclass from a mapping: unknown keys suggest the nearest known one."""
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(SchemaProblem(keys, f"expected a mapping, got {show(value)}"))
        value = {}
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    settable = [name for name in fields if not (fixed and name in fixed)]
    kwargs: dict[str, Any] = dict(fixed or {})
    for key, item in value.items():
        name = str(key)
        attribute = name + "_" if keyword.iskeyword(name) else name  # from: is from_
        if attribute not in settable:
            spelled = [s.removesuffix("_") for s in settable]
            close = difflib.get_close_matches(name, spelled, n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(SchemaProblem((*keys, name), f"unknown key '{name}'{hint}"))
            continue
        before = len(problems)
        converted = convert(hints[attribute], item, (*keys, name), problems)
        if len(problems) == before:
            kwargs[attribute] = converted
    return cls(**kwargs)


def key_label(keys: typing.Sequence[str | int]) -> str:
    """Write a key path the way a user reads it: feeds.entries, topics.sport.name, tags[2]."""
    label = ""
    for key in keys:
        label += f"[{key}]" if isinstance(key, int) else (f".{key}" if label else key)
    return label
