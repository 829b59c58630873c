"""Synthetic cables: plausible telegram texts drawn from a topology, with what they were generated from.

`synth_cables(count, seed=..., topology=...)` yields `SynthCable`s in time order. Headers mix the
variants of the primer: FL1 styles (`VZCZCXRO` with relays, `VZCZCXYZ` / `RUEHWEB` with a blank line,
other channels, and cables that start at FL5 with plain-language addressees), sections (`#0644/01`,
MCN ranges), collectives, `XMT`, `ZEN`, NIACT, dual precedence (`O R`), office symbols and FL5
signals. Bodies carry a banner, SIPDIS, `E.O. 12958`, `TAGS`, `SUBJECT`, `REF` and numbered
paragraphs. Everything depends only on the seed and the topology.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import msgspec

from router.precedence import Precedence
from router.synth.profile import CorpusProfile
from topology.model import Collective, Post
from topology.topology import Topology

P = Precedence

#: Default time span of a synthetic corpus (the years most published cables come from).
DEFAULT_START = datetime(2004, 1, 1, tzinfo=UTC)
DEFAULT_END = datetime(2010, 2, 28, tzinfo=UTC)

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def _words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a text."""
    return tuple(text.split())


_LEVEL_WEIGHTS = ((P.ROUTINE, 45), (P.PRIORITY, 38), (P.IMMEDIATE, 16.8), (P.FLASH, 0.2))
_CLASSIFICATIONS = (
    ("UNCLASSIFIED", "ZNR UUUUU ZZH", "UNCLAS", 30),
    ("UNCLASSIFIED//FOR OFFICIAL USE ONLY", "ZNY EEEEE ZZH", "UNCLAS E F T O", 5),
    ("CONFIDENTIAL", "ZNY CCCCC ZZH", "CONFIDENTIAL", 45),
    ("SECRET", "ZNY SSSSS ZZH", "SECRET", 20),
)
_TAGS = _words(
    "PREL PGOV PHUM ECON EFIN ETRD ENRG MARR MOPS PTER KNNP PINR SOCI KDEM ELAB EAID SENV KCRM "
    "ASEC OVIP CASC KPAO SNAR PREF UNSC UNGA KWMN TBIO EAIR"
)
#: Office symbols used on agency and military lines.
OFFICES = ("J-3/J-5", "POLAD", "J2", "USDP:ISA", "CC/CS", "DHO-2", "J5")
_COUNTRIES = _words("JA CH KS FR GM UK IT SP RS IR IZ AF PK IN BR MX CA TU EG IS SA NI KE ZA AS")
_WORDS = _words(
    "the government minister embassy officials said discussed meeting agreed noted that would "
    "with regional security economic reform elections parliament talks support cooperation policy "
    "according to sources opposition party council ambassador proposal trade energy prime "
    "president foreign ministry delegation visit next week concerns remained however further "
    "progress on issue draft resolution sanctions border negotiations agreement budget press "
    "statement conference"
)


class SynthAddressee(msgspec.Struct, frozen=True, kw_only=True):
    """An addressee as generated: routing indicator (None when written as a plain PLAD), PLAD,
    office symbol, ZEN, and the post or collective it stands for in the topology."""

    ri: str | None
    name: str
    office: str | None = None
    zen: bool = False
    target: str


class SynthCable(msgspec.Struct, frozen=True, kw_only=True):
    """One synthetic cable: its text (header and body apart, for CSV) and what it was built from."""

    id: str
    header: str
    body: str
    dtg: datetime
    origin: str
    origin_ri: str
    origin_label: str
    classification: str
    references: tuple[str, ...] = ()
    precedence: Precedence
    info_precedence: Precedence | None = None
    sections: int = 1
    to: tuple[SynthAddressee, ...] = ()
    info: tuple[SynthAddressee, ...] = ()
    xmt: tuple[SynthAddressee, ...] = ()

    @property
    def text(self) -> str:
        """The whole cable text: header, blank line, body."""
        return f"{self.header}\n\n{self.body}"


def station_name(plad: str) -> str:
    """How a banner names an originating post: `AMEMBASSY TOKYO` -> `TOKYO`, `SECSTATE WASHDC` -> `STATE`."""
    if plad.startswith("SECSTATE"):
        return "STATE"
    for prefix in ("AMEMBASSY ", "AMCONSUL ", "USMISSION "):
        if plad.startswith(prefix):
            return plad[len(prefix) :]
    return plad


