"""`hearth serve` under hostile input: each attack gets the right status and the server stays
healthy. Raw sockets and http.client are used where a polite client library would refuse to
send the request."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import threading
import time

import openai
import pytest

from conftest import hearth_path
from hearth_server import MODEL_NAME, HearthServer, default_model_path

KEY = "test-key-0123456789"
ORIGIN = "http://localhost:3000"
CHAT = {"model": MODEL_NAME, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
        "temperature": 0}


@pytest.fixture(scope="module")
def server():
    server = HearthServer("--model", str(default_model_path()), "--slots", "2",
                          "--request-timeout", "3")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def keyed():
    server = HearthServer("--model", str(default_model_path()), "--slots", "1",
                          "--max-queue", "2", "--api-key", KEY, "--cors-origin", ORIGIN)
    yield server
    server.stop()


def request(server, method, path, body=None, headers=None, timeout=60):
    """Sends one request; returns (status, headers, parsed-or-raw body)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    try:
        data = json.loads(data)
    except ValueError:
        pass
    return response.status, response.headers, data


def assert_error(status, body, expected_status):
    assert status == expected_status, body
    assert body["error"]["message"], body
    # Messages name fields, never files.
    text = json.dumps(body)
    assert ".gguf" not in text and "/root" not in text and "/home" not in text


def chat(**overrides):
    return {**CHAT, **overrides}


@pytest.mark.parametrize("body, param", [
    (chat(max_tokens=-1), "max_tokens"),
    (chat(max_tokens=10**12), "max_tokens"),
    (chat(temperature=-1), "temperature"),
    (chat(temperature="hot"), "temperature"),
    (chat(top_p=7), "top_p"),
    (chat(top_k=-5), "top_k"),
    (chat(n=10**6), "n"),
    (chat(logit_bias={"999999": 5}), "logit_bias"),
    (chat(messages="hello"), "messages"),
    (chat(stop=[1, 2]), "stop"),
])
def test_invalid_values_are_400_with_an_openai_error(server, body, param):
    status, _, data = request(server, "POST", "/v1/chat/completions", body)
    assert_error(status, data, 400)
    assert data["error"]["type"] == "invalid_request_error"
    assert data["error"]["param"] == param


@pytest.mark.parametrize("raw", [
    b'{"model": "x", "messages": [',                       # malformed
    b'{"model": "x", "temperature": NaN, "messages": []}',  # NaN is not JSON
    b'{"messages": [{"role": "user", "content": "\xff\xfe"}]}',  # invalid UTF-8
    b"[" * 100000 + b"]" * 100000,                           # deeply nested
    b"",
])
def test_malformed_bodies_are_400(server, raw):
    status, _, data = request(server, "POST", "/v1/chat/completions", raw)
    assert_error(status, data, 400)
    assert server.healthy()


def test_a_10000_level_schema_is_refused(server):
    # Written by hand: Python's json module cannot encode 10,000 levels.
    levels = 10000
    schema = '{"type": "object", "properties": {"a": ' * levels + '{"type": "string"}' + "}}" * levels
    body = ('{"model": "m", "max_tokens": 4, "messages": [{"role": "user", "content": "Hi"}], '
            '"response_format": {"type": "json_schema", "json_schema": {"name": "deep", '
            f'"schema": {schema}}}}}}}').encode()
    status, _, data = request(server, "POST", "/v1/chat/completions", body)
    assert_error(status, data, 400)
    assert "nested" in data["error"]["message"]
    # Within the body's depth limit but beyond the schema's: refused as a schema.
    shallow = {"type": "string"}
    for _ in range(20):  # 40 schema levels (> 32) in a body 43 deep (< 64)
        shallow = {"type": "object", "properties": {"a": shallow}}
    status, _, data = request(server, "POST", "/v1/chat/completions", chat(
        response_format={"type": "json_schema", "json_schema": {"name": "d", "schema": shallow}}))
    assert_error(status, data, 400)
    assert data["error"]["param"] == "response_format.json_schema.schema"
    assert server.healthy()


