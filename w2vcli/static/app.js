// w2v serve: the page. Plain DOM, no library; every word reaches the page through textContent,
// never as HTML. The state lives in the URL (?word=bank, ?word=bank&view=map, ?a=man&b=king&c=woman),
// so a view can be shared and the back button works.
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
let info = { models: [], corpus: false };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A word as typed to find it again: the \xHH form where its bytes are not UTF-8.
const typed = (entry) => entry.escaped ?? entry.word;

async function api(name, params) {
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const x of [].concat(v)) query.append(k, x);
  }
  const response = await fetch(`/api/${name}?${query}`);
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error), { status: response.status, body });
  return body;
}

function model() {
  return $("model").value || "0";
}

// ---- messages: errors and "did you mean"

function showError(error) {
  const box = $("message");
  box.replaceChildren();
  box.className = "error";
  const suggestions = error.body?.suggestions ?? [];
  box.append(error.message);
  if (suggestions.length) {
    box.append(". Did you mean ");
    suggestions.forEach((w, i) => {
      if (i) box.append(", ");
      box.append(wordLink(w));
    });
    box.append("?");
  }
}

function clearMessage() {
  $("message").replaceChildren();
  $("message").className = "";
}

function wordLink(word, view = currentView()) {
  const a = el("a", { href: `/?${new URLSearchParams({ word, view })}`, class: "word" }, word);
  a.addEventListener("click", (e) => {
    e.preventDefault();
    go({ word: [word], view });
  });
  return a;
}

// ---- state in the URL

function currentView() {
  return document.querySelector("#tabs button.active")?.dataset.view ?? "neighbours";
}

function stateFromUrl() {
  const p = new URLSearchParams(location.search);
  const state = { word: p.getAll("word"), neg: p.getAll("neg"), view: p.get("view"), n: p.get("n"), layout: p.get("layout") };
  if (p.get("a") || p.get("b") || p.get("c")) {
    Object.assign(state, { a: p.get("a") ?? "", b: p.get("b") ?? "", c: p.get("c") ?? "" });
    state.view ??= "analogy";
  }
  state.view ??= "neighbours";
  return state;
}

function go(state, push = true) {
  const p = new URLSearchParams();
  if (state.view === "analogy") {
    for (const k of ["a", "b", "c"]) if (state[k]) p.set(k, state[k]);
    if (!state.a) p.set("view", "analogy");
  } else {
    for (const w of state.word ?? []) p.append("word", w);
    for (const w of state.neg ?? []) p.append("neg", w);
    if (state.view !== "neighbours") p.set("view", state.view);
    if (state.view === "map" && state.n) p.set("n", state.n);
    if (state.view === "map" && state.layout && state.layout !== "pca") p.set("layout", state.layout);
  }
  if (push) history.pushState(null, "", `/?${p}`);
  render({ word: [], neg: [], ...state });
}

function render(state) {
  clearMessage();
  selectView(state.view);
  if (state.word.length || state.neg.length) {
    $("q").value = [...state.word, ...state.neg.map((w) => "-" + w)].join(" ");
  }
  if (state.view === "analogy") {
    const form = $("analogy-form");
    for (const k of ["a", "b", "c"]) if (state[k] !== undefined) form.elements[k].value = state[k];
    if (state.a && state.b && state.c) showAnalogy(state.a, state.b, state.c);
    return;
  }
  if (!state.word.length) return;
  const word = state.word[0];
  if (state.view === "map") {
    if (state.n) setMapSize(state.n);
    if (state.layout === "pca" || state.layout === "tsne") $("layout").value = state.layout;
    showMap(word);
  }
  else if (state.view === "senses") showSenses(word);
  else showNeighbours(state.word, state.neg);
}

function selectView(view) {
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.view === view);
  for (const s of document.querySelectorAll("main section")) s.hidden = s.id !== `view-${view}`;
}

// ---- neighbours: a list with bars; with two files, A and B side by side

