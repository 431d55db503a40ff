"""Prefect flows and tasks: thin orchestration that calls plain functions. The only package that imports Prefect."""
