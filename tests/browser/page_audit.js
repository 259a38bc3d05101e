// What tests/browser/page_audit.py checks on a page, injected into it before axe-core.
// Each check answers a list of sentences naming the elements at fault.
window.formworkAudit = (() => {
  const seen = (el) => el.checkVisibility({ visibilityProperty: true });
  const named = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) return `${name}#${el.id}`;
    if (el.getAttribute("name")) return `${name}[name="${el.getAttribute("name")}"]`;
    if (typeof el.className === "string" && el.className.trim()) {
      name += "." + el.className.trim().split(/\s+/).join(".");
    }
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 30);
    return text ? `${name} "${text}"` : name;
  };
  const scrolls = (el) => ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (scrolls(p)) return true;
    }
    return false;
  };

  // the page no wider than the viewport; else the outermost elements that stick out of
  // it outside any region that scrolls by itself
  function overflow() {
    const width = window.innerWidth;
    const pageWidth = document.documentElement.scrollWidth;
    if (pageWidth <= width) return [];
    const outside = (contained) => {
      const found = [];
      for (const el of document.body.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (box.right <= width + 0.5 || box.width === 0 || !contained(el)) continue;
        if (!found.some((outer) => outer.contains(el))) found.push(el);
      }
      return found;
    };
    // an element inside a scrolling region can still widen the page when positioned
    // against something outside it: then name those
    let found = outside((el) => !inScroller(el));
    if (!found.length) found = outside(() => true).filter((el) => getComputedStyle(el).position !== "static");
    const reach = (el) => `${named(el)} reaches ${Math.round(el.getBoundingClientRect().right)}px`;
    return [`page ${pageWidth}px wide in a ${width}px viewport`, ...found.slice(0, 5).map(reach)];
  }

  // visible controls without a visible label: a <label> of theirs that is itself seen
  // (not one only screen readers get), or an aria-labelledby target that is
  function unlabelled() {
    const shown = (el) => {
      if (!seen(el)) return false;
      const box = el.getBoundingClientRect();
      return box.width > 1 && box.height > 1 && el.textContent.trim() !== "";
    };
    const controls = document.querySelectorAll(
      "input:not([type=hidden], [type=submit], [type=button], [type=reset], [type=image]), select, textarea");
    const bad = [];
    for (const el of controls) {
      if (!seen(el)) continue;
      const ids = (el.getAttribute("aria-labelledby") || "").split(/\s+/).filter(Boolean);
      const labels = [...(el.labels || []), ...ids.map((id) => document.getElementById(id))];
      if (!labels.some((label) => label && shown(label))) bad.push(`${named(el)} has no visible label`);
    }
    return bad;
  }

  // clickable targets under 24x24 CSS px (WCAG 2.2), but for links in running text,
  // which the success criterion leaves out
  function smallTargets() {
    const bad = [];
    const targets = document.querySelectorAll(
      "a[href], button, input:not([type=hidden]), select, summary, [role=tab], [role=option]");
    for (const el of targets) {
      if (!seen(el)) continue;
      if (el.matches("a") && el.closest("p, li, td, dd, th, caption, span")) continue;
      const box = el.getBoundingClientRect();
      if (box.width < 24 || box.height < 24) {
        bad.push(`target ${named(el)} is ${Math.round(box.width)}x${Math.round(box.height)}px`);
      }
    }
    return bad.slice(0, 8);
  }

  // axe-core's violations of the rules tagged `tags`, each with its elements' selectors
  async function axeViolations(tags) {
    const options = { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] };
    const result = await window.axe.run(document, options);
    const told = [];
    for (const rule of result.violations) {
      const nodes = rule.nodes;
      const where = nodes.slice(0, 4).map((n) => n.target.join(" ")).join(", ");
      const more = nodes.length > 4 ? ` and ${nodes.length - 4} more` : "";
      told.push(`axe ${rule.id} (${rule.impact}): ${rule.help}: ${where}${more}`);
    }
    return told;
  }

  return { overflow, unlabelled, smallTargets, axeViolations };
})();