function neighbourList(entries, other) {
  // other: the neighbours in the other file (word -> rank); a word missing there is highlighted
  const list = el("ol", { class: "neighbours" });
  entries.forEach((n, rank) => {
    const bar = el("span", { class: "bar" }, el("span"));
    bar.firstChild.style.width = `${Math.max(0, n.cosine) * 100}%`;
    const item = el("li", {}, wordLink(typed(n), "neighbours"), bar, el("span", { class: "cos" }, n.cosine.toFixed(3)));
    if (other) {
      const was = other.get(n.word);
      const move = was === undefined ? "only here" : was === rank ? "" : was > rank ? `▲${was - rank}` : `▼${rank - was}`;
      item.append(el("span", { class: "move", title: "rank in the other file's list" }, move));
      if (was === undefined) item.classList.add("changed");
    }
    list.append(item);
  });
  return list;
}

async function showNeighbours(words, neg) {
  const box = $("lists");
  box.replaceChildren(el("p", { class: "busy" }, "…"));
  try {
    if (info.models.length > 1 && !neg.length && words.length === 1) {
      const r = await api("compare", { word: words[0], n: 20 });
      const ranks = r.models.map((m) => new Map((m.neighbours ?? []).map((n, i) => [n.word, i])));
      const columns = r.models.map((m, i) => {
        const column = el("div", { class: "column" }, el("h2", {}, `${"AB"[i]}: ${m.name}`));
        if (m.error) column.append(el("p", { class: "error" }, m.error));
        else column.append(neighbourList(m.neighbours, ranks[1 - i]));
        return column;
      });
      box.replaceChildren(
        el("p", { class: "summary" }, `${r.shared} of the neighbours of “${r.query[0]}” are in both files; ` +
          "highlighted: in one file's list only; ▲▼: moved up or down from the other file's list."),
        el("div", { class: "compare" }, ...columns));
      return;
    }
    const r = await api("nearest", { word: words, neg, n: 20, model: model() });
    const title = r.query.join(" + ") + (r.negative ? " − " + r.negative.join(" − ") : "");
    box.replaceChildren(el("h2", {}, `Nearest to ${title}`), neighbourList(r.neighbours));
  } catch (e) {
    box.replaceChildren();
    showError(e);
  }
}

// ---- the map: points in an SVG; hover names them, click re-centres, wheel and buttons zoom

const map = { box: null, home: null, word: null };

async function showMap(word) {
  const root = $("map");
  try {
    const r = await api("map", { word, n: $("map-n").value, layout: $("layout").value, model: model() });
    drawMap(r);
  } catch (e) {
    root.replaceChildren();
    showError(e);
  }
}

function drawMap(r) {
  const root = $("map");
  const xs = r.points.map((p) => p.x), ys = r.points.map((p) => p.y);
  const span = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) || 1;
  const cx = (Math.max(...xs) + Math.min(...xs)) / 2, cy = (Math.max(...ys) + Math.min(...ys)) / 2;
  const scale = 2 / span; // the points fit in [-1, 1]
  root.replaceChildren();
  const layer = svg("g", { id: "points" });
  r.points.forEach((p, i) => {
    const x = (p.x - cx) * scale, y = -(p.y - cy) * scale;
    const g = svg("g", { class: i === 0 ? "point query" : "point", "data-word": p.word, transform: `translate(${x} ${y})` });
    const title = svg("title");
    title.textContent = `${p.word}  ${p.cosine.toFixed(3)}`;
    g.append(svg("circle", { r: 1 }), Object.assign(svg("text", { x: 1.6, y: 0.5 }), { textContent: p.word }), title);
    g.addEventListener("mouseenter", () => tip(g, p));
    g.addEventListener("mouseleave", () => ($("tip").hidden = true));
    g.addEventListener("click", () => go({ word: [typed(p)], view: "map", n: $("map-n").value, layout: $("layout").value }));
    layer.append(g);
  });
  root.append(layer);
  map.home = [-1.12, -1.12, 2.6, 2.24]; // room on the right for the labels
  map.word = r.query[0];
  setBox(map.home);
}

function setMapSize(n) {
  // the number of words on the map, from the URL: one of the choices, or added to them
  const select = $("map-n");
  if (![...select.options].some((o) => o.value === String(n))) select.append(el("option", {}, String(n)));
  select.value = String(n);
}

