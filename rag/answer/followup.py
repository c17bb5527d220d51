"""Follow-up questions → standalone questions.

    res = resolve("その投資家の出資比率は？", history, snapshot)
    res.standalone   # 「ミストラルAIの投資家の出資比率は？」
    res.filters      # the previous turn's filters, when the new question does not set its own subject

History formats accepted (`turns(history)`):
* Gradio "messages": [{"role": "user"|"assistant", "content": str | [{"type": "text", "text": …}] …}, …]
  (an optional "filters" key, or metadata={"filters": …}, on a user message is carried too);
* pairs: [(question, Answer | answer text), …], optionally (question, answer, filters);
* Answer objects (their .question and .text/.citations).

Without an LLM (the default) the previous turn's focus is carried: the company named in the last
question that named one, else the company of the previous answer's citations, else a company named
in its text. It is prepended when the new question names no company of the library and looks like a
follow-up (a pronoun/anaphor — その, 同社, its, they… —, a leading "And"/"What about"/「では」, or a
short question with no subject). With an LLM backend the model condenses the question first; its
rewrite is kept only when it is one line in the question's language that names a library company
(otherwise the heuristic result is used).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rag.answer.backends import message_text
from rag.answer.extractive.companies import company_display, find_companies
from rag.answer.prompting import condense_messages
from rag.ingest import detect_language


@dataclass
class Turn:
    question: str
    answer: str = ""
    companies: list[str] = field(default_factory=list)  # companies of the answer's citations
    filters: Any = None


@dataclass
class Resolution:
    standalone: str
    filters: Any = None  # filters carried from the previous turn (None: nothing carried)
    method: str = "none"  # none | heuristic | llm
    focus: str | None = None  # company name carried
    notes: list[str] = field(default_factory=list)


def _content_text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return "".join(_content_text(c) for c in content)
    return str(getattr(content, "text", "") or "")


def _answer_parts(a: Any) -> tuple[str, list[str]]:
    if a is None:
        return "", []
    if isinstance(a, str):
        return a, []
    text = str(getattr(a, "text", "") or "")
    comps = [str(getattr(c, "company", "") or "") for c in (getattr(a, "citations", None) or [])]
    return text, [c for c in comps if c]


def turns(history: Iterable[Any] | None) -> list[Turn]:
    """Normalise any supported history format into a list of turns (oldest first)."""
    out: list[Turn] = []
    if not history:
        return out
    pending: Turn | None = None
    for item in history:
        if isinstance(item, dict) and "role" in item:
            role = str(item.get("role") or "")
            text = _content_text(item.get("content"))
            if role == "user":
                if pending is not None:
                    out.append(pending)
                meta = item.get("metadata") or {}
                filt = item.get("filters") or (meta.get("filters") if isinstance(meta, dict) else None)
                pending = Turn(text, filters=filt)
            elif role == "assistant":
                if pending is None:
                    pending = Turn("")
                pending.answer = (pending.answer + "\n" + text).strip()
            continue
        if isinstance(item, (tuple, list)) and item:
            if pending is not None:
                out.append(pending)
                pending = None
            q = _content_text(item[0])
            a_text, comps = _answer_parts(item[1] if len(item) > 1 else None)
            filt = item[2] if len(item) > 2 else None
            out.append(Turn(q, a_text, comps, filt))
            continue
        if hasattr(item, "question") and hasattr(item, "text"):
            if pending is not None:
                out.append(pending)
                pending = None
            a_text, comps = _answer_parts(item)
            out.append(Turn(str(item.question or ""), a_text, comps))
    if pending is not None:
        out.append(pending)
    return [t for t in out if t.question or t.answer]


# ----------------------------------------------------------------------------- heuristics

_JA_ANAPHORA = re.compile(
    r"^(?:では|じゃあ|じゃ|それでは|それで|また|あと|さらに|ちなみに)[、,\s]*|"
    r"(?:その|この|あの|同社の?|同行の?|彼らの?|それらの?|そこの?|当該)"
)
_EN_LEAD = re.compile(r"^\s*(?:and|also|so|then|ok(?:ay)?|what about|how about|and what about)\b[\s,]*", re.I)
_EN_PRONOUN = re.compile(
    r"\b(its|their|it's|the company's|this company's|that company's|the firm's)\b|"
    r"\b(it|they|them|the company|this company|that company|the firm)\b",
    re.I,
)
_EN_WH = re.compile(
    r"^\s*(?:what|who|whom|whose|when|where|which|how|why|is|are|was|were|does|do|did|can|could|has|have)\b", re.I
)


def looks_like_followup(question: str, lang: str) -> bool:
    q = question.strip()
    if lang == "ja":
        if _JA_ANAPHORA.search(q):
            return True
        return len(re.sub(r"[\s？?。！!]", "", q)) <= 15
    if _EN_LEAD.match(q) or _EN_PRONOUN.search(q):
        return True
    return len(q.split()) <= 6


def previous_focus(ts: list[Turn], snapshot: Any, lang: str) -> tuple[str | None, Any]:
    """(company name to carry, filters of that turn) from the most recent turn that has one."""

    for t in reversed(ts):
        found = find_companies(t.question, snapshot)
        if found:
            key, name = found[0]
            name = _name_in_lang(name, key, snapshot, lang, company_display)
            return name, t.filters
        if t.companies:
            comp = Counter(t.companies).most_common(1)[0][0]
            found = find_companies(comp, snapshot)
            if found:
                key, name = found[0]
                return company_display(snapshot, key, lang), t.filters
            return comp, t.filters
        if t.answer:
            body = re.sub(r"\[\d+\]", "", t.answer)
            found = find_companies(body, snapshot)
            if found:
                return company_display(snapshot, found[0][0], lang), t.filters
    return None, None


def _name_in_lang(name: str, key: str, snapshot: Any, lang: str, display) -> str:
    """Keep the user's own spelling when it suits the language, else the library's name."""
    has_ja = bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", name))
    if (lang == "ja") == has_ja or lang == "ja":
        return name
    return display(snapshot, key, lang)


def rewrite(question: str, name: str, lang: str) -> str:
    """Put `name` into a follow-up question that omits its subject."""
    q = question.strip()
    if lang == "ja":
        q2 = re.sub(r"^(?:では|じゃあ|じゃ|それでは|それで|また|あと|さらに|ちなみに)[、,\s]*", "", q)
        q2 = re.sub(r"(?:同社|同行|彼ら|それら|そこ)の?", "", q2, count=1)
        q2 = re.sub(r"^(?:その|この|あの|当該)", "", q2)
        q2 = q2.strip() or q
        return f"{name}の{q2}"
    q2 = _EN_LEAD.sub("", q).strip() or q
    replaced = [False]

    def sub(m: re.Match[str]) -> str:
        replaced[0] = True
        if m.group(1):
            return f"{name}'s"
        return name

    q3 = _EN_PRONOUN.sub(sub, q2, count=2)
    q3 = q3[0].upper() + q3[1:] if q3 else q3
    if not q3.rstrip().endswith("?"):
        q3 = q3.rstrip(" .") + "?"
    if _EN_WH.match(q3):
        if not replaced[0]:
            q3 = q3.rstrip(" ?") + f" at {name}?"
        return q3
    # a bare noun phrase: "its valuation?" → "What about Mistral AI's valuation?"
    np = q3.rstrip(" ?")
    if np[:1].isupper() and not np[:2].isupper() and not np.startswith(name):
        np = np[0].lower() + np[1:]
    if not replaced[0]:
        np = f"{np} of {name}"
    return f"What about {np}?"


def resolve(
    question: str, history: Iterable[Any] | None, snapshot: Any, *, lang: str | None = None, chat_model: Any = None
) -> Resolution:
    q = (question or "").strip()
    ts = turns(history)
    if not ts or not q:
        return Resolution(q)
    lang = lang or detect_language(q)
    own = find_companies(q, snapshot)
    name, prev_filters = previous_focus(ts, snapshot, lang)
    heuristic = q
    method = "none"
    if not own and name and looks_like_followup(q, lang):
        heuristic = rewrite(q, name, lang)
        method = "heuristic"
    res = Resolution(heuristic, prev_filters if method != "none" else None, method, name if method != "none" else None)
    if chat_model is not None:
        got = _condense_llm(q, ts, lang, chat_model)
        if got and _valid_condensed(got, q, lang, snapshot, name if not own else None):
            res.standalone = got
            res.method = "llm"
            if not own and res.filters is None and prev_filters is not None and not find_companies(q, snapshot):
                res.filters = prev_filters
        elif got is not None:
            res.notes.append("LLM condensation rejected; heuristic follow-up resolution used")
    return res


def _condense_llm(question: str, ts: list[Turn], lang: str, model: Any) -> str | None:
    try:
        msg = model.invoke(condense_messages(question, [(t.question, t.answer) for t in ts], lang))
    except Exception:  # noqa: BLE001 — the heuristic answer is always available
        return None
    text = message_text(msg).strip()
    text = re.sub(r"^(?:standalone question|question|質問)\s*[:：]\s*", "", text, flags=re.I).strip().strip('"「」')
    return text


def _valid_condensed(text: str, question: str, lang: str, snapshot: Any, focus: str | None) -> bool:
    if not text or "\n" in text.strip() or len(text) > 3 * len(question) + 120:
        return False
    if detect_language(text) != lang:
        return False
    if focus and not find_companies(text, snapshot):
        return False
    return True
