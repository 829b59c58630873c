"""A made-up topology of a few hundred posts for synthetic corpora when no topology file is given.

Embassies and consulates by region, Washington agencies, military addressees with office symbols,
and regional collectives. Routing indicators are invented (`RUEH` + two or three letters), except the
Department's `RUEHC`; none of it claims to be a real routing table.
"""

from __future__ import annotations

import random

from topology.model import Collective, Member, Post, PostKind
from topology.topology import Topology

#: Capitals (embassies) by State Department bureau.
EMBASSIES: dict[str, str] = {
    "EUR": (
        "LONDON PARIS BERLIN ROME MADRID LISBON DUBLIN BRUSSELS THE HAGUE LUXEMBOURG COPENHAGEN OSLO "
        "STOCKHOLM HELSINKI REYKJAVIK VIENNA BERN PRAGUE BRATISLAVA WARSAW BUDAPEST BUCHAREST SOFIA "
        "ATHENS NICOSIA VALLETTA ZAGREB LJUBLJANA BELGRADE SARAJEVO SKOPJE TIRANA PODGORICA PRISTINA "
        "TALLINN RIGA VILNIUS MINSK KYIV CHISINAU MOSCOW TBILISI YEREVAN BAKU ANKARA HOLY SEE"
    ),
    "AF": (
        "ABUJA ACCRA ADDIS ABABA ALGIERS ANTANANARIVO BAMAKO BANGUI BANJUL BUJUMBURA CONAKRY COTONOU "
        "DAKAR DAR ES SALAAM DJIBOUTI FREETOWN GABORONE HARARE KAMPALA KHARTOUM KIGALI KINSHASA LIBREVILLE "
        "LILONGWE LOME LUANDA LUSAKA MAPUTO MASERU MBABANE MONROVIA NAIROBI NDJAMENA NIAMEY NOUAKCHOTT "
        "OUAGADOUGOU PRETORIA WINDHOEK YAOUNDE"
    ),
    "NEA": (
        "ABU DHABI AMMAN BAGHDAD BEIRUT CAIRO DAMASCUS DOHA KUWAIT MANAMA MUSCAT RABAT RIYADH SANAA "
        "TEL AVIV TRIPOLI TUNIS"
    ),
    "SCA": "ASHGABAT ASTANA BISHKEK COLOMBO DHAKA DUSHANBE ISLAMABAD KABUL KATHMANDU NEW DELHI TASHKENT",
    "EAP": (
        "BANGKOK BEIJING CANBERRA HANOI JAKARTA KUALA LUMPUR MANILA PHNOM PENH RANGOON SEOUL SINGAPORE "
        "TOKYO ULAANBAATAR VIENTIANE WELLINGTON SUVA PORT MORESBY DILI"
    ),
    "WHA": (
        "BUENOS AIRES BRASILIA SANTIAGO LIMA QUITO BOGOTA CARACAS LA PAZ ASUNCION MONTEVIDEO PANAMA "
        "SAN JOSE MANAGUA TEGUCIGALPA SAN SALVADOR GUATEMALA MEXICO OTTAWA KINGSTON PORT AU PRINCE "
        "SANTO DOMINGO NASSAU BRIDGETOWN GEORGETOWN PARAMARIBO BELMOPAN PORT OF SPAIN"
    ),
}

#: Consulates by the embassy they report to.
CONSULATES: dict[str, tuple[str, ...]] = {
    "TOKYO": ("OSAKA KOBE", "FUKUOKA", "NAHA", "SAPPORO", "NAGOYA"),
    "BEIJING": ("SHANGHAI", "GUANGZHOU", "CHENGDU", "SHENYANG", "HONG KONG"),
    "NEW DELHI": ("MUMBAI", "CHENNAI", "KOLKATA"),
    "MEXICO": ("TIJUANA", "MONTERREY", "GUADALAJARA", "CIUDAD JUAREZ", "NUEVO LAREDO", "MATAMOROS"),
    "BRASILIA": ("SAO PAULO", "RIO DE JANEIRO", "RECIFE"),
    "BERLIN": ("FRANKFURT", "MUNICH", "HAMBURG", "DUSSELDORF", "LEIPZIG"),
    "OTTAWA": ("TORONTO", "MONTREAL", "VANCOUVER", "CALGARY", "QUEBEC", "HALIFAX"),
    "ANKARA": ("ISTANBUL", "ADANA"),
    "PRETORIA": ("JOHANNESBURG", "CAPE TOWN", "DURBAN"),
    "RIYADH": ("JEDDAH", "DHAHRAN"),
    "ISLAMABAD": ("KARACHI", "LAHORE", "PESHAWAR"),
    "ROME": ("MILAN", "NAPLES", "FLORENCE"),
    "PARIS": ("MARSEILLE", "STRASBOURG"),
    "LONDON": ("BELFAST", "EDINBURGH"),
    "SEOUL": ("BUSAN",),
    "MOSCOW": ("ST PETERSBURG", "VLADIVOSTOK", "YEKATERINBURG"),
}

