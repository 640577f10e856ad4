/* Audience builder (人群圈选): a tree of AND / OR / NOT groups and conditions, kept as JSON in hidden
   inputs; every change asks the server for the live count (htmx, debounced in the form's hx-trigger). */
(function () {
  "use strict";
  var root, catalog, text, fields = {};

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { node.className = attrs[k]; } else if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }
  function option(value, label, selected) {
    var o = el("option", { value: value, text: label });
    if (selected) { o.selected = true; }
    return o;
  }
  function select(cls, pairs, current, onChange) {
    var s = el("select", { class: cls });
    pairs.forEach(function (p) { s.appendChild(option(p[0], p[1], String(current) === String(p[0]))); });
    s.addEventListener("change", function () { onChange(s.value); });
    return s;
  }
  function input(cls, type, value, placeholder, onInput) {
    var i = el("input", { class: cls, type: type });
    if (placeholder) { i.placeholder = placeholder; }
    i.value = value === null || value === undefined ? "" : value;
    i.addEventListener("input", function () { onInput(i.value); });
    return i;
  }
  function label(t) { return el("span", { class: "cond-word", text: t }); }
  function splitValues(s) { return String(s || "").split(/[,，\s]+/).filter(function (v) { return v; }); }
  function numberOrNull(s) { if (s === null || s === undefined || String(s).trim() === "") { return null; } var n = Number(s); return isNaN(n) ? s : n; }

  // ---- definition <-> tree --------------------------------------------------------------------------
  function group(mode, children) { return { kind: "group", mode: mode, children: children || [] }; }
  function fromDef(d) {
    if (!d || typeof d !== "object") { return null; }
    if (d.all) { return group("all", d.all.map(fromDef).filter(Boolean)); }
    if (d.any) { return group("any", d.any.map(fromDef).filter(Boolean)); }
    if (d.not) {
      var inner = fromDef(d.not);
      if (inner && inner.kind === "group" && inner.mode === "all") { inner.mode = "not_all"; return inner; }
      if (inner && inner.kind === "group" && inner.mode === "any") { inner.mode = "not_any"; return inner; }
      return group("not_any", inner ? [inner] : []);
    }
    var c = { kind: "cond", field: d.field, op: d.op, days: d.days === undefined ? null : d.days };
    var kind = (fields[d.field] || {}).kind;
    if (kind === "amount") { c.value = d.value === null || d.value === undefined ? "" : d.value / 100; }
    else if (kind === "flag") { c.value = d.value ? "1" : "0"; }
    else { c.value = d.value; }
    c.values = (d.values || []).map(String);
    return c;
  }
  function toDef(node) {
    if (node.kind === "group") {
      var kids = node.children.map(toDef).filter(function (k) { return k !== null; });
      if (!kids.length) { return null; }
      var base = node.mode === "all" || node.mode === "not_all" ? { all: kids } : { any: kids };
      return node.mode.indexOf("not_") === 0 ? { not: base } : base;
    }
    var f = fields[node.field];
    if (!f) { return null; }
    var d = { field: node.field };
    var withDays = function () { var days = numberOrNull(node.days); if (days !== null) { d.days = days; } };
    switch (f.kind) {
      case "choice": case "text":
        d.op = node.op || "in";
        d.values = f.kind === "text" ? splitValues(node.text !== undefined ? node.text : node.values.join(", ")) : node.values.slice();
        break;
      case "flag": d.op = "="; d.value = node.value !== "0"; break;
      case "number": d.op = node.op || ">="; d.value = numberOrNull(node.value); break;
      case "months": d.op = "in"; d.values = node.values.map(Number); break;
      case "joined": d.op = "within_days"; d.days = numberOrNull(node.days); break;
      case "count": d.op = node.op || ">="; d.value = numberOrNull(node.value); withDays(); break;
      case "amount":
        d.op = node.op || ">=";
        var yuan = numberOrNull(node.value);
        d.value = typeof yuan === "number" ? Math.round(yuan * 100) : yuan;
        withDays();
        break;
      case "last_order": d.op = node.op || "within_days"; d.days = numberOrNull(node.days); break;
      case "list": d.op = "any"; d.values = splitValues(node.text !== undefined ? node.text : node.values.join(", ")); withDays(); break;
      case "tags": d.op = node.op || "any"; d.values = node.values.map(Number); break;
    }
    return d;
  }

  // ---- rendering ------------------------------------------------------------------------------------
  function changed() {
    var def = toDef(root);
    var json = def === null ? "" : JSON.stringify(def);
    document.querySelectorAll(".js-definition").forEach(function (i) { i.value = json; });
    var form = document.getElementById("count-form");
    if (form && window.htmx) { window.htmx.trigger(form, "definition-changed"); }
  }
  function redraw() {
    var host = document.getElementById("builder");
    host.innerHTML = "";
    host.appendChild(renderGroup(root, null));
    changed();
  }
  var COMPARE = [[">=", "≥"], [">", ">"], ["<=", "≤"], ["<", "<"], ["=", "="]];

  function renderGroup(g, parent) {
    var modes = [["all", text["AND (all of)"]], ["any", text["OR (any of)"]], ["not_any", text["NOT (none of)"]], ["not_all", text["NOT (not all of)"]]];
    var head = el("div", { class: "group-head" }, [
      select("group-mode", modes, g.mode, function (v) { g.mode = v; box.className = "cond-group mode-" + v; changed(); }),
      el("span", { class: "spacer" }),
    ]);
    var addCond = el("button", { type: "button", class: "btn btn-small", "data-action": "add-condition", text: "+ " + text["Add condition"] });
    addCond.addEventListener("click", function () { g.children.push({ kind: "cond", field: "", values: [] }); redraw(); });
    var addGroup = el("button", { type: "button", class: "btn btn-small", "data-action": "add-group", text: "+ " + text["Add group"] });
    addGroup.addEventListener("click", function () { g.children.push(group("any", [{ kind: "cond", field: "", values: [] }])); redraw(); });
    head.appendChild(addCond);
    head.appendChild(addGroup);
    if (parent) { head.appendChild(removeButton(parent, g)); }
    var body = el("div", { class: "group-body" });
    g.children.forEach(function (child) {
      body.appendChild(child.kind === "group" ? renderGroup(child, g) : renderCondition(child, g));
    });
    if (!g.children.length) { body.appendChild(el("p", { class: "muted small", text: text["No condition yet: add one to see how many customers match."] })); }
    var box = el("div", { class: "cond-group mode-" + g.mode, "data-testid": parent ? "group" : "root-group" }, [head, body]);
    return box;
  }
  function removeButton(parent, node) {
    var b = el("button", { type: "button", class: "icon-button", title: text.Remove, "aria-label": text.Remove, "data-action": "remove", text: "×" });
    b.addEventListener("click", function () { parent.children.splice(parent.children.indexOf(node), 1); redraw(); });
    return b;
  }
  function chips(c, pairs, emptyText) {
    var box = el("div", { class: "chips" });
    if (!pairs.length) { box.appendChild(el("span", { class: "muted small", text: emptyText || "" })); }
    pairs.forEach(function (p) {
      var cb = el("input", { type: "checkbox", value: String(p[0]) });
      cb.checked = c.values.indexOf(String(p[0])) >= 0;
      cb.addEventListener("change", function () {
        c.values = c.values.filter(function (v) { return v !== String(p[0]); });
        if (cb.checked) { c.values.push(String(p[0])); }
        chip.classList.toggle("on", cb.checked);
        changed();
      });
      var chip = el("label", { class: "chip" + (cb.checked ? " on" : "") }, [cb, el("span", { text: p[1] })]);
      box.appendChild(chip);
    });
    return box;
  }
  function daysInput(c, placeholder) {
    return input("cond-days", "number", c.days, placeholder || "", function (v) { c.days = v; changed(); });
  }
  function renderCondition(c, parent) {
    var picker = el("select", { class: "cond-field" });
    picker.appendChild(option("", text["Pick a field"], !c.field));
    catalog.groups.forEach(function (g) {
      var og = el("optgroup", { label: g.label });
      g.fields.forEach(function (f) { og.appendChild(option(f.key, f.label, f.key === c.field)); });
      picker.appendChild(og);
    });
    picker.addEventListener("change", function () {
      var f = fields[picker.value];
      c.field = picker.value; c.values = []; c.value = ""; c.days = null; c.text = undefined;
      c.op = f && (f.kind === "last_order") ? "within_days" : (f && f.kind === "tags" ? "any" : (f && (f.kind === "choice" || f.kind === "text") ? "in" : ">="));
      if (f && f.kind === "flag") { c.value = "1"; }
      redraw();
    });
    var parts = [picker];
    var f = fields[c.field];
    if (f) {
      var opIn = function () { return select("cond-op", [["in", text["is one of"]], ["not_in", text["is not one of"]]], c.op || "in", function (v) { c.op = v; changed(); }); };
      var textPairs = ["gender", "source_channel", "city", "province"];
      switch (f.kind) {
        case "choice":
          if (textPairs.indexOf(c.field) >= 0) { parts.push(opIn()); }
          parts.push(chips(c, f.options));
          break;
        case "text":
          parts.push(opIn());
          parts.push(input("cond-values", "text", c.text !== undefined ? c.text : c.values.join(", "), text["Separate values with commas"], function (v) { c.text = v; changed(); }));
          break;
        case "flag":
          parts.push(select("cond-value", [["1", text.Yes], ["0", text.No]], c.value || "1", function (v) { c.value = v; changed(); }));
          break;
        case "number":
          parts.push(select("cond-op", COMPARE, c.op || ">=", function (v) { c.op = v; changed(); }));
          parts.push(input("cond-value", "number", c.value, "", function (v) { c.value = v; changed(); }));
          break;
        case "months":
          parts.push(chips(c, f.options));
          break;
        case "joined":
          parts.push(label(text["within the last"]), daysInput(c), label(text.days));
          break;
        case "count": case "amount":
          parts.push(select("cond-op", COMPARE, c.op || ">=", function (v) { c.op = v; changed(); }));
          parts.push(input("cond-value", "number", c.value, "", function (v) { c.value = v; changed(); }));
          if (f.kind === "amount") { parts.push(label(text.yuan)); }
          parts.push(label(text["in the last"]), daysInput(c, "∞"), label(text["days (empty = ever)"]));
          break;
        case "last_order":
          parts.push(select("cond-op", [["within_days", text["within the last"]], ["not_within_days", text["not within the last"]]], c.op || "within_days", function (v) { c.op = v; changed(); }));
          parts.push(daysInput(c), label(text.days));
          break;
        case "list":
          parts.push(label(text["any of"]));
          parts.push(input("cond-values", "text", c.text !== undefined ? c.text : c.values.join(", "), text["Separate values with commas"], function (v) { c.text = v; changed(); }));
          parts.push(label(text["in the last"]), daysInput(c, "∞"), label(text["days (empty = ever)"]));
          break;
        case "tags":
          parts.push(select("cond-op", [["any", text["any of"]], ["all", text["all of"]], ["none", text["none of"]]], c.op || "any", function (v) { c.op = v; changed(); }));
          parts.push(chips(c, f.options, text["No tags yet"]));
          break;
      }
    }
    parts.push(el("span", { class: "spacer" }));
    parts.push(removeButton(parent, c));
    return el("div", { class: "cond", "data-testid": "condition", "data-field": c.field || "" }, parts);
  }

  function start() {
    var host = document.getElementById("builder");
    if (!host) { return; }
    catalog = JSON.parse(document.getElementById("builder-catalog").textContent);
    text = catalog.text;
    catalog.groups.forEach(function (g) { g.fields.forEach(function (f) { fields[f.key] = f; }); });
    var initial = JSON.parse(document.getElementById("builder-initial").textContent);
    var tree = fromDef(initial);
    root = tree === null ? group("all", []) : (tree.kind === "group" ? tree : group("all", [tree]));
    if (root.mode !== "all" && root.mode !== "any") { root = group("all", [root]); }
    redraw();
    var clear = document.getElementById("builder-clear");
    if (clear) { clear.addEventListener("click", function () { root = group("all", []); redraw(); }); }
  }
  // After DOMContentLoaded, so that htmx (loaded first) has wired the count form before the first count.
  if (document.readyState === "complete") { start(); } else { document.addEventListener("DOMContentLoaded", start); }
})();
