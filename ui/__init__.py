"""The Gradio web UI of casebook, above `rag` (it only calls rag's public API).

`ui.app.build_app(settings)` builds the Blocks app from one module per concern: `theme` (look and
launch arguments), `backend` (the rag calls), `filters` (facet controls), `tab_chat` (streamed
answers), `rating` (👍/👎 and comments), `tab_library`, `tab_briefing`, `tab_eval`, `language` (the
ja/en toggle) and `api` (the `/ask` endpoint); `render` makes the HTML, `i18n` the labels, `uploads`
and `feedback` handle files. `ui.command` is the `casebook serve` subcommand (arguments and checks; `ui.serve` runs it); `ui.devserver` starts it as
a subprocess for tests. Nothing is imported here, so `ui.devserver` stays light (no Gradio); the only
effect is that Gradio's analytics are off before any module of the package imports it.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

__all__: list[str] = []
