"""House rules, checked: moderation asks the permission module and its views stay thin."""

import ast
from pathlib import Path

import moderation
from moderation.models import ModAction

ROOT = Path(moderation.__file__).parent
VIEWS = ROOT / "views.py"


def _sources():
    for path in ROOT.rglob("*.py"):
        if "migrations" not in path.parts:
            yield path, ast.parse(path.read_text())


def test_every_decision_kind_has_a_row_in_the_permission_module():
    # A new kind of decision with no row would be refused to everyone without a word.
    from groups.permissions import CASE_GROUP_POLICY, CASE_SITE_POLICY

    assert set(CASE_GROUP_POLICY) | set(CASE_SITE_POLICY) == set(ModAction.Kind.values)
    assert not set(CASE_GROUP_POLICY) & set(CASE_SITE_POLICY)


def test_moderation_keeps_no_policy_of_its_own():
    # Who may act, view an item or see the queue is decided in groups/permissions.py only.
    own = {"may_act", "may_moderate", "may_view_case", "may_see_queue", "queue_scope"}
    bad = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in own:
                bad.append(f"{path.name}:{node.lineno} def {node.name}")
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    if isinstance(t, ast.Name) and t.id.endswith(("_PERMISSION", "_POLICY")):
                        bad.append(f"{path.name}:{node.lineno} {t.id}")
    assert bad == [], bad
