"""The SMS keyword grammar, table-driven: real-looking messages and what they mean."""

from __future__ import annotations

import pytest

from menus.keywords import KEYWORDS, Parsed, parse

CASES = [
    # Markets and menus
    ("PASAR", Parsed("markets")),
    ("pasar", Parsed("markets")),
    ("  Pasar  ", Parsed("markets")),
    ("markets", Parsed("markets")),
    ("PSAAR", Parsed("markets")),  # two letters swapped
    ("MENU", Parsed("menu")),  # alone: the numbered menus
    ("menu ab", Parsed("menu", code="AB")),
    ("MENU AB1", Parsed("menu", code="AB1")),
    ("MENU#AB1#2", Parsed("menu", code="AB1", page=2)),
    ("menu: ab1 - 2", Parsed("menu", code="AB1", page=2)),
    # Finding items
    ("CARI tomat", Parsed("find", text="tomat")),
    ("cari telur ayam", Parsed("find", text="telur ayam")),
    ("find eggs", Parsed("find", text="eggs")),
    ("CRAI beras", Parsed("find", text="beras")),
    ("CARI", Parsed("find", problem="missing")),
    # Orders
    ("PESAN B12 2, C03 1", Parsed("order", lines=(("B12", 2), ("C03", 1)))),
    ("pesan b12 2,c03 1", Parsed("order", lines=(("B12", 2), ("C03", 1)))),
    ("PESAN B12x2", Parsed("order", lines=(("B12", 2),))),
    ("pesan b12 x 2", Parsed("order", lines=(("B12", 2),))),
    ("PESAN 2 B12", Parsed("order", lines=(("B12", 2),))),
    ("pesan b12 2kg", Parsed("order", lines=(("B12", 2),))),
    ("PESAN B04 3 ikat, T05 10 butir", Parsed("order", lines=(("B04", 3), ("T05", 10)))),
    ("PESAN B12", Parsed("order", lines=(("B12", 1),))),
    ("PESAN B12 C03", Parsed("order", lines=(("B12", 1), ("C03", 1)))),
    ("ORDER B12 2", Parsed("order", lines=(("B12", 2),))),
    ("order#b12#2#c03#1", Parsed("order", lines=(("B12", 2), ("C03", 1)))),
    ("PSEAN B12 2", Parsed("order", lines=(("B12", 2),))),  # typo
    ("PESN B12 2", Parsed("order", lines=(("B12", 2),))),  # a letter missing
    ("PESAAN B12 2", Parsed("order", lines=(("B12", 2),))),  # a letter too many
    ("beli w01 3", Parsed("order", lines=(("W01", 3),))),
    ("PESAN tomat 2", Parsed("order", problem="unknown_code:TOMAT")),
    ("PESAN", Parsed("order", problem="missing")),
    ("PESAN 2", Parsed("order", problem="missing")),
    ("PESAN B12 0", Parsed("order", problem="bad_quantity")),
    # Answers to a pending order
    ("YA", Parsed("yes")),
    ("ya", Parsed("yes")),
    ("Yes", Parsed("yes")),
    ("ok", Parsed("yes")),
    ("TIDAK", Parsed("no")),
    ("no", Parsed("no")),
    ("TIDAJ", Parsed("no")),
    # Orders already placed
    ("STATUS", Parsed("status")),
    ("status 4821", Parsed("status", order_number="4821")),
    ("STATUS #4821", Parsed("status", order_number="4821")),
    ("BATAL 4821", Parsed("cancel", order_number="4821")),
    ("cancel 4821", Parsed("cancel", order_number="4821")),
    ("BATAL 12", Parsed("cancel", problem="bad_order_number")),
    ("CANCEL", Parsed("cancel")),  # alone: BATAL (an opt-out on Twilio's route only)
    # Details about me
    (
        "ALAMAT Banjar Kauh, Desa Bugbug, dekat pura",
        Parsed("address", text="Banjar Kauh, Desa Bugbug, dekat pura"),
    ),
    ("alamat: Jl. Gajah Mada 5", Parsed("address", text="Jl. Gajah Mada 5")),
    ("NAMA Ni Made Sari", Parsed("name", text="Ni Made Sari")),
    ("name Wayan", Parsed("name", text="Wayan")),
    ("BAHASA en", Parsed("language", language="en")),
    ("bahasa bali", Parsed("language", language="ban")),
    ("LANG indonesia", Parsed("language", language="id")),
    ("BAHASA jawa", Parsed("language", problem="bad_language")),
    # Help, opt-out and opt-in
    ("BANTUAN", Parsed("help")),
    ("help", Parsed("help")),
    ("INFO", Parsed("help")),
    ("STOP", Parsed("stop")),
    ("berhenti", Parsed("stop")),
    ("START", Parsed("start")),
    ("mulai", Parsed("start")),
    # Numbered-menu answers
    ("1", Parsed("digits", text="1")),
    (" 98 ", Parsed("digits", text="98")),
    # Not understood
    ("halo", Parsed("unknown", suggestion="BANTUAN")),
    ("PESEN B12", Parsed("order", lines=(("B12", 1),))),  # one letter off: understood
    ("XYZ", Parsed("unknown", suggestion="BANTUAN")),
    ("PESANAN B12", Parsed("unknown", suggestion="PESAN")),
    ("", Parsed("unknown")),
    ("🍅🍅", Parsed("unknown")),
    ("B12x2", Parsed("unknown", suggestion="PESAN")),
    ("b12 2, c03 1", Parsed("unknown", suggestion="PESAN")),
]


