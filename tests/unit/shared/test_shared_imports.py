"""shared/ is the code every service uses: it knows no service, no wiring
(stack/) and no gateway, so a service can be read, tested and deployed
without the others. Checked on the source (AST), including imports inside
functions."""
import ast
from pathlib import Path

from shared.settings import REPO_ROOT

FORBIDDEN = ("services", "stack", "gateway", "tests", "tools")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def forbidden_imports(root: Path) -> list[str]:
    return [
        f"{path.relative_to(REPO_ROOT)}:{line} imports {module}"
        for path in sorted(root.rglob("*.py"))
        for line, module in imported_modules(path)
        if module.split(".")[0] in FORBIDDEN
    ]


def test_shared_imports_nothing_from_services_stack_or_gateway():
    assert forbidden_imports(REPO_ROOT / "shared") == []


def test_the_check_sees_an_import_hidden_in_a_function(tmp_path):
    (tmp_path / "module.py").write_text(
        "import json\n\ndef later():\n    from services.posts import handlers\n    return handlers\n"
    )
    found = [m for _, m in imported_modules(tmp_path / "module.py")]
    assert found == ["json", "services.posts"]
