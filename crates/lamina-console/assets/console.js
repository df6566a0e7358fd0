// Lamina console: the little JavaScript the pages need. The Test tab (saved events, the
// event editor with templates, running a test), the configuration form, and the flag
// buttons on the environments page. Everything else is rendered by the server.
"use strict";

(function () {
  const $ = (sel) => document.querySelector(sel);
  const enc = encodeURIComponent;

  // Every call answers JSON or Lambda's {"Type","Message"} error; a network failure becomes
  // an error with a message too, so every action ends in something visible.
  async function call(method, url, body, raw) {
    const init = { method, headers: {} };
    // Changes echo the session's CSRF token when the server requires sign-in.
    const csrf = (document.cookie.match(/(?:^|; )lamina_csrf=([^;]*)/) || [])[1];
    if (csrf) init.headers["x-lamina-csrf"] = csrf;
    if (body !== undefined) {
      init.body = raw ? body : JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    let resp;
    try {
      resp = await fetch(url, init);
    } catch (e) {
      throw { Type: "NetworkError", Message: "the server did not answer: " + e.message };
    }
    const text = await resp.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
    if (!resp.ok) {
      const err = data && typeof data === "object" ? data : { Message: String(text) };
      err.Type = err.Type || err.__type || "HTTP " + resp.status;
      err.Message = err.Message || err.message || "request failed with status " + resp.status;
      throw err;
    }
    return { data, text };
  }

  function say(el, text, ok) {
    if (!el) return;
    el.textContent = text;
    el.classList.remove("ok", "bad");
    el.classList.add(ok ? "ok" : "bad");
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children || []) node.append(c);
    return node;
  }

  // ---- Test tab -------------------------------------------------------------------------
  function setupTest(tab) {
    const fn = tab.dataset.function;
    const base = "/lamina/functions/" + enc(fn) + "/test-events";
    const select = $("#test-event-select");
    const editor = $("#event-editor");
    const nameInput = $("#event-name");
    const jsonInput = $("#event-json");
    const jsonStatus = $("#json-status");
    const saveButton = $("#event-save");
    const message = $("#test-message");
    const editorMessage = $("#event-message");
    const result = $("#test-result");

    function checkJson() {
      const text = jsonInput.value;
      if (!text.trim()) {
        say(jsonStatus, "Enter the event's JSON.", false);
        saveButton.disabled = true;
        return false;
      }
      try {
        JSON.parse(text);
        say(jsonStatus, "Valid JSON.", true);
        saveButton.disabled = false;
        return true;
      } catch (e) {
        say(jsonStatus, "Invalid JSON: " + e.message, false);
        saveButton.disabled = true;
        return false;
      }
    }

    function selectedName() {
      return select.value || "";
    }

    async function refreshList(selectName) {
      const { data } = await call("GET", base);
      select.replaceChildren();
      if (data.TestEvents.length === 0) {
        select.append(el("option", { value: "" }, ["No saved events"]));
      }
      for (const e of data.TestEvents) {
        select.append(el("option", { value: e.Name }, [e.Name]));
      }
      if (selectName) select.value = selectName;
    }

    $("#test-configure").addEventListener("click", async () => {
      editor.hidden = false;
      editorMessage.textContent = "";
      const current = selectedName();
      if (current) {
        // Empty until the saved event arrives, so nothing typed meanwhile is overwritten
        // and nothing stale can be saved.
        nameInput.value = "";
        jsonInput.value = "";
        saveButton.disabled = true;
        try {
          const { text } = await call("GET", base + "/" + enc(current));
          nameInput.value = current;
          jsonInput.value = text;
        } catch (err) {
          say(editorMessage, err.Type + ": " + err.Message, false);
        }
      } else if (!jsonInput.value) {
        jsonInput.value = "{\n  \"key1\": \"value1\"\n}";
        nameInput.value = "";
      }
      checkJson();
      nameInput.focus();
    });

    // A blank editor, whatever is selected: pick a template or write the JSON.
    $("#test-new").addEventListener("click", () => {
      editor.hidden = false;
      editorMessage.textContent = "";
      $("#template-select").value = "";
      nameInput.value = "";
      jsonInput.value = "{\n  \"key1\": \"value1\"\n}";
      checkJson();
      nameInput.focus();
    });

    $("#template-select").addEventListener("change", async (ev) => {
      const value = ev.target.value;
      if (!value) return;
      const [service, event] = value.split("/");
      try {
        const { text } = await call("GET", "/console/api/event-templates/" + enc(service) + "/" + enc(event));
        jsonInput.value = text;
        nameInput.value = (service + "-" + event).replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 25);
        say(editorMessage, "Template " + service + " " + event + " loaded; name it and save.", true);
      } catch (err) {
        say(editorMessage, err.Type + ": " + err.Message, false);
      }
      checkJson();
    });

    jsonInput.addEventListener("input", checkJson);

    $("#event-format").addEventListener("click", () => {
      if (checkJson()) jsonInput.value = JSON.stringify(JSON.parse(jsonInput.value), null, 2);
    });

    $("#event-cancel").addEventListener("click", () => {
      editor.hidden = true;
      editorMessage.textContent = "";
    });

    saveButton.addEventListener("click", async () => {
      if (!checkJson()) {
        say(editorMessage, "Fix the JSON before saving.", false);
        return;
      }
      const name = nameInput.value.trim();
      if (!name) {
        say(editorMessage, "Give the event a name.", false);
        nameInput.focus();
        return;
      }
      try {
        await call("PUT", base + "/" + enc(name), jsonInput.value, true);
        await refreshList(name);
        say(editorMessage, "Saved test event " + name + ".", true);
        say(message, "Saved test event " + name + ".", true);
      } catch (err) {
        say(editorMessage, err.Type + ": " + err.Message, false);
      }
    });

    $("#test-delete").addEventListener("click", async () => {
      const name = selectedName();
      if (!name) {
        say(message, "No saved event is selected.", false);
        return;
      }
      try {
        await call("DELETE", base + "/" + enc(name));
        await refreshList();
        say(message, "Deleted test event " + name + ".", true);
      } catch (err) {
        say(message, err.Type + ": " + err.Message, false);
      }
    });

    $("#test-run").addEventListener("click", async () => {
      const name = selectedName();
      if (!name) {
        say(message, "Save a test event first (Configure test event).", false);
        return;
      }
      const button = $("#test-run");
      button.disabled = true;
      say(message, "Running " + name + "…", true);
      try {
        const { data } = await call("POST", "/console/api/functions/" + enc(fn) + "/test", { Event: name });
        showResult(data);
        say(message, "Ran " + name + ": " + data.Status + ".", data.Status === "succeeded");
      } catch (err) {
        result.hidden = false;
        result.className = "result failed";
        result.replaceChildren(el("h3", {}, ["Could not run the test"]), el("p", { id: "result-error" }, [err.Type + ": " + err.Message]));
        say(message, err.Type + ": " + err.Message, false);
      } finally {
        button.disabled = false;
      }
    });

    function showResult(r) {
      result.hidden = false;
      result.className = "result " + r.Status;
      const parts = [el("h3", { id: "result-status" }, ["Execution result: " + r.Status])];
      if (r.Status === "failed") {
        const error = el("div", { class: "error-parts" }, [
          el("p", {}, [el("strong", {}, ["errorType: "]), el("span", { id: "result-error-type" }, [String(r.ErrorType ?? r.FunctionError ?? "")])]),
          el("p", {}, [el("strong", {}, ["errorMessage: "]), el("span", { id: "result-error-message" }, [String(r.ErrorMessage ?? "")])]),
        ]);
        parts.push(error);
        if (Array.isArray(r.StackTrace) && r.StackTrace.length) {
          parts.push(el("h4", {}, ["Stack trace"]), el("pre", { id: "result-stack" }, [r.StackTrace.join("\n")]));
        }
      }
      parts.push(el("h4", {}, ["Response"]), el("pre", { id: "result-response" }, [r.Response]));
      const rep = r.Report;
      const fig = (label, id, value) => el("div", {}, [el("dt", {}, [label]), el("dd", { id }, [value])]);
      const summary = el("dl", { class: "summary" }, [
        fig("Request ID", "result-request-id", r.RequestId),
        fig("Duration", "result-duration", rep.Duration + " ms"),
        fig("Billed Duration", "result-billed", rep.BilledDuration + " ms"),
        fig("Memory Size", "result-memory", rep.MemorySize + " MB"),
        fig("Max Memory Used", "result-max-memory", rep.MaxMemoryUsed + " MB"),
      ]);
      if (rep.InitDuration) summary.append(fig("Init Duration", "result-init", rep.InitDuration + " ms"));
      parts.push(el("h4", {}, ["Summary"]), summary);
      parts.push(el("h4", {}, ["Log output"]), el("pre", { id: "result-logs", class: "log" }, [r.Logs]));
      result.replaceChildren(...parts);
    }
  }

  // ---- Configuration form -----------------------------------------------------------------
  // Which field an API error is about, read from the member name Lambda's message names.
  const MEMBERS = [
    ["memorySize", /memory/i],
    ["timeout", /timeout/i],
    ["description", /description/i],
    ["environment", /environment|variables/i],
    ["layers", /layer/i],
  ];

  function setupConfig(form) {
    const message = $("#cfg-message");
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      for (const p of form.querySelectorAll(".field-error")) p.textContent = "";
      for (const f of form.querySelectorAll(".field")) f.classList.remove("invalid");
      message.textContent = "";
      const body = {
        MemorySize: $("#cfg-memory").value,
        Timeout: $("#cfg-timeout").value,
        Description: $("#cfg-description").value,
        Environment: $("#cfg-env").value,
        Layers: $("#cfg-layers").value,
        RevisionId: form.dataset.revision,
      };
      const button = $("#cfg-save");
      button.disabled = true;
      try {
        const { data } = await call("POST", "/console/api/functions/" + enc(form.dataset.function) + "/configuration", body);
        form.dataset.revision = data.RevisionId;
        const memory = $("#function-memory");
        if (memory) memory.textContent = data.MemorySize + " MB";
        say(message, "Saved. Memory " + data.MemorySize + " MB, timeout " + data.Timeout + " s.", true);
      } catch (err) {
        const text = err.Type + ": " + err.Message;
        const hit = MEMBERS.find(([, re]) => re.test(err.Message || ""));
        if (hit) {
          const p = form.querySelector('.field-error[data-member="' + hit[0] + '"]');
          p.textContent = text;
          p.closest(".field").classList.add("invalid");
        }
        say(message, "Not saved. " + text, false);
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- Environments: flag buttons --------------------------------------------------------
  function setupFlags() {
    const message = $("#flag-message");
    for (const button of document.querySelectorAll(".flag-button")) {
      button.addEventListener("click", async () => {
        const d = button.dataset;
        try {
          await call("POST", "/console/api/functions/" + enc(d.function) + "/flags", { Plan: d.plan, Kind: d.kind, Action: d.action });
          say(message, "Updated " + d.function + "; reloading…", true);
          window.location.reload();
        } catch (err) {
          say(message, d.function + ": " + err.Type + ": " + err.Message, false);
        }
      });
    }
  }

  // ---- Logs tab: recent events, the filter box and follow mode ------------------------------
  // Reads the Logs API's FilterLogEvents on the same server, so the box takes CloudWatch's
  // filter patterns. Follow polls from the newest timestamp seen and skips event ids already
  // shown (the way `aws logs tail --follow` does).
  function setupLogs(view) {
    const group = view.dataset.group;
    const out = $("#log-events");
    const status = $("#log-status");
    const follow = $("#log-follow");
    const MAX_LINES = 1000;
    let seen = new Set();
    let newest = 0;
    let timer = null;
    let run = 0;

    async function filter(body) {
      const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Logs_20140328.FilterLogEvents" };
      const csrf = (document.cookie.match(/(?:^|; )lamina_csrf=([^;]*)/) || [])[1];
      if (csrf) headers["x-lamina-csrf"] = csrf;
      const resp = await fetch("/", { method: "POST", headers, body: JSON.stringify(body) });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok) throw { Type: data.__type || "HTTP " + resp.status, Message: data.message || "request failed" };
      return data;
    }

    async function fetchSince(pattern, start, mine) {
      let token;
      const events = [];
      do {
        const body = { logGroupName: group, startTime: start, filterPattern: pattern, limit: 1000 };
        if (token) body.nextToken = token;
        const page = await filter(body);
        if (mine !== run) return null;
        events.push(...(page.events || []));
        token = page.nextToken;
      } while (token && events.length < 10000);
      return events;
    }

    function show(events) {
      const fresh = events.filter((e) => !seen.has(e.eventId));
      for (const e of fresh) {
        seen.add(e.eventId);
        newest = Math.max(newest, e.timestamp);
      }
      if (!fresh.length) return 0;
      const lines = fresh.map((e) => new Date(e.timestamp).toISOString() + " " + e.message);
      const all = (out.textContent ? out.textContent.split("\n") : []).concat(lines);
      out.textContent = all.slice(-MAX_LINES).join("\n");
      out.scrollTop = out.scrollHeight;
      return fresh.length;
    }

    async function load() {
      const mine = ++run;
      const pattern = $("#log-pattern").value;
      seen = new Set();
      newest = 0;
      out.textContent = "";
      try {
        const events = await fetchSince(pattern, Date.now() - 24 * 3600 * 1000, mine);
        if (events === null) return;
        const n = show(events);
        say(status, n + " matching events in the last 24 hours" + (follow.checked ? "; following…" : ""), true);
      } catch (err) {
        say(status, err.Type + ": " + err.Message, false);
      }
    }

    async function poll() {
      const mine = run;
      try {
        const events = await fetchSince($("#log-pattern").value, newest || Date.now() - 24 * 3600 * 1000, mine);
        if (events === null) return;
        const n = show(events);
        if (n) say(status, n + " new events at " + new Date().toLocaleTimeString() + "; following…", true);
      } catch (err) {
        say(status, err.Type + ": " + err.Message, false);
      }
    }

    $("#log-filter").addEventListener("submit", (ev) => {
      ev.preventDefault();
      load();
    });
    follow.addEventListener("change", () => {
      clearInterval(timer);
      timer = follow.checked ? setInterval(poll, 1000) : null;
      say(status, follow.checked ? "Following…" : "Stopped following.", true);
    });
    load();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const logView = $("#log-view");
    if (logView) setupLogs(logView);
    const tab = $("#test-tab");
    if (tab) setupTest(tab);
    const form = $("#config-form");
    if (form) setupConfig(form);
    setupFlags();
  });
})();
