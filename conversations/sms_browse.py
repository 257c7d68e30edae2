"""SMS commands that read the catalog: PASAR, MENU <code> [page], CARI <words>.

Each answer is one SMS: a list is cut into pages that each fit 160 characters, with the
command for the next page at the end.
"""

from __future__ import annotations

from collections.abc import Sequence

from conversations.sms_context import SMS_LIMIT, SmsContext, menu_mode
from menus.catalog import ItemInfo
from menus.keywords import Parsed
from voice_prompts import Money, Text


def markets(ctx: SmsContext, parsed: Parsed) -> str:
    markets = ctx.catalog().markets()
    entries = [ctx.text("sms.reply.entry", code=m.code, name=m.name) for m in markets]
    return ctx.text("sms.reply.markets", list=", ".join(entries), example=markets[0].code)


def menu(ctx: SmsContext, parsed: Parsed) -> str | None:
    if parsed.code is None:
        return menu_mode(ctx, "", start=True)
    catalog = ctx.catalog()
    page = parsed.page or 1
    market = next((m for m in catalog.markets() if m.code == parsed.code), None)
    if market is not None:
        entries = [
            ctx.text("sms.reply.entry", code=v.code, name=v.name)
            for v in catalog.vendors(market.id)
        ]
        return _paged(ctx, "sms.reply.vendors", market.name, entries, parsed.code, page)
    vendor = next((v for v in catalog.vendor_list if v.code == parsed.code), None)
    if vendor is not None:
        entries = [_item_entry(ctx, item) for item in catalog.items(vendor.id)]
        return _paged(ctx, "sms.reply.items", vendor.name, entries, parsed.code, page)
    return ctx.text("sms.reply.unknown_code", code=parsed.code[:10])


def find(ctx: SmsContext, parsed: Parsed) -> str:
    if not parsed.text:
        return ctx.text("sms.reply.find_missing")
    words = parsed.text.lower().split()
    catalog = ctx.catalog()
    found = [
        item
        for item in catalog.item_list
        if item.available and all(word in f"{item.name} {item.name_en}".lower() for word in words)
    ]
    if not found:
        return ctx.text("sms.reply.found_none", words=parsed.text[:30])
    entries = [
        ctx.text(
            "sms.reply.found_entry",
            code=item.code,
            name=item.label(ctx.lang),
            price=Money(item.price),
            unit=Text.of(f"unit.{item.unit}"),
            vendor=catalog.vendor(item.vendor_id).name,
        )
        for item in found
    ]
    return _fit(ctx, "sms.reply.found", entries)


def _item_entry(ctx: SmsContext, item: ItemInfo) -> str:
    return ctx.text(
        "sms.reply.item_entry",
        code=item.code,
        name=item.label(ctx.lang),
        price=Money(item.price),
        unit=Text.of(f"unit.{item.unit}"),
    )


def _paged(
    ctx: SmsContext, key: str, title: str, entries: Sequence[str], code: str, page: int
) -> str:
    """One page of a list, as many entries as one SMS holds, with how to get the next."""
    pages = _pages(ctx, key, title, entries)
    page = min(max(page, 1), len(pages))
    text = ctx.text(key, title=title, page=page, pages=len(pages), list=", ".join(pages[page - 1]))
    if page < len(pages):
        text += " " + ctx.text("sms.reply.more", code=code, page=page + 1)
    return text


def _pages(ctx: SmsContext, key: str, title: str, entries: Sequence[str]) -> list[list[str]]:
    pages: list[list[str]] = [[]]
    for entry in entries:
        candidate = [*pages[-1], entry]
        more = ctx.text("sms.reply.more", code="XXX9", page=9)
        text = ctx.text(key, title=title, page=9, pages=9, list=", ".join(candidate))
        if pages[-1] and len(f"{text} {more}") > SMS_LIMIT:
            pages.append([entry])
        else:
            pages[-1] = candidate
    return pages


def _fit(ctx: SmsContext, key: str, entries: Sequence[str]) -> str:
    """As many entries as fit one SMS."""
    shown: list[str] = []
    for entry in entries:
        if shown and len(ctx.text(key, list=", ".join([*shown, entry]))) > SMS_LIMIT:
            break
        shown.append(entry)
    return ctx.text(key, list=", ".join(shown))
