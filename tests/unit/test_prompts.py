"""The prompt catalog: every key in every language, the same placeholders, plain GSM-7 text."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from voice_prompts import (
    LANGUAGES,
    Digits,
    Money,
    PromptCatalog,
    Text,
    When,
    default_catalog,
    format_rupiah,
)
from voice_prompts.gsm7 import count_segments, is_gsm7
from voice_prompts.prompt_catalog import MissingPrompt, placeholders

CATALOG = default_catalog()
ALL_KEYS = sorted(set().union(*(CATALOG.keys(lang) for lang in LANGUAGES)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_prompt_key_exists_in_every_language(lang):
    missing = sorted(set(ALL_KEYS) - CATALOG.keys(lang))
    assert missing == [], f"missing in {lang}: {missing}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_every_language_uses_the_same_placeholders(key):
    expected = placeholders(CATALOG.template("id", key))
    for lang in LANGUAGES:
        assert placeholders(CATALOG.template(lang, key)) == expected, (lang, key)


@pytest.mark.parametrize("key", ALL_KEYS)
def test_no_prompt_would_turn_an_sms_into_ucs2(key):
    for lang in LANGUAGES:
        template = CATALOG.template(lang, key)
        assert is_gsm7(template), (lang, key, template)
        assert template == template.strip() and "  " not in template, (lang, key)


def test_a_missing_prompt_is_reported_by_key_and_language(tmp_path):
    for lang in LANGUAGES:
        (tmp_path / f"{lang}.toml").write_text('[cart]\ntitle = "x"\n' if lang != "ban" else "")
    catalog = PromptCatalog.from_directory(tmp_path)
    with pytest.raises(MissingPrompt, match="'cart.title' is missing in 'ban'"):
        catalog.render(Text.of("cart.title"), "ban")


@pytest.mark.parametrize(
    "amount, written",
    [
        (0, "Rp0"),
        (500, "Rp500"),
        (15_000, "Rp15.000"),
        (125_500, "Rp125.500"),
        (1_250_000, "Rp1.250.000"),
        (-14_000, "-Rp14.000"),  # owed the other way (a courier's balance with the office)
    ],
)
def test_money_is_written_the_indonesian_way(amount, written):
    assert format_rupiah(amount) == written
    assert str(Money(amount)) == written


def test_nested_texts_are_rendered_in_the_same_language():
    option = Text.of("vendor.option", name="Bu Komang", category=Text.of("category.sayur"))
    assert CATALOG.render(option, "id") == "Bu Komang (sayur)"
    assert CATALOG.render(option, "en") == "Bu Komang (vegetables)"
    assert CATALOG.render(option, "ban") == "Bu Komang (jukut)"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_longest_possible_order_confirmation_is_one_sms(lang):
    """Whatever happens next: couriers asked, the market opening on any day of the week (the
    longest day names differ by language), or nobody free, with a landline or a mobile call
    center number."""
    monday = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    openings = [
        Text.of("sms.next_later", when=When(monday + dt.timedelta(days=d))) for d in range(7)
    ]
    money = {"goods": Money(300_000), "fee": Money(99_000), "total": Money(399_000)}  # the caps
    bodies = [
        CATALOG.render(Text.of("sms.order_placed", number="999999", **money, next=step), lang)
        for step in [Text.of("sms.next_courier"), *openings]
    ]
    nobody = [
        Text.of("sms.next_staff"),
        Text.of("sms.next_staff_call", call_center="(0363) 21234"),
        Text.of("sms.next_staff_call", call_center="0812-3456-7890"),
    ]
    bodies += [
        CATALOG.render(
            Text.of("sms.order_placed_nobody", number="999999", total=Money(399_000), next=step),
            lang,
        )
        for step in nobody
    ]
    too_long = [(len(body), body) for body in bodies if count_segments(body).segments != 1]
    assert too_long == []


LIST_REPLIES = {"markets", "vendors", "items", "found", "summary"}  # measured with the catalog
WORST_CASE = {
    "keyword": "BANTUAN", "code": "AB1", "page": 9, "pages": 9, "number": Digits("999999"),
    "state": Text.of("sms.state.unassigned"), "total": Money(310_000), "fee": Money(10_000),
    "max": 50, "codes": "X99, Y98", "words": "telur ayam kampung", "address": "a" * 118 + "..",
    "name": "n" * 60, "example": "AB", "title": "Pasar Amlapura Barat", "list": "",
    "when": When(dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))),
    "vendor": "Babi Guling Pan Darma", "price": Money(140_000), "unit": Text.of("unit.bungkus"),
    "quantity": 50, "amount": Money(300_000), "lines": "", "guide": Text.of("sms.reply.guide"),
    "courier": "Pak Made Wirawan Putra", "phone": "0812-3456-7890", "job": Digits("999999"),
    "market": "Pasar Amlapura Timur", "area": "a" * 32, "count": 20, "goods": Money(300_000),
    "call_center": "(0363) 21234", "changes": "", "old": Money(140_000), "low": Money(100),
    "high": Money(300_000), "availability": Text.of("dispatch.reply.unavailable"),
    "offers": Text.of("dispatch.reply.no_offers"), "stalls": "", "where": "", "url": "",
    "trader": "Babi Guling Pan Darma", "stall": "AB6", "summary": "", "minutes": 10,
    "reason": "r" * 120, "day": "30/11", "sold": 999, "received": Money(9_999_000),
    "returned_lines": 99, "returned": Money(999_000), "deliveries": 99, "failed": 99,
    "paid": Text.of("dispatch.reply.plus_couriers", amount=Money(9_999_000),
                    other=Money(9_999_000)),
    "collected": Text.of("dispatch.reply.plus_back", amount=Money(9_999_000),
                         back=Money(9_999_000)),
    "other": Money(9_999_000), "back": Money(9_999_000), "fees": Money(999_000),
    "commission": Money(999_000), "held_orders": 9, "held": Money(2_700_000),
    "balance": Text.of("dispatch.reply.balance_credit", amount=Money(9_999_000)),
}  # fmt: skip
# Replies and notices that carry a list or a whole job may take more than one part.
LONG_BY_NATURE = {
    "sheet", "sheet_taken_over", "sheet_own", "again", "return", "status", "several_open",
    "ambiguous", "ambiguous_no", "call_center", "call_center_failed", "books",
}  # fmt: skip


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_fixed_sms_reply_is_one_gsm7_segment(lang):
    keys = [k for k in ALL_KEYS if k.startswith(("sms.reply.", "sms.state.", "dispatch."))]
    assert len(keys) > 90
    for key in keys:
        if key.split(".")[-1] in LIST_REPLIES | LONG_BY_NATURE:
            continue
        params = {name: WORST_CASE[name] for name in placeholders(CATALOG.template(lang, key))}
        text = CATALOG.render(Text(key, params), lang)
        count = count_segments(text)
        assert (count.encoding, count.segments) == ("GSM-7", 1), (key, len(text), text)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("key", ["dispatch.reply.books", "dispatch.trader.books"])
def test_the_largest_rekap_is_at_most_two_gsm7_parts(lang, key):
    params = {name: WORST_CASE[name] for name in placeholders(CATALOG.template(lang, key))}
    text = CATALOG.render(Text(key, params), lang)
    count = count_segments(text)
    assert (count.encoding, count.segments <= 2) == ("GSM-7", True), (len(text), text)


DOUBLED = re.compile(r"\b(\w+)[\s,]+(\w+)\b")
# What a placeholder may be filled with when it is itself a text: an order's state.
NESTED = {"state": "sms.state."}


def filled(lang: str, template: str) -> list[str]:
    """`template` with every placeholder filled: each text it may hold, else a neutral mark."""
    names = placeholders(template)
    plain = {name: "#" for name in names}
    versions = [template.format(**plain)]
    for name, prefix in NESTED.items():
        if name in names:
            nested = [CATALOG.template(lang, key) for key in ALL_KEYS if key.startswith(prefix)]
            versions += [template.format(**{**plain, name: text}) for text in nested]
    return versions


def says_a_word_twice(text: str) -> bool:
    """ "sudah sudah", "Pesanan pesanan"; not a keyword and its word ("NAMA nama Anda")."""
    for found in DOUBLED.finditer(text):
        first, second = found.groups()
        if first.lower() == second.lower() and first.isupper() == second.isupper():
            return True
    return False


def test_a_doubled_word_is_found():
    assert says_a_word_twice("Pesanan 7652 sudah sudah diantar.")
    assert says_a_word_twice("Pesanan pesanan")
    assert not says_a_word_twice("kirim NAMA nama Anda, barang-barang")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_says_a_word_twice_in_a_row(lang):
    doubled = [
        (key, text)
        for key in ALL_KEYS
        for text in filled(lang, CATALOG.template(lang, key))
        if says_a_word_twice(text)
    ]
    assert doubled == []


def test_no_console_text_says_a_word_twice_in_a_row():
    from console.texts import TEXTS

    doubled = [
        (lang, key, text)
        for lang, texts in TEXTS.items()
        for key, text in texts.items()
        if says_a_word_twice(re.sub(r"\{[^}]*\}", "#", text))
    ]
    assert doubled == []
