"""The demo catalog: the three markets of Karangasem's 2020 scheme, plus shops and food stalls.

Prices are realistic retail rupiah for late 2026 in east Bali. Item codes are a market letter
and two digits (`B12`) so they can be typed in one SMS. Loaded by `flask --app gateway seed-demo`
into an empty database only.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Item, Market, Vendor


class DemoItem(NamedTuple):
    name: str
    name_en: str
    unit: str
    price: int


class DemoVendor(NamedTuple):
    name: str
    category: str
    items: tuple[DemoItem, ...]


class DemoMarket(NamedTuple):
    code: str
    item_letter: str
    name: str
    opens_at: dt.time
    closes_at: dt.time
    delivery_fee: int
    vendors: tuple[DemoVendor, ...]


MARKET_HOURS = (dt.time(6, 0), dt.time(14, 0))
SHOP_HOURS = (dt.time(7, 0), dt.time(20, 0))
DELIVERY_FEE = 10_000

I = DemoItem
V = DemoVendor

DEMO_MARKETS: tuple[DemoMarket, ...] = (
    DemoMarket("AB", "B", "Pasar Amlapura Barat", *MARKET_HOURS, DELIVERY_FEE, (
        V("Bu Komang", "sayur", (
            I("Kangkung", "Water spinach", "ikat", 3_000),
            I("Bayam", "Spinach", "ikat", 3_000),
            I("Kacang panjang", "Long beans", "ikat", 5_000),
            I("Tomat", "Tomatoes", "kg", 14_000),
            I("Wortel", "Carrots", "kg", 15_000),
        )),
        V("Pak Wayan", "sembako", (
            I("Beras premium", "Premium rice", "kg", 16_000),
            I("Gula pasir", "Sugar", "kg", 18_500),
            I("Minyak goreng", "Cooking oil", "liter", 18_000),
            I("Mie instan", "Instant noodles", "bungkus", 3_500),
        )),
        V("Men Sari", "bumbu", (
            I("Bawang merah", "Shallots", "ons", 4_500),
            I("Bawang putih", "Garlic", "ons", 4_000),
            I("Cabai rawit", "Bird's eye chili", "ons", 6_500),
            I("Base genep", "Balinese spice paste", "bungkus", 5_000),
        )),
        V("Pak Ketut", "daging", (
            I("Daging babi", "Pork", "kg", 110_000),
            I("Ayam potong", "Chicken (cut)", "kg", 38_000),
            I("Ayam kampung", "Village chicken", "ekor", 95_000),
        )),
        V("Bu Nyoman", "ikan", (
            I("Ikan tongkol", "Mackerel tuna", "kg", 40_000),
            I("Ikan lemuru", "Bali sardines", "kg", 25_000),
            I("Tahu", "Tofu", "bungkus", 6_000),
        )),
        V("Ni Luh Ayu", "banten", (
            I("Canang sari", "Canang offerings", "bungkus", 10_000),
            I("Bunga gemitir", "Marigolds", "ons", 4_000),
            I("Dupa", "Incense", "bungkus", 8_000),
        )),
    )),
    DemoMarket("AT", "T", "Pasar Amlapura Timur", *MARKET_HOURS, DELIVERY_FEE, (
        V("Men Tirta", "sayur", (
            I("Sawi hijau", "Mustard greens", "ikat", 4_000),
            I("Kol", "Cabbage", "kg", 10_000),
            I("Kentang", "Potatoes", "kg", 18_000),
            I("Terong", "Eggplant", "kg", 12_000),
        )),
        V("Pak Made", "sembako", (
            I("Beras medium", "Rice", "kg", 14_000),
            I("Telur ayam", "Eggs", "butir", 2_200),
            I("Minyak goreng", "Cooking oil", "liter", 18_000),
            I("Kopi bubuk Bali", "Bali ground coffee", "bungkus", 12_000),
        )),
        V("Dadong Rai", "buah", (
            I("Salak Sibetan", "Snake fruit", "kg", 15_000),
            I("Pisang", "Bananas", "sisir", 20_000),
            I("Jeruk", "Oranges", "kg", 20_000),
            I("Kelapa", "Coconut", "buah", 10_000),
        )),
        V("Bu Putu", "ikan", (
            I("Ikan tuna", "Tuna", "kg", 70_000),
            I("Ikan pindang", "Boiled fish", "bungkus", 10_000),
            I("Tempe", "Tempeh", "bungkus", 5_000),
        )),
        V("Pan Gede", "daging", (
            I("Daging sapi", "Beef", "kg", 140_000),
            I("Ayam potong", "Chicken (cut)", "kg", 38_000),
            I("Ati ampela", "Chicken liver", "ons", 5_000),
        )),
        V("Bu Kadek", "bumbu", (
            I("Kunyit", "Turmeric", "ons", 2_500),
            I("Jahe", "Ginger", "ons", 3_000),
            I("Serai", "Lemongrass", "ikat", 2_000),
            I("Cabai merah", "Red chili", "ons", 5_000),
        )),
    )),
    DemoMarket("SB", "S", "Pasar Subagan", *MARKET_HOURS, DELIVERY_FEE, (
        V("Bu Wayan Sukerti", "sayur", (
            I("Daun singkong", "Cassava leaves", "ikat", 3_000),
            I("Buncis", "Green beans", "kg", 16_000),
            I("Labu siam", "Chayote", "kg", 8_000),
            I("Jagung manis", "Sweet corn", "buah", 4_000),
        )),
        V("Pak Nengah", "sembako", (
            I("Beras merah", "Red rice", "kg", 20_000),
            I("Telur ayam", "Eggs", "butir", 2_200),
            I("Gula merah", "Palm sugar", "ons", 3_500),
            I("Garam", "Salt", "bungkus", 3_000),
        )),
        V("Men Ratih", "jajan", (
            I("Jaja laklak", "Rice pancakes", "bungkus", 5_000),
            I("Jaja bantal", "Sticky rice cakes", "bungkus", 5_000),
            I("Tipat", "Rice cakes", "buah", 1_500),
        )),
        V("Pak Gede Karang", "ikan", (
            I("Ikan layang", "Scad", "kg", 35_000),
            I("Udang", "Shrimp", "kg", 90_000),
            I("Cumi", "Squid", "kg", 80_000),
        )),
        V("Bu Sri", "buah", (
            I("Mangga", "Mangoes", "kg", 20_000),
            I("Pepaya", "Papaya", "buah", 12_000),
            I("Salak Sibetan", "Snake fruit", "kg", 15_000),
        )),
        V("Ni Ketut Suci", "banten", (
            I("Canang sari", "Canang offerings", "bungkus", 10_000),
            I("Janur", "Young coconut leaves", "ikat", 15_000),
            I("Bunga gemitir", "Marigolds", "ons", 4_000),
        )),
    )),
    DemoMarket("TW", "W", "Toko & Warung", *SHOP_HOURS, DELIVERY_FEE, (
        V("Warung Men Sukra", "warung", (
            I("Nasi campur", "Mixed rice", "bungkus", 15_000),
            I("Nasi jinggo", "Small rice pack", "bungkus", 5_000),
            I("Lawar", "Lawar", "bungkus", 12_000),
        )),
        V("Babi Guling Pan Darma", "warung", (
            I("Nasi babi guling", "Roast pork rice", "bungkus", 30_000),
            I("Sate babi", "Pork satay", "bungkus", 20_000),
        )),
        V("Toko Dewi", "toko", (
            I("Air mineral", "Mineral water", "liter", 5_000),
            I("Sabun mandi", "Bath soap", "buah", 4_000),
            I("Teh celup", "Tea bags", "bungkus", 7_000),
        )),
        V("UD Sari Ayu", "toko", (
            I("Susu kental manis", "Condensed milk", "buah", 12_000),
            I("Deterjen", "Detergent", "bungkus", 6_000),
            I("Roti tawar", "White bread", "bungkus", 18_000),
        )),
        V("Warung Bu Asih", "warung", (
            I("Nasi ayam betutu", "Betutu chicken rice", "bungkus", 25_000),
            I("Tipat cantok", "Tipat with peanut sauce", "bungkus", 12_000),
        )),
        V("Toko Karya Bakti", "toko", (
            I("Gas elpiji 3 kg", "LPG 3 kg cylinder refill", "buah", 22_000),
            I("Beras 5 kg", "Rice, 5 kg bag", "bungkus", 78_000),
        )),
    )),
)


def load_demo_catalog(session: Session) -> bool:
    """Add the demo catalog unless the database already has markets; True when it was added."""
    if session.scalar(select(func.count()).select_from(Market)):
        return False
    for market_position, demo_market in enumerate(DEMO_MARKETS, start=1):
        market = Market(
            code=demo_market.code,
            name=demo_market.name,
            opens_at=demo_market.opens_at,
            closes_at=demo_market.closes_at,
            delivery_fee=demo_market.delivery_fee,
            position=market_position,
        )
        session.add(market)
        item_number = 0
        for vendor_position, demo_vendor in enumerate(demo_market.vendors, start=1):
            vendor = Vendor(
                market=market,
                code=f"{demo_market.code}{vendor_position}",
                name=demo_vendor.name,
                category=demo_vendor.category,
                position=vendor_position,
            )
            session.add(vendor)
            for item_position, demo_item in enumerate(demo_vendor.items, start=1):
                item_number += 1
                session.add(
                    Item(
                        vendor=vendor,
                        code=f"{demo_market.item_letter}{item_number:02d}",
                        name=demo_item.name,
                        name_en=demo_item.name_en,
                        unit=demo_item.unit,
                        price=demo_item.price,
                        position=item_position,
                    )
                )
    session.flush()
    return True
