// The timeline's card in a script: a copy of the empty card that macros.html's event_card puts
// into a <template>, filled in with text only, never markup. The search page and the home page's
// filter both use it, so a card looks the same wherever it comes from.

export function plural(count, noun) {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

// event: {url, title, summary, datetime, date, category: {slug, label, url}, and where known
// end: {datetime, date}, organizations and works: [[name, url], …], sources (a count)}.
// A part the event gives no value for is dropped.
export function fillCard(empty, event) {
  const card = empty.cloneNode(true);
  card.classList.add(`category-${event.category.slug}`);
  const time = card.querySelector(".card-meta time");
  time.dateTime = event.datetime;
  time.textContent = event.date;
  if (event.end) {
    const end = time.cloneNode();
    end.dateTime = event.end.datetime;
    end.textContent = event.end.date;
    time.after(" to ", end); // as render.time_span writes a span of dates
  }
  const category = card.querySelector(".card-meta .category");
  category.classList.add(`category-${event.category.slug}`);
  category.href = event.category.url;
  category.textContent = event.category.label;
  const link = card.querySelector(".card-title a");
  link.href = event.url;
  link.textContent = event.title;
  card.querySelector(".card-summary").textContent = event.summary;
  for (const part of ["organizations", "works"]) {
    const box = card.querySelector(`.card-${part}`);
    const links = event[part] || [];
    if (!links.length) {
      box.remove();
      continue;
    }
    const list = box.querySelector("dd");
    const model = list.querySelector("a");
    list.replaceChildren(...links.flatMap(([name, url], n) => {
      const item = model.cloneNode();
      item.href = url;
      item.textContent = name;
      return n ? [", ", item] : [item];
    }));
  }
  const facets = card.querySelector(".card-facets");
  if (!facets.children.length) facets.remove();
  const sources = card.querySelector(".card-sources");
  if (event.sources) sources.textContent = plural(event.sources, "source");
  else sources.remove();
  return card;
}
