"""The shape the architecture promises, checked on the code itself: no class over 350 lines, and
every entrypoint (RPC, HTTP route, event handler, timer) a few lines that load, call the domain
and save."""
import ast
import re
from pathlib import Path

from services.submissions import store

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(p for folder in ("services", "thidua") for p in (ROOT / folder).rglob("*.py"))
ENTRYPOINTS = {"rpc", "route", "event_handler", "timer", "http"}
MAX_CLASS, MAX_ENTRYPOINT = 350, 12


def definitions(kind):
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, kind):
                yield path.relative_to(ROOT), node


def decorator_names(function):
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        yield target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)


def body_lines(function):
    """Lines of the body, without its docstring."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    return body[-1].end_lineno - body[0].lineno + 1 if body else 0


def test_no_class_is_over_350_lines():
    sizes = {f"{path}:{node.name}": node.end_lineno - node.lineno + 1 for path, node in definitions(ast.ClassDef)}
    assert {name: size for name, size in sizes.items() if size > MAX_CLASS} == {}
    assert max(sizes.values()) > 100   # the walk did find the service classes


def test_every_entrypoint_body_is_at_most_12_lines():
    found = {f"{path}:{node.name}": body_lines(node) for path, node in definitions(ast.FunctionDef)
             if ENTRYPOINTS & set(decorator_names(node))}
    assert len(found) > 60, "the walk should see every RPC, route and handler"
    assert {name: lines for name, lines in found.items() if lines > MAX_ENTRYPOINT} == {}


def direct_writes(text, collections):
    """The lines of ``text`` that write one of ``collections`` by name (``.people.update_one(``), not
    through the unit of work's ``tx.insert``/``replace``/``delete``."""
    names = "|".join(collections)
    pattern = re.compile(rf"""(\.({names})|\[["']({names})["']\])\.(insert|update|replace|delete|bulk_write|find_one_and)""")
    return [line.strip() for line in text.splitlines() if pattern.search(line)]


def test_submissions_writes_what_it_keeps_in_memory_only_through_the_unit_of_work():
    """A kept collection's write marks a change only through the unit of work (thidua.kept): one
    written another way would leave every process with what it kept before, for up to a minute."""
    assert direct_writes("db.people.update_one({})\ntx.db['runs'].delete_many({})\ntx.insert('runs', r)",
                         store.KEPT) == ["db.people.update_one({})", "tx.db['runs'].delete_many({})"]
    found = {str(path.relative_to(ROOT)): lines for path in (ROOT / "services" / "submissions").rglob("*.py")
             if (lines := direct_writes(path.read_text(encoding="utf-8"), store.KEPT))}
    assert found == {}
