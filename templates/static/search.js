// The /search/ page: a small script over Pagefind's JS API (the bundle generator/index.py writes).
// The URL holds the state (?q=voice&category=law-policy&sort=newest); the form's controls mirror it,
// so a search can be shared, reloaded, and stepped through with the back button.
import { fillCard } from "./card.js";

const PAGE_SIZE = 20; // results rendered at a time; each needs one fragment fetch
const TYPING_PAUSE_MS = 300; // debounce: search once the reader pauses
const OPEN_FILTERS = ["category", "year"]; // short lists, open where there is room; the others start folded
const ROOMY = window.matchMedia("(min-width: 56rem)"); // filters beside the results, not above them
const SORTS = { newest: { date: "desc" }, oldest: { date: "asc" } };

const form = document.getElementById("search-form");
const query = document.getElementById("search-q");
const order = document.getElementById("search-sort");
const filterBox = document.getElementById("search-filters");
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const more = document.getElementById("search-more");
const facets = JSON.parse(document.getElementById("search-labels").textContent); // [{key, label, values}]
const card = document.getElementById("search-card").content.firstElementChild; // macros.html's event card, empty
const categoryLinks = Object.fromEntries(facets.find(({ key }) => key === "category").values.map(([slug, , url]) => [slug, url]));
const keys = facets.map((facet) => facet.key);
const known = Object.fromEntries(facets.map(({ key, values }) => [key, new Set(values.map(([value]) => value))]));

let pagefind;
let latest = 0; // number of the newest search; an older one finishing late is dropped
let shown = []; // the current search's results
let typingTimer;

function stateFromUrl() {
  const params = new URLSearchParams(location.search);
  const filters = {};
  for (const key of keys) filters[key] = params.getAll(key).filter((value) => known[key].has(value));
  return { q: (params.get("q") || "").trim(), sort: SORTS[params.get("sort")] ? params.get("sort") : "", filters };
}

function stateFromForm() {
  const data = new FormData(form);
  const filters = {};
  for (const key of keys) filters[key] = data.getAll(key);
  return { q: String(data.get("q") || "").trim(), sort: String(data.get("sort") || ""), filters };
}

function urlOf(state) {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  for (const key of keys) for (const value of state.filters[key]) params.append(key, value);
  if (state.sort) params.set("sort", state.sort);
  const search = params.toString();
  return location.pathname + (search ? "?" + search : "");
}

function isEmpty(state) {
  return !state.q && keys.every((key) => state.filters[key].length === 0);
}

// One folded group of checkboxes per filter, built once so that focus and open state survive
// every search; only counts and visibility change afterwards.
function buildFilters() {
  for (const { key, label, values } of facets) {
    const group = document.createElement("details");
    group.className = "search-filter";
    group.dataset.key = key;
    group.open = ROOMY.matches && OPEN_FILTERS.includes(key);
    const summary = document.createElement("summary");
    summary.id = `filter-${key}`;
    summary.textContent = label;
    const options = document.createElement("ul");
    options.setAttribute("role", "list");
    options.setAttribute("aria-labelledby", summary.id);
    for (const [value, text] of values) options.append(checkbox(key, value, text));
    group.append(summary, options);
    filterBox.append(group);
  }
}

function checkbox(key, value, text) {
  const item = document.createElement("li");
  const label = document.createElement("label");
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = key;
  box.value = value;
  box.setAttribute("form", form.id);
  const count = document.createElement("span");
  count.className = "count";
  label.append(box, ` ${text} `, count);
  item.append(label);
  return item;
}

function boxesOf(key) {
  return filterBox.querySelectorAll(`input[name="${key}"]`);
}

function showState(state) {
  query.value = state.q;
  order.value = state.sort;
  for (const key of keys) {
    for (const box of boxesOf(key)) box.checked = state.filters[key].includes(box.value);
  }
}

// Counts per value, as faceted search shows them: for a filter with values ticked, the counts
// ignore that filter's own choice (values within a filter widen the search, filters narrow it).
function showCounts(counts, state) {
  for (const key of keys) {
    let visible = 0;
    for (const box of boxesOf(key)) {
      const n = counts[key]?.[box.value] || 0;
      box.closest("label").querySelector(".count").textContent = `(${n})`;
      const hide = n === 0 && !box.checked;
      box.closest("li").hidden = hide;
      if (!hide) visible += 1;
    }
    const group = filterBox.querySelector(`[data-key="${key}"]`);
    group.hidden = visible === 0;
    if (state.filters[key].length) group.open = true;
  }
}

