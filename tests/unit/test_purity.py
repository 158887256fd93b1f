"""The domain rules import no framework: no nameko, pymongo, kombu or HTTP library."""
import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE = ["services/submissions/lifecycle.py", "services/submissions/reports.py", "services/submissions/reference.py",
        "services/submissions/voting.py", "services/submissions/evidence.py",
        "services/submissions/domain/__init__.py", "services/submissions/domain/access.py",
        "services/submissions/domain/aggregate.py",
        "services/submissions/domain/people.py", "services/submissions/domain/period.py",
        "services/submissions/domain/report.py", "services/submissions/domain/vote.py",
        "services/submissions/domain/proposal.py", "services/submissions/domain/vote_count.py", "services/ranking/engine.py",
        "thidua/seal.py",
        "services/ranking/queries.py", "services/notifications/rules.py", "services/notifications/messages.py",
        "services/notifications/directory.py", "services/notifications/audiences.py",
        "services/notifications/preferences.py",
        "services/notifications/channels/base.py",
        "thidua/criteria.py", "thidua/errors.py",
        *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "thidua/criterion_types").glob("*.py"))]
PURE_MODULES = {path[:-3].replace("/", ".").removesuffix(".__init__") for path in PURE}  # a package by its name


@pytest.mark.parametrize("path", PURE)
def test_a_rules_module_imports_only_the_standard_library_and_other_rules(path):
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    # "from package import module" imports that module; "from module import name", the module.
    imported |= {f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in PURE_MODULES else node.module
                 for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
                 for alias in node.names}
    outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names and m not in PURE_MODULES
               and m != "__future__"}
    assert outside == set()
