"""python app.py [--host H] [--port P] [--share]: the Thai web chat over the plans.

Gradio only: the chat turn is webui.chat, upload/delete/re-ingest are
webui.documents, and what they return is rendered by webui.render.
"""

from __future__ import annotations

import argparse
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from planqa.cli import add_settings_args, guarded, load_settings, setup_logging
from planqa.errors import PlanQAError
from planqa.types import Progress
from retrieval.hybrid import RETRIEVERS
from webui import render
from webui.chat import respond, thai_error
from webui.documents import UploadResult
from webui.evaluate import HEADERS as EVAL_HEADERS
from webui.evaluate import EvaluationRefused
from webui.ratelimit import LoginRateLimit
from webui.services import Services, login

log = logging.getLogger("webui.app")
EXAMPLES = [
    "สำนักงานใดเน้นความปลอดภัยของนักเรียน",
    "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร",
    "เปรียบเทียบวิสัยทัศน์ของเขต 13 กับเขต 20",
    "What is the vision of the Mukdahan office?",
]
DOC_HEADERS = ["สำนักงาน", "ไฟล์", "จำนวนส่วน", "นำเข้าล่าสุด", "หมวด"]


def user_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Exceptions in a handler become a Thai gr.Error (gr.Error passes through)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            raise gr.Error(thai_error(exc)) from None

    return wrapper


# ---- chat ---------------------------------------------------------------------------------
def _chat_tab(services: Services) -> gr.Dropdown:
    chatbot = gr.Chatbot(label="คำตอบพร้อมแหล่งอ้างอิง", height=640, elem_id="chat",
                         placeholder="ถามเกี่ยวกับวิสัยทัศน์ พันธกิจ เป้าประสงค์ กลยุทธ์ หรือจุดเน้นของแต่ละสำนักงาน")
    with gr.Row():
        box = gr.Textbox(show_label=False, placeholder="พิมพ์คำถามภาษาไทย (หรืออังกฤษ) แล้วกด Enter",
                         scale=6, autofocus=True, max_length=2000, elem_id="question")
        send = gr.Button("ถาม", variant="primary", scale=1, elem_id="ask")
    with gr.Row():
        offices = gr.Dropdown(choices=services.office_choices(), multiselect=True, scale=6,
                              label="จำกัดเฉพาะสำนักงาน (ไม่เลือก = ทุกแผน)")
        clear = gr.Button("ล้างการสนทนา", scale=1)
    gr.Examples(EXAMPLES, inputs=box, label="ตัวอย่างคำถาม")
    asked = gr.State([])
    chat = functools.partial(respond, services)
    for trigger in (box.submit, send.click):
        trigger(chat, [box, chatbot, asked, offices], [chatbot, asked, box],
                api_visibility="undocumented", concurrency_limit=8)
    clear.click(lambda: ([], [], ""), None, [chatbot, asked, box], queue=False, api_visibility="undocumented")
    chatbot.clear(lambda: [], None, asked, queue=False, api_visibility="undocumented")
    return offices


# ---- documents ----------------------------------------------------------------------------
def _progress(progress: gr.Progress) -> Progress:
    def step(done: int, total: int, label: str) -> None:
        progress((done, total) if total else None, desc=render.step_label(label))

    return step


def _uploaded_lines(results: list[UploadResult]) -> list[str]:
    lines = []
    for r in results:
        if r.stored:
            verb = "แทนที่ไฟล์เดิม" if r.replaced else "เพิ่มไฟล์"
            lines.append(f"- {verb} **{render.markdown_text(r.stored)}**")
        else:
            lines.append(f"- ปฏิเสธ **{render.markdown_text(r.name)}**: {render.markdown_text(r.reason)}")
    return lines


