from datetime import datetime, timezone

import pytest

from services.notifications import channels, messages, rules
from tests.helpers import report_event


def ranking_event(leader_changed=False, class_changes=(), status="provisional", trigger="report.submitted.v1",
                  version=3, leader="U04"):
    return {"type": "ranking.updated.v1", "id": "e1", "data": {
        "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "period": "2021-Q1", "version": version,
        "table": [{"rank": 1, "unit": "U04", "unit_name": "Phòng Hậu cần", "total": 91.5, "class": "TOT",
                   "late": False}, {"rank": 2, "unit": "U02", "unit_name": "Phòng Tổ chức cán bộ", "total": 90,
                                    "class": "TOT", "late": False}],
        "leader": leader, "previous_leader": "U02", "leader_changed": leader_changed,
        "class_changes": list(class_changes), "rank_moves": [], "leader_status": status,
        "trigger_event_id": "t", "trigger_event_type": trigger}}


def run_event(event_type, **extra):
    return {"type": event_type, "id": "p1", "data": {
        "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "level": "province", "period": "2021-Q1",
        "label": "Quý I/2021", "year": 2021, "state": "CONCLUDED", "deadline": "2021-04-10T10:00:00.000Z", **extra}}


def late_report():
    event = report_event()
    event["data"]["late"] = True
    return event


@pytest.mark.parametrize("event, expected", [
    (report_event(), [("report.submitted", "cluster_lead", rules.NOW)]),
    (late_report(), [("report.submitted", "cluster_lead", rules.NOW), ("report.late", "office_and_chair", rules.NOW)]),
    (report_event(event_type="report.resubmitted.v1", status="RESUBMITTED"),
     [("report.resubmitted", "cluster_lead", rules.NOW)]),
    ({"type": "report.returned.v1", "data": {}}, [("report.returned", "unit", rules.NOW)]),
    ({"type": "vote.opened.v1", "data": {}}, [("vote.opened", "members", rules.NOW)]),
    ({"type": "vote.closed.v1", "data": {}}, [("vote.closed", "members", rules.NOW)]),
    # The vote's result reaches the leaders at once, whether it elects a new leading unit or confirms one.
    (ranking_event(status="elected", trigger="vote.closed.v1"), [("ranking.changed", "leaders", rules.NOW)]),
    (ranking_event(leader_changed=True, status="elected", trigger="vote.closed.v1"),
     [("ranking.changed", "leaders", rules.NOW)]),
    (ranking_event(status="tie_revote", leader=None, trigger="vote.closed.v1"),
     [("ranking.changed", "leaders", rules.NOW)]),
    # After the vote, a change of the elected leading unit is told at once too.
    (ranking_event(leader_changed=True, status="elected", trigger="report.finalized.v1"),
     [("ranking.changed", "leaders", rules.NOW)]),
    # Everything else waits: a provisional leader, a class moving, a finalized report after the vote.
    (ranking_event(leader_changed=True), [("ranking.updated", "leaders", rules.DIGEST)]),
    (ranking_event(class_changes=[{"unit": "U04", "from": "KHA", "to": "TOT"}]),
     [("ranking.updated", "leaders", rules.DIGEST)]),
    (ranking_event(status="elected", trigger="report.finalized.v1", class_changes=[{"unit": "U02", "from": "KHA",
                                                                                   "to": "TOT"}]),
     [("ranking.updated", "leaders", rules.DIGEST)]),
    (ranking_event(), [("ranking.updated", "leaders", rules.DIGEST)]),
    (run_event("period.concluded.v2", conclusion={"text": "Tiếp tục", "by": "thien.nh", "at": "2021-04-15"},
               chair="thien.nh"), [("results.published", "cluster", rules.NOW)]),
    (run_event("period.reopened.v1", reason="Sai số liệu", by="trung.th"),
     [("results.reopened", "cluster", rules.NOW)]),
    (run_event("period.opened.v2"), []),
    ({"type": "template.published.v1", "data": {}}, []),
    ({"type": "vote.ballot_cast.v1", "data": {}}, []),
])
def test_each_event_goes_to_its_audience(event, expected):
    assert rules.decide(event) == expected


