"""ui/chips.py (the active filters as removable chips) and ui/stream_view.py (how the bubble grows)."""

from __future__ import annotations

from ui.chips import MAX_CHIPS, Chip, active_chips, chip_label, chip_updates, without_chip
from ui.filters import filters_from_controls
from ui.stream_view import visible_steps

CONTROLS = (["日本", "米国"], ["金融"], [], ["Mistral AI"], ["生成AI"], "2015", "")


def test_one_chip_per_active_value_in_panel_order():
    chips = active_chips(*CONTROLS)
    assert chips == [
        Chip("country", "日本"),
        Chip("country", "米国"),
        Chip("industry", "金融"),
        Chip("company", "Mistral AI"),
        Chip("tags", "生成AI"),
        Chip("from", "2015"),
    ]
    assert active_chips([], [], [], [], [], "", None) == []
    assert active_chips(None, None, None, None, None, "not a year", 0) == []


def test_removing_a_chip_removes_only_that_filter():
    chips = active_chips(*CONTROLS)
    after = without_chip(list(CONTROLS), Chip("country", "日本"))
    assert after[0] == ["米国"] and after[1:] == list(CONTROLS[1:])
    assert "日本" not in str(filters_from_controls(*after))
    assert filters_from_controls(*after)["country"] == "米国"
    after = without_chip(list(CONTROLS), Chip("from", "2015"))
    assert after[5] == "" and "founded_year" not in filters_from_controls(*after)
    # every chip removed one by one: no filter is left
    vals = list(CONTROLS)
    for c in chips:
        vals = without_chip(vals, c)
    assert filters_from_controls(*vals) == {} and active_chips(*vals) == []


def test_chip_labels_are_bilingual_and_follow_the_ui_language():
    assert chip_label(Chip("country", "日本"), "ja") == "国: 日本 / Japan ×"
    assert chip_label(Chip("country", "日本"), "en") == "Country: 日本 / Japan ×"
    assert chip_label(Chip("from", "2015"), "ja") == "設立 2015 年以降 ×"
    assert chip_label(Chip("to", "2020"), "en") == "Founded ≤ 2020 ×"
    assert chip_label(Chip("industry", "金融"), "en") == "Industry: 金融 ×"


def test_chip_updates_show_as_many_buttons_as_chips_and_count_the_rest():
    ups = chip_updates("ja", *CONTROLS)
    row, _label, buttons, more = ups[0], ups[1], ups[2:-1], ups[-1]
    assert row["visible"] is True and len(buttons) == MAX_CHIPS
    assert [b["visible"] for b in buttons] == [True] * 6 + [False] * (MAX_CHIPS - 6)
    assert buttons[0]["value"] == "国: 日本 / Japan ×" and more == ""
    many = [f"tag{i}" for i in range(MAX_CHIPS + 3)]
    ups = chip_updates("en", [], [], [], [], many, "", "")
    assert all(b["visible"] for b in ups[2:-1]) and "+3 more" in ups[-1]
    assert chip_updates("en", [], [], [], [], [], "", "")[0]["visible"] is False


class _Clock:
    """A clock the test advances (sleep moves it), to check the pacing without waiting."""

    def __init__(self):
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, s: float) -> None:
        self.slept.append(s)
        self.now += s


def _arriving(clock: _Clock, items: list, every: float, first: float = 1.0):
    """The stream as rag gives it: the first item after `first` s (retrieval), the rest `every` s apart."""
    for i, x in enumerate(items):
        clock.now += first if i == 0 else every
        yield x


def test_extractive_burst_is_shown_line_by_line_then_the_final_answer():
    clock = _Clock()
    final = object()
    burst = ["答え: 2023年 [1]\n", "\n", "> 「2023年4月に設立」 [1]\n", "> 「パリに本社」 [1]"]
    stream = _arriving(clock, [*burst, final], every=0.0)
    steps = list(visible_steps(stream, line_gap=0.1, budget=1.0, clock=clock, sleep=clock.sleep))
    texts = [v for k, v in steps if k == "text"]
    # the blank line is no step of its own
    assert texts == ["答え: 2023年 [1]\n", "".join(burst[:3]), "".join(burst)]
    assert steps[-1] == ("final", final)
    # the first line shows at once, each further line waits for the gap
    assert clock.slept == [0.1, 0.1]


def test_pacing_has_a_budget_and_never_delays_tokens():
    clock = _Clock()
    lines = [f"line {i}\n" for i in range(30)]
    steps = list(visible_steps(_arriving(clock, lines, 0.0), line_gap=0.1, budget=0.5, clock=clock, sleep=clock.sleep))
    assert abs(sum(clock.slept) - 0.5) < 1e-9
    assert steps[-1] == ("final", None) and steps[-2] == ("text", "".join(lines))
    # an LLM's tokens, slower than the throttle: each shown as it comes, no waiting
    clock = _Clock()
    tokens = ["Mis", "tral", " AI", " [1]"]
    steps = list(visible_steps(_arriving(clock, tokens, 0.06), clock=clock, sleep=clock.sleep, throttle=0.05))
    assert clock.slept == []
    assert [v for k, v in steps if k == "text"] == ["Mis", "Mistral", "Mistral AI", "Mistral AI [1]"]
    # faster than the throttle: fewer updates, the whole text at the end
    clock = _Clock()
    steps = list(visible_steps(_arriving(clock, tokens, 0.01), clock=clock, sleep=clock.sleep, throttle=0.05))
    texts = [v for k, v in steps if k == "text"]
    assert len(texts) < len(tokens) and texts[-1] == "Mistral AI [1]"
