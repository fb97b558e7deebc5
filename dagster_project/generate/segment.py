"""The shape of Segment-spec calls: the six call types, e-commerce properties, timestamps.

Only shape lives here (which keys, in which order, how the four timestamps relate); the
story of a session is told in ``web.py``.
"""

from __future__ import annotations

import random
from typing import Any

from .clock import iso, utc_offset_minutes
from .randomness import between
from .reference import Product
from .web_plan import Device

CALL_TYPES = ("identify", "track", "page", "screen", "alias", "group")
SERVER_LIBRARY = {"name": "analytics-python", "version": "2.3.3"}


def call(
    kind: str, message_id: str, anonymous_id: str, user_id: str, context: dict[str, Any], fields: dict[str, Any]
) -> dict[str, Any]:
    """One call of type ``kind``; ``anonymousId`` / ``userId`` only when known (a server-side
    call has no anonymousId, an anonymous one no userId)."""
    assert kind in CALL_TYPES
    event: dict[str, Any] = {"type": kind, **fields, "messageId": message_id}
    if anonymous_id:
        event["anonymousId"] = anonymous_id
    if user_id:
        event["userId"] = user_id
    event["context"] = context
    return event


def stamp_from_device(event: dict[str, Any], t: int, device: Device, rng: random.Random) -> int:
    """Set the four timestamps of a call made on ``device`` at true time ``t``; return
    ``receivedAt`` in ms.

    As Segment computes them: the device writes ``originalTimestamp`` and ``sentAt`` with
    its own (slightly wrong) clock, the server stamps ``receivedAt`` and corrects
    ``timestamp`` for the clock skew, so ``timestamp`` is close to the truth.
    """
    network = between(rng, 150, 1500)
    batching = between(rng, 20, 8000)
    original = t + device.skew_ms
    offset = utc_offset_minutes(device.zone, t)
    received = t + batching + network
    timestamp = t + network
    event["timestamp"] = iso(timestamp) if device.zulu else iso(timestamp, offset, zulu=False)
    event["originalTimestamp"] = iso(original, offset, zulu=False)
    event["sentAt"] = iso(original + batching, offset, zulu=False)
    event["receivedAt"] = iso(received)
    return received


def stamp_from_server(event: dict[str, Any], t: int, rng: random.Random) -> int:
    """Timestamps of a server-side call (no clock skew, all UTC); returns ``receivedAt``."""
    sent = t + between(rng, 5, 200)
    received = sent + between(rng, 20, 300)
    event["timestamp"] = event["originalTimestamp"] = iso(t)
    event["sentAt"] = iso(sent)
    event["receivedAt"] = iso(received)
    return received


def product_properties(product: Product, quantity: int = 0) -> dict[str, Any]:
    """``Product Viewed`` / ``Product Added`` properties (quantity only when added)."""
    properties: dict[str, Any] = {
        "product_id": product.product_id,
        "sku": product.sku,
        "name": product.name,
        "category": product.category,
        "price": product.price,
    }
    if quantity:
        properties["quantity"] = quantity
    return properties


def order_properties(order_id: str, basket: list[tuple[Product, int]], currency: str) -> dict[str, Any]:
    """``Order Completed`` properties with the products list."""
    products = [
        {"product_id": p.product_id, "sku": p.sku, "name": p.name, "price": p.price, "quantity": q}
        for p, q in basket
    ]
    revenue = round(sum(p.price * q for p, q in basket), 2)
    return {"order_id": order_id, "revenue": revenue, "currency": currency, "products": products}
