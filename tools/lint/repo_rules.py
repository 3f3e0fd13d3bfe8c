"""Repository rules that no off-the-shelf linter knows (run by scripts/lint.sh).

1. No source file longer than MAX_LINES unless tools/lint/long-files.txt names it with a reason.
2. The compiled extension `kubeflow.trainer._core` is imported only by the Kubernetes backend,
   so `import kubeflow.trainer` and the local backend never load it.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 500
SOURCE_SUFFIXES = {".py", ".pyi", ".cpp", ".hpp", ".h", ".sh", ".go", ".cmake"}
LONG_FILES = REPO_ROOT / "tools" / "lint" / "long-files.txt"
PACKAGE = REPO_ROOT / "python" / "kubeflow"
CORE_IMPORTERS = PACKAGE / "trainer" / "backends" / "kubernetes"


def tracked_files() -> list[Path]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO_ROOT, check=True, capture_output=True
    ).stdout.decode()
    return [REPO_ROOT / p for p in out.split("\0") if p]


def allowed_long_files() -> dict[str, str]:
    """path -> reason, from `path: reason` lines (blank lines and # comments ignored)."""
    allowed: dict[str, str] = {}
    for raw in LONG_FILES.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        path, sep, reason = line.partition(":")
        if not sep or not reason.strip():
            raise SystemExit(f"{LONG_FILES}: '{raw}' needs the form 'path: reason'")
        allowed[path.strip()] = reason.strip()
    return allowed


def long_file_problems(files: list[Path]) -> list[str]:
    allowed = allowed_long_files()
    problems = []
    seen = set()
    for f in files:
        if f.suffix not in SOURCE_SUFFIXES or not f.is_file():
            continue
        rel = f.relative_to(REPO_ROOT).as_posix()
        lines = len(f.read_text(errors="replace").splitlines())
        if lines > MAX_LINES:
            seen.add(rel)
            if rel not in allowed:
                problems.append(
                    f"{rel}: {lines} lines (> {MAX_LINES}); split it, or list it "
                    f"with a reason in {LONG_FILES.relative_to(REPO_ROOT)}"
                )
    problems += [
        f"{LONG_FILES.relative_to(REPO_ROOT)}: {p} is listed but not over "
        f"{MAX_LINES} lines (or gone); remove the line"
        for p in allowed
        if p not in seen
    ]
    return problems


def imports_core(tree: ast.AST, module_parts: list[str]) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(a.name.endswith("._core") or a.name == "_core" for a in node.names):
                return True
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # resolve the relative import against the importing module
                parent = module_parts[: len(module_parts) - node.level]
                base = ".".join(parent + ([base] if base else []))
            names_core = base.endswith("_core") or any(a.name == "_core" for a in node.names)
            if names_core and (base.startswith("kubeflow.trainer") or base.endswith("._core")):
                return True
    return False


def core_import_problems(files: list[Path]) -> list[str]:
    problems = []
    for f in files:
        if f.suffix != ".py" or PACKAGE not in f.parents or CORE_IMPORTERS in f.parents:
            continue
        parts = list(f.relative_to(PACKAGE.parent).with_suffix("").parts)
        if imports_core(ast.parse(f.read_text(), str(f)), parts):
            problems.append(
                f"{f.relative_to(REPO_ROOT)}: imports kubeflow.trainer._core; only "
                f"{CORE_IMPORTERS.relative_to(REPO_ROOT)}/ may"
            )
    return problems


def main() -> int:
    files = tracked_files()
    problems = long_file_problems(files) + core_import_problems(files)
    for p in problems:
        print(f"repo rules: {p}", file=sys.stderr)
    print(f"repo rules: {len(files)} files checked, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
