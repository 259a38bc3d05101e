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

// Lines: a grid of rows, each row's editor (a <details>) below it, served ready to use
// without this code: a new row's editor with every field, a stored row's closed, with a
// button that asks the server for the form again with that row's fields. Here: a stored
// row's fields are loaded from its URL when its editor opens; add, copy, move and remove
// rows; and the grid's cells follow what is typed in the editor. After each change the
// rows are renumbered, so the names the server reads (`sites-0-name`) come in the order
// seen.
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
  // the empty row to fill, as served: the last row, or at max_rows apart in a <template>
  const blank = fieldset.querySelector("template.blank-row");
  const template = (blank ? blank.content.querySelector("tbody") : rows().at(-1)).cloneNode(true);
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
  // min_rows and max_rows: the buttons that would pass them are disabled, the form's
  // words on the limits (visible under the legend) describing why
  const least = Number(fieldset.dataset.minRows || 0);
  const most = fieldset.dataset.maxRows ? Number(fieldset.dataset.maxRows) : Infinity;
  const limits = document.getElementById(`limits-${line}`);
  function applyLimits() {
    const count = rows().length;
    const disable = (selector, off) => fieldset.querySelectorAll(selector).forEach((button) => {
      button.disabled = off;
      if (limits) button.setAttribute("aria-describedby", limits.id);
    });
    disable("button.add-row, button[data-action=copy]", count >= most);
    disable("button[data-action=remove]", count <= least);
  }
  function limitWords() {
    const count = rows().length;
    if (count >= most) return ` No more rows: ${limits.textContent}`;
    if (count <= least) return ` No fewer rows: ${limits.textContent}`;
    return "";
  }
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
    applyLimits();
  }
  function refreshCells(body) {
    body.querySelectorAll(".line-cells td[data-column]").forEach((cell) => {
      const name = `${line}-${body.dataset.row}-${cell.dataset.column}`;
      const control = body.querySelector(`[name="${name}"]:not([type=hidden])`)
        // a lookup's id is in a hidden input; people read the title in its combobox
        || body.querySelector(`[name="${name}"] + .lookup-combobox [role=combobox]`);
      if (control) cell.querySelector(".cell-value").textContent = cellText(control) || "—";
    });
  }
  function enhanceFields(root) {  // a row's inputs added to the page get what the served ones got
    enhanceLookupsIn(root);
    root.querySelectorAll("[data-lookup][data-fetch]").forEach((input) => {
      input.addEventListener("change", () => fillFetched(input));
    });
  }
  function insert(body, after) {
    buttons(body);
    if (after) after.after(body); else table.append(body);
    renumber();
    enhanceFields(body);
  }
  // a stored row's fields, loaded once, the first time they are needed; true once there
  function loadFields(body) {
    const place = body.querySelector(".row-fields[data-row-fields]");
    if (!place) return Promise.resolve(true);
    if (!place.loading) {
      place.setAttribute("aria-busy", "true");
      const url = `${place.dataset.rowFields}?row=${encodeURIComponent(body.dataset.row)}`;
      // a redirect (to the login page, the session gone) is a failure, not the row's fields
      place.loading = fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" }, redirect: "error" })
        .then((response) => {
          if (!response.ok) throw new Error(`HTTP ${response.status}`);
          return response.text();
        })
        .then((html) => {
          const fields = document.createRange().createContextualFragment(html);
          const added = Array.from(fields.children);
          place.replaceWith(fields);
          renumber();  // the row may have moved meanwhile: its names follow its place
          added.forEach(enhanceFields);
          return true;
        })
        .catch(() => {
          place.loading = null;
          place.removeAttribute("aria-busy");
          if (!place.querySelector(".error")) {
            const note = document.createElement("p");
            note.className = "error";
            note.setAttribute("role", "alert");
            note.textContent = "The fields of this row could not be loaded. Close and open the row to try again, or use the button, which reloads the form with them.";
            place.prepend(note);
          }
          return false;
        });
    }
    return place.loading;
  }
  // toggle does not bubble: heard on its way down
  fieldset.addEventListener("toggle", (event) => {
    if (event.target.tagName === "DETAILS" && event.target.open) {
      const body = event.target.closest("tbody.line");
      if (body) loadFields(body);
    }
  }, true);
  function addRow() {
    const body = template.cloneNode(true);
    insert(body, null);
    const editor = body.querySelector("details");
    editor.open = true;
    (editor.querySelector(".field input:not([type=hidden]), .field select, .field textarea") || editor.querySelector("summary")).focus();
    status.textContent = `${label} row ${rows().length} added.${limitWords()}`;
  }
  async function copyRow(body) {
    if (!(await loadFields(body))) {  // a copy takes the row's fields: loaded first
      status.textContent = `${label} row ${rows().indexOf(body) + 1} could not be copied: its fields did not load.`;
      return;
    }
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
    // a lookup's box shows the title of the record the copied id names
    copy.querySelectorAll(".lookup-combobox").forEach((wrap) => {
      const from = sources.get(fieldOf(wrap.previousElementSibling?.name || ""));
      const box = wrap.querySelector("[role=combobox]");
      const shown = from?.nextElementSibling?.querySelector?.("[role=combobox]");
      if (box && shown) box.value = shown.value;
    });
    refreshCells(copy);
    copy.querySelector("summary").focus();
    status.textContent = `${label} row ${rows().indexOf(body) + 1} copied to row ${rows().indexOf(copy) + 1}.${limitWords()}`;
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
    (next?.querySelector('button[data-action="remove"]:enabled') || next?.querySelector("summary") || add).focus();
    status.textContent = `${label} row ${at + 1} removed.${limitWords()}`;
  }
  fieldset.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const body = button.closest("tbody");
    const act = { copy: copyRow, up: (b) => moveRow(b, -1, button), down: (b) => moveRow(b, 1, button), remove: removeRow };
    act[button.dataset.action](body);
    fieldset.dispatchEvent(new Event("rows-changed", { bubbles: true }));  // the form changed
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
  add.addEventListener("click", () => {
    addRow();
    fieldset.dispatchEvent(new Event("rows-changed", { bubbles: true }));
  });
  rows().forEach(buttons);
  fieldset.querySelector(".lines-scroll").after(add, status);
  renumber();  // and the limits applied
}
// The error summary's link to a field of a closed row editor opens the editor first
// (listening before the link's own listener, which focuses the field).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.('.summary a[href^="#"]');
  const target = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  const editor = target?.closest("details");
  if (editor) editor.open = true;
}, true);

