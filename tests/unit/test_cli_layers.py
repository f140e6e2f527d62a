"""The command group imports the domains' commands, never the reverse: what those share lives in cli_support."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "municipal"


def imported_modules(path: Path):
    """The absolute names of the modules `path` imports (a name taken from a package counts as a module)."""
    package = path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] if node.level else ())
            module = ".".join(part for part in (base, node.module or "") if part)
            yield module
            yield from (f"{module}.{alias.name}" for alias in node.names)


def test_no_module_imports_the_command_group():
    offenders = [str(path.relative_to(PACKAGE.parent)) for path in sorted(PACKAGE.rglob("*.py"))
                 if path not in (PACKAGE / "cli.py", PACKAGE / "__init__.py")
                 and "municipal.cli" in set(imported_modules(path))]
    assert offenders == []
