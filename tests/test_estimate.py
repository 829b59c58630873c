"""The serial-number estimate of real traffic, checked against samples whose true totals are known."""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from datetime import UTC, datetime
from math import comb
from pathlib import Path

import pytest

from replay.cli import main
from replay.cli.synth import write_directory
from router.serials import estimate_series, max_at_most_probability, set_aside_outliers, upper_bound
from router.synth.corpus import synth_cables
from router.synth.topology import synthetic_topology


def test_estimate_is_the_minimum_variance_unbiased_one() -> None:
    found = estimate_series("RUEHKO", 2008, [3, 7, 10, 7])
    assert found is not None
    assert (found.observed, found.max_serial) == (3, 10)
    assert found.estimate == round(10 + 10 / 3 - 1)
    assert found.low == 10
    assert found.share == pytest.approx(3 / found.estimate)
    assert estimate_series("RUEHKO", 2008, []) is None


def test_probability_of_the_maximum_is_the_exact_hypergeometric_one() -> None:
    for m, k, total in ((10, 3, 12), (50, 5, 80), (7, 7, 7), (20, 1, 400)):
        assert max_at_most_probability(m, k, total) == pytest.approx(comb(m, k) / comb(total, k))


@pytest.mark.parametrize(("m", "k"), [(10, 1), (40, 3), (120, 12), (900, 60)])
def test_upper_bound_is_the_largest_total_still_plausible(m: int, k: int) -> None:
    high = upper_bound(m, k)
    assert comb(m, k) / comb(high, k) > 0.05
    assert comb(m, k) / comb(high + 1, k) <= 0.05
    assert high <= m / 0.05 ** (1 / k) + 1  # never wider than the with-replacement bound


@pytest.mark.parametrize("share", [0.01, 0.05, 0.3])
def test_interval_covers_the_true_total_in_about_95_percent_of_samples(share: float) -> None:
    rng = random.Random(2015)
    draws, covered, ratio = 2000, 0, 0.0
    for _ in range(draws):
        total = rng.randint(50, 2000)
        sample = rng.sample(range(1, total + 1), max(1, int(total * share)))
        found = estimate_series("X", 2008, sample)
        assert found is not None
        covered += found.low <= total <= found.high
        ratio += found.estimate / total
    assert 0.935 <= covered / draws <= 0.965
    assert ratio / draws == pytest.approx(1.0, abs=0.02)  # unbiased


def test_a_single_absurd_serial_is_set_aside() -> None:
    rng = random.Random(7)
    sample = rng.sample(range(1, 1001), 40)
    kept, removed = set_aside_outliers([*sample, 8_500_000])
    assert removed == [8_500_000]
    assert kept == sorted(sample)
    found = estimate_series("X", 2008, [*sample, 8_500_000])
    assert found is not None and found.outliers == (8_500_000,)
    assert found.low <= 1000 <= found.high
    # An ordinary sample loses nothing, even with its top serial well above the rest.
    assert set_aside_outliers([5, 9, 14, 60])[1] == []


def test_the_command_on_a_sample_of_a_corpus_whose_totals_are_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The full synthetic corpus is "what was sent"; a random 20% of it is "what was published".
    one_year = {"start": datetime(2008, 1, 1, tzinfo=UTC), "end": datetime(2009, 1, 1, tzinfo=UTC)}
    everything = list(synth_cables(2500, seed=11, topology=synthetic_topology(11), **one_year))
    truth: dict[tuple[str, int], int] = defaultdict(int)
    for cable in everything:
        if cable.header.find("\nDE ") >= 0 or cable.header.startswith("DE "):
            serial = int(re.search(r"\d+$", cable.id).group())  # type: ignore[union-attr]
            key = (cable.origin_ri, cable.dtg.year)
            truth[key] = max(truth[key], serial)
    published = random.Random(3).sample(everything, len(everything) // 5)
    write_directory(published, tmp_path / "published")
    assert main(["estimate", str(tmp_path / "published"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["cables"] == len(published)
    rows = [row for row in result["stations"] if row["observed"] >= 5]
    assert len(rows) >= 10
    inside = sum(
        row["interval"][0] <= truth[(row["station"], row["year"])] <= row["interval"][1] for row in rows
    )
    assert inside / len(rows) >= 0.85
    every = result["stations"]
    assert sum(
        r["interval"][0] <= truth[r["station"], r["year"]] <= r["interval"][1] for r in every
    ) >= 0.85 * len(every)
    estimated = sum(row["estimate"] for row in rows)
    true_total = sum(truth[(row["station"], row["year"])] for row in rows)
    assert estimated == pytest.approx(true_total, rel=0.02)  # the largest serial alone is 3% short


def test_the_command_filters_and_prints_a_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], examples_dir: Path
) -> None:
    assert main(["estimate", str(examples_dir)]) == 0
    out = capsys.readouterr().out
    assert "RUEHKO" in out and "AMEMBASSY TOKYO" in out and "2008" in out
    assert "2 cables published of about" in out
    assert main(["estimate", str(examples_dir), "--year", "2007", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["stations"] == []
    assert main(["estimate", str(examples_dir), "--station", "RUEHKO", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["stations"]
    assert (row["station"], row["year"], row["observed"], row["max_serial"]) == ("RUEHKO", 2008, 2, 3310)
    assert main(["estimate", str(examples_dir), "--station", "no such"]) == 2
    assert main(["estimate", str(tmp_path / "missing")]) == 1


def test_the_audit_shows_the_corpus_gaps_as_the_estimate_apart_from_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], examples_dir: Path
) -> None:
    db = str(tmp_path / "audit.sqlite")
    assert main(["simulate", str(examples_dir), "--db", db, "--run", "seeds", "--workers", "1"]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", db, "--json"]) == 0
    cont = json.loads(capsys.readouterr().out)["continuity"]
    expected = estimate_series("RUEHKO", 2008, [3100, 3310])
    assert expected is not None
    (tokyo,) = cont["traffic"]
    assert (tokyo["station"], tokyo["year"], tokyo["observed"], tokyo["estimate"]) == (
        "RUEHKO",
        2008,
        2,
        expected.estimate,
    )
    assert (tokyo["low"], tokyo["high"]) == (expected.low, expected.high)
    assert (cont["published"], cont["estimated"]) == (2, expected.estimate)
    assert main(["audit", "--db", db, "--html", str(tmp_path / "a.html")]) == 0
    text = capsys.readouterr().out
    assert f"RUEHKO 2008: 2 published of about {expected.estimate:,}" in text
    assert "Continuity of the run: 0 channel serials missing" in text
    findings = next(line for line in text.splitlines() if line.startswith("Findings:"))
    assert "ssn_gaps" not in findings
    assert "Corpus gaps (cables absent from the input, the same in every run): ssn_gaps 209" in text
    page = (tmp_path / "a.html").read_text()
    assert "Corpus: what the stations really sent" in page and f"{expected.estimate}" in page