// Lookups, to tables of any size: the id input becomes an ARIA combobox (WAI-ARIA 1.2, a
// listbox popup) that finds records by title. The id goes on in a hidden input of the
// same name; the box takes the input's id, so its label and the error summary reach it.
let lookups = 0;
function enhanceLookup(input) {
  const listId = `lookup-${++lookups}-list`;
  // a row being added or copied is not in the page yet: look in the row first
  const near = (selector) => input.closest("tr, .field")?.querySelector(selector) || document.querySelector(selector);
  const shown = near(`[id="${input.id}-title"]`);
  const box = document.createElement("input");
  box.type = "text";
  box.id = input.id;
  box.value = shown?.textContent.trim() || "";
  box.autocomplete = "off";
  box.required = input.required;
  box.setAttribute("role", "combobox");
  box.setAttribute("aria-autocomplete", "list");
  box.setAttribute("aria-expanded", "false");
  box.setAttribute("aria-controls", listId);
  for (const name of ["aria-invalid", "disabled"]) {
    if (input.hasAttribute(name)) box.setAttribute(name, input.getAttribute(name));
  }
  const described = (input.getAttribute("aria-describedby") || "").split(" ")
    .filter((ref) => ref && ref !== `${input.id}-title`).join(" ");
  if (described) box.setAttribute("aria-describedby", described);
  const list = document.createElement("ul");
  list.id = listId;
  list.className = "lookup-results";
  list.setAttribute("role", "listbox");
  const label = near(`label[for="${input.id}"]`);
  if (label) list.setAttribute("aria-label", label.textContent.replace(/\s*\*\s*$/, "").trim());
  list.hidden = true;
  const status = document.createElement("p");
  status.className = "lookup-status visually-hidden";
  status.setAttribute("role", "status");
  input.id = `${input.id}-value`;
  input.type = "hidden";
  input.required = false;
  shown?.remove();
  const wrap = document.createElement("div");
  wrap.className = "lookup-combobox";
  input.after(wrap);
  wrap.append(box, list, status);
  let chosen = box.value, items = [], active = -1, timer, asked = 0;
  function open(found) {
    items = found;
    active = -1;
    list.replaceChildren(...found.map((item, index) => {
      const option = document.createElement("li");
      option.id = `${listId}-${index}`;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.textContent = item.title;
      option.addEventListener("mousedown", (event) => event.preventDefault());  // keeps focus
      option.addEventListener("click", () => pick(item));
      return option;
    }));
    list.hidden = !found.length;
    box.setAttribute("aria-expanded", String(found.length > 0));
    box.removeAttribute("aria-activedescendant");
    status.textContent = found.length
      ? `${found.length} result${found.length === 1 ? "" : "s"}; the arrow keys move through them, Enter picks one.`
      : "No results.";
  }
  function close() {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }
  function move(step) {
    if (!items.length) return;
    active = (active + step + items.length) % items.length;
    Array.from(list.children).forEach((option, index) => {
      option.setAttribute("aria-selected", String(index === active));
      option.classList.toggle("active", index === active);
    });
    const option = list.children[active];
    box.setAttribute("aria-activedescendant", option.id);
    option.scrollIntoView({ block: "nearest" });
  }
  function pick(item) {
    input.value = item.id;
    box.value = chosen = item.title;
    close();
    status.textContent = `Chosen: ${item.title}.`;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }
  async function search() {
    const asking = ++asked;
    const url = new URL(input.dataset.lookup, document.baseURI);
    const q = box.value.trim();
    if (q) url.searchParams.set("q", q);
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const { items: found } = await response.json();
      if (asking === asked && document.activeElement === box) open(found);
    } catch {
      if (asking === asked) status.textContent = "The search failed; try again.";
    }
  }
  box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(search, 200); });
  box.addEventListener("keydown", (event) => {
    const expanded = box.getAttribute("aria-expanded") === "true";
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (expanded) move(event.key === "ArrowDown" ? 1 : -1);
      else { clearTimeout(timer); search(); }
    } else if (event.key === "Enter" && expanded) {
      event.preventDefault();  // Enter picks instead of sending the form
      pick(items[Math.max(active, 0)]);
    } else if (event.key === "Escape" && expanded) {
      event.preventDefault();
      close();
    }
  });
  // leaving the box keeps the record chosen, or no record when the text was cleared
  box.addEventListener("blur", () => {
    clearTimeout(timer);
    asked++;
    close();
    if (box.value.trim() === "" && input.value !== "") {
      input.value = "";
      chosen = "";
      input.dispatchEvent(new Event("change", { bubbles: true }));
    } else {
      box.value = chosen;
    }
  });
}

