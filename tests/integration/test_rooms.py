"""The rooms keep their doors: each import-linter contract of pyproject.toml reports a forbidden
import added to a copy of the house as BROKEN (and the house itself keeps them all)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from settings import PROJECT_ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
ROOMS = (
    "gateway",
    "console",
    "providers",
    "simulator",
    "web",
    "conversations",
    "domain",
    "menus",
    "storage",
    "voice_prompts",
    "telemetry",
)
# One forbidden import per contract: (the file it is written in, the line, the contract's name).
OFFENCES = [
    (
        "storage/upward.py",
        "import conversations.menu_turns\n",
        "Imports point down",
    ),
    (
        "telemetry/sideways.py",
        "import storage.models\n",
        "Imports point down",
    ),
    (
        "domain/messaging/upward.py",
        "import domain.orders.service\n",
        "The domain's parts import each other one way",
    ),
    (
        "domain/hours.py",
        "import domain.office.staff\n",
        "What the domain's parts share",
    ),
    (
        "domain/orders/web.py",
        "import flask\n",
        "Below the edges, no web framework",
    ),
    (
        "menus/database.py",
        "import sqlalchemy\n",
        "The menu engine is pure",
    ),
    (
        "console/sms.py",
        "import providers.twilio_sms\n",
        "The console imports no provider module",
    ),
    (
        "simulator/order.py",
        "from domain.orders import place_order\n",
        "The simulator is a client",
    ),
    (
        "simulator/window.py",
        "from domain.orders.service import cancel_order\n",
        "The simulator is a client",
    ),
]


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
    )


def copy_of_the_house(tmp_path: Path) -> Path:
    tree = tmp_path / "house"
    tree.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "static", "templates", "texts", "migrations")
    for room in ROOMS:
        shutil.copytree(PROJECT_ROOT / room, tree / room, ignore=ignore)
    for name in ("settings.py", "pyproject.toml"):
        shutil.copy(PROJECT_ROOT / name, tree / name)
    return tree


def verdict(output: str, contract: str) -> str:
    """KEPT or BROKEN: what lint-imports' summary says of the contract named so."""
    summary = " ".join(output.split()).split("Broken contracts", 1)[0]  # it wraps long names
    after = summary.split(contract, 1)[1]
    return min(("KEPT", "BROKEN"), key=lambda word: (after + word).index(word))


@pytest.fixture(scope="module")
def house(tmp_path_factory) -> Path:
    return copy_of_the_house(tmp_path_factory.mktemp("rooms"))


def test_the_house_keeps_every_contract(house):
    result = lint_imports(house)
    assert result.returncode == 0, result.stdout
    assert "7 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("path", "line", "contract"), OFFENCES, ids=[path for path, _, _ in OFFENCES]
)
def test_a_forbidden_import_is_reported_broken(tmp_path, path, line, contract):
    tree = copy_of_the_house(tmp_path)
    target = tree / path
    target.write_text((target.read_text() if target.exists() else "") + line)

    result = lint_imports(tree)

    assert result.returncode == 1, result.stdout
    assert verdict(result.stdout, contract) == "BROKEN"
    assert path.removesuffix(".py").replace("/", ".") in result.stdout