#: Washington and other non-post addressees: (RI, PLAD, kind).
AGENCIES: tuple[tuple[str, str, PostKind], ...] = (
    ("RUEHC", "SECSTATE WASHDC", "department"),
    ("RHEHNSC", "NSC WASHDC", "department"),
    ("RHEHAAA", "WHITEHOUSE WASHDC", "department"),
    ("RUEKJCS", "JOINT STAFF WASHDC", "military"),
    ("RUEKDIA", "DIA WASHDC", "military"),
    ("RUEAIIA", "CIA WASHDC", "department"),
    ("RUEATRS", "DEPT OF TREASURY WASHDC", "department"),
    ("RUEAWJA", "DEPT OF JUSTICE WASHDC", "department"),
    ("RUCPDOC", "USDOC WASHDC", "department"),
    ("RHMFISS", "SECDEF WASHDC", "military"),
    ("RUMIAAA", "USSOUTHCOM MIAMI FL", "military"),
    ("RHMFIUU", "HQ USCENTCOM MACDILL AFB FL", "military"),
    ("RUEHNO", "USMISSION USNATO", "mission"),
    ("RUCNDT", "USMISSION USUN NEW YORK", "mission"),
    ("RUEHGV", "USMISSION GENEVA", "mission"),
    ("RUEHBS", "USEU BRUSSELS", "mission"),
    ("RUEHIN", "AIT TAIPEI", "mission"),
    ("RUEHUB", "USINT HAVANA", "mission"),
)

#: Regional collectives: (RI or None, PLAD, bureau or None for all posts).
COLLECTIVES: tuple[tuple[str | None, str, str | None], ...] = (
    ("RUEHZL", "EUROPEAN POLITICAL COLLECTIVE", "EUR"),
    ("RUCNMEM", "EU MEMBER STATES COLLECTIVE", "EUR"),
    ("RUEHXK", "ARAB ISRAELI COLLECTIVE", "NEA"),
    ("RUEHZM", "GULF COOPERATION COUNCIL COLLECTIVE", "NEA"),
    ("RUEHZO", "AFRICAN UNION MEMBER STATES COLLECTIVE", "AF"),
    ("RUEHZG", "SOUTHERN AF DEVELOPMENT COMMUNITY COLLECTIVE", "AF"),
    ("RUEHAS", "ASEAN MEMBER COLLECTIVE", "EAP"),
    ("RUEHZU", "ASIAN PACIFIC ECONOMIC COOPERATION", "EAP"),
    ("RUEHWH", "WESTERN HEMISPHERIC AFFAIRS DIPL POSTS", "WHA"),
    ("RUEHZA", "WHA CENTRAL AMERICAN COLLECTIVE", "WHA"),
    ("RUEHCN", "SOUTH AND CENTRAL ASIA COLLECTIVE", "SCA"),
    ("RUEHGG", "UN SECURITY COUNCIL COLLECTIVE", None),
    (None, "ALL DIPLOMATIC AND CONSULAR POSTS", None),
)


