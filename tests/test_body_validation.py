"""Bad request bodies answer exactly what the official server answers (langgraph-api
0.16.7, observed on the wire with these very bodies): a 422 whose detail is jsonschema-rs's
text for the schema the route declares (protocol/bodies.py), naming the failing keyword,
where it is in the schema (`schema["components"]["schemas"][...]` behind a `$ref`) and where
in the body. A body that is no JSON at all is `Invalid JSON in request body`. Where the
official server answers a 500 or takes nonsense, threadloom does the sensible thing: the
tests at the end say so."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from threadloom.protocol.bodies import official_text

# (method, path, body, the official server's 422 detail); {tid}, {aid}, {cid}: a thread,
# an assistant and a cron that exist
OFFICIAL_422 = [
    ('POST', '/threads', {'metadata': 'x'},
     '"x" is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]\n\nOn instance["metadata"]:\n    "x"'),
    ('POST', '/threads', {'if_exists': 'x'},
     '"x" is not one of "raise" or "do_nothing"\n\nFailed validating "enum" in schema["properties"]["if_exists"]\n\nOn instance["if_exists"]:\n    "x"'),
    ('POST', '/threads', {'thread_id': 3},
     '3 is not of type "string"\n\nFailed validating "type" in schema["properties"]["thread_id"]\n\nOn instance["thread_id"]:\n    3'),
    ('POST', '/threads', {'supersteps': ['x']},
     '"x" is not of type "object"\n\nFailed validating "type" in schema["properties"]["supersteps"]["items"]\n\nOn instance["supersteps"][0]:\n    "x"'),
    ('POST', '/threads', {'supersteps': [{}]},
     '"updates" is a required property\n\nFailed validating "required" in schema["properties"]["supersteps"]["items"]\n\nOn instance["supersteps"][0]:\n    {}'),
    ('POST', '/threads', {'supersteps': [{'updates': [{}]}]},
     '"as_node" is a required property\n\nFailed validating "required" in schema["components"]["schemas"]["ThreadSuperstepUpdate"]\n\nOn instance["supersteps"][0]["updates"][0]:\n    {}'),
    ('POST', '/threads', {'supersteps': [{'updates': [{'as_node': 'x', 'values': 3}]}]},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["components"]["schemas"]["ThreadSuperstepUpdate"]["properties"]["values"]\n\nOn instance["supersteps"][0]["updates"][0]["values"]:\n    3'),
    ('POST', '/threads', {'ttl': {'strategy': 'nope'}},
     '"nope" is not one of "delete" or "keep_latest"\n\nFailed validating "enum" in schema["properties"]["ttl"]["properties"]["strategy"]\n\nOn instance["ttl"]["strategy"]:\n    "nope"'),
    ('PATCH', '/threads/{tid}', {'metadata': 3},
     '3 is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]\n\nOn instance["metadata"]:\n    3'),
    ('POST', '/threads/search', {'select': ['x']},
     '"x" is not one of "thread_id", "created_at" or 7 other candidates\n\nFailed validating "enum" in schema["properties"]["select"]["items"]\n\nOn instance["select"][0]:\n    "x"'),
    ('POST', '/threads/search', {'select': ['error']},
     '"error" is not one of "thread_id", "created_at" or 7 other candidates\n\nFailed validating "enum" in schema["properties"]["select"]["items"]\n\nOn instance["select"][0]:\n    "error"'),
    ('POST', '/threads/search', {'status': 'x'},
     '"x" is not one of "idle", "busy" or 2 other candidates\n\nFailed validating "enum" in schema["properties"]["status"]\n\nOn instance["status"]:\n    "x"'),
    ('POST', '/threads/search', {'sort_by': 'x'},
     '"x" is not one of "thread_id", "status" or 3 other candidates\n\nFailed validating "enum" in schema["properties"]["sort_by"]\n\nOn instance["sort_by"]:\n    "x"'),
    ('POST', '/threads/search', {'sort_order': 'x'},
     '"x" is not one of "asc" or "desc"\n\nFailed validating "enum" in schema["properties"]["sort_order"]\n\nOn instance["sort_order"]:\n    "x"'),
    ('POST', '/threads/search', {'limit': -1},
     '-1 is less than the minimum of 1\n\nFailed validating "minimum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    -1'),
    ('POST', '/threads/search', {'limit': 1001},
     '1001 is greater than the maximum of 1000\n\nFailed validating "maximum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    1001'),
    ('POST', '/threads/search', {'offset': -1},
     '-1 is less than the minimum of 0\n\nFailed validating "minimum" in schema["properties"]["offset"]\n\nOn instance["offset"]:\n    -1'),
    ('POST', '/threads/search', {'extract': {'0': 'values', '1': 'values', '2': 'values', '3': 'values', '4': 'values', '5': 'values', '6': 'values', '7': 'values', '8': 'values', '9': 'values', '10': 'values'}},
     '{"0":"values","1":"values","10":"values","2":"values","3":"values","4":"values","5":"values","6":"values","7":"values","8":"values","9":"values"} has more than 10 properties\n\nFailed validating "maxProperties" in schema["properties"]["extract"]\n\nOn instance["extract"]:\n    {"0":"values","1":"values","10":"values","2":"values","3":"values","4":"values","5":"values","6":"values","7":"values","8":"values","9":"values"}'),
    ('POST', '/threads/count', {'status': 'x'},
     '"x" is not one of "idle", "busy" or 2 other candidates\n\nFailed validating "enum" in schema["properties"]["status"]\n\nOn instance["status"]:\n    "x"'),
    ('POST', '/threads/prune', {},
     '"thread_ids" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {}'),
    ('POST', '/threads/prune', {'thread_ids': [], 'strategy': 'x'},
     '"x" is not one of "delete" or "keep_latest"\n\nFailed validating "enum" in schema["properties"]["strategy"]\n\nOn instance["strategy"]:\n    "x"'),
    ('POST', '/threads/{tid}/state', {'values': 3},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["values"]\n\nOn instance["values"]:\n    3'),
    ('POST', '/threads/{tid}/state', {'values': {'count': 1}, 'as_node': 3},
     '3 is not of type "string"\n\nFailed validating "type" in schema["properties"]["as_node"]\n\nOn instance["as_node"]:\n    3'),
    ('POST', '/threads/{tid}/state/checkpoint', {},
     '"checkpoint" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {}'),
    ('POST', '/threads/{tid}/history', {'limit': 0},
     '0 is less than the minimum of 1\n\nFailed validating "minimum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    0'),
    ('POST', '/threads/{tid}/history', {'limit': 1001},
     '1001 is greater than the maximum of 1000\n\nFailed validating "maximum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    1001'),
    ('POST', '/threads/{tid}/history', {'before': 'abc'},
     '"abc" is not of type "object"\n\nFailed validating "type" in schema["components"]["schemas"]["CheckpointConfig"]\n\nOn instance["before"]:\n    "abc"'),
    ('POST', '/threads/{tid}/history', {'checkpoint': {'checkpoint_ns': 3}},
     '3 is not of type "string"\n\nFailed validating "type" in schema["components"]["schemas"]["CheckpointConfig"]["properties"]["checkpoint_ns"]\n\nOn instance["checkpoint"]["checkpoint_ns"]:\n    3'),
    ('POST', '/assistants', {'name': 'x'},
     '"graph_id" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {"name":"x"}'),
    ('POST', '/assistants', {'graph_id': 'counter', 'description': 3},
     '3 is not of types "null", "string"\n\nFailed validating "type" in schema["properties"]["description"]\n\nOn instance["description"]:\n    3'),
    ('POST', '/assistants', {'graph_id': 'counter', 'if_exists': 'x'},
     '"x" is not one of "raise" or "do_nothing"\n\nFailed validating "enum" in schema["properties"]["if_exists"]\n\nOn instance["if_exists"]:\n    "x"'),
    ('PATCH', '/assistants/{aid}', {'description': None},
     'null is not of type "string"\n\nFailed validating "type" in schema["properties"]["description"]\n\nOn instance["description"]:\n    null'),
    ('POST', '/assistants/search', {'sort_by': 'x'},
     '"x" is not one of "assistant_id", "created_at" or 3 other candidates\n\nFailed validating "enum" in schema["properties"]["sort_by"]\n\nOn instance["sort_by"]:\n    "x"'),
    ('POST', '/assistants/search', {'select': ['x']},
     '"x" is not one of "assistant_id", "graph_id" or 8 other candidates\n\nFailed validating "enum" in schema["properties"]["select"]["items"]\n\nOn instance["select"][0]:\n    "x"'),
    ('POST', '/assistants/search', {'limit': -1},
     '-1 is less than the minimum of 1\n\nFailed validating "minimum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    -1'),
    ('POST', '/assistants/count', {'name': 3},
     '3 is not of type "string"\n\nFailed validating "type" in schema["properties"]["name"]\n\nOn instance["name"]:\n    3'),
    ('POST', '/assistants/{aid}/versions', {'limit': -1},
     '-1 is less than the minimum of 1\n\nFailed validating "minimum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    -1'),
    ('POST', '/assistants/{aid}/versions', {'offset': -1},
     '-1 is less than the minimum of 0\n\nFailed validating "minimum" in schema["properties"]["offset"]\n\nOn instance["offset"]:\n    -1'),
    ('POST', '/assistants/{aid}/latest', {'version': 'x'},
     '"x" is not of type "integer"\n\nFailed validating "type" in schema["properties"]["version"]\n\nOn instance["version"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'input': {}},
     '"assistant_id" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {"input":{}}'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 3},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["assistant_id"]\n\nOn instance["assistant_id"]:\n    3'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'multitask_strategy': 'x'},
     '"x" is not one of "reject", "rollback" or 2 other candidates\n\nFailed validating "enum" in schema["properties"]["multitask_strategy"]\n\nOn instance["multitask_strategy"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'if_not_exists': 'x'},
     '"x" is not one of "create" or "reject"\n\nFailed validating "enum" in schema["properties"]["if_not_exists"]\n\nOn instance["if_not_exists"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'interrupt_before': 3},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["interrupt_before"]\n\nOn instance["interrupt_before"]:\n    3'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'after_seconds': 'x'},
     '"x" is not of type "number"\n\nFailed validating "type" in schema["properties"]["after_seconds"]\n\nOn instance["after_seconds"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'durability': 'x'},
     '"x" is not one of "sync", "async" or "exit"\n\nFailed validating "enum" in schema["properties"]["durability"]\n\nOn instance["durability"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'command': 'x'},
     '"x" is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["command"]\n\nOn instance["command"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'checkpoint': 'x'},
     '"x" is not of type "object"\n\nFailed validating "type" in schema["properties"]["checkpoint"]\n\nOn instance["checkpoint"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs', {'assistant_id': 'counter', 'metadata': 'x', 'multitask_strategy': 'nope'},
     '"x" is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]\n\nOn instance["metadata"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs/stream', {'input': {}},
     '"assistant_id" is a required property\n\nFailed validating "required" in schema["components"]["schemas"]["RunCreateStateful"]\n\nOn instance:\n    {"input":{}}'),
    ('POST', '/threads/{tid}/runs/stream', {'assistant_id': 'counter', 'stream_mode': 'bogus'},
     '"bogus" is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["components"]["schemas"]["RunCreateStateful"]["properties"]["stream_mode"]\n\nOn instance["stream_mode"]:\n    "bogus"'),
    ('POST', '/threads/{tid}/runs/stream', {'assistant_id': 'counter', 'stream_mode': ['lifecycle']},
     '["lifecycle"] is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["components"]["schemas"]["RunCreateStateful"]["properties"]["stream_mode"]\n\nOn instance["stream_mode"]:\n    ["lifecycle"]'),
    ('POST', '/threads/{tid}/runs/stream', {'assistant_id': 'counter', 'on_disconnect': 'nope'},
     '"nope" is not one of "cancel" or "continue"\n\nFailed validating "enum" in schema["allOf"][1]["properties"]["on_disconnect"]\n\nOn instance["on_disconnect"]:\n    "nope"'),
    ('POST', '/threads/{tid}/runs/wait', {'assistant_id': 'counter', 'config': {'tags': 'x'}},
     '"x" is not of type "array"\n\nFailed validating "type" in schema["components"]["schemas"]["RunCreateStateful"]["properties"]["config"]["properties"]["tags"]\n\nOn instance["config"]["tags"]:\n    "x"'),
    ('POST', '/threads/{tid}/runs/wait', {'assistant_id': 'counter', 'checkpoint': {'checkpoint_id': 3}},
     '3 is not of type "string"\n\nFailed validating "type" in schema["components"]["schemas"]["CheckpointConfig"]["properties"]["checkpoint_id"]\n\nOn instance["checkpoint"]["checkpoint_id"]:\n    3'),
    ('POST', '/threads/{tid}/runs/wait', {'assistant_id': 'counter', 'command': {'goto': 3}},
     '{"goto":3} is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["components"]["schemas"]["RunCreateStateful"]["properties"]["command"]\n\nOn instance["command"]:\n    {"goto":3}'),
    ('POST', '/runs', {'assistant_id': 'counter', 'on_completion': 'x'},
     '"x" is not one of "delete" or "keep"\n\nFailed validating "enum" in schema["properties"]["on_completion"]\n\nOn instance["on_completion"]:\n    "x"'),
    ('POST', '/runs/stream', {'input': {}},
     '"assistant_id" is a required property\n\nFailed validating "required" in schema["components"]["schemas"]["RunCreateStateless"]\n\nOn instance:\n    {"input":{}}'),
    ('POST', '/runs/stream', {'assistant_id': 'counter', 'stream_mode': 'bogus'},
     '"bogus" is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["components"]["schemas"]["RunCreateStateless"]["properties"]["stream_mode"]\n\nOn instance["stream_mode"]:\n    "bogus"'),
    ('POST', '/runs/wait', {'assistant_id': 'counter', 'on_disconnect': 'x'},
     '"x" is not one of "cancel" or "continue"\n\nFailed validating "enum" in schema["allOf"][1]["properties"]["on_disconnect"]\n\nOn instance["on_disconnect"]:\n    "x"'),
    ('POST', '/runs/batch', [{'input': {}}],
     '"assistant_id" is a required property\n\nFailed validating "required" in schema["components"]["schemas"]["RunCreateStateless"]\n\nOn instance[0]:\n    {"input":{}}'),
    ('POST', '/runs/batch', [{'assistant_id': 'counter'}, {'assistant_id': 'counter', 'on_completion': 'nope'}],
     '"nope" is not one of "delete" or "keep"\n\nFailed validating "enum" in schema["components"]["schemas"]["RunCreateStateless"]["properties"]["on_completion"]\n\nOn instance[1]["on_completion"]:\n    "nope"'),
    ('POST', '/runs/batch', [3],
     '3 is not of type "object"\n\nFailed validating "type" in schema["components"]["schemas"]["RunCreateStateless"]\n\nOn instance[0]:\n    3'),
    ('POST', '/runs/cancel', {'status': 'x'},
     '"x" is not one of "pending", "running" or "all"\n\nFailed validating "enum" in schema["properties"]["status"]\n\nOn instance["status"]:\n    "x"'),
    ('POST', '/runs/cancel', {},
     '{} is not valid under any of the schemas listed in the \'oneOf\' keyword\n\nFailed validating "oneOf" in schema\n\nOn instance:\n    {}'),
    ('POST', '/runs/cancel', {'status': 'all', 'thread_id': '00000000-0000-4000-8000-000000000000', 'run_ids': []},
     '{"run_ids":[],"status":"all","thread_id":"00000000-0000-4000-8000-000000000000"} is valid under more than one of the schemas listed in the \'oneOf\' keyword\n\nFailed validating "oneOf" in schema\n\nOn instance:\n    {"run_ids":[],"status":"all","thread_id":"00000000-0000-4000-8000-000000000000"}'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': 3},
     '3 is not of type "string"\n\nFailed validating "type" in schema["properties"]["schedule"]\n\nOn instance["schedule"]:\n    3'),
    ('POST', '/runs/crons', {'assistant_id': 3, 'schedule': '0 0 1 1 *'},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["assistant_id"]\n\nOn instance["assistant_id"]:\n    3'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'input': 3},
     '3 is not valid under any of the schemas listed in the \'anyOf\' keyword\n\nFailed validating "anyOf" in schema["properties"]["input"]\n\nOn instance["input"]:\n    3'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'on_run_completed': 'x'},
     '"x" is not one of "delete" or "keep"\n\nFailed validating "enum" in schema["properties"]["on_run_completed"]\n\nOn instance["on_run_completed"]:\n    "x"'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'enabled': 'x'},
     '"x" is not of type "boolean"\n\nFailed validating "type" in schema["properties"]["enabled"]\n\nOn instance["enabled"]:\n    "x"'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'end_time': 3},
     '3 is not of type "string"\n\nFailed validating "type" in schema["properties"]["end_time"]\n\nOn instance["end_time"]:\n    3'),
    ('POST', '/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'timezone': None},
     'null is not of type "string"\n\nFailed validating "type" in schema["properties"]["timezone"]\n\nOn instance["timezone"]:\n    null'),
    ('POST', '/threads/{tid}/runs/crons', {'assistant_id': 'counter', 'schedule': '0 0 1 1 *', 'multitask_strategy': 'x'},
     '"x" is not one of "reject", "rollback" or 2 other candidates\n\nFailed validating "enum" in schema["properties"]["multitask_strategy"]\n\nOn instance["multitask_strategy"]:\n    "x"'),
    ('POST', '/runs/crons/search', {'select': ['x']},
     '"x" is not one of "cron_id", "assistant_id" or 12 other candidates\n\nFailed validating "enum" in schema["properties"]["select"]["items"]\n\nOn instance["select"][0]:\n    "x"'),
    ('POST', '/runs/crons/search', {'sort_by': 'x'},
     '"x" is not one of "cron_id", "assistant_id" or 5 other candidates\n\nFailed validating "enum" in schema["properties"]["sort_by"]\n\nOn instance["sort_by"]:\n    "x"'),
    ('POST', '/runs/crons/search', {'limit': -1},
     '-1 is less than the minimum of 1\n\nFailed validating "minimum" in schema["properties"]["limit"]\n\nOn instance["limit"]:\n    -1'),
    ('POST', '/runs/crons/count', {'metadata': 3},
     '3 is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]\n\nOn instance["metadata"]:\n    3'),
    ('PATCH', '/runs/crons/{cid}', {'enabled': False, 'end_time': 3},
     '3 is not of types "null", "string"\n\nFailed validating "type" in schema["properties"]["end_time"]\n\nOn instance["end_time"]:\n    3'),
    ('PATCH', '/runs/crons/{cid}', {'enabled': False, 'metadata': None},
     'null is not of type "object"\n\nFailed validating "type" in schema["properties"]["metadata"]\n\nOn instance["metadata"]:\n    null'),
    ('PATCH', '/runs/crons/{cid}', {'enabled': False, 'on_run_completed': 'x'},
     '"x" is not one of "delete" or "keep"\n\nFailed validating "enum" in schema["properties"]["on_run_completed"]\n\nOn instance["on_run_completed"]:\n    "x"'),
    ('PUT', '/store/items', {},
     '"namespace" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {}'),
    ('PUT', '/store/items', {'namespace': ['p'], 'key': 'k'},
     '"value" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {"key":"k","namespace":["p"]}'),
    ('PUT', '/store/items', {'namespace': ['p'], 'key': 'k', 'value': 3},
     '3 is not of type "object"\n\nFailed validating "type" in schema["properties"]["value"]\n\nOn instance["value"]:\n    3'),
    ('PUT', '/store/items', {'namespace': ['p'], 'key': 'k', 'value': {}, 'index': True},
     'true is not valid under any of the schemas listed in the \'oneOf\' keyword\n\nFailed validating "oneOf" in schema["properties"]["index"]\n\nOn instance["index"]:\n    true'),
    ('PUT', '/store/items', {'namespace': ['p'], 'key': 'k', 'value': {}, 'ttl': 'x'},
     '"x" is not of types "null", "number"\n\nFailed validating "type" in schema["properties"]["ttl"]\n\nOn instance["ttl"]:\n    "x"'),
    ('DELETE', '/store/items', {'namespace': ['p']},
     '"key" is a required property\n\nFailed validating "required" in schema\n\nOn instance:\n    {"namespace":["p"]}'),
    ('POST', '/store/items/search', {'namespace_prefix': 'x'},
     '"x" is not of types "array", "null"\n\nFailed validating "type" in schema["properties"]["namespace_prefix"]\n\nOn instance["namespace_prefix"]:\n    "x"'),
    ('POST', '/store/items/search', {'namespace_prefix': ['p'], 'filter': 3},
     '3 is not of types "null", "object"\n\nFailed validating "type" in schema["properties"]["filter"]\n\nOn instance["filter"]:\n    3'),
    ('POST', '/store/items/search', {'namespace_prefix': ['p'], 'query': 3},
     '3 is not of types "null", "string"\n\nFailed validating "type" in schema["properties"]["query"]\n\nOn instance["query"]:\n    3'),
    ('POST', '/store/items/search', {'namespace_prefix': ['p'], 'refresh_ttl': 3},
     '3 is not of types "boolean", "null"\n\nFailed validating "type" in schema["properties"]["refresh_ttl"]\n\nOn instance["refresh_ttl"]:\n    3'),
    ('POST', '/store/namespaces', {'max_depth': 'x'},
     '"x" is not of type "integer"\n\nFailed validating "type" in schema["properties"]["max_depth"]\n\nOn instance["max_depth"]:\n    "x"'),
    ('POST', '/store/namespaces', {'prefix': 'x'},
     '"x" is not of type "array"\n\nFailed validating "type" in schema["properties"]["prefix"]\n\nOn instance["prefix"]:\n    "x"'),
    ("POST", "/threads/{tid}/runs", {"assistant_id": "counter", "webhook": ""},
     '"" is shorter than 1 character\n\nFailed validating "minLength" in schema["properties"]["webhook"]\n\nOn instance["webhook"]:\n    ""'),
]
# bodies that are no JSON object, as bytes
OFFICIAL_RAW_422 = [
    ("POST", "/threads", b"", "Invalid JSON in request body"),
    ("POST", "/threads/search", b"{bad", "Invalid JSON in request body"),
    ("POST", "/runs/crons", b'{"limit": 1e400}', "Invalid JSON in request body"),
    ("PUT", "/store/items", b"[" * 5000 + b"]" * 5000, "Invalid JSON in request body"),
    ("POST", "/threads", b"[]", '[] is not of type "object"\n\nFailed validating "type" in schema\n\nOn instance:\n    []'),
    ("POST", "/assistants/{aid}/latest", b"null",
     'null is not of type "object"\n\nFailed validating "type" in schema\n\nOn instance:\n    null'),
    ("POST", "/threads/{tid}/runs/wait", b"[]",
     '[] is not of type "object"\n\nFailed validating "type" in schema["components"]["schemas"]["RunCreateStateful"]'
     '\n\nOn instance:\n    []'),
    ("POST", "/runs/stream", b"null",
     'null is not of type "object"\n\nFailed validating "type" in schema["components"]["schemas"]["RunCreateStateless"]'
     '\n\nOn instance:\n    null'),
    ("POST", "/runs/batch", b"[]", '[] has less than 1 item\n\nFailed validating "minItems" in schema\n\nOn instance:\n    []'),
    ("POST", "/runs/batch", b"null", 'null is not of type "array"\n\nFailed validating "type" in schema\n\nOn instance:\n    null'),
]


class Api:
    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session, self.url = session, url
        self.ids: dict[str, str] = {}

    async def send(self, method: str, path: str, raw: bytes) -> tuple[int, Any]:
        headers = {"Content-Type": "application/json"}
        async with self.session.request(method, self.url + path.format(**self.ids), data=raw, headers=headers) as resp:
            return resp.status, await resp.json()

    async def snapshot(self) -> Any:
        return [await self.send(m, p, json.dumps(b).encode()) for m, p, b in (
            ("POST", "/threads/search", {"limit": 1000}), ("POST", "/assistants/search", {"limit": 1000}),
            ("POST", "/runs/crons/search", {"limit": 1000}), ("POST", "/store/items/search", {"namespace_prefix": []}),
            ("GET", "/threads/{tid}/runs", None),
        )]


@pytest.fixture
async def api(url: str) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        api = Api(session, url)
        _, thread = await api.send("POST", "/threads", b"{}")
        _, assistant = await api.send("POST", "/assistants", b'{"graph_id": "counter"}')
        _, cron = await api.send("POST", "/runs/crons", b'{"assistant_id": "counter", "schedule": "0 0 1 1 *"}')
        api.ids = {"tid": thread["thread_id"], "aid": assistant["assistant_id"], "cid": cron["cron_id"]}
        yield api


async def test_bad_bodies_answer_the_official_422(api: Api) -> None:
    before = await api.snapshot()
    wrong = []
    for method, path, body, detail in OFFICIAL_422:
        answer = await api.send(method, path, json.dumps(body).encode())
        if answer != (422, {"detail": detail}):
            wrong.append(f"{method} {path} {body}: {answer}")
    for method, path, raw, detail in OFFICIAL_RAW_422:
        answer = await api.send(method, path, raw)
        if answer != (422, {"detail": detail}):
            wrong.append(f"{method} {path} {raw[:40]!r}: {answer}")
    assert not wrong, "\n".join(wrong)
    assert await api.snapshot() == before  # nothing was created, changed or run


def test_type_lists_are_named_as_the_official_release_names_them() -> None:
    """jsonschema-rs 0.60 names `null` first in a `type` list; 0.44 (the official server's)
    alphabetically. Only that list is touched."""
    text = '3 is not of types "null", "array"\n\nFailed validating "type" in schema["properties"]["a"]\n\nOn instance["a"]:\n    3'
    assert official_text(text).split("\n")[0] == '3 is not of types "array", "null"'
    assert official_text(text).split("\n", 1)[1] == text.split("\n", 1)[1]
    same = '"null, b" is not of type "object"\n\nFailed validating "type" in schema\n\nOn instance:\n    "null, b"'
    assert official_text(same) == same


# where the official server errs, the sensible thing ------------------------------------------


async def test_a_cron_without_schedule_or_assistant_is_a_422(api: Api) -> None:
    """The official server answers a 500 (its validator skips `required` there)."""
    status, answer = await api.send("POST", "/runs/crons", b'{"assistant_id": "counter"}')
    assert (status, answer["detail"]) == (422, (
        '"schedule" is a required property\n\nFailed validating "required" in schema\n\n'
        'On instance:\n    {"assistant_id":"counter"}'
    ))
    status, answer = await api.send("POST", "/threads/{tid}/runs/crons", b'{"schedule": "0 0 1 1 *"}')
    assert status == 422 and answer["detail"].startswith('"assistant_id" is a required property')


async def test_store_pages_are_bounded(api: Api) -> None:
    """The official server takes `limit: -1` (and answers a 500 or every item) and any
    offset: here the page is 0 to 1000 items from an offset SQLite can hold (deliberate.py)."""
    for path, body in [("/store/items/search", {"namespace_prefix": [], "limit": -1}), ("/store/namespaces", {"limit": -1})]:
        status, answer = await api.send("POST", path, json.dumps(body).encode())
        assert (status, answer["detail"]) == (422, (
            '-1 is less than the minimum of 0\n\nFailed validating "minimum" in schema["properties"]["limit"]'
            '\n\nOn instance["limit"]:\n    -1'
        ))
    status, answer = await api.send("POST", "/store/items/search", b'{"namespace_prefix": [], "offset": 9223372036854775808}')
    assert status == 422 and "is greater than the maximum of 9223372036854775807" in answer["detail"]


async def test_a_bulk_cancel_names_runs_by_id_or_by_status(api: Api) -> None:
    """What the schema's `oneOf` lets through, the route sorts out, with the official texts."""
    missing = "00000000-0000-4000-8000-000000000000"
    cases = [
        ({"status": "all", "run_ids": [missing]}, 422, (
            "When providing a 'status', 'thread_id' and 'run_ids' must be omitted. The 'status' parameter cancels "
            "all runs with the given status, regardless of thread or run ID."
        )),
        ({"status": "pending", "run_ids": []}, 404, "No runs found to cancel."),  # no ids: by status
        ({"thread_id": "nope", "run_ids": [missing]}, 422, "Invalid thread ID: must be a UUID"),
        ({"thread_id": missing, "run_ids": ["nope"]}, 422, "Invalid run ID: must be a UUID"),
    ]
    for body, status, detail in cases:
        assert await api.send("POST", "/runs/cancel", json.dumps(body).encode()) == (status, {"detail": detail}), body


async def test_fields_the_official_server_takes_unlooked_at_are_checked(api: Api) -> None:
    """The official description leaves out some fields its server reads (a run's
    `checkpoint_id`, a stateless run's `interrupt_before`, a cron's `checkpoint_during`): it
    takes anything there (and may answer a 500 later). Here they are in the description, and
    checked like the others; null is "left out" where the official server takes it."""
    cases = [
        ("/threads/{tid}/runs", {"assistant_id": "counter", "checkpoint_id": 3}, "checkpoint_id"),
        ("/runs", {"assistant_id": "counter", "interrupt_before": 3}, "interrupt_before"),
        ("/runs/crons", {"assistant_id": "counter", "schedule": "0 0 1 1 *", "checkpoint_during": "x"}, "checkpoint_during"),
    ]
    for path, body, field in cases:
        status, answer = await api.send("POST", path, json.dumps(body).encode())
        assert status == 422 and f' in schema["properties"]["{field}"]\n' in answer["detail"], answer
    status, _ = await api.send("POST", "/threads/{tid}/runs", b'{"assistant_id": "counter", "checkpoint_id": null}')
    assert status == 200
