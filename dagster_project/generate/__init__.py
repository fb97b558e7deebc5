"""Synthetic sample data for the CDP: CRM exports, web events and till transactions of
one invented population, with the mess real sources have, plus the ground truth that
says which person every record belongs to.

Run ``python -m dagster_project.generate --people N --seed S --out DIR`` or call
``generate(...)``; ``--append-days K`` / ``append(...)`` adds the K following days to it.
Module map: ``population`` (people, households, memberships), ``noise`` and ``phones`` (how identifiers get mangled), ``crm`` / ``web_plan`` + ``web`` +
``segment`` / ``pos`` (the source writers), ``malformed`` (rows for the rejects path),
``truth`` (ground truth), ``clock`` / ``randomness`` (deterministic time and chance).
"""

from .config import GenerationConfig
from .generator import GenerationSummary, append, generate
from .output import SourceCounts

__all__ = ["GenerationConfig", "GenerationSummary", "SourceCounts", "append", "generate"]
