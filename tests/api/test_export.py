"""Issue 13: CSV cells cannot run as formulas, JSON keeps the text, the export streams."""

import asyncio
import csv
import io
import json
import zipfile

from core.export import service as export

FORMULAS = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "plain"]


async def test_csv_neutralises_formulas_and_json_keeps_the_exact_text(client, alice):
    for text in FORMULAS:
        answer = await client.post(
            "/api/expenses/",
            headers=alice,
            json={"category": "food", "amount": 1, "date": "2026-01-02", "description": text},
        )
        assert answer.status_code == 201, answer.text
    await client.post(
        "/api/expenses/", headers=alice, json={"category": "=cmd|' /C calc'!A0", "amount": 2}
    )

    stored = (await client.get("/api/expenses/", headers=alice)).json()
    data = (await client.get("/api/export/?format=json", headers=alice)).json()
    exported = {(e["category"], e["description"]) for e in data["expenses"]}
    assert exported == {(e["category"], e["description"]) for e in stored}
    assert ("food", '=HYPERLINK("http://evil")') in exported
    assert "=cmd|' /C calc'!A0" in {category for category, _ in exported}

    zipped = await client.get("/api/export/?format=csv", headers=alice)
    rows = list(
        csv.DictReader(io.StringIO(zipfile.ZipFile(io.BytesIO(zipped.content)).read(
            "expenses.csv").decode()))
    )  # fmt: skip
    cells = [row["description"] for row in rows] + [row["category"] for row in rows]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert '\'=HYPERLINK("http://evil")' in cells and "'=cmd|' /C calc'!A0" in cells
    assert "plain" in cells
    assert {row["amount"] for row in rows} == {"1.0", "2.0"}  # numbers are not neutralised


def test_a_csv_cell_is_neutralised_only_when_it_could_run():
    assert export.csv_cell("=1+2") == "'=1+2"
    assert export.csv_cell("-5 discount") == "'-5 discount"
    assert export.csv_cell("a=b") == "a=b"
    assert export.csv_cell(-5) == -5
    assert export.csv_cell(["a", "b"]) == "a b"


async def body_messages(app, path: str, headers: dict[str, str]) -> list[bytes]:
    """The body as the app sends it, message by message (httpx would join them)."""
    sent: list[bytes] = []
    requested = False
    finished = asyncio.Event()

    async def receive():
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await finished.wait()  # the client stays until the answer is complete
        return {"type": "http.disconnect"}

    async def send(message):
        if message["type"] == "http.response.body":
            sent.append(message.get("body", b""))

    path, _, query = path.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "server": ("finbot.test", 80), "client": ("127.0.0.1", 1234),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }  # fmt: skip
    await app(scope, receive, send)
    finished.set()
    return [part for part in sent if part]


async def test_the_export_is_streamed_in_batches(app, client, alice, monkeypatch):
    monkeypatch.setattr(export, "BATCH_SIZE", 2)
    for n in range(5):
        await client.post("/api/expenses/", headers=alice, json={"category": f"c{n}", "amount": 1})
    for format_ in ("json", "csv"):
        chunks = await body_messages(app, f"/api/export/?format={format_}", alice)
        assert len(chunks) > 3, format_
        body = b"".join(chunks)
        if format_ == "json":
            categories = [e["category"] for e in json.loads(body)["expenses"]]
            assert sorted(categories) == [f"c{n}" for n in range(5)]
        else:
            archive = zipfile.ZipFile(io.BytesIO(body))
            assert archive.testzip() is None
            assert len(archive.read("expenses.csv").decode().splitlines()) == 6
