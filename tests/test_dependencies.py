"""The dependencies pyproject.toml declares are the ones the code imports.

The packages (`router`, `topology`, `replay`) must import exactly the runtime dependencies: nothing
undeclared, nothing declared and unused. The tests and benchmarks may use the development extras too
(some of those, pytest-asyncio and ruff, are plugins and tools that nothing imports), and the
benchmarks the `bench` extra.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"router", "topology", "replay", "tests", "bench"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    """Distribution names of requirement strings such as `aiomqtt>=2.3,<3`."""
    names = set()
    for requirement in requirements:
        found = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert found, requirement
        names.add(_normal(found.group()))
    return names


def _imported(*folders: str) -> set[str]:
    """Distributions of the third-party modules imported anywhere in the folders (also inside
    functions)."""
    modules = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.partition(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.partition(".")[0])
    third_party = modules - FIRST_PARTY - set(sys.stdlib_module_names)
    owners = packages_distributions()
    missing = sorted(module for module in third_party if module not in owners)
    assert not missing, f"imported but not installed: {missing}"
    return {_normal(owners[module][0]) for module in third_party}


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_the_packages_import_exactly_the_runtime_dependencies() -> None:
    assert _imported("router", "topology", "replay") == _declared(_project()["dependencies"])


def test_tests_and_benchmarks_import_only_declared_dependencies() -> None:
    project = _project()
    extras = project["optional-dependencies"]
    allowed = _declared(project["dependencies"]) | _declared(extras["dev"])
    assert _imported("tests") <= allowed
    assert _imported("bench") <= allowed | _declared(extras.get("bench", []))
    assert "aiomqtt" in _imported("tests")  # the interoperability tests
