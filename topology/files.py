"""Topology files: the TOML format users edit by hand and `learn`/`import` write (docs/topology.md).

```toml
[topology]
default_link_cps = 300.0          # optional

[[post]]
ri = "RUEHKO"
name = "AMEMBASSY TOKYO"
aliases = ["EMBASSY TOKYO"]       # optional
kind = "embassy"                  # optional: embassy consulate mission department military other
link_cps = 1200.0                 # optional
ri_range_end = "RUEHKOZ"          # optional: the post stands for ri .. ri_range_end

[[collective]]
ri = "RUEHGG"                     # ri and/or name
name = "UN SECURITY COUNCIL COLLECTIVE"
members = [
    "RUEHTRO",
    { ri = "RUEHBJ", source = "inferred", evidence = 3, confidence = 0.875, examples = ["08PARIS1616"] },
    { ri = "RUEHVC", source = "inferred", evidence = 2, confidence = 0.375, ambiguous_with = ["RUEHOO"] },
]
```

Reading uses the standard library's `tomllib`; writing uses the small emitter below (the format
needs only strings, numbers, arrays of strings and inline tables).
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from topology.errors import CablerouteError
from topology.model import POST_KINDS, Collective, Member, Post
from topology.ri import looks_like_ri
from topology.topology import Topology

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_TABLE_HEADER = re.compile(r"^\s*\[\[\s*(post|collective)\s*\]\]")

_POST_KEYS = frozenset({"ri", "name", "aliases", "kind", "link_cps", "ri_range_end"})
_COLLECTIVE_KEYS = frozenset({"ri", "name", "aliases", "members"})
_MEMBER_KEYS = frozenset({"ri", "source", "evidence", "confidence", "ambiguous_with", "examples"})
_TOP_KEYS = frozenset({"topology", "post", "collective"})


class TopologyFileError(CablerouteError, ValueError):
    """A topology file that cannot be read or does not follow the format; names file and line."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.reason = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


