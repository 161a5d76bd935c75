"""The Gradio page of the Thai web chat (``python app.py`` starts it).

Gradio only, and the only module that imports it: the chat turn is webui.chat, conversations webui.history,
upload/delete/re-ingest webui.documents, and what they return is rendered by
webui.render; the page's style and script are webui.page.
"""

from __future__ import annotations

import functools
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd
from starlette.middleware import Middleware

from ingest.loaders import SUPPORTED_SUFFIXES
from planqa.errors import InvalidInput, PlanQAError
from planqa.types import AbstainReason, Progress
from retrieval.hybrid import RETRIEVERS
from webui import history, overview_view, page, render
from webui.chat import respond, thai_error
from webui.documents import UploadResult
from webui.evaluate import HEADERS as EVAL_HEADERS
from webui.evaluate import EvaluationCancelled, EvaluationRefused
from webui.overview_export import write_csv, write_xlsx
from webui.ratelimit import LoginRateLimit
from webui.services import Services

log = logging.getLogger("webui.app")
EXAMPLES = [
    "สำนักงานใดเน้นความปลอดภัยของนักเรียน",
    "วิสัยทัศน์ของ สพม.มุกดาหาร คืออะไร",
    "เปรียบเทียบวิสัยทัศน์ของเขต 13 กับเขต 20",
    "What is the vision of the Mukdahan office?",
]
DOC_HEADERS = ["สำนักงาน", "ชื่อแผน", "ไฟล์", "สถานะ", "จำนวนส่วน", "จำนวนหมวด", "นำเข้าล่าสุด"]
API_WAIT_S = 60.0  # an API question waits this long for the first ingest before it is told to come back


