"""Who may do what: every role rule of the submissions service in one place. Pure: no I/O.

A caller is anything with ``id``, ``role`` and ``unit`` (``thidua.caller.Caller``). Rules
that decide (``acts_for_unit``, ``leads_cluster``, ``may_read_report``) answer yes or no;
rules named ``require_*`` raise :class:`Forbidden` with a message saying who may.
"""
from thidua.errors import Forbidden

ADMIN_ROLES = ("administrator",)
LOADER_ROLES = ("system", "administrator")            # the operators' tools and administrators
PERIOD_MANAGER_ROLES = ("administrator", "standing_office")
LEADER_ROLES = ("provincial_leader", "standing_office")
UNIT_ROLES = ("unit_leader", "unit_officer")
CLUSTER_LEADING_ROLES = ("lead", "deputy")             # cụm trưởng, cụm phó
REPORT_ACTORS = {"submit": "unit", "return": "cluster_lead", "review": "cluster_lead", "finalize": "cluster_lead",
                 "exclude": "cluster_lead"}
CHAIR_ACTIONS = ("conclude", "reopen")   # the standing office or the run's chair, never anyone else


def is_admin(caller):
    return caller.role in ADMIN_ROLES


def require_admin(caller, what):
    if not is_admin(caller):
        raise Forbidden(f"Only an administrator may {what}.")


def require_loader(caller):
    if caller.role not in LOADER_ROLES:
        raise Forbidden("Only an administrator may load reference data.")


def require_period_manager(caller):
    if caller.role not in PERIOD_MANAGER_ROLES:
        raise Forbidden("Only an administrator or the emulation standing office may move a period.")


def chairs(caller, run):
    """The provincial leader named as the chair of a cluster's run of a period."""
    return caller.role == "provincial_leader" and run.get("chair") is not None and caller.id == run["chair"]


def require_run_mover(caller, action, run):
    """``conclude`` and ``reopen``: the standing office or the run's chair; the other moves: the
    administrator or the standing office."""
    if action not in CHAIR_ACTIONS:
        return require_period_manager(caller)
    if not (caller.role == "standing_office" or chairs(caller, run)):
        raise Forbidden(f"Only the emulation standing office or the chair of {run['cluster']}'s meeting "
                        f"({run.get('chair') or 'none named'}) may {action} its {run['period']}.")


def acts_for_unit(caller, unit):
    """Unit officers and leaders act for their own unit only."""
    return caller.role in UNIT_ROLES and caller.unit == unit


def require_unit_officer(caller, unit, what):
    if not acts_for_unit(caller, unit):
        raise Forbidden(f"Only the officers of unit {unit} may {what}.")


def leading_units(cluster):
    return [m["unit"] for m in cluster.get("members", []) if m["role"] in CLUSTER_LEADING_ROLES]


# Who someone is to a cluster: the notifying services' audiences, and the seats of its meeting.
AUDIENCES = ("leaders", "cluster_lead", "unit", "members", "everyone")
MEETING = "meeting"


def audience_groups(who, cluster=None, unit=None):
    """The people of ``who`` (one of :data:`AUDIENCES`, or :data:`MEETING`: provincial leaders, the
    standing office and every member unit's leader) as groups ``(roles, units)``: a person is in a
    group when their role is one of ``roles`` and their unit one of ``units`` (``None``: any unit).

    The service reads each group by one indexed field, ``role`` when ``units`` is None, else
    ``unit`` (in short ``$in``s), and keeps those :func:`in_groups` accepts. One query naming a role
    and a list of units, or a ``$or`` of them, was answered by the embedded server comparing every
    person of the role with every unit: 2.5 s for a meeting's seats and 6 s for an 80-unit
    cluster's members in a province of 40,000 people (README, The embedded database and long
    ``$in`` lists)."""
    cluster = cluster or {"members": []}
    members = [m["unit"] for m in cluster["members"]]
    leaders, heads = (LEADER_ROLES, None), (("unit_leader",), leading_units(cluster))
    return {"leaders": [leaders, heads], "cluster_lead": [heads], "unit": [(UNIT_ROLES, [unit])],
            "members": [(UNIT_ROLES, members)], "everyone": [(UNIT_ROLES + LEADER_ROLES, None)],
            MEETING: [leaders, (("unit_leader",), members)]}[who]


