// Progressive enhancement of the segment editor: saves and approvals through the JSON API,
// keyboard shortcuts, and the progress bar kept current. Without JavaScript the forms still work.
(() => {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf"]')?.content || "";
  const bar = document.querySelector(".bar");

  async function call(method, url, body) {
    const response = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw data.error || { message: response.statusText };
    return data;
  }

  const api = (seg, suffix = "") => `/api/segments/${encodeURIComponent(seg.dataset.id)}/${encodeURIComponent(seg.dataset.lang)}${suffix}`;

  function show(seg, item) {
    seg.dataset.version = item.version;
    seg.querySelector('input[name="version"]').value = item.version;
    seg.querySelector("textarea").value = item.text;
    seg.querySelector(".state").textContent = item.state;
    seg.className = `seg state-${item.state}`;
    const list = seg.querySelector(".findings");
    list.replaceChildren(...item.findings.map((f) => {
      const li = document.createElement("li");
      li.className = f.severity;
      li.textContent = `${f.severity}: ${f.message}`;
      return li;
    }));
    seg.querySelector(".error").textContent = "";
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

  async function save(seg) {
    const text = seg.querySelector("textarea").value;
    const shown = seg.querySelector("textarea").defaultValue;
    if (text.trim() === shown.trim()) return;
    const item = await call("PUT", api(seg), { text, version: Number(seg.dataset.version) });
    seg.querySelector("textarea").defaultValue = item.text;
    show(seg, item);
  }

  async function act(seg, action) {
    try {
      if (action === "save" || action === "approve") await save(seg);
      if (action !== "save") {
        const item = await call("POST", api(seg, `/${action}`), { version: Number(seg.dataset.version) });
        show(seg, item);
      }
      await refreshProgress();
      return true;
    } catch (error) {
      seg.querySelector(".error").textContent = error.message || String(error);
      return false;
    }
  }

  function next(seg) {
    let other = seg.nextElementSibling;
    while (other && !other.classList.contains("seg")) other = other.nextElementSibling;
    const area = other?.querySelector("textarea");
    if (area) { area.focus(); other.scrollIntoView({ block: "center" }); }
  }

  document.querySelectorAll(".seg form.edit").forEach((form) => {
    const seg = form.closest(".seg");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await act(seg, event.submitter?.value || "save");
    });
    form.querySelector("textarea").addEventListener("keydown", async (event) => {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
      event.preventDefault();
      if (await act(seg, event.shiftKey ? "approve" : "save")) next(seg);
    });
  });

  document.querySelectorAll(".seg form.comment").forEach((form) => {
    const seg = form.closest(".seg");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const input = form.querySelector("input");
      try {
        const comments = await call("POST", api(seg, "/comments"), { text: input.value });
        const list = seg.querySelector(".comments");
        list.replaceChildren(...(comments[seg.dataset.lang] || []).map((c) => {
          const li = document.createElement("li");
          li.textContent = `${c.at} ${c.who}: ${c.text}`;
          return li;
        }));
        input.value = "";
      } catch (error) {
        seg.querySelector(".error").textContent = error.message || String(error);
      }
    });
  });
})();
