async def test_wait_returns_final_values(client):
    thread = await client.threads.create()
    result = await client.runs.wait(thread["thread_id"], "counter", input={"log": ["start"]})
    assert result == {"log": ["start", "first", "second"], "count": 2}
    thread = await client.threads.get(thread["thread_id"])
    assert thread["status"] == "idle"
    assert thread["values"] == result
