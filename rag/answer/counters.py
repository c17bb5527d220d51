"""The words after a number, one list each: Japanese counters that say what was counted (28局, 350名,
3か国), for the reader's value types (rag.answer.reader.answer_types) and the unit scorer's
(rag.answer.extractive.question); and the bounds that belong to the figure (350名以上, 100兆超), for the
span (rag.answer.reader.span), the answer's choice of value (rag.answer.typed_answer) and its rendering
(rag.answer.value_text)."""

JA_COUNTERS = (
    "人|名|個|件|回|社|店舗|店|台|種類|種|本|枚|か国|ヶ国|カ国|国|校|機|基|隻|頭|匹|羽|冊|軒|棟|つ|か所|箇所|カ所|ヶ所|"
    "部署|部|話|巻|作品|作|曲|試合|勝|敗|位|階|歳|才|倍|点|票|議席|言語|ページ|項目|品目|病院|拠点|チーム|団体|都市|州|県|駅|"
    "度|メートル|キロ|トン|グラム|リットル|ヘクタール|平方キロメートル|m|km|kg|ha|局|課|工場|支店|事業所|施設|自治体"
)
"""Alternation for a regular expression (longer forms before the shorter ones they start with)."""

BOUNDS = r"超(?!え|過)|以上|未満|以下"
"""Alternation: a bound written after a figure (超える / 超過 are verbs, not a bound)."""
