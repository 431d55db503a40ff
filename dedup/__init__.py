"""Near-duplicate detection and story clustering (plain Python; the index is persisted in state/)."""
