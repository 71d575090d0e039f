// Keyboard shortcuts and small behaviours of the console. No inline scripts: the CSP forbids them.
// Shortcuts are single keys, so they only act when the agent is not typing in a field; Esc leaves a field.
(function () {
  "use strict";

  var NOT_TYPING = /^(radio|checkbox|button|submit|reset)$/;

  function typingIn(target) {
    if (!target || !target.tagName) return false;
    if (target.tagName === "INPUT") return !NOT_TYPING.test(target.type);
    // A focused <select> is not "typing": arrow keys choose, letters would jump to options,
    // so shortcuts stay off there too, except Esc to leave it.
    return target.isContentEditable || /^(TEXTAREA|SELECT)$/.test(target.tagName);
  }

  function byId(id) { return document.getElementById(id); }

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

  // The line under the dispositions says what the chosen one does next (retry in 4 h, close...).
  function showNextAction() {
    var line = byId("disposition-next-action");
    var chosen = document.querySelector('input[name="disposition"]:checked');
    if (line) line.textContent = chosen ? "Next: " + chosen.dataset.nextAction + "." : "";
  }

  function chooseDisposition(radio) {
    radio.checked = true;
    showNextAction();
    // Call back and wrong person need more input: put the cursor where it is typed.
    if (radio.value === "callback") { focusSoon("callback_at"); return; }
    if (radio.value === "wrong_person") { focusSoon("referral_first_name"); return; }
    // Qualified asks for the next step agreed (arrow keys choose it, Tab reaches its time and note);
    // Nurture for the recall date, already filled with the campaign's default.
    if (radio.value === "qualified") { focusNextStep(); return; }
    if (radio.value === "nurture") { focusSoon("recall_on"); return; }
    radio.focus();
  }

  function focusNextStep() {
    window.requestAnimationFrame(function () {
      var step = document.querySelector('input[name="next_step"]:checked')
        || document.querySelector('input[name="next_step"]');
      if (step) step.focus();
    });
  }

  function focusSoon(id) {
    // The fields appear through CSS :has(:checked); focus once the style has applied.
    window.requestAnimationFrame(function () { var field = byId(id); if (field) field.focus(); });
  }

  // Each qualification question is a radio group (form[data-answer]): arrow keys choose within it, Tab moves
  // on, and letters and digits stay shortcuts (a radio has no type-ahead to swallow them).
  function firstOpenQuestion() {
    var groups = Array.prototype.slice.call(document.querySelectorAll("form[data-answer]"));
    var open = groups.find(function (group) {
      var number = group.querySelector("input[type=number]");  // a numeric criterion: a number typed
      if (number) return number.value === "";
      var chosen = group.querySelector("input[type=radio]:checked");
      return !chosen || chosen.value === "";
    }) || groups[0];
    return open && (open.querySelector("input[type=radio]:checked") || open.querySelector("input[type=radio]")
                    || open.querySelector("input[type=number]"));
  }

  var SHORTCUTS = {
    n: function () {
      var next = byId("next-lead-form");
      var resume = byId("resume-call");
      if (next) { next.requestSubmit(); return true; }
      if (resume) { resume.click(); return true; }
      return false;
    },
    d: function () {
      var dial = byId("dial-button");
      if (dial && !dial.disabled) { dial.click(); return true; }
      return false;
    },
    a: function () {
      var radio = firstOpenQuestion();
      if (radio) { radio.focus(); return true; }
      return false;
    },
    e: function () {
      var notes = byId("notes");
      if (notes) { notes.focus(); return true; }
      return false;
    },
    "/": function () {
      var search = byId("objection-search");
      if (search) { search.focus(); search.select(); return true; }
      return false;
    },
    p: function () {
      var toggle = byId("auto-advance-form");
      if (!toggle) return false;
      // The top bar may have just been swapped in out of band (the dialer re-sends it when the line changes
      // phase): let htmx take the form first, or the browser would post it as a page and leave the call.
      if (window.htmx) window.htmx.process(toggle);
      toggle.requestSubmit();
      return true;
    },
  };

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var help = byId("shortcut-help");
    if (event.key === "Escape" && help && !help.hidden) { help.hidden = true; return; }
    if (event.key === "Escape" && typingIn(target)) { target.blur(); return; }
    if (event.key === "Enter" && target.matches && target.matches("input[data-filter]")) {
      // Enter opens the first objection still shown.
      var first = Array.prototype.find.call(document.querySelectorAll(target.dataset.filter), function (el) { return !el.hidden; });
      if (first) { event.preventDefault(); first.open = true; first.querySelector("summary").focus(); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      var dispositionForm = byId("disposition-form");
      if (dispositionForm) {
        event.preventDefault();
        // Notes are saved with the disposition itself, so a pending autosave cannot be lost.
        dispositionForm.requestSubmit();
      }
      return;
    }
    if (typingIn(target) || event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;

    if (event.key === "?") {
      if (help) { event.preventDefault(); help.hidden = !help.hidden; }
      return;
    }
    var key = event.key.toLowerCase();
    var shortcut = SHORTCUTS[key];
    if (shortcut) {
      if (shortcut()) event.preventDefault();
      return;
    }
    var radio = document.querySelector('input[name="disposition"][data-key="' + CSS.escape(key) + '"]');
    if (radio) { event.preventDefault(); chooseDisposition(radio); }
  });

  document.addEventListener("change", function (event) {
    if (event.target.matches('input[name="disposition"]')) showNextAction();
  });

  // A guide's branch answer (a button with data-field and data-value) also answers the qualification question
  // it stands for: its radio is chosen and saved like a click on it. (The questions' ids are question-<key>.)
  document.addEventListener("click", function (event) {
    var branch = event.target.closest("[data-goto-step][data-field][data-value]");
    if (!branch) return;
    var group = byId("question-" + branch.dataset.field);
    if (!group) return;
    var radio = Array.prototype.find.call(group.querySelectorAll("input[type=radio]"), function (input) {
      return input.value === branch.dataset.value;
    });
    if (!radio || radio.checked) return;
    radio.checked = true;
    radio.dispatchEvent(new Event("change", { bubbles: true }));
  });

  document.addEventListener("click", function (event) {
    if (event.target.matches("[data-close-help]")) byId("shortcut-help").hidden = true;
  });

  // The lead definition page prints itself (one section a page: definition.css's print rules).
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-print]")) window.print();
  });

  // The top bar's menus (<details data-menu>): one open at a time, closed by a click elsewhere or Esc.
  function closeMenus(except) {
    document.querySelectorAll("details[data-menu][open]").forEach(function (menu) {
      if (menu !== except) menu.open = false;
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details[data-menu]") : null);
  });
  document.addEventListener("keydown", function (event) {
    var menu = event.key === "Escape" && document.querySelector("details[data-menu][open]");
    if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
  }, true);

  // The top bar's clock and the dialer's call timer count up from the moment the server gave (data-since):
  // from the seconds it had counted when it drew them (data-elapsed), in the format console/clock.py
  // elapsed_clock() draws them with. The browser's own clock is never read for the time of day, so a
  // wrong PC clock cannot make the two disagree.
  function tickClocks() {
    var now = Date.now();
    document.querySelectorAll("time[data-since][data-elapsed]").forEach(function (clock) {
      if (!clock.dataset.seenAt) clock.dataset.seenAt = String(now);
      var seconds = Math.max(0, Number(clock.dataset.elapsed) + Math.floor((now - Number(clock.dataset.seenAt)) / 1000));
      var minutes = Math.floor(seconds / 60);
      var text = minutes >= 60
        ? Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min"
        : minutes + ":" + String(seconds % 60).padStart(2, "0");
      if (clock.textContent !== text) clock.textContent = text;
    });
  }
  window.setInterval(tickClocks, 1000);

  function afterPageChange(event) {
    tickClocks();
    showNextAction();
    // The hint under Save disposition follows the auto-advance switch in the top bar.
    var status = byId("agent-status");
    var hint = byId("after-disposition");
    if (status && hint) hint.textContent = hint.dataset[status.dataset.autoAdvance === "on" ? "on" : "off"];
    // After a refused disposition (a whole new page), put the cursor in the field to fix, or show the reason.
    var wholePage = event.type === "DOMContentLoaded" || (event.detail && event.detail.target === document.body);
    var error = byId("disposition-error");
    if (error && wholePage) {
      var invalid = document.querySelector('#disposition-form [aria-invalid="true"]');
      if (invalid) { invalid.focus(); invalid.select(); } else error.scrollIntoView({ block: "center" });
    }
  }
  document.addEventListener("DOMContentLoaded", afterPageChange);
  document.addEventListener("htmx:afterSettle", afterPageChange);
})();
