"""rag.answer.change_answer: a question that asks how a figure changed is answered with both ends
("80分→45分"), from a transition or a before / after pair in one unit; real span extraction, and the
real answer path through `casebook ask` on the session index."""

from __future__ import annotations

import json

import pytest

from rag.answer.change_answer import actual_first, after_first, asks_change, change_label, transition
from rag.cli.main import main
from tests.answer.readunits import read_unit
from tests.conftest import needs_shared


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("セブン-イレブンのAI発注で1日の発注時間は何分から何分になった？", "ja"),
        ("ModernaのTPPドラフト作成は従来何週間かかり、AIで何日になった？", "ja"),
        ("ミストラルの従業員数は2024年初めから2025年9月でどれだけ増えた？", "ja"),
        ("問い合わせ対応時間は導入前後でどう変わった？", "ja"),
        ("What was Best Buy's self-resolution rate for shipping and returns before and after its AI assistant?", "en"),
        ("How much did the analysis time shrink (from how long to how long)?", "en"),
        ("In Radisson's case, where did ROAS start and where did it end up after the AI rollout?", "en"),
        ("How many people were on the team when it started, compared with today?", "en"),
        ("The error rate went from what to what after the rollout?", "en"),
    ],
)
def test_a_change_is_asked(question: str, lang: str) -> None:
    assert asks_change(question, lang)


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        ("セブン-イレブンの1日の発注時間は何分？", "ja"),
        ("2023年から2025年までに売上は何%増えた？", "ja"),  # a growth rate is asked, not both ends
        ("東京都は何人の職員に生成AIを配布した？", "ja"),
        ("How many minutes a day does a store spend on ordering now?", "en"),
        ("What did the company do before launching its AI assistant?", "en"),
        ("Where did Mistral AI start?", "en"),
    ],
)
def test_no_change_is_asked(question: str, lang: str) -> None:
    assert not asks_change(question, lang)


@pytest.mark.parametrize(
    ("text", "kinds", "pair"),
    [
        ("35人（2024初期）→ 350人（2025年9月）の10倍成長", [], ("35人", "350人")),  # the period in brackets is no end
        ("発注時間/日（千葉県試験店） — 従来方式: 80分 / AI導入後: 45分 / 削減率: 44%", ["duration"], ("80分", "45分")),
        (
            "メトリクス: TPP ドラフト作成 / 従来時間: 4-6週間 / AI支援時間: 2-3日 / 削減率: 95%",
            ["duration"],
            ("4-6週間", "2-3日"),
        ),
        ("パソロジー分析作業を4週間から1週間に短縮（75%削減）", ["duration"], ("4週間", "1週間")),
        ("配送・返品処理: 自己解決率50%→80%（30ポイント増）", ["percent"], ("50%", "80%")),
        (
            "従来プロセス: 分析から新LP公開まで約100-120時間 → AI導入後: 50-70時間",
            ["duration"],
            ("約100-120時間", "50-70時間"),
        ),
        ("ROAS: 2.5倍 → 3.8倍", [], ("2.5倍", "3.8倍")),
    ],
)
def test_transition_finds_both_ends(text: str, kinds: list[str], pair: tuple[str, str]) -> None:
    assert transition(text, kinds) == pair


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("配送・返品処理: 自己解決率50%→80%（30ポイント増）", ["duration"]),  # not of the asked kind
        ("2024年4月 → 導入企業数: 120社", []),  # a date and a count: no change of one figure
        ("分析から新LP公開まで約100時間", ["duration"]),  # one value
        ("売上: $10M → $10M", []),  # the same value twice
        ("AI導入後: 45分 / 従来方式: 80分", ["duration"]),  # after before before: not read backwards
    ],
)
def test_transition_rejects(text: str, kinds: list[str]) -> None:
    assert transition(text, kinds) is None


