// Keyboard shortcuts and small behaviours of the console. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  var NOT_TYPING = /^(radio|checkbox|button|submit|reset)$/;

  function typingIn(target) {
    if (!target) return false;
    if (target.tagName === "INPUT") return !NOT_TYPING.test(target.type);
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function filterList(input) {
    var query = input.value.trim().toLowerCase();
    document.querySelectorAll(input.dataset.filter).forEach(function (item) {
      var text = (item.dataset.search || "") + " " + item.textContent.toLowerCase();
      item.hidden = query !== "" && text.indexOf(query) === -1;
    });
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches("input[data-filter]")) filterList(event.target);
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var help = document.getElementById("shortcut-help");
    if (event.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (event.key === "Escape" && typingIn(target)) { target.blur(); return; }
    if (event.key === "Enter" && target.matches("input[data-filter]")) {
      // Enter opens the first objection still shown.
      var first = Array.prototype.find.call(document.querySelectorAll(target.dataset.filter), function (el) { return !el.hidden; });
      if (first) { event.preventDefault(); first.open = true; first.querySelector("summary").focus(); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var dispositionForm = document.getElementById("disposition-form");
      if (dispositionForm) { event.preventDefault(); dispositionForm.requestSubmit(); }
      return;
    }
    if (typingIn(target) || event.ctrlKey || event.metaKey || event.altKey) return;

    var key = event.key.toLowerCase();
    if (key === "n") {
      var next = document.getElementById("next-lead-form");
      var resume = document.getElementById("resume-call");
      if (next) { event.preventDefault(); next.requestSubmit(); }
      else if (resume) { event.preventDefault(); resume.click(); }
      return;
    }
    if (key === "/") {
      var search = document.getElementById("objection-search");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (key === "e") {
      var notes = document.getElementById("notes");
      if (notes) { event.preventDefault(); notes.focus(); }
      return;
    }
    if (event.key === "?") {
      if (help) { help.hidden = !help.hidden; }
      return;
    }
    var radio = document.querySelector('input[name="disposition"][data-key="' + key + '"]');
    if (radio) { event.preventDefault(); radio.checked = true; radio.focus(); }
  });

  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-close-help]")) document.getElementById("shortcut-help").hidden = true;
  });

  // After a refused disposition, bring the reason into view.
  document.addEventListener("htmx:afterSettle", function () {
    var error = document.getElementById("disposition-error");
    if (error) error.scrollIntoView({ block: "center" });
  });
})();