def _ri_for(city: str, taken: set[str]) -> str:
    """An unused invented RI for a city: `RUEH` + two, then three letters taken from its name."""
    letters = [c for c in city if c.isalpha()]
    candidates = [letters[0] + other for other in letters[1:]]
    candidates += [letters[0] + a + b for i, a in enumerate(letters[1:]) for b in letters[i + 2 :]]
    candidates += [a + b for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
    for tail in candidates:
        ri = "RUEH" + tail
        if ri not in taken:
            taken.add(ri)
            return ri
    raise ValueError(f"no free routing indicator for {city}")


class _MultiwordSplitter:
    """Splits a space-separated list of city names where some names contain spaces."""

    def __init__(self, names: tuple[str, ...]) -> None:
        self.names = sorted(names, key=len, reverse=True)

    def split_all(self, text: str) -> list[str]:
        """The city names in `text`, longest known multi-word names matched first."""
        words = text.split()
        cities: list[str] = []
        index = 0
        while index < len(words):
            for name in self.names:
                parts = name.split()
                if words[index : index + len(parts)] == parts:
                    cities.append(name)
                    index += len(parts)
                    break
            else:
                cities.append(words[index])
                index += 1
        return cities


_MULTIWORD = _MultiwordSplitter(
    (
        "THE HAGUE",
        "HOLY SEE",
        "ADDIS ABABA",
        "DAR ES SALAAM",
        "ABU DHABI",
        "TEL AVIV",
        "NEW DELHI",
        "KUALA LUMPUR",
        "PHNOM PENH",
        "PORT MORESBY",
        "BUENOS AIRES",
        "LA PAZ",
        "SAN JOSE",
        "SAN SALVADOR",
        "PORT AU PRINCE",
        "SANTO DOMINGO",
        "PORT OF SPAIN",
    )
)


def synthetic_topology(seed: int = 0) -> Topology:
    """The made-up topology: about 250 posts and 13 collectives; `seed` varies collective membership."""
    rng = random.Random(seed)
    taken = {ri for ri, _, _ in AGENCIES} | {ri for ri, _, _ in COLLECTIVES if ri}
    posts = [Post(ri=ri, name=name, kind=kind) for ri, name, kind in AGENCIES]
    by_bureau: dict[str, list[str]] = {}
    embassy_ri: dict[str, str] = {}
    for bureau, text in EMBASSIES.items():
        for city in _MULTIWORD.split_all(text):
            ri = _ri_for(city, taken)
            embassy_ri[city] = ri
            posts.append(Post(ri=ri, name=f"AMEMBASSY {city}", kind="embassy"))
            by_bureau.setdefault(bureau, []).append(ri)
    for cities in CONSULATES.values():
        for city in cities:
            ri = _ri_for(city, taken)
            posts.append(Post(ri=ri, name=f"AMCONSUL {city}", kind="consulate"))
    everyone = [p.ri for p in posts if p.kind in ("embassy", "consulate", "mission")]
    collectives = []
    for collective_ri, name, collective_bureau in COLLECTIVES:
        if collective_bureau is not None:
            pool = by_bureau[collective_bureau]
            members = sorted(rng.sample(pool, max(3, int(len(pool) * rng.uniform(0.4, 0.9)))))
        elif collective_ri is None:
            members = sorted(everyone)
        else:
            members = sorted(rng.sample(everyone, 15))
        collectives.append(
            Collective(ri=collective_ri, name=name, members=tuple(Member(ri=member) for member in members))
        )
    return Topology(posts, collectives)


#: The collective of `wide_topology`: every one of its posts.
WIDE_COLLECTIVE = ("RUEHZZZ", "ALL SYNTHETIC POSTS")


def _letters(number: int, width: int) -> str:
    """`number` in base 26 as `width` capital letters (0 -> AAAA)."""
    letters = []
    for _ in range(width):
        number, digit = divmod(number, 26)
        letters.append(chr(ord("A") + digit))
    return "".join(reversed(letters))


def wide_topology(posts: int) -> Topology:
    """A made-up topology of exactly `posts` posts (`RZ` + four letters, `AMCONSUL SYNTH <n>`) and
    one collective, `WIDE_COLLECTIVE`, reaching every one of them: a cable to it goes to them all."""
    if not 0 < posts <= 26**4:
        raise ValueError(f"a wide topology has 1 to {26**4} posts, not {posts}")
    members = [
        Post(ri=f"RZ{_letters(index, 4)}", name=f"AMCONSUL SYNTH {index + 1}", kind="consulate")
        for index in range(posts)
    ]
    ri, name = WIDE_COLLECTIVE
    collective = Collective(ri=ri, name=name, members=tuple(Member(ri=post.ri) for post in members))
    return Topology([Post(ri="RUEHC", name="SECSTATE WASHDC", kind="department"), *members], [collective])