def realistic_quarter():
    """The ranking versions of a cluster's quarter, as ranking publishes them: six reports handed in
    (the provisional leader changes three times, classes move), reviews and finalizations, the vote
    (which confirms the provisional leader), then a finalization after the vote (a class moves)."""
    versions = []

    def add(trigger, leader, changed, status="provisional", classes=()):
        versions.append(ranking_event(leader_changed=changed, status=status, trigger=trigger,
                                      version=len(versions) + 1, leader=leader, class_changes=classes))
    for unit, leader, changed in [("U01", "U01", True), ("U02", "U02", True), ("U03", "U02", False),
                                  ("U04", "U04", True), ("U05", "U04", False), ("U06", "U04", False)]:
        add("report.submitted.v1", leader, changed, classes=[{"unit": unit, "from": None, "to": "KHA"}])
    for _ in range(3):
        add("report.reviewed.v1", "U04", False, classes=[{"unit": "U03", "from": "KHA", "to": "TOT"}])
    add("report.finalized.v1", "U04", False)
    add("vote.closed.v1", "U04", False, status="elected", classes=[{"unit": "U02", "from": "TOT", "to": "XS"}])
    add("report.finalized.v1", "U04", False, status="elected", classes=[{"unit": "U05", "from": "KHA", "to": "TOT"}])
    return versions


def test_in_a_realistic_quarter_a_leader_hears_of_the_ranking_at_once_only_for_the_vote():
    decided = [rules.decide(event) for event in realistic_quarter()]
    now = [i for i, rules_of in enumerate(decided) for kind, _, when in rules_of if when == rules.NOW]
    assert now == [10]                                                      # the vote's version alone
    assert sum(when == rules.DIGEST for rules_of in decided for _, _, when in rules_of) == len(decided) - 1


def test_two_rules_of_one_event_never_share_a_notice_key():
    assert rules.happening_key("e1", 0, "report.submitted") == "e1"
    assert rules.happening_key("e1", 1, "report.late") == "e1|report.late"


def test_the_runs_kept_from_the_reporting_status_hold_their_chair_and_deadline():
    kept = rules.runs([{**STATUS[0], "chair": "thien.nh", "level": "province"}])
    assert kept == [{"_id": "CUM-01|2021-Q2", "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1",
                     "level": "province", "period": "2021-Q2", "label": "Quý II/2021",
                     "deadline": "2021-07-10T10:00:00.000Z", "chair": "thien.nh"}]


@pytest.mark.parametrize("event_type", ["report.submitted.v2", "report.submitted", "unheard.of.v1"])
def test_a_type_or_version_the_table_does_not_declare_is_refused_not_read_as_v1(event_type):
    with pytest.raises(rules.Undeclared, match=event_type.replace(".", r"\.")):
        rules.decide({"type": event_type, "data": report_event()["data"]})


def test_every_event_type_of_the_contract_is_declared_or_copied_into_the_directory():
    from services.notifications import directory
    from thidua.contracts import CONTRACTS
    assert set(rules.TABLE) | set(directory.EVENTS) == set(CONTRACTS)
    assert not set(rules.TABLE) & set(directory.EVENTS)


def test_the_table_names_only_known_audiences_kinds_and_urgencies():
    for rules_of_type in rules.TABLE.values():
        for rule in rules_of_type:
            assert rule.audience in rules.AUDIENCES and rule.when in (rules.NOW, rules.DIGEST)
            assert rule.kind in messages.TEMPLATES
            assert rule.kind in rules.KINDS or rule.when == rules.DIGEST   # a digest item goes out as "digest"
    assert set(rules.KINDS) <= set(messages.TEMPLATES)
    assert all("inbox" in channels for channels in rules.KINDS.values())


