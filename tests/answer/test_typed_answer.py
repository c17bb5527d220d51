"""rag.answer.typed_answer: a question asking for a figure, a date or a percentage is answered by a unit
holding a value of that kind that names what is measured — or the part is missing. Real fugashi and
the real glossary; the units are written as the reader returns them."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answer.reader import ReadUnit
from rag.answer.typed_answer import (
    asked_kinds,
    counter_clash,
    fits,
    fullest_date_first,
    labelled_first,
    measure_terms,
    measured_span,
    other_period,
    per_head_first,
    period_first,
    plain_label_first,
    total_first,
    typed_first,
    value_of_kind,
)
from tests.answer.readunits import read_unit


def _unit(text: str, span: str, span_kind: str, p: float, answer_type: str = "count") -> ReadUnit:
    return read_unit(text, span, p, answer_type, span_kind=span_kind, heading_path=("概要",))


@pytest.mark.parametrize(
    "part,terms",
    [
        ("スクウェア・エニックスの従業員数は何人？", ["従業員"]),
        ("Visaの2023年の純利益はいくら？", ["利益"]),
        ("EndoBRAIN-Xの特異度は何％？", ["特異"]),
        ("KDDI AI-Chatの提供開始日は？", ["開始"]),
        ("Cohereの売上のうちプライベートデプロイメントの割合は？", []),  # 割合 only names the kind of value
        ("日立が人材育成・採用へ投じる金額はどのくらいですか？", []),  # so does 金額 (the row says 投資額)
        ("センターには何名のスタッフが所属していますか？", ["スタッフ"]),  # what 何名 counts
        # what changed, before the change verb: a unit must name attrition (離職), not any head count
        ("How much did staff attrition drop after the rollout?", ["attrition", "離職", "離職率", "退職"]),
        ("How many warehouses does the retailer operate?", []),  # no Japanese form known: not checked
        ("How many hotels does Radisson operate?", ["hotels", "hotel", "ホテル"]),
    ],
)
def test_measure_terms(part: str, terms: list[str]) -> None:
    assert measure_terms(part) == terms


def test_measure_terms_english_through_the_glossary() -> None:
    assert "パラメータ" in measure_terms("How many parameters does Wallaby have?")
    assert "売上" in measure_terms("What was Mayo Clinic's annual revenue in 2024?")


def test_a_section_number_is_no_count() -> None:
    """ "How many hotels…?": the heading "## 7. Meeting…" holds no count; the unit with 1,520 comes first."""
    q = "How many hotels does Radisson Hotel Group operate?"
    head = _unit("## 7. Meeting & Group Sales Transformation", "Meeting", "name", 0.30)
    row = _unit("Radisson Hotel Group (本社: ベルギー、1,520以上のホテル)", "1,520", "number", 0.20)
    assert asked_kinds(q) == ["count"]  # not "number": a percentage or an amount counts nothing
    assert not fits(head, asked_kinds(q))
    assert typed_first(q, [head, row])[0] is row


def test_a_figure_of_another_measure_leaves_the_part_missing() -> None:
    """従業員数 asked; the close units count users or carry a date: nothing answers."""
    q = "スクウェア・エニックスの従業員数は何人？"
    users = _unit("ユーザー数: 100人以上", "100人", "count", 0.4)
    book = _unit("### 5. 2024年7月「スクウェア・エニックスのAI」書籍出版", "2024年7月", "date", 0.5)
    assert typed_first(q, [book, users]) == []


def test_a_money_question_is_not_answered_by_a_head_count() -> None:
    q = "What was Mayo Clinic's annual revenue in 2024?"
    staff = _unit("従業員数増加: 76,000 (2022) → 82,800 (2024)", "82,800", "number", 0.6, "amount")
    assert typed_first(q, [staff]) == []
    sales = _unit("売上高: 約2,160億ドル（2023年）", "約2,160億ドル", "amount", 0.5, "amount")
    assert typed_first(q, [staff, sales])[0] is sales


def test_questions_without_a_value_kind_are_left_alone() -> None:
    q = "Who founded Perplexity AI?"
    u = _unit("Aravind Srinivas氏が創業", "Aravind Srinivas", "name", 0.7, "name")
    assert typed_first(q, [u]) == [u]


def _named(text: str, p: float, kind: str = "sentence") -> ReadUnit:
    u = _unit(text, text.split(": ", 1)[-1], "name", p, answer_type="name")
    return ReadUnit(**{**u.__dict__, "kind": kind})


def test_the_unit_labelled_with_the_asked_thing_comes_first() -> None:
    units = [_named("企業名: Counsel AI Corporation", 0.69), _named("CEO: Winston Weinberg", 0.62)]
    assert labelled_first("Who is Harvey's CEO?", units)[0].text == "CEO: Winston Weinberg"
    assert labelled_first("ハーヴィーのCEOは誰？", units)[0].text == "CEO: Winston Weinberg"


def test_a_labelled_unit_far_below_the_best_does_not_jump() -> None:
    units = [_named("企業名: Counsel AI Corporation", 0.69), _named("CEO: Winston Weinberg", 0.30)]
    assert labelled_first("Who is Harvey's CEO?", units)[0].text.startswith("企業名")


def test_table_rows_and_figure_questions_are_left_alone() -> None:
    rows = [
        _named("企業: Westlaw / 弱み: レガシー", 0.7, kind="row"),
        _named("企業: Harvey / CEO: Winston", 0.6, kind="row"),
    ]
    assert labelled_first("Who is Harvey's CEO?", rows) == rows  # a row's "header: cell" is no label
    figures = [_unit("従業員数: 500名", "500名", "count", 0.7), _unit("売上: 10億円", "10億円", "amount", 0.6)]
    assert labelled_first("How much revenue?", figures) == figures


def test_a_close_unit_of_the_asked_period_answers_before_one_of_another_period() -> None:
    old = _unit("2024年3月: $35M 年間経常収益（ARR）", "$35M", "amount", 0.62, "amount")
    near = _unit("2025年10月: $150M ARR（1.5倍成長、5カ月で）", "$150M", "amount", 0.34, "amount")
    far = _unit("2025年10月: $150M ARR", "$150M", "amount", 0.2, "amount")
    q = "What was Cohere's ARR in October 2025?"
    assert period_first(q, [old, near]) == [near, old]
    assert period_first(q, [old, far]) == [old, far]  # too weak: the reader's choice stands
    assert period_first("What was Cohere's ARR?", [old, near]) == [old, near]  # no period asked


def test_a_katakana_measure_meets_the_english_word_of_the_unit() -> None:
    """「GitHubスター数は？」 and "GitHub Transformers: 121,000 stars": スター is the loanword of star (unidic),
    so the unit names what is measured; the value of the asked kind becomes the span when the span
    model chose none (the part was refused although the unit was the reader's second best)."""
    q = "Hugging FaceのTransformersライブラリのGitHubスター数は？"
    assert measure_terms(q) == ["スター"]
    stars = _unit("GitHub Transformers: 121,000 stars", "GitHub Transformers: 121,000 stars", "unit", 0.6)
    state = _unit("state of the art: 121,000", "121,000", "number", 0.6)
    assert fits(stars, asked_kinds(q), measure_terms(q)) and not fits(state, asked_kinds(q), measure_terms(q))
    got = typed_first(q, [stars])
    assert got[0].span == "121,000" and got[0].span_kind == "number"


def test_a_count_question_is_not_answered_by_a_percentage() -> None:
    """ "How many interactions…?" also reads as a bare number question; 80%+ counts nothing."""
    q = "How many interactions did Fargo handle in 2023?"
    assert asked_kinds(q) == ["count"]
    share = _unit("Phase 3: スペイン語展開 — 成果: 80%+利用", "80%+", "percent", 0.4)
    rows = _unit("KPI: 年間インタラクション / 2023年: 168M", "168M", "number", 0.3)
    assert typed_first(q, [share, rows])[0] is rows


def test_the_measure_is_the_glossary_phrase_the_money_word_is_part_of() -> None:
    """ "annual recurring revenue" is measured as ARR (the documents write "ARR: $4.8B"), not as 売上."""
    terms = measure_terms("What was Databricks' annual recurring revenue as of September 2025?")
    assert "ARR" in terms and "売上" not in terms
    arr = _unit("指標: ARR / 数値: $4.8B（2025年9月時点）", "$4.8B", "amount", 0.7, "amount")
    assert typed_first("What was Databricks' annual recurring revenue as of September 2025?", [arr])[0].span == "$4.8B"
    assert "売上" in measure_terms("What was Mayo Clinic's annual revenue in 2024?")


def test_a_share_price_is_not_answered_by_a_valuation() -> None:
    """ "What was Klarna's share price on its IPO day?": the library gives a $45B valuation target, no
    share price (株価); the answer named the valuation."""
    q = "What was Klarna's share price on its IPO day?"
    assert "株価" in measure_terms(q)
    valuation = _unit("上場前のファンディングラウンド ($45B 評価額目標)", "$45B", "amount", 0.6, "amount")
    assert typed_first(q, [valuation]) == []


def test_a_date_without_its_year_gives_way_to_the_same_day_in_full() -> None:
    short = _unit(
        "同年5月24日に、社員1万人を対象にした「KDDI AI-Chat」の提供を開始した。", "5月24日", "date", 0.74, "date"
    )
    full = _unit("時期: 2023年5月24日 / 主要イベント: KDDI AI-Chat提供開始", "2023年5月24日", "date", 0.5, "date")
    other = _unit("時期: 2023年12月 / 主要イベント: for Teams開発完了", "2023年12月", "date", 0.7, "date")
    weak = _unit("2023年5月24日: 提供開始", "2023年5月24日", "date", 0.2, "date")
    assert fullest_date_first([short, other], [full]) == [full, short, other]  # from the wider pool
    assert fullest_date_first([short, other]) == [short, other]  # another day is no fuller form of it
    assert fullest_date_first([short], [weak]) == [short]  # too weak: the reader's choice stands
    assert fullest_date_first([full, short]) == [full, short]  # a date with its year is left alone


def test_how_much_time_is_answered_by_hours_or_a_share_of_them() -> None:
    assert asked_kinds("how much time do personal agents save on reading documents?") == ["duration", "percent"]
    layers = _unit("2層エージェント戦略", "2", "number", 0.6, "number")
    share = _unit("効果：読解時間30～50%削減", "30~50%", "percent", 0.5, "percent")
    kinds = asked_kinds("How much time do personal agents save on reading documents?")
    assert not fits(layers, kinds) and fits(share, kinds)
    assert asked_kinds("What share of the time is saved?") == ["percent"]


def test_the_value_beside_what_is_measured_is_the_span() -> None:
    u = _unit(
        "Radisson Hotel Group (本社: ベルギー、1,520以上のホテル、100カ国以上で展開)", "100カ国以上", "count", 0.9
    )
    assert measured_span("Radisson Hotel Groupのホテル数は？", u).span == "1,520以上"
    assert measured_span("How many hotels does Radisson operate?", u).span == "1,520以上"
    assert measured_span("Radissonは何カ国で展開している？", u).span == "100カ国以上"  # no measure named: left alone
    row = _unit(
        "時期: 2025-06 / イベント: Meta投資：$14.3B、49%株式取得、評価額$29B",
        "Meta投資：$14.3B、49%株式取得、評価額$29B",
        "amount",
        0.8,
    )
    assert measured_span("そのときの企業評価額は？", row).span == "$29B"  # a span of several values narrowed
    hca = _unit("21の州とイギリスに186の病院と約2,000ケアサイトを展開", "186", "count", 0.8)
    assert measured_span("How many hospitals does HCA Healthcare run?", hca).span == "186"  # not the one after 病院と
    klarna = _unit("AIアシスタントは150M顧客、23市場、35言語で月間2.3M件", "35言語", "count", 0.8)
    assert measured_span("AIアシスタントは何言語に対応している？", klarna).span == "35言語"  # it carries the counter
    citi = _unit("KPI: 詐欺検知時間 / 改善前: 平均4-6時間 / 改善率: 90%短縮", "90%短縮", "percent", 0.9, "percent")
    assert measured_span("Citibankの詐欺検知時間は何％短縮された？", citi).span == "90%短縮"  # a share stays a share


def test_a_month_range_holds_each_of_its_months() -> None:
    q = "How many work hours a month had the group saved by June 2024?"
    total = _unit("時期: 2024年7月～12月 / 成果: 年間業務削減151万時間を達成", "151万時間", "duration", 0.4, "duration")
    june = _unit(
        "時期: 2024年4月～6月 / 成果: 業務削減時間が月13.4万時間に達する", "13.4万時間", "duration", 0.32, "duration"
    )
    assert period_first(q, [total], [june])[0] is june  # from the reader's wider pool
    assert period_first(q, [total, june])[0] is june


def test_a_question_asking_for_a_total_is_answered_by_the_total() -> None:
    item = _unit("AI開発: 推定20～30億円", "20~30億円", "amount", 0.71, "amount")
    total = _unit("総投資額: 135～205億円", "135~205億円", "amount", 0.15, "amount")
    q = "What's the estimated total price tag of the AI push?"
    assert total_first(q, [item], [total])[0].span == "135~205億円"
    assert total_first("What does AI development cost?", [item], [total])[0] is item  # no total asked
    assert total_first(q, [item], [replace(total, probability=0.05)])[0] is item  # too weak


def test_a_section_number_swallowed_into_a_value_is_no_value() -> None:
    heading = _unit("9.2 顧客企業のコスト削減効果", "コスト削減効果", "other", 0.4, "other")
    heading = replace(heading, kind="heading")
    assert value_of_kind(heading, ["amount", "number"]) is None  # "9.2 顧客" is the section number


def test_a_question_asking_per_employee_is_answered_per_head() -> None:
    total = _unit(
        "指標: 月間削減時間 / 数値: 約22万時間 / 詳細: 全行員約4万人での平均削減",
        "約22万時間",
        "duration",
        0.39,
        "duration",
    )
    head = _unit(
        "1人当たり月間削減 — 数値: 約5.5時間 / 詳細: （220,000時間 ÷ 40,000人）",
        "220,000時間",
        "duration",
        0.1,
        "duration",
    )
    q = "How many hours a month does generative AI save each MUFG employee on average?"
    assert per_head_first(q, [total], [head])[0].span == "約5.5時間"  # the value after the per-head label
    assert per_head_first("How many hours a month does MUFG save in all?", [total], [head])[0] is total


def test_the_number_of_a_product_name_is_no_value() -> None:
    u = _unit("Microsoft 365 Copilot（2024年6月導入）", "Microsoft 365 Copilot", "other", 0.4, "other")
    assert value_of_kind(u, ["count"]) is None  # 365 names the product; the date is no count


def test_a_label_that_narrows_the_asked_figure_gives_way_to_a_plain_one() -> None:
    online = _unit("Online sales: $8 billion annually", "$8 billion", "amount", 0.77, "amount")
    annual = _unit("年間売上: 約1,000億ドル（2024-2025年度）", "約1,000億ドル", "amount", 0.45, "amount")
    q = "Compare annual sales at Walmart and Lowe's."
    assert plain_label_first(q, [online, annual])[0] is annual
    assert plain_label_first("What are Lowe's online sales?", [online, annual])[0] is online  # asked: online
    assert plain_label_first(q, [online, replace(annual, probability=0.3)])[0] is online  # too weak


@pytest.mark.parametrize(
    "question,kinds",
    [
        # money asked: an amount, never the ROI percentage beside it
        ("How much did Sumitomo Corporation spend up front on its AI rollout?", ["amount"]),
        ("How much did the licence cost?", ["amount"]),
        # a change of a cost is often a share or a multiple (60-80%削減, 25倍)
        ("How much can customers cut API call costs by self-hosting?", ["amount", "number"]),
        ("How much did the tool improve productivity?", ["amount", "number"]),
    ],
)
def test_money_asked_is_an_amount_unless_a_change_is_asked(question: str, kinds: list[str]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    "question,value,clash",
    [
        ("センターには何名のスタッフが所属していますか？", "1,000件以上", True),  # success cases are no staff
        ("従業員は何人？", "約350名", False),
        ("何店舗ある？", "1,000店", False),
        ("何カ国で展開？", "23ヶ国", False),
        ("How many people use it weekly?", "500社", True),
        ("How many people use it weekly?", "150,000人", False),
        ("How many stores does it run?", "1,000店", False),  # only people counters are compared in English
        ("従業員は何人？", "350", False),  # a bare number may count anything
    ],
)
def test_a_value_counting_something_else_is_no_answer(question: str, value: str, clash: bool) -> None:
    assert counter_clash(question, value) is clash


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("年間9,000時間の業務削減実績", "年間9,000時間"),  # hours a year: how much time, not how often
        ("削減時間: 600時間/年", "600時間"),
        ("月20時間/人の削減", "20時間"),
        ("1日2時間の削減", "2時間"),
    ],
)
def test_how_often_is_not_answered_by_time_per_period(text: str, span: str) -> None:
    """ "How often do … audit …?" was answered "9,000 hours per year" (年間9,000時間の業務削減実績)."""
    u = read_unit(text, span, 0.8, answer="duration")
    assert value_of_kind(u, asked_kinds("How often does Mitsui Fudosan audit its generative AI use?")) is None


