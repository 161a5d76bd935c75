"""What the page carries besides components: its style and a little script.

The script makes Gradio's own labels Thai (Gradio picks its language from
the browser's, and has a Thai translation), turns each [n] of an answer into a
chip that opens and scrolls to that source, with the quoted lines highlighted
and the quote as the chip's tooltip, and keeps the chat scrolled to its end
when the chat tab is shown again.
"""

from __future__ import annotations

import json

# Gradio's own strings, by its i18n keys (given for "en" too: the app speaks Thai whatever the browser's language)
GRADIO_TH = {
    "chatbot.edit": "แก้ไข", "chatbot.retry": "ลองใหม่", "chatbot.undo": "ย้อนกลับ", "chatbot.submit": "ส่ง",
    "chatbot.cancel": "ยกเลิก", "chatbot.like": "ถูกใจ", "chatbot.dislike": "ไม่ถูกใจ", "chatbot.clear": "ล้างการสนทนา",
    "chatbot.complete": "เสร็จ", "chatbot.copy_message": "คัดลอกข้อความ", "chatbot.copied_message": "คัดลอกแล้ว",
    "common.built_with": "สร้างด้วย", "common.built_with_gradio": "สร้างด้วย Gradio", "common.clear": "ล้าง",
    "common.download": "ดาวน์โหลด", "common.download_all": "ดาวน์โหลดทั้งหมด", "common.edit": "แก้ไข",
    "common.empty": "ว่าง", "common.error": "ข้อผิดพลาด", "common.loading": "กำลังโหลด", "common.remove": "ลบ",
    "common.settings": "ตั้งค่า", "common.share": "แชร์", "common.submit": "ส่ง", "common.undo": "ย้อนกลับ",
    "common.language": "ภาษา", "common.display_theme": "ธีมการแสดงผล", "common.progress": "ความคืบหน้า",
    "common.run": "เรียกใช้", "common.or": "หรือ",
    "upload_text.click_to_upload": "คลิกเพื่ออัปโหลด", "upload_text.drop_file": "วางไฟล์ที่นี่",
    "upload_text.drop_csv": "วางไฟล์ CSV ที่นี่", "upload_text.paste_clipboard": "วางจากคลิปบอร์ด",
    "file.uploading": "กำลังอัปโหลด...",
    "errors.connection_can_break": "บนมือถือ การเชื่อมต่ออาจหลุดหากสลับแท็บหรือปิดหน้าจอ",
    "errors.lost_connection": "การเชื่อมต่อหลุด กำลังเชื่อมต่อใหม่...",
    "errors.waiting_for_inputs": "กำลังรอให้อัปโหลดไฟล์เสร็จ กรุณาลองใหม่",
    "errors.long_requests_queue": "มีคำขอรอคิวจำนวนมาก",
    "login.login": "เข้าสู่ระบบ", "login.username": "ชื่อผู้ใช้", "login.password": "รหัสผ่าน",
    "login.incorrect_credentials": "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง",
    "dataframe.sort_ascending": "เรียงจากน้อยไปมาก", "dataframe.sort_descending": "เรียงจากมากไปน้อย",
}
# labels Gradio writes in English without i18n: the page script puts them in Thai
HARDCODED_TH = {
    "chatbot conversation": "บทสนทนา", "Copy conversation": "คัดลอกบทสนทนา", "Copied conversation": "คัดลอกแล้ว",
    "More tabs": "แท็บเพิ่มเติม", "Click to upload or drop files": "คลิกเพื่ออัปโหลดหรือวางไฟล์",
    "File upload": "อัปโหลดไฟล์", "Gradio footer navigation": "ลิงก์ท้ายหน้า", "Use via API": "ใช้ผ่าน API",
    "Error": "ข้อผิดพลาด", "Close": "ปิด", "user's message: ": "คำถาม: ", "bot's message: ": "คำตอบ: ",
}

CSS = """
.planqa-source .meta { margin-bottom: .4em; line-height: 1.6; }
.planqa-source .page-image img { display: block; max-width: 100%; height: auto; margin: .4em 0; border: 1px solid var(--border-color-primary); }
.planqa-source table { border-collapse: collapse; width: 100%; font-size: .95em; }
.planqa-source td { border: none; padding: 1px 6px; vertical-align: top; white-space: pre-wrap; }
.planqa-source td.ln { color: var(--body-text-color-subdued); text-align: right; width: 3.5em; user-select: none; }
.planqa-source tr.hit td.ln { font-weight: 700; color: var(--body-text-color); }
.planqa-source mark { background: #fde68a; color: #111; padding: 0 2px; }
.planqa-source .note { color: var(--body-text-color-subdued); font-style: italic; }
.planqa-chip { display: inline-block; border: 1px solid var(--color-accent); color: var(--color-accent);
  border-radius: 999px; padding: 0 .45em; margin: 0 .1em; font-size: .85em; line-height: 1.4; cursor: pointer;
  background: var(--background-fill-primary); font-weight: 600; }
.planqa-chip:hover, .planqa-chip:focus { background: var(--color-accent); color: white; outline: none; }
.planqa-flash { animation: planqa-flash 1.6s ease-out; }
@keyframes planqa-flash { from { box-shadow: 0 0 0 4px #fbbf24; } to { box-shadow: 0 0 0 0 transparent; } }
#upload-result:empty { display: none; }
"""

