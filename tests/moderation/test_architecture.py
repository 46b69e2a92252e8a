"""House rules, checked: moderation asks the permission module and its views stay thin."""

import ast
import re
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


PROJECT = ROOT.parent
_SKIP = {".git", ".venv", "node_modules", "tests", "bench", "migrations", "var", "test-results"}
#: "is_staff or is_moderator" (either way round, in Python or a template), or the same as a query.
_PAIR = re.compile(
    r"is_staff\b[^\n]*\bor\b[^\n]*\bis_moderator|is_moderator\b[^\n]*\bor\b[^\n]*\bis_staff"
    r"|Q\(is_(?:staff|moderator)=True\)\s*\|\s*Q\(is_(?:staff|moderator)=True\)"
)


def test_no_one_hard_codes_who_is_a_site_moderator():
    # groups.permissions.is_site_moderator / site_moderators / the permission_tags filters
    # answer it. accounts/ sits below groups and may not import it (its own test says so):
    # its two-step log-in rule reads the account flags itself.
    allowed = {PROJECT / "groups" / "permissions.py"}
    bad = []
    for path in PROJECT.rglob("*"):
        rel = path.relative_to(PROJECT)
        if path.suffix not in {".py", ".html", ".txt"} or _SKIP & set(rel.parts):
            continue
        if path in allowed or rel.parts[0] == "accounts":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if _PAIR.search(line):
                bad.append(f"{rel}:{n}")
    assert bad == [], bad


def test_views_never_query_the_models_themselves():
    # Reads go through moderation/selectors.py, writes through services, messages through
    # groups.permissions.access_message: a view that queries Message, Case, Report... itself
    # would skip the scoping those give.
    tree = ast.parse(VIEWS.read_text())
    fetchers = {"get_object_or_404", "get_list_or_404"}
    offenders = [
        node.lineno
        for node in ast.walk(tree)
        if (isinstance(node, ast.Attribute) and node.attr == "objects")
        or (isinstance(node, ast.Name) and node.id in fetchers)
        or (isinstance(node, ast.alias) and node.name in fetchers)
    ]
    assert offenders == [], f"moderation/views.py queries the ORM directly at lines {offenders}"


def test_views_ask_the_permission_module_for_messages():
    text = VIEWS.read_text()
    assert "access_message(" in text and "require_site(" in text and "may_see_queue(" in text