@pytest.mark.parametrize(("text", "span"), [("更新頻度: 8週間", "8週間"), ("監査: 四半期ごと", "四半期ごと")])
def test_how_often_is_answered_by_an_interval_or_a_frequency(text: str, span: str) -> None:
    u = read_unit(text, span, 0.8, answer="duration")
    assert value_of_kind(u, asked_kinds("How often are the models updated?")) is not None


def test_a_value_written_per_user_answers_a_per_user_question() -> None:
    """ "What does a Harvey enterprise licence cost per user per year?" took the contract's total
    ($400k–$600k) of a row whose last cell is the per-user price, written before its "/ユーザー"."""
    text = "契約規模: エンタープライズ契約 / ユーザー数: 2,000ユーザー / 年間コスト: $400k–$600k / 単価: $200–300/ユーザー・年"
    u = read_unit(text, "$400k–$600k", 0.7, answer="amount")
    got = per_head_first("What does a Harvey enterprise licence cost per user per year?", [u])[0]
    assert got.span == "$200–300"
    # a question that asks no per-head figure keeps the span
    assert per_head_first("What does a Harvey enterprise contract cost a year?", [u])[0].span == "$400k–$600k"


def test_a_figure_of_another_period_is_no_answer() -> None:
    """ "What was HCA Healthcare's operating revenue in 2022?" was answered with the FY2024 figure."""
    u = read_unit("売上高: $70.603B (FY2024)", "$70.603B", 0.8, answer="amount")
    assert other_period("What was HCA Healthcare's operating revenue in 2022?", u)
    assert not other_period("What was HCA Healthcare's operating revenue in 2024?", u)
    assert not other_period("What is HCA Healthcare's operating revenue?", u)  # no period asked
    # a section of 2020-2023 holds 2021 (its unit says 同年: the year before it)
    v = read_unit(
        "同年時点でのWangの保有株式比率は15%。",
        "15%",
        0.8,
        answer="percent",
        heading_path=("2.3 LLM時代への転換（2020-2023）",),
    )
    assert not other_period("2021年の時点で、Alexandr WangはScale AIの株式を何％保有していた？", v)
