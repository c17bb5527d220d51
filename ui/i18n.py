"""UI labels in Japanese and English. `t(key, lang)` falls back to English, then to the key."""

from __future__ import annotations

from typing import Any

DEFAULT_LANG = "ja"
LANG_CHOICES = [("日本語", "ja"), ("English", "en")]

LABELS: dict[str, dict[str, str]] = {
    "title": {"ja": "casebook — 事例ライブラリ Q&A", "en": "casebook — case library Q&A"},
    "subtitle": {
        "ja": "日本語・英語で質問できます。回答には出典（文書・見出し・行番号）が付きます。",
        "en": "Ask in Japanese or English. Every answer cites its document, section and lines.",
    },
    "ui_lang": {"ja": "表示言語", "en": "UI language"},
    # tabs
    "tab_chat": {"ja": "チャット", "en": "Chat"},
    "tab_library": {"ja": "ライブラリ", "en": "Library"},
    "tab_briefing": {"ja": "企業ブリーフィング", "en": "Briefing"},
    "tab_eval": {"ja": "評価", "en": "Evaluation"},
    "tab_feedback": {"ja": "フィードバック", "en": "Feedback"},
    # chat
    "chat": {"ja": "会話", "en": "Conversation"},
    "question": {"ja": "質問", "en": "Question"},
    "question_ph": {
        "ja": "例: ミストラルAIのCEOは誰？ / Who is the CEO of Mistral AI?",
        "en": "e.g. Who is the CEO of Mistral AI? / ミストラルAIのCEOは誰？",
    },
    "send": {"ja": "送信", "en": "Send"},
    "clear": {"ja": "クリア", "en": "Clear"},
    "examples": {"ja": "質問の例", "en": "Example questions"},
    "empty_chat": {
        "ja": "事例ライブラリについて質問してください。下の例をクリックしても始められます。",
        "en": "Ask about the case library, or click one of the examples below.",
    },
    "sources": {"ja": "出典", "en": "Sources"},
    "sources_empty": {
        "ja": "回答の出典がここに表示されます。本文中の [n] をクリックすると該当箇所へ移動します。",
        "en": "The sources of an answer appear here. Click an [n] in the answer to jump to it.",
    },
    "related": {"ja": "関連する箇所（回答の根拠ではありません）", "en": "Related sections (not used as evidence)"},
    "related_short": {"ja": "関連", "en": "Related"},
    "refused_note": {
        "ja": "ライブラリに答えが見つかりませんでした。近い箇所を参考として示します。",
        "en": "The library does not contain the answer. The closest sections are shown for reference.",
    },
    "previous_answer": {"ja": "以前の回答", "en": "Earlier answer"},
    # source viewer (ui.render, ui.doc_viewer)
    "not_evidence": {"ja": "参考・回答の根拠ではありません", "en": "for reference, not evidence"},
    "open_doc": {"ja": "文書全体を開く", "en": "Open the full document"},
    "doc_close": {"ja": "閉じる", "en": "Close"},
    "doc_cited": {"ja": "引用箇所をハイライト表示", "en": "Cited lines highlighted"},
    "doc_related": {
        "ja": "関連する箇所（回答の根拠ではありません・ハイライトなし）",
        "en": "Related section (not evidence, not highlighted)",
    },
    "doc_unavailable": {
        "ja": "このサーバーでは文書ファイルを読めません。索引に保存された箇所のみ表示します。",
        "en": "The document file cannot be read on this server; only the indexed section is shown.",
    },
    "doc_gone": {
        "ja": "この出典は現在の会話にありません。",
        "en": "This source is not in the current conversation.",
    },
    "company": {"ja": "企業", "en": "Company"},
    "file": {"ja": "ファイル", "en": "File"},
    "lines": {"ja": "行", "en": "lines"},
    "status_ready": {"ja": "準備完了", "en": "Ready"},
    "status_thinking": {"ja": "回答を作成中…", "en": "Answering…"},
    "status_done": {"ja": "回答完了", "en": "Answered"},
    "status_error": {"ja": "エラー", "en": "Error"},
    "no_index": {
        "ja": "索引がありません。ライブラリタブで索引を作成してください。",
        "en": "There is no index yet. Build one in the Library tab.",
    },
    # filters
    "filters": {"ja": "絞り込み", "en": "Filters"},
    "f_country": {"ja": "国", "en": "Country"},
    "f_industry": {"ja": "業界", "en": "Industry"},
    "f_category": {"ja": "カテゴリ", "en": "Category"},
    "f_company": {"ja": "企業", "en": "Company"},
    "f_tags": {"ja": "タグ", "en": "Tags"},
    "f_founded": {"ja": "設立年", "en": "Founded"},
    "f_year_from": {"ja": "設立年（から）", "en": "Founded from"},
    "f_year_to": {"ja": "設立年（まで）", "en": "Founded until"},
    "f_clear": {"ja": "絞り込みを解除", "en": "Clear filters"},
    "f_active": {"ja": "適用中の絞り込み", "en": "Active filters"},
    "f_suggest": {"ja": "質問から推定した絞り込み", "en": "Filter suggested by the question"},
    "f_apply": {"ja": "適用", "en": "Apply"},
    "f_dismiss": {"ja": "無視", "en": "Dismiss"},
    # filter chips (under the question box)
    "chips_label": {"ja": "絞り込み（× で解除）", "en": "Filters (× removes)"},
    "chip_from": {"ja": "設立 {y} 年以降", "en": "Founded ≥ {y}"},
    "chip_to": {"ja": "設立 {y} 年以前", "en": "Founded ≤ {y}"},
    "chip_more": {"ja": "ほか {n} 件", "en": "+{n} more"},
    # conversations
    "cv_title": {"ja": "会話の履歴", "en": "Conversations"},
    "cv_new": {"ja": "新しい会話", "en": "New conversation"},
    "cv_list": {"ja": "保存された会話", "en": "Saved conversations"},
    "cv_rename": {"ja": "名前", "en": "Name"},
    "cv_rename_btn": {"ja": "名前を変更", "en": "Rename"},
    "cv_delete": {"ja": "削除", "en": "Delete"},
    "cv_export": {"ja": "Markdown で書き出す", "en": "Export as Markdown"},
    "cv_file": {"ja": "書き出したファイル", "en": "Exported file"},
    "cv_untitled": {"ja": "（無題）", "en": "(untitled)"},
    # feedback
    "fb_title": {
        "ja": "最新の回答を評価・コメント（各回答の下の評価ボタンも使えます）",
        "en": "Rate or comment on the latest answer (or use the thumbs under each answer)",
    },
    "fb_up": {"ja": "役に立った", "en": "Helpful"},
    "fb_down": {"ja": "役に立たない", "en": "Not helpful"},
    "fb_comment": {"ja": "コメント（任意）", "en": "Comment (optional)"},
    "fb_send": {"ja": "コメントを送信", "en": "Send comment"},
    "fb_saved": {"ja": "フィードバックを保存しました", "en": "Feedback saved"},
    "fb_none": {"ja": "評価する回答がまだありません", "en": "There is no answer to rate yet"},
    "fb_export": {"ja": "評価用の質問セットとして書き出す", "en": "Export as an eval question set"},
    "fb_count": {"ja": "保存済みフィードバック", "en": "Stored feedback"},
    # library
    "lib_docs": {"ja": "索引済みの文書", "en": "Indexed documents"},
    "lib_upload": {
        "ja": "事例ファイルを追加（.md / .txt、最大 5 MB）",
        "en": "Add case files (.md / .txt, up to 5 MB)",
    },
    "lib_upload_btn": {"ja": "アップロードして索引に追加", "en": "Upload and index"},
    "lib_reindex": {"ja": "再索引", "en": "Re-index"},
    "lib_delete": {"ja": "アップロード済みファイル", "en": "Uploaded file"},
    "lib_delete_btn": {"ja": "削除して索引から外す", "en": "Delete and remove from the index"},
    "up_deleted": {"ja": "削除しました", "en": "deleted"},
    "up_delete_none": {"ja": "削除するファイルを選んでください", "en": "Choose a file to delete"},
    "lib_rebuild": {"ja": "最初から作り直す", "en": "Rebuild from scratch"},
    "lib_refresh": {"ja": "表示を更新", "en": "Refresh"},
    "lib_status": {"ja": "索引の状態", "en": "Index status"},
    "col_title": {"ja": "タイトル", "en": "Title"},
    "col_doc": {"ja": "文書ID", "en": "Doc ID"},
    "col_facets": {"ja": "属性", "en": "Facets"},
    "col_chunks": {"ja": "チャンク", "en": "Chunks"},
    "col_status": {"ja": "状態", "en": "Status"},
    "ok": {"ja": "正常", "en": "OK"},
    "not_indexed": {"ja": "索引できなかったファイル", "en": "Files that could not be indexed"},
    "warnings": {"ja": "警告", "en": "warnings"},
    "generation": {"ja": "世代", "en": "generation"},
    "documents": {"ja": "文書", "en": "documents"},
    "up_no_files": {"ja": "ファイルが選択されていません", "en": "No file selected"},
    "up_bad_ext": {
        "ja": "対応していない拡張子です（.md / .txt のみ）",
        "en": "unsupported file type (only .md and .txt)",
    },
    "up_too_big": {"ja": "ファイルが大きすぎます", "en": "file too large"},
    "up_bad_name": {"ja": "使えないファイル名です", "en": "unusable file name"},
    "up_broken": {"ja": "読み込めません", "en": "cannot be loaded"},
    "up_line": {"ja": "行", "en": "line"},
    "up_added": {"ja": "追加しました", "en": "added"},
    "up_added_warn": {"ja": "追加しました（警告 {n} 件）", "en": "added with {n} warning(s)"},
    "up_warning": {"ja": "警告", "en": "warning"},
    "up_none_added": {"ja": "追加されたファイルはありません", "en": "No file was added"},
    "indexing": {"ja": "索引を作成中", "en": "Indexing"},
    "index_done": {"ja": "索引を更新しました", "en": "Index updated"},
    # briefing
    "br_company": {"ja": "企業", "en": "Company"},
    "br_vs": {"ja": "比較する企業（任意）", "en": "Compare with (optional)"},
    "br_lang": {"ja": "ブリーフィングの言語", "en": "Briefing language"},
    "br_make": {"ja": "ブリーフィングを作成", "en": "Make briefing"},
    "br_md": {"ja": "Markdown をダウンロード", "en": "Download Markdown"},
    "br_html": {"ja": "HTML をダウンロード", "en": "Download HTML"},
    "br_none": {"ja": "企業を選んでください", "en": "Pick a company"},
    # settings
    "tab_settings": {"ja": "設定", "en": "Settings"},
    "st_mode": {"ja": "回答方式", "en": "Answer mode"},
    "st_extractive": {
        "ja": "抽出型（オフライン、文書の文をそのまま引用）",
        "en": "Extractive (offline, quotes the documents)",
    },
    "st_llm": {"ja": "LLM", "en": "LLM"},
    "st_llm_status": {"ja": "LLM バックエンド", "en": "LLM backend"},
    "st_llm_none": {
        "ja": "未設定（CASEBOOK_LLM を設定すると LLM で回答できます）",
        "en": "not configured (set CASEBOOK_LLM to answer with an LLM)",
    },
    "st_llm_invalid": {"ja": "設定が正しくありません", "en": "invalid setting"},
    "st_llm_ok": {"ja": "接続できます", "en": "reachable"},
    "st_llm_down": {"ja": "接続できません", "en": "not reachable"},
    "st_llm_unchecked": {"ja": "未確認", "en": "not checked"},
    "st_check": {"ja": "接続を確認", "en": "Check connection"},
    "st_k": {"ja": "返す検索結果の数 (k)", "en": "Search results per question (k)"},
    "st_k_info": {
        "ja": "質問ごとに回答とともに返す検索結果（箇所）の数。抽出型の回答は k によらず上位の数箇所から読み取ります。",
        "en": "Sections returned with each answer. The extractive answer reads the top few sections whatever k is.",
    },
    "st_applies": {"ja": "次の質問から適用されます", "en": "Applies from the next question"},
    "st_sections": {"ja": "検索結果 {n} 件", "en": "{n} search results"},
    "mode_extractive": {"ja": "抽出型", "en": "extractive"},
    # eval
    "ev_path": {"ja": "質問セットのパス", "en": "Question set path"},
    "ev_upload": {"ja": "または質問セットをアップロード（.jsonl）", "en": "or upload a question set (.jsonl)"},
    "ev_run": {"ja": "評価を実行", "en": "Run evaluation"},
    "ev_limit": {"ja": "先頭 N 問のみ（0 = すべて）", "en": "Only the first N questions (0 = all)"},
    "ev_summary": {"ja": "結果", "en": "Results"},
    "ev_plots": {"ja": "グラフ", "en": "Plots"},
    "ev_report": {"ja": "レポート (report.md)", "en": "Report (report.md)"},
    "ev_none": {"ja": "有効な質問がありません", "en": "No valid question"},
}


def t(key: str, lang: str = DEFAULT_LANG) -> str:
    entry = LABELS.get(key)
    if not entry:
        return key
    return entry.get(lang) or entry.get("en") or key


def pick_lang(v: Any) -> str:
    """`v` when it is a UI language ("ja"/"en"), else the default (values from gr.State / a Radio)."""
    return v if v in ("ja", "en") else DEFAULT_LANG


EXAMPLES = {
    "ja": [
        "ミストラルAIのCEOは誰？",
        "Mixtral 8x7Bの総パラメータ数とアクティブパラメータ数は？",
        "日本企業の生成AI導入事例で、業務時間の削減効果は？",
        "ASMLはミストラルAIにいくら出資した？",
    ],
    "en": [
        "When was Mistral AI founded?",
        "How much did ASML put into Mistral's Series C, and what stake did it get?",
        "Which retail companies use generative AI, and for what?",
        "What is Mistral Compute?",
    ],
}
