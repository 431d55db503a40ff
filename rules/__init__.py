"""Watch rules: the YAML files users edit and the code that loads and matches them. Never imports Prefect.

The folder holds both this package and the shipped rule files (*.yaml).
"""
import logging

from rules.errors import RuleError, RuleInputError, RuleIssue
from rules.institutions import InstitutionRegistry, MemoryRegistry, StoreRegistry, find_institutions
from rules.loader import RuleSet, load_rules
from rules.model import Rule

# A library logs; the application decides where it goes (no stderr noise by default).
logging.getLogger("newswatch.rules").addHandler(logging.NullHandler())

__all__ = [
    "InstitutionRegistry",
    "MemoryRegistry",
    "Rule",
    "RuleError",
    "RuleInputError",
    "RuleIssue",
    "RuleSet",
    "StoreRegistry",
    "find_institutions",
    "load_rules",
]
