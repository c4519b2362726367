// The review page's script: the two views (highlight, hide with click-to-reveal) for every page,
// and, on the page `spoilerscan serve` serves (data-mode="live"), the form that asks the API.
// The API's offsets count characters (Unicode code points); JavaScript strings count UTF-16 code
// units, so offsets are converted through a table (an emoji is 1 code point but 2 units).
(() => {
  "use strict";
  const review = document.getElementById("review");

  function hidden(mark) {
    return review.classList.contains("hide") && !mark.classList.contains("revealed");
  }

  function describe(mark) {
    if (review.classList.contains("hide")) {
      mark.setAttribute("role", "button");
      mark.setAttribute("aria-expanded", String(!hidden(mark)));
      if (hidden(mark)) mark.setAttribute("aria-label", "hidden spoiler, press Enter to reveal");
      else mark.removeAttribute("aria-label");
    } else {
      for (const name of ["role", "aria-expanded", "aria-label"]) mark.removeAttribute(name);
    }
  }

  function setView(view) {
    review.classList.toggle("hide", view === "hide");
    for (const mark of review.querySelectorAll("mark.spoiler")) {
      mark.classList.remove("revealed");
      describe(mark);
    }
  }

  function toggle(mark) {
    if (!review.classList.contains("hide")) return;
    mark.classList.toggle("revealed");
    describe(mark);
  }

  for (const input of document.querySelectorAll('input[name="view"]')) {
    input.addEventListener("change", () => setView(input.value));
  }
  review.addEventListener("click", (event) => {
    const mark = event.target.closest("mark.spoiler");
    if (mark) toggle(mark);
  });
  review.addEventListener("keydown", (event) => {
    const mark = event.target.closest("mark.spoiler");
    if (mark && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      toggle(mark);
    }
  });

  if (document.body.dataset.mode === "live") live();

  function live() {
    const form = document.getElementById("review-form");
    const input = document.getElementById("review-input");
    const fileInput = document.getElementById("file-input");
    const formatSelect = document.getElementById("format-select");
    const styleSelect = document.getElementById("style-select");
    const findButton = document.getElementById("find-button");
    const copyButton = document.getElementById("copy-button");
    const output = document.getElementById("redacted-output");
    const tokenInput = document.getElementById("token-input");
    const status = document.getElementById("status");
    const summary = document.getElementById("summary");
    const result = document.getElementById("result");
    const title = document.getElementById("title");
    let current = null; // {text, format}: what the result shows
    let redaction = null; // the promise of the redacted text of `current` in the chosen style

    function say(message, isError = false) {
      status.textContent = message;
      status.classList.toggle("error", isError);
    }

    async function api(path, body) {
      const headers = { "Content-Type": "application/json" };
      if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
      const response = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
      const data = await response.json().catch(() => null);
      if (!response.ok) {
        if (response.status === 401) document.getElementById("token-box").open = true;
        throw new Error(data && data.error ? data.error.message : `${response.status} ${response.statusText}`);
      }
      return data;
    }

    // utf16[k]: where code point k of `text` starts in UTF-16 units (utf16[count] is text.length).
    function codePointTable(text) {
      const table = new Int32Array(text.length + 1);
      let units = 0;
      let points = 0;
      for (const character of text) {
        table[points++] = units;
        units += character.length;
      }
      table[points] = units;
      return table;
    }

    function show(text, annotation) {
      const utf16 = codePointTable(text);
      const parts = document.createDocumentFragment();
      let cursor = 0;
      for (const sentence of annotation.sentences) {
        if (!sentence.spoiler) continue;
        const start = utf16[sentence.start];
        const end = utf16[sentence.end];
        parts.append(text.slice(cursor, start));
        const mark = document.createElement("mark");
        mark.className = "spoiler";
        mark.tabIndex = 0;
        mark.dataset.score = sentence.score.toFixed(2);
        mark.title = `spoiler score ${sentence.score.toFixed(2)}`;
        mark.textContent = text.slice(start, end);
        parts.append(mark);
        cursor = end;
      }
      parts.append(text.slice(cursor));
      review.replaceChildren(parts);
      const view = document.querySelector('input[name="view"]:checked');
      setView(view ? view.value : "highlight");
      const found = annotation.summary.spoilers;
      summary.textContent = `${found} spoiler sentence${found === 1 ? "" : "s"} of ` +
        `${annotation.summary.sentences} marked (threshold ${annotation.threshold.toFixed(2)}).`;
      result.hidden = false;
    }

    function redact() {
      if (current === null) return null;
      const asked = { ...current, style: styleSelect.value };
      output.value = "";
      redaction = api("/v1/redact", asked).then((data) => {
        if (current !== null && asked.text === current.text && asked.style === styleSelect.value) {
          output.value = data.text;
        }
        return data.text;
      });
      redaction.catch((problem) => say(problem.message, true));
      return redaction;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value;
      const format = formatSelect.value;
      findButton.disabled = true;
      say("Reading the review…");
      try {
        const annotation = await api("/v1/annotate", { text, format });
        current = { text, format };
        show(text, annotation);
        say("");
        redact();
      } catch (problem) {
        say(problem.message, true);
      } finally {
        findButton.disabled = false;
      }
    });

    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    input.addEventListener("input", () => {
      if (current !== null && input.value !== current.text) say("Edited: press Find spoilers again.");
    });
    styleSelect.addEventListener("change", redact);

    copyButton.addEventListener("click", async () => {
      if (current === null) {
        say("Find the spoilers first.", true);
        return;
      }
      try {
        const text = await (redaction || redact());
        output.value = text;
        try {
          await navigator.clipboard.writeText(text);
        } catch {
          output.select(); // no clipboard API here (a plain-http address): the old way
          if (!document.execCommand("copy")) throw new Error("the browser refused to copy: select the text below");
        }
        say("Redacted text copied.");
      } catch (problem) {
        say(problem.message, true);
      }
    });

    async function open(file) {
      if (!file) return;
      const name = file.name.toLowerCase();
      formatSelect.value = /\.(md|markdown)$/.test(name) ? "markdown" : /\.html?$/.test(name) ? "html" : "text";
      input.value = await file.text();
      title.textContent = file.name;
      document.title = file.name;
      say(`Opened ${file.name}: press Find spoilers.`);
    }

    fileInput.addEventListener("change", () => open(fileInput.files[0]));
    for (const target of [input, form]) {
      target.addEventListener("dragover", (event) => {
        event.preventDefault();
        input.classList.add("dragging");
      });
      target.addEventListener("dragleave", () => input.classList.remove("dragging"));
      target.addEventListener("drop", (event) => {
        event.preventDefault();
        input.classList.remove("dragging");
        open(event.dataTransfer.files[0]);
      });
    }
  }
})();
