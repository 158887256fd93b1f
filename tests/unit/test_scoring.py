from hypothesis import given, strategies as st

from services.ranking.scoring import input_hash, leader, rank, rank_moves


def entry(unit, total, submitted_at="2021-04-01T00:00:00.000Z", version=1):
    return {"unit": unit, "unit_name": unit, "total": total, "submitted_at": submitted_at,
            "version": version, "late": False}


def test_competition_ranking_shares_ranks_and_skips():
    table = rank([entry("A", 90), entry("B", 80), entry("C", 80), entry("D", 70)])
    assert [(r["unit"], r["rank"]) for r in table] == [("A", 1), ("B", 2), ("C", 2), ("D", 4)]


def test_ties_are_ordered_by_earlier_submission_then_unit_code_without_splitting_the_rank():
    table = rank([entry("B", 80, "2021-04-02T00:00:00.000Z"), entry("C", 80, "2021-04-01T00:00:00.000Z"),
                  entry("A", 80, "2021-04-02T00:00:00.000Z")])
    assert [(r["unit"], r["rank"]) for r in table] == [("C", 1), ("A", 1), ("B", 1)]


def test_the_leader_is_first_alone_and_a_tie_names_none():
    assert leader(rank([entry("A", 90), entry("B", 80)])) == "A"
    assert leader(rank([entry("A", 90), entry("B", 90)])) is None
    assert leader([]) is None


def test_rank_moves_name_new_and_moved_units_only():
    before = rank([entry("A", 90), entry("B", 80)])
    after = rank([entry("A", 90), entry("B", 80), entry("C", 95)])
    assert rank_moves(before, after) == [{"unit": "C", "from": None, "to": 1},
                                         {"unit": "A", "from": 1, "to": 2},
                                         {"unit": "B", "from": 2, "to": 3}]


totals = st.lists(st.tuples(st.sampled_from("ABCDEFGHIJ"), st.integers(0, 20)), min_size=0, max_size=10,
                  unique_by=lambda t: t[0])


@given(totals, st.randoms())
def test_the_table_does_not_depend_on_the_order_of_reports(pairs, rnd):
    entries = [entry(u, t) for u, t in pairs]
    shuffled = entries[:]
    rnd.shuffle(shuffled)
    assert rank(shuffled) == rank(entries)
    assert input_hash(shuffled) == input_hash(entries)


@given(totals)
def test_ranks_are_a_valid_competition_ranking(pairs):
    table = rank([entry(u, t) for u, t in pairs])
    for position, row in enumerate(table, start=1):
        better = sum(1 for other in table if other["total"] > row["total"])
        assert row["rank"] == better + 1
        assert row["rank"] <= position


def test_the_input_hash_changes_with_any_input():
    base = [entry("A", 90)]
    assert input_hash(base) != input_hash([entry("A", 91)])
    assert input_hash(base) != input_hash([entry("A", 90, version=2)])
