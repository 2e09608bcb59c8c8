"""A digest of some modules' source and of every repo module they import, transitively.

Read from the files (imports found with `ast`, nothing executed), so every process running
the same checkout gets the same digest whatever else it has imported: several worker
processes of one release must agree on their Worker Deployment Version (worker_deployment.py).
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _module_file(name: str, root: Path) -> Path | None:
    """The repo file of module `name` (`a.b` -> a/b.py or a/b/__init__.py), if it has one."""
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_names(tree: ast.AST, module: str, is_package: bool) -> set[str]:
    """Every module name an import statement of `module` may refer to (the repo files among
    them are kept by the caller; `from pkg import name` may name a submodule)."""
    names: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                anchor = ".".join(parts[: len(parts) - (node.level - 1)])
                base = f"{anchor}.{node.module}" if node.module else anchor
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def code_digest(modules: Iterable[str], root: Path = REPO, length: int = 12) -> str:
    """Hex digest (first `length` characters of SHA-256) over the path and bytes of each
    module's file and of the repo files it imports, transitively; third-party imports are
    not followed."""
    seen: dict[str, Path] = {}
    todo = list(modules)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _module_file(name, root)
        if path is None:
            continue
        seen[name] = path
        tree = ast.parse(path.read_bytes(), filename=str(path))
        todo.extend(_imported_names(tree, name, path.name == "__init__.py"))
    digest = hashlib.sha256()
    for path in sorted(set(seen.values())):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:length]
