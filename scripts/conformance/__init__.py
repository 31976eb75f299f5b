"""The differential test against the official LangGraph server (`langgraph dev`).

`scripts/compare_official.py` is the command; this package holds its parts:

* `official_venv` — the scratch virtualenv holding the official server (run, never copied:
  its code is Elastic-licensed);
* `servers` — starting both servers on copies of the same graphs directory;
* `recording` — `Target`, through which a scenario sends identical HTTP and SDK calls to one
  server and records every exchange;
* `sse` — parsing raw event-stream bytes into frames and framing facts;
* `normalize` — stable placeholders for ids, times and server URLs;
* `compare` — exchange-by-exchange differences;
* `deliberate` — the short list of differences we keep on purpose;
* `scenarios/` — what is driven, one module per area of the API;
* `runner` and `report` — running the scenarios on both servers and printing the result.
"""
