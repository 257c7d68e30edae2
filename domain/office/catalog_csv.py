"""The register of traders and items as CSV: export, and an import that is all or nothing.

An import is read and checked first (`read_traders`, `read_items`): every row gets its
line number, what it would do (`add`, `change` with the fields that change, or `same`) and
what is wrong with it, as `Problem`s that the console says in the staff member's language.
Only a file with no wrong row is applied (`apply_traders`, `apply_items`), in one
transaction.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from domain.orders.rules import MIN_ITEM_PRICE, OrderRules
from domain.phones import InvalidPhone, in_region, normalize_phone
from storage.models import Item, Market, Vendor
from voice_prompts import format_rupiah, parse_rupiah

TRADER_COLUMNS = ("code", "market", "name", "category", "phone")
ITEM_COLUMNS = ("code", "trader", "name", "name_en", "unit", "price", "available")
UNITS = ("kg", "ons", "ikat", "butir", "bungkus", "liter", "ekor", "buah", "sisir")
CATEGORIES = (
    "sayur", "buah", "daging", "ikan", "bumbu", "sembako", "banten", "jajan", "warung", "toko",
)  # fmt: skip
TRADER_CODE = re.compile(r"^[A-Z]{2}\d{1,2}$")
ITEM_CODE = re.compile(r"^[A-Z]\d{2}$")
YES = {"1", "ya", "yes", "true", "ada"}
NO = {"0", "tidak", "no", "false", "habis"}
MAX_ROWS = 5000


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file or a row: a key of the console's words (`csv.<key>`) and
    the values it names. The domain says no sentence itself: the console says it in the
    staff member's language."""

    key: str
    values: dict[str, str | int] = field(default_factory=dict)

    @classmethod
    def of(cls, key: str, **values: str | int) -> Problem:
        return cls(key, values)


@dataclass
class Row:
    """One row of an imported file: its line, its values, what it does, what is wrong.

    A row of a registered code is a `change` with `changes` (column: (now, in the file)),
    or the `same` when the file changes nothing of it."""

    line: int
    values: dict[str, str]
    action: str = "add"  # add | change | same
    errors: list[Problem] = field(default_factory=list)
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class Checked:
    """A whole file, read and checked."""

    rows: list[Row]
    problem: Problem | None = None  # wrong with the file as a whole (columns, size)

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def ok(self) -> bool:
        return self.problem is None and not any(row.errors for row in self.rows)


def _trader_row(vendor: Vendor) -> tuple[str, ...]:
    """A registered trader as a row of the file (TRADER_COLUMNS)."""
    return (vendor.code, vendor.market.code, vendor.name, vendor.category, vendor.phone or "")


def _item_row(item: Item) -> tuple[str, ...]:
    """A registered item as a row of the file (ITEM_COLUMNS)."""
    available = "ya" if item.available else "tidak"
    return (
        item.code,
        item.vendor.code,
        item.name,
        item.name_en,
        item.unit,
        str(item.price),
        available,
    )


def _traders(session: Session) -> Sequence[Vendor]:
    return session.scalars(
        select(Vendor)
        .options(selectinload(Vendor.market))
        .join(Vendor.market)
        .order_by(Market.position, Vendor.code)
    ).all()


def _items(session: Session) -> Sequence[Item]:
    return session.scalars(
        select(Item).options(selectinload(Item.vendor)).join(Item.vendor).order_by(Item.code)
    ).all()


def export_traders(session: Session) -> str:
    return _csv(TRADER_COLUMNS, map(_trader_row, _traders(session)))


def export_items(session: Session) -> str:
    return _csv(ITEM_COLUMNS, map(_item_row, _items(session)))


def read_traders(session: Session, text: str, region: str = "ID") -> Checked:
    checked = _read_coded(text, TRADER_COLUMNS, TRADER_CODE, "AB1")
    markets = {m.code: m for m in session.scalars(select(Market))}
    for row in checked.rows:
        v = row.values
        v["market"] = v["market"].upper()
        if v["market"] not in markets:
            row.errors.append(
                Problem.of("market", value=v["market"], choices=", ".join(sorted(markets)))
            )
        _check_name(row, "name", 80)
        if v["category"] not in CATEGORIES:
            row.errors.append(
                Problem.of("category", value=v["category"], choices=", ".join(CATEGORIES))
            )
        if v["phone"]:
            try:
                e164 = normalize_phone(v["phone"], region)
            except InvalidPhone:
                row.errors.append(Problem.of("phone", value=v["phone"]))
            else:
                if in_region(e164, region):
                    v["phone"] = e164
                else:  # we text no number beyond PHONE_REGION
                    row.errors.append(Problem.of("phone_region", value=v["phone"], region=region))
    _mark_changes(checked, TRADER_COLUMNS, map(_trader_row, _traders(session)))
    return checked


def read_items(session: Session, text: str, *, rules: OrderRules) -> Checked:
    checked = _read_coded(text, ITEM_COLUMNS, ITEM_CODE, "B04")
    traders = set(session.scalars(select(Vendor.code)))
    for row in checked.rows:
        v = row.values
        v["trader"] = v["trader"].upper()
        if v["trader"] not in traders:
            row.errors.append(Problem.of("trader", value=v["trader"]))
        _check_name(row, "name", 60)
        _check_name(row, "name_en", 60)
        if v["unit"] not in UNITS:
            row.errors.append(Problem.of("unit", value=v["unit"], choices=", ".join(UNITS)))
        price = parse_rupiah(v["price"])
        if price is None or not rules.price_ok(price):
            low, high = format_rupiah(MIN_ITEM_PRICE), format_rupiah(rules.goods_cap)
            row.errors.append(Problem.of("price", value=v["price"], low=low, high=high))
        else:
            v["price"] = str(price)
        if v["available"].lower() not in YES | NO:
            row.errors.append(Problem.of("available", value=v["available"]))
        else:
            v["available"] = "ya" if v["available"].lower() in YES else "tidak"
    _mark_changes(checked, ITEM_COLUMNS, map(_item_row, _items(session)))
    return checked


