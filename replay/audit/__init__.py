"""Distribution audits of a recorded run: who got what, what is missing, whether precedence held,
serial-number continuity and header consistency.

The computations (`distribution`, `precedence`, `continuity`, `consistency`) are pure functions over
plain rows; `load` reads those rows from the audit store; `report` assembles the JSON contract and
`html` renders it as one self-contained page.
"""
