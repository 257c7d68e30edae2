"""The menu engine on its own: no Flask, no database, an in-memory catalog."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace

import pytest

from menus import engine
from menus.catalog import LastOrder
from menus.engine import PlaceOrder, SaveLanguage
from menus.screen import USSD, ChannelProfile
from menus.state import CartLine, MenuState, Quoted
from tests.factories import make_catalog, make_context
from voice_prompts import Text

TOMATO, KANGKUNG, EGGS = 1011, 1012, 1013  # items of trader 101 at market 1


def press(ctx, state, *values):
    """Apply inputs one by one; returns the last turn."""
    turn = engine.Turn(state)
    for value in values:
        turn = engine.handle(ctx, turn.state, value)
    return turn


def text(ctx, state) -> str:
    return engine.render(ctx, state)


def test_the_engine_imports_no_web_framework_and_no_database():
    code = (
        "import sys, menus.engine, menus.ussd;"
        "banned = ('flask', 'sqlalchemy', 'twilio', 'africastalking');"
        "bad = [m for m in banned if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_new_caller_chooses_a_language_first_and_it_is_saved():
    ctx = make_context(language=None)
    state = engine.start(ctx)
    assert text(ctx, state).splitlines()[1:] == [
        "1. Bahasa Indonesia",
        "2. Basa Bali",
        "3. English",
    ]

    turn = engine.handle(ctx, state, "3")

    assert turn.effects == (SaveLanguage("en"),)
    assert turn.state.language == "en"
    assert text(ctx, turn.state).startswith("Choose a market:")


def test_a_whole_order_ends_in_a_place_order_effect_with_name_and_address():
    ctx = make_context()
    state = engine.start(ctx)
    assert state.step == "market"
    turn = press(ctx, state, "1", "1", "1", "2")  # market 1, trader 1, tomatoes, 2 kg
    assert text(ctx, turn.state).startswith(
        "Tomat 2 kg masuk keranjang.\nKeranjang: 1 barang, Rp28.000"
    )
    turn = press(ctx, turn.state, "3", "Ni Made Sari", "Banjar Kauh, Amlapura")
    assert turn.state.step == "summary"
    assert text(ctx, turn.state).startswith("Total Rp38.000 (ongkir Rp10.000), bayar tunai:")

    turn = engine.handle(ctx, turn.state, "1")

    assert turn.effects == (
        PlaceOrder(
            market_id=1,
            lines=(CartLine(TOMATO, 2),),
            quoted=Quoted(delivery_fee=10_000, unit_prices=((TOMATO, 14_000),)),
            name="Ni Made Sari",
            address="Banjar Kauh, Amlapura",
        ),
    )


def test_a_known_customer_skips_name_and_address():
    ctx = make_context(name="Ni Made Sari", address="Banjar Kauh")
    turn = press(ctx, engine.start(ctx), "1", "1", "1", "2", "3")
    assert turn.state.step == "summary"


def test_a_returning_customer_sees_repeat_last_order_first_and_reorders_in_two_presses():
    last = LastOrder(market_id=1, lines=((TOMATO, 2), (EGGS, 10)), total=60_000)
    ctx = make_context(name="Ni Made Sari", address="Banjar Kauh", last_order=last)
    state = engine.start(ctx)
    assert text(ctx, state).splitlines()[:2] == [
        "Halo Ni Made Sari! Mau belanja apa?",
        "1. Ulangi pesanan terakhir (Rp60.000)",
    ]

    summary = engine.handle(ctx, state, "1").state
    turn = engine.handle(ctx, summary, "1")

    assert turn.effects[0].lines == (CartLine(TOMATO, 2), CartLine(EGGS, 10))


def test_repeating_an_order_whose_item_sold_out_names_it():
    catalog = make_catalog()
    catalog = catalog.replace_item(replace(catalog.item(EGGS), available=False))
    last = LastOrder(market_id=1, lines=((TOMATO, 2), (EGGS, 10)), total=60_000)
    ctx = make_context(catalog=catalog, name="Made", address="Banjar Kauh", last_order=last)

    summary = engine.handle(ctx, engine.start(ctx), "1").state

    assert text(ctx, summary).startswith("Maaf, habis: Telur ayam.\nTotal Rp38.000")
    assert summary.cart == (CartLine(TOMATO, 2),)


def test_unknown_input_keeps_the_screen_and_explains():
    ctx = make_context()
    state = engine.start(ctx)
    for bad in ("9", "x", "", "1 2", "٣", "😀", "*#*", "9" * 200):
        turn = engine.handle(ctx, state, bad)
        assert turn.effects == ()
        assert text(ctx, turn.state) == "Pilihan tidak ada.\n" + text(ctx, state)


def test_the_home_key_returns_to_the_main_menu_and_keeps_the_basket():
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1", "2").state
    home = engine.handle(ctx, state, "00").state
    assert home.step == "market" and home.cart == (CartLine(TOMATO, 2),)


def test_back_walks_up_the_menu():
    ctx = make_context()
    quantity = press(ctx, engine.start(ctx), "1", "1", "1").state
    steps = []
    state = quantity
    for _ in range(4):
        state = engine.handle(ctx, state, "0").state
        steps.append(state.step)
    assert steps == ["item", "vendor", "market", "language"]


def test_a_quantity_over_the_goods_cap_is_refused_and_the_basket_is_unchanged():
    ctx = make_context(goods_cap=50_000)
    state = press(ctx, engine.start(ctx), "1", "1", "1").state
    turn = engine.handle(ctx, state, "4")  # 4 kg tomatoes: Rp56.000
    assert turn.state.cart == ()
    assert text(ctx, turn.state).startswith("Belanja Rp56.000 lewat batas Rp50.000.")


@pytest.mark.parametrize("bad", ["51", "abc", "1.5", "-2", "", "1" * 10, "²"])
def test_an_invalid_quantity_is_explained(bad):
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1").state
    turn = engine.handle(ctx, state, bad)
    assert turn.state.cart == ()
    assert text(ctx, turn.state).startswith("Ketik angka 1 sampai 50.")


def test_the_same_item_twice_adds_up():
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1", "2", "1", "1", "1", "3").state
    assert state.cart == (CartLine(TOMATO, 5),)


def test_a_name_must_be_real_text_we_can_send_by_sms():
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1", "2", "3").state
    assert state.step == "name"
    for bad in ("x", "12", "😀😀😀", "N" * 61):
        assert text(ctx, engine.handle(ctx, state, bad).state).startswith(
            "Nama harus 2 sampai 60 huruf."
        )
    assert engine.handle(ctx, state, "  Ni   Made  ").state.name == "Ni Made"


def test_items_unavailable_at_confirmation_go_back_to_the_summary_or_the_basket():
    ctx = make_context(name="Made", address="Banjar Kauh")
    state = press(ctx, engine.start(ctx), "1", "1", "1", "2", "1", "1", "2", "1", "3").state
    assert state.step == "summary"

    partly = engine.items_unavailable(ctx, state, [TOMATO])
    assert partly.step == "summary" and partly.cart == (CartLine(KANGKUNG, 1),)
    assert text(ctx, partly).startswith("Maaf, habis: Tomat.")

    wholly = engine.items_unavailable(ctx, state, [TOMATO, KANGKUNG])
    assert wholly.step == "cart" and wholly.cart == ()
    assert text(ctx, wholly).startswith("Maaf, habis: Tomat, Kangkung.\nKeranjang masih kosong.")


def test_the_closing_screen_ends_the_session_and_says_when_a_closed_market_delivers():
    ctx = make_context()
    when = dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    done = engine.order_placed(
        MenuState(step="summary"), number="4821", total=38_000, reopens_at=when
    )
    screen = engine.screen(ctx, done)
    assert screen.end
    assert text(ctx, done) == (
        "Terima kasih! Pesanan 4821 diterima. Total Rp38.000. Nomor pesanan dikirim lewat SMS."
        "\nPasar sedang tutup: kurir kami cari saat pasar buka Selasa 06.00."
    )


def test_the_closing_screen_says_what_dispatch_did_and_nothing_else():
    ctx = make_context()
    summary = MenuState(step="summary")
    placed = "Terima kasih! Pesanan 4821 diterima. Total Rp38.000. Nomor pesanan dikirim lewat SMS."
    asking = engine.order_placed(summary, number="4821", total=38_000)
    nobody = engine.order_placed(summary, number="4821", total=38_000, nobody_free=True)
    assert text(ctx, asking) == f"{placed}\nKurir sedang dicari dan akan menelepon Anda."
    assert text(ctx, nobody) == (
        f"{placed}\nBelum ada kurir siap: petugas kami akan menelepon Anda."
    )


@pytest.mark.parametrize("lang", ["id", "en", "ban"])
def test_every_closing_screen_fits_a_ussd_screen_whole(lang):
    """The longest order number and total, and a closed market opening on any day (the
    longest day names differ by language): nothing is cut."""
    ctx = make_context(language=lang)
    summary = MenuState(step="summary", language=lang)
    monday = dt.datetime(2026, 11, 30, 6, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    closings = [
        engine.order_placed(summary, number="999999", total=399_000),
        engine.order_placed(summary, number="999999", total=399_000, nobody_free=True),
        *(
            engine.order_placed(
                summary, number="999999", total=399_000, reopens_at=monday + dt.timedelta(days=d)
            )
            for d in range(7)
        ),
    ]
    screens = [engine.screen(ctx, state) for state in closings]
    whole = [screen.render_text(ctx.prompts, lang, None) for screen in screens]
    too_long = [(len(text), text) for text in whole if len(text) > USSD.max_chars]
    assert too_long == []


def test_the_state_survives_a_round_trip_through_json():
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1", "2").state
    assert state.notice  # "Tomat 2 kg masuk keranjang."
    again = MenuState.from_dict(json.loads(json.dumps(state.to_dict())))
    assert again == state
    assert text(ctx, again) == text(ctx, state)


def test_every_field_of_a_state_survives_the_round_trip():
    """`to_dict` is written by hand (it runs on every hop): a field it forgot fails here."""
    state = MenuState(
        step="summary",
        language="ban",
        page_starts=(0, 8),
        page_start=16,
        market_id=1,
        vendor_id=2,
        item_id=3,
        pending_market_id=4,
        pending_order="repeat",
        cart=(CartLine(3, 2), CartLine(5, 1)),
        name="Ni Made Sari",
        address="Banjar Kauh",
        address_recording="https://api.twilio.com/rec/RE1",
        quoted=Quoted(10_000, ((3, 14_000), (5, 2_000))),
        notice=(Text.of("cart.added", item="Tomat", quantity=2, unit="kg"),),
        resume={"step": "cart"},
    )
    data = state.to_dict()
    assert set(data) == {f.name for f in dataclasses.fields(MenuState)}
    again = MenuState.from_dict(json.loads(json.dumps(data)))
    assert again == state and again.resume == state.resume


def test_pages_respect_a_small_channel_and_show_every_entry_once():
    tiny = ChannelProfile("tiny", max_chars=70, max_choices=4)
    ctx = make_context(catalog=make_catalog(vendors_per_market=9), profile=tiny)
    state = engine.start(ctx).go("vendor", market_id=1)
    seen = []
    while True:
        screen_text = text(ctx, state)
        assert len(screen_text) <= 70
        assert len(engine.screen(ctx, state).options) <= 4
        seen += [line for line in screen_text.splitlines() if "Bu Komang" in line]
        following = engine.handle(ctx, state, "98").state
        if following == state or following.notice:
            break
        state = following
    names = [line.split(". ", 1)[1] for line in seen]
    assert names == [f"Bu Komang {n} (sayur)" for n in range(1, 10)]


def test_a_caller_text_too_long_for_the_screen_is_shortened_not_overflowed():
    tiny = ChannelProfile("tiny", max_chars=60, max_choices=9)
    ctx = make_context(profile=tiny)
    state = MenuState(step="cart", cart=(CartLine(TOMATO, 1),)).with_notice(
        Text.of("error.unavailable", items=", ".join(["Telur ayam kampung"] * 5))
    )
    assert len(text(ctx, state)) <= 60


def test_an_item_that_sold_out_while_the_quantity_was_typed_is_named():
    ctx = make_context()
    state = press(ctx, engine.start(ctx), "1", "1", "1").state  # tomatoes: "how many kg?"
    sold_out = make_context(
        catalog=ctx.catalog.replace_item(replace(ctx.catalog.item(TOMATO), available=False))
    )
    turn = engine.handle(sold_out, state, "2")
    assert turn.state.step == "item" and turn.state.cart == ()
    assert text(sold_out, turn.state).startswith("Maaf, habis: Tomat.\nBu Komang 1, pilih barang:")


def test_a_first_time_caller_cannot_go_back_from_the_language_choice():
    ctx = make_context(language=None)
    state = engine.start(ctx)
    assert "0. Kembali" not in text(ctx, state)
    assert engine.handle(ctx, state, "0").state.notice  # "Pilihan tidak ada."


def test_a_notice_above_a_page_never_makes_the_next_page_skip_an_entry():
    tiny = ChannelProfile("tiny", max_chars=106, max_choices=9)
    ctx = make_context(catalog=make_catalog(vendors_per_market=9), profile=tiny)
    state = engine.handle(ctx, engine.start(ctx).go("vendor", market_id=1), "x").state
    assert text(ctx, state).startswith("Pilihan tidak ada.")  # the notice takes a line
    shown, pages = [], []
    while True:
        screen_text = text(ctx, state)
        pages.append(screen_text)
        shown += [
            line.split(". ", 1)[1] for line in screen_text.splitlines() if "Bu Komang" in line
        ]
        if "98. Lanjut" not in screen_text:
            break
        state = engine.handle(ctx, state, "98").state
    assert shown == [f"Bu Komang {n} (sayur)" for n in range(1, 10)]
    # Back goes to exactly the page before (now without the notice).
    previous = engine.handle(ctx, state, "0").state
    assert text(ctx, previous) == pages[-2]
