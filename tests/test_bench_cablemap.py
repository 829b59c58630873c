"""`bench/decode_speed.py --cablemap DIR` refuses, before timing anything, what it cannot run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "decode_speed.py"


def _run(corpus: Path, port: Path) -> subprocess.CompletedProcess[str]:
    """The benchmark with the cablemap baseline, on `corpus`, with the port looked for in `port`."""
    command = [sys.executable, str(BENCH), str(corpus), "--cablemap", str(port)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_a_directory_without_the_port_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "cables"
    corpus.mkdir(parents=True)
    result = _run(corpus, tmp_path / "empty")
    assert result.returncode == 2
    assert "no cablemap port in" in result.stderr
    assert "cablemap/core/reader.py" in result.stderr
    assert result.stdout == ""


def test_a_corpus_without_its_header_line_counts_is_refused(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus" / "cables"
    corpus.mkdir(parents=True)
    port = tmp_path / "port"
    (port / "cablemap" / "core").mkdir(parents=True)
    (port / "cablemap" / "core" / "reader.py").write_text("")
    result = _run(corpus, port)
    assert result.returncode == 2
    assert "HEADER_LINES.tsv" in result.stderr
    assert result.stdout == ""
