"""Prompts as speech: money in words, order numbers digit by digit, spoken variants."""

from __future__ import annotations

import pytest

from voice_prompts import Digits, Money, Text, default_catalog
from voice_prompts.speech import Piece, SpeechRenderer, number_words
from voice_prompts.synth import clip_path, clips, slug

CATALOG = default_catalog()


@pytest.mark.parametrize(
    "amount, spoken",
    [
        (15_000, "lima belas ribu rupiah"),
        (125_500, "seratus dua puluh lima ribu lima ratus rupiah"),
        (1_000, "seribu rupiah"),
        (310_000, "tiga ratus sepuluh ribu rupiah"),
    ],
)
def test_money_is_spoken_in_indonesian_words(amount, spoken):
    text = Text.of("voice.summary.total", total=Money(amount), fee=Money(10_000))
    assert spoken in SpeechRenderer(CATALOG, "id").say(text)


def test_balinese_reads_numbers_in_indonesian_and_english_in_english():
    assert SpeechRenderer(CATALOG, "ban").say(
        Text.of("cart.title", count=2, total=Money(15_000))
    ) == ("Keranjang: dua barang, lima belas ribu rupiah")
    assert SpeechRenderer(CATALOG, "en").say(
        Text.of("cart.title", count=2, total=Money(15_000))
    ) == ("Basket: two item(s), fifteen thousand rupiah")


def test_an_order_number_is_read_digit_by_digit_twice():
    said = SpeechRenderer(CATALOG, "id").say(
        Text.of("done.placed", number=Digits("4821"), total=Money(38_000))
    )
    assert said.count("empat, delapan, dua, satu") == 2
    assert "tiga puluh delapan ribu rupiah" in said


def test_spoken_variants_replace_what_reads_badly():
    speaker = SpeechRenderer(CATALOG, "id")
    assert speaker.say(Text.of("unit.kg")) == "kilo"  # the screen says "kg"
    assert speaker.say(Text.of("unit.ikat")) == "ikat"  # no variant: as written


def test_pieces_name_every_file_a_provider_plays():
    pieces = SpeechRenderer(CATALOG, "id").pieces(
        Text.of("cart.title", count=2, total=Money(15_000))
    )
    assert pieces == [
        Piece("prompt", "cart.title", 0),
        Piece("word", "dua"),
        Piece("prompt", "cart.title", 1),
        Piece("word", "lima"),
        Piece("word", "belas"),
        Piece("word", "ribu"),
        Piece("word", "rupiah"),
    ]
    assert clip_path("id", pieces[0]) == "id/prompts/cart.title.0.wav"
    assert clip_path("ban", Piece("name", "Bu Komang")) == "ban/names/bu-komang.wav"
    assert slug("Toko & Warung") == "toko-warung"


def test_synthesis_covers_every_piece_a_price_can_need():
    made = {clip.path for clip in clips(CATALOG, ["Bu Komang"])}
    speaker = SpeechRenderer(CATALOG, "id")
    for amount in (0, 7, 11, 100, 999, 1_000, 15_500, 125_500, 299_900, 300_000, 1_250_000):
        for piece in speaker.pieces(Text.of("summary.total", total=Money(amount), fee=Money(0))):
            assert clip_path("id", piece) in made, (amount, piece)
    assert number_words(21, "id") == ["dua", "puluh", "satu"]
