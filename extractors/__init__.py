"""Fetching, feed parsing and article text extraction. Never imports Prefect."""