function pagefindFilters(filters, except) {
  const chosen = {};
  for (const key of keys) if (key !== except && filters[key].length) chosen[key] = { any: filters[key] };
  return chosen;
}

async function run(state) {
  const number = ++latest;
  list.setAttribute("aria-busy", "true");
  if (isEmpty(state)) {
    const totals = await pagefind.filters();
    if (number !== latest) return;
    showCounts(totals, state);
    showResults([], state);
    return;
  }
  const term = state.q || null;
  const sort = SORTS[state.sort] || (term ? undefined : SORTS.oldest); // no words: timeline order
  const search = await pagefind.search(term, { filters: pagefindFilters(state.filters), sort });
  const counts = { ...search.filters };
  await Promise.all(keys.filter((key) => state.filters[key].length).map(async (key) => {
    const wider = await pagefind.search(term, { filters: pagefindFilters(state.filters, key) });
    counts[key] = wider.filters[key];
  }));
  if (number !== latest) return;
  showCounts(counts, state);
  await showResults(search.results, state, number);
}

function describe(state, count) {
  if (isEmpty(state)) return "Type a word, or tick a filter, to find events.";
  const found = `${count} ${count === 1 ? "event" : "events"} found`;
  return state.q ? `${found} for “${state.q}”.` : `${found}.`;
}

async function showResults(results, state, number = latest) {
  shown = results;
  list.replaceChildren();
  list.hidden = results.length === 0;
  await showMore(false, number);
  if (number !== latest) return;
  status.textContent = describe(state, results.length);
  list.setAttribute("aria-busy", "false");
}

async function showMore(moveFocus, number = latest) {
  const start = list.children.length;
  const page = await Promise.all(shown.slice(start, start + PAGE_SIZE).map((result) => result.data()));
  if (number !== latest) return;
  const withWords = Boolean(query.value.trim());
  list.append(...page.map((data) => resultItem(data, withWords)));
  more.hidden = list.children.length >= shown.length;
  if (moveFocus && page.length) list.children[start].querySelector("a").focus();
}

// The timeline's card (card.js), with Pagefind's fields: a search result has no lists of
// organizations or works, and, with words, an excerpt with the matches marked for its summary.
function resultItem(data, withWords) {
  const meta = data.meta;
  const item = document.createElement("li");
  const result = fillCard(card, {
    url: data.url, title: meta.title, summary: withWords ? "" : meta.summary, datetime: meta.datetime, date: meta.date,
    category: { slug: meta.category_slug, label: meta.category, url: categoryLinks[meta.category_slug] },
  });
  result.classList.add("search-result");
  const text = result.querySelector(".card-summary");
  text.classList.add("search-excerpt");
  if (withWords) text.append(...marked(data.excerpt));
  item.append(result);
  return item;
}

// Pagefind's excerpt is HTML with <mark> around the matches; keep the text and the marks only,
// so nothing in an event's text can become markup here. DOMParser's document runs no script.
function marked(excerpt) {
  const parsed = new DOMParser().parseFromString(`<body>${excerpt}</body>`, "text/html").body;
  return Array.from(parsed.childNodes, (node) => {
    if (node.nodeName === "MARK") {
      const mark = document.createElement("mark");
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent);
  });
}

function go(state, how) {
  const url = urlOf(state);
  if (url !== location.pathname + location.search) history[how](null, "", url);
  run(state);
}

async function start() {
  try {
    pagefind = await import(new URL("../pagefind/pagefind.js", import.meta.url).href);
    await pagefind.init();
    await pagefind.filters(); // loads the filter chunks, so that every search returns counts
  } catch {
    status.textContent = "Search is not available here: its index could not be loaded. Browse the events below.";
    return;
  }
  buildFilters();
  const state = stateFromUrl();
  showState(state);
  form.hidden = false;
  filterBox.hidden = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(typingTimer);
    go(stateFromForm(), "pushState");
  });
  query.addEventListener("input", () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => go(stateFromForm(), "replaceState"), TYPING_PAUSE_MS);
  });
  order.addEventListener("change", () => go(stateFromForm(), "pushState"));
  filterBox.addEventListener("change", () => go(stateFromForm(), "pushState"));
  more.addEventListener("click", () => showMore(true));
  window.addEventListener("popstate", () => {
    const restored = stateFromUrl();
    showState(restored);
    run(restored);
  });
  await run(state);
}

start();
