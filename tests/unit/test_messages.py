import pytest

from services.notifications.messages import (day, digest_item, digest_lines, enriched, inbox, label_of, period_label,
                                            points, standing, when)


@pytest.mark.parametrize("code, label", [
    ("2021-Q1", "Quý I/2021"), ("2021-Q4", "Quý IV/2021"), ("2021-H1", "6 tháng đầu năm 2021"),
    ("2021-H2", "6 tháng cuối năm 2021"), ("2021", "Năm 2021"), ("special", "special"),
])
def test_period_labels_are_vietnamese(code, label):
    assert period_label(code) == label


def test_points_use_a_decimal_comma():
    assert points(87.5) == "87,5"
    assert points(91) == "91"
    assert points(90.25) == "90,25"


def test_times_are_shown_in_vietnam_time():
    assert when("2021-04-10T10:00:00.000Z") == "17:00 ngày 10/04/2021"


def test_dates_read_day_month_year_in_vietnam():
    assert day("2021-04-10T20:00:00.000Z") == "11/04/2021"


RUN = {"cluster": "CUM-01", "cluster_name": "Cụm thi đua số 1", "level": "province", "period": "2021-Q1-CUM-01",
       "label": "Quý I/2021", "year": 2021, "state": "CONCLUDED", "deadline": "2021-04-10T10:00:00.000Z"}
STANDING = {"_id": "CUM-01|2021-Q1-CUM-01", "leader": "U04", "leader_name": "Phòng Hậu cần", "leader_status": "elected"}


def test_the_published_results_name_the_cluster_the_label_the_leading_unit_and_the_conclusion():
    concluded = {**RUN, "chair": "thien.nh", "conclusion": {
        "text": "Các đơn vị tiếp tục đẩy mạnh phong trào thi đua.", "by": "thien.nh", "at": "2021-04-15T02:00:00Z"}}
    data = enriched(concluded, STANDING, None, {"_id": "thien.nh", "name": "Nguyễn Hữu Thiên"})
    title, body, link = inbox("results.published", data)
    assert title == "Cụm thi đua số 1: công bố kết quả thi đua Quý I/2021"
    assert "2021-Q1" not in title + body
    assert "Đơn vị dẫn đầu: Phòng Hậu cần." in body
    assert ("Kết luận của đồng chí Nguyễn Hữu Thiên ngày 15/04/2021: Các đơn vị tiếp tục đẩy mạnh phong trào "
            "thi đua.") in body
    assert link == "/api/v1/clusters/CUM-01/periods/2021-Q1-CUM-01/ranking"


def test_results_without_a_known_leading_unit_say_so_and_a_reopening_says_why():
    assert "Chưa xác định đơn vị dẫn đầu." in inbox("results.published", enriched(RUN))[1]
    reopened = enriched({**RUN, "reason": "Sai số liệu của Phòng Hồ sơ", "by": "trung.th"}, None, None,
                        {"_id": "trung.th", "name": "Trần Hải Trung"})
    title, body, _ = inbox("results.reopened", reopened)
    assert title == "Cụm thi đua số 1: mở lại kết quả thi đua Quý I/2021"
    assert "(đồng chí Trần Hải Trung). Lý do: Sai số liệu của Phòng Hồ sơ." in body


def test_a_late_hand_in_says_when_it_came_and_the_deadline_it_missed():
    report = {"report_id": "r-U05", "unit": "U05", "unit_name": "Phòng Hồ sơ", "cluster": "CUM-01",
              "cluster_name": "Cụm thi đua số 1",
              "period": "2021-Q1", "submitted_at": "2021-04-11T01:30:00.000Z", "late": True}
    run = {"chair": "thien.nh", "deadline": "2021-04-10T10:00:00.000Z"}
    data = enriched(report, None, run)
    assert data["chair"] == "thien.nh"
    title, body, _ = inbox("report.late", data)
    assert title == "Phòng Hồ sơ nộp muộn báo cáo Quý I/2021"
    assert body == ("Phòng Hồ sơ (U05) thuộc Cụm thi đua số 1 đã nộp báo cáo thi đua Quý I/2021 lúc 08:30 ngày "
                    "11/04/2021, sau hạn nộp (17:00 ngày 10/04/2021).")


def ranking(version, leader, status="provisional", cluster="CUM-01", name="Cụm thi đua số 1"):
    return {"cluster": cluster, "cluster_name": name, "period": "2021-Q1", "version": version, "leader": leader,
            "leader_status": status, "table": [{"unit": "U04", "unit_name": "Phòng Hậu cần"},
                                               {"unit": "U09", "unit_name": "Công an huyện Kỳ Anh"}]}


def test_a_digest_reads_one_line_per_cluster_and_period_with_who_leads_now():
    items = [digest_item(ranking(1, None)), digest_item(ranking(1, "U09", cluster="CUM-02", name="Cụm thi đua số 2")),
             digest_item(ranking(2, "U04")), digest_item(ranking(3, "U04"))]
    assert digest_lines(items) == ("• Cụm thi đua số 1, Quý I/2021: 3 cập nhật; dẫn đầu: Phòng Hậu cần (tạm thời)\n"
                                   "• Cụm thi đua số 2, Quý I/2021: 1 cập nhật; dẫn đầu: Công an huyện Kỳ Anh "
                                   "(tạm thời)")
    assert digest_lines([{"line": "Bảng xếp hạng cũ."}, digest_item(ranking(1, None))]) == (
        "• Bảng xếp hạng cũ.\n• Cụm thi đua số 1, Quý I/2021: 1 cập nhật; dẫn đầu: chưa xác định")


def test_the_vote_s_version_names_the_elected_leading_unit():
    data = {**ranking(11, "U04", "elected"), "leader_changed": False, "class_changes": []}
    data["table"] = [{**row, "rank": i + 1, "total": 90 - i} for i, row in enumerate(data["table"])]
    title, body, _ = inbox("ranking.changed", data)
    assert title == "Cụm thi đua số 1 Quý I/2021: Phòng Hậu cần được bầu là đơn vị dẫn đầu"
    assert "Đơn vị dẫn đầu: Phòng Hậu cần." in body


def test_the_kept_standing_is_the_leading_unit_by_name():
    assert standing(ranking(4, "U04", "elected"), "t") == {
        "_id": "CUM-01|2021-Q1", "version": 4, "leader": "U04", "leader_name": "Phòng Hậu cần",
        "leader_status": "elected", "_at": "t"}


def test_a_label_that_is_only_the_code_is_read_as_the_period():
    assert label_of({"period": "2021-Q3", "label": "2021-Q3"}) == "Quý III/2021"
    assert label_of({"period": "2021-Q1-CUM-02", "label": "Quý I/2021"}) == "Quý I/2021"


def test_a_ranking_event_keeps_its_own_leader_status_over_the_kept_standing():
    newer = {**ranking(5, "U04", "elected")}
    assert enriched(newer, {**STANDING, "leader_status": "provisional"})["leader_status"] == "elected"
