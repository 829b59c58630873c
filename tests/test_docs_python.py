"""The examples of docs/python.md run, in order as one session, and print what the doc shows."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "python.md"

#: A fenced block: its info string (language) and its text.
_BLOCK = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


def examples(text: str) -> list[tuple[str, str | None]]:
    """Each ```python block with the output block right after it (None when it shows none)."""
    blocks = [(match.group(1), match.group(2), match.start(), match.end()) for match in _BLOCK.finditer(text)]
    found: list[tuple[str, str | None]] = []
    for index, (language, code, _, end) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        shown = None
        if following is not None and following[0] in ("", "text") and not text[end : following[2]].strip():
            shown = following[1]
        found.append((code, shown))
    return found


def test_the_doc_has_examples_with_output() -> None:
    found = examples(DOC.read_text())
    assert len(found) >= 4
    assert all(shown is not None for _, shown in found)


@pytest.mark.slow
def test_python_examples_print_what_the_doc_shows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "docs_python"}
    for number, (code, shown) in enumerate(examples(DOC.read_text()), 1):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(code, f"{DOC.name} example {number}", "exec"), namespace)
        if shown is not None:
            assert printed.getvalue() == shown, f"example {number} printed something else"
