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
  if (input.type === "number" && input.value !== "") return Number(input.value);
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
function applyConditions(form) {
  form.querySelectorAll("[data-visible-if]").forEach((box) => {
    box.hidden = !evaluate(JSON.parse(box.dataset.visibleIf), form);
  });
  form.querySelectorAll("[data-required-if]").forEach((box) => {
    const required = evaluate(JSON.parse(box.dataset.requiredIf), form);
    box.querySelectorAll("input, select, textarea").forEach((input) => { input.required = required; });
  });
}

// Lines: add, copy and remove rows of a lines table.
function renumber(row, index) {
  row.dataset.row = index;
  row.querySelectorAll("[name], [id], [for]").forEach((node) => {
    for (const attribute of ["name", "id", "for"]) {
      const value = node.getAttribute(attribute);
      if (value) node.setAttribute(attribute, value.replace(/-(\d+)-/, `-${index}-`));
    }
  });
}
function enhanceLines(fieldset) {
  const body = fieldset.querySelector("tbody");
  const template = body.lastElementChild.cloneNode(true);  // the empty row
  const next = () => Math.max(-1, ...Array.from(body.rows, (r) => Number(r.dataset.row))) + 1;
  function buttons(row) {
    const cell = row.lastElementChild;
    for (const [label, act] of [["Copy row", copyRow], ["Remove row", removeRow]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = label;
      button.addEventListener("click", () => act(row));
      cell.append(" ", button);
    }
  }
  function copyRow(row) {
    const copy = row.cloneNode(true);
    copy.querySelectorAll("button").forEach((b) => b.remove());
    renumber(copy, next());
    copy.querySelector('input[type=hidden][name$="-id"]').value = "";
    row.after(copy);
    buttons(copy);
  }
  function removeRow(row) { row.remove(); }
  Array.from(body.rows).forEach(buttons);
  const add = document.createElement("button");
  add.type = "button";
  add.textContent = "Add row";
  add.addEventListener("click", () => {
    const row = template.cloneNode(true);
    renumber(row, next());
    body.append(row);
    buttons(row);
    row.querySelector("input, select, textarea")?.focus();
  });
  fieldset.append(add);
}

// Fetched fields: choosing a linked record fills the fields declared under `fetch`.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form").forEach((form) => {
    applyConditions(form);
    form.addEventListener("input", () => applyConditions(form));
    form.addEventListener("change", () => applyConditions(form));
  });
  document.querySelectorAll("fieldset[data-lines]").forEach(enhanceLines);
  document.querySelector(".summary")?.focus();
});
