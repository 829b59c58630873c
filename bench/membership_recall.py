"""Benchmark: collective membership inference, measured on cables it did not learn from.

The corpus is split in two by a stable hash of each cable id (`router.relay_recall.fold_of`). The
topology is learned on one half (with the ACP 117 book as known stations) and layered over the
book, and the relay recall (`router.relay_recall`) is measured on the XRO copies of the other half;
then the other way round. Also printed: the recall when learning on everything (not held out), the
same figures with the inference switched off (the book and the learned posts, no members) as the
baseline, the members added per collective, the precision proxy (share of inferred members that two
or more cables from different originating stations confirm, each explained by that collective
alone), ambiguous members, and the time `learn_topology` takes against reading the corpus.

Usage: `python bench/membership_recall.py [CORPUS_DIR] [--book FILE]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from replay.inputs.corpus import read_cables
from router.learn import learn_with_evidence
from router.model import Cable
from router.planner import Planner
from router.relay_recall import RelayRecall, fold_of, relay_recall
from topology.books import read_book
from topology.model import Collective
from topology.topology import Topology

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEFAULT_CORPUS = SHARED / "corpus" / "cables"
DEFAULT_BOOK = SHARED / "data" / "routing" / "acp117_route2name_2010.json"
TARGET = 0.97


def without_members(topology: Topology) -> Topology:
    """The same posts and collectives with no members: what planning knows without inference."""
    bare = [Collective(ri=c.ri, name=c.name, aliases=c.aliases) for c in topology.collectives.values()]
    return Topology(topology.posts.values(), bare, topology.declared_link_cps)


def measure(
    train: list[Cable], test: list[Cable], book: Topology
) -> tuple[RelayRecall, RelayRecall, RelayRecall]:
    """Relay recall on `test` with the topology learned on `train` over the book; the baseline (no
    members); and the recall when learning without the book (its stations unknown)."""
    learned = learn_with_evidence(train, book).topology
    inferred = relay_recall(test, Planner(book.layered(learned)))
    baseline = relay_recall(test, Planner(book.layered(without_members(learned))))
    alone = relay_recall(test, Planner(book.layered(learn_with_evidence(train).topology)))
    return inferred, baseline, alone


def _names(topology: Topology, ris: list[tuple[str, int]]) -> str:
    def name(ri: str) -> str:
        post = topology.post(ri)
        return f"{ri} {post.name}" if post else ri

    return ", ".join(f"{name(ri)} ({n})" for ri, n in ris)


def main() -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--book", default=str(DEFAULT_BOOK), help="routing-indicator book (JSON)")
    args = parser.parse_args()
    corpus, book_path = Path(args.corpus), Path(args.book)
    if not corpus.is_dir() or not book_path.is_file():
        print(f"membership: skipped, no corpus at {corpus} or no book at {book_path}")
        return 0

    started = time.perf_counter()
    cables, _ = read_cables([str(corpus)])
    read_s = time.perf_counter() - started
    book = read_book(book_path).topology
    folds = [[c for c in cables if fold_of(c) == f] for f in (0, 1)]

    print(
        f"corpus: {len(cables)} cables, folds of {len(folds[0])} and {len(folds[1])}; book {book_path.name}"
    )
    print(f"relay recall on XRO copies not learned from (target >= {TARGET}), baseline = no members:")
    for train, test in ((0, 1), (1, 0)):
        inferred, baseline, alone = measure(folds[train], folds[test], book)
        print(
            f"  learn on fold {train}, measure fold {test}: {inferred.reached}/{inferred.relays} = "
            f"{inferred.recall:.3f} over {inferred.cables} cables   baseline {baseline.recall:.3f}   "
            f"{'met' if inferred.recall >= TARGET else 'MISSED'}"
        )
        print(f"    learned without the book's stations as known: {alone.recall:.3f}")
        top = list(inferred.missed.items())[:6]
        print(f"    most missed: {_names(book, top)}")

    started = time.perf_counter()
    learned = learn_with_evidence(cables, book)
    learn_s = time.perf_counter() - started
    topology = book.layered(learned.topology)
    everything = relay_recall(cables, Planner(topology))
    print(
        f"learned on all, measured on all (in sample): {everything.reached}/{everything.relays} = "
        f"{everything.recall:.3f}"
    )

    verdicts = [v for found in learned.memberships.verdicts.values() for v in found if v.member]
    confirmed = sum(1 for v in verdicts if v.explained >= 2 and v.origins >= 2)
    ambiguous = sum(1 for v in verdicts if v.ambiguous_with)
    stations = len(learned.memberships.verdicts)
    print(
        f"inferred members: {len(verdicts)} memberships of {stations} relay stations; confirmed by two or "
        f"more cables from different originators: {confirmed} ({confirmed / max(len(verdicts), 1):.1%}); "
        f"ambiguous: {ambiguous}; memberships per station: {len(verdicts) / max(stations, 1):.2f}"
    )
    per_collective = Counter(v.collective for v in verdicts)
    named = Counter(
        key for found in learned.memberships.sightings.values() for s in found for key in s.collectives
    )
    print(f"members added per collective ({len(per_collective)} collectives):")
    for key, count in per_collective.most_common():
        collective = topology.collective(key)
        label = f"{key} {collective.name}" if collective and collective.name and collective.ri else key
        print(f"  {count:4d}  {label}   (named in {named[key]} relay sightings)")
    unknown = sorted(learned.memberships.unknown_relays.items(), key=lambda i: (-i[1], i[0]))
    print(f"relays no layer knows as a station (never members): {_names(book, unknown)}")
    print(
        f"time: read + decode {read_s:.3f} s, learn_topology with inference {learn_s:.3f} s "
        f"(ratio {learn_s / read_s:.2f} of reading)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