def test_change_label_names_what_changed_not_a_side() -> None:
    assert (
        change_label("メトリクス: 発注時間/日（千葉県試験店） / 従来方式: 80分 / AI導入後: 45分")
        == "発注時間/日（千葉県試験店）"
    )
    assert change_label("配送・返品処理: 自己解決率50%→80%") == "配送・返品処理"
    assert change_label("従来プロセス: 約100-120時間 → AI導入後: 50-70時間") == ""


def _answer(capsys, settings, question: str) -> dict:
    capsys.readouterr()
    rc = main(["--data-dir", str(settings.data_dir), "ask", question, "--json"])
    a = json.loads(capsys.readouterr().out)
    assert rc == 0 and not a["refused"], a["text"]
    return a


def test_both_ends_from_the_seed(capsys, indexed_settings) -> None:
    """The seed's 「35人（2024初期）→ 350人（2025年9月）の10倍成長」: both head counts, not the 10倍."""
    a = _answer(capsys, indexed_settings, "ミストラルの従業員数は2024年初めから2025年9月でどれだけ増えた？")
    line = a["text"].splitlines()[0]
    assert "35人→350人" in line and "[1]" in line, a["text"]


@needs_shared
def test_both_ends_from_a_table_row_in_english(capsys, indexed_settings) -> None:
    a = _answer(
        capsys,
        indexed_settings,
        "How many minutes a day did ordering take at Seven-Eleven's test stores before and after AI ordering?",
    )
    line = a["text"].splitlines()[0]
    assert "80 minutes → 45 minutes" in line or "80 minutes → 48 minutes" in line, a["text"]


def test_a_before_value_does_not_answer_a_question_about_the_result() -> None:
    """ "How many PC-replacement inquiries were self-resolved with SoftBank's generative AI?" was answered
    "at least 10,000" from 「従来: …1万件以上発生」; the 導入後 unit of the same section answers."""
    before = read_unit("従来: PCリプレイスに伴う技術的問い合わせが1万件以上発生", "1万件以上", 0.66)
    after = read_unit("生成AI導入後: 約2,100件の 自動自己解決", "約2,100件", 0.52)
    q = "How many PC-replacement inquiries were self-resolved with SoftBank's generative AI?"
    assert after_first(q, [before], [before, after])[0] is after  # from the part's wider reading
    assert after_first(q, [before, after])[0] is after


@pytest.mark.parametrize(
    "question",
    [
        "How many inquiries were there before generative AI?",
        "How many people were on the team when it started?",
        "従来の問い合わせ件数は？",
    ],
)
def test_a_question_about_the_state_before_keeps_the_before_value(question: str) -> None:
    before = read_unit("従来: 問い合わせが1万件以上発生", "1万件以上", 0.66)
    after = read_unit("生成AI導入後: 約2,100件の自動自己解決", "約2,100件", 0.52)
    assert after_first(question, [before, after])[0] is before


def test_a_far_weaker_after_unit_does_not_jump() -> None:
    before = read_unit("従来: 問い合わせが1万件以上発生", "1万件以上", 0.66)
    after = read_unit("生成AI導入後: 約2,100件の自動自己解決", "約2,100件", 0.2)
    assert after_first("How many inquiries were self-resolved?", [before, after])[0] is before


def test_a_target_does_not_answer_what_actually_happened() -> None:
    """「…実際に臨床導入していた施設は何施設？」 was answered with the target 「目標値: 500施設以上（2024年末）」."""
    target = read_unit("目標値: 500施設以上（2024年末）", "500施設以上", 0.8)
    q = "2024年末の時点で、オリンパスのAI内視鏡を実際に臨床導入していた施設は何施設？"
    assert actual_first(q, [target]) is None
    done = read_unit("導入実績: 320施設（2024年末）", "320施設", 0.6)
    assert actual_first(q, [target, done])[0] is done
    assert actual_first("オリンパスのAI内視鏡の導入施設数の目標は？", [target])[0] is target  # a target asked
