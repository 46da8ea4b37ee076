"""A small OpenAI-compatible chat-completions server on loopback, for the openai engine's tests.

It answers like an LLM asked by Tilmech's prompt: it reads the segments of the user
message (JSON) and returns ``{"translations": [...]}``. Its "translation" is a
visible fake, ``"<prefix> " + text``, so nothing here passes for a real translation.
Scripted behaviours:

- a segment containing ``LOSE-ONCE`` loses its placeholders the first time it is asked;
- a segment containing ``LOSE-ALWAYS`` loses them every time;
- ``statuses`` are answered first, one per request (``429`` comes with ``Retry-After``);
- every request body and its headers are recorded.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PLACEHOLDER = re.compile(r"\{/?\d+\}")


@dataclass
class Script:
    prefix: str = "[llm]"
    statuses: list[int] = field(default_factory=list)  # answered first, in order
    retry_after: str = "0"
    tokens_per_request: int = 100
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    asked: dict[str, int] = field(default_factory=dict)  # segment text -> times asked
    lock: threading.Lock = field(default_factory=threading.Lock)

    def segments(self, request: int) -> list[dict[str, Any]]:
        """The segments sent in request number ``request``."""
        user = self.requests[request]["messages"][1]["content"]
        return list(json.loads(user.split("\n", 1)[0])["segments"])

    def translate(self, text: str) -> str:
        with self.lock:
            self.asked[text] = self.asked.get(text, 0) + 1
            first = self.asked[text] == 1
        out = f"{self.prefix} {text}"
        if "LOSE-ALWAYS" in text or ("LOSE-ONCE" in text and first):
            out = PLACEHOLDER.sub("", out)
        return out


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": {"message": "not found"}})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with script.lock:
                script.requests.append(body)
                script.headers.append({k.lower(): v for k, v in self.headers.items()})
                status = script.statuses.pop(0) if script.statuses else 200
            if status != 200:
                extra = {"Retry-After": script.retry_after} if status == 429 else {}
                self._send(status, {"error": {"message": f"scripted {status}"}}, extra)
                return
            user = body["messages"][1]["content"].split("\n", 1)[0]
            segments = json.loads(user)["segments"]
            answer = {"translations": [{"id": s["id"], "text": script.translate(s["text"])} for s in segments]}
            self._send(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)}}],
                "usage": {"prompt_tokens": script.tokens_per_request - 10, "completion_tokens": 10,
                          "total_tokens": script.tokens_per_request},
            })

    return Handler


@contextmanager
def serve(script: Script) -> Iterator[str]:
    """Run the server on a free loopback port; yields its base URL (``http://127.0.0.1:PORT/v1``)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
