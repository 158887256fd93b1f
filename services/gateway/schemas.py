"""The shapes of request bodies: one JSON Schema each. The gateway checks every body
against its schema before calling a service, and the OpenAPI document is built from
these same schemas, so the contract and the check cannot drift apart. (The services
still apply the domain's own rules: ranges, states, roles.)"""

CODE = {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
TEXT = {"type": "string", "maxLength": 20000}
SHORT = {"type": "string", "maxLength": 300}
MOMENT = {"type": "string", "maxLength": 40, "description": "ISO-8601 with offset, e.g. 2021-04-10T17:00:00+07:00"}
VERSION = {"type": "integer", "minimum": 1, "description": "the version you read; a stale one gets 409"}


RUN_ACTIONS = ["open", "close", "start_scoring", "start_voting", "conclude", "archive", "reopen"]


def obj(properties, required=(), extra=False):
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": extra}


CONTENT = {
    "values": {"type": "object", "additionalProperties": {"type": "object"},
               "description": "criterion code -> {actual} | {passed} | {count} | {points}"},
    "self_scores": {"type": "object", "additionalProperties": {"type": "number"}},
    "sections": {"type": "object", "additionalProperties": TEXT},
    "commendations": {"type": "array", "maxItems": 500, "items": {"type": "object"},
                      "description": "{form, level, kind: collective|individual|mixed (or collective: bool), "
                                     "count, recipients: [names], decision_no, decision_date}"},
    "violations": {"type": "array", "maxItems": 500, "items": {"type": "object"}},
    "evidence": {"type": "array", "maxItems": 500, "items": {"type": "object"}},
}

AWARD_FORMS = ["BANG_KHEN", "GIAY_KHEN", "BIEU_DUONG", "CO_THI_DUA", "DON_VI_QUYET_THANG", "DON_VI_TIEN_TIEN",
               "CHIEN_SI_THI_DUA_CO_SO", "CHIEN_SI_TIEN_TIEN"]
AWARD_LEVELS = ["GOVERNMENT", "MINISTRY", "PROVINCE", "DIRECTOR"]
PROPOSAL = {"kind": {"enum": ["collective", "individual"]}, "unit": {"anyOf": [CODE, {"type": "null"}]},
            "recipient": SHORT, "form": {"enum": AWARD_FORMS}, "level": {"enum": AWARD_LEVELS}, "reason": TEXT}

SCHEMAS = {
    "ReportCreate": obj({"unit": CODE, "period": CODE, "draft": {"type": "boolean"}, **CONTENT},
                        ["unit", "period"]),
    "ReportUpdate": obj({"version": VERSION, **CONTENT}, ["version"]),
    "ReportAction": obj({"version": VERSION, "reason": TEXT, "review": {"type": "object"}}, ["version"]),
    "Ballot": obj({"token": {"type": "string", "pattern": "^[0-9a-f]{32}\\.[0-9a-f]{32}$",
                             "description": "the unit's ballot token (POST .../vote/token)"},
                   "classes": {"type": "object", "additionalProperties": CODE}, "leading_unit": CODE}, ["token"]),
    "Proposal": obj(PROPOSAL, ["kind", "recipient", "form", "level", "reason"]),
    "ProposalEdit": obj({"version": VERSION, **PROPOSAL}, ["version"]),
    "ProposalDecision": obj({"version": VERSION, "reason": TEXT}, ["version"]),
    "Unit": obj({"code": CODE, "name": SHORT, "type": SHORT, "parent": CODE, "illustrative": {"type": "boolean"}},
                ["code", "name"]),
    "Cluster": obj({"code": CODE, "name": SHORT, "level": SHORT, "force": SHORT, "year": {"type": "integer"},
                    "members": {"type": "array", "maxItems": 1000, "items": obj(
                        {"unit": CODE, "role": {"enum": ["lead", "deputy", "member"]}}, ["unit", "role"])},
                    "illustrative_members": {"type": "boolean"}}, ["code", "name", "year", "members"]),
    "Person": obj({"id": CODE, "name": SHORT, "title": SHORT, "role": SHORT, "unit": {"type": ["string", "null"]},
                   "email": SHORT, "illustrative": {"type": "boolean"}, "demo": {"type": "boolean"}},
                  ["id", "name", "role"]),
    "Period": obj({"code": CODE, "kind": {"enum": ["quarter", "half_year", "year"]}, "year": {"type": "integer"},
                   "label": SHORT, "starts_on": MOMENT, "ends_on": MOMENT, "deadline": MOMENT,
                   "template": obj({"id": CODE, "version": {"type": "integer"}}, ["id", "version"]),
                   "illustrative_dates": {"type": "boolean"}},
                  ["code", "kind", "year", "label", "starts_on", "ends_on", "deadline", "template"]),
    "PeriodTransition": obj({"action": {"enum": RUN_ACTIONS}, "level": {"enum": ["province", "ministry"]},
                             "expected": {"type": "object", "additionalProperties": VERSION,
                                          "description": "cluster code -> the run version you read (optional)"},
                             "conclusion": TEXT, "reason": TEXT}, ["action", "level"]),
    "RunTransition": obj({"action": {"enum": RUN_ACTIONS}, "version": VERSION,
                          "conclusion": {**TEXT, "description": "the conclusion (kết luận, chỉ đạo): conclude only"},
                          "reason": {**TEXT, "description": "why the run is reopened: reopen only"}},
                         ["action", "version"]),
    "RunChanges": obj({"version": VERSION, "deadline": MOMENT, "template": obj(
        {"id": CODE, "version": {"type": "integer"}}, ["id", "version"]), "chair": {"type": ["string", "null"]}},
        ["version"]),
    "Backfill": obj({"reports": {"type": "array", "minItems": 1, "maxItems": 500, "items": obj(
        {"unit": CODE, "period": CODE, "submitted_at": MOMENT, "source": CODE, **CONTENT},
        ["unit", "period", "submitted_at"])}}, ["reports"]),
    "Template": {"type": "object", "required": ["id", "name", "groups", "classification"],
                 "properties": {"id": CODE, "name": SHORT, "source": TEXT, "scale": {"type": "number"},
                                "groups": {"type": "array", "items": {"type": "object"}},
                                "classification": {"type": "object"}, "voting": {"type": "object"},
                                "proposal_rules": {"type": "array", "maxItems": 100, "items": {"type": "object"},
                                                   "description": "[{when: {leading_unit: true} | {class}, form, "
                                                                  "level, kind, source}] drafting proposals"}},
                 "additionalProperties": False},
    "Preferences": obj({"channels": {"type": "object", "additionalProperties": {"type": "array", "items": SHORT},
                                     "description": "kind -> the channels that reach you (the inbox is always on)"},
                        "email": {"type": "boolean"}, "muted": {"type": "array", "items": SHORT},
                        "language": {"type": "string", "maxLength": 10}}),
    "Webhook": obj({"url": {"type": "string", "maxLength": 2000}, "secret": {"type": "string", "maxLength": 200},
                    "kinds": {"type": "array", "items": SHORT}}, ["url", "secret"]),
    "Empty": {"type": "object"},
    "Login": obj({"person": CODE, "password": {"type": "string", "maxLength": 200}}, ["person", "password"]),
    "Refresh": obj({"refresh_token": {"type": "string", "maxLength": 4096}}, ["refresh_token"]),
    "ApiToken": obj({"person": CODE, "name": {"type": "string", "minLength": 1, "maxLength": 100}},
                    ["person", "name"]),
    "Password": obj({"password": {"type": "string", "minLength": 10, "maxLength": 200}}, ["password"]),
    "Error": obj({"error": obj({"code": {"type": "string"}, "message": {"type": "string"},
                                "details": {"type": "object"},
                                "correlation_id": {"type": ["string", "null"]}},
                               ["code", "message"], extra=True)}, ["error"]),
}
