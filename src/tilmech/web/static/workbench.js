// Progressive enhancement of the segment editor: saves and approvals through the JSON API,
// keyboard shortcuts, the progress bar and the preview kept current, placeholder chips,
// memory suggestions and concordance, propagation to identical sentences, and approval with
// findings confirmed. Without JavaScript the forms still work.
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]')?.content || "";
  const bar = document.querySelector(".bar");
  const previewBody = document.getElementById("preview-body");

  async function call(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data;
    try { data = await response.json(); } catch { data = {}; }
    if (!response.ok) throw data.error || { message: response.statusText, status: response.status };
    return data;
  }

  const api = (seg, suffix = "") => `/api/segments/${encodeURIComponent(seg.dataset.id)}/${encodeURIComponent(seg.dataset.lang)}${suffix}`;
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...children);
    return node;
  };

  // -- textareas grow with their text --------------------------------------------------------
  function grow(area) {
    area.style.height = "auto";
    area.style.height = `${area.scrollHeight + 2}px`;
  }
  document.querySelectorAll(".seg textarea").forEach((area) => {
    grow(area);
    area.addEventListener("input", () => grow(area));
  });

  // -- what a save or an approval changed, in place -------------------------------------------
  function show(seg, item) {
    seg.dataset.version = item.version;
    seg.querySelector('input[name="version"]').value = item.version;
    const area = seg.querySelector("textarea");
    area.value = item.text;
    area.defaultValue = item.text;
    grow(area);
    seg.querySelector(".state").textContent = item.state;
    seg.className = `seg state-${item.state}`;
    const risk = seg.querySelector(".risk");
    if (risk) risk.textContent = item.risk === null || item.risk === undefined ? "" : `risk ${Math.round(item.risk)}`;
    const list = seg.querySelector(".findings");
    list.replaceChildren(...item.findings.map((f) => el("li", { className: f.severity, textContent: `${f.severity}: ${f.message}` })));
    seg.querySelector(".error").textContent = "";
  }

  function say(seg, text) {
    const status = seg.querySelector(".saved");
    status.textContent = "";
    // a fresh text node, so that screen readers announce it again
    setTimeout(() => { status.textContent = text; }, 10);
  }

  async function refreshProgress() {
    if (!bar) return;
    const rows = await fetch("/api/progress", { credentials: "same-origin" }).then((r) => r.json());
    const row = rows.find((p) => p.article === bar.dataset.article && p.lang === bar.dataset.lang);
    if (!row) return;
    document.getElementById("progress").value = row.approved;
    document.getElementById("progress").max = row.total;
    document.getElementById("progress-label").textContent = `${row.approved} / ${row.total} approved`;
  }

  async function refreshPreview() {
    if (!previewBody) return;
    const response = await fetch(previewBody.dataset.url, { credentials: "same-origin", headers: { "X-Fragment": "preview" } });
    if (!response.ok) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    previewBody.replaceChildren(...doc.body.childNodes);
  }

  async function save(seg) {
    const area = seg.querySelector("textarea");
    if (area.value.trim() === area.defaultValue.trim()) return false;
    const item = await call("PUT", api(seg), { text: area.value, version: Number(seg.dataset.version) });
    show(seg, item);
    say(seg, `Saved: version ${item.version}${item.risk === null || item.risk === undefined ? "" : `, risk ${Math.round(item.risk)}`}.`);
    return true;
  }

  // -- approval: findings confirmed, then the offer to propagate ---------------------------------
  async function approve(seg, acknowledge = []) {
    const body = { version: Number(seg.dataset.version) };
    if (acknowledge.length) body.acknowledge = acknowledge;
    try {
      return await call("POST", api(seg, "/approve"), body);
    } catch (error) {
      if (error.type === "FindingsNotAcknowledged" && Array.isArray(error.findings)) {
        const codes = await confirmFindings(seg, error.findings);
        if (codes) return approve(seg, codes);
        const cancelled = new Error("not approved: the findings were not confirmed");
        cancelled.quiet = true;
        throw cancelled;
      }
      throw error;
    }
  }

  function confirmFindings(seg, findings) {
    const box = seg.querySelector(".confirm");
    return new Promise((resolve) => {
      const yes = el("button", { type: "button", className: "acknowledge", textContent: "Acknowledge and approve" });
      const no = el("button", { type: "button", textContent: "Cancel" });
      const done = (value) => { box.hidden = true; box.replaceChildren(); resolve(value); };
      yes.addEventListener("click", () => done([...new Set(findings.map((f) => f.code))]));
      no.addEventListener("click", () => done(null));
      box.setAttribute("role", "group");
      box.setAttribute("aria-label", "Confirm the approval");
      box.replaceChildren(
        el("p", { textContent: "This translation has open QA findings. Approve it anyway? Each one is recorded as acknowledged by you." }),
        el("ul", {}, ...findings.map((f) => el("li", { className: f.severity || "", textContent: `${f.severity ? `${f.severity}: ` : ""}${f.message} (${f.code})` }))),
        yes, " ", no);
      box.hidden = false;
      yes.focus();
    });
  }

  async function offerPropagation(seg) {
    let count = 0;
    try { count = (await call("GET", api(seg, "/identical"))).count || 0; } catch { return; }
    const box = seg.querySelector(".propagate");
    if (!count) { box.hidden = true; return; }
    const use = el("button", { type: "button", className: "propagate-yes", textContent: `Use this translation in ${count} identical segment${count === 1 ? "" : "s"}` });
    use.addEventListener("click", async () => {
      try {
        const item = await call("POST", api(seg, "/approve"), { version: Number(seg.dataset.version), propagate: true });
        show(seg, item);
        const n = item.propagated ?? count;
        box.replaceChildren(el("p", { textContent: `Copied to ${n} segment${n === 1 ? "" : "s"} with the same English, as drafts to approve.` }));
        say(seg, `Propagated to ${n}.`);
        await refreshPreview();
      } catch (error) {
        seg.querySelector(".error").textContent = error.message || String(error);
      }
    });
    box.replaceChildren(el("p", { textContent: `${count} other segment${count === 1 ? " has" : "s have"} the same English and no approved translation.` }), use);
    box.hidden = false;
  }

  async function act(seg, action) {
    try {
      if (action === "save" || action === "approve") await save(seg);
      if (action === "approve") {
        show(seg, await approve(seg));
        say(seg, "Approved.");
        offerPropagation(seg);
      } else if (action === "send-back") {
        const note = seg.querySelector('input[name="note"]')?.value || "";
        show(seg, await call("POST", api(seg, "/send-back"), { version: Number(seg.dataset.version), note }));
        say(seg, "Sent back.");
      }
      await Promise.all([refreshProgress(), refreshPreview()]);
      return true;
    } catch (error) {
      if (!error.quiet) seg.querySelector(".error").textContent = error.message || String(error);
      return false;
    }
  }

  function next(seg) {
    let other = seg.nextElementSibling;
    while (other && !other.classList.contains("seg")) other = other.nextElementSibling;
    const area = other?.querySelector("textarea");
    if (area) { area.focus(); other.scrollIntoView({ block: "center" }); }
  }

  refreshPreview();  // fetched after the page: the editor does not wait for the article to be rendered

  // -- placeholders and the source ----------------------------------------------------------------
  function insert(area, open, close = "") {
    if (area.readOnly) return;
    const { selectionStart: start, selectionEnd: end, value } = area;
    area.value = value.slice(0, start) + open + value.slice(start, end) + close + value.slice(end);
    area.focus();
    const caret = close ? end + open.length : start + open.length;
    area.setSelectionRange(caret, caret);
    grow(area);
  }

  // -- memory: suggestions under each segment ---------------------------------------------------
  const suggestions = new WeakMap();

  function sourceDiff(diff) {
    // how the suggestion's English differs from this segment's: its own words, the others shown inserted
    return diff.flatMap((part, i) => [...(i ? [document.createTextNode(" ")] : []), part.op === "equal" ? document.createTextNode(part.text)
      : el(part.op === "delete" ? "del" : "ins", { textContent: part.text, title: part.op === "delete" ? "only in the remembered sentence" : "only in this segment" })]);
  }

  async function loadSuggestions(seg) {
    if (suggestions.has(seg)) return suggestions.get(seg);
    const pending = call("GET", api(seg, "/suggestions?limit=3")).then((data) => data.suggestions || []).catch(() => []);
    suggestions.set(seg, pending);
    const found = await pending;
    const box = seg.querySelector(".memory");
    if (!box || !found.length) return found;
    const lang = seg.querySelector("textarea").lang;
    box.querySelector(".suggestions").replaceChildren(...found.map((s, i) => {
      const use = el("button", { type: "button", className: "use", textContent: `Use (Alt+${i + 1})` });
      use.addEventListener("click", () => useSuggestion(seg, i));
      const where = s.article ? el("a", { href: `/edit/${encodeURIComponent(s.article)}/${encodeURIComponent(seg.dataset.lang)}#seg-${encodeURIComponent(s.segment_id || "")}`, textContent: s.article }) : s.origin || "memory";
      return el("li", { className: `suggestion ${s.state}` },
        el("span", { className: "similarity", textContent: `${s.similarity}%` }), " ",
        el("span", { className: "text", lang, textContent: s.text }), " ", use,
        el("p", { className: "was", lang: "en" }, ...(s.diff ? sourceDiff(s.diff) : [document.createTextNode(s.source)])),
        el("small", {}, `${s.state} · `, where));
    }));
    box.hidden = false;
    return found;
  }

  async function useSuggestion(seg, index) {
    const found = await loadSuggestions(seg);
    const area = seg.querySelector("textarea");
    if (!found[index] || area.readOnly) return;
    area.value = found[index].text;
    grow(area);
    area.focus();
    say(seg, `Suggestion ${index + 1} (${found[index].similarity}%) inserted: not saved yet.`);
  }

  const watcher = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    entries.filter((e) => e.isIntersecting).forEach((e) => { loadSuggestions(e.target); watcher.unobserve(e.target); });
  }, { rootMargin: "200px" }) : null;

  // -- wiring -------------------------------------------------------------------------------------
  document.querySelectorAll(".seg").forEach((seg) => {
    const form = seg.querySelector("form.edit");
    const area = seg.querySelector("textarea");
    if (!form || !area) return;
    watcher?.observe(seg);
    area.addEventListener("focus", () => loadSuggestions(seg));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await act(seg, event.submitter?.value || "save");
    });
    area.addEventListener("keydown", async (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (area.readOnly) return;
        if (await act(seg, event.shiftKey ? "approve" : "save")) next(seg);
        return;
      }
      const digit = /^Digit([1-9])$/.exec(event.code);
      if (!digit || !event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      const n = Number(digit[1]);
      if (event.shiftKey) {
        const chip = [...seg.querySelectorAll(".chip")].find((c) => c.dataset.open === `{${n}}`);
        if (chip) insert(area, chip.dataset.open, chip.dataset.close);
      } else if (n <= 3) {
        await useSuggestion(seg, n - 1);
      }
    });
    seg.querySelectorAll(".chip").forEach((chip) => chip.addEventListener("click", () => insert(area, chip.dataset.open, chip.dataset.close)));
    seg.querySelector(".copy-source")?.addEventListener("click", () => {
      if (area.readOnly) return;
      area.value = seg.querySelector(".source").dataset.source;
      grow(area);
      area.focus();
    });
  });

  document.querySelectorAll(".seg form.comment").forEach((form) => {
    const seg = form.closest(".seg");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = form.querySelector('input[name="comment"]');
      try {
        const comments = await call("POST", api(seg, "/comments"), { text: input.value });
        let list = seg.querySelector(".notes");
        if (!list) {
          list = el("ul", { className: "notes" });
          list.setAttribute("aria-label", "Notes");
          seg.querySelector("header").after(list);
        }
        const mine = (comments[seg.dataset.lang] || []).at(-1);
        if (mine) list.append(el("li", { className: "comment" }, el("strong", { textContent: `${mine.who} comment` }), `: ${mine.text} `, el("small", { textContent: mine.at })));
        input.value = "";
        say(seg, "Comment added.");
      } catch (error) {
        seg.querySelector(".error").textContent = error.message || String(error);
      }
    });
  });

  // -- concordance: how was a phrase translated before? ------------------------------------------
  const concordance = document.querySelector("form.concordance");
  if (concordance) {
    concordance.hidden = false;
    concordance.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = concordance.querySelector('input[name="tm"]').value.trim();
      const out = document.getElementById("tm-results");
      if (!q) { out.replaceChildren(); return; }
      try {
        const data = await call("GET", `/api/tm/search?q=${encodeURIComponent(q)}&lang=${encodeURIComponent(concordance.dataset.lang)}&limit=50`);
        const results = data.results || [];
        if (!results.length) { out.replaceChildren(el("p", { textContent: `“${q}” is nowhere in the memory of this language.` })); return; }
        const head = el("tr", {}, ...["Article", "English", "Translation", "State"].map((h) => el("th", { scope: "col", textContent: h })));
        out.replaceChildren(el("table", { className: "tm-results" },
          el("caption", { textContent: `${results.length} result${results.length === 1 ? "" : "s"} for “${q}”` }),
          el("thead", {}, head),
          el("tbody", {}, ...results.map((r) => el("tr", {},
            el("td", {}, el("a", { href: `/edit/${encodeURIComponent(r.article)}/${encodeURIComponent(concordance.dataset.lang)}#seg-${encodeURIComponent(r.segment_id)}`, textContent: r.article })),
            el("td", { lang: "en", textContent: r.source }),
            el("td", { lang: document.querySelector(".seg textarea")?.lang || "", textContent: r.text }),
            el("td", { textContent: r.state }))))));
      } catch (error) {
        out.replaceChildren(el("p", { className: "error", textContent: error.message || String(error) }));
      }
    });
  }
})();
