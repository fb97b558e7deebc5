"""Publishing: the run builds in a working database nobody else opens, and only a run whose
quality gate passed replaces what analysts and destinations see, all at once (docs/operations.md)."""
