"""Japanese counters: the words after a number that say what was counted (28局, 350名, 3か国), one list
for the reader's value types (rag.answer.reader.answer_types) and the unit scorer's
(rag.answer.extractive.question)."""

JA_COUNTERS = (
    "人|名|個|件|回|社|店舗|店|台|種類|種|本|枚|か国|ヶ国|カ国|国|校|機|基|隻|頭|匹|羽|冊|軒|棟|つ|か所|箇所|カ所|ヶ所|"
    "部署|部|話|巻|作品|作|曲|試合|勝|敗|位|階|歳|才|倍|点|票|議席|言語|ページ|項目|品目|病院|拠点|チーム|団体|都市|州|県|駅|"
    "度|メートル|キロ|トン|グラム|リットル|ヘクタール|平方キロメートル|m|km|kg|ha|局|課|工場|支店|事業所|施設|自治体"
)
"""Alternation for a regular expression (longer forms before the shorter ones they start with)."""
