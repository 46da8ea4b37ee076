"""An OpenAI-compatible chat-completions endpoint as an engine: a local vLLM, llama.cpp or Ollama server,
or a hosted service.

Each request carries a batch of segments as JSON, each with its neighbours for
context and the glossary terms it contains (the placeholder that stands for the
term, the English, the required rendering), and the instruction to keep every
placeholder. Requests run concurrently up to ``concurrency``; 429, 5xx and timeouts
are retried with exponential backoff (``Retry-After`` respected). A per-run budget
(``max_requests``, ``max_tokens``) stops the engine with a clear error: the segments
left go to the next engine of the chain, or stay untranslated. A response that loses
placeholders is asked again once, alone; if it loses them again it is kept, flagged.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any

from ..errors import EnvironmentNotReady
from ..languages import Language
from ..markdown.placeholders import PLACEHOLDER_RE
from .base import Advance, ModelInfo, MTContext, MTResult

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


class BudgetSpent(Exception):
    """The per-run budget of requests or tokens is used up."""


class _Transient(Exception):
    pass


def _placeholders(text: str) -> Counter[str]:
    return Counter(m.group(0) for m in PLACEHOLDER_RE.finditer(text))


def lost_placeholders(source: str, output: str) -> list[str]:
    """Placeholders of ``source`` missing from ``output`` (or doubled there)."""
    have, want = _placeholders(output), _placeholders(source)
    return sorted((want - have) + (have - want))


SYSTEM_PROMPT = """\
You are a professional translator of news articles from {source} into {target}.
Translate each segment of the user's JSON. Rules:
- Keep every placeholder such as {{1}}, {{/1}}, {{2}} exactly as written, once each, where it belongs in \
the translated sentence: they stand for markup and for glossary terms.
- A segment's "terms" say which placeholder stands for which glossary term and its required {target} \
rendering; the rendering is put in later, in the grammatical case the sentence needs: build the sentence \
around the placeholder.
- "before" and "after" are the neighbouring sentences, for context only: do not translate them.
- Answer with JSON only: {{"translations": [{{"id": <id>, "text": "<translation>"}}]}}, one entry per segment."""


class OpenAIEngine:
    """Batched, concurrent chat-completions requests with retries and a per-run budget."""

    wants_context = True

    def __init__(self, name: str, definition: Any, *, sleep: Callable[[float], None] = time.sleep,
                 backoff: float = 0.5) -> None:
        self.name = name
        self.d = definition
        self.calls = 0
        self.requests = 0  # sent in this run, retries included
        self.tokens = 0  # prompt + completion tokens used in this run
        self._sleep = sleep
        self._backoff = backoff
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return self.d.url.rstrip("/") + "/chat/completions"

    def model_info(self, source: Language, target: Language) -> ModelInfo:
        return ModelInfo(self.d.model, self.d.version)

    def _headers(self) -> dict[str, str]:
        if not self.d.api_key_env:
            return {}
        key = os.environ.get(self.d.api_key_env, "")
        if not key:
            raise EnvironmentNotReady(f"{self.name}: the environment variable {self.d.api_key_env} (the API key, "
                                      f"engine_defs.{self.name}.api_key_env) is not set")
        return {"Authorization": f"Bearer {key}"}

    # -- budget ------------------------------------------------------------------------

    def _spend_request(self) -> None:
        with self._lock:
            if self.d.max_requests and self.requests >= self.d.max_requests:
                raise BudgetSpent(f"budget spent: {self.requests} of {self.d.max_requests} requests of this run "
                                  f"(engine_defs.{self.name}.max_requests)")
            if self.d.max_tokens and self.tokens >= self.d.max_tokens:
                raise BudgetSpent(f"budget spent: {self.tokens} of {self.d.max_tokens} tokens of this run "
                                  f"(engine_defs.{self.name}.max_tokens)")
            self.requests += 1

    # -- one request -------------------------------------------------------------------

    def _post(self, client: Any, messages: list[dict[str, str]]) -> str:
        """The reply's text; retries transient failures; raises BudgetSpent, _Transient or EnvironmentNotReady."""
        import httpx

        body = {"model": self.d.model, "messages": messages, "temperature": self.d.temperature}
        problem = ""
        for attempt in range(self.d.max_retries + 1):
            if attempt:
                self._sleep(self._delay(attempt, problem))
            self._spend_request()
            try:
                response = client.post(self.endpoint, json=body)
            except httpx.TimeoutException as exc:
                problem = f"timed out after {self.d.timeout:g} s ({type(exc).__name__})"
                continue
            except httpx.TransportError as exc:
                problem = f"cannot reach {self.endpoint} ({exc})"
                continue
            if response.status_code in _RETRY_STATUS:
                problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("retry-after", "")
                if retry_after.strip().replace(".", "", 1).isdigit():
                    problem += f" retry-after {retry_after.strip()}"
                continue
            if response.status_code >= 400:
                raise EnvironmentNotReady(f"{self.name}: {self.endpoint} answered HTTP {response.status_code}: "
                                          f"{response.text[:300]}")
            try:
                data = response.json()
                content = data["choices"][0]["message"]["content"]
            except (ValueError, KeyError, IndexError, TypeError):
                raise EnvironmentNotReady(f"{self.name}: {self.endpoint} did not answer like a chat-completions "
                                          f"API: {response.text[:300]}") from None
            usage = data.get("usage") or {}
            used = usage.get("total_tokens") or (len(json.dumps(body)) + len(content or "")) // 4
            with self._lock:
                self.tokens += int(used)
            return str(content or "")
        raise _Transient(f"{problem}, {self.d.max_retries + 1} tries")

    def _delay(self, attempt: int, problem: str) -> float:
        match = re.search(r"retry-after ([\d.]+)", problem)
        if match:
            return min(float(match.group(1)), 120.0)
        return min(self._backoff * 2 ** (attempt - 1), 30.0) * (1 + random.random() / 2)

    # -- a batch of segments -----------------------------------------------------------

    def _messages(self, items: list[tuple[int, str, MTContext]], source: Language, target: Language,
                  retry_note: str = "") -> list[dict[str, str]]:
        segments = []
        for i, text, ctx in items:
            seg: dict[str, Any] = {"id": i, "text": text}
            if ctx.before:
                seg["before"] = ctx.before
            if ctx.after:
                seg["after"] = ctx.after
            if ctx.terms:
                seg["terms"] = [{"placeholder": t.tag, "english": t.source, "required": t.rendering}
                                for t in ctx.terms]
            segments.append(seg)
        user = json.dumps({"segments": segments}, ensure_ascii=False)
        if retry_note:
            user += "\n" + retry_note
        return [{"role": "system", "content": SYSTEM_PROMPT.format(source=source.name, target=target.name)},
                {"role": "user", "content": user}]

    @staticmethod
    def _parse(content: str, ids: list[int]) -> dict[int, str] | None:
        text = _FENCE.sub("", content.strip())
        try:
            data = json.loads(text)
            found = {int(t["id"]): str(t["text"]) for t in data["translations"]}
        except (ValueError, KeyError, TypeError):
            # a single segment answered with plain text is taken as it is
            return {ids[0]: text} if len(ids) == 1 and text and not text.startswith("{") else None
        return found if all(i in found for i in ids) else None

    def _batch(self, client: Any, items: list[tuple[int, str, MTContext]], source: Language,
               target: Language) -> dict[int, MTResult]:
        ids = [i for i, _, _ in items]
        try:
            parsed = self._parse(self._post(client, self._messages(items, source, target)), ids)
        except (BudgetSpent, _Transient) as exc:
            return {i: MTResult("", None, error=str(exc)) for i in ids}
        if parsed is None:
            if len(items) == 1:
                return {ids[0]: MTResult("", None, error="the answer was not the JSON asked for")}
            out: dict[int, MTResult] = {}
            for item in items:  # split the batch: one segment per request
                out.update(self._batch(client, [item], source, target))
            return out
        results: dict[int, MTResult] = {}
        for i, text, ctx in items:
            output = parsed[i].strip()
            lost = lost_placeholders(text, output)
            if lost:
                output, lost = self._retry_placeholders(client, (i, text, ctx), output, lost, source, target)
            results[i] = MTResult(output, None, error=f"placeholders lost twice: {' '.join(lost)}" if lost else None)
        return results

    def _retry_placeholders(self, client: Any, item: tuple[int, str, MTContext], output: str, lost: list[str],
                            source: Language, target: Language) -> tuple[str, list[str]]:
        note = (f"Your previous translation of segment {item[0]} lost or repeated the placeholders "
                f"{' '.join(lost)}. Translate it again keeping every placeholder exactly once.")
        try:
            parsed = self._parse(self._post(client, self._messages([item], source, target, note)), [item[0]])
        except (BudgetSpent, _Transient):
            return output, lost
        if parsed is None:
            return output, lost
        again = parsed[item[0]].strip()
        still = lost_placeholders(item[1], again)
        return (again, still) if len(still) <= len(lost) else (output, lost)

    def translate(self, texts: Sequence[str], source: Language, target: Language,
                  advance: Advance | None = None, contexts: Sequence[MTContext] | None = None) -> list[MTResult]:
        if not texts:
            return []
        import httpx

        headers = self._headers()
        ctxs = list(contexts) if contexts is not None else [MTContext()] * len(texts)
        items = [(i, text, ctxs[i]) for i, text in enumerate(texts)]
        size = self.d.batch_size
        batches = [items[k : k + size] for k in range(0, len(items), size)]
        results: dict[int, MTResult] = {}
        with httpx.Client(timeout=self.d.timeout, headers=headers) as client, \
                ThreadPoolExecutor(max_workers=self.d.concurrency, thread_name_prefix=f"tilmech-{self.name}") as pool:
            futures = [pool.submit(self._batch, client, batch, source, target) for batch in batches]
            try:
                for future in as_completed(futures):
                    done = future.result()
                    results.update(done)
                    self.calls += len(done)
                    if advance:
                        advance(len(done))
            except BaseException:
                for future in futures:  # a refused key or a wrong URL: send no more requests
                    future.cancel()
                raise
        return [results[i] for i in range(len(texts))]

    def close(self) -> None:
        """Nothing held between runs."""
