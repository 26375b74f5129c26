"""Imports go down only (DESIGN.md rule 12): front doors import core and storage;
core imports no front door and not finbot/; storage imports nothing of ours;
only finbot/ (the composition root) imports the front doors."""

from pathlib import Path

from bench.import_graph import graph

ROOT = Path(__file__).resolve().parents[2]
FRONT_DOORS = {"api", "bot", "scheduler"}


def test_imports_go_down_only() -> None:
    edges = graph(ROOT)
    assert {t: f for t, f in edges["core"].items() if t in FRONT_DOORS | {"finbot"}} == {}
    assert dict(edges["storage"]) == {}
    for door in FRONT_DOORS:
        wrong = {t: f for t, f in edges[door].items() if t in FRONT_DOORS | {"finbot"}}
        assert wrong == {}, f"{door} imports {wrong}"
    assert set(edges["finbot"]) >= FRONT_DOORS  # the root is where they meet


def test_the_graph_sees_lazy_imports(tmp_path: Path) -> None:
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "x.py").write_text("def f():\n    from bot.app import make_bot\n")
    assert graph(tmp_path)["core"] == {"bot": {"core/x.py"}}
