"""YAML parsing that keeps positions: fast loading, exact line numbers only when needed."""

from __future__ import annotations

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
        raise YamlSyntaxError(f"invalid YAML: {message}", line, column) from None
    except (yaml.YAMLError, ValueError, TypeError, OverflowError) as exc:
        raise YamlSyntaxError(f"invalid YAML: {exc}", 1, 1) from None


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
