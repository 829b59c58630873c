"""Results that work on speed must leave as they are, held by the SHA-256 of the whole output.

`decode --json` and `plan --json` of the shared corpus, and `audit --json` of a simulated run of a
seeded synthetic corpus, are compared with the digests of the outputs they gave before the decoder,
the planner, the network, the store and the audit were made faster. A change that alters a result on
purpose updates the digest here, in the same commit, and says why.

Paths are given as the commands' users give them (`../shared/...` from the checkout), since every
decoded cable names its source.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

RUN_CLI = "import sys; from replay.cli import main; sys.exit(main(sys.argv[1:]))"
CORPUS = "../shared/corpus/cables"

DECODE_DIGEST = "be2aa3d291bffc7c1cc3ab253900f2e5f866b014621f001b04d0ef1aa8b5b7f3"
PLAN_DIGEST = "374afd8ccf59f0dd27820f4d0ae562def0f9d100b55e34429ec23886a2aedabd"
SYNTH_DIGEST = "017e85b29d2fad28282ae6fabe22cf2ecc9504ca0ffa04a0c8689dd4161ff8dc"
AUDIT_DIGEST = "4249444e94d139aa4b53d1bd3224cd358b6ad553ba787e600ddf1fb7628cd10e"


def cli_digest(*arguments: str, cwd: Path = ROOT) -> str:
    """The SHA-256 of what `cableroute ARGUMENTS` writes on standard output (it must exit 0)."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_CLI, *arguments], cwd=cwd, capture_output=True, check=False, timeout=600
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return hashlib.sha256(done.stdout).hexdigest()


@pytest.mark.corpus
@pytest.mark.parametrize("workers", ["1", "2"])
def test_decode_json_of_the_corpus_is_unchanged(corpus_dir: Path, workers: str) -> None:
    assert cli_digest("decode", "--json", "--workers", workers, CORPUS) == DECODE_DIGEST


@pytest.mark.corpus
def test_plan_json_of_the_corpus_is_unchanged(corpus_dir: Path) -> None:
    assert cli_digest("plan", "--json", CORPUS) == PLAN_DIGEST


@pytest.mark.slow
def test_audit_json_of_a_simulated_run_is_unchanged(tmp_path: Path) -> None:
    synth = tmp_path / "synth.csv"
    cli_digest("synth", "--count", "3000", "--seed", "7", "-o", str(synth))
    assert hashlib.sha256(synth.read_bytes()).hexdigest() == SYNTH_DIGEST, "synth itself changed"
    db = str(tmp_path / "audit.sqlite")
    cli_digest("simulate", "--db", db, "--run", "r1", str(synth), cwd=tmp_path)
    assert cli_digest("audit", "--db", db, "--run", "r1", "--json", cwd=tmp_path) == AUDIT_DIGEST
