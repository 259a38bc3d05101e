// Enhancements only: every page works without this file.
"use strict";

// The condition language, with the meaning engine/conditions.py gives it.
const EMPTY = [null, "", undefined];
function valueOf(form, name) {
  const inputs = form.querySelectorAll(`[name="${name}"]`);
  if (!inputs.length) return undefined;
  const input = inputs[0];
  if (input.type === "checkbox") return input.checked;
  if (input.multiple) return Array.from(input.selectedOptions, (o) => o.value);
  // a number, and a lookup's id, are numbers to the server too
  if ((input.type === "number" || input.dataset.lookup) && input.value !== "") return Number(input.value);
  return input.value === "" ? null : input.value;
}
function same(value, literal) {
  if (typeof value === "number" && typeof literal === "number") return value === literal;
  return value === literal;
}
function evaluate(tree, form) {
  const [op, ...args] = tree;
  if (op === "and") return args.every((part) => evaluate(part, form));
  if (op === "or") return args.some((part) => evaluate(part, form));
  if (op === "not") return !evaluate(args[0], form);
  const value = valueOf(form, args[0]);
  const present = value !== undefined;
  const isEmpty = (v) => EMPTY.includes(v) || (Array.isArray(v) && v.length === 0);
  switch (op) {
    case "truthy": return present && !isEmpty(value) && value !== false && value !== 0;
    case "empty": return !present || isEmpty(value);
    case "==": return present && same(value, args[1]);
    case "!=": return !(present && same(value, args[1]));
    case "in": return present && args[1].some((literal) => same(value, literal));
  }
  if (typeof value !== "number") return false;
  return { "<": value < args[1], "<=": value <= args[1], ">": value > args[1], ">=": value >= args[1] }[op];
}
// The asterisk of a field required only under a condition comes and goes with it.
function markRequired(box, required) {
  const label = box.querySelector("label");
  const star = label?.querySelector(".required.conditional");
  if (required && label && !star && !label.querySelector(".required")) {
    const mark = document.createElement("span");
    mark.className = "required conditional";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = "*";
    label.append(mark);
  } else if (!required && star) {
    star.remove();
  }
}
// A field its condition hides is not sent and not checked, as the server clears it:
// its inputs are disabled while it is hidden (only those this code disabled come back).
function showField(box, shown) {
  box.hidden = !shown;
  box.querySelectorAll("input, select, textarea").forEach((input) => {
    if (!shown && !input.disabled) {
      input.disabled = true;
      input.dataset.hiddenByCondition = "";
    } else if (shown && "hiddenByCondition" in input.dataset) {
      input.disabled = false;
      delete input.dataset.hiddenByCondition;
    }
  });
}
function applyConditions(form) {
  // every condition reads the form as it is before any field is hidden, as the server does
  const shown = Array.from(form.querySelectorAll("[data-visible-if]"), (box) => [
    box, evaluate(JSON.parse(box.dataset.visibleIf), form)]);
  shown.forEach(([box, visible]) => showField(box, visible));
  form.querySelectorAll("[data-required-if]").forEach((box) => {
    const required = evaluate(JSON.parse(box.dataset.requiredIf), form);
    box.querySelectorAll("input, select, textarea").forEach((input) => { input.required = required; });
    markRequired(box, required);
  });
}

