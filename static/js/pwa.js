/* Village on the phone: the offline worker, the "saved copy" banner, forgetting this device's
 * copies on log out, and the "Add Village to your home screen" hint (docs/phone.md).
 * Progressive enhancement only: every page works without it. No inline script (CSP).
 * A module in <head>: it runs once the page is parsed; VillageTime (timefmt.js, a deferred
 * script after it) is there by DOMContentLoaded. */

var OUTBOX_PREFIX = "village.chat.outbox.";
var VISIT_DAYS = "village.visitDays";
var HINT_DISMISSED = "village.installHint.dismissed";
var HINT_AFTER_DAYS = 3;

var T = {
  savedToday: "Showing what you last saw at %s.",
  savedBefore: "Showing what you last saw on %s.",
  offline: "You're offline. Your messages will be sent when you're back.",
  backOnline: "You're back online.",
  refresh: "See the latest",
  hintTitle: "Add Village to your home screen",
  hintText: "It opens like an app, straight to your groups, and you can read your chats even when the signal drops.",
  hintAdd: "Add to home screen",
  hintIphone: "On iPhone: tap the Share button (the square with an arrow) at the bottom of Safari, then \u201cAdd to Home Screen\u201d.",
  hintNo: "No thanks"
};

var memberMeta = document.querySelector('meta[name="village-member"]');
var savedMeta = document.querySelector('meta[name="village-saved-at"]');

// --- forgetting this device's copies ---------------------------------------------------------
// On log out (the server also sends Clear-Site-Data then; this does the same at once, for
// browsers that ignore that header), and on any page where nobody is logged in: the session
// ended some other way, and a shared phone must not keep a member's chats, unsent messages or
// worker for the next person.
function forgetDevice() {
  try {
    for (var i = localStorage.length - 1; i >= 0; i--) {
      var key = localStorage.key(i);
      if (key && key.indexOf(OUTBOX_PREFIX) === 0) localStorage.removeItem(key);
    }
  } catch (e) { /* storage blocked */ }
  var jobs = [];
  if ("caches" in window) {
    jobs.push(caches.keys().then(function (keys) {
      return Promise.all(keys.map(function (key) { return caches.delete(key); }));
    }));
  }
  if ("serviceWorker" in navigator) {
    jobs.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
      return Promise.all(registrations.map(function (r) { return r.unregister(); }));
    }));
  }
  return Promise.all(jobs).catch(function () {});
}

// --- the worker: for members only (their offline copies are what it is for) ------------------
if (memberMeta && "serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    /* private mode, or an old browser: pages still work, just not offline */
  });
} else if (!memberMeta && !document.querySelector('meta[name="village-saved-at"]')) {
  forgetDevice();
}

document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!(form instanceof HTMLFormElement) || form.dataset.forgotten) return;
  var action = form.getAttribute("action") || "";
  if (!/\/accounts\/logout\/$/.test(action) && !form.hasAttribute("data-forget-device")) return;
  event.preventDefault();
  form.dataset.forgotten = "1";
  var submitter = event.submitter;
  var go = function () {
    if (form.requestSubmit) form.requestSubmit(submitter || undefined); else form.submit();
  };
  // Never keep someone from logging out: a second at most.
  Promise.race([forgetDevice(), new Promise(function (r) { setTimeout(r, 1000); })]).then(go, go);
});

// --- the banner on a saved copy --------------------------------------------------------------
function formatTime(iso) {
  var VT = window.VillageTime;
  if (!VT) return "";
  var when = new Date(iso);
  if (isNaN(when)) return "";
  var sameDay = VT.format(when, "Y-m-d") === VT.format(new Date(), "Y-m-d");
  return (sameDay ? T.savedToday : T.savedBefore)
    .replace("%s", VT.format(when, sameDay ? "TIME_FORMAT" : "SHORT_DATETIME_FORMAT"));
}

