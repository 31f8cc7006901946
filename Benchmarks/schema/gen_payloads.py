#!/usr/bin/env python3
"""Writes the benchmark payloads (deterministic: a fixed seed), both valid against their schemas:
order.json  ~1 KB  one order with customer, addresses and 5 items (order.schema.json)
items.json  ~100 KB an array of 1000 line items (items.schema.json)
Usage: gen_payloads.py OUT_DIR"""
import json
import random
import sys

rng = random.Random(4)
ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def token(n):
    return "".join(rng.choice(ALNUM) for _ in range(n))


def stamp():
    return "2026-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59),
        rng.randint(0, 999))


def item():
    return {"sku": "SKU-%06d" % rng.randint(0, 999999), "name": "Widget %s" % token(8),
            "qty": rng.randint(1, 20), "price": round(rng.uniform(1, 500), 2)}


def address():
    return {"line1": "%d Rue de la Paix" % rng.randint(1, 200), "line2": "Appartement %d" % rng.randint(1, 60),
            "city": "Paris", "postalCode": "750%02d" % rng.randint(1, 20), "country": "FR"}


def order():
    items = [item() for _ in range(5)]
    return {
        "id": "ord_" + token(16), "status": "paid", "createdAt": stamp(), "updatedAt": stamp(), "currency": "EUR",
        "customer": {"id": "cus_" + token(12), "email": "jeanne.dupont@example.com", "name": "Jeanne Dupont",
                     "phone": "+33612345678", "vip": False},
        "shippingAddress": address(), "billingAddress": address(), "items": items,
        "total": round(sum(i["qty"] * i["price"] for i in items), 2), "coupon": None,
        "tags": ["web", "express-shipping", "gift"],
        "notes": "Leave the parcel with the concierge if nobody answers; ring twice.",
    }


def line():
    return {"sku": "SKU-%06d" % rng.randint(0, 999999), "qty": rng.randint(1, 20),
            "price": round(rng.uniform(1, 500), 2), "currency": rng.choice(["EUR", "USD", "GBP"]),
            "status": rng.choice(["pending", "reserved", "shipped"]), "addedAt": stamp()}


out = sys.argv[1] if len(sys.argv) > 1 else "."
for name, value in (("order.json", order()), ("items.json", [line() for _ in range(1000)])):
    with open("%s/%s" % (out, name), "w") as f:
        json.dump(value, f, separators=(",", ":") if name == "items.json" else (", ", ": "))
        f.write("\n")