class _Where:
    """Finds the line of an entry (and of a key inside it) in the file text, for error messages."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()
        self.headers: dict[str, list[int]] = {"post": [], "collective": []}
        for number, line in enumerate(self.lines, start=1):
            match = _TABLE_HEADER.match(line)
            if match is not None:
                self.headers[match.group(1)].append(number)

    def line(self, table: str, index: int, key: str | None = None) -> int | None:
        """The line of entry `index` of `table` (of `key` in it when found), or None."""
        starts = self.headers[table]
        if index >= len(starts):
            return None
        start = starts[index]
        if key is None:
            return start
        later = [n for others in self.headers.values() for n in others if n > start]
        end = min(later, default=len(self.lines) + 1)
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number in range(start + 1, end):
            if pattern.match(self.lines[number - 1]):
                return number
        return start

    def error(self, table: str, index: int, key: str | None, message: str) -> TopologyFileError:
        line = self.line(table, index, key)
        return TopologyFileError(self.source, line, f"{table} #{index + 1}: {message}")


def parse_topology(text: str, source: str = "<string>") -> Topology:
    """A topology from TOML text; `source` names the text in errors (`TopologyFileError`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        match = _TOML_POSITION.search(message)
        line = int(match.group(1)) if match else None
        message = _TOML_POSITION.sub("", message)
        raise TopologyFileError(source, line, f"invalid TOML: {message}") from None
    where = _Where(source, text)
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise TopologyFileError(source, None, f"unknown top-level key(s): {', '.join(unknown)}")
    declared = _default_link_cps(data.get("topology", {}), source)
    posts = [_post(entry, i, where) for i, entry in enumerate(_table_list(data, "post", source))]
    collectives = [
        _collective(entry, i, where) for i, entry in enumerate(_table_list(data, "collective", source))
    ]
    return Topology(posts, collectives, declared)


def read_topology(path: Path) -> Topology:
    """The topology in one TOML file (`TopologyFileError` when it cannot be read or parsed)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TopologyFileError(str(path), None, f"cannot read: {error}") from None
    return parse_topology(text, str(path))


def load_topology(paths: Sequence[Path]) -> Topology:
    """The topology files layered in order, later files winning (an empty list: an empty topology)."""
    topology = Topology()
    for path in paths:
        topology = topology.layered(read_topology(path))
    return topology


@lru_cache(maxsize=1)
def bundled_example() -> Topology:
    """The small hand-written topology for the two example cables shipped with cableroute."""
    text = resources.files("topology").joinpath("data", "example.toml").read_text(encoding="utf-8")
    return parse_topology(text, "topology/data/example.toml")


def _table_list(data: dict[str, Any], table: str, source: str) -> list[dict[str, Any]]:
    entries = data.get(table, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise TopologyFileError(source, None, f"`{table}` must be an array of tables ([[{table}]])")
    return entries


def _default_link_cps(table: Any, source: str) -> float | None:
    if not isinstance(table, dict):
        raise TopologyFileError(source, None, "`topology` must be a table")
    unknown = sorted(set(table) - {"default_link_cps"})
    if unknown:
        raise TopologyFileError(source, None, f"[topology]: unknown key(s): {', '.join(unknown)}")
    value = table.get("default_link_cps")
    if value is None:
        return None
    if not _is_rate(value):
        raise TopologyFileError(source, None, "[topology]: default_link_cps must be a positive number")
    return float(value)


def _is_rate(value: Any) -> bool:
    return (
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


def _check_keys(entry: dict[str, Any], allowed: frozenset[str], table: str, i: int, where: _Where) -> None:
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise where.error(table, i, unknown[0], f"unknown key(s): {', '.join(unknown)}")


def _ri(value: Any, table: str, i: int, where: _Where, key: str = "ri") -> str:
    if not isinstance(value, str) or not looks_like_ri(value):
        raise where.error(table, i, key, f"{key} must be a routing indicator such as RUEHKO, not {value!r}")
    return value


def _name(value: Any, table: str, i: int, where: _Where) -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.error(table, i, "name", "name must be a non-empty string")
    return value.strip()


def _aliases(value: Any, table: str, i: int, where: _Where) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(a, str) and a.strip() for a in value):
        raise where.error(table, i, "aliases", "aliases must be an array of non-empty strings")
    return tuple(a.strip() for a in value)


def _post(entry: dict[str, Any], i: int, where: _Where) -> Post:
    _check_keys(entry, _POST_KEYS, "post", i, where)
    if "ri" not in entry or "name" not in entry:
        raise where.error("post", i, None, "a post needs `ri` and `name`")
    ri = _ri(entry["ri"], "post", i, where)
    kind = entry.get("kind", "other")
    if kind not in POST_KINDS:
        raise where.error("post", i, "kind", f"kind must be one of {', '.join(POST_KINDS)}, not {kind!r}")
    link_cps = entry.get("link_cps")
    if link_cps is not None and not _is_rate(link_cps):
        raise where.error("post", i, "link_cps", "link_cps must be a positive number")
    end = entry.get("ri_range_end")
    if end is not None:
        end = _ri(end, "post", i, where, "ri_range_end")
        if len(end) != len(ri) or end < ri:
            message = "ri_range_end must have the length of ri and follow it"
            raise where.error("post", i, "ri_range_end", message)
    return Post(
        ri=ri,
        name=_name(entry["name"], "post", i, where),
        aliases=_aliases(entry.get("aliases", []), "post", i, where),
        kind=kind,
        link_cps=float(link_cps) if link_cps is not None else None,
        ri_range_end=end,
    )


def _collective(entry: dict[str, Any], i: int, where: _Where) -> Collective:
    _check_keys(entry, _COLLECTIVE_KEYS, "collective", i, where)
    if "ri" not in entry and "name" not in entry:
        raise where.error("collective", i, None, "a collective needs `ri`, `name` or both")
    ri = _ri(entry["ri"], "collective", i, where) if "ri" in entry else None
    name = _name(entry["name"], "collective", i, where) if "name" in entry else None
    members = entry.get("members", [])
    if not isinstance(members, list):
        raise where.error("collective", i, "members", "members must be an array")
    return Collective(
        ri=ri,
        name=name,
        aliases=_aliases(entry.get("aliases", []), "collective", i, where),
        members=tuple(_member(m, i, where) for m in members),
    )


def _member(value: Any, i: int, where: _Where) -> Member:
    if isinstance(value, str):
        return Member(ri=_ri(value, "collective", i, where, "members"))
    if not isinstance(value, dict) or "ri" not in value or set(value) - _MEMBER_KEYS:
        message = "a member is an RI string or { ri = ..., source = ..., evidence = ..., confidence = ... }"
        raise where.error("collective", i, "members", message)
    source = value.get("source", "declared")
    evidence = value.get("evidence", 0)
    if source not in ("declared", "inferred"):
        message = f"member source must be declared or inferred, not {source!r}"
        raise where.error("collective", i, "members", message)
    if not isinstance(evidence, int) or isinstance(evidence, bool) or evidence < 0:
        raise where.error("collective", i, "members", "member evidence must be a whole number >= 0")
    confidence = value.get("confidence")
    if confidence is not None and not (
        isinstance(confidence, int | float) and not isinstance(confidence, bool) and 0 <= confidence <= 1
    ):
        raise where.error("collective", i, "members", "member confidence must be a number from 0 to 1")
    ambiguous = value.get("ambiguous_with", [])
    if not isinstance(ambiguous, list) or not all(isinstance(a, str) and a.strip() for a in ambiguous):
        raise where.error("collective", i, "members", "member ambiguous_with must be an array of collectives")
    examples = value.get("examples", [])
    if not isinstance(examples, list) or not all(isinstance(e, str) and e.strip() for e in examples):
        raise where.error("collective", i, "members", "member examples must be an array of cable ids")
    return Member(
        ri=_ri(value["ri"], "collective", i, where, "members"),
        source=source,
        evidence=evidence,
        confidence=float(confidence) if confidence is not None else None,
        ambiguous_with=tuple(a.strip() for a in ambiguous),
        examples=tuple(e.strip() for e in examples),
    )


# Writing ------------------------------------------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def toml_string(text: str) -> str:
    """`text` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_float(value: float) -> str:
    text = repr(float(value))
    return text if any(c in text for c in ".en") else text + ".0"


def _string_array(values: Iterable[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def _member_toml(member: Member) -> str:
    plain = member.confidence is None and not member.ambiguous_with and not member.examples
    if member.source == "declared" and member.evidence == 0 and plain:
        return toml_string(member.ri)
    fields = [
        f"ri = {toml_string(member.ri)}",
        f"source = {toml_string(member.source)}",
        f"evidence = {member.evidence}",
    ]
    if member.confidence is not None:
        fields.append(f"confidence = {_toml_float(member.confidence)}")
    if member.ambiguous_with:
        fields.append(f"ambiguous_with = {_string_array(member.ambiguous_with)}")
    if member.examples:
        fields.append(f"examples = {_string_array(member.examples)}")
    return "{ " + ", ".join(fields) + " }"


def _post_toml(post: Post) -> list[str]:
    lines = ["[[post]]", f"ri = {toml_string(post.ri)}"]
    if post.ri_range_end:
        lines.append(f"ri_range_end = {toml_string(post.ri_range_end)}")
    lines.append(f"name = {toml_string(post.name)}")
    if post.aliases:
        lines.append(f"aliases = {_string_array(post.aliases)}")
    if post.kind != "other":
        lines.append(f"kind = {toml_string(post.kind)}")
    if post.link_cps is not None:
        lines.append(f"link_cps = {_toml_float(post.link_cps)}")
    return lines


def _collective_toml(collective: Collective) -> list[str]:
    lines = ["[[collective]]"]
    if collective.ri:
        lines.append(f"ri = {toml_string(collective.ri)}")
    if collective.name:
        lines.append(f"name = {toml_string(collective.name)}")
    if collective.aliases:
        lines.append(f"aliases = {_string_array(collective.aliases)}")
    if collective.members:
        lines.append("members = [")
        lines.extend(f"    {_member_toml(m)}," for m in collective.members)
        lines.append("]")
    return lines


def dump_topology(topology: Topology, comment: str = "") -> str:
    """The topology as TOML text that `parse_topology` reads back to an equal topology."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    if lines:
        lines.append("")
    if topology.declared_link_cps is not None:
        lines += ["[topology]", f"default_link_cps = {_toml_float(topology.declared_link_cps)}", ""]
    for post in topology.posts.values():
        lines += [*_post_toml(post), ""]
    for collective in topology.collectives.values():
        lines += [*_collective_toml(collective), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_topology(topology: Topology, path: Path, comment: str = "") -> None:
    """Write the topology to `path` as TOML (through a temporary file, so a failure leaves no half file)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(dump_topology(topology, comment), encoding="utf-8")
    temporary.replace(path)