// A row the lines table adds or copies gets working lookups: a copy's combobox, cloned
// without its handlers, is drawn again from the id input it keeps.
function enhanceLookupsIn(root) {
  root.querySelectorAll(".lookup-combobox").forEach((wrap) => {
    const input = wrap.previousElementSibling;
    const box = wrap.querySelector("[role=combobox]");
    if (!input || !box || input.type !== "hidden") return;
    input.type = "number";
    input.id = box.id;
    input.required = box.required;
    if (input.value && box.value) {
      const title = document.createElement("span");
      title.className = "lookup-title";
      title.id = `${box.id}-title`;
      title.textContent = box.value;
      wrap.after(title);
    }
    wrap.remove();
  });
  root.querySelectorAll('input[type="number"][data-lookup]').forEach(enhanceLookup);
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

// Fetched fields: choosing a linked record fills them at once, as saving would; a view
// value shows the text the server gives it (a linked record's title, never its id).
async function fillFetched(input) {
  const mapping = JSON.parse(input.dataset.fetch);
  const form = input.form;
  if (!form) return;
  let values = {}, texts = {};
  if (input.value !== "") {
    const url = new URL(input.dataset.fetched || input.dataset.lookup, document.baseURI);
    url.searchParams.set("id", input.value);
    if (!input.dataset.fetched) url.searchParams.set("fetch", Object.values(mapping).join(","));
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
    if (!response.ok) return;
    ({ values, texts = {} } = await response.json());
  }
  // a line's cell fills the cells of its own row: their names carry the row's prefix
  const own = decodeURIComponent((input.dataset.fetched || "").split("?")[0].split("/").pop());
  const prefix = own && input.name.endsWith(own) ? input.name.slice(0, -own.length) : "";
  for (const [mine, theirs] of Object.entries(mapping)) {
    const value = (input.dataset.fetched ? values[mine] : values[theirs]) ?? "";
    const field = form.querySelector(`[name="${prefix}${mine}"]`);
    if (field && field.type !== "hidden" && input.value !== "") field.value = value;
    const shown = form.querySelector(`output#field-${prefix}${mine}`);
    if (shown) shown.textContent = (texts[mine] ?? String(value)) || "—";
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

// "Saved." comes in the URL (?notice=saved, or ?saved=ID on the next new form); once
// shown, the URL drops it, so a reload or a bookmark of the page does not say it again.
function forgetNotice() {
  const url = new URL(document.URL);
  const names = ["notice", "saved"].filter((name) => url.searchParams.has(name));
  if (!document.querySelector("[data-notice]") || !names.length) return;
  names.forEach((name) => url.searchParams.delete(name));
  window.history.replaceState(window.history.state, "", url.pathname + url.search + url.hash);
}

// A record's form: leaving it changed and unsaved asks first (not once it is sent), and
// Ctrl+S (Cmd+S on a Mac) saves it, as in a desktop program. A form shown again with
// problems to fix holds typing not saved yet, so it counts as changed from the start.
function guardUnsaved(form) {
  let changed = Boolean(document.querySelector(".summary, .flash.error"));
  let sending = false;
  // only what the person does counts: a script filling a field in is no change of theirs
  const mark = (event) => { if (event.isTrusted) changed = true; };
  form.addEventListener("input", mark);
  form.addEventListener("change", mark);
  form.addEventListener("rows-changed", () => { changed = true; });  // a line added, moved…
  form.addEventListener("submit", () => { sending = true; });
  window.addEventListener("beforeunload", (event) => {
    if (!changed || sending) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers show the warning only when this is set
  });
}
function saveWithKeys(form) {
  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.key.toLowerCase() !== "s") return;
    event.preventDefault();  // not the browser's "save page as"
    form.requestSubmit(form.querySelector('.action-bar button[type="submit"]:not([name])'));
  });
}
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form[data-warn-unsaved]");
  if (!form) return;
  guardUnsaved(form);
  saveWithKeys(form);
});

// An action that asks first: with this script its question, read from the page the link
// leads to without it, opens in a dialog over the record; Escape or "No" closes it.
function askInDialog(link) {
  link.addEventListener("click", async (event) => {
    event.preventDefault();
    let page;
    try {
      const response = await fetch(link.href, { credentials: "same-origin" });
      page = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch {
      window.open(link.href, "_self");  // the page itself asks, as without the script
      return;
    }
    const question = page.querySelector("main h1");
    const section = page.querySelector(".confirmation");
    if (!question || !section) { window.open(link.href, "_self"); return; }
    const dialog = document.createElement("dialog");
    dialog.className = "asks-first";
    dialog.setAttribute("aria-labelledby", "asks-first-title");
    const title = document.createElement("h2");
    title.id = "asks-first-title";
    title.textContent = question.textContent;
    dialog.append(title, document.importNode(section, true));
    dialog.querySelectorAll(".confirmation a[href]").forEach((back) => {
      back.addEventListener("click", (click) => { click.preventDefault(); dialog.close(); });
    });
    dialog.addEventListener("close", () => { dialog.remove(); link.focus(); });
    document.body.append(dialog);
    dialog.showModal();
  });
}
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("a[data-asks-first]").forEach(askInDialog);
});
