"""YAML documents with line numbers, validated against a declared schema.

Project files (``tilmech.yaml``, glossaries, article front matter) are read with
the safe loader only. Each value's line is remembered so that schema errors read
``glossary/ichei.yaml:14: terms[3].ru: expected a string``; all problems of a
file are reported together, then the read aborts once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic
import yaml

from .errors import ConfigError, InputError, Problems

Path_ = tuple[str | int, ...]
M = TypeVar("M", bound=pydantic.BaseModel)


@dataclass
class YamlDoc:
    """Plain Python data plus the line of every value, by path."""

    data: Any
    source: str
    lines: dict[Path_, int] = field(default_factory=dict)

    def line_of(self, path: Path_) -> int | None:
        """Line of ``path`` or of its nearest enclosing value."""
        path = tuple(p for p in path if p != "[key]")
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


@dataclass(frozen=True)
class Problem:
    """One problem of a file: its line (when known), the key it is about, what is wrong."""

    line: int | None
    where: str  # the key, as format_path writes it (engines.ky[1]); empty: the file as a whole
    message: str

    def render(self, source: str) -> str:
        at = f"{source}:{self.line}" if self.line is not None else source
        return f"{at}: {self.where}: {self.message}" if self.where else f"{at}: {self.message}"


@dataclass(frozen=True)
class SchemaProblem(Problem):
    """A :class:`Problem` found by the schema, with the path of its value in the data."""

    loc: Path_ = ()


def raise_problems(source: str, lines: Sequence[str], detail: str = "") -> None:
    """Raise the problems found, if any: one as its own line, several as :class:`Problems`."""
    if len(lines) == 1:
        raise ConfigError(lines[0])
    if lines:
        raise Problems(source, list(lines), detail)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if part == "[key]":  # pydantic's marker for an invalid mapping key
            continue
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


MAX_VALUES = 100_000  # values of one document, aliases expanded: refuses "billion laughs" alias bombs


# libyaml's parser when PyYAML has it: about ten times faster on the front matter of every
# article a run reads. A document it refuses is parsed again by the pure-Python loader, whose
# errors carry the details this module reports (the offending character, the opening quote).
_FAST_LOADER: Any = getattr(yaml, "CSafeLoader", None)


def read_yaml(text: str, source: str, *, line_offset: int = 0) -> YamlDoc:
    """Parse ``text`` (named ``source`` in errors) into a :class:`YamlDoc`."""
    if _FAST_LOADER is not None:
        try:
            return _read_yaml(text, source, line_offset, _FAST_LOADER)
        except InputError:
            pass
    return _read_yaml(text, source, line_offset, yaml.SafeLoader)


def _read_yaml(text: str, source: str, line_offset: int, loader_class: Any) -> YamlDoc:
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as exc:  # a control character such as NUL
        at = text.count("\n", 0, exc.position) + 1 + line_offset
        raise InputError(source, at, f"invalid YAML: character #x{exc.character:04x} is not allowed: "
                                       "remove it") from None
    lines: dict[Path_, int] = {}
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise InputError(source, None, "invalid YAML: nested too deeply") from None
        except yaml.MarkedYAMLError as exc:
            # an unclosed quote or bracket is best shown where it opens; anything else where it broke
            opened = exc.context and ("quoted" in exc.context or "flow" in exc.context)
            mark = (exc.context_mark if opened else None) or exc.problem_mark or exc.context_mark
            line = mark.line + 1 + line_offset if mark else None
            problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
            raise InputError(source, line, f"invalid YAML: {problem}") from None
        except yaml.YAMLError as exc:
            raise InputError(source, None, f"invalid YAML: {exc}") from None
        if node is None:
            return YamlDoc(None, source, lines)

        def build(n: yaml.Node, path: Path_) -> Any:
            lines[path] = n.start_mark.line + 1 + line_offset
            if len(lines) > MAX_VALUES:
                raise InputError(source, lines[path], f"more than {MAX_VALUES:,} values once aliases are expanded: "
                                                      "write the document without aliases (*name)")
            if isinstance(n, yaml.MappingNode):
                loader.flatten_mapping(n)
                result: dict[Any, Any] = {}
                for key_node, value_node in n.value:
                    key = loader.construct_object(key_node, deep=True)
                    if not isinstance(key, str | int | float | bool):
                        raise InputError(
                            source, key_node.start_mark.line + 1 + line_offset,
                            f"{format_path(path) or 'top level'}: keys must be plain text",
                        )
                    if key in result:
                        raise InputError(
                            source, key_node.start_mark.line + 1 + line_offset,
                            f"{format_path((*path, str(key)))}: duplicate key {key!r}",
                        )
                    result[key] = build(value_node, (*path, str(key)))
                return result
            if isinstance(n, yaml.SequenceNode):
                return [build(item, (*path, i)) for i, item in enumerate(n.value)]
            try:
                return loader.construct_object(n, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise InputError(source, lines[path], f"{format_path(path)}: {exc.problem}") from None
            except ValueError as exc:  # e.g. a timestamp such as 2023-06-31
                what = "date (write dates as YYYY-MM-DD)" if n.tag.endswith(":timestamp") else "value"
                raise InputError(source, lines[path],
                                 f"{format_path(path) or 'value'}: {n.value!r} is not a valid {what}: {exc}") from None

        try:
            data = build(node, ())
        except RecursionError:
            raise InputError(source, None, "invalid YAML: nested too deeply") from None
        except yaml.MarkedYAMLError as exc:  # e.g. a merge key (<<) given something else than a mapping
            mark = exc.problem_mark or exc.context_mark
            problem = "; ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
            raise InputError(source, mark.line + 1 + line_offset if mark else None,
                             f"invalid YAML: {problem}") from None
    finally:
        loader.dispose()
    return YamlDoc(data, source, lines)


def validate(model: type[M], doc: YamlDoc, *, context: Mapping[str, Any] | None = None) -> M:
    """Validate ``doc`` against ``model``; every error names file, line and key, all reported at once."""
    result, problems = check_schema(model, doc, context=context)
    raise_problems(doc.source, [p.render(doc.source) for p in sorted(problems, key=lambda p: p.line or 0)])
    assert result is not None  # no problems: validated
    return result


def check_schema(model: type[M], doc: YamlDoc, *, context: Mapping[str, Any] | None = None,
                 ) -> tuple[M | None, list[SchemaProblem]]:
    """``doc`` validated against ``model`` (``None`` when it is not valid) and every schema problem."""
    try:
        return model.model_validate(doc.data if doc.data is not None else {}, context=context), []
    except pydantic.ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = _data_path(doc.data, tuple(err["loc"]))
            problems.append(SchemaProblem(doc.line_of(loc), format_path(loc) or "top level", _humanize(err),
                                          tuple(p for p in loc if p != "[key]")))
        return None, problems


def _data_path(data: Any, loc: Path_) -> Path_:
    """``loc`` without the parts pydantic adds that are not in the data (the tag of a tagged union)."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        if isinstance(data, dict) and part not in data and not last and part != "[key]":
            continue
        out.append(part)
        data = data.get(part) if isinstance(data, dict) else \
            data[part] if isinstance(data, list) and isinstance(part, int) and part < len(data) else None
    return tuple(out)


def _humanize(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "string_type":
        return "expected a string"
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check its spelling against the documentation)"
    if kind in ("list_type", "tuple_type"):
        return "expected a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "expected a mapping of keys to values"
    message = str(err.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")
