"""The console's words come from one catalog (console/texts.py), whole in every language.

Every key is in every language with the same `{placeholders}`; every key a template or a
view names exists; every state a page may show has its words; and no template carries a
word of its own outside the catalog.
"""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from console.texts import LANGUAGES, TEXTS
from domain.office.register import ENGLISH as REGISTER_ERRORS
from settings import PROJECT_ROOT

CONSOLE = PROJECT_ROOT / "console"
TEMPLATES = sorted((CONSOLE / "templates" / "console").glob("*.html"))
VIEWS = sorted(CONSOLE.glob("*.py"))
# Order, outbound SMS, inbound SMS and call-back states as storage writes them.
STATES = {
    "state": (
        "placed", "offered", "assigned", "picked_up", "delivered", "cancelled", "unassigned",
        "failed", "returned", "written_off",
    ),
    "sms.out": ("pending", "sending", "sent", "delivered", "failed", "dead", "refused"),
    "sms.in": ("pending", "handled", "dead"),
    "calls.state": ("pending", "calling", "ringing", "answered", "unanswered", "dead"),
    "channel": ("ussd", "sms", "smsmenu", "voice", "console"),
    "lang": ("id", "en", "ban", "none"),
    "action": ("add", "change", "same"),
}  # fmt: skip


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_key_is_in_every_language_with_the_same_placeholders():
    assert LANGUAGES == ("id", "en")
    assert TEXTS["id"].keys() == TEXTS["en"].keys()
    differ = [key for key in TEXTS["id"] if fields(TEXTS["id"][key]) != fields(TEXTS["en"][key])]
    assert differ == []


@pytest.mark.parametrize("path", TEMPLATES + VIEWS, ids=lambda path: path.name)
def test_every_key_a_page_names_exists(path: Path):
    text = path.read_text(encoding="utf-8")
    named = re.findall(r"""\b(?:t|words|_back)\(\s*["']([a-z_]+(?:\.[a-z_]+)*)["']""", text)
    missing = sorted({key for key in named if key not in TEXTS["id"]})
    assert missing == []


def test_every_state_a_page_shows_has_words():
    missing = [
        f"{prefix}.{state}"
        for prefix, states in STATES.items()
        for state in states
        if f"{prefix}.{state}" not in TEXTS["id"]
    ]
    assert missing == []


def test_every_register_error_and_csv_problem_has_words():
    assert [key for key in REGISTER_ERRORS if f"register.error.{key}" not in TEXTS["id"]] == []
    catalog_csv = (PROJECT_ROOT / "domain" / "office" / "catalog_csv.py").read_text()
    problems = set(re.findall(r'Problem\.of\(\s*"([a-z_]+)"', catalog_csv))
    assert len(problems) >= 10  # the pattern finds them: every kind of wrong row and file
    assert sorted(key for key in problems if f"csv.{key}" not in TEXTS["id"]) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda path: path.name)
def test_no_template_says_a_word_outside_the_catalog(path: Path):
    """What is left of a template without its tags, its Jinja and its scripts: the brand,
    "Rp" before a figure the script fills in, and "CSV"."""
    text = path.read_text(encoding="utf-8")
    for pattern in (r"\{#.*?#\}", r"<script.*?</script>", r"\{%.*?%\}", r"\{\{.*?\}\}", r"<[^>]*>"):
        text = re.sub(pattern, " ", text, flags=re.S)
    words = set(re.findall(r"[A-Za-z]{2,}", re.sub(r"&\w+;", " ", text)))
    assert words <= {"Telepasar", "Rp", "CSV"}