// Lines: a grid of rows, each row's editor (a <details> with every field) below it, all
// served ready to use without this code. Here: add, copy, move and remove rows, and the
// grid's cells follow what is typed in the editor. After each change the rows are
// renumbered, so the names the server reads (`sites-0-name`) come in the order seen.
const ROW_ACTIONS = [
  ["copy", "Copy", (place) => `Copy ${place}`],
  ["up", "Up", (place) => `Move ${place} up`],
  ["down", "Down", (place) => `Move ${place} down`],
  ["remove", "Remove", (place) => `Remove ${place}`],
];
function renameRow(body, line, index) {
  const pattern = new RegExp(`(^|[\\s-])${line}-\\d+(?=-|\\s|$)`, "g");
  const rename = (value) => value.replace(pattern, `$1${line}-${index}`);
  body.dataset.row = index;
  const attributes = ["name", "id", "for", "aria-describedby", "aria-controls"];
  body.querySelectorAll(attributes.map((a) => `[${a}]`).join(", ")).forEach((node) => {
    for (const attribute of attributes) {
      const value = node.getAttribute(attribute);
      if (value) node.setAttribute(attribute, rename(value));
    }
  });
  // a switch or a multiple select names itself in the value of a hidden _shown input
  body.querySelectorAll('input[name="_shown"]').forEach((input) => { input.value = rename(input.value); });
}
function cellText(control) {
  if (control.type === "checkbox") return control.checked ? "Yes" : "No";
  if (control.tagName === "SELECT") {
    return Array.from(control.selectedOptions).filter((o) => o.value !== "").map((o) => o.textContent.trim()).join(", ");
  }
  return control.value.trim();
}
function enhanceLines(fieldset) {
  const line = fieldset.dataset.lines;
  const label = fieldset.dataset.label;
  const table = fieldset.querySelector("table");
  const rows = () => Array.from(table.tBodies);
  const template = rows().at(-1).cloneNode(true);  // the empty row to fill, as served
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  const add = document.createElement("button");
  add.type = "button";
  add.className = "add-row";
  add.textContent = "Add row";
  const to = document.createElement("span");
  to.className = "visually-hidden";
  to.textContent = ` to ${label}`;
  add.append(to);
  const fieldOf = (name) => name.split("-").slice(2).join("-");  // sites-0-name → name
  const controls = (body) => body.querySelectorAll("input[name], select[name], textarea[name]");
  function buttons(body) {
    const tools = document.createElement("span");
    tools.className = "row-buttons";
    for (const [action, text] of ROW_ACTIONS) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.dataset.action = action;
      button.textContent = text;
      tools.append(button);
    }
    body.querySelector(".line-tools").prepend(tools);
  }
  function renumber() {
    rows().forEach((body, position) => {
      renameRow(body, line, position);
      const place = `${label} row ${position + 1}`;
      body.querySelector(".row-number").textContent = position + 1;
      body.querySelector(".row-name").textContent = place;
      body.querySelectorAll(".row-of").forEach((span) => { span.textContent = ` (${place})`; });
      body.querySelectorAll("button[data-action]").forEach((button) => {
        const [, , name] = ROW_ACTIONS.find(([action]) => action === button.dataset.action);
        button.setAttribute("aria-label", name(place));
      });
    });
  }
  function refreshCells(body) {
    body.querySelectorAll(".line-cells td[data-column]").forEach((cell) => {
      const name = `${line}-${body.dataset.row}-${cell.dataset.column}`;
      const control = body.querySelector(`[name="${name}"]:not([type=hidden])`);
      if (control) cell.querySelector(".cell-value").textContent = cellText(control) || "—";
    });
  }
  function insert(body, after) {
    buttons(body);
    if (after) after.after(body); else table.append(body);
    renumber();
    // a new row's inputs get what the served ones got
    body.querySelectorAll('input[type="number"][data-lookup]').forEach((input) => {
      if (typeof enhanceLookup === "function") enhanceLookup(input);
    });
    body.querySelectorAll("[data-lookup][data-fetch]").forEach((input) => {
      input.addEventListener("change", () => fillFetched(input));
    });
  }
  function addRow() {
    const body = template.cloneNode(true);
    insert(body, null);
    const editor = body.querySelector("details");
    editor.open = true;
    (editor.querySelector(".field input:not([type=hidden]), .field select, .field textarea") || editor.querySelector("summary")).focus();
    status.textContent = `${label} row ${rows().length} added`;
  }
  function copyRow(body) {
    const copy = template.cloneNode(true);
    insert(copy, body);
    const skip = new Set((body.dataset.noCopy || "").split(" ").filter(Boolean));
    const sources = new Map(Array.from(controls(body), (c) => [fieldOf(c.name), c]));
    controls(copy).forEach((control) => {
      const field = fieldOf(control.name);
      const source = sources.get(field);
      if (!source || !field || field === "id" || skip.has(field)) return;
      if (control.type === "checkbox") control.checked = source.checked;
      else if (control.multiple) Array.from(control.options).forEach((o, i) => { o.selected = Boolean(source.options[i]?.selected); });
      else if (control.type !== "file") control.value = source.value;
    });
    refreshCells(copy);
    copy.querySelector("summary").focus();
    status.textContent = `${label} row ${rows().indexOf(body) + 1} copied to row ${rows().indexOf(copy) + 1}`;
  }
  function moveRow(body, step, button) {
    const all = rows();
    const at = all.indexOf(body);
    const other = all[at + step];
    if (!other) {
      status.textContent = `${label} row ${at + 1} is the ${step < 0 ? "first" : "last"} already`;
      return;
    }
    if (step < 0) other.before(body); else other.after(body);
    renumber();
    button.focus();  // moving the row took the focus away from its button
    status.textContent = `Moved to ${label} row ${at + step + 1}`;
  }
  function removeRow(body) {
    const at = rows().indexOf(body);
    body.remove();
    renumber();
    const next = rows()[at] || rows()[at - 1];
    (next?.querySelector('button[data-action="remove"]') || add).focus();
    status.textContent = `${label} row ${at + 1} removed`;
  }
  fieldset.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const body = button.closest("tbody");
    const act = { copy: copyRow, up: (b) => moveRow(b, -1, button), down: (b) => moveRow(b, 1, button), remove: removeRow };
    act[button.dataset.action](body);
  });
  for (const kind of ["input", "change"]) {
    fieldset.addEventListener(kind, (event) => {
      const body = event.target.closest("tbody.line");
      if (body) refreshCells(body);
    });
  }
  // Escape in a row's editor closes it, back on its summary (unless a widget used it)
  fieldset.addEventListener("keydown", (event) => {
    const editor = event.target.closest("details[open]");
    if (event.key !== "Escape" || event.defaultPrevented || !editor) return;
    editor.open = false;
    editor.querySelector("summary").focus();
  });
  add.addEventListener("click", addRow);
  rows().forEach(buttons);
  fieldset.querySelector(".lines-scroll").after(add, status);
  renumber();
}
// The error summary's link to a field of a closed row editor opens the editor first
// (listening before the link's own listener, which focuses the field).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.('.summary a[href^="#"]');
  const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  const editor = target?.closest("details");
  if (editor) editor.open = true;
}, true);

