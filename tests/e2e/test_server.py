"""`hearth serve` driven by the official `openai` and `ollama` Python clients, on the default
model (SmolLM2-135M-Instruct Q4_1). Greedy outputs are compared with independent paths through
the engine (`hearth run`, the same request alone, the other API), not with stored strings.
"""

from __future__ import annotations

import json
import math
import subprocess
import threading
import urllib.request

import ollama
import openai
import pytest

from conftest import hearth_path
from hearth_server import MODEL_NAME, HearthServer, default_model_path

CHAT = [{"role": "user", "content": "Name three colors."}]


@pytest.fixture(scope="module")
def server():
    server = HearthServer("--model", str(default_model_path()), "--slots", "4")
    yield server
    log = server.stop()
    # The log has one line per request and never the prompt text.
    assert "Name three colors" not in log
    assert "POST /v1/chat/completions 200" in log


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0,
                         timeout=120)


@pytest.fixture(scope="module")
def ollama_client(server):
    return ollama.Client(host=server.url, timeout=120)


def greedy_chat(client, messages=CHAT, **kwargs):
    kwargs.setdefault("max_tokens", 24)
    return client.chat.completions.create(model=MODEL_NAME, messages=messages, temperature=0,
                                          **kwargs)


def test_models_are_listed_by_both_apis(client, ollama_client):
    assert [m.id for m in client.models.list().data] == [MODEL_NAME]
    tags = ollama_client.list()
    assert [m.model for m in tags.models] == [MODEL_NAME]
    assert tags.models[0].size == default_model_path().stat().st_size
    show = ollama_client.show(MODEL_NAME)
    assert show.details.family == "llama"
    assert "im_start" in show.template
    assert ollama_client._client.get("/api/version").json()["version"]


def test_chat_completion_and_usage(client):
    response = greedy_chat(client, max_tokens=8)
    choice = response.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content
    assert choice.finish_reason in ("stop", "length")
    usage = response.usage
    assert 0 < usage.completion_tokens <= 8
    assert usage.prompt_tokens > 5
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    if choice.finish_reason == "length":
        assert usage.completion_tokens == 8


def test_streamed_chat_equals_the_whole_answer(client):
    whole = greedy_chat(client).choices[0].message.content
    stream = client.chat.completions.create(model=MODEL_NAME, messages=CHAT, temperature=0,
                                            max_tokens=24, stream=True,
                                            stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] in ("stop", "length") and all(f is None for f in finishes[:-1])
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens > 0


def test_completion_equals_hearth_run(client):
    prompt = "Once upon a time"
    # --raw: `hearth run` answers as a chat on a model with a template; /v1/completions is plain.
    run = subprocess.run([str(hearth_path()), "run", str(default_model_path()), "--raw", "-p",
                          prompt, "-n", "16", "--temp", "0"], capture_output=True, timeout=120,
                         check=True)
    expected = run.stdout.decode("utf-8")
    response = client.completions.create(model=MODEL_NAME, prompt=prompt, max_tokens=16,
                                         temperature=0)
    assert response.choices[0].text == expected
    streamed = "".join(c.choices[0].text for c in client.completions.create(
        model=MODEL_NAME, prompt=prompt, max_tokens=16, temperature=0, stream=True)
        if c.choices)
    assert streamed == expected


def test_logprobs_describe_the_greedy_choice(client):
    response = greedy_chat(client, max_tokens=8, logprobs=True, top_logprobs=3)
    choice = response.choices[0]
    entries = choice.logprobs.content
    assert "".join(e.token for e in entries) == choice.message.content
    for entry in entries:
        assert len(entry.top_logprobs) == 3
        values = [t.logprob for t in entry.top_logprobs]
        assert values == sorted(values, reverse=True)
        assert all(v <= 0 for v in values)
        # Greedy picks the most likely token (llama.cpp's argmax; ties are near-equal).
        assert entry.logprob == pytest.approx(values[0], abs=1e-4)
        assert sum(math.exp(v) for v in values) <= 1.0 + 1e-4
        assert bytes(entry.bytes) == entry.token.encode("utf-8")


def test_stop_and_max_tokens(client):
    response = greedy_chat(client, max_tokens=3)
    assert response.choices[0].finish_reason == "length"
    assert response.usage.completion_tokens == 3
    full = greedy_chat(client, max_tokens=24).choices[0].message.content
    word = full.split()[1]
    cut = greedy_chat(client, max_tokens=24, stop=[word]).choices[0]
    assert cut.finish_reason == "stop"
    assert cut.message.content == full[:full.index(word)]


def validate(value, schema):
    """The subset of JSON Schema this test's schema uses, checked by hand."""
    kind = schema["type"]
    if kind == "object":
        assert isinstance(value, dict)
        assert set(schema.get("required", [])) <= value.keys()
        for key, sub in schema["properties"].items():
            if key in value:
                validate(value[key], sub)
        if schema.get("additionalProperties") is False:
            assert value.keys() <= schema["properties"].keys()
    elif kind == "array":
        assert isinstance(value, list)
        assert schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value))
        for item in value:
            validate(item, schema["items"])
    elif kind == "string":
        assert isinstance(value, str)
        assert len(value) <= schema.get("maxLength", len(value))
        if "enum" in schema:
            assert value in schema["enum"]
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool)
    elif kind == "boolean":
        assert isinstance(value, bool)


