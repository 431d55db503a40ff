"""Near-duplicate detection and story clustering (plain Python; the index is persisted in state/).

`DedupIndex` is what the pipeline calls; `cluster_articles` is the same
decision over a list in memory (CLI, evaluation); `text_hash` is the hash of
normalised text stored in articles.text_hash.
"""
from dedup.text import text_hash

__all__ = ["text_hash"]
