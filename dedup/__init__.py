"""Near-duplicate detection and story clustering (plain Python; the index is persisted in state/).

`DedupIndex` is what the pipeline calls; `cluster_articles` is the same
decision over a list in memory (CLI, evaluation); `text_hash` is the hash of
normalised text (`dedup.index.text_hash(article)`, of the article's body, is what
articles.text_hash stores).
"""
from dedup.text import text_hash

__all__ = ["text_hash"]