def test_a_100_mb_body_is_413_without_reading_it(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    size = 100 * 1024 * 1024
    sock.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n").encode())
    sent = 0
    chunk = b" " * (1 << 20)
    try:
        while sent < size:
            sock.sendall(chunk)
            sent += len(chunk)
    except OSError:
        pass  # the server may stop reading once it has answered
    answer = b""
    try:
        while not answer.endswith(b"}") and len(answer) < 65536:
            part = sock.recv(65536)
            if not part:
                break
            answer += part
    except OSError:
        pass
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert server.healthy()


def test_foreign_host_origin_and_content_type_are_refused(server):
    status, _, data = request(server, "POST", "/v1/chat/completions", chat(),
                              headers={"Host": f"evil.example:{server.port}"})
    assert_error(status, data, 421)
    status, headers, data = request(server, "POST", "/v1/chat/completions", chat(),
                                    headers={"Origin": "https://evil.example"})
    assert_error(status, data, 403)
    assert headers.get("Access-Control-Allow-Origin") is None
    # A cross-site "simple" request (no preflight) cannot start a generation.
    for content_type in ("text/plain", "application/x-www-form-urlencoded"):
        status, _, data = request(server, "POST", "/v1/chat/completions",
                                  json.dumps(chat()).encode(),
                                  headers={"Content-Type": content_type})
        assert_error(status, data, 415)
    status, _, _ = request(server, "OPTIONS", "/v1/chat/completions",
                           headers={"Origin": "https://evil.example",
                                    "Access-Control-Request-Method": "POST"})
    assert status == 403
    assert server.healthy()


def test_keys_and_cors(keyed):
    assert keyed.healthy()  # /health stays open
    status, _, data = request(keyed, "POST", "/v1/chat/completions", chat())
    assert_error(status, data, 401)
    status, _, data = request(keyed, "GET", "/v1/models",
                              headers={"Authorization": "Bearer wrong-key-0123456789"})
    assert_error(status, data, 401)
    status, _, _ = request(keyed, "GET", "/metrics")
    assert status == 401
    client = openai.OpenAI(base_url=keyed.url + "/v1", api_key=KEY, max_retries=0)
    assert client.chat.completions.create(**chat()).choices[0].message.content is not None
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=keyed.url + "/v1", api_key="nope", max_retries=0).models.list()
    # Preflight from the allowed origin: answered without a key, origin echoed (never *).
    status, headers, _ = request(keyed, "OPTIONS", "/v1/chat/completions",
                                 headers={"Origin": ORIGIN,
                                          "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers":
                                              "authorization, content-type"})
    assert status == 204
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "authorization" in headers["Access-Control-Allow-Headers"].lower()
    assert headers.get("Access-Control-Allow-Credentials") is None
    status, headers, _ = request(keyed, "GET", "/v1/models",
                                 headers={"Origin": ORIGIN, "Authorization": f"Bearer {KEY}"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == ORIGIN
    status, _, _ = request(keyed, "GET", "/v1/models",
                           headers={"Origin": "http://localhost:3001",
                                    "Authorization": f"Bearer {KEY}"})
    assert status == 403


def test_queue_full_is_429(keyed):
    # One slot and a queue of 2: the rest of 8 simultaneous requests are refused.
    results: list[int] = []

    def one():
        status, _, _ = request(keyed, "POST", "/v1/chat/completions",
                               chat(max_tokens=32), headers={"Authorization": f"Bearer {KEY}"},
                               timeout=300)
        results.append(status)

    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert 429 in results, results
    assert set(results) <= {200, 429, 503}, results
    assert keyed.healthy()


def test_refuses_a_public_address_without_a_key():
    result = subprocess.run([str(hearth_path()), "serve", "--host", "0.0.0.0", "--port", "0"],
                            capture_output=True, timeout=60)
    assert result.returncode != 0
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "--api-key" in lines[0]


def slots_busy(server) -> int:
    _, _, text = request(server, "GET", "/metrics")
    for line in text.decode().splitlines() if isinstance(text, bytes) else str(text).splitlines():
        if line.startswith("hearth_slots_busy{"):
            return int(line.rsplit(" ", 1)[1])
    raise AssertionError("no hearth_slots_busy in /metrics")


def test_a_client_that_disconnects_mid_stream_frees_its_slot(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    body = json.dumps(chat(max_tokens=2000, stream=True, temperature=1.0,
                           messages=[{"role": "user", "content": "Tell a very long story."}]))
    sock.sendall((f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
                  f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                  f"{body}").encode())
    received = b""
    while received.count(b"data: ") < 3:
        received += sock.recv(4096)
    assert slots_busy(server) >= 1
    sock.close()
    deadline = time.monotonic() + 10
    while slots_busy(server) != 0:
        assert time.monotonic() < deadline, "the slot was not freed after the client left"
        time.sleep(0.1)
    status, _, data = request(server, "POST", "/v1/chat/completions", chat())
    assert status == 200 and data["choices"][0]["message"]["content"] is not None
    assert "client_gone" in server.log()


def test_a_slow_client_times_out_and_the_server_stays_healthy(server):
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    start = time.monotonic()
    closed = False
    for byte in b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n":
        try:
            sock.sendall(bytes([byte]))
        except OSError:
            closed = True
            break
        assert server.healthy()  # others are served meanwhile
        time.sleep(1)
        sock.setblocking(False)
        try:
            if sock.recv(4096) == b"":
                closed = True
        except BlockingIOError:
            pass
        except OSError:
            closed = True
        sock.setblocking(True)
        if closed:
            break
    elapsed = time.monotonic() - start
    sock.close()
    assert closed, "the server kept a one-byte-a-second client"
    assert elapsed < 10  # --request-timeout 3
    assert server.healthy()