def _documents_tab(services: Services, refresh_outputs: Callable[[], tuple[Any, ...]],
                   outputs_before: list[Any]) -> None:
    docs = services.docs
    gr.Markdown(f"เอกสารในโฟลเดอร์ `{render.markdown_text(services.settings.corpus_dir)}` และในดัชนี")
    table = gr.Dataframe(value=docs.rows(), headers=DOC_HEADERS, interactive=False, wrap=True, elem_id="documents")
    with gr.Row():
        with gr.Column():
            files = gr.File(label=f"อัปโหลดไฟล์ใหม่หรือฉบับแก้ไข (.txt .md .pdf .docx .html ไม่เกิน "
                                  f"{services.settings.max_upload_mb} MB)", file_count="multiple", type="filepath", elem_id="upload")
            save_as = gr.Dropdown(choices=docs.files(), value=None, allow_custom_value=True,
                                  label="บันทึกเป็น/แทนที่ไฟล์ (ไม่บังคับ, อัปโหลดทีละไฟล์)")
            upload = gr.Button("อัปโหลดและนำเข้า", variant="primary")
        with gr.Column():
            # custom values: a file uploaded after the page was built can be deleted too (delete() checks it)
            to_delete = gr.Dropdown(choices=docs.files(), value=None, allow_custom_value=True,
                                    label="ลบไฟล์ออกจากโฟลเดอร์เอกสาร")
            delete = gr.Button("ลบไฟล์และนำเข้าใหม่", variant="stop")
            full = gr.Checkbox(label="สร้างดัชนีใหม่ทั้งหมด (ช้ากว่า)", value=False)
            reingest = gr.Button("นำเข้าใหม่")
    result = gr.Markdown(elem_id="ingest-result")
    outputs = [result, table, save_as, to_delete, *outputs_before]

    def after(message: str) -> tuple[Any, ...]:
        names = docs.files()
        return (message, docs.rows(), gr.update(choices=names, value=None),
                gr.update(choices=names, value=None), *refresh_outputs())

    @user_errors
    def on_upload(paths: list[str] | None, name: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not paths:
            raise gr.Error("กรุณาเลือกไฟล์ที่จะอัปโหลด")
        results = docs.save_uploads(paths, (name or "").strip() or None)
        lines = _uploaded_lines(results)
        if not any(r.stored for r in results):
            raise gr.Error("ไม่ได้บันทึกไฟล์ใด: " + "; ".join(f"{r.name}: {r.reason}" for r in results))
        report = docs.reingest(progress=_progress(progress))
        return after("\n".join(lines) + "\n\n" + render.report_markdown(report))

    @user_errors
    def on_delete(source: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not source:
            raise gr.Error("กรุณาเลือกไฟล์ที่จะลบ")
        docs.delete(source)
        report = docs.reingest(progress=_progress(progress))
        return after(f"ลบ **{render.markdown_text(source)}** แล้ว\n\n" + render.report_markdown(report))

    @user_errors
    def on_reingest(full_rebuild: bool, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        return after(render.report_markdown(docs.reingest(full=full_rebuild, progress=_progress(progress))))

    upload.click(on_upload, [files, save_as], outputs, api_name="upload")
    delete.click(on_delete, [to_delete], outputs, api_name="delete")
    reingest.click(on_reingest, [full], outputs, api_visibility="undocumented")


# ---- evaluation ---------------------------------------------------------------------------
def _evaluation_tab(services: Services) -> None:
    gr.Markdown("รันชุดคำถามกับดัชนีปัจจุบัน แล้วดูตัวชี้วัดการค้นและการตอบแยกตามชนิดคำถาม "
                "(รูปแบบไฟล์: ดู README หัวข้อ Writing evaluation questions)")
    with gr.Row():
        questions = gr.File(label="ชุดคำถาม .jsonl (ไม่อัปโหลด = ชุดตัวอย่าง evals/questions/seeds.jsonl)",
                            file_types=[".jsonl"], type="filepath", elem_id="eval-questions")
        retriever = gr.Radio(list(RETRIEVERS), value="hybrid", label="วิธีค้น (hybrid = dense + BM25)")
    start = gr.Button("เริ่มประเมินผล", variant="primary", elem_id="eval-run")
    table = gr.Dataframe(headers=EVAL_HEADERS, interactive=False, wrap=True, label="สรุปตัวชี้วัด", elem_id="eval-summary")
    chart = gr.Image(label="ตัวชี้วัดตามชนิดคำถาม", type="filepath", interactive=False, elem_id="eval-chart")
    worst = gr.Markdown(elem_id="eval-worst")
    reports = gr.File(label="รายงานฉบับเต็ม (report.md, report.json)", file_count="multiple", interactive=False)

    @user_errors
    def on_run(path: str | None, how: str, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        def step(done: int, total: int, what: str) -> None:
            progress((done, total), desc="กำลังถามคำถาม")

        try:
            view = services.evaluator.run(Path(path) if path else None, how, progress=step)
        except EvaluationRefused as exc:
            raise gr.Error(str(exc)) from None
        except PlanQAError as exc:  # a malformed question file: the message names file:line
            raise gr.Error(f"ประเมินผลไม่สำเร็จ: {render.markdown_text(str(exc))}") from None
        header = f"**{view.questions} คำถาม — ข้อที่ผิดมากที่สุด**\n\n"
        return view.rows, str(view.chart), header + view.worst, [str(view.report_md), str(view.report_json)]

    # The evaluator runs one at a time; a second click is let through to be told so at once
    # (with a limit of 1 it would wait in the queue, its user not knowing why).
    start.click(on_run, [questions, retriever], [table, chart, worst, reports], api_name="evaluate",
                concurrency_limit=2)


# ---- named API ----------------------------------------------------------------------------
def _api(services: Services) -> None:
    @user_errors
    def ask(question: str, history: list[str] | None = None, offices: list[str] | None = None) -> dict[str, Any]:
        """A cited answer (Answer.to_dict()); history: earlier user questions, oldest first."""
        return services.qa.answer(question, history=history or None, offices=offices or None).to_dict()

    @user_errors
    def search(question: str, k: int = 10, offices: list[str] | None = None) -> list[dict[str, Any]]:
        """Ranked passages (Hit.to_dict())."""
        return [h.to_dict() for h in services.qa.search(question, k=int(k), offices=offices or None)]

    @user_errors
    def ingest(full: bool = False) -> dict[str, Any]:
        """Sync the index with the corpus folder; the IngestReport as a dict."""
        return services.docs.reingest(full=bool(full)).to_dict()

    gr.api(ask, api_name="ask", concurrency_limit=8)
    gr.api(search, api_name="search", concurrency_limit=8)
    gr.api(ingest, api_name="ingest")


def build_demo(services: Services) -> gr.Blocks:
    with gr.Blocks(title="ถาม-ตอบแผนยุทธศาสตร์ สพท.") as demo:
        gr.Markdown("## ถาม-ตอบแผนยุทธศาสตร์ สำนักงานเขตพื้นที่การศึกษา\n"
                    "คำตอบยกข้อความจากแผนพร้อมหมายเลขแหล่งอ้างอิง — เปิดแต่ละแหล่งเพื่อดูข้อความในบริบทของไฟล์ต้นฉบับ")
        status = gr.Markdown(services.status_line(), elem_id="status")
        timer = gr.Timer(2.0, active=False)

        def refresh() -> tuple[Any, ...]:
            running = services.docs.state.running
            return services.status_line(), gr.Timer(active=running), gr.update(choices=services.office_choices())

        with gr.Tabs():
            with gr.Tab("แชต"):
                offices = _chat_tab(services)
            with gr.Tab("เอกสาร"):
                _documents_tab(services, refresh, [status, timer, offices])
            with gr.Tab("ประเมินผล"):
                _evaluation_tab(services)
        _api(services)
        demo.load(refresh, None, [status, timer, offices], api_visibility="undocumented")
        timer.tick(refresh, None, [status, timer, offices], api_visibility="undocumented")
    return demo


# ---- entry point ----------------------------------------------------------------------------
def _first_ingest(services: Services) -> None:
    log.info("the index is empty: ingesting %s in the background", services.settings.corpus_dir)
    try:
        services.docs.reingest()
    except PlanQAError as exc:  # shown on the status line too
        log.error("initial ingest failed: %s", exc)
    except Exception:
        log.exception("initial ingest failed")


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
        services.qa.warm_up()
        if services.docs.is_empty():
            threading.Thread(target=_first_ingest, args=(services,), name="first-ingest", daemon=True).start()
        demo = build_demo(services)
        demo.queue(default_concurrency_limit=2)
        # a login is rate-limited per client address (webui/ratelimit.py)
        limit = [Middleware(LoginRateLimit, attempts=settings.login_attempts, window=settings.login_window_s)]
        demo.launch(server_name=settings.host, server_port=settings.port, share=args.share, auth=auth,
                    max_file_size=f"{settings.max_upload_mb}mb", css=render.CSS, show_error=False,
                    footer_links=["api"], app_kwargs={"middleware": limit} if auth else None)
        return 0

    return guarded(_main)


if __name__ == "__main__":
    raise SystemExit(main())
