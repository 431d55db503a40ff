"""YAML loading that remembers where every value was written.

Config and rule errors must name file, line and column. PyYAML's node tree has
the marks; we keep a map from a key path (("feeds", 2, "url")) to its position
and turn pydantic's error locations into "file:line:col" with it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from newswatch.errors import ConfigError

Path_ = tuple[Any, ...]


@dataclass(frozen=True)
class LoadedYaml:
    data: Any
    source: str  # file name for messages
    positions: dict[Path_, tuple[int, int]]  # 1-based line, column

    def where(self, loc: Iterable[Any]) -> str:
        """The best 'file:line:col' for a location; falls back to the nearest parent."""
        path = tuple(loc)
        while path:
            if path in self.positions:
                line, col = self.positions[path]
                return f"{self.source}:{line}:{col}"
            path = path[:-1]
        return f"{self.source}:1:1"


def _walk(node: yaml.Node, path: Path_, out: dict[Path_, tuple[int, int]]) -> None:
    out.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            out[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, path + (key,), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), out)


def _duplicate_keys(node: yaml.Node, source: str) -> None:
    """YAML silently keeps the last of two equal keys; for a config that hides a typo."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if key_node.value in seen:
                mark = key_node.start_mark
                raise ConfigError(
                    f"duplicate key {key_node.value!r}", where=f"{source}:{mark.line + 1}:{mark.column + 1}"
                )
            seen.add(key_node.value)
            _duplicate_keys(value_node, source)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, source)


# libyaml when present: a config with a thousand feeds or a folder of a thousand
# rules takes seconds with the pure-Python parser
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml_text(text: str, source: str) -> LoadedYaml:
    """Parse once: the node tree gives the positions, the same nodes give the data."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise ConfigError(f"not valid YAML: {exc.problem or exc}", where=where) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", where=source) from None
    finally:
        loader.dispose()
    positions: dict[Path_, tuple[int, int]] = {}
    if node is not None:
        _duplicate_keys(node, source)
        _walk(node, (), positions)
    return LoadedYaml(data=data, source=source, positions=positions)


def load_yaml_file(path: Path) -> LoadedYaml:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", where=str(path)) from None
    return load_yaml_text(text, str(path))


def pydantic_errors(loaded: LoadedYaml, exc: Exception) -> list[str]:
    """One 'file:line:col: field: message' line per pydantic validation error."""
    lines = []
    for err in exc.errors():  # type: ignore[attr-defined]
        loc = tuple(err.get("loc", ()))
        field = ".".join(str(p) for p in loc) or "(top level)"
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field (check the spelling; see the documented fields)"
        lines.append(f"{loaded.where(loc)}: {field}: {msg}")
    return lines