SCHEMA = {"type": "object",
          "properties": {"name": {"type": "string", "maxLength": 30},
                         "age": {"type": "integer"},
                         "color": {"type": "string", "enum": ["red", "green", "blue"]},
                         "pets": {"type": "array", "items": {"type": "string", "maxLength": 20},
                                  "minItems": 1, "maxItems": 3},
                         "happy": {"type": "boolean"}},
          "required": ["name", "age", "color", "pets", "happy"],
          "additionalProperties": False}


def test_json_schema_answer_validates(client):
    response = client.chat.completions.create(
        model=MODEL_NAME, max_tokens=300, temperature=0.7, seed=5,
        messages=[{"role": "user", "content": "Describe a person as JSON."}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "person", "schema": SCHEMA}})
    assert response.choices[0].finish_reason == "stop"
    value = json.loads(response.choices[0].message.content)
    validate(value, SCHEMA)
    # Constrained decoding makes every finished answer parse; a greedy answer cut at max_tokens
    # is cut JSON, as with any engine, so the prompt asks for a short object and the test
    # first checks that the answer finished.
    obj = client.chat.completions.create(
        model=MODEL_NAME, max_tokens=100, temperature=0,
        messages=[{"role": "user",
                   "content": "Give me a JSON object with a name and an age, nothing more."}],
        response_format={"type": "json_object"})
    assert obj.choices[0].finish_reason == "stop", obj.choices[0].message.content
    assert isinstance(json.loads(obj.choices[0].message.content), dict)


WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}


def test_tool_call_round_trip(client):
    messages = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=60,
                                           temperature=0, tools=[WEATHER_TOOL],
                                           tool_choice="required")
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    assert isinstance(arguments["city"], str)
    assert call.id.startswith("call_")
    messages.append(choice.message.model_dump(exclude_none=True))
    messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny, 24 C"})
    second = client.chat.completions.create(model=MODEL_NAME, messages=messages, max_tokens=30,
                                            temperature=0, tools=[WEATHER_TOOL])
    assert second.choices[0].finish_reason in ("stop", "length", "tool_calls")
    assert second.choices[0].message.content or second.choices[0].message.tool_calls
    assert second.usage.prompt_tokens > first.usage.prompt_tokens


def test_same_seed_same_answer_and_n_choices(client):
    def sample(seed, n=1):
        return client.chat.completions.create(model=MODEL_NAME, messages=CHAT, max_tokens=16,
                                              temperature=1.0, seed=seed, n=n)
    a = sample(1234).choices[0].message.content
    assert sample(1234).choices[0].message.content == a
    # n choices use seeds seed, seed+1, ...: each equals that seed's answer alone.
    both = sample(1234, n=2)
    assert [c.index for c in both.choices] == [0, 1]
    assert both.choices[0].message.content == a
    assert both.choices[1].message.content == sample(1235).choices[0].message.content


def test_ollama_chat_generate_and_embed(client, ollama_client):
    expected = greedy_chat(client, max_tokens=16).choices[0].message.content
    options = {"temperature": 0, "num_predict": 16}
    reply = ollama_client.chat(model=MODEL_NAME, messages=CHAT, options=options, stream=False)
    assert reply.message.content == expected
    assert reply.done and reply.eval_count > 0 and reply.prompt_eval_count > 0
    streamed = list(ollama_client.chat(model=MODEL_NAME, messages=CHAT, options=options,
                                       stream=True))
    assert "".join(part.message.content for part in streamed) == expected
    assert streamed[-1].done and streamed[-1].done_reason in ("stop", "length")
    raw = ollama_client.generate(model=MODEL_NAME, prompt="Once upon a time", raw=True,
                                 options=options)
    completion = client.completions.create(model=MODEL_NAME, prompt="Once upon a time",
                                           max_tokens=16, temperature=0)
    assert raw.response == completion.choices[0].text
    embedded = ollama_client.embed(model=MODEL_NAME, input=["hello", "goodbye"])
    assert len(embedded.embeddings) == 2
    for vector in embedded.embeddings:
        assert sum(x * x for x in vector) == pytest.approx(1.0, abs=1e-3)


def test_openai_embeddings(client):
    data = client.embeddings.create(model=MODEL_NAME, input=["a cat", "a cat", "stock prices"])
    vectors = [d.embedding for d in data.data]
    assert len(vectors[0]) == 576  # SmolLM2-135M's n_embd
    assert vectors[0] == vectors[1]
    dot = sum(x * y for x, y in zip(vectors[0], vectors[2]))
    assert dot < 0.9999
    assert data.usage.prompt_tokens > 0


def test_concurrent_streams_each_get_their_lone_output(client):
    prompts = [f"Write one sentence about the number {i}." for i in range(8)]

    def run(prompt):
        stream = client.chat.completions.create(
            model=MODEL_NAME, messages=[{"role": "user", "content": prompt}], temperature=0,
            max_tokens=20, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)

    alone = [run(p) for p in prompts]
    together: list[str | None] = [None] * 8
    errors: list[BaseException] = []

    def worker(i):
        try:
            together[i] = run(prompts[i])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    assert together == alone


def test_metrics_count_requests_and_tokens_without_text(server, client):
    greedy_chat(client, max_tokens=4,
                messages=[{"role": "user", "content": "zebra-marker-7731"}])
    with urllib.request.urlopen(server.url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    assert 'hearth_http_requests_total{endpoint="/v1/chat/completions",status="200"}' in text
    assert f'hearth_generated_tokens_total{{model="{MODEL_NAME}"}}' in text
    assert "hearth_queue_depth" in text and "hearth_slots_busy" in text
    assert "zebra-marker" not in text
