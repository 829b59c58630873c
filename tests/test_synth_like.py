"""`synth --like`: synthetic traffic at the estimated real volume, with the mix of the given corpus."""

from __future__ import annotations

import json
import random
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from replay.cli import main
from replay.cli.synth import write_directory
from replay.inputs.corpus import iter_sources
from router.decoder import decode
from router.model import Cable
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology
from topology.files import write_topology


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[Cable]]:
    """A fifth of a year of synthetic traffic, as a "published" corpus, and the topology it came from."""
    folder = tmp_path_factory.mktemp("like")
    topology = synthetic_topology(11)
    year = {"start": datetime(2008, 1, 1, tzinfo=UTC), "end": datetime(2009, 1, 1, tzinfo=UTC)}
    everything = list(synth_cables(2500, seed=11, topology=topology, **year))
    sample = random.Random(3).sample(everything, 500)
    write_directory(sample, folder / "published")
    write_topology(topology, folder / "topology.toml")
    return folder / "published", folder / "topology.toml", [decode(c.text, c.id) for c in sample]


def _mix(cables: list[Cable]) -> dict[str, float]:
    levels = Counter(str(c.top_precedence) for c in cables)
    return {level: n / len(cables) for level, n in levels.items()}


def test_like_writes_each_stations_estimated_volume_with_the_corpus_mix(
    published: tuple[Path, Path, list[Cable]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, topology, sample = published
    assert main(["estimate", str(corpus), "--json"]) == 0
    estimate = json.loads(capsys.readouterr().out)
    out = tmp_path / "like.csv"
    args = ["synth", "--like", str(corpus), "--year", "2008", "--topology", str(topology), "-o", str(out)]
    assert main(args) == 0
    cables = [decode(item.text, item.source) for item in iter_sources([str(out)])]
    # The volume is the estimate, station by station (by the FM line: some cables have no FL3).
    assert len(cables) == estimate["estimated"] > 4 * len(sample)
    sent = Counter(c.from_ for c in cables)
    assert {row["name"]: row["estimate"] for row in estimate["stations"]} == dict(sent)
    # All in the year asked for, and with the published corpus's mix.
    assert {c.dtg.year for c in cables if c.dtg is not None} == {2008}
    like, real = _mix(cables), _mix(sample)
    assert like.keys() == real.keys()
    assert all(like[level] == pytest.approx(real[level], abs=0.03) for level in real)
    assert statistics.median(c.size for c in cables) == pytest.approx(
        statistics.median(c.size for c in sample), rel=0.15
    )
    assert statistics.mean(len(c.addressees) for c in cables) == pytest.approx(
        statistics.mean(len(c.addressees) for c in sample), rel=0.15
    )


def test_like_caps_the_count_and_reports_bad_input(
    published: tuple[Path, Path, list[Cable]], tmp_path: Path
) -> None:
    corpus, topology, _ = published
    out = tmp_path / "few.csv"
    assert (
        main(["synth", "--like", str(corpus), "--topology", str(topology), "--count", "50", "-o", str(out)])
        == 0
    )
    assert len(list(iter_sources([str(out)]))) == 50
    assert main(["synth", "--like", str(corpus), "--year", "1999", "-o", str(tmp_path / "x.csv")]) == 1
    assert main(["synth", "--like", str(tmp_path / "absent"), "-o", str(tmp_path / "x.csv")]) == 1
    assert main(["synth", "--year", "2008", "--count", "3", "-o", str(tmp_path / "x.csv")]) == 2
    assert main(["synth", "-o", str(tmp_path / "x.csv")]) == 2
