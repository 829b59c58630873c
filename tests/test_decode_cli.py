"""`cableroute decode`: summaries, JSON lines, exit codes, and bad files without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from replay.cli import main
from tests.decode_samples import cable

CONTRACT = {
    "id",
    "source",
    "header_lines",
    "transmission",
    "routing",
    "station",
    "security",
    "precedence",
    "dtg",
    "dtg_signals",
    "from",
    "to",
    "info",
    "xmt",
    "banner",
    "sipdis",
    "declassify",
    "tags",
    "subject",
    "references",
    "diagnostics",
}
CABLEROUTE = [sys.executable, "-c", "import sys; from replay.cli import main; sys.exit(main())"]
ADDRESSEE = {"ri", "name", "office", "precedence", "precedence_stated", "niact", "mcn", "zen"}


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["decode", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_json_lines_follow_the_contract(capsys: pytest.CaptureFixture[str], examples_dir: Path) -> None:
    code, out, _ = run(capsys, str(examples_dir), "--json")
    assert code == 0
    objects = [json.loads(line) for line in out.splitlines()]
    assert [o["id"] for o in objects] == ["08TOKYO3100", "08TOKYO3310"]
    tokyo = objects[1]
    assert tokyo.keys() >= CONTRACT
    assert tokyo["to"][0].keys() >= ADDRESSEE
    assert tokyo["dtg"] == "2008-12-04T07:34:00Z"
    assert tokyo["station"] == {"ri": "RUEHKO", "ssn": 3310, "section": None, "filed": "2008-12-04T07:34:00Z"}
    assert tokyo["precedence"] == {"action": "IMMEDIATE", "info": None}
    assert tokyo["to"][0]["precedence"] == "IMMEDIATE" and tokyo["from"] == "AMEMBASSY TOKYO"
    assert tokyo["transmission"] == {"channel": "XRO", "serial": 8162}
    assert tokyo["routing"] == {"precedence": "IMMEDIATE", "relays": ["RUEHTRO"]}


def test_human_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "oslo.txt"
    path.write_text(cable(), encoding="utf-8")
    code, out, err = run(capsys, str(path))
    assert code == 0
    assert out.startswith(f"07OSLO457  {path}\n")
    assert "PRIORITY  2007-06-13 13:20Z  CONFIDENTIAL  FM AMEMBASSY OSLO" in out
    assert "TO   RUEHC/SECSTATE WASHDC (PRIORITY 4711)" in out
    assert "1 cables decoded, 0 inputs unreadable" in err


def test_unreadable_input_exits_1_and_the_others_are_decoded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = tmp_path / "good.txt"
    good.write_text(cable(), encoding="utf-8")
    binary = tmp_path / "binary.txt"
    binary.write_bytes(bytes(range(256)))
    code, out, err = run(capsys, str(tmp_path / "missing.txt"), str(binary), str(good), "--json")
    assert code == 1
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["07OSLO457"]
    assert "cannot read" in err and "missing.txt: no such file" in err and "binary" in err


def test_diagnostics_are_listed_in_the_summary(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("nothing to see here\n", encoding="utf-8")
    code, out, _ = run(capsys, str(path))
    assert code == 0
    assert "error: line 1: no-header" in out


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["decode"])
    assert raised.value.code == 2
    assert "PATH" in capsys.readouterr().err


def test_bad_files_end_cleanly_in_a_subprocess(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\xff\x00")
    (tmp_path / "cp1252.txt").write_bytes(cable().replace("OSLO", "BOGOT\xc1").encode("cp1252"))
    (tmp_path / "truncated.txt").write_text("VZCZCXRO4471\nPP RUEHAB\nDE RUEHOS #04", encoding="utf-8")
    command = [*CABLEROUTE, "decode", str(tmp_path), "--json"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    decoded = {Path(o["source"]).name: o for o in map(json.loads, result.stdout.splitlines())}
    assert sorted(decoded) == ["cp1252.txt", "truncated.txt"]
    assert decoded["cp1252.txt"]["from"] == "AMEMBASSY BOGOTÁ"
    assert f"cannot read {tmp_path / 'empty.txt'}: empty file" in result.stderr
    assert decoded["truncated.txt"]["transmission"] == {"channel": "XRO", "serial": 4471}


def test_stdin_in_a_subprocess() -> None:
    command = [*CABLEROUTE, "decode", "-", "--json"]
    result = subprocess.run(command, input=cable(), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["id"] == "07OSLO457"


@pytest.mark.parametrize("as_json", [True, False])
def test_workers_keep_input_order_and_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    import replay.inputs.workers

    monkeypatch.setattr(replay.inputs.workers, "CHUNK", 3)  # many chunks from a few cables
    for number in range(20):
        text = cable().replace("PIPELINE", f"PIPELINE {1000 + number}")
        (tmp_path / f"c{number:02}.txt").write_text(text)
    (tmp_path / "broken.txt").write_bytes(b"\xff\xfe\x00bad")
    flags = ["--json"] if as_json else []
    outputs = []
    for workers in ("1", "2"):
        code = main(["decode", *flags, "--workers", workers, str(tmp_path)])
        captured = capsys.readouterr()
        outputs.append((code, captured.out))
    assert outputs[0] == outputs[1]
    code, out = outputs[0]
    assert code == 1  # broken.txt could not be read
    order = [out.index(f"PIPELINE {1000 + number}") for number in range(20)]
    assert order == sorted(order)


@pytest.mark.parametrize("into", ["file", "pipe", "appended file"])
def test_workers_streaming_into_a_file_or_pipe_write_what_one_process_writes(
    tmp_path: Path, into: str
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for number in range(150):  # three chunks of 64 and more: the workers stream their output
        text = cable().replace("PIPELINE", f"PIPELINE {1000 + number}")
        (corpus / f"c{number:03}.txt").write_text(text)
    (corpus / "c070.txt").write_bytes(b"\xff\xfe\x00bad")
    (corpus / "c140.txt").write_bytes(b"")
    results = []
    for workers in ("1", "2"):
        command = [*CABLEROUTE, "decode", "--json", "--workers", workers, str(corpus)]
        if into == "pipe":
            done = subprocess.run(command, capture_output=True, timeout=120, check=False)
            out = done.stdout
        else:
            target = tmp_path / f"out-{workers}.json"
            target.write_bytes(b"already there\n" if into == "appended file" else b"")
            with target.open("ab" if into == "appended file" else "wb") as sink:
                done = subprocess.run(command, stdout=sink, stderr=subprocess.PIPE, timeout=120, check=False)
            out = target.read_bytes()
        results.append((done.returncode, out, done.stderr))
    assert results[0] == results[1]
    code, out, err = results[0]
    assert code == 1
    assert err.decode().count("cannot read") == 2
    lines = out.decode().splitlines()
    if into == "appended file":
        assert lines.pop(0) == "already there"
    sources = [Path(json.loads(line)["source"]).name for line in lines]
    assert sources == [f"c{number:03}.txt" for number in range(150) if number not in (70, 140)]