function setBox(box) {
  map.box = box;
  const root = $("map");
  root.setAttribute("viewBox", box.join(" "));
  const rect = root.getBoundingClientRect();
  const px = Math.max(box[2] / (rect.width || 800), box[3] / (rect.height || 600)); // one screen pixel, in map units
  for (const g of root.querySelectorAll(".point")) { // points and labels keep their size on screen as the map zooms
    const big = g.classList.contains("query") ? 1.4 : 1;
    g.querySelector("circle").setAttribute("r", 3.5 * big * px);
    const text = g.querySelector("text");
    text.setAttribute("x", 6 * big * px);
    text.setAttribute("y", 4 * px);
    text.setAttribute("font-size", 12.5 * big * px);
  }
}

function zoom(factor, at) {
  const [x, y, w, h] = map.box;
  const [px, py] = at ?? [x + w / 2, y + h / 2];
  setBox([px - (px - x) * factor, py - (py - y) * factor, w * factor, h * factor]);
}

function svgPoint(event) {
  const rect = $("map").getBoundingClientRect();
  const [x, y, w, h] = map.box;
  const s = Math.max(w / rect.width, h / rect.height); // preserveAspectRatio: meet
  return [x + w / 2 + (event.clientX - rect.left - rect.width / 2) * s, y + h / 2 + (event.clientY - rect.top - rect.height / 2) * s];
}

function tip(g, p) {
  const t = $("tip");
  t.textContent = `${p.word} · ${p.cosine.toFixed(3)}`;
  const box = $("map-box").getBoundingClientRect(), at = g.getBoundingClientRect();
  t.style.left = `${at.left - box.left + at.width / 2}px`;
  t.style.top = `${at.top - box.top - 8}px`;
  t.hidden = false;
}

function mapControls() {
  const root = $("map");
  root.addEventListener("wheel", (e) => {
    if (!map.box) return;
    e.preventDefault();
    zoom(e.deltaY > 0 ? 1.2 : 1 / 1.2, svgPoint(e));
  }, { passive: false });
  let drag = null;
  root.addEventListener("pointerdown", (e) => {
    if (map.box && !e.target.closest(".point")) drag = { at: svgPoint(e), box: map.box };
  });
  root.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const [x, y] = svgPoint(e);
    const [bx, by, w, h] = map.box;
    setBox([bx - (x - drag.at[0]), by - (y - drag.at[1]), w, h]);
  });
  for (const end of ["pointerup", "pointerleave", "pointercancel"]) root.addEventListener(end, () => (drag = null));
  $("zoom-in").addEventListener("click", () => map.box && zoom(1 / 1.5));
  $("zoom-out").addEventListener("click", () => map.box && zoom(1.5));
  $("zoom-reset").addEventListener("click", () => map.home && setBox(map.home));
  for (const id of ["layout", "map-n"]) {
    $(id).addEventListener("change", () => map.word &&
      go({ ...stateFromUrl(), view: "map", n: $("map-n").value, layout: $("layout").value }));
  }
}

// ---- analogy

async function showAnalogy(a, b, c) {
  const box = $("analogy-results");
  box.replaceChildren(el("p", { class: "busy" }, "…"));
  try {
    const r = await api("analogy", { a, b, c, n: 10, model: model() });
    const answer = r.neighbours[0];
    box.replaceChildren(
      el("h2", {}, `${r.query[0]} is to ${r.query[1]} as ${r.query[2]} is to `, el("strong", { class: "answer" }, answer ? answer.word : "?")),
      neighbourList(r.neighbours));
  } catch (e) {
    box.replaceChildren();
    showError(e);
  }
}

// ---- senses (with --corpus)

async function showSenses(word) {
  const box = $("senses");
  box.replaceChildren(el("p", { class: "busy" }, "finding the senses: one pass over the corpus…"));
  try {
    const r = await api("senses", { word, n: 8, examples: 3 });
    box.replaceChildren(el("p", { class: "summary" },
      `“${r.query[0]}”: ${r.senses.length} sense${r.senses.length > 1 ? "s" : ""} from ${r.sampled.toLocaleString()} ` +
      `of ${r.occurrences.toLocaleString()} occurrences`));
    for (const s of r.senses) {
      const examples = el("ul", { class: "examples" });
      for (const text of s.examples) examples.append(el("li", {}, ...snippet(text)));
      const chips = el("p", { class: "chips" });
      for (const n of s.neighbours) chips.append(wordLink(typed(n), "neighbours"), " ");
      box.append(el("article", { class: "sense" },
        el("h2", {}, `Sense ${s.sense}`, el("span", { class: "share" }, ` ${(s.share * 100).toFixed(0)}% of the occurrences`)),
        chips, examples));
    }
  } catch (e) {
    box.replaceChildren();
    showError(e);
  }
}

