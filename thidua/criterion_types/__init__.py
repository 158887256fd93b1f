"""Criterion types: one module per type, each registering one object (see ``base.py``).

A new type is one new module here plus its import below; ``docs/extending.md`` walks
through it. Pure: the standard library only.
"""
from thidua.criterion_types.registry import REGISTRY, document, get, names, of, register, unregister  # noqa: F401
# The built-in types, in the order the API document lists them.
from thidua.criterion_types import target, pass_fail, per_occurrence, bonus_penalty  # noqa: F401,E402,I001