def published_id(cited_id: str, banner_word: str, sections: int) -> str:
    """The id a cable is published under, from the id other cables cite it by (`08LONDON2883`).

    Cablegate took the words between the classification and the origin of a one-section EFTO banner
    (`UNCLAS E F T O LONDON 002883`) for part of the origin: such cables are published as
    `08EFTOLONDON2883`; with `SECTION 01 OF 02` in between, as `08LONDON2883`.
    """
    if sections == 1 and banner_word.endswith("E F T O"):
        return f"{cited_id[:2]}EFTO{cited_id[2:]}"
    return cited_id


def origin_label(plad: str) -> str:
    """The Cablegate `origin` column for an originator: `Embassy Tokyo`, `Secretary of State`, ..."""
    if plad.startswith("SECSTATE"):
        return "Secretary of State"
    kinds = {"AMEMBASSY ": "Embassy ", "AMCONSUL ": "Consulate ", "USMISSION ": "Mission "}
    for prefix, word in kinds.items():
        if plad.startswith(prefix):
            return word + plad[len(prefix) :].title()
    return plad.title()


def _can_originate(post: Post) -> bool:
    """Posts that file cables in a synthetic corpus: the Department, embassies, consulates, missions."""
    if post.name.startswith("SECSTATE"):
        return True
    if post.kind in ("embassy", "consulate", "mission"):
        return True
    return post.name.startswith(("AMEMBASSY ", "AMCONSUL ", "USMISSION "))


def _is_state_post(post: Post) -> bool:
    """Addressees that keep an MCN series with the originator (State posts, not agencies)."""
    return post.name.startswith(
        ("AMEMBASSY ", "AMCONSUL ", "USMISSION ", "SECSTATE", "AIT ", "USINT ", "USEU ")
    )


class _Catalogue:
    """The topology sorted into what the generator draws from."""

    def __init__(self, topology: Topology) -> None:
        posts = sorted(topology.posts.values(), key=lambda p: p.ri)
        self.posts = [p for p in posts if station_name(p.name) and "/" not in p.name]
        self.state = next((p for p in self.posts if p.name.startswith("SECSTATE")), None)
        originators: dict[str, Post] = {}
        for post in self.posts:
            if _can_originate(post) and post is not self.state:
                originators.setdefault(station_name(post.name).replace(" ", ""), post)
        self.originators = list(originators.values())
        if not self.originators:
            raise ValueError("the topology has no post that could originate cables")
        self.state_posts = [p for p in self.posts if _is_state_post(p) and p is not self.state]
        self.agencies = [p for p in self.posts if not _is_state_post(p)]
        self.collectives = sorted(
            (c for c in topology.collectives.values() if c.members and c.name),
            key=lambda c: c.key,
        )
        self.small_collectives = [c for c in self.collectives if len(c.members) <= 60]
        self.topology = topology


