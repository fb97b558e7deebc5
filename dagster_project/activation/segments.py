"""Segments as declared in dbt: every model under ``models/segments/`` with its ``meta.cdp.segment``.

Read from dbt's manifest, so a new segment (a SQL file plus its YAML entry) becomes Dagster assets,
quality checks and exports without any Python change. A declaration that is incomplete or
inconsistent fails loudly with the YAML file and field, before anything runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import AssetKey

#: The dbt folder (second element of a model's fqn) that holds segments.
SEGMENTS_FOLDER = "segments"
#: Consent channels a segment can require; ``none`` means never exported.
CONSENT_CHANNELS = ("email", "sms", "ads", "none")
#: Where an exportable segment can go: plain files, or a hashed audience for an ad platform.
DESTINATIONS = ("files", "google_ads", "meta_ads")
#: Destinations that are advertising: their members need ads consent.
AD_DESTINATIONS = ("google_ads", "meta_ads")


class SegmentDeclarationError(ValueError):
    """A segment's YAML declaration is missing a field or contradicts itself."""


@dataclass(frozen=True)
class Segment:
    """One audience: its dbt model and what its YAML declares about it."""

    name: str
    description: str
    owner: str
    consent_channel: str
    exported_columns: tuple[str, ...]
    destinations: tuple[str, ...]
    schema: str
    unique_id: str

    @property
    def asset_key(self) -> AssetKey:
        """The key the dbt translator gives the segment's model."""
        return AssetKey([self.schema, self.name])

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.name}"'

    @property
    def consent_column(self) -> str | None:
        """The customer_metrics column every member must have true, or None if never exported."""
        return None if self.consent_channel == "none" else f"{self.consent_channel}_consent"


def _declaration_error(node: dict[str, Any], message: str) -> SegmentDeclarationError:
    where = node.get("patch_path") or node.get("original_file_path") or node["unique_id"]
    return SegmentDeclarationError(f"segment {node['name']!r} ({where.split('://')[-1]}): {message}")


def _segment_from_node(node: dict[str, Any]) -> Segment:
    declared = node["config"].get("meta", {}).get("cdp", {}).get("segment")
    if not isinstance(declared, dict):
        raise _declaration_error(node, "no meta.cdp.segment block: declare owner, consent_channel, exported_columns, destinations")
    missing = [key for key in ("owner", "consent_channel", "exported_columns", "destinations") if key not in declared]
    if missing:
        raise _declaration_error(node, f"meta.cdp.segment is missing {', '.join(missing)}")
    channel = declared["consent_channel"]
    if channel not in CONSENT_CHANNELS:
        raise _declaration_error(node, f"consent_channel {channel!r} is not one of {', '.join(CONSENT_CHANNELS)}")
    destinations = tuple(declared["destinations"] or ())
    unknown = [d for d in destinations if d not in DESTINATIONS]
    if unknown:
        raise _declaration_error(node, f"destinations {unknown} are not among {', '.join(DESTINATIONS)}")
    if destinations and channel == "none":
        raise _declaration_error(node, "a segment without a consent channel cannot be exported: set destinations to []")
    if channel != "ads" and any(d in AD_DESTINATIONS for d in destinations):
        raise _declaration_error(node, f"the destinations {', '.join(AD_DESTINATIONS)} need consent_channel ads")
    columns = tuple(declared["exported_columns"] or ())
    if not columns or columns[0] != "customer_id":
        raise _declaration_error(node, "exported_columns must start with customer_id")
    return Segment(
        name=node["name"],
        description=" ".join((node.get("description") or "").split()),
        owner=str(declared["owner"]),
        consent_channel=channel,
        exported_columns=columns,
        destinations=destinations,
        schema=node["schema"],
        unique_id=node["unique_id"],
    )


def discover_segments(manifest_path: Path) -> list[Segment]:
    """Every segment model in the dbt manifest, by name."""
    manifest = json.loads(manifest_path.read_text())
    nodes = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == [SEGMENTS_FOLDER]
    ]
    return sorted((_segment_from_node(node) for node in nodes), key=lambda segment: segment.name)