function showSavedBanner() {
  var main = document.getElementById("main");
  if (!main) return;
  var banner = document.createElement("div");
  banner.className = "offline-banner";
  banner.setAttribute("role", "status");
  banner.setAttribute("data-offline-banner", "");
  var saved = document.createElement("p");
  saved.className = "offline-banner__when";
  saved.textContent = formatTime(savedMeta.getAttribute("content"));
  var state = document.createElement("p");
  state.className = "offline-banner__state";
  banner.appendChild(saved);
  banner.appendChild(state);
  function render() {
    state.textContent = "";
    if (navigator.onLine === false) {
      state.textContent = T.offline;
      banner.classList.remove("is-online");
    } else {
      state.appendChild(document.createTextNode(T.backOnline + " "));
      var link = document.createElement("a");
      link.href = location.href;
      link.textContent = T.refresh;
      state.appendChild(link);
      banner.classList.add("is-online");
    }
  }
  render();
  window.addEventListener("online", render);
  window.addEventListener("offline", render);
  main.insertBefore(banner, main.firstChild);
}

// --- the home-screen hint --------------------------------------------------------------------
function store(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch (e) { return null; }
  return value;
}

function visitDays() {
  var today = new Date();
  var day = today.getFullYear() + "-" + (today.getMonth() + 1) + "-" + today.getDate();
  var days;
  try { days = JSON.parse(store(VISIT_DAYS) || "[]"); } catch (e) { days = []; }
  if (!Array.isArray(days)) days = [];
  if (days.indexOf(day) === -1) days.push(day);
  days = days.slice(-HINT_AFTER_DAYS);
  store(VISIT_DAYS, JSON.stringify(days));
  return days.length;
}

function installed() {
  return (window.matchMedia && matchMedia("(display-mode: standalone)").matches) ||
    navigator.standalone === true;
}

function isIphoneSafari() {
  var ua = navigator.userAgent;
  return /iPhone|iPad|iPod/.test(ua) && /Safari/.test(ua) && !/CriOS|FxiOS|EdgiOS/.test(ua);
}

var installPrompt = null;
var hint = null;

function showHint() {
  var main = document.getElementById("main");
  if (hint || !main || (!installPrompt && !isIphoneSafari())) return;
  hint = document.createElement("section");
  hint.className = "card card--warm install-hint";
  hint.setAttribute("data-install-hint", "");
  hint.setAttribute("aria-labelledby", "install-hint-title");
  var icon = document.createElement("img");
  icon.className = "install-hint__icon";
  icon.src = (document.querySelector('link[rel="apple-touch-icon"]') || {}).href || "";
  icon.alt = "";
  icon.width = 48;
  icon.height = 48;
  var title = document.createElement("h2");
  title.id = "install-hint-title";
  title.textContent = T.hintTitle;
  var text = document.createElement("p");
  text.textContent = T.hintText;
  var row = document.createElement("p");
  row.className = "button-row";
  if (installPrompt) {
    var add = document.createElement("button");
    add.type = "button";
    add.className = "button";
    add.textContent = T.hintAdd;
    add.addEventListener("click", function () {
      var prompt = installPrompt;
      installPrompt = null;
      prompt.prompt();
      prompt.userChoice.then(function (choice) {
        if (choice.outcome === "accepted") dismissHint();
      }, function () {});
    });
    row.appendChild(add);
  } else {
    var how = document.createElement("p");
    how.setAttribute("data-install-iphone", "");
    how.textContent = T.hintIphone;
    hint.appendChild(how);
  }
  var no = document.createElement("button");
  no.type = "button";
  no.className = "button button--secondary";
  no.setAttribute("data-install-dismiss", "");
  no.textContent = T.hintNo;
  no.addEventListener("click", dismissHint);
  row.appendChild(no);
  var head = document.createElement("div");
  head.className = "install-hint__head";
  head.appendChild(icon);
  head.appendChild(title);
  hint.insertBefore(text, hint.firstChild);
  hint.insertBefore(head, hint.firstChild);
  hint.appendChild(row);
  main.insertBefore(hint, main.firstChild);
}

function dismissHint() {
  store(HINT_DISMISSED, "1");
  if (hint) hint.remove();
  hint = null;
}

var wantsHint = false;
window.addEventListener("beforeinstallprompt", function (event) {
  event.preventDefault(); // our own, gentler hint instead of the browser's bar
  installPrompt = event;
  if (wantsHint) showHint();
});
window.addEventListener("appinstalled", dismissHint);

function start() {
  if (savedMeta) { showSavedBanner(); return; }
  if (!memberMeta || installed() || store(HINT_DISMISSED) === "1") return;
  if (visitDays() >= HINT_AFTER_DAYS) {
    wantsHint = true;
    showHint();
  }
}

if (window.VillageTime || document.readyState === "complete") {
  start();
} else {
  document.addEventListener("DOMContentLoaded", start);
}
