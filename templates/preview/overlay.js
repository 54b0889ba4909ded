// timeline serve only: shows the last build's errors over the page. The server reloads the
// page after every build, so fixing a file clears the overlay by itself.
(function () {
  "use strict";

  function show(problems) {
    var panel = document.createElement("section");
    panel.className = "timeline-overlay";
    panel.setAttribute("role", "alert");
    panel.setAttribute("aria-labelledby", "timeline-overlay-title");

    var title = document.createElement("h2");
    title.id = "timeline-overlay-title";
    title.textContent = problems.length === 1 ? "1 error: the site was not rebuilt"
      : problems.length + " errors: the site was not rebuilt";
    var note = document.createElement("p");
    note.textContent = "Fix the files and save: this page reloads by itself. Until then it shows the last good build.";
    var list = document.createElement("ol");
    problems.forEach(function (text) {
      var item = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = text;  // text only: a contributor's words never become markup
      item.appendChild(code);
      list.appendChild(item);
    });
    var hide = document.createElement("button");
    hide.type = "button";
    hide.textContent = "Hide";
    hide.addEventListener("click", function () { panel.remove(); });

    panel.append(title, note, list, hide);
    document.body.appendChild(panel);
  }

  fetch("/_timeline/problems.json", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (data) { if (data.problems.length) { show(data.problems); } })
    .catch(function () {});  // the server has stopped: nothing to show
})();
