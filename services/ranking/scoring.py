"""Ranking of a cluster for a period, as a pure function of the reports it has seen.

Backbone rule (``RULE_VERSION``): each unit's total is the sum of its submitted
scores; units are ranked by competition ranking (1, 2, 2, 4). Ties are ordered,
never split, by: earlier submission, then unit code. The leading unit (đơn vị dẫn
đầu) is the unit ranked first alone; a tie for first names no leader.
"""
import hashlib
import json

RULE_VERSION = "total-of-self-scores/1"


def order_key(entry):
    return (-entry["total"], entry["submitted_at"], entry["unit"])


def rank(entries):
    """The ranking table: one row per unit, best first, with competition ranks."""
    rows = []
    previous_total, previous_rank = None, 0
    for position, entry in enumerate(sorted(entries, key=order_key), start=1):
        current_rank = previous_rank if entry["total"] == previous_total else position
        rows.append({"rank": current_rank, "unit": entry["unit"], "unit_name": entry["unit_name"],
                     "total": entry["total"], "late": entry["late"]})
        previous_total, previous_rank = entry["total"], current_rank
    return rows


def leader(table):
    first = [row for row in table if row["rank"] == 1]
    return first[0]["unit"] if len(first) == 1 else None


def rank_moves(previous_table, table):
    """Units whose rank changed (or that entered the table), for the ranking.updated event."""
    before = {row["unit"]: row["rank"] for row in previous_table}
    return [{"unit": row["unit"], "from": before.get(row["unit"]), "to": row["rank"]}
            for row in table if before.get(row["unit"]) != row["rank"]]


def input_hash(entries):
    """Fingerprint of exactly what the table was computed from, independent of order."""
    canonical = sorted(
        ({"unit": e["unit"], "total": e["total"], "submitted_at": e["submitted_at"],
          "version": e["version"], "late": e["late"]} for e in entries),
        key=lambda e: e["unit"])
    payload = json.dumps({"rule": RULE_VERSION, "inputs": canonical}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
