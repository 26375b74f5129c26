async def test_expense_roundtrip(client, alice):
    created = await client.post(
        "/api/expenses/", headers=alice, json={"category": "food", "amount": "4.50"}
    )
    assert created.status_code == 201, created.text
    listed = await client.get("/api/expenses/", headers=alice)
    assert listed.json()[0]["amount"] == 4.5
