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

# fmt: off
DEMO_MARKETS: tuple[DemoMarket, ...] = (
    DemoMarket("AB", "B", "Pasar Amlapura Barat", *MARKET_HOURS, DELIVERY_FEE, (
        DemoVendor("Bu Komang", "sayur", (
            DemoItem("Kangkung", "Water spinach", "ikat", 3_000),
            DemoItem("Bayam", "Spinach", "ikat", 3_000),
            DemoItem("Kacang panjang", "Long beans", "ikat", 5_000),
            DemoItem("Tomat", "Tomatoes", "kg", 14_000),
            DemoItem("Wortel", "Carrots", "kg", 15_000),
        )),
        DemoVendor("Pak Wayan", "sembako", (
            DemoItem("Beras premium", "Premium rice", "kg", 16_000),
            DemoItem("Gula pasir", "Sugar", "kg", 18_500),
            DemoItem("Minyak goreng", "Cooking oil", "liter", 18_000),
            DemoItem("Mie instan", "Instant noodles", "bungkus", 3_500),
        )),
        DemoVendor("Men Sari", "bumbu", (
            DemoItem("Bawang merah", "Shallots", "ons", 4_500),
            DemoItem("Bawang putih", "Garlic", "ons", 4_000),
            DemoItem("Cabai rawit", "Bird's eye chili", "ons", 6_500),
            DemoItem("Base genep", "Balinese spice paste", "bungkus", 5_000),
        )),
        DemoVendor("Pak Ketut", "daging", (
            DemoItem("Daging babi", "Pork", "kg", 110_000),
            DemoItem("Ayam potong", "Chicken (cut)", "kg", 38_000),
            DemoItem("Ayam kampung", "Village chicken", "ekor", 95_000),
        )),
        DemoVendor("Bu Nyoman", "ikan", (
            DemoItem("Ikan tongkol", "Mackerel tuna", "kg", 40_000),
            DemoItem("Ikan lemuru", "Bali sardines", "kg", 25_000),
            DemoItem("Tahu", "Tofu", "bungkus", 6_000),
        )),
        DemoVendor("Ni Luh Ayu", "banten", (
            DemoItem("Canang sari", "Canang offerings", "bungkus", 10_000),
            DemoItem("Bunga gemitir", "Marigolds", "ons", 4_000),
            DemoItem("Dupa", "Incense", "bungkus", 8_000),
        )),
    )),
    DemoMarket("AT", "T", "Pasar Amlapura Timur", *MARKET_HOURS, DELIVERY_FEE, (
        DemoVendor("Men Tirta", "sayur", (
            DemoItem("Sawi hijau", "Mustard greens", "ikat", 4_000),
            DemoItem("Kol", "Cabbage", "kg", 10_000),
            DemoItem("Kentang", "Potatoes", "kg", 18_000),
            DemoItem("Terong", "Eggplant", "kg", 12_000),
        )),
        DemoVendor("Pak Made", "sembako", (
            DemoItem("Beras medium", "Rice", "kg", 14_000),
            DemoItem("Telur ayam", "Eggs", "butir", 2_200),
            DemoItem("Minyak goreng", "Cooking oil", "liter", 18_000),
            DemoItem("Kopi bubuk Bali", "Bali ground coffee", "bungkus", 12_000),
        )),
        DemoVendor("Dadong Rai", "buah", (
            DemoItem("Salak Sibetan", "Snake fruit", "kg", 15_000),
            DemoItem("Pisang", "Bananas", "sisir", 20_000),
            DemoItem("Jeruk", "Oranges", "kg", 20_000),
            DemoItem("Kelapa", "Coconut", "buah", 10_000),
        )),
        DemoVendor("Bu Putu", "ikan", (
            DemoItem("Ikan tuna", "Tuna", "kg", 70_000),
            DemoItem("Ikan pindang", "Boiled fish", "bungkus", 10_000),
            DemoItem("Tempe", "Tempeh", "bungkus", 5_000),
        )),
        DemoVendor("Pan Gede", "daging", (
            DemoItem("Daging sapi", "Beef", "kg", 140_000),
            DemoItem("Ayam potong", "Chicken (cut)", "kg", 38_000),
            DemoItem("Ati ampela", "Chicken liver", "ons", 5_000),
        )),
        DemoVendor("Bu Kadek", "bumbu", (
            DemoItem("Kunyit", "Turmeric", "ons", 2_500),
            DemoItem("Jahe", "Ginger", "ons", 3_000),
            DemoItem("Serai", "Lemongrass", "ikat", 2_000),
            DemoItem("Cabai merah", "Red chili", "ons", 5_000),
        )),
    )),
    DemoMarket("SB", "S", "Pasar Subagan", *MARKET_HOURS, DELIVERY_FEE, (
        DemoVendor("Bu Wayan Sukerti", "sayur", (
            DemoItem("Daun singkong", "Cassava leaves", "ikat", 3_000),
            DemoItem("Buncis", "Green beans", "kg", 16_000),
            DemoItem("Labu siam", "Chayote", "kg", 8_000),
            DemoItem("Jagung manis", "Sweet corn", "buah", 4_000),
        )),
        DemoVendor("Pak Nengah", "sembako", (
            DemoItem("Beras merah", "Red rice", "kg", 20_000),
            DemoItem("Telur ayam", "Eggs", "butir", 2_200),
            DemoItem("Gula merah", "Palm sugar", "ons", 3_500),
            DemoItem("Garam", "Salt", "bungkus", 3_000),
        )),
        DemoVendor("Men Ratih", "jajan", (
            DemoItem("Jaja laklak", "Rice pancakes", "bungkus", 5_000),
            DemoItem("Jaja bantal", "Sticky rice cakes", "bungkus", 5_000),
            DemoItem("Tipat", "Rice cakes", "buah", 1_500),
        )),
        DemoVendor("Pak Gede Karang", "ikan", (
            DemoItem("Ikan layang", "Scad", "kg", 35_000),
            DemoItem("Udang", "Shrimp", "kg", 90_000),
            DemoItem("Cumi", "Squid", "kg", 80_000),
        )),
        DemoVendor("Bu Sri", "buah", (
            DemoItem("Mangga", "Mangoes", "kg", 20_000),
            DemoItem("Pepaya", "Papaya", "buah", 12_000),
            DemoItem("Salak Sibetan", "Snake fruit", "kg", 15_000),
        )),
        DemoVendor("Ni Ketut Suci", "banten", (
            DemoItem("Canang sari", "Canang offerings", "bungkus", 10_000),
            DemoItem("Janur", "Young coconut leaves", "ikat", 15_000),
            DemoItem("Bunga gemitir", "Marigolds", "ons", 4_000),
        )),
    )),
    DemoMarket("TW", "W", "Toko & Warung", *SHOP_HOURS, DELIVERY_FEE, (
        DemoVendor("Warung Men Sukra", "warung", (
            DemoItem("Nasi campur", "Mixed rice", "bungkus", 15_000),
            DemoItem("Nasi jinggo", "Small rice pack", "bungkus", 5_000),
            DemoItem("Lawar", "Lawar", "bungkus", 12_000),
        )),
        DemoVendor("Babi Guling Pan Darma", "warung", (
            DemoItem("Nasi babi guling", "Roast pork rice", "bungkus", 30_000),
            DemoItem("Sate babi", "Pork satay", "bungkus", 20_000),
        )),
        DemoVendor("Toko Dewi", "toko", (
            DemoItem("Air mineral", "Mineral water", "liter", 5_000),
            DemoItem("Sabun mandi", "Bath soap", "buah", 4_000),
            DemoItem("Teh celup", "Tea bags", "bungkus", 7_000),
        )),
        DemoVendor("UD Sari Ayu", "toko", (
            DemoItem("Susu kental manis", "Condensed milk", "buah", 12_000),
            DemoItem("Deterjen", "Detergent", "bungkus", 6_000),
            DemoItem("Roti tawar", "White bread", "bungkus", 18_000),
        )),
        DemoVendor("Warung Bu Asih", "warung", (
            DemoItem("Nasi ayam betutu", "Betutu chicken rice", "bungkus", 25_000),
            DemoItem("Tipat cantok", "Tipat with peanut sauce", "bungkus", 12_000),
        )),
        DemoVendor("Toko Karya Bakti", "toko", (
            DemoItem("Gas elpiji 3 kg", "LPG 3 kg cylinder refill", "buah", 22_000),
            DemoItem("Beras 5 kg", "Rice, 5 kg bag", "bungkus", 78_000),
        )),
    )),
)
# fmt: on


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
