// timeline serve only. livereload.js reloads the page after every build; a page that was loading
// while a build finished missed that reload, so this script compares the build the page comes from
// with the server's last one (on load, and when livereload connects) and reloads when they differ.
// It also lists the last build's errors over the page until a save fixes them.
(function () {
  "use strict";
  var generation = document.currentScript.dataset.generation;
  var shown = false;

  function show(problems) {
    var panel = document.createElement("section");
    panel.className = "timeline-overlay";
    panel.setAttribute("role", "alert");
    panel.setAttribute("aria-labelledby", "timeline-overlay-title");

    var title = document.createElement("h2");
    title.id = "timeline-overlay-title";
    title.textContent = problems.length === 1 ? "1 error stops the build" : problems.length + " errors stop the build";
    var note = document.createElement("p");
    note.textContent = "Fix the files and save: this page then reloads by itself.";
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

  function check() {
    fetch("/_timeline/problems.json", { cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (build) {
        if (String(build.generation) !== generation) {
          location.reload();
        } else if (!shown && build.problems.length) {
          shown = true;
          show(build.problems);
        }
      })
      .catch(function () {});  // the server has stopped: nothing to show
  }

  check();
  // after livereload.js has sent its registration, which follows this event in the same task
  document.addEventListener("LiveReloadConnect", function () { setTimeout(check, 0); });
})();