def in_groups(person, groups):
    """Whether ``person`` is in one of ``groups`` (:func:`audience_groups`)."""
    return any(person.get("role") in roles and (units is None or person.get("unit") in units)
               for roles, units in groups)


def leads_cluster(caller, cluster):
    """The leaders of the cluster's lead and deputy units act for the cluster."""
    return caller.role == "unit_leader" and caller.unit in leading_units(cluster)


def require_cluster_lead(caller, cluster, what):
    if not leads_cluster(caller, cluster):
        raise Forbidden(f"Only the lead or deputy unit of {cluster['_id']} may {what}.")


def require_report_actor(caller, action, report, cluster):
    if REPORT_ACTORS.get(action, "unit") == "unit":
        require_unit_officer(caller, report["unit"], f"{action} its report")
    else:
        require_cluster_lead(caller, cluster, f"{action} a report")


def may_read_report(reader, report):
    """Anyone signed in may read a handed-in report; a draft only its unit's people (and administrators)."""
    return report["status"] != "DRAFT" or acts_for_unit(reader, report["unit"]) or reader.role in LOADER_ROLES


def may_read_details(reader, report, cluster):
    """A report's discipline details and evidence files: its unit, the lead and deputy of its
    cluster, the standing office, provincial leaders and administrators (of a draft, only those
    who may read the draft)."""
    return may_read_report(reader, report) and (
        acts_for_unit(reader, report["unit"]) or reader.role in LEADER_ROLES + LOADER_ROLES
        or leads_cluster(reader, cluster))


def as_read_by(reader, report, cluster):
    """The report as ``reader`` may see it: whole, or with each violation's severity only (it
    weighs in the score) and no evidence files, marked ``details_withheld``."""
    if may_read_details(reader, report, cluster):
        return report
    return {**report, "violations": [{"severity": v.get("severity")} for v in report.get("violations") or []],
            "evidence": [], "details_withheld": True}


def may_read_evidence(reader, unit, attached_to):
    """An evidence file of ``unit``: its unit's people and administrators, and whoever may read
    the details of a report it is attached to (``attached_to``: (report, cluster) pairs), so a
    file only a draft refers to stays the unit's own."""
    return acts_for_unit(reader, unit) or reader.role in LOADER_ROLES or any(
        may_read_details(reader, report, cluster) for report, cluster in attached_to)


def require_evidence_reader(reader, unit, attached_to):
    if not may_read_evidence(reader, unit, attached_to):
        raise Forbidden(f"Only unit {unit}, the lead and deputy of its cluster, the standing office, "
                        "provincial leaders and administrators may download its evidence files.")


def require_voter(caller, cluster):
    """One ballot per member unit, cast by its own people."""
    if not (caller.role in UNIT_ROLES and caller.unit in {m["unit"] for m in cluster["members"]}):
        raise Forbidden(f"Only a member unit of {cluster['_id']} may vote.")


def require_system(caller, what):
    """Only the platform's own services and operator tools, with a signed service token."""
    if caller.role != "system":
        raise Forbidden(f"Only the platform's services may {what}.")


def require_directory_reader(caller):
    """The e-mail addresses of whole audiences: the services that notify them, and administrators."""
    if caller.role not in LOADER_ROLES:
        raise Forbidden("Only an administrator may list an audience.")


def require_password_setter(caller, person_id):
    if caller.id != person_id and caller.role not in LOADER_ROLES:
        raise Forbidden("Only the person themself or an administrator may set a password.")