HEAD = r"""
<script>
(() => {
  const THAI = __HARDCODED_TH__;

  function thai(root) {
    // the English Gradio writes without i18n: aria-labels, titles, a few texts
    for (const el of root.querySelectorAll("[aria-label], [title]")) {
      for (const attr of ["aria-label", "title"]) {
        let v = el.getAttribute(attr);
        if (!v) continue;
        if (attr === "aria-label" && v.includes("<")) {
          // a source's label is its passage viewer's HTML: a screen reader gets its words, not its markup
          v = new DOMParser().parseFromString(v, "text/html").body.textContent.replace(/\s+/g, " ").trim();
          el.setAttribute(attr, v);
        }
        for (const [en, th] of Object.entries(THAI)) {
          if (v === en) { el.setAttribute(attr, th); break; }
          if (en.endsWith(": ") && v.startsWith(en)) { el.setAttribute(attr, th + v.slice(en.length)); break; }
        }
      }
    }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const t = node.nodeValue.trim();
      if (t && THAI[t] && !node.parentElement.closest("#chat .message")) node.nodeValue = node.nodeValue.replace(t, THAI[t]);
    }
  }

  const CITE = /\[(\d{1,3})\]/g;

  function turns(chat) {
    // an answer and its sources are one bot row: the first message, then one collapsible "thought"
    // per source, titled "[n] office · section · lines"
    const out = [];
    for (const row of chat.querySelectorAll(".message-row.bot-row, .bot-row")) {
      const answer = row.querySelector(".message:not(.thought) .message-content") ||
        row.querySelector(".message:not(.thought)");
      const sources = {};
      for (const thought of row.querySelectorAll(".message.thought")) {
        const title = thought.querySelector(".title");
        const m = ((title && title.textContent) || "").match(/\[(\d{1,3})\]/);
        if (m) sources[m[1]] = thought;
      }
      out.push({ answer, sources });
    }
    return out;
  }

  function chipify(chat) {
    for (const turn of turns(chat)) {
      if (!turn.answer || !Object.keys(turn.sources).length) continue;
      const prose = turn.answer.querySelector(".prose, .md, .message-content") || turn.answer;
      const walker = document.createTreeWalker(prose, NodeFilter.SHOW_TEXT);
      const hits = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.parentElement.closest(".planqa-chip")) continue;
        CITE.lastIndex = 0;
        if (CITE.test(node.nodeValue)) hits.push(node);
      }
      for (const node of hits) {
        const frag = document.createDocumentFragment();
        let last = 0;
        node.nodeValue.replace(CITE, (all, n, at) => {
          frag.append(node.nodeValue.slice(last, at));
          const source = turn.sources[n];
          if (source) {
            const chip = document.createElement("button");
            chip.type = "button";
            chip.className = "planqa-chip";
            chip.dataset.n = n;
            chip.textContent = n;
            chip.setAttribute("aria-label", "แหล่งอ้างอิง " + n);
            chip.title = quoteOf(turn.answer, n) || ((source.querySelector(".title") || source).textContent || "").trim();
            chip.addEventListener("click", (ev) => { ev.preventDefault(); openSource(source); });
            frag.append(chip);
          } else {
            frag.append(all);
          }
          last = at + all.length;
          return all;
        });
        frag.append(node.nodeValue.slice(last));
        node.replaceWith(frag);
      }
    }
  }

  function quoteOf(answer, n) {
    // the quote an [n] follows in the answer text: the preview shown on hover
    const text = (answer && answer.textContent) || "";
    const at = text.indexOf("[" + n + "]");
    if (at < 0) return "";
    const open = text.lastIndexOf("“", at);
    const close = text.lastIndexOf("”", at);
    return open >= 0 && close > open ? text.slice(open + 1, close) : "";
  }

  function openSource(row) {
    if (!row.querySelector(".planqa-source")) {
      const toggle = row.querySelector(".title");
      if (toggle) toggle.click();
    }
    setTimeout(() => {
      const target = row.querySelector(".planqa-source mark") || row.querySelector(".planqa-source") || row;
      target.scrollIntoView({ behavior: "smooth", block: "center" });
      row.classList.remove("planqa-flash");
      void row.offsetWidth;
      row.classList.add("planqa-flash");
    }, 120);
  }

  function scrollToEnd(chat) {
    const box = chat.querySelector(".bubble-wrap, [role='log']") || chat;
    box.scrollTop = box.scrollHeight;
  }

  function watch() {
    const chat = document.querySelector("#chat");
    if (!chat) { setTimeout(watch, 300); return; }
    let labelling = false;
    new MutationObserver(() => {
      if (labelling) return;
      labelling = true;
      setTimeout(() => { labelling = false; thai(document.body); }, 200);
    }).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["aria-label"] });
    thai(document.body);
    let pending = false;
    new MutationObserver(() => {
      if (pending) return;
      pending = true;
      setTimeout(() => { pending = false; chipify(chat); }, 150);
    }).observe(chat, { childList: true, subtree: true, characterData: true });
    chipify(chat);
    // showing the chat tab again keeps its end in view (Gradio re-lays it out from the top)
    new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) setTimeout(() => scrollToEnd(chat), 50);
    }).observe(chat);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watch);
  else watch();
})();
</script>
"""
HEAD = HEAD.replace("__HARDCODED_TH__", json.dumps(HARDCODED_TH, ensure_ascii=False))