def _mark_changes(
    checked: Checked, columns: tuple[str, ...], registered: Iterable[tuple[str, ...]]
) -> None:
    """Each row of a registered code (the rows the export writes): the fields it changes,
    or the `same`; any other row is an addition."""
    now_by_code = {row[0]: dict(zip(columns, row, strict=True)) for row in registered}
    for row in checked.rows:
        now = now_by_code.get(row.values["code"])
        if now is None:
            continue
        row.changes = {
            column: (value, row.values[column])
            for column, value in now.items()
            if row.values[column] != value
        }
        row.action = "change" if row.changes else "same"


def apply_traders(session: Session, checked: Checked) -> int:
    """Add or change every trader of a checked file; the caller's transaction holds it all."""
    assert checked.ok, "only a file with no wrong row is applied"
    markets = {m.code: m for m in session.scalars(select(Market))}
    vendors = {v.code: v for v in session.scalars(select(Vendor))}
    for row in checked.rows:
        v = row.values
        vendor = vendors.get(v["code"]) or Vendor(code=v["code"])
        vendor.market_id = markets[v["market"]].id
        vendor.name, vendor.category, vendor.phone = v["name"], v["category"], v["phone"] or None
        session.add(vendor)
    return len(checked.rows)


def apply_items(session: Session, checked: Checked) -> int:
    """Add or change every item of a checked file; the caller's transaction holds it all."""
    assert checked.ok, "only a file with no wrong row is applied"
    vendors = {v.code: v for v in session.scalars(select(Vendor))}
    items = {i.code: i for i in session.scalars(select(Item))}
    for row in checked.rows:
        v = row.values
        item = items.get(v["code"]) or Item(code=v["code"])
        item.vendor_id = vendors[v["trader"]].id
        item.name, item.name_en, item.unit = v["name"], v["name_en"], v["unit"]
        item.price, item.available = int(v["price"]), v["available"].lower() in YES
        session.add(item)
    return len(checked.rows)


def _read(text: str, columns: tuple[str, ...]) -> Checked:
    """The rows of a file, or what is wrong with it as a whole. Any line ending is read (an
    old spreadsheet's CR too); a file the csv module cannot read is said, never a crash."""
    plain = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.DictReader(io.StringIO(plain))
    try:
        return _rows(reader, columns)
    except csv.Error:  # a cell over the csv module's limit, a NUL, a broken quote
        return Checked([], Problem.of("unreadable", line=reader.line_num + 1))  # the one read


def _rows(reader: csv.DictReader, columns: tuple[str, ...]) -> Checked:
    header = [name.strip().lower() for name in reader.fieldnames or []]
    missing = [name for name in columns if name not in header]
    if missing:
        problem = Problem.of("columns", columns=", ".join(columns), missing=", ".join(missing))
        return Checked([], problem)
    rows = []
    for number, record in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            return Checked(rows, Problem.of("too_many", count=MAX_ROWS))
        values = {
            name.strip().lower(): _plain((value or "").strip())
            for name, value in record.items()
            if name is not None
        }
        rows.append(Row(number, {name: values.get(name, "") for name in columns}))
    if not rows:
        return Checked([], Problem.of("no_rows"))
    return Checked(rows)


def _read_coded(
    text: str,
    columns: tuple[str, ...],
    shape: re.Pattern[str],
    example: str,
) -> Checked:
    """The rows of a file of traders or items, each code checked (its shape, once in the
    file); `_mark_changes` then tells additions from changes."""
    checked = _read(text, columns)
    seen: set[str] = set()
    for row in checked.rows:
        code = row.values["code"] = row.values["code"].upper()
        if not shape.match(code):
            row.errors.append(Problem.of("code_shape", value=code, example=example))
        if code in seen:
            row.errors.append(Problem.of("code_twice", value=code))
        seen.add(code)
    return checked


def _check_name(row: Row, column: str, longest: int) -> None:
    if not 1 <= len(row.values[column]) <= longest:
        row.errors.append(Problem.of("length", column=column, longest=longest))


# A cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+62...`, `-1`, `@SUM`):
# exported behind a `'`, which spreadsheets show as text, and read back without it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def _plain(value: str) -> str:
    """A cell as exported by `_safe_cell`, read back as it was."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


def _csv(columns: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    """A register file, every cell safe to open in a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(tuple(_safe_cell(cell) for cell in row) for row in rows)
    return out.getvalue()


@dataclass(frozen=True)
class Kind:
    """One kind of register file: its columns, and how it is exported and applied."""

    columns: tuple[str, ...]
    export: Callable[[Session], str]
    apply: Callable[[Session, Checked], int]


KINDS = {
    "traders": Kind(TRADER_COLUMNS, export_traders, apply_traders),
    "items": Kind(ITEM_COLUMNS, export_items, apply_items),
}


def one_row(columns: tuple[str, ...], values: dict[str, str]) -> str:
    """A file of one row (a trader or an item added by hand, checked as an import is)."""
    return _csv(columns, [tuple(values.get(name, "") for name in columns)])
