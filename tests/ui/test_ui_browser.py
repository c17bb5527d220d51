"""The Gradio app in a real headless Chromium (playwright, /usr/bin/chromium), against `casebook serve`.

One server (subprocess, free loopback port, a copy of the session index) and one page for the whole
module; the steps run in order: Japanese question → citation click → English question → country
filter → language toggle → uploads (a planted-HTML case and a broken one) → library → briefing.
Every request the page makes must go to the server. Screenshots go to artifacts_dir().
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.conftest import artifacts_dir, needs_shared

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's Chromium at /usr/bin/chromium (apt-get install -y chromium fonts-noto-cjk)",
    ),
]
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]
ANSWER_TIMEOUT = 90_000

XSS_CASE = """---
id: "XSS_001"
title: "Zorblax Widgets <script>window.__pwned_title=1</script>"
subject:
  name: "Zorblax Widgets"
  country: "日本"
  industry: "製造"
---
# Zorblax Widgets <img src=x onerror="window.__pwned_heading=1">

## 事業概要 <script>window.__pwned_h2=1</script>

Zorblax Widgetsは2019年に大阪で創業した精密ウィジェットの製造会社である。
同社の主力製品は<img src=x onerror="window.__pwned_text=1">Zorblax Gearで、年間120万個を出荷している。
"""

BROKEN_CASE = """---
title: "Broken front matter"
subject: [unclosed
  name: "Nobody"
---
# Nothing here
Body text.
"""


@pytest.fixture(scope="module")
def data_dir(request, tmp_path_factory) -> Path:
    """A private copy of an index of seed + shared cases: the session index, or (to iterate on the UI
    without rebuilding it) the data dir named by $CASEBOOK_UI_TEST_DATA."""
    src = os.environ.get("CASEBOOK_UI_TEST_DATA")
    src_dir = Path(src) if src else request.getfixturevalue("indexed_settings").data_dir
    data = tmp_path_factory.mktemp("browser") / "data"
    shutil.copytree(src_dir, data, ignore=shutil.ignore_patterns("uploads", "feedback.jsonl", "eval-runs"))
    return data


@pytest.fixture(scope="module")
def server(data_dir):
    from ui.devserver import served

    with served(data_dir) as srv:
        print(f"casebook serve ready in {srv.ready_s:.1f} s: {srv.log().strip().splitlines()[-1]}")
        yield srv


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        pg = ctx.new_page()
        pg.requests = []  # type: ignore[attr-defined]
        pg.on("request", lambda r: pg.requests.append(r.url))  # type: ignore[attr-defined]
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_selector("#chat-status[data-state=idle]", timeout=30_000)
        yield pg
        ctx.close()
        browser.close()


def shot(pg, name: str, full: bool = False) -> None:
    pg.screenshot(path=str(artifacts_dir() / f"ui-{name}.png"), full_page=full)


def ask(pg, question: str, turn: int) -> str:
    pg.fill("#question textarea", question)
    pg.click("#send")
    pg.wait_for_selector(
        f'#chat-status[data-state=done][data-turn="{turn}"], #chat-status[data-state=error][data-turn="{turn}"]',
        timeout=ANSWER_TIMEOUT,
    )
    assert pg.get_attribute("#chat-status", "data-state") == "done", pg.inner_text("#chat-status")
    bubble = pg.locator(f"#chatbot .answer-turn-{turn}")
    return bubble.inner_text()


def source_docs(pg, turn: int) -> list[str]:
    return pg.eval_on_selector_all(
        f'#sources-panel section.turn-sources[data-turn="{turn}"] details.src',
        "els => els.map(e => e.getAttribute('data-doc'))",
    )


def pick(pg, dropdown_id: str, value: str) -> None:
    pg.click(f"#{dropdown_id} input")
    pg.fill(f"#{dropdown_id} input", "")
    pg.keyboard.type(value)
    pg.wait_for_timeout(300)
    pg.get_by_role("option", name=value, exact=True).first.click()
    pg.keyboard.press("Escape")


@needs_shared
def test_01_empty_screen_has_examples_in_both_languages(page):
    text = page.inner_text("#chatbot")
    assert "ミストラルAIのCEOは誰？" in text and "When was Mistral AI founded?" in text
    shot(page, "01-empty")


@needs_shared
def test_02_japanese_question_cites_and_highlights(page):
    # the empty screen's example starts the conversation with one click
    page.locator("#chatbot").get_by_text("ミストラルAIのCEOは誰？", exact=True).click()
    page.wait_for_selector('#chat-status[data-state=done][data-turn="1"]', timeout=ANSWER_TIMEOUT)
    text = page.locator("#chatbot .answer-turn-1").inner_text()
    assert "Arthur Mensch" in text or "アーサー" in text, text
    assert re.search(r"[\u3040-\u30ff]", text), "a Japanese question gets a Japanese answer"
    links = page.locator("#chatbot .answer-turn-1 a.cite")
    assert links.count() >= 1
    href = links.first.get_attribute("href")
    assert re.fullmatch(r"#src-1-\d+", href)
    page.locator("#sources-panel details.src").first.evaluate("e => e.open = false")  # start closed
    links.first.click()
    target = page.locator(href)
    page.wait_for_function(
        "id => document.getElementById(id).open && document.getElementById(id).classList.contains('active')",
        arg=href[1:],
    )
    assert target.is_visible()
    assert target.get_attribute("data-doc") == "GENAI_042"
    marks = target.locator("mark")
    assert marks.count() >= 1 and marks.first.inner_text().strip()
    assert target.locator(".src-file").inner_text().strip()  # file and line range shown
    target.scroll_into_view_if_needed()
    shot(page, "02-ja-answer-citation")


@needs_shared
def test_03_english_follow_up_in_english(page):
    text = ask(page, "When was it founded?", 2)  # a follow-up: "it" is the company of turn 1
    assert "2023" in text, text
    first_line = text.strip().splitlines()[0]
    assert not re.search(r"[\u3040-\u30ff]", first_line), "an English question gets an English framing"
    assert page.locator("#chatbot .answer-turn-2 a.cite").count() >= 1
    assert page.locator('#sources-panel section.turn-sources[data-turn="2"]').count() == 1
    shot(page, "03-en-answer")


@needs_shared
def test_04_country_filter_is_obeyed(page, data_dir):
    from rag.config import Settings
    from rag.index import get_library

    docs = get_library(Settings.from_env(data_dir=data_dir)).snapshot().documents
    us_docs = {d["doc_id"] for d in docs if d["facets"].get("country") == "米国"}
    assert us_docs
    page.click("#filters-box button.label-wrap")  # open the accordion
    pick(page, "f-country", "米国 / United States (U.S., US, USA)")
    page.wait_for_function("() => document.querySelector('#active-filters').classList.contains('filters-active')")
    assert "米国" in page.inner_text("#active-filters")
    ask(page, "生成AIの導入でどんな成果が出た？", 3)
    got = source_docs(page, 3)
    rel = page.eval_on_selector_all(
        '#sources-panel section.turn-sources[data-turn="3"] details.related',
        "els => els.map(e => e.getAttribute('data-doc'))",
    )
    assert got, "the filtered answer shows sources"
    assert set(got) | set(rel) <= us_docs, f"sources outside the filter: {set(got) - us_docs}"
    shot(page, "04-filter-us")
    page.click("#filters-box button.label-wrap")  # asking collapsed the filters to show the sources
    page.click("#f-clear")
    page.wait_for_function("() => document.querySelector('#active-filters').classList.contains('filters-none')")


@needs_shared
def test_04b_suggested_filter_apply_and_dismiss(page):
    ask(page, "日本の銀行の生成AI事例は？", 4)
    page.wait_for_selector("#sug-apply", state="visible", timeout=10_000)
    assert "日本" in page.inner_text("#filter-suggestion")
    shot(page, "04b-suggestion")
    page.click("#sug-apply")
    page.wait_for_function("() => /日本/.test(document.querySelector('#active-filters').innerText)")
    page.wait_for_selector("#sug-apply", state="hidden")
    page.click("#filters-box button.label-wrap")
    page.click("#f-clear")
    page.wait_for_function("() => document.querySelector('#active-filters').classList.contains('filters-none')")
    ask(page, "日本の銀行の生成AI事例は？", 5)
    page.wait_for_selector("#sug-dismiss", state="visible", timeout=10_000)
    page.click("#sug-dismiss")
    page.wait_for_selector("#sug-dismiss", state="hidden")
    assert "filters-none" in page.get_attribute("#active-filters", "class")


@needs_shared
def test_05_language_toggle(page):
    page.locator("#ui-lang").get_by_label("English").check()
    page.wait_for_function(
        "() => document.querySelector('#chat-status') && "
        "/Answered|Ready/.test(document.querySelector('#chat-status').innerText)"
    )
    page.get_by_role("tab", name="Library").wait_for(timeout=10_000)
    page.wait_for_function("() => document.querySelector('#send').innerText.trim() === 'Send'")
    shot(page, "05-english-ui")
    page.locator("#ui-lang").get_by_label("日本語").check()
    page.wait_for_function("() => /回答完了|準備完了/.test(document.querySelector('#chat-status').innerText)")
    page.get_by_role("tab", name="ライブラリ").wait_for(timeout=10_000)


def _upload(page, tmp_path: Path, name: str, text: str) -> str:
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    page.get_by_role("tab", name="ライブラリ").click()
    page.set_input_files("#upload-files input[type=file]", str(f))
    page.wait_for_timeout(500)
    page.evaluate("() => { const m = document.querySelector('#upload-messages'); if (m) m.remove(); }")
    page.click("#upload-btn")
    page.wait_for_selector("#upload-messages", timeout=120_000)
    return page.inner_text("#upload-messages")


@needs_shared
def test_06_broken_upload_is_reported_with_its_line(page, tmp_path):
    page.get_by_role("tab", name="ライブラリ").click()
    page.wait_for_selector("#library-table tbody tr")
    before = page.locator("#library-table tbody tr").count()
    msg = _upload(page, tmp_path, "broken_case.md", BROKEN_CASE)
    assert "broken_case.md" in msg and "3行目" in msg, msg
    assert "YAML" in msg
    shot(page, "06-upload-broken")
    bin_msg = _upload(page, tmp_path, "binary.md", "ok\x00\x00\x00 binary")
    assert "binary.md" in bin_msg and "binary" in bin_msg and "読み込めません" in bin_msg, bin_msg
    rows = page.locator("#library-table tbody tr").count()
    assert rows == before + 1  # the YAML one is indexed (with its warning), the binary one is not; others untouched


@needs_shared
def test_07_planted_html_in_a_case_is_shown_as_text(page, tmp_path):
    msg = _upload(page, tmp_path, "xss_case.md", XSS_CASE)
    assert "xss_case.md" in msg and "✖" not in msg, msg
    page.get_by_role("tab", name="チャット").click()
    text = ask(page, "Zorblax Widgetsの主力製品は？", 6)
    assert "Zorblax" in text
    panel = page.inner_text('#sources-panel section.turn-sources[data-turn="6"]')
    assert "<img src=x onerror=" in panel or "<script>" in panel, panel[:500]
    pwned = page.evaluate("() => Object.keys(window).filter(k => k.startsWith('__pwned'))")
    assert pwned == []
    assert page.locator("#sources-panel img, #chatbot .answer img, #sources-panel script").count() == 0
    shot(page, "07-planted-html")


@needs_shared
def test_08_feedback_and_briefing(page, data_dir):
    import json

    # the thumbs under the last answer (labels follow the browser locale: いいね / Like)
    page.locator("#chatbot button[aria-label='いいね'], #chatbot button[aria-label='Like']").last.click()
    page.wait_for_function("() => /Q6/.test(document.querySelector('#fb-msg')?.innerText || '')", timeout=20_000)
    page.click("#feedback-box button.label-wrap")
    page.fill("#fb-comment textarea", "役に立った <b>コメント</b>")
    page.click("#fb-send")
    page.wait_for_function("() => document.querySelector('#fb-comment textarea').value === ''", timeout=20_000)
    page.click("#fb-export")
    page.wait_for_selector("#fb-file a, #fb-file .file-preview", timeout=20_000)
    rows = [json.loads(x) for x in (data_dir / "feedback.jsonl").read_text(encoding="utf-8").splitlines()]
    assert rows[0]["rating"] == "up" and rows[0]["question"] == "Zorblax Widgetsの主力製品は？"
    assert rows[0]["citations"] and rows[-1]["comment"] == "役に立った <b>コメント</b>"
    shot(page, "08-feedback")
    page.get_by_role("tab", name="企業ブリーフィング").click()
    pick(page, "br-company", "Mistral AI")
    page.click("#br-make")
    page.wait_for_selector("#brief-frame", timeout=60_000)
    frame = page.frame_locator("#brief-frame")
    assert "Mistral" in frame.locator("h1").inner_text()
    assert page.locator("#br-md").is_visible() and page.locator("#br-html").is_visible()
    shot(page, "08-briefing")


@needs_shared
def test_09_delete_an_uploaded_file(page, data_dir):
    page.get_by_role("tab", name="ライブラリ").click()
    page.wait_for_selector("#library-table tbody tr")
    before = page.locator("#library-table tbody tr").count()
    assert "xss_case.md" in page.inner_text("#library-table")
    pick(page, "delete-choice", "xss_case.md")
    page.evaluate("() => { const m = document.querySelector('#upload-messages'); if (m) m.remove(); }")
    page.click("#delete-btn")
    page.wait_for_selector("#upload-messages", timeout=120_000)
    msg = page.inner_text("#upload-messages")
    assert "xss_case.md" in msg and "削除しました" in msg, msg
    page.wait_for_function(
        f"() => document.querySelectorAll('#library-table tbody tr').length === {before - 1}", timeout=30_000
    )
    assert "xss_case.md" not in page.inner_text("#library-table")
    assert not (data_dir / "uploads" / "xss_case.md").exists()
    shot(page, "09-deleted-upload")


@needs_shared
def test_99_library_tab_and_no_outside_requests(page, server):
    page.get_by_role("tab", name="ライブラリ").click()
    assert "GENAI_042" in page.inner_text("#library-table")
    shot(page, "09-library", full=True)
    hosts = {urlparse(u).netloc for u in page.requests if not u.startswith(("data:", "blob:", "about:"))}
    assert hosts == {f"127.0.0.1:{server.port}"}, hosts


@needs_shared
def test_10_evaluation_tab_runs_a_question_set(page):
    page.get_by_role("tab", name="評価").click()
    page.fill("#ev-limit input", "3")
    page.click("#ev-run")
    page.wait_for_selector("#ev-summary table", timeout=120_000)
    summary = page.inner_text("#ev-summary")
    assert "hit" in summary.lower() or "mrr" in summary.lower(), summary[:500]
    page.wait_for_selector("#ev-plots img", timeout=30_000)
    page.locator("#ev-plots").scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#ev-plots img')].some(i => i.complete && i.naturalWidth > 0)",
        timeout=30_000,
    )
    assert page.locator("#ev-files a, #ev-files .file-preview").count() >= 1
    shot(page, "10-evaluation", full=True)


@needs_shared
def test_11_english_browser_japan_filter_and_saved_conversation(page, server):
    """An English browser gets the English UI (footer too); "Japan" typed in the country filter picks
    日本; a question is saved as a conversation that survives a reload and reopens with its sources; a
    repeated question shows its real answer time (not 0.0 s)."""
    # one Playwright per process: a second sync_playwright() inside the module fixture's fails
    if True:
        browser = page.context.browser
        ctx = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
        pg = ctx.new_page()
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_function("() => document.querySelector('#send').innerText.trim() === 'Send'", timeout=30_000)
        assert pg.locator("#ui-lang").get_by_label("English").is_checked()
        pg.wait_for_function("() => /Ready/.test(document.querySelector('#chat-status').innerText)")
        footer_en = pg.inner_text("footer")
        # "Japan" typed in the country filter finds 日本 (the label holds both names; the value is 日本)
        pg.click("#filters-box button.label-wrap")
        pg.click("#f-country input")
        pg.keyboard.type("Japan")
        pg.wait_for_timeout(300)
        opt = pg.get_by_role("option", name="日本 / Japan")
        assert opt.count() == 1, pg.inner_text("body")[:500]
        opt.first.click()
        pg.keyboard.press("Escape")
        pg.wait_for_function("() => /日本/.test(document.querySelector('#active-filters').innerText)")
        shot(pg, "11-japan-filter")
        ask(pg, "What generative AI results did companies report?", 1)
        pg.wait_for_function("() => document.querySelectorAll('#conv-list input[type=radio]').length >= 1")
        pg.click("#filters-box button.label-wrap")
        pg.click("#f-clear")
        ask(pg, "What generative AI results did companies report?", 2)  # the same question again
        status = pg.inner_text("#chat-status")
        m = re.search(r"(\d+\.\d+) s", status)
        assert m and float(m.group(1)) > 0, status
        n_sources = len(source_docs(pg, 2))
        assert n_sources >= 1
        # reload: still English (remembered), the conversation is listed and reopens with its sources
        pg.reload()
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_function("() => document.querySelector('#send').innerText.trim() === 'Send'", timeout=30_000)
        pg.wait_for_function("() => document.querySelectorAll('#conv-list input[type=radio]').length >= 1")
        pg.locator("#conv-list label").first.click()
        pg.wait_for_selector("#chatbot .answer-turn-2", timeout=30_000)
        assert len(source_docs(pg, 2)) == n_sources
        shot(pg, "11-conversation-reopened")
        # switching to Japanese switches Gradio's footer too, and the choice is remembered
        pg.locator("#ui-lang").get_by_label("日本語").check()
        pg.wait_for_function("() => document.querySelector('#send').innerText.trim() === '送信'")
        pg.wait_for_function("(en) => document.querySelector('footer').innerText !== en", arg=footer_en, timeout=10_000)
        pg.reload()
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_timeout(1500)
        assert pg.locator("#ui-lang").get_by_label("日本語").is_checked()
        ctx.close()


# ---------------------------------------------------------------------- chips, streaming, settings, phone


def next_turn(pg) -> int:
    """The turn the next question gets (the module's earlier tests may or may not have run)."""
    return int(pg.get_attribute("#chat-status", "data-turn") or 0) + 1


def pick_prefix(pg, dropdown_id: str, typed: str, label_start: str) -> None:
    """Pick the one option whose label holds `label_start` (labels carry codes: "日本 / Japan (JP, JPN)")."""
    pg.click(f"#{dropdown_id} input")
    pg.fill(f"#{dropdown_id} input", "")
    pg.keyboard.type(typed)
    pg.wait_for_timeout(300)
    opts = pg.get_by_role("option").filter(has_text=label_start)
    assert opts.count() == 1, pg.eval_on_selector_all("[role=option]", "els => els.map(e => e.innerText)")
    opts.first.click()
    pg.keyboard.press("Escape")


@needs_shared
def test_12_filter_chips_shown_and_removed(page):
    page.get_by_role("tab", name="チャット").click()
    assert not page.locator("#filter-chips").is_visible()  # no filter, no chips
    page.click("#filters-box button.label-wrap")
    pick_prefix(page, "f-country", "日本", "日本 / Japan")
    pick_prefix(page, "f-country", "米国", "米国 / United States")
    page.wait_for_selector("#chip-1", state="visible", timeout=10_000)
    chips = [page.inner_text(f"#chip-{i}").strip() for i in range(2)]
    assert chips == ["国: 日本 / Japan ×", "国: 米国 / United States ×"], chips
    assert not page.locator("#chip-2").is_visible()
    # the chips sit under the question box
    q_box, chip_box = page.locator("#question").bounding_box(), page.locator("#chip-0").bounding_box()
    assert chip_box["y"] >= q_box["y"] + q_box["height"] - 1
    shot(page, "filter-chips")
    # × on 米国: the chip, the control's token and the summary all lose it; 日本 stays
    page.click("#chip-1")
    page.wait_for_selector("#chip-1", state="hidden", timeout=10_000)
    page.wait_for_function("() => !/米国/.test(document.querySelector('#active-filters').innerText)")
    assert "米国" not in page.inner_text("#f-country") and "日本" in page.inner_text("#f-country")
    assert page.inner_text("#chip-0").strip() == "国: 日本 / Japan ×"
    # × on 日本: no filter left, and the next question is answered from the whole library
    page.click("#chip-0")
    page.wait_for_selector("#filter-chips", state="hidden", timeout=10_000)
    page.wait_for_function("() => document.querySelector('#active-filters').classList.contains('filters-none')")
    assert "日本" not in page.inner_text("#f-country")
    turn = next_turn(page)
    text = ask(page, "ミストラルAIのCEOは誰？", turn)
    assert "Arthur Mensch" in text or "アーサー" in text, text
    assert "GENAI_042" in source_docs(page, turn)  # a French company: the Japan filter is gone


STATES_JS = """(turn) => {
  window.__bubble = [];
  const seen = () => {
    const els = document.querySelectorAll('#chatbot .answer-turn-' + turn);
    const el = els[els.length - 1];
    if (!el) return;
    const s = {streaming: el.classList.contains('streaming'), text: el.innerText.trim()};
    const last = window.__bubble[window.__bubble.length - 1];
    if (!last || last.streaming !== s.streaming || last.text !== s.text) window.__bubble.push(s);
  };
  window.__bubbleObs && window.__bubbleObs.disconnect();
  window.__bubbleObs = new MutationObserver(seen);
  window.__bubbleObs.observe(document.querySelector('#chatbot'),
    {subtree: true, childList: true, characterData: true, attributes: true});
}"""


@needs_shared
def test_13_answer_streams_into_the_bubble(page):
    page.get_by_role("tab", name="チャット").click()
    turn = next_turn(page)
    page.evaluate(STATES_JS, turn)
    page.fill("#question textarea", "Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？")
    page.click("#send")
    # a bubble with part of the answer, still marked as streaming
    page.wait_for_function(
        "(t) => { const e = document.querySelector('#chatbot .answer-turn-' + t + '.streaming');"
        " return e && e.innerText.trim().length > 1; }",
        arg=turn,
        timeout=ANSWER_TIMEOUT,
        polling="raf",
    )
    shot(page, "streaming")
    page.wait_for_selector(f'#chat-status[data-state=done][data-turn="{turn}"]', timeout=ANSWER_TIMEOUT)
    page.wait_for_timeout(300)
    states = page.evaluate("() => window.__bubble")
    final = page.locator(f"#chatbot .answer-turn-{turn}").inner_text().strip()
    assert "streaming" not in page.get_attribute(f"#chatbot .answer-turn-{turn}", "class")
    partial = [s for s in states if s["streaming"] and s["text"] not in ("", "…")]
    assert partial, states
    assert len(partial[0]["text"]) < len(final), (partial[0], final)  # the answer grew: not all at once
    assert final.startswith(partial[0]["text"].splitlines()[0][:20])
    assert not states[-1]["streaming"] and states[-1]["text"] == final
    assert page.locator(f"#chatbot .answer-turn-{turn} a.cite").count() >= 1  # the final answer is linked


@needs_shared
def test_14_settings_apply_to_the_next_question(page):
    page.get_by_role("tab", name="設定").click()
    page.wait_for_selector("#llm-status", timeout=10_000)
    # this server has no CASEBOOK_LLM: extractive only, and the LLM is shown as not configured
    assert page.get_attribute("#llm-status", "data-state") == "none"
    assert page.locator("#st-mode input[type=radio]").count() == 1
    assert page.locator("#st-mode input[value=extractive]").is_checked()
    page.fill("#st-k input[type=number]", "3")
    page.keyboard.press("Enter")
    page.wait_for_selector('#st-applied[data-k="3"]', timeout=10_000)
    shot(page, "settings")
    page.get_by_role("tab", name="チャット").click()
    turn = next_turn(page)
    ask(page, "ASMLはミストラルAIにいくら出資した？", turn)
    status = page.inner_text("#chat-status")
    assert "検索結果 3 件" in status and "抽出型" in status, status
    # remembered in this browser: a reload keeps k = 3
    page.reload()
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.get_by_role("tab", name="設定").click()
    page.wait_for_function("() => document.querySelector('#st-k input[type=number]').value === '3'", timeout=20_000)
    # the settings' language choice switches the whole UI (the header toggle follows)
    page.locator("#st-lang").get_by_label("English").check()
    page.wait_for_function("() => document.querySelector('#send').innerText.trim() === 'Send'", timeout=20_000)
    assert page.locator("#ui-lang").get_by_label("English").is_checked()
    page.get_by_role("tab", name="Settings").wait_for(timeout=10_000)
    page.locator("#ui-lang").get_by_label("日本語").check()
    page.wait_for_function("() => document.querySelector('#send').innerText.trim() === '送信'", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#st-lang input[value=ja]').checked", timeout=20_000)
    page.fill("#st-k input[type=number]", "8")  # back to the default for any later test
    page.keyboard.press("Enter")
    page.wait_for_selector('#st-applied[data-k="8"]', timeout=10_000)
    page.get_by_role("tab", name="チャット").click()


TITLE_ONE_LINE_JS = """() => {
  const h = document.querySelector('#app-title h2');
  const r = h.getBoundingClientRect(), cs = getComputedStyle(h);
  const lh = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.3;
  return {height: r.height, lineHeight: lh, right: r.right, clipped: h.scrollWidth > h.clientWidth + 1};
}"""


@needs_shared
def test_15_phone_layout_390(page, server):
    ctx = page.context.browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP", is_mobile=True)
    try:
        pg = ctx.new_page()
        pg.goto(server.url + "/")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        pg.wait_for_selector("#chat-status[data-state=idle]", timeout=30_000)
        title = pg.evaluate(TITLE_ONE_LINE_JS)
        assert title["height"] < 1.5 * title["lineHeight"], title  # one line: no "caseboo/k"
        assert not title["clipped"] and title["right"] <= 390, title
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
        text = ask(pg, "ミストラルAIのCEOは誰？", 1)
        assert "Arthur Mensch" in text or "アーサー" in text, text
        assert pg.evaluate("() => document.documentElement.scrollWidth") <= 390
        for sel in ("#chatbot", "#question textarea", "#send", "#sources-panel"):
            box = pg.locator(sel).bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (sel, box)
        assert pg.locator("#sources-panel details.src").count() >= 1
        # the chat comes first on a phone, the saved conversations below it
        assert pg.locator("#chatbot").bounding_box()["y"] < pg.locator("#conv-panel").bounding_box()["y"]
        pg.locator("#chatbot").scroll_into_view_if_needed()
        shot(pg, "phone-390")
        shot(pg, "phone-390-full", full=True)
    finally:
        ctx.close()


@needs_shared
def test_16_source_viewer_renders_highlights_and_opens_the_full_document(page, server):
    """Issue #16, source viewer: a Japanese question about a table value shows its whole section as
    rendered Markdown (a <table>, no `|---|` or `**`) with the cited row highlighted; "open the full
    document" shows the whole file with line numbers, scrolled to the cited lines; a refusal's related
    sections are rendered with no highlight and labelled as not evidence."""
    page.get_by_role("tab", name="チャット").click()
    turn = int(page.get_attribute("#chat-status", "data-turn") or 0) + 1
    text = ask(page, "三菱UFJ銀行の従業員数は？", turn)
    assert "40,000" in text, text
    src = page.locator(f'#sources-panel section.turn-sources[data-turn="{turn}"] details.src').first
    box = src.locator(".src-text")
    assert box.locator("table").count() >= 1 and box.locator("th").count() >= 2
    shown = box.inner_text()
    assert "|" not in shown and "---" not in shown and "**" not in shown, shown[:300]
    row = box.locator("tr.md-cited", has_text="従業員数")
    assert row.count() == 1 and "40,000" in row.inner_text()
    assert row.locator("mark.cite-hl").count() >= 1
    assert box.locator("tr:not(.md-cited) mark").count() == 0  # the other rows are context only
    assert re.search(r"行 \d+–\d+", src.locator(".src-file").inner_text())
    src.scroll_into_view_if_needed()
    inside = "([r, b]) => { const x = r.getBoundingClientRect(), y = b.getBoundingClientRect(); "
    inside += "return x.height > 0 && x.top >= y.top - 1 && x.bottom <= y.bottom + 1; }"
    assert page.evaluate(inside, [row.element_handle(), box.element_handle()])  # seen within its box
    shot(page, "source-viewer")

    src.locator("a.open-doc").click()
    viewer = page.locator(f'#doc-viewer .docview[data-key="src-{turn}-1"]')
    viewer.locator(".md-numbered").wait_for(timeout=20_000)
    body = viewer.locator(".docview-body")
    target = viewer.locator(".md-target")
    page.wait_for_function(
        "() => { const b = document.querySelector('#doc-viewer .docview-body'); "
        "const t = b && b.querySelector('.md-target'); if (!t) return false; "
        "const x = t.getBoundingClientRect(), y = b.getBoundingClientRect(); "
        "return b.scrollTop > 0 && x.top >= y.top && x.bottom <= y.bottom && x.bottom <= innerHeight; }",
        timeout=10_000,
    )
    cited = viewer.locator("tr.md-cited", has_text="従業員数")
    assert page.evaluate(inside, [cited.element_handle(), body.element_handle()])  # the cited row, in view
    assert cited.locator("mark.cite-hl").count() >= 1
    n = cited.get_attribute("data-line")
    gutter = cited.locator("[data-ln]").evaluate("e => getComputedStyle(e, '::before').content")
    assert gutter == f'"{n}"'  # the line number is shown beside the row
    assert int(target.get_attribute("data-line")) <= int(n)
    assert viewer.locator('.md-fl[data-line="1"]').count() == 1  # the whole file, front matter included
    assert viewer.locator("[data-line]").count() > 100
    assert viewer.locator("h1").count() >= 1 and "**" not in viewer.locator(".md").inner_text()
    shot(page, "full-document")
    viewer.locator(".doc-close").click()
    page.wait_for_selector("#doc-viewer .docview", state="detached", timeout=10_000)

    ask(page, "トヨタ自動車の生成AI導入の成果は？", turn + 1)
    sec = page.locator(f'#sources-panel section.turn-sources[data-turn="{turn + 1}"]')
    assert sec.locator(".refused-note").count() == 1
    related = sec.locator("details.src.related")
    assert related.count() >= 1
    assert "根拠ではありません" in related.first.locator("summary").inner_text()
    assert related.first.locator(".src-text .md").count() == 1  # rendered, not raw Markdown
    assert sec.locator("mark").count() == 0 and sec.locator(".md-cited").count() == 0
    sec.scroll_into_view_if_needed()
    shot(page, "refusal-related")
    related.first.locator("a.open-doc").click()
    rel = page.locator(f'#doc-viewer .docview[data-key="rel-{turn + 1}-1"]')
    rel.locator(".md-target").wait_for(timeout=20_000)
    assert rel.locator("mark").count() == 0 and rel.locator(".md-cited").count() == 0
    assert "根拠ではありません" in rel.locator(".docview-kind").inner_text()
    page.keyboard.press("Escape")
    page.wait_for_selector("#doc-viewer .docview", state="detached", timeout=10_000)
    hosts = {urlparse(u).netloc for u in page.requests if not u.startswith(("data:", "blob:", "about:"))}
    assert hosts == {f"127.0.0.1:{server.port}"}, hosts
