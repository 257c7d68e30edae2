"""The design Telepasar's hop is measured against: Flask and one Redis hash per USSD session,
the menus written plainly, as many teams write them.

The same Africa's Talking USSD requests as the gateway's (`POST /africastalking/ussd`), the
same menus over the same demo catalog: language, market, trader, item, quantity, the cart.
The catalog is read once from the database at start; each hop reads the session's hash,
works out the next screen and writes the hash back with its expiry (three round trips to
Redis, no pipeline). `make bench` serves it with the gateway's gunicorn settings, against a
redis-server it starts itself (`BENCH_REDIS_URL`), with and without `appendfsync always`.

It is a yardstick, not a product: no orders are placed, nothing is validated beyond what
the menus need.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict

import redis
from flask import Flask, Response, request
from sqlalchemy import create_engine, text

SESSION_SECONDS = 600
LANGUAGES = ["Bahasa Indonesia", "English", "Basa Bali"]


def load_catalog(url: str) -> tuple[list, dict, dict]:
    """Markets, each market's traders and each trader's items, in their order."""
    engine = create_engine(url)
    with engine.connect() as connection:
        markets = connection.execute(
            text("SELECT id, name FROM markets ORDER BY position, id")
        ).all()
        traders = defaultdict(list)
        for row in connection.execute(
            text("SELECT id, market_id, name FROM vendors ORDER BY position, id")
        ):
            traders[row.market_id].append((row.id, row.name))
        items = defaultdict(list)
        for row in connection.execute(
            text(
                "SELECT id, vendor_id, name, unit, price FROM items WHERE available "
                "ORDER BY position, id"
            )
        ):
            items[row.vendor_id].append((row.id, row.name, row.unit, row.price))
    engine.dispose()
    return markets, traders, items


MARKETS, TRADERS, ITEMS = load_catalog(os.environ["DATABASE_URL"])
store = redis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))
app = Flask(__name__)


def rupiah(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


def numbered(title: str, names: list[str]) -> str:
    lines = [title] + [f"{n}. {name}" for n, name in enumerate(names[:8], start=1)]
    return "\n".join(lines + ["0. Kembali"])


def screen(state: dict) -> str:
    step = state.get("step", "language")
    if step == "language":
        return numbered("Pilih bahasa:", LANGUAGES)
    if step == "market":
        return numbered("Pilih pasar:", [name for _, name in MARKETS])
    if step == "trader":
        return numbered("Pasar: pilih pedagang", [n for _, n in TRADERS[int(state["market"])]])
    if step == "item":
        goods = ITEMS[int(state["trader"])]
        return numbered("Pilih barang:", [f"{n} {rupiah(p)}/{u}" for _, n, u, p in goods])
    if step == "quantity":
        return "Berapa banyak? (1-50)"
    cart = json.loads(state.get("cart", "[]"))
    total = sum(price * quantity for _, price, quantity in cart)
    return f"Keranjang: {len(cart)} barang, {rupiah(total)}\n1. Tambah barang\n2. Selesai"


def advance(state: dict, key: str) -> dict:
    """The next state after one key; a key the screen does not know keeps the screen."""
    step = state.get("step", "language")
    back = {"market": "language", "trader": "market", "item": "trader", "quantity": "item"}
    if key == "0" and step in back:
        return {**state, "step": back[step]}
    if step == "language" and key in {"1", "2", "3"}:
        return {**state, "step": "market", "lang": key}
    if step == "market" and key.isdigit() and 1 <= int(key) <= len(MARKETS):
        return {**state, "step": "trader", "market": str(MARKETS[int(key) - 1][0])}
    if step == "trader" and key.isdigit():
        traders = TRADERS[int(state["market"])]
        if 1 <= int(key) <= len(traders):
            return {**state, "step": "item", "trader": str(traders[int(key) - 1][0])}
    if step == "item" and key.isdigit():
        goods = ITEMS[int(state["trader"])]
        if 1 <= int(key) <= len(goods):
            return {**state, "step": "quantity", "item": str(goods[int(key) - 1][0])}
    if step == "quantity" and key.isdigit() and 1 <= int(key) <= 50:
        price = next(p for i, _, _, p in ITEMS[int(state["trader"])] if i == int(state["item"]))
        cart = json.loads(state.get("cart", "[]")) + [[int(state["item"]), price, int(key)]]
        return {**state, "step": "cart", "cart": json.dumps(cart)}
    if step == "cart" and key == "1":
        return {**state, "step": "market"}
    return state


@app.post("/africastalking/ussd")
def ussd() -> Response:
    session = "ussd:" + request.form["sessionId"]
    typed = request.form.get("text", "")
    state = {k.decode(): v.decode() for k, v in store.hgetall(session).items()}
    if typed:
        state = advance(state, typed.split("*")[-1])
    else:
        state = {"step": "language", "phone": request.form["phoneNumber"]}
    store.hset(session, mapping=state)
    store.expire(session, SESSION_SECONDS)
    return Response("CON " + screen(state), mimetype="text/plain")


@app.get("/healthz")
def healthz() -> Response:
    store.ping()
    return Response("ok\n", mimetype="text/plain")
