"""python app.py [--host H] [--port P] [--share]: the Thai web chat over the plans.

The answering side starts first, in a background thread: it loads the model,
the stores and the word dictionary (and ingests the corpus when the index is
empty) while the main thread imports Gradio and builds the page (webui/ui.py),
so a question can be answered as soon as the page is served.
"""

from __future__ import annotations

import argparse
import logging
import threading

from planqa.cli import add_settings_args, guarded, load_settings, setup_logging
from planqa.errors import PlanQAError
from webui.services import Services, login

log = logging.getLogger("webui.app")


def _start(services: Services, empty: bool) -> None:
    """Warm the answering side, then ingest the corpus if the index was ``empty``: in the
    background, so the page is served at once and shows the progress. Questions wait while
    ``services.docs.state.running``: ``main`` sets it for an empty index, ``reingest`` clears it,
    and so does this when start-up fails before the ingest begins."""
    ingesting = False
    try:
        services.qa.warm_up()
        if empty:
            log.info("the index is empty: ingesting %s", services.settings.corpus_dir)
            ingesting = True
            services.docs.reingest()
    except PlanQAError as exc:  # shown on the status line too
        log.error("start-up ingest failed: %s", exc)
    except Exception:
        log.exception("start-up failed")
    finally:
        if empty and not ingesting:
            services.docs.state.running = False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python app.py", description="Serve the Thai Q&A web chat.")
    parser.add_argument("--host", help="address to bind (PLANQA_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (PLANQA_PORT, default 7860)")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (needs a login)")
    add_settings_args(parser)
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
    logging.getLogger("webui").setLevel(logging.DEBUG if args.verbose else logging.INFO)

    def _main() -> int:
        settings = load_settings(corpus_dir=args.corpus_dir, index_dir=args.index_dir, embedding=args.embedding,
                                 chroma_host=args.chroma_host, chroma_port=args.chroma_port,
                                 host=args.host, port=args.port)
        auth = login(settings, settings.host, args.share)
        services = Services.open(settings)
        services.qa.check_model()
        empty = services.docs.is_empty()
        if empty:
            services.docs.state.running = True  # questions wait for the ingest that starts below
            services.docs.state.label = "เริ่มนำเข้า"
        threading.Thread(target=_start, args=(services, empty), name="start-up", daemon=True).start()
        from webui import ui  # Gradio: ~4 s of imports, while the thread above warms up

        ui.launch(services, share=args.share, auth=auth)
        return 0

    return guarded(_main)


if __name__ == "__main__":
    raise SystemExit(main())