// Lookups over large tables: the id input gets a search box that finds records by title.
let lookups = 0;
function enhanceLookup(input) {
  const id = `lookup-${++lookups}`;
  const name = input.closest(".field")?.querySelector(`label[for="${input.id}"]`)?.textContent.trim() || "";
  const wrap = document.createElement("div");
  wrap.className = "lookup-search";
  const label = document.createElement("label");
  label.htmlFor = `${id}-q`;
  label.textContent = `Search ${name.replace(/\s*\*$/, "")}`;
  const box = document.createElement("input");
  box.type = "search";
  box.id = `${id}-q`;
  box.autocomplete = "off";
  box.setAttribute("aria-controls", `${id}-list`);
  const status = document.createElement("p");
  status.className = "lookup-status";
  status.setAttribute("role", "status");
  const list = document.createElement("ul");
  list.id = `${id}-list`;
  list.className = "lookup-results";
  wrap.append(label, box, status, list);
  input.after(wrap);
  let timer, asked = 0;
  function choose(item) {
    input.value = item.id;
    box.value = item.title;
    list.replaceChildren();
    status.textContent = `Chosen: ${item.title}`;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  async function search() {
    const q = box.value.trim();
    const asking = ++asked;
    if (!q) { list.replaceChildren(); status.textContent = ""; return; }
    const url = new URL(input.dataset.lookup, document.baseURI);
    url.searchParams.set("q", q);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { items } = await response.json();
      if (asking !== asked) return;  // a newer search is under way
      list.replaceChildren(...items.map((item) => {
        const choice = document.createElement("li");
        const button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = item.title;
        button.addEventListener("click", () => choose(item));
        choice.append(button);
        return choice;
      }));
      status.textContent = items.length ? `${items.length} found` : "Nothing found";
    } catch {
      if (asking === asked) status.textContent = "The search failed; type the id instead.";
    }
  }
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  box.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();  // Enter picks the first match instead of sending the form
    list.querySelector("button")?.click();
  });
}

