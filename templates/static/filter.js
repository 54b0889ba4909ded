// Filters the home page's timeline in place. Without this script the form stays hidden and
// the same views exist as static pages (/categories/…, /years/…, /organizations/…).
// The state lives in the URL query (?category=labor&year=2023): shareable, and Back works.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  var status = document.getElementById("filter-status");
  if (!form || !status || !window.URLSearchParams || !window.history.pushState) return;

  var selects = Array.prototype.slice.call(form.querySelectorAll("select"));
  var items = Array.prototype.slice.call(document.querySelectorAll("li[data-category]"));
  var years = Array.prototype.slice.call(document.querySelectorAll("section[data-year]"));

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
  }

  // The filter from the URL; values no select offers are ignored rather than hiding everything.
  function stateFromUrl() {
    var query = new URLSearchParams(window.location.search);
    var state = {};
    selects.forEach(function (select) {
      var value = query.get(select.name) || "";
      state[select.name] = hasOption(select, value) ? value : "";
    });
    return state;
  }

  function stateFromForm() {
    var state = {};
    selects.forEach(function (select) { state[select.name] = select.value; });
    return state;
  }

  function urlFor(state) {
    var query = new URLSearchParams();
    selects.forEach(function (select) { if (state[select.name]) query.set(select.name, state[select.name]); });
    var text = query.toString();
    return window.location.pathname + (text ? "?" + text : "");
  }

  function matches(item, state) {
    return selects.every(function (select) {
      var wanted = state[select.name];
      return !wanted || (item.getAttribute("data-" + select.name) || "").split(" ").indexOf(wanted) !== -1;
    });
  }

  function show(state) {
    var shown = 0;
    var active = selects.some(function (select) { return state[select.name]; });
    selects.forEach(function (select) { select.value = state[select.name]; });
    items.forEach(function (item) {
      var visible = matches(item, state);
      item.hidden = !visible;
      if (visible) shown += 1;
    });
    years.forEach(function (section) {
      var empty = !section.querySelector("li[data-category]:not([hidden])");
      section.hidden = active && empty;
      var link = document.querySelector('[data-year-link="' + section.getAttribute("data-year") + '"]');
      if (link) link.hidden = section.hidden;
    });
    var total = items.length;
    status.textContent = !active ? "Showing all " + total + " events."
      : shown === 0 ? "No events match these filters. Clear a filter to see more."
      : "Showing " + shown + " of " + total + " events.";
  }

  form.addEventListener("change", function () {
    var state = stateFromForm();
    window.history.pushState(state, "", urlFor(state));
    show(state);
  });
  form.addEventListener("reset", function (event) {
    event.preventDefault();
    var state = {};
    selects.forEach(function (select) { state[select.name] = ""; });
    window.history.pushState(state, "", urlFor(state));
    show(state);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  window.addEventListener("popstate", function () { show(stateFromUrl()); });

  form.hidden = false;
  show(stateFromUrl());
})();
