// The home page's filter, over every event of the timeline, not only the newest the page shows.
// On first use it fetches the index the build writes (generator/filter_index.py), once, and
// shows the matching events in time order, year by year, as cards copied from the page's
// <template> (card.js), a batch at a time. Without this script the form stays hidden and the
// same views are static pages (/categories/…, /years/…, /organizations/…).
// The state lives in the URL query (?category=labor&year=2023): shareable, and Back works.
import { fillCard, plural } from "./card.js";

const form = document.getElementById("filters");
const status = document.getElementById("filter-status");
const results = document.getElementById("filter-results");
const more = document.getElementById("filter-more");
const unfiltered = document.getElementById("unfiltered");
const emptyCard = document.getElementById("template-card")?.content.firstElementChild;
const emptyYear = document.getElementById("template-year")?.content.firstElementChild;
const selects = form ? Array.from(form.querySelectorAll("select")) : [];
const { batch, total, shown: newest } = Object.fromEntries(
  ["batch", "total", "shown"].map((key) => [key, Number(form?.dataset[key])]));

let index; // the promise of the loaded index
let latest = 0; // number of the newest view asked for; one that finishes late is dropped
let found = []; // the events that match the current view
let perYear = new Map(); // year → how many of them

function load() {
  index ??= fetch(form.dataset.index)
    .then((response) => {
      if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
      return response.json();
    })
    .then(prepare);
  return index;
}

// Each value's number in the index, per key, and each event as card.js takes it.
function prepare({ keys, values, events }) {
  const numbers = Object.fromEntries(keys.map((key) => [key, new Map(values[key].map(([slug], n) => [slug, n]))]));
  const links = (key, list) => list.map((n) => [values[key][n][1], values[key][n][2]]);
  const category = keys.indexOf("category");
  const year = keys.indexOf("year");
  return {
    keys,
    numbers,
    events: events.url.map((url, n) => {
      const facets = events.facets[n];
      const [endTime, endDate] = events.end[n] || [];
      const [slug, label, categoryUrl] = values.category[facets[category][0]];
      return {
        facets,
        year: values.year[facets[year][0]][1],
        card: {
          url, datetime: events.datetime[n], date: events.date[n], title: events.title[n],
          summary: events.summary[n], sources: events.sources[n],
          end: endTime ? { datetime: endTime, date: endDate } : null,
          category: { slug, label, url: categoryUrl },
          organizations: links("organization", facets[keys.indexOf("organization")]),
          works: links("work", facets[keys.indexOf("work")]),
        },
      };
    }),
  };
}

function hasOption(select, value) {
  return Array.from(select.options).some((option) => option.value === value);
}

// The filter from the URL; values no select offers are ignored rather than hiding everything.
function stateFromUrl() {
  const query = new URLSearchParams(location.search);
  return Object.fromEntries(selects.map((select) => {
    const value = query.get(select.name) || "";
    return [select.name, hasOption(select, value) ? value : ""];
  }));
}

function stateFromForm() {
  return Object.fromEntries(selects.map((select) => [select.name, select.value]));
}

function urlFor(state) {
  const query = new URLSearchParams();
  for (const select of selects) if (state[select.name]) query.set(select.name, state[select.name]);
  const text = query.toString();
  return location.pathname + (text ? "?" + text : "");
}

function isActive(state) {
  return selects.some((select) => state[select.name]);
}

function matching(loaded, state) {
  const wanted = loaded.keys.map((key, n) => [n, state[key] ? loaded.numbers[key].get(state[key]) : undefined])
    .filter(([, number]) => number !== undefined);
  return loaded.events.filter((event) => wanted.every(([n, number]) => event.facets[n].includes(number)));
}

function describe() {
  const count = results.querySelectorAll(".card").length;
  if (!found.length) return "No events match these filters. Clear a filter to see more.";
  if (count === found.length) return `Showing ${count} of ${total} events.`;
  return `${found.length} of ${total} events match. Showing the first ${count}.`;
}

// The next batch of matching cards, each under its year's heading; returns the first new card.
function showMore() {
  const start = results.querySelectorAll(".card").length;
  let first = null;
  for (const event of found.slice(start, start + batch)) {
    let section = results.lastElementChild;
    if (!section || section.dataset.year !== event.year) {
      section = emptyYear.cloneNode(true);
      section.dataset.year = event.year;
      section.querySelector(".year-name").textContent = event.year;
      section.querySelector(".count").textContent = plural(perYear.get(event.year), "event");
      results.append(section);
    }
    const item = document.createElement("li");
    item.append(fillCard(emptyCard, event.card));
    section.querySelector("ol").append(item);
    first ??= item;
  }
  more.hidden = results.querySelectorAll(".card").length >= found.length;
  status.textContent = describe();
  return first;
}

async function show(state) {
  const number = ++latest;
  for (const select of selects) select.value = state[select.name];
  if (!isActive(state)) {
    results.hidden = more.hidden = true;
    unfiltered.hidden = false;
    status.textContent = newest === total ? `Showing all ${total} events.`
      : `Showing the ${newest} newest of ${total} events. Choose a filter to search them all.`;
    return;
  }
  status.textContent = "Loading the events…";
  let loaded;
  try {
    loaded = await load();
  } catch {
    index = undefined; // the next use tries again
    if (number === latest) status.textContent = "The events could not be loaded. Browse them by year or by the links above.";
    return;
  }
  if (number !== latest) return;
  found = matching(loaded, state);
  perYear = new Map();
  for (const event of found) perYear.set(event.year, (perYear.get(event.year) || 0) + 1);
  results.replaceChildren();
  unfiltered.hidden = true;
  results.hidden = false;
  showMore();
}

function go(state) {
  history.pushState(null, "", urlFor(state));
  show(state);
}

if (form && status && results && more && unfiltered && emptyCard && emptyYear) {
  form.addEventListener("change", () => go(stateFromForm()));
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    go(Object.fromEntries(selects.map((select) => [select.name, ""])));
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  // First use: the index starts loading as soon as the reader reaches for a control.
  form.addEventListener("focusin", () => load().catch(() => { index = undefined; }), { once: true });
  more.addEventListener("click", () => showMore()?.querySelector(".card-title a").focus());
  window.addEventListener("popstate", () => show(stateFromUrl()));
  form.hidden = false;
  show(stateFromUrl());
}
