"""Views built from stored ranking snapshots: a unit's trend and the year's table. Pure."""


def trend(snapshots, unit):
    """The unit's total, rank and class in each period it was ranked, in period order."""
    points = []
    for snapshot in sorted(snapshots, key=lambda s: s["period"]):
        row = next((r for r in snapshot["table"] if r["unit"] == unit), None)
        if row is not None:
            points.append({"period": snapshot["period"], "cluster": snapshot["cluster"], "total": row["total"],
                           "rank": row["rank"], "class": row["class"], "of": len(snapshot["table"])})
    return points


def year_table(snapshots):
    """Mean of each unit's quarterly totals over the quarters it was ranked in, competition-ranked."""
    periods = sorted(s["period"] for s in snapshots if "-Q" in s["period"])
    totals, names = {}, {}
    for snapshot in snapshots:
        if snapshot["period"] not in periods:
            continue
        for row in snapshot["table"]:
            totals.setdefault(row["unit"], []).append(row["total"])
            names[row["unit"]] = row["unit_name"]
    rows = sorted(({"unit": unit, "unit_name": names[unit], "quarters": len(values),
                    "total": round(sum(values) / len(values), 2)} for unit, values in totals.items()),
                  key=lambda r: (-r["total"], r["unit"]))
    previous_total, previous_rank = None, 0
    for position, row in enumerate(rows, start=1):
        row["rank"] = previous_rank if row["total"] == previous_total else position
        previous_total, previous_rank = row["total"], row["rank"]
    return {"periods": periods, "rule": "mean of quarterly totals", "table": rows}