@pytest.mark.parametrize("message, expected", CASES, ids=[c[0] or "empty" for c in CASES])
def test_grammar(message, expected):
    assert parse(message) == expected


def test_the_table_has_at_least_forty_real_looking_messages():
    assert len(CASES) >= 40


def test_keywords_are_unique_and_have_an_indonesian_word_first():
    words = [word for keyword in KEYWORDS for word in keyword.words]
    assert len(words) == len(set(words))
    assert [k.words[0] for k in KEYWORDS][:4] == ["PASAR", "MENU", "CARI", "PESAN"]


def test_a_typo_close_to_two_commands_is_not_guessed():
    # NAMS is one letter from NAMA and from NAME: the same command, so it is understood;
    # PASAN is one letter from PASAR and from PESAN: a guess could order by mistake.
    assert parse("NAMS Wayan") == Parsed("name", text="Wayan")
    assert parse("PASAN B12").command == "unknown"


def test_a_huge_message_is_read_without_trouble():
    assert parse("PESAN " + "B12 2, " * 2000).command == "order"
    assert parse("🍅" * 10_000).command == "unknown"


@pytest.mark.parametrize("message", ["STOK tomat", "SHOP", "STPO", "STARTT", "MULAII", "BERHENT"])
def test_opting_out_or_in_takes_the_exact_word_never_a_typo(message):
    parsed = parse(message)
    assert parsed.command not in ("stop", "start")
    assert parsed.suggestion not in ("STOP", "START")


@pytest.mark.parametrize(
    "message, amount",
    [
        ("HARGA B04 15000", 15_000),
        ("harga b04 Rp15.000", 15_000),
        ("HARGA B04 15rb", 15_000),
        ("HARGA, B04, Rp 15.000", 15_000),
        ("HARGA B04 Rp15.000,-", 15_000),
        ("harga b04 15.000.-", 15_000),
        ("HARGA B04 15 ribu", 15_000),
    ],
)
def test_a_price_is_read_in_rupiah(message, amount):
    parsed = parse(message)
    assert (parsed.command, parsed.code, parsed.amount, parsed.problem) == (
        "price",
        "B04",
        amount,
        None,
    )


@pytest.mark.parametrize(
    "message",
    [
        "HARGA B04 -15000",
        "HARGA B04 Rp-15.000",
        "HARGA B04 \u221215000",
        "HARGA B04 15000-",
        "HARGA B04 15.000,50",
        "HARGA B04 1e5",
        "HARGA B04 murah",
        "HARGA B04",
    ],
)
def test_a_minus_sign_or_anything_else_is_not_a_price(message):
    parsed = parse(message)
    assert parsed.command == "price"
    assert parsed.amount is None and parsed.problem == "bad_price"