STATUS = [{"period": "2021-Q2", "label": "Quý II/2021", "deadline": "2021-07-10T10:00:00.000Z",
           "cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "missing": ["U03", "U05"]}]


def at(text):
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def test_no_reminder_before_the_first_offset():
    assert list(rules.due_reminders(STATUS, at("2021-07-06T10:00:00"), [72, 24])) == []


def test_the_nearest_due_offset_reminds_each_missing_unit():
    due = [(k, key, unit, h) for k, key, _, unit, h, _ in rules.due_reminders(STATUS, at("2021-07-07T11:00:00"),
                                                                              [72, 24])]
    assert due == [("deadline.approaching", "due|2021-Q2|U03|72h", "U03", 72),
                   ("deadline.approaching", "due|2021-Q2|U05|72h", "U05", 72)]
    late_start = [key for _, key, _, _, _, _ in rules.due_reminders(STATUS, at("2021-07-09T12:00:00"), [72, 24])]
    assert late_start == ["due|2021-Q2|U03|24h", "due|2021-Q2|U05|24h"]   # not the missed 3-day one too


def test_after_the_deadline_the_missing_units_and_the_cluster_lead_are_told():
    due = [(key, unit) for _, key, _, unit, _, _ in rules.due_reminders(STATUS, at("2021-07-10T10:00:00"), [72])]
    assert due == [("missed|2021-Q2|U03", "U03"), ("missed|2021-Q2|U05", "U05"), ("missed|2021-Q2|CUM-01", None)]


def test_a_runs_stage_names_the_reminders_it_is_at_once_and_for_all():
    [entry] = STATUS
    stages = [rules.stage(entry, at(moment), [72, 24]) for moment in
              ("2021-07-06T10:00:00", "2021-07-07T11:00:00", "2021-07-09T12:00:00", "2021-07-10T10:00:00")]
    assert stages == [None, 72, 24, rules.MISSED]
    assert [rules.stage_key(entry, stage) for stage in stages[1:]] == [
        "CUM-01|2021-Q2|72h", "CUM-01|2021-Q2|24h", "CUM-01|2021-Q2|missed"]


def test_backoff_doubles():
    assert [rules.backoff_seconds(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]


def test_messages_carry_the_numbers_that_matter():
    event = report_event(unit="U04")
    event["data"].update(late=True, self_scores={"C1.1": 20, "P1": -3.5})
    title, body, link = messages.inbox("report.submitted", event["data"])
    assert title == "Unit U04 đã nộp báo cáo Quý I/2021 (nộp muộn)" and "tổng điểm tự chấm 16,5" in body
    title, body, _ = messages.inbox("ranking.changed", ranking_event(leader_changed=True)["data"])
    assert title == "Cụm thi đua số 1 Quý I/2021: Phòng Hậu cần dẫn đầu" and "1. Phòng Hậu cần 91,5" in body
    subject, text = messages.email("report.returned", {**event["data"], "reason": "Thiếu số liệu"}, "Nguyễn Văn A",
                                   "https://thidua.example")
    assert subject == "Báo cáo Quý I/2021 của Unit U04 bị trả lại"
    assert text.startswith("Kính gửi đồng chí Nguyễn Văn A") and "Lý do: Thiếu số liệu" in text
    assert f"https://thidua.example/api/v1/reports/{event['data']['report_id']}" in text
    reminder = {**STATUS[0], "unit": "U03", "unit_name": "Phòng CTĐ", "offset_hours": 24}
    title, body, _ = messages.inbox("deadline.approaching", reminder)
    assert title == "Còn 1 ngày đến hạn nộp báo cáo Quý II/2021" and "17:00 ngày 10/07/2021" in body
    missed = {**STATUS[0], "unit": None, "missing_names": ["Phòng CTĐ", "Phòng Hồ sơ"]}
    assert "các đơn vị chưa nộp báo cáo: Phòng CTĐ, Phòng Hồ sơ" in messages.inbox("deadline.missed", missed)[1]


def test_every_kind_has_a_template_the_rules_can_produce():
    kinds = {"report.submitted", "report.resubmitted", "report.late", "report.returned", "vote.opened",
             "vote.closed", "ranking.changed", "ranking.updated", "results.published", "results.reopened",
             "deadline.approaching", "deadline.missed", "proposal.submitted", "proposal.decided", "digest"}
    assert set(messages.TEMPLATES) == kinds


def test_a_proposals_decision_reads_as_the_standing_office_gave_it():
    data = {"proposal_id": "p1", "cluster": "CUM-01", "period": "2021-Q1", "state": "REJECTED", "kind": "collective",
            "unit": "U02", "recipient": "Phòng Tổ chức cán bộ", "form": "BANG_KHEN", "level": "PROVINCE",
            "award": "Bằng khen UBND tỉnh", "version": 3, "reason": "Chưa đủ thời gian"}
    title, body, link = messages.inbox("proposal.decided", data)
    assert title == "Đề nghị Bằng khen UBND tỉnh cho Phòng Tổ chức cán bộ: không duyệt"
    assert "Quý I/2021" in body and "Ý kiến: Chưa đủ thời gian." in body
    assert link == "/api/v1/clusters/CUM-01/periods/2021-Q1/proposals"


def test_a_webhook_signature_is_hmac_sha256_of_the_exact_body():
    body = b'{"kind": "report.submitted"}'
    signature = channels.sign("s3cret-s3cret-s3cret", body)
    assert signature.startswith("sha256=") and channels.verify("s3cret-s3cret-s3cret", body, signature)
    assert not channels.verify("s3cret-s3cret-s3cret", body + b" ", signature)
    assert not channels.verify("another-secret-value", body, signature)


def test_an_attempt_ends_sent_due_again_after_the_backoff_or_failed_after_the_last():
    now = at("2021-04-01T00:00:00")
    assert rules.after_attempt(1, None, 3, 30, now) == {"status": "SENT", "sent_at": now, "last_error": None,
                                                         "attempts": 1}
    again = rules.after_attempt(2, "HTTP 503", 3, 30, now)
    assert again["status"] == "PENDING" and (again["next_attempt_at"] - now).total_seconds() == 60
    assert rules.after_attempt(3, "HTTP 503", 3, 30, now)["status"] == "FAILED"


def test_only_a_failed_notice_is_retried_and_it_starts_counting_afresh():
    from thidua.errors import ValidationFailed
    now = at("2021-04-01T00:00:00")
    retried = rules.retried({"_id": "n1", "status": "FAILED", "attempts": 5}, now)
    assert (retried["status"], retried["attempts"], retried["next_attempt_at"]) == ("PENDING", 0, now)
    with pytest.raises(ValidationFailed, match="only a FAILED one"):
        rules.retried({"_id": "n1", "status": "SENT", "attempts": 1}, now)


def test_a_webhook_subscription_names_every_wrong_field():
    from services.notifications.channels import webhook
    from thidua.errors import ValidationFailed
    with pytest.raises(ValidationFailed) as refused:
        webhook.subscription({"url": "ftp://x", "secret": "short", "kinds": ["gossip"], "colour": 1},
                             messages.TEMPLATES)
    assert set(refused.value.details["fields"]) == {"url", "secret", "kinds", "colour"}
    hook = webhook.subscription({"url": "https://a.example/x", "secret": "s" * 16}, messages.TEMPLATES)
    assert hook["kinds"] == ["*"] and hook == webhook.subscription({"url": "https://a.example/x", "secret": "s" * 16},
                                                                   messages.TEMPLATES)


def test_the_run_is_read_only_for_a_notice_that_names_its_deadline_or_reaches_its_chair():
    from services.notifications import audiences
    late = report_event(unit="U05")
    late["data"]["late"] = True
    needs_run = {(kind, who) for kind, who, _ in rules.decide(late)
                 if messages.names_deadline(kind) or audiences.reaches_chair(who)}
    assert needs_run == {("report.late", "office_and_chair")}
    assert not [kind for kind, who, _ in rules.decide(report_event(unit="U05"))
                if messages.names_deadline(kind) or audiences.reaches_chair(who)]   # on time: not read
    assert messages.names_deadline("deadline.missed") and not messages.names_deadline("report.submitted")
