"""Watch rules: the YAML files users edit and the code that loads and matches them. Never imports Prefect."""
