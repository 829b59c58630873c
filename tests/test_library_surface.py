"""The library surface: each package exports its API from `__init__`, cheaply, with one error base."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = [
    "router",
    "topology",
    "replay",
    "replay.inputs",
    "replay.mqtt",
    "replay.engine",
    "replay.store",
    "replay.audit",
]


def _type_checking_imports(package: str) -> dict[str, str]:
    """{name: module} of the `if TYPE_CHECKING:` imports in a package's `__init__`."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text())
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module is not None
                found.update({alias.name: statement.module for alias in statement.names})
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_to_its_module(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(module.EXPORTS)
    assert _type_checking_imports(package) == module.EXPORTS
    for name, source in module.EXPORTS.items():
        assert getattr(module, name) is getattr(importlib.import_module(source), name)
        assert name in dir(module)
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        _ = module.nothing_here


def test_decode_and_plan_are_functions() -> None:
    from router import Cable, Plan, decode, plan
    from topology import bundled_example

    cable = decode((ROOT / "replay" / "examples" / "08TOKYO3310.txt").read_text())
    assert isinstance(cable, Cable) and cable.id == "08TOKYO3310"
    result = plan(cable, bundled_example())
    assert isinstance(result, Plan) and result.deliveries[0].post == "RUEHC"


def test_importing_the_packages_loads_nothing_heavy() -> None:
    code = (
        "import sys, router, topology, replay, replay.inputs, replay.mqtt, replay.engine, replay.store, "
        "replay.audit\n"
        "heavy = ['asyncio', 'rich', 'structlog', 'sqlite3', 'router.decoder', 'topology.files']\n"
        "print(' '.join(name for name in heavy if name in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert loaded.stdout.strip() == ""


def test_the_project_errors_share_one_base() -> None:
    from replay import BrokerError, CablerouteError, MqttError, QueryError, StoreError
    from replay.cli.run_options import UsageError
    from replay.mqtt import ConnectionRefused, TopicError, WireError
    from router import CablerouteError as from_router
    from topology import TopologyFileError

    assert from_router is CablerouteError
    for error in (BrokerError, MqttError, ConnectionRefused, QueryError, StoreError, UsageError):
        assert issubclass(error, CablerouteError)
    for error in (TopicError, WireError, TopologyFileError):
        assert issubclass(error, CablerouteError) and issubclass(error, ValueError)


def test_every_exception_class_of_the_project_derives_from_the_base() -> None:
    from topology.errors import CablerouteError

    found = []
    for package in ("router", "topology", "replay"):
        for module_info in pkgutil.walk_packages([str(ROOT / package)], prefix=f"{package}."):
            module = importlib.import_module(module_info.name)
            for _, value in inspect.getmembers(module, inspect.isclass):
                if value.__module__ == module.__name__ and issubclass(value, BaseException):
                    found.append(value)
    assert len(found) >= 10
    assert [error.__qualname__ for error in found if not issubclass(error, CablerouteError)] == []


@pytest.mark.parametrize("package", ["router", "topology", "replay"])
def test_packages_are_marked_typed(package: str) -> None:
    assert (ROOT / package / "py.typed").is_file()
