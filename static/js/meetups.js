/* The register: each tick is sent straight away. A tick that fails is shown and retried,
   so a facilitator with a patchy signal never loses one. Without JavaScript the page is a
   plain form with a "Save the register" button. */
(function () {
  "use strict";
  var form = document.querySelector("[data-register]");
  if (!form || !window.fetch) return;
  var url = form.getAttribute("data-tick-url");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var countEl = form.querySelector("[data-present-count]");
  var walkIns = form.querySelectorAll(".register__row--walkin").length;
  var pending = {}; // user id -> {present, attempt, timer}
  var words = function (name, fallback) { return form.getAttribute("data-text-" + name) || fallback; };
  form.classList.add("js-live");

  function statusOf(box) {
    return box.closest("[data-row]").querySelector("[data-status]");
  }

  function updateCount() {
    var n = form.querySelectorAll("input[name=present]:checked").length + walkIns;
    if (countEl) countEl.textContent = String(n);
  }

  function anyFailing() {
    return Object.keys(pending).some(function (k) { return pending[k].failed; });
  }

  function show(box, state, text) {
    var el = statusOf(box);
    var row = box.closest("[data-row]");
    row.classList.remove("is-saving", "is-saved", "is-failed");
    row.classList.add("is-" + state);
    el.textContent = text;
    form.classList.toggle("has-failed", anyFailing());
  }

  function send(box) {
    var uid = box.value;
    var job = pending[uid];
    var present = job.present;
    var body = new URLSearchParams();
    body.set("user", uid);
    body.set("present", present ? "1" : "0");
    show(box, "saving", words("saving", "Saving…"));
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" }
    }).then(function (resp) {
      return resp.json().catch(function () { return { ok: false }; }).then(function (data) {
        return { status: resp.status, data: data };
      });
    }).then(function (result) {
      if (pending[uid] !== job) return; // a newer tick for this person is on its way
      if (result.data && result.data.ok) {
        delete pending[uid];
        show(box, "saved", present ? words("saved", "Saved ✓") : words("removed", "Removed"));
        return;
      }
      if (result.status === 409 || result.status === 403 || result.status === 400) {
        // The register closed, or this isn't allowed: retrying won't help.
        delete pending[uid];
        box.checked = !present;
        updateCount();
        show(box, "failed", (result.data && result.data.error) || words("failed", "Not saved."));
        return;
      }
      retry(box, job);
    }).catch(function () {
      if (pending[uid] === job) retry(box, job);
    });
  }

  function retry(box, job) {
    job.failed = true;
    job.attempt += 1;
    var wait = Math.min(30, Math.pow(2, job.attempt));
    show(box, "failed", words("retry", "Not saved yet - trying again in") + " " + wait + "s");
    job.timer = window.setTimeout(function () { send(box); }, wait * 1000);
  }

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "present") return;
    var old = pending[box.value];
    if (old && old.timer) window.clearTimeout(old.timer);
    pending[box.value] = { present: box.checked, attempt: 0, failed: false, timer: null };
    updateCount();
    send(box);
  });

  window.addEventListener("online", function () {
    Object.keys(pending).forEach(function (uid) {
      var job = pending[uid];
      if (job.failed) {
        window.clearTimeout(job.timer);
        send(form.querySelector("#present-" + uid));
      }
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (Object.keys(pending).length) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
