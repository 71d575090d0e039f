// Guides area: the guide follows the conversation (current step, branches, jumps), objection
// quick-find (Enter opens the best match), and the editor's focus and unsaved-changes guard.
// No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  // ------------------------------------------------------------ following the conversation

  function storageKey(container) {
    return "guide-step:" + (container.dataset.guideKey || "page");
  }

  function remember(container, stepId) {
    try { sessionStorage.setItem(storageKey(container), stepId); } catch (error) { /* private mode: just forget */ }
  }

  function remembered(container) {
    try { return sessionStorage.getItem(storageKey(container)); } catch (error) { return null; }
  }

  function showStep(container, stepId, options) {
    var steps = container.querySelectorAll(".guide-step");
    var target = null;
    steps.forEach(function (step) {
      var current = step.dataset.stepId === stepId;
      step.classList.toggle("is-current", current);
      var title = step.querySelector(".step-title");
      if (title) {
        title.setAttribute("aria-expanded", current ? "true" : "false");
        if (current) title.setAttribute("aria-current", "step"); else title.removeAttribute("aria-current");
      }
      if (current) target = step;
    });
    var wrapUp = container.querySelector(".guide-wrap-up");
    if (wrapUp) wrapUp.hidden = stepId !== "end";
    var handoff = container.querySelector("#guide-handoff");
    if (handoff) handoff.classList.toggle("is-current", stepId === "handoff");
    if (stepId === "handoff" && handoff) { handoff.open = true; target = handoff; }
    if (stepId === "end" && wrapUp) target = wrapUp;
    remember(container, stepId);
    if (options && options.move && target) {
      target.scrollIntoView({ block: "nearest" });
      var focusable = target.querySelector(".step-title, summary");
      if (focusable) focusable.focus({ preventScroll: true });
    }
  }

  function initGuides(root) {
    (root || document).querySelectorAll("[data-guide-steps]").forEach(function (container) {
      container.classList.add("guide-js");
      var first = container.querySelector(".guide-step");
      var saved = remembered(container);
      var known = saved && (saved === "handoff" || saved === "end" ||
        container.querySelector('.guide-step[data-step-id="' + CSS.escape(saved) + '"]'));
      showStep(container, known ? saved : (first ? first.dataset.stepId : ""), { move: false });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-goto-step]");
    if (!button) return;
    var container = button.closest("[data-guide-steps]");
    if (!container) return;
    var stepId = button.dataset.gotoStep;
    if (button.classList.contains("answer")) {
      var group = button.closest(".step-answers");
      if (group) group.querySelectorAll(".answer").forEach(function (other) { other.classList.toggle("is-chosen", other === button); });
    }
    showStep(container, stepId, { move: true });
  });

  // ------------------------------------------------------------ objection quick-find

  var openWhenResultsArrive = false;

  function openBestMatch() {
    var results = document.getElementById("objection-results");
    var best = results && results.querySelector("details.objection, details.battlecard");
    if (!best) return;
    best.open = true;
    best.scrollIntoView({ block: "nearest" });
    best.querySelector("summary").focus({ preventScroll: true });
  }

  document.addEventListener("keydown", function (event) {
    var search = event.target;
    if (search.id !== "objection-search") return;
    var results = document.getElementById("objection-results");
    if (event.key === "Enter") {
      event.preventDefault();
      if (results && results.dataset.query === search.value.trim()) { openBestMatch(); return; }
      // The search for what was just typed is still on its way: open the best match when it lands.
      openWhenResultsArrive = true;
      if (window.htmx) window.htmx.trigger(search, "quickfind");
    } else if (event.key === "ArrowDown" && results) {
      var first = results.querySelector("details summary");
      if (first) { event.preventDefault(); first.focus(); }
    }
  });

  // ------------------------------------------------------------ editor

  var editorDirty = false;

  document.addEventListener("input", function (event) {
    if (event.target.closest("#guide-form")) editorDirty = true;
  });
  document.addEventListener("submit", function (event) {
    if (event.target.id === "guide-form") editorDirty = false;
  });
  window.addEventListener("beforeunload", function (event) {
    if (editorDirty && document.getElementById("guide-form")) { event.preventDefault(); event.returnValue = ""; }
  });
  // Boosted links do not unload the page: ask before they throw away unsaved edits.
  document.addEventListener("htmx:confirm", function (event) {
    var element = event.detail.elt;
    if (!editorDirty || !document.getElementById("guide-form") || element.tagName !== "A") return;
    event.preventDefault();
    if (window.confirm("Leave the editor? Your changes are not saved.")) { editorDirty = false; event.detail.issueRequest(true); }
  });

  function focusChangedItem(root) {
    var item = root.querySelector("[data-focus]");
    if (!item) return;
    item.scrollIntoView({ block: "center" });
    var field = item.querySelector("input:not([type=hidden]), textarea, select");
    if (field) field.focus({ preventScroll: true });
  }

  // The live preview follows the author: focusing a step, objection or battlecard in the form opens
  // the same item in the preview, and keeps it open while the preview refreshes.
  var previewFocus = null;
  var FIELD_PATTERN = /^(steps|objections|battlecards)-(\d+)-/;

  function previewTarget(preview) {
    if (!previewFocus) return null;
    var index = previewFocus.index;
    if (previewFocus.kind === "steps") return preview.querySelectorAll(".guide-step")[index];
    if (previewFocus.kind === "objections") return preview.querySelectorAll("details.objection")[index];
    if (previewFocus.kind === "battlecards") return preview.querySelectorAll("details.battlecard")[index];
    if (previewFocus.kind === "handoff_script") return preview.querySelector("#guide-handoff");
    if (previewFocus.kind === "voicemail_script") return preview.querySelector("#guide-voicemail");
    if (previewFocus.kind === "opening") return preview.querySelector(".agent-guide .script");
    return null;
  }

  function showInPreview(scroll) {
    var preview = document.getElementById("guide-preview");
    var target = preview && previewTarget(preview);
    if (!target) return;
    preview.querySelectorAll(".is-previewed").forEach(function (item) { item.classList.remove("is-previewed"); });
    target.classList.add("is-previewed");
    if (target.tagName === "DETAILS") target.open = true;
    if (target.classList.contains("guide-step")) {
      var container = target.closest("[data-guide-steps]");
      if (container) showStep(container, target.dataset.stepId, { move: false });
    }
    if (!scroll) return;
    // Scroll the preview panel only: scrollIntoView would also move the form the author is typing in.
    var panel = preview.closest(".editor-preview");
    if (panel) panel.scrollTop += target.getBoundingClientRect().top - panel.getBoundingClientRect().top - 60;
  }

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (!field.closest || !field.closest("#guide-form") || !field.id) return;
    var match = FIELD_PATTERN.exec(field.id);
    var next = match ? { kind: match[1], index: parseInt(match[2], 10) } : { kind: field.id, index: 0 };
    if (previewFocus && next.kind === previewFocus.kind && next.index === previewFocus.index) return;
    previewFocus = next;
    showInPreview(true);
  });

  // ------------------------------------------------------------ editor sections, one open at a time

  // Opening a section shows its first item in the preview beside it; the form remembers which is open
  // (input name=section), so the server opens it again when it shows the form again.
  var SECTION_PREVIEW = {
    opening: { kind: "opening", index: 0 }, steps: { kind: "steps", index: 0 },
    objections: { kind: "objections", index: 0 }, battlecards: { kind: "battlecards", index: 0 },
    scripts: { kind: "handoff_script", index: 0 }
  };

  function sectionOpened(section) {
    var form = section.closest("#guide-form");
    // details name= keeps one open; this does the same where a browser does not know it yet.
    form.querySelectorAll("details[data-section][open]").forEach(function (other) { if (other !== section) other.open = false; });
    var field = form.querySelector("input[name=section]");
    if (field) field.value = section.dataset.section;
    var active = document.activeElement;
    if (active && section.contains(active) && active.matches("input, textarea, select")) return;  // a field already leads the preview
    previewFocus = SECTION_PREVIEW[section.dataset.section] || null;
    showInPreview(true);
  }

  document.addEventListener("toggle", function (event) {
    var section = event.target;
    if (section.open && section.matches && section.matches("#guide-form details[data-section]")) sectionOpened(section);
  }, true);  // toggle does not bubble

  // A link to a field in a closed section (a problem in the list, #edit-objections-2 from the performance page) opens it.
  function openSectionAround(element) {
    var section = element && element.closest && element.closest("#guide-form details[data-section]");
    if (section && !section.open) section.open = true;
    return section;
  }

  function linkedElement(hash) {
    if (!hash || hash.length < 2) return null;
    try { return document.getElementById(decodeURIComponent(hash.slice(1))); } catch (error) { return null; }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('a[href^="#"]');
    if (link) openSectionAround(linkedElement(link.getAttribute("href")));
  });

  // htmx puts the new form in before it takes the old one out, so the browser closes the new open section
  // (another of its name was still open): open the one the server chose again.
  function reopenSection(form) {
    var field = form.querySelector("input[name=section]");
    var section = field && form.querySelector('details[data-section="' + CSS.escape(field.value) + '"]');
    if (section) section.open = true;
  }

  function openLinkedSection(anchor) {
    var target = linkedElement(anchor ? "#" + anchor : window.location.hash);
    if (openSectionAround(target)) target.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", function () { openLinkedSection(); });

  // ------------------------------------------------------------ after every htmx swap

  document.addEventListener("htmx:afterSettle", function (event) {
    var settled = event.detail.elt;
    if (openWhenResultsArrive && settled && settled.id === "objection-results") {
      openWhenResultsArrive = false;
      openBestMatch();
    }
    var target = event.detail.target;
    if (!target) return;
    // A boosted link with #anchor (the performance page's "Edit the response") landed on the editor.
    if (event.detail.boosted && event.detail.pathInfo && event.detail.pathInfo.anchor) openLinkedSection(event.detail.pathInfo.anchor);
    if (target.id === "guide-preview") { initGuides(target); showInPreview(false); return; }
    if (target.id === "guide-form") { editorDirty = true; reopenSection(target); focusChangedItem(target); }
    // A save refused (invalid, or someone saved first) shows the editor again with the text still unsaved.
    if (document.getElementById("save-problems") || document.getElementById("save-conflict")) editorDirty = true;
    initGuides(target.isConnected ? (target.parentNode || document) : document);
  });

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", function () { initGuides(); openLinkedSection(); });
  else { initGuides(); openLinkedSection(); }
})();