def user_errors(fn: Callable[..., Any], english: bool = False) -> Callable[..., Any]:
    """Exceptions in a handler become a Thai gr.Error (gr.Error passes through); ``english``
    (the named API): a refused input's English message follows the Thai one."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as exc:
            message = thai_error(exc)
            if english and isinstance(exc, InvalidInput):
                message = f"{message} ({exc})"
            raise gr.Error(message) from None

    return wrapper


api_errors = functools.partial(user_errors, english=True)


# ---- chat ---------------------------------------------------------------------------------
def _chat_tab(services: Services) -> tuple[gr.Dropdown, tuple[Callable[..., Any], list[Any], list[Any]]]:
    """The chat; returns the office filter and how to restore the last conversation on page load."""
    store = gr.BrowserState(history.empty_store(), storage_key="planqa-conversations")
    chatbot = gr.Chatbot(label="คำตอบพร้อมแหล่งอ้างอิง", height=640, elem_id="chat", buttons=["copy", "copy_all"],
                         feedback_options=None,
                         placeholder="ถามเกี่ยวกับวิสัยทัศน์ พันธกิจ เป้าประสงค์ กลยุทธ์ หรือจุดเน้นของแต่ละสำนักงาน")
    with gr.Row():
        box = gr.Textbox(show_label=False, placeholder="พิมพ์คำถามภาษาไทย (หรืออังกฤษ) แล้วกด Enter",
                         scale=6, autofocus=True, max_length=2000, elem_id="question")
        send = gr.Button("ถาม", variant="primary", scale=1, elem_id="ask")
    with gr.Row():
        alone = gr.Button("ถามข้อล่าสุดใหม่โดยไม่ใช้บทสนทนาก่อนหน้า", size="sm", elem_id="ask-alone")
        new = gr.Button("เริ่มบทสนทนาใหม่", size="sm", elem_id="new-conversation")
        export = gr.Button("ส่งออกเป็น Markdown", size="sm", elem_id="export")
    with gr.Row():
        offices = gr.Dropdown(choices=services.office_choices(), multiselect=True, scale=3,
                              label="จำกัดเฉพาะสำนักงาน (ไม่เลือก = ทุกแผน)")
        past = gr.Dropdown(choices=[], value=None, scale=3, label="บทสนทนาก่อนหน้า", elem_id="past")
    exported = gr.File(label="ไฟล์ที่ส่งออก", visible=False, interactive=False, elem_id="exported")
    gr.Examples(EXAMPLES, inputs=box, label="ตัวอย่างคำถาม")
    asked = gr.State([])
    turns = gr.State([])

    def chat(message: str, shown: list[Any], earlier: list[str], done: list[Any], chosen: list[str] | None) -> Any:
        yield from respond(services, message, shown, earlier, done, chosen)

    def chat_alone(shown: list[Any], earlier: list[str], done: list[Any], chosen: list[str] | None) -> Any:
        if earlier:
            yield from respond(services, earlier[-1], shown, earlier, done, chosen, alone=True)
        else:
            yield shown, earlier, "", done

    def remember(shown: list[Any], earlier: list[str], done: list[Any], kept: dict[str, Any]) -> Any:
        kept = history.save(kept, shown, earlier, done)
        return kept, gr.update(choices=history.choices(kept), value=kept["current"] or None)

    def restore(kept: dict[str, Any]) -> Any:
        shown, earlier, done = history.restore(kept, (kept or {}).get("current"))
        return shown, earlier, done, gr.update(choices=history.choices(kept), value=(kept or {}).get("current") or None)

    def switch(cid: str | None, kept: dict[str, Any]) -> Any:
        shown, earlier, done = history.restore(kept, cid)
        return shown, earlier, done, {**(kept or history.empty_store()), "current": cid or ""}

    def start_new(kept: dict[str, Any]) -> Any:
        return [], [], [], "", {**(kept or history.empty_store()), "current": ""}, gr.update(value=None)

    def do_export(done: list[Any], earlier: list[str]) -> Any:
        if not done:
            raise gr.Error("ยังไม่มีคำตอบให้ส่งออก")
        return gr.update(value=str(history.export_file(done, earlier[0] if earlier else "")), visible=True)

    turn_io = [chatbot, asked, box, turns]
    for trigger in (box.submit, send.click):
        trigger(chat, [box, chatbot, asked, turns, offices], turn_io, api_visibility="undocumented",
                concurrency_limit=8).then(remember, [chatbot, asked, turns, store], [store, past], queue=False,
                                          api_visibility="undocumented")
    alone.click(chat_alone, [chatbot, asked, turns, offices], turn_io, api_visibility="undocumented",
                concurrency_limit=8).then(remember, [chatbot, asked, turns, store], [store, past], queue=False,
                                          api_visibility="undocumented")
    new.click(start_new, [store], [chatbot, asked, turns, box, store, past], queue=False,
              api_visibility="undocumented")
    past.input(switch, [past, store], [chatbot, asked, turns, store], queue=False, api_visibility="undocumented")
    export.click(do_export, [turns, asked], exported, api_visibility="undocumented")
    chatbot.clear(lambda kept: ([], [], {**(kept or history.empty_store()), "current": ""}), [store],
                  [asked, turns, store], queue=False, api_visibility="undocumented")
    return offices, (restore, [store], [chatbot, asked, turns, past])


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
            lines.append(f"- ไม่รับไฟล์ **{render.markdown_text(r.name)}**: {render.markdown_text(r.reason)}")
    return lines


def _documents_tab(services: Services, refresh_outputs: Callable[[], tuple[Any, ...]],
                   outputs_before: list[Any]) -> tuple[list[Any], Callable[[], tuple[Any, ...]]]:
    """The Documents tab; returns the components kept live and the function that refreshes them."""
    docs = services.docs
    gr.Markdown(f"เอกสารในโฟลเดอร์ `{render.markdown_text(services.settings.corpus_dir)}` และสถานะในดัชนี "
                "(ปรับให้เป็นปัจจุบันทุกครั้งที่นำเข้าและเมื่อเปิดหน้าใหม่)")
    table = gr.Dataframe(headers=DOC_HEADERS, interactive=False, wrap=True, elem_id="documents")
    with gr.Row():
        with gr.Column():
            files = gr.File(label=f"อัปโหลดไฟล์ใหม่หรือฉบับแก้ไข ({' '.join(SUPPORTED_SUFFIXES)} ไม่เกิน "
                                  f"{services.settings.max_upload_mb} MB)", file_count="multiple", type="filepath",
                            file_types=list(SUPPORTED_SUFFIXES), elem_id="upload")
            save_as = gr.Dropdown(choices=[], value=None, allow_custom_value=True,
                                  label="บันทึกเป็น/แทนที่ไฟล์ (ไม่บังคับ, อัปโหลดทีละไฟล์)")
            upload = gr.Button("อัปโหลดและนำเข้า", variant="primary", elem_id="upload-button")
            upload_result = gr.Markdown(elem_id="upload-result")
        with gr.Column():
            # custom values: a file uploaded after the page was built can be chosen too (checked on delete)
            chosen = gr.Dropdown(choices=[], value=None, allow_custom_value=True, label="เลือกไฟล์", elem_id="chosen")
            with gr.Row():
                delete = gr.Button("ลบไฟล์", variant="stop", size="sm", elem_id="delete")
                confirm = gr.Button("ยืนยันการลบ", variant="stop", size="sm", visible=False, elem_id="confirm-delete")
                cancel = gr.Button("ยกเลิก", size="sm", visible=False, elem_id="cancel-delete")
            with gr.Accordion("ระบุสำนักงานของแผนนี้ (บันทึกใน offices.toml)", open=False):
                office_name = gr.Textbox(label="ชื่อสำนักงาน (เว้นว่าง = ให้ระบบอ่านจากแผนเอง)")
                office_aliases = gr.Textbox(label="ชื่อเรียกอื่น คั่นด้วยจุลภาค")
                save_office = gr.Button("บันทึกและนำเข้าใหม่", size="sm")
            full = gr.Checkbox(label="สร้างดัชนีใหม่ทั้งหมด (ช้ากว่า)", value=False)
            reingest = gr.Button("นำเข้าใหม่")
    result = gr.Markdown(elem_id="ingest-result")
    preview = gr.Markdown("เลือกไฟล์เพื่อดูส่วนที่นำเข้า", elem_id="preview")
    outputs = [result, table, save_as, chosen, *outputs_before]

    def fresh() -> tuple[Any, ...]:
        names = docs.files()
        return (docs.rows(names), gr.update(choices=names), gr.update(choices=names))

    def after(message: str) -> tuple[Any, ...]:
        names = docs.files()
        return (message, docs.rows(names), gr.update(choices=names, value=None),
                gr.update(choices=names, value=None), *refresh_outputs())

    @user_errors
    def on_upload(paths: list[str] | None, name: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not paths:
            return ("กรุณาเลือกไฟล์ที่จะอัปโหลด", *(gr.update() for _ in outputs))
        results = docs.save_uploads(paths, (name or "").strip() or None)
        lines = "\n".join(_uploaded_lines(results))
        if not any(r.stored for r in results):  # one Thai message by the upload, nothing else touched
            return (lines, *(gr.update() for _ in outputs))
        report = docs.reingest(progress=_progress(progress))
        return (lines, *after(render.report_markdown(report)))

    @user_errors
    def on_choose(source: str | None) -> tuple[Any, ...]:
        office, aliases = docs.office_entry(source)
        return docs.preview(source), office, aliases, gr.update(visible=False), gr.update(visible=False)

    def on_delete(source: str | None) -> tuple[Any, ...]:
        if not source:
            return gr.update(), gr.update(), "กรุณาเลือกไฟล์ที่จะลบ"
        return gr.update(visible=True), gr.update(visible=True), f"ลบ **{render.markdown_text(source)}** ใช่หรือไม่?"

    @user_errors
    def on_confirm(source: str | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not source:
            raise gr.Error("กรุณาเลือกไฟล์ที่จะลบ")
        docs.delete(source)
        report = docs.reingest(progress=_progress(progress))
        return (gr.update(visible=False), gr.update(visible=False),
                *after(f"ลบ **{render.markdown_text(source)}** แล้ว\n\n" + render.report_markdown(report)))

    @user_errors
    def on_save_office(source: str | None, office: str, aliases: str,
                       progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        if not source:
            raise gr.Error("กรุณาเลือกไฟล์ก่อน")
        docs.set_office(source, office, [a for a in (aliases or "").split(",")])
        report = docs.reingest(progress=_progress(progress))
        return after(f"บันทึกสำนักงานของ **{render.markdown_text(source)}** แล้ว\n\n" + render.report_markdown(report))

    @user_errors
    def on_reingest(full_rebuild: bool, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:  # noqa: B008
        return after(render.report_markdown(docs.reingest(full=full_rebuild, progress=_progress(progress))))

    upload.click(on_upload, [files, save_as], [upload_result, *outputs], api_name="upload")
    chosen.input(on_choose, [chosen], [preview, office_name, office_aliases, confirm, cancel],
                 api_visibility="undocumented")
    delete.click(on_delete, [chosen], [confirm, cancel, result], queue=False, api_visibility="undocumented")
    cancel.click(lambda: (gr.update(visible=False), gr.update(visible=False), ""), None, [confirm, cancel, result],
                 queue=False, api_visibility="undocumented")
    confirm.click(on_confirm, [chosen], [confirm, cancel, *outputs], api_visibility="undocumented")
    save_office.click(on_save_office, [chosen, office_name, office_aliases], outputs, api_visibility="undocumented")
    reingest.click(on_reingest, [full], outputs, api_visibility="undocumented")
    return [table, save_as, chosen], fresh


# ---- evaluation ---------------------------------------------------------------------------
def _evaluation_tab(services: Services) -> None:
    gr.Markdown("รันชุดคำถามกับดัชนีปัจจุบัน แล้วดูตัวชี้วัดการค้นและการตอบแยกตามชนิดคำถาม "
                "(รูปแบบไฟล์: ดู README หัวข้อ Writing evaluation questions)")
    with gr.Row():
        questions = gr.File(label="ชุดคำถาม .jsonl (ไม่อัปโหลด = ชุดตัวอย่าง evals/questions/seeds.jsonl)",
                            file_types=[".jsonl"], type="filepath", elem_id="eval-questions")
        retriever = gr.Radio(list(RETRIEVERS), value="hybrid", label="วิธีค้น (hybrid = dense + BM25)")
    with gr.Row():
        start = gr.Button("เริ่มประเมินผล", variant="primary", elem_id="eval-run")
        stop = gr.Button("หยุดประเมินผล", variant="stop", elem_id="eval-stop")
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
        except (EvaluationRefused, EvaluationCancelled) as exc:
            raise gr.Error(str(exc)) from None
        except PlanQAError as exc:  # a malformed question file: the message names file:line
            raise gr.Error(f"ประเมินผลไม่สำเร็จ: {render.markdown_text(str(exc))}") from None
        header = f"**{view.questions} คำถาม — ข้อที่ผิดมากที่สุด**\n\n"
        return view.rows, str(view.chart), header + view.worst, [str(view.report_md), str(view.report_json)]

    # The evaluator runs one at a time; a second click is let through to be told so at once
    # (with a limit of 1 it would wait in the queue, its user not knowing why).
    start.click(on_run, [questions, retriever], [table, chart, worst, reports], api_name="evaluate",
                concurrency_limit=2)

    def on_stop() -> None:
        if services.evaluator.cancel():
            gr.Info("กำลังหยุดการประเมินผลหลังคำถามที่กำลังถามอยู่")
        else:
            gr.Info("ไม่มีการประเมินผลที่กำลังทำงานอยู่")

    stop.click(on_stop, None, None, api_name="evaluate_stop", concurrency_limit=None)


# ---- overview -----------------------------------------------------------------------------
def _overview_tab(services: Services) -> None:
    gr.Markdown("ภาพรวมประเด็น × หน่วยงาน: แต่ละช่องบอกว่าแผนของหน่วยงานกล่าวถึงประเด็นนั้นเพียงใด "
                "— กดช่องเพื่อดูข้อความจากแผนพร้อมแหล่งอ้างอิง")
    with gr.Row():
        typed = gr.Textbox(label="เพิ่มประเด็น (คั่นด้วยจุลภาคหรือขึ้นบรรทัดใหม่)", scale=4, elem_id="ov-themes")
        show = gr.Button("แสดงภาพรวม", variant="primary", scale=1, elem_id="ov-show")
    with gr.Row():
        sort_by = gr.Dropdown(choices=[], value=None, label="เรียงหน่วยงานตามประเด็น", elem_id="ov-sort")
        keep = gr.Textbox(label="กรองหน่วยงาน", elem_id="ov-filter")
    gr.HTML(overview_view.legend(), elem_id="ov-legend")
    matrix = gr.Dataframe(interactive=False, wrap=True, label="ภาพรวม", elem_id="ov-matrix")
    quotes = gr.HTML(elem_id="ov-quotes")
    with gr.Row():
        csv_file = gr.File(label="CSV", interactive=False, elem_id="ov-csv")
        xlsx_file = gr.File(label="XLSX", interactive=False, elem_id="ov-xlsx")
    data = gr.State({})

    def table(current: dict[str, Any], theme: str | None, office: str) -> Any:
        shown = overview_view.rows(current, theme or "", office or "")
        frame = pd.DataFrame(shown, columns=[overview_view.OFFICE_HEADER, *current.get("themes", [])])
        styles = pd.DataFrame(overview_view.colours(current, shown), index=frame.index, columns=frame.columns)
        return frame.style.apply(lambda _: styles, axis=None)

    @user_errors
    def on_show(extra: str, theme: str | None, office: str) -> tuple[Any, ...]:
        current = services.overview(overview_view.typed_themes(extra or ""))
        folder = Path(tempfile.mkdtemp(prefix="planqa-overview-"))
        return (current, table(current, theme, office), gr.update(choices=current["themes"]), "",
                str(write_csv(current, folder / "overview.csv")), str(write_xlsx(current, folder / "overview.xlsx")))

    def on_view(current: dict[str, Any], theme: str | None, office: str) -> Any:
        return table(current, theme, office) if current else gr.update()

    def on_select(current: dict[str, Any], theme: str | None, office: str, evt: gr.SelectData) -> str:
        row, col = evt.index
        shown = overview_view.rows(current, theme or "", office or "")
        if not current or col == 0 or row >= len(shown):
            return ""
        return overview_view.cell_html(current, shown[row][0], current["themes"][col - 1],
                                       services.settings.corpus_dir)

    show.click(on_show, [typed, sort_by, keep], [data, matrix, sort_by, quotes, csv_file, xlsx_file],
               api_visibility="undocumented")
    sort_by.change(on_view, [data, sort_by, keep], matrix, api_visibility="undocumented")
    keep.change(on_view, [data, sort_by, keep], matrix, api_visibility="undocumented")
    matrix.select(on_select, [data, sort_by, keep], quotes, api_visibility="undocumented")


# ---- named API ----------------------------------------------------------------------------
def _api(services: Services) -> None:
    @api_errors
    def ask(question: str, history: list[str] | None = None, offices: list[str] | None = None) -> dict[str, Any]:
        """A cited answer (Answer.to_dict()); history: earlier user questions, oldest first. While the first
        ingest runs it waits for it (up to a minute), then answers "indexing" with the progress."""
        if not services.wait_for_first_ingest(API_WAIT_S):
            return {"question": question, "text": services.progress_text(), "abstained": True,
                    "abstain_reason": AbstainReason.INDEXING.value, "citations": [], "hits": [], "notes": [AbstainReason.INDEXING.value],
                    "rewritten_question": ""}
        return services.qa.answer(question, history=history or None, offices=offices).to_dict()

    @api_errors
    def search(question: str, k: int = 10, offices: list[str] | None = None) -> list[dict[str, Any]]:
        """Ranked passages (Hit.to_dict())."""
        return [h.to_dict() for h in services.qa.search(question, k=k, offices=offices)]

    @api_errors
    def ingest(full: bool = False) -> dict[str, Any]:
        """Sync the index with the corpus folder; the IngestReport as a dict."""
        return services.docs.reingest(full=bool(full)).to_dict()

    @api_errors
    def delete(source: str) -> dict[str, Any]:
        """Delete a corpus file (a copy is kept in <index>/deleted/) and re-ingest; the IngestReport."""
        services.docs.delete(source)
        return services.docs.reingest().to_dict()

    gr.api(ask, api_name="ask", concurrency_limit=8)
    gr.api(search, api_name="search", concurrency_limit=8)
    gr.api(ingest, api_name="ingest")
    gr.api(delete, api_name="delete")

    @api_errors
    def overview(themes: list[str] | None = None, offices: list[str] | None = None) -> dict[str, Any]:
        """Every office's stance on every theme (the mined default themes plus ``themes``), as the JSON of
        ``python -m retrieval overview``."""
        return services.overview(themes or [], offices or [])

    gr.api(overview, api_name="overview")


def launch(services: Services, share: bool, auth: tuple[str, str] | None) -> None:
    """Build the page and serve it (blocks until the server stops)."""
    settings = services.settings
    demo = build_demo(services)
    demo.queue(default_concurrency_limit=2)
    # a login is rate-limited per client address (webui/ratelimit.py): the connecting address, or what
    # X-Forwarded-For says only when the connection comes from PLANQA_TRUSTED_PROXIES. uvicorn (under
    # Gradio) rewrites the client from that header for the addresses this variable names, by default
    # 127.0.0.1: any local process, or a local proxy passing a forged header on, got fresh login tries
    os.environ["FORWARDED_ALLOW_IPS"] = settings.trusted_proxies
    limit = [Middleware(LoginRateLimit, attempts=settings.login_attempts, window=settings.login_window_s)]
    demo.launch(server_name=settings.host, server_port=settings.port, share=share, auth=auth,
                max_file_size=f"{settings.max_upload_mb}mb", css=page.CSS, head=page.HEAD, show_error=False,
                i18n=gr.I18n(th=page.GRADIO_TH, en=page.GRADIO_TH),
                footer_links=["api"], app_kwargs={"middleware": limit} if auth else None)


def build_demo(services: Services) -> gr.Blocks:
    with gr.Blocks(title="ถาม-ตอบแผนยุทธศาสตร์ สพท.") as demo:
        gr.Markdown("## ถาม-ตอบแผนยุทธศาสตร์ สำนักงานเขตพื้นที่การศึกษา\n"
                    "คำตอบยกข้อความจากแผนพร้อมหมายเลขแหล่งอ้างอิง — กดหมายเลขเพื่อเปิดข้อความในบริบทของไฟล์ต้นฉบับ")
        status = gr.Markdown(services.status_line(), elem_id="status")
        timer = gr.Timer(2.0, active=False)
        holder: dict[str, Any] = {}

        def refresh() -> tuple[Any, ...]:
            running = services.docs.state.running
            return services.status_line(), gr.Timer(active=running), gr.update(choices=services.office_choices())

        def tick() -> tuple[Any, ...]:
            return (*refresh(), *holder["documents"]())

        with gr.Tabs():
            with gr.Tab("แชต"):
                offices, (restore, restore_in, restore_out) = _chat_tab(services)
            with gr.Tab("เอกสาร"):
                doc_outputs, holder["documents"] = _documents_tab(services, refresh, [status, timer, offices])
            with gr.Tab("ภาพรวม"):
                _overview_tab(services)
            with gr.Tab("ประเมินผล"):
                _evaluation_tab(services)
        _api(services)
        live = [status, timer, offices, *doc_outputs]
        demo.load(tick, None, live, api_visibility="undocumented")
        demo.load(restore, restore_in, restore_out, api_visibility="undocumented")
        timer.tick(tick, None, live, api_visibility="undocumented")
    return demo
