"""How an answer grows in the chat bubble while rag's `ask_stream` produces it.

rag yields str deltas and then the final Answer: an LLM's tokens as they arrive, the extractive answer
line by line (the answer line first, then each quoted piece of evidence) — but the extractive lines
come in one burst once the reader is done, so shown as they come the whole answer would appear at
once. Here each completed line is shown at least LINE_GAP_S after the previous update (at most
PACE_BUDGET_S of waiting per answer), so the reader sees the answer line, then each quote arrive;
text without a line break (an LLM's tokens) is shown at most every THROTTLE_S, never delayed. The
final Answer follows the last line: its text is authoritative (citation repair may have changed it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

LINE_GAP_S = 0.12
PACE_BUDGET_S = 1.0
THROTTLE_S = 0.05


def visible_steps(
    stream: Iterable[Any],
    *,
    line_gap: float = LINE_GAP_S,
    budget: float = PACE_BUDGET_S,
    throttle: float = THROTTLE_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[tuple[str, Any]]:
    """("text", the text shown so far) each time the bubble should grow, then ("final", the Answer)
    (the last non-str item of the stream; ("final", None) when there was none)."""
    acc = ""
    shown = ""
    last = clock()
    waited = 0.0
    final = None

    def show(paced: bool) -> Iterator[tuple[str, Any]]:
        nonlocal last, waited, shown
        if paced:
            wait = min(line_gap - (clock() - last), budget - waited)
            if wait > 0:
                sleep(wait)
                waited += wait
        last = clock()
        shown = acc
        yield ("text", acc)

    for item in stream:
        if not isinstance(item, str):
            final = item
            continue
        if not item:
            continue
        acc += item
        if not item.strip():  # a blank line between the answer and its quotes: shown with the next line
            continue
        if "\n" in item:
            yield from show(paced=True)
        elif clock() - last >= throttle:
            yield from show(paced=False)
    if acc != shown:
        yield from show(paced=True)
    yield ("final", final)
