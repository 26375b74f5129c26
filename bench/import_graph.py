"""Which top-level package imports which (core, api, bot, scheduler, storage, finbot).

    python -m bench.import_graph [ROOT]

Prints one line per package: the packages it imports, each with the files that do.
tests/finbot/test_imports.py holds the rule (DESIGN.md rule 12) against this graph.
"""

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGES = ("core", "api", "bot", "scheduler", "storage", "finbot")


def graph(root: Path) -> dict[str, dict[str, set[str]]]:
    """package -> imported package -> the files (relative to root) that import it.
    Imports inside functions count too: a lazy import is still an arrow."""
    edges: dict[str, dict[str, set[str]]] = {p: defaultdict(set) for p in PACKAGES}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in PACKAGES and top != package:
                        edges[package][top].add(str(path.relative_to(root)))
    return edges


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    for package, targets in graph(root).items():
        arrows = ", ".join(
            f"{target} ({len(files)} file{'s' if len(files) != 1 else ''})"
            for target, files in sorted(targets.items())
        )
        print(f"{package:<9} -> {arrows or 'nothing'}")


if __name__ == "__main__":
    main()