class _Counters:
    """Serial numbers per origin and year, MCNs per origin and addressee, channel serials."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.serials: dict[tuple[str, int], int] = {}
        self.mcns: dict[tuple[str, str], int] = {}
        self.channel = rng.randrange(10_000)
        self.seen_ids: set[str] = set()

    def serial(self, station: str, year: int) -> int:
        """The next serial for a station in a year (with an occasional gap, as in real corpora)."""
        key = (station, year)
        step = 1 if self.rng.random() < 0.9 else self.rng.randint(2, 4)
        value = self.serials.get(key, 0) + step
        self.serials[key] = value
        return value

    def mcn(self, origin: str, addressee: str, sections: int) -> str:
        """The MCN (or range for a multi-section cable) for the next cable from origin to addressee."""
        if self.rng.random() < 0.01:
            return "0000"
        key = (origin, addressee)
        first = self.mcns.get(key, self.rng.randrange(1, 9000))
        self.mcns[key] = (first + sections) % 10_000
        if sections == 1:
            return f"{first:04d}"
        return f"{first:04d}-{(first + sections - 1) % 10_000:04d}"

    def channel_serial(self) -> int:
        """The next FL1 channel serial (4 digits, wraps)."""
        self.channel = (self.channel + 1) % 10_000
        return self.channel


class _Sentences:
    """A fixed pool of sentences that bodies are assembled from (fast, and deterministic)."""

    def __init__(self, rng: random.Random, size: int = 600) -> None:
        self.pool = [self._sentence(rng) for _ in range(size)]

    @staticmethod
    def _sentence(rng: random.Random) -> str:
        words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 24))]
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def paragraph(self, rng: random.Random) -> str:
        """Three to eight sentences."""
        return " ".join(rng.choices(self.pool, k=rng.randint(3, 8)))


#: About how long a generated paragraph is (characters), for bodies of a given length.
_PARAGRAPH_CHARS = 650


def _weighted(rng: random.Random, pairs: tuple[tuple[Precedence, float], ...]) -> Precedence:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


def _lower(level: Precedence) -> Precedence:
    """The next level down (ROUTINE stays ROUTINE)."""
    return {P.FLASH: P.IMMEDIATE, P.IMMEDIATE: P.PRIORITY}.get(level, P.ROUTINE)


def _dtg(moment: datetime) -> str:
    """`DDHHMMZ MON YY`."""
    return f"{moment:%d%H%M}Z {MONTHS[moment.month - 1]} {moment:%y}"


class _Line(msgspec.Struct, kw_only=True):
    """An addressee line being built."""

    addressee: SynthAddressee
    level: Precedence
    word: str | None
    mcn: str | None


class _Generator:
    """State carried from one cable to the next (counters, recent ids for references)."""

    def __init__(self, topology: Topology, seed: int, profile: CorpusProfile | None = None) -> None:
        self.rng = random.Random(seed)
        self.cat = _Catalogue(topology)
        self.profile = profile
        self.level_pairs: tuple[tuple[Precedence, float], ...] = _LEVEL_WEIGHTS
        self.origins: list[Post] = []
        if profile is not None:
            self.origins = [
                post
                for ri, count in profile.volumes.items()
                if (post := topology.post(ri)) is not None and station_name(post.name)
                for _ in range(count)
            ]
            self.rng.shuffle(self.origins)
            self.level_pairs = tuple((level, float(n)) for level, n in profile.levels.items())
        self.counters = _Counters(self.rng)
        self.sentences = _Sentences(self.rng)
        self.recent: deque[tuple[str, int]] = deque(maxlen=400)
        self.recent_ids: deque[str] = deque(maxlen=400)
        self.weights = [self.rng.paretovariate(1.2) for _ in self.cat.originators]

    # -- choices -----------------------------------------------------------------------------

    def origin(self) -> Post:
        if self.origins:
            return self.origins.pop()
        rng = self.rng
        if self.cat.state is not None and rng.random() < 0.12:
            return self.cat.state
        return rng.choices(self.cat.originators, weights=self.weights)[0]

    def addressee(self, post: Post, *, plain: bool, office: bool = False) -> SynthAddressee:
        symbol = self.rng.choice(OFFICES) if office else None
        return SynthAddressee(ri=None if plain else post.ri, name=post.name, office=symbol, target=post.ri)

    def collective(self, collective: Collective, *, plain: bool) -> SynthAddressee:
        assert collective.name is not None
        ri = None if plain or collective.ri is None else collective.ri
        return SynthAddressee(ri=ri, name=collective.name, target=collective.key)

    # -- one cable ---------------------------------------------------------------------------

    def cable(self, moment: datetime) -> SynthCable:
        rng = self.rng
        origin = self.origin()
        from_state = origin is self.cat.state
        style = rng.choices(("xro", "xyz", "none", "other"), weights=(50, 35, 10, 5))[0]
        plain = style == "none"
        level = _weighted(rng, self.level_pairs)
        info_level = None
        if level is not P.ROUTINE and rng.random() < 0.08:
            info_level = rng.choice([p for p in P if p.rank < level.rank])
        classification, fl4, banner_word, _ = rng.choices(
            _CLASSIFICATIONS, weights=[c[3] for c in _CLASSIFICATIONS]
        )[0]
        sections = 1 if rng.random() < 0.93 else rng.randint(2, 4)
        station = station_name(origin.name)
        serial = self.counters.serial(station, moment.year)
        cited_id = f"{moment:%y}{station.replace(' ', '')}{serial}"
        cable_id = published_id(cited_id, banner_word, sections)
        filed = moment + timedelta(minutes=rng.randint(1, 60)) if from_state else moment

        to, info, xmt, collective = self.addressees(origin, from_state, plain)
        lines_to = [self.line(a, "action", level, info_level, origin, sections) for a in to]
        lines_info = [self.line(a, "info", level, info_level, origin, sections) for a in info]
        header = self.header(
            style, origin, serial, filed, moment, fl4, level, info_level, sections, lines_to, lines_info, xmt
        )
        header_lines = header
        if style == "xro":
            header_lines = [*self.fl1_xro(level, to, info, collective), *header]
        elif style == "xyz":
            prosign = (level.prosign * 2) + " RUEHWEB"
            header_lines = [f"VZCZCXYZ{self.counters.channel_serial():04d}", prosign, "", *header]
        elif style == "other":
            channel = rng.choice(("MSI", "CRO", "TVI", "LOI"))
            relays = " ".join(sorted({a.target for a in to if a.ri})[:6]) or "RUEHC"
            header_lines = [
                f"VZCZC{channel}{self.counters.channel_serial():04d}",
                f"{level.prosign * 2} {relays}",
                *header,
            ]
        references = self.references()
        target = self.rng.choice(self.profile.sizes) - len(header_lines) * 40 if self.profile else None
        body = self.body(classification, banner_word, station, serial, sections, moment, references, target)
        self.recent.append((station, serial))
        self.recent_ids.append(cited_id)
        return SynthCable(
            id=cable_id,
            header="\n".join(header_lines),
            body=body,
            dtg=moment,
            origin=origin.name,
            origin_ri=origin.ri,
            origin_label=origin_label(origin.name),
            classification=classification,
            references=references,
            precedence=level,
            info_precedence=info_level,
            sections=sections,
            to=tuple(to),
            info=tuple(info),
            xmt=tuple(xmt),
        )

    def addressees(
        self, origin: Post, from_state: bool, plain: bool
    ) -> tuple[list[SynthAddressee], list[SynthAddressee], list[SynthAddressee], Collective | None]:
        """TO, INFO and XMT addressees, and the collective (if any) the cable goes to."""
        rng = self.rng
        cat = self.cat
        used = {origin.ri}
        to: list[SynthAddressee] = []
        info: list[SynthAddressee] = []

        def pick_posts(pool: list[Post], count: int) -> list[Post]:
            chosen = [p for p in rng.sample(pool, min(count, len(pool))) if p.ri not in used]
            used.update(p.ri for p in chosen)
            return chosen

        if not from_state and cat.state is not None:
            to.append(self.addressee(cat.state, plain=plain))
            used.add(cat.state.ri)
            if rng.random() < 0.08:
                to += [self.addressee(p, plain=plain) for p in pick_posts(cat.state_posts, 1)]
        else:
            to += [self.addressee(p, plain=plain) for p in pick_posts(cat.state_posts, rng.randint(1, 5))]
        profile = self.profile
        collective = None
        if cat.small_collectives and rng.random() < (profile.collective_share if profile else 0.22):
            collective = rng.choice(cat.small_collectives)
            target = to if from_state and rng.random() < 0.3 else info
            target.append(self.collective(collective, plain=plain or collective.ri is None))
        elif len(cat.collectives) > len(cat.small_collectives) and rng.random() < 0.002:
            collective = rng.choice([c for c in cat.collectives if c not in cat.small_collectives])
            info.append(self.collective(collective, plain=plain or collective.ri is None))
        if profile is not None:
            count = max(0, rng.choice(profile.addressees) - len(to) - len(info))
        else:
            count = min(int(rng.expovariate(1 / 4.0)), 25)
        info += [self.addressee(p, plain=plain) for p in pick_posts(cat.state_posts, count)]
        if cat.agencies and profile is None and rng.random() < 0.35:
            for agency in pick_posts(cat.agencies, rng.randint(1, 3)):
                office = rng.random() < 0.3
                info.append(self.addressee(agency, plain=plain, office=office))
        if rng.random() < 0.02:
            self.mark_zen(to, info)
        xmt = self.exemptions(collective, used, plain)
        return to, info, xmt, collective

    def mark_zen(self, to: list[SynthAddressee], info: list[SynthAddressee]) -> None:
        """Turn one or two post lines into `ZEN/PLAD` (already delivered by other means)."""
        lines = [
            (group, i)
            for group in (to, info)
            for i, a in enumerate(group)
            if a.office is None and self.cat.topology.post(a.target) is not None
        ]
        for group, index in self.rng.sample(lines, min(len(lines), self.rng.randint(1, 2))):
            old = group[index]
            group[index] = SynthAddressee(
                ri=None, name=old.name, office=old.office, zen=True, target=old.target
            )

    def exemptions(self, collective: Collective | None, used: set[str], plain: bool) -> list[SynthAddressee]:
        """An `XMT` line now and then: a member of the cable's collective not otherwise addressed."""
        if collective is None or self.rng.random() > 0.06:
            return []
        candidates = [m.ri for m in collective.members if m.ri not in used]
        posts = [p for ri in candidates if (p := self.cat.topology.post(ri)) is not None]
        if not posts:
            return []
        post = self.rng.choice(posts)
        return [
            SynthAddressee(
                ri=None if plain or self.rng.random() < 0.7 else post.ri, name=post.name, target=post.ri
            )
        ]

    def line(
        self,
        addressee: SynthAddressee,
        role: str,
        level: Precedence,
        info_level: Precedence | None,
        origin: Post,
        sections: int,
    ) -> _Line:
        """The precedence word and MCN of one addressee line."""
        rng = self.rng
        default = level if role == "action" or info_level is None else info_level
        own = default
        if role == "info" and info_level is None and _lower(level) is not P.ROUTINE and rng.random() < 0.3:
            own = _lower(level)
        word = None
        if own is not default or (own is not P.ROUTINE and rng.random() < 0.85):
            word = own.value
        if word == "IMMEDIATE" and role == "action" and addressee.office is None and rng.random() < 0.15:
            word = "NIACT IMMEDIATE"
        post = self.cat.topology.post(addressee.target)
        mcn = None
        if post is not None and _is_state_post(post) and addressee.office is None:
            mcn = self.counters.mcn(origin.ri, post.ri, sections)
        return _Line(addressee=addressee, level=own, word=word, mcn=mcn)

    @staticmethod
    def render(line: _Line) -> str:
        """`[RI/|ZEN/]PLAD[//OFFICE//] [WORD] [MCN]`."""
        a = line.addressee
        prefix = "ZEN/" if a.zen else (f"{a.ri}/" if a.ri else "")
        office = f"//{a.office}//" if a.office else ""
        parts = [f"{prefix}{a.name}{office}"]
        if line.word:
            parts.append(line.word)
        if line.mcn:
            parts.append(line.mcn)
        return " ".join(parts)

    def header(
        self,
        style: str,
        origin: Post,
        serial: int,
        filed: datetime,
        moment: datetime,
        fl4: str,
        level: Precedence,
        info_level: Precedence | None,
        sections: int,
        lines_to: list[_Line],
        lines_info: list[_Line],
        xmt: list[SynthAddressee],
    ) -> list[str]:
        """FL3 to FL9 (FL3 and FL4 left out for cables that start at FL5)."""
        rng = self.rng
        out: list[str] = []
        if style != "none":
            section = "/01" if sections > 1 else ""
            day = filed.timetuple().tm_yday
            out.append(f"DE {origin.ri} #{serial % 10_000:04d}{section} {day:03d}{filed:%H%M}")
            out.append(fl4)
        prosigns = level.prosign + (f" {info_level.prosign}" if info_level else "")
        signal = f" {rng.choice(('ZDK', 'ZFF4', 'ZDS'))}" if rng.random() < 0.03 else ""
        out.append(f"{prosigns} {_dtg(moment)}{signal}")
        out.append(f"FM {origin.name}")
        for index, line in enumerate(lines_to):
            out.append(("TO " if index == 0 else "") + self.render(line))
        for index, line in enumerate(lines_info):
            out.append(("INFO " if index == 0 else "") + self.render(line))
        for a in xmt:
            out.append(f"XMT {a.ri}/{a.name}" if a.ri else f"XMT {a.name}")
        return out

    def fl1_xro(
        self,
        level: Precedence,
        to: list[SynthAddressee],
        info: list[SynthAddressee],
        collective: Collective | None,
    ) -> list[str]:
        """`VZCZCXRO####` and the relay branch: some members of the collective, or some addressees."""
        rng = self.rng
        if collective is not None:
            pool = sorted(m.ri for m in collective.members)
        else:
            pool = sorted({a.target for a in (*to, *info) if self.cat.topology.post(a.target) is not None})
        relays = rng.sample(pool, min(len(pool), rng.randint(1, 12))) if pool else ["RUEHC"]
        relays.sort()
        lines = [f"VZCZCXRO{self.counters.channel_serial():04d}"]
        first = relays[:8]
        lines.append(f"{level.prosign * 2} {' '.join(first)}")
        if len(relays) > 8:
            lines.append(" ".join(relays[8:]))
        return lines

    def references(self) -> tuple[str, ...]:
        """Ids of up to two recent cables, for a REF line."""
        if not self.recent_ids or self.rng.random() > 0.3:
            return ()
        count = min(len(self.recent_ids), self.rng.randint(1, 2))
        picks = sorted(self.rng.sample(range(len(self.recent_ids)), count))
        return tuple(self.recent_ids[i] for i in picks)

    def body(
        self,
        classification: str,
        banner_word: str,
        station: str,
        serial: int,
        sections: int,
        moment: datetime,
        references: tuple[str, ...],
        target_chars: int | None = None,
    ) -> str:
        """Banner, SIPDIS, E.O., TAGS, SUBJECT, REF, Classified By, then numbered paragraphs (with
        `target_chars`, as many as bring the body to about that length)."""
        rng = self.rng
        classified = classification in ("CONFIDENTIAL", "SECRET")
        word = " ".join(banner_word) if classified and rng.random() < 0.5 else banner_word
        section = f"SECTION 01 OF {sections:02d} " if sections > 1 else ""
        out = [f"{word} {section}{station} {serial:06d}", ""]
        if rng.random() < 0.7:
            out += ["SIPDIS", ""]
        if classified:
            out.append(f"E.O. 12958: DECL: {moment.month:02d}/{moment.day:02d}/{moment.year + 10}")
        else:
            out.append("E.O. 12958: N/A")
        tags = rng.sample(_TAGS, rng.randint(1, 4)) + rng.sample(_COUNTRIES, rng.randint(1, 2))
        out.append("TAGS: " + " ".join(tags))
        subject = " ".join(rng.choices(_WORDS, k=rng.randint(3, 9))).upper()
        out.append(f"SUBJECT: {subject}")
        out.append("")
        if references:
            letters = "ABCD"
            out.append(
                "REF: " + " ".join(f"{letters[i]}. {self._ref_text(ref)}" for i, ref in enumerate(references))
            )
            out.append("")
        mark = {"CONFIDENTIAL": "(C)", "SECRET": "(S)"}.get(classification, "(U)")
        if classified:
            out += ["Classified By: Political Officer for reasons 1.4 (b) and (d).", ""]
        paragraph = 1
        length = sum(len(line) + 1 for line in out)
        per_section = (
            None if target_chars is None else max(1, (target_chars - length) // (_PARAGRAPH_CHARS * sections))
        )
        for number in range(1, sections + 1):
            if number > 1:
                out += [f"{station} {serial:08d} {number:03d} OF {sections:03d}", ""]
            for _ in range(rng.randint(3, 7) if per_section is None else per_section):
                out += [f"¶{paragraph}. {mark} {self.sentences.paragraph(rng)}", ""]
                paragraph += 1
        out.append(rng.choice(("SCHIEFFER", "CLINTON", "RICE", "MURPHY", "SMITH", "JONES")))
        return "\n".join(out)

    def _ref_text(self, reference: str) -> str:
        """`08TOKYO3310` -> `TOKYO 3310` (how REF lines cite cables)."""
        letters = reference[2:].rstrip("0123456789")
        return f"{letters} {reference[2 + len(letters) :]}"


def synth_cables(
    count: int,
    *,
    seed: int = 0,
    topology: Topology | None = None,
    start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END,
    profile: CorpusProfile | None = None,
) -> Iterator[SynthCable]:
    """`count` synthetic cables in time order between `start` and `end`, reproducible from `seed`.

    Without a topology the made-up one of `router.synth.topology` is used. With a `profile` (`synth
    --like`) the cables come from its stations in its volumes (each station's cables spread at random
    over the window) and follow its precedence mix, addressee counts, collective share and sizes;
    `count` is then at most the profile's total (stations the topology lacks are left out).
    """
    if topology is None:
        from router.synth.topology import synthetic_topology

        topology = synthetic_topology(seed)
    generator = _Generator(topology, seed, profile)
    if profile is not None:
        count = min(count, len(generator.origins))
    span = end.timestamp() - start.timestamp()
    step = span / max(count, 1)
    base = start.timestamp()
    for index in range(count):
        moment = base + step * (index + generator.rng.random())
        dtg = datetime.fromtimestamp(math.floor(moment / 60) * 60, tz=UTC)
        yield generator.cable(dtg)
