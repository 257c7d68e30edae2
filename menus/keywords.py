"""The SMS keyword grammar: one table of keywords, forgiving of how people really type.

Case does not matter; extra spaces and the separators `# , - :` are fine; a keyword of four
letters or more may have one letter wrong, missing, extra or swapped (`PSEAN`, `BATL`), but
never STOP or START: opting out or in takes the exact word.
Indonesian keywords come first, English ones are aliases. Pure: no database, no provider.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz.distance import DamerauLevenshtein

from voice_prompts import parse_rupiah


@dataclass(frozen=True)
class Keyword:
    command: str
    words: tuple[str, ...]  # the first is the one the guide teaches
    # what follows it: "nothing", "code", "text", "lines", "order", "answer", "language",
    # "item", "price", "failure", "day"
    takes: str


KEYWORDS: tuple[Keyword, ...] = (
    Keyword("markets", ("PASAR", "MARKETS", "MARKET"), "nothing"),
    Keyword("menu", ("MENU",), "code"),
    Keyword("find", ("CARI", "FIND", "SEARCH"), "text"),
    Keyword("order", ("PESAN", "ORDER", "BELI"), "lines"),
    # A customer's answer to their pending order, or a courier's to an offer (`YA 4821`).
    Keyword("yes", ("YA", "YES", "Y", "OK", "IYA"), "answer"),
    Keyword("no", ("TIDAK", "NO", "TDK", "GAK", "ENGGAK", "TOLAK", "DECLINE"), "answer"),
    Keyword("status", ("STATUS", "CEK"), "order"),
    Keyword("cancel", ("BATAL", "CANCEL"), "order"),
    Keyword("address", ("ALAMAT", "ADDRESS"), "text"),
    Keyword("name", ("NAMA", "NAME"), "text"),
    Keyword("language", ("BAHASA", "LANG", "LANGUAGE", "BASA"), "language"),
    Keyword("help", ("BANTUAN", "HELP", "INFO", "TOLONG"), "nothing"),
    # Opting out and back in: exact words only, never a typo's guess (a provider's own extra
    # words, such as Twilio's STOPALL or UNSTOP, live beside that provider's adapter).
    Keyword("stop", ("STOP", "BERHENTI"), "nothing"),
    Keyword("start", ("START", "MULAI"), "nothing"),
    # Couriers
    Keyword("ready", ("SIAP", "ON", "READY"), "nothing"),
    Keyword("rest", ("ISTIRAHAT", "OFF"), "nothing"),
    Keyword("pickup", ("AMBIL", "PICKUP"), "order"),
    Keyword("delivered", ("SELESAI", "DONE", "DELIVERED"), "order"),
    Keyword("failed", ("GAGAL", "FAILED", "FAIL"), "failure"),
    # Couriers and traders: the day's figures (`REKAP`, `REKAP KEMARIN`)
    Keyword("books", ("REKAP", "RECAP", "SUMMARY"), "day"),
    # Traders, for their own items
    Keyword("sold_out", ("HABIS", "SOLDOUT"), "item"),
    Keyword("back_in_stock", ("ADA", "AVAILABLE"), "item"),
    Keyword("price", ("HARGA", "PRICE"), "price"),
)
# What a customer adds to a bare YA / TIDAK to mean their own pending order, not an offer.
OWN_ORDER_WORDS = ("PESAN", "ORDER", "BELI")
WORDS = {word: keyword for keyword in KEYWORDS for word in keyword.words}
# Never matched through a typo: "STOK tomat" asks about tomatoes, it does not opt out.
EXACT_ONLY = frozenset({"stop", "start"})
TYPO_MIN_LENGTH = 4  # shorter words (YA, NO, END) must be exact: one letter is too much
NEAR_ENOUGH = 0.5  # a suggestion shares at least half its letters with what was sent

YESTERDAY_WORDS = frozenset({"KEMARIN", "KMRN", "KMARIN", "YESTERDAY", "IBI", "DIBI"})
TODAY_WORDS = frozenset({"HARI", "INI", "HARIINI", "TODAY", "SAISINI", "JANI"})

LANGUAGE_NAMES = {
    "ID": "id", "IND": "id", "INDONESIA": "id", "INDO": "id",
    "BAN": "ban", "BALI": "ban", "BALINESE": "ban",
    "EN": "en", "ENG": "en", "ENGLISH": "en", "INGGRIS": "en",
}  # fmt: skip

UNITS = "KG|KILO|ONS|IKAT|IKT|BUTIR|BTR|BUNGKUS|BKS|LITER|LTR|L|EKOR|BUAH|BH|SISIR|PCS|X"
CODE = re.compile(r"^([A-Z]\d{2})(?:X(\d{1,3}))?$")
QUANTITY = re.compile(rf"^(?:X)?(\d{{1,3}})(?:{UNITS})?$")
UNIT = re.compile(rf"^(?:{UNITS})$")
SEPARATORS = re.compile(r"[\s#,\-:;]+")
LEADING_WORD = re.compile(r"^\s*[#,\-:;]*\s*([^\W\d_]+)[\s#,\-:;]*(.*)$", re.DOTALL)


@dataclass(frozen=True)
class Parsed:
    """What an SMS asks for. `problem` says what was wrong with an otherwise known command."""

    command: str  # a Keyword.command, "digits" (a numbered-menu answer) or "unknown"
    code: str | None = None
    page: int | None = None
    text: str = ""
    lines: tuple[tuple[str, int], ...] = ()
    order_number: str | None = None
    language: str | None = None
    amount: int | None = None  # rupiah (HARGA)
    own_order: bool = False  # `YA PESAN`: the sender's own pending order, not an offer
    days_back: int = 0  # REKAP: today (0) or yesterday (1)
    problem: str | None = None  # "missing", "unknown_code:<TOKEN>", "bad_language", ...
    suggestion: str | None = None  # for "unknown": the keyword it most resembles


def parse(message: str) -> Parsed:
    """Read one SMS."""
    text = " ".join(unicodedata.normalize("NFKC", message or "").split())
    if not text:
        return Parsed("unknown")
    if text.isascii() and SEPARATORS.sub("", text).isdigit():
        return Parsed("digits", text=SEPARATORS.sub("", text))
    match = LEADING_WORD.match(text)
    if match is None:
        return Parsed("unknown", suggestion=None)
    word, rest = match.group(1).upper(), match.group(2).strip()
    keyword = _keyword(word)
    if keyword is None:
        if CODE.match(SEPARATORS.split(text.upper())[0]):
            return Parsed("unknown", suggestion="PESAN")  # "B12 2": an order without its keyword
        return Parsed("unknown", suggestion=nearest_keyword(word))
    return ARGUMENTS[keyword.takes](keyword.command, rest)


def nearest_keyword(word: str) -> str:
    """The taught keyword (Indonesian) closest to `word`, or BANTUAN when none is close."""
    guessable = [known for known in WORDS if WORDS[known].command not in EXACT_ONLY]
    best = min(guessable, key=lambda known: DamerauLevenshtein.normalized_distance(word, known))
    if DamerauLevenshtein.normalized_distance(word, best) > NEAR_ENOUGH:
        return WORDS["BANTUAN"].words[0]
    return WORDS[best].words[0]


def _keyword(word: str) -> Keyword | None:
    if word in WORDS:
        return WORDS[word]
    if len(word) < TYPO_MIN_LENGTH:
        return None
    close = {
        WORDS[known]
        for known in WORDS
        if len(known) >= TYPO_MIN_LENGTH
        and WORDS[known].command not in EXACT_ONLY
        and DamerauLevenshtein.distance(word, known) <= 1
    }
    return close.pop() if len(close) == 1 else None


def _nothing(command: str, rest: str) -> Parsed:
    return Parsed(command)


def _code(command: str, rest: str) -> Parsed:
    tokens = [t for t in SEPARATORS.split(rest.upper()) if t]
    if not tokens:
        return Parsed(command)  # MENU alone: the numbered menus
    page = int(tokens[1]) if len(tokens) > 1 and tokens[1].isdigit() else None
    return Parsed(command, code=tokens[0], page=page)


def _text(command: str, rest: str) -> Parsed:
    return Parsed(command, text=rest, problem=None if rest else "missing")


def _order_number(command: str, rest: str) -> Parsed:
    digits = SEPARATORS.sub("", rest)
    if not digits:
        return Parsed(command)
    if not (digits.isascii() and digits.isdigit() and 4 <= len(digits) <= 6):
        return Parsed(command, problem="bad_order_number")
    return Parsed(command, order_number=digits)


def _answer(command: str, rest: str) -> Parsed:
    """`YA`, `YA 4821` (an offer), `YA PESAN` (one's own order); other words are chatter."""
    tokens = [t for t in SEPARATORS.split(rest.upper()) if t]
    if not tokens:
        return Parsed(command)
    if tokens[0] in OWN_ORDER_WORDS:
        return Parsed(command, own_order=True)
    if tokens[0].isascii() and tokens[0].isdigit():
        return _order_number(command, tokens[0])
    return Parsed(command)  # "ya terima kasih"


def _item(command: str, rest: str) -> Parsed:
    """`HABIS B04`: one item code."""
    tokens = [t for t in SEPARATORS.split(rest.upper()) if t]
    if not tokens:
        return Parsed(command, problem="missing")
    if not CODE.match(tokens[0]):
        return Parsed(command, problem=f"unknown_code:{tokens[0][:8]}")
    return Parsed(command, code=tokens[0])


def _price(command: str, rest: str) -> Parsed:
    """`HARGA B04 15000`, `harga b04 Rp15.000`, `HARGA B04 15rb`: a code and rupiah."""
    found = _item(command, rest)
    if found.problem:
        return found
    # What follows the code, as written: "-" is no separator here, a minus sign makes no price.
    after_code = rest.upper().partition(found.code or "")[2].lstrip(" #,:;")
    amount = parse_rupiah(after_code)
    if amount is None:
        return Parsed(command, code=found.code, problem="bad_price")
    return Parsed(command, code=found.code, amount=amount)


def _failure(command: str, rest: str) -> Parsed:
    """`GAGAL 4821 tidak ada orang`, `GAGAL tidak ada orang`, `GAGAL`: a number, a reason.

    Digits that cannot be an order number (`GAGAL 5 kali ditelepon`) begin the reason."""
    rest = rest.strip(" #,-:;")
    first, _, after = rest.partition(" ")
    digits = first.strip("#,-:;")
    if digits.isascii() and digits.isdigit() and 4 <= len(digits) <= 6:
        return Parsed(command, order_number=digits, text=after.strip(" #,-:;"))
    return Parsed(command, text=rest)


def _day(command: str, rest: str) -> Parsed:
    """`REKAP` (today), `REKAP KEMARIN` (yesterday)."""
    words = {t for t in SEPARATORS.split(rest.upper()) if t}
    if not words or words <= TODAY_WORDS:
        return Parsed(command)
    if words & YESTERDAY_WORDS:
        return Parsed(command, days_back=1)
    return Parsed(command, problem="bad_day")


def _language(command: str, rest: str) -> Parsed:
    name = SEPARATORS.sub(" ", rest.upper()).strip()
    language = LANGUAGE_NAMES.get(name) or LANGUAGE_NAMES.get(name.split(" ")[-1] if name else "")
    return Parsed(command, language=language, problem=None if language else "bad_language")


def _lines(command: str, rest: str) -> Parsed:
    """`B12 2, C03 1`, `B12x2`, `2 B12`, `b12 2kg`: (code, quantity) pairs, quantity 1 if none."""
    lines: list[tuple[str, int]] = []
    code: str | None = None
    quantity: int | None = None
    for token in (t for t in SEPARATORS.split(rest.upper()) if t):
        if UNIT.match(token):
            continue  # "3 ikat": the unit is the item's own
        if found := CODE.match(token):
            if code is not None:
                lines.append((code, 1))
                code = None
            if found.group(2):
                lines.append((found.group(1), int(found.group(2))))
            elif quantity is not None:
                lines.append((found.group(1), quantity))
                quantity = None
            else:
                code = found.group(1)
        elif found := QUANTITY.match(token):
            if code is not None:
                lines.append((code, int(found.group(1))))
                code = None
            elif quantity is None:
                quantity = int(found.group(1))
            else:
                return Parsed(command, problem=f"unknown_code:{token}")
        else:
            return Parsed(command, problem=f"unknown_code:{token}")
    if code is not None:
        lines.append((code, 1))
    if quantity is not None or not lines:
        return Parsed(command, problem="missing")
    if any(amount < 1 for _, amount in lines):
        return Parsed(command, problem="bad_quantity")
    return Parsed(command, lines=tuple(lines))


ARGUMENTS = {
    "nothing": _nothing,
    "code": _code,
    "text": _text,
    "lines": _lines,
    "order": _order_number,
    "answer": _answer,
    "language": _language,
    "item": _item,
    "price": _price,
    "failure": _failure,
    "day": _day,
}
