"""YAML parsing that keeps positions: fast loading, exact line numbers only when needed."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

try:  # libyaml is several times faster; fall back to the pure-Python loader
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

Position = tuple[int, int]


class PositionlessLoader(SafeLoader):  # type: ignore[misc, valid-type]
    """The safe loader, but an impossible timestamp such as 2025-13-45 stays text.

    The caller then reports it at its key, instead of PyYAML failing without a position.
    """


def lenient_timestamp(loader: Any, node: yaml.Node) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)


PositionlessLoader.add_constructor("tag:yaml.org,2002:timestamp", lenient_timestamp)


class YamlSyntaxError(Exception):
    """A YAML syntax error with a 1-based position inside the parsed text."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


def load_yaml(text: str) -> Any:
    """Parse YAML safely; syntax errors become YamlSyntaxError with a position."""
    try:
        return yaml.load(text, Loader=PositionlessLoader)  # noqa: S506 - a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark and exc.context_mark and exc.context_mark.line < mark.line:
            mark = exc.context_mark  # an unclosed bracket or quote: show where it began
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        if exc.problem_mark and (found := usual_cause(text, exc.problem or "",
                                                      exc.problem_mark.line,
                                                      exc.problem_mark.column)):
            hint, line, column = found
            message = f"{message}; {hint}"
        raise YamlSyntaxError(f"invalid YAML: {message}", line, column) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1, 1) from None


PLAIN_KEY_VALUE = re.compile(r"^([ \t]*(?:-[ \t]+)?)([^\s#'\"{\[&*!|>%@`-][^:#]*?):[ \t]+(\S.*)$")
"""One `key: value` line whose value is a plain (unquoted) scalar."""


def usual_cause(text: str, problem: str, line: int, column: int
                ) -> tuple[str, int, int] | None:
    """Name the two everyday mistakes behind a YAML error, with the fix and its position.

    PyYAML's words ("mapping values are not allowed here", "cannot start any token") do not
    tell an editor that a tab crept into the indentation or that a headline needs quotes.
    """
    lines = re.split(r"\r\n|\r|\n", text)
    if not 0 <= line < len(lines):
        return None
    source = lines[line]
    indent = source[:len(source) - len(source.lstrip(" \t"))]
    if "\t" in indent and ("tab" in problem or "cannot start any token" in problem):
        return ("the line is indented with a tab, but YAML needs spaces: indent with spaces "
                "instead", line + 1, indent.index("\t") + 1)
    match = PLAIN_KEY_VALUE.match(source)
    if "mapping values are not allowed" in problem and match and column >= match.start(3):
        key = match.group(2).strip()
        value = re.split(r"[ \t]#", match.group(3), maxsplit=1)[0].rstrip()
        return (f"a ': ' inside a value needs quotes, so put the {key} in quotes: "
                f"{key}: {quoted(value)}", line + 1, column + 1)
    return None


def quoted(value: str) -> str:
    """The value as a YAML quoted scalar, in the quotes that need no escapes where possible."""
    if '"' not in value and "\\" not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    return json.dumps(value, ensure_ascii=False)


def key_position(text: str, keys: tuple[str | int, ...]) -> Position:
    """Find where the value at a key path sits in YAML text (its key for mappings).

    Parsing a second time with positions is only done when an error must be reported, so
    the common path stays fast.
    """
    try:
        node = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return (1, 1)
    best: Position = (1, 1)
    for key in keys:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(key):
                    best = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                    node = value_node
                    break
            else:
                return best
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            best = (node.start_mark.line + 1, node.start_mark.column + 1)
        else:
            return best
    return best