function snippet(text) {
  // the word itself is written [word] in a snippet: shown marked
  const m = text.match(/^(.*?)\[([^\]]+)\](.*)$/);
  return m ? [m[1], el("mark", {}, m[2]), m[3]] : [text];
}

// ---- search box with autocomplete

function searchBox() {
  const input = $("q"), list = $("suggest");
  let timer = null, active = -1, asked = 0;
  const close = () => { list.hidden = true; active = -1; };
  const lastToken = () => input.value.split(/\s+/).pop().replace(/^-/, "");

  function pick(word) {
    const tokens = input.value.split(/\s+/);
    const last = tokens.pop();
    tokens.push((last.startsWith("-") ? "-" : "") + word);
    input.value = tokens.join(" ");
    close();
    submit();
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    const prefix = lastToken();
    if (!prefix) return close();
    timer = setTimeout(async () => {
      const ticket = ++asked;
      try {
        const r = await api("words", { prefix, limit: 10, model: model() });
        if (ticket !== asked) return; // a later keystroke's answer wins
        list.replaceChildren(...r.words.map((w) => {
          const item = el("li", { role: "option" }, w);
          item.addEventListener("mousedown", (e) => { e.preventDefault(); pick(w); });
          return item;
        }));
        list.hidden = !r.words.length;
        active = -1;
      } catch { close(); }
    }, 120);
  });
  input.addEventListener("keydown", (e) => {
    const items = [...list.children];
    if (list.hidden || !items.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach((item, i) => item.classList.toggle("active", i === active));
    } else if (e.key === "Enter" && active >= 0) {
      e.preventDefault();
      pick(items[active].textContent);
    } else if (e.key === "Escape") close();
  });
  input.addEventListener("blur", () => setTimeout(close, 150));

  function submit() {
    const tokens = input.value.trim().split(/\s+/).filter(Boolean);
    if (!tokens.length) return;
    const word = tokens.filter((t) => !t.startsWith("-") || t === "-");
    const neg = tokens.filter((t) => t.startsWith("-") && t.length > 1).map((t) => t.slice(1));
    let view = currentView();
    if (view === "analogy") view = "neighbours";
    if ((view === "map" || view === "senses") && word.length) go({ word: [word[0]], view });
    else go({ word, neg, view });
  }
  $("search").addEventListener("submit", (e) => { e.preventDefault(); clearTimeout(timer); close(); submit(); });
}

// ---- start

async function start() {
  searchBox();
  mapControls();
  for (const b of document.querySelectorAll("#tabs button")) {
    b.addEventListener("click", () => {
      const state = stateFromUrl();
      go({ ...state, view: b.dataset.view, word: state.word.slice(0, b.dataset.view === "neighbours" ? undefined : 1) });
    });
  }
  $("analogy-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const f = e.target.elements;
    const [a, b, c] = ["a", "b", "c"].map((k) => f[k].value.trim());
    if (a && b && c) go({ view: "analogy", a, b, c, word: [], neg: [] });
  });
  window.addEventListener("popstate", () => render(stateFromUrl()));
  try {
    info = await api("info", {});
  } catch (e) {
    showError(e);
    return;
  }
  $("models").textContent = info.models.map((m, i) =>
    `${info.models.length > 1 ? "AB"[i] + ": " : ""}${m.name} (${m.words.toLocaleString()} words × ${m.dims})`).join(" · ");
  if (info.models.length > 1) {
    $("model").replaceChildren(...info.models.map((m, i) => el("option", { value: String(i) }, `${"AB"[i]}: ${m.name}`)));
    $("model-choice").hidden = false;
    $("model").addEventListener("change", () => render(stateFromUrl()));
  }
  document.querySelector('#tabs button[data-view="senses"]').hidden = !info.corpus;
  render(stateFromUrl());
}

start();
