"""The shape of the code, as the README's "Where things live" draws it: which part may import which.

Read from the source (every import, those inside functions too), so a new arrow the other way fails here
with the file and the name, before it turns into an import cycle at start-up.

Parts, lowest first:
- pure: rules and arithmetic without Flask or the database (codes, types, the calendar engine, dates);
- core: the application's plumbing (clock, db, extensions, errors, i18n, config, media);
- models: each domain's tables;
- domains, in DOMAIN_ORDER: a domain uses the services of those before it, never of those after it;
- web: views, REST endpoints, schemas, forms and commands of each domain;
- top: the application factory, the command group, the page helpers and the demo.
"""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "municipal"

DOMAIN_ORDER = ("audit", "auth", "assets", "notify", "people", "workorders", "calendar", "readings", "inspections",
                "intake", "geo",
                "reports", "jobs")
PURE = {
    "municipal.datebounds", "municipal.assets.types", "municipal.assets.geometry", "municipal.assets.identity.codes",
    "municipal.assets.identity.qr", "municipal.inspections.distance", "municipal.jobs.periods",
    "municipal.reports.charts", "municipal.workorders.states", "municipal.workorders.checklist_rules",
    "municipal.people.precedence",
    "municipal.readings.rules", "municipal.readings.svg",
    "municipal.geo.datums", "municipal.geo.grid", "municipal.geo.navigation", "municipal.geo.tiles",
}
PURE_PACKAGES = ("municipal.calendar.engine",)
# The HTTP edge's shared plumbing: every domain's endpoints use it.
EDGE = {"municipal.api", "municipal.permissions", "municipal.request", "municipal.security_headers",
        "municipal.health"}
TOP = {"municipal", "municipal.cli", "municipal.console", "municipal.templating"}
# Pages of the application as a whole (the crew's installable app): web, of no one domain.
WEB_ROOT = {"municipal.pwa"}
WEB_NAMES = {"views", "api", "schemas", "forms", "cli", "admin_views", "pages_api"}
# Libraries a pure module must not reach for.
FRAMEWORKS = ("flask", "flask_babel", "flask_login", "flask_wtf", "flask_sqlalchemy", "sqlalchemy", "werkzeug",
              "marshmallow", "wtforms")


def _modules() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _resolve(name: str) -> str:
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def _imports(module: str, path: Path):
    """(imported module, imported names, line) for every import of the package and of FRAMEWORKS."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                full = f"{target}.{alias.name}"
                yield (full if full in MODULES else _resolve(target) if target.startswith("municipal") else target,
                       alias.name, node.lineno)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield (_resolve(alias.name) if alias.name.startswith("municipal") else alias.name, None,
                       node.lineno)


GRAPH = {module: list(_imports(module, path)) for module, path in MODULES.items()}


def part(module: str) -> tuple[str, str | None]:
    """(layer, domain) of a module."""
    bits = module.split(".")
    if module in TOP or module.startswith("municipal.demo"):
        return "top", None
    if module in PURE or module.startswith(PURE_PACKAGES):
        return "pure", None
    if module in EDGE:
        return "edge", None
    if module in WEB_ROOT:
        return "web", bits[1]
    if len(bits) == 2 and not (PACKAGE / bits[1]).is_dir():
        return "core", None
    domain = bits[1]
    if len(bits) == 2:
        return "init", domain
    if bits[-1] == "models":
        return "models", domain
    if bits[-1] in WEB_NAMES or bits[-1].endswith(("_views", "_api")):
        return "web", domain
    return "domain", domain


def _rank(domain: str) -> int:
    return DOMAIN_ORDER.index(domain) if domain in DOMAIN_ORDER else len(DOMAIN_ORDER)


def allowed(source: str, target: str, name: str | None) -> bool:
    (layer, domain), (target_layer, target_domain) = part(source), part(target)
    if layer == "top":
        return True
    if target_layer == "top":
        return False
    if layer == "pure":
        return target_layer == "pure" or (target == "municipal.i18n" and name == "N_")
    if layer == "core":
        return target_layer in ("core", "pure")
    if layer == "models":
        return target_layer in ("core", "pure", "models")
    if layer == "edge":
        return target_layer in ("core", "pure", "edge", "models") or (
            target_layer == "domain" and target_domain == "auth")
    if layer in ("domain", "init"):
        if target_layer in ("core", "pure", "models"):
            return True
        if target_layer in ("domain", "init"):
            return target_domain == domain or _rank(target_domain) < _rank(domain)
        return target_domain == domain and layer == "init"  # a domain's init registers its own pages
    # web: any domain's services and models, the edge, but never another domain's pages or commands.
    return target_layer != "web" or target_domain == domain or target.rsplit(".", 1)[-1] in ("schemas", "forms")


def test_no_part_imports_a_higher_one():
    wrong = [f"{MODULES[source].relative_to(PACKAGE.parent)}:{line} imports {target}"
             + (f" ({name})" if name else "")
             for source, imports in GRAPH.items() for target, name, line in imports
             if target.startswith("municipal") and not allowed(source, target, name)]
    assert wrong == []


def test_pure_modules_import_no_framework():
    wrong = [f"{MODULES[source].relative_to(PACKAGE.parent)}:{line} imports {target}"
             for source, imports in GRAPH.items() if part(source)[0] == "pure"
             for target, _name, line in imports if target.split(".")[0] in FRAMEWORKS]
    assert wrong == []


def test_no_import_circle():
    edges = defaultdict(set)
    for source, imports in GRAPH.items():
        for target, _name, _line in imports:
            if target.startswith("municipal") and target != source:
                edges[source].add(target)
    circles, state = [], {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(edges[module]):
            if state.get(target) == "open":
                circles.append(" -> ".join(trail[trail.index(target):] + [target]))
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert circles == []


@pytest.mark.parametrize("source, target, name, expected", [
    ("municipal.assets.types", "municipal.i18n", "N_", True),
    ("municipal.assets.types", "municipal.i18n", "catalogue", False),
    ("municipal.assets.services", "municipal.workorders.services", None, False),
    ("municipal.workorders.services", "municipal.assets.services", None, True),
    ("municipal.errors", "municipal.calendar.services", None, False),
    ("municipal.assets.views", "municipal.workorders.views", None, False),
    ("municipal.workorders.views", "municipal.assets.services", None, True),
    ("municipal.assets.services", "municipal.cli", None, False),
])
def test_the_rule_itself(source, target, name, expected):
    assert allowed(source, target, name) is expected