// Tab groups: tabs on a wide screen, one after another on a phone (see formwork.css).
// Each set of tabs next to each other in the form's order (data-tab-set, numbered by
// the layout) gets its own strip, where its first tab stands; a lone tab stays a group.
function enhanceTabs(form) {
  const sets = new Map();
  form.querySelectorAll("fieldset.group.tab[id][data-tab-set]").forEach((panel) => {
    const set = panel.dataset.tabSet;
    sets.set(set, [...(sets.get(set) || []), panel]);
  });
  sets.forEach((panels) => { if (panels.length > 1) enhanceTabSet(panels); });
}
function enhanceTabSet(panels) {
  const list = document.createElement("div");
  list.className = "tabs";
  list.setAttribute("role", "tablist");
  const tabs = panels.map((panel) => {
    const tab = document.createElement("button");
    tab.type = "button";
    tab.id = `tab-${panel.id}`;
    tab.setAttribute("role", "tab");
    tab.setAttribute("aria-controls", panel.id);
    tab.textContent = panel.querySelector("legend")?.textContent || panel.id;
    tab.addEventListener("click", () => show(panel));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (!step) return;
      const other = panels[(panels.indexOf(panel) + step + panels.length) % panels.length];
      show(other);
      document.getElementById(`tab-${other.id}`).focus();
    });
    panel.setAttribute("role", "tabpanel");
    panel.setAttribute("aria-labelledby", tab.id);
    panel.classList.add("in-tabs");
    list.append(tab);
    return tab;
  });
  function show(panel) {
    panels.forEach((p, i) => {
      const active = p === panel;
      p.classList.toggle("inactive", !active);
      tabs[i].setAttribute("aria-selected", String(active));
      tabs[i].tabIndex = active ? 0 : -1;
    });
  }
  panels[0].before(list);
  // the first tab with a problem to fix, else the first tab
  show(panels.find((p) => p.querySelector('[aria-invalid="true"], .error')) || panels[0]);
}
function reveal(node) {
  const panel = node.closest("fieldset.group.tab.inactive");
  if (panel) document.getElementById(`tab-${panel.id}`)?.click();
}

// The error summary's links take the person to the field itself, focused.
function enhanceSummary(summary) {
  summary.querySelectorAll('a[href^="#"]').forEach((link) => {
    link.addEventListener("click", (event) => {
      const target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) return;
      event.preventDefault();
      reveal(target);
      (target.closest(".field, td") || target).scrollIntoView({ block: "center" });
      target.focus({ preventScroll: true });
    });
  });
  summary.focus();
}

// Fetched fields: choosing a linked record fills them at once, as saving would.
async function fillFetched(input) {
  const mapping = JSON.parse(input.dataset.fetch);
  const form = input.form;
  if (!form || input.value === "") return;
  const url = new URL(input.dataset.lookup, document.baseURI);
  url.searchParams.set("id", input.value);
  url.searchParams.set("fetch", Object.values(mapping).join(","));
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) return;
  const { values } = await response.json();
  for (const [mine, theirs] of Object.entries(mapping)) {
    const value = values[theirs] ?? "";
    const field = form.querySelector(`[name="${mine}"]`);
    if (field && field.type !== "hidden") field.value = value;
    const shown = form.querySelector(`output#field-${mine}`);
    if (shown) shown.textContent = value === "" ? "—" : value;
  }
  applyConditions(form);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-lookup][data-fetch]").forEach((input) => {
    input.addEventListener("change", () => fillFetched(input));
  });
  document.querySelectorAll("form").forEach((form) => {
    applyConditions(form);
    form.addEventListener("input", () => applyConditions(form));
    form.addEventListener("change", () => applyConditions(form));
    enhanceTabs(form);
  });
  document.querySelectorAll("fieldset[data-lines]").forEach(enhanceLines);
  document.querySelectorAll('input[type="number"][data-lookup]').forEach(enhanceLookup);
  const summary = document.querySelector(".summary");
  if (summary) enhanceSummary(summary);
  forgetNotice();
});

// "Saved." comes in the URL (?notice=saved); once shown, the URL drops it, so a
// reload or a bookmark of the page does not say it again.
function forgetNotice() {
  const url = new URL(document.URL);
  if (!document.querySelector("[data-notice]") || !url.searchParams.has("notice")) return;
  url.searchParams.delete("notice");
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}
