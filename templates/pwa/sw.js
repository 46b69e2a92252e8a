{% autoescape off %}/* Village's service worker (config/pwa.py serves it at /sw.js; docs/phone.md).
 *
 * - Keeps the app shell (Village's CSS, JS, icons and the offline page) in a cache named after
 *   its version, so each release replaces it.
 * - Pages: network first. A member's pages are kept in that member's own cache
 *   ("village-pages-<opaque id>", from the Village-Member header), never pages marked no-store
 *   (safeguarding) and never redirects; offline, the last copy is shown with the time it was
 *   saved, or else the offline page.
 * - A page that comes back with no member (logged out, or the session ended) means nobody is
 *   logged in on this browser any more: every member's copies are dropped.
 * The push handlers are in their own file, imported here.
 */
"use strict";

var CONFIG = {{ config }};
importScripts(CONFIG.push);

var SHELL = "village-shell-" + CONFIG.version;
var PAGES = "village-pages-";
var STATE = "village-state";
var MEMBER_KEY = "/__village/member";
var MAX_PAGES = 30;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(CONFIG.shell); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("village-shell-") === 0 && key !== SHELL;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") return;
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    event.respondWith(page(event));
  } else if (url.pathname.indexOf(CONFIG.static) === 0) {
    event.respondWith(shellFirst(request));
  }
});

// Fingerprinted files never change under the same name: the kept copy is the file.
function shellFirst(request) {
  return caches.open(SHELL).then(function (cache) {
    return cache.match(request, { ignoreVary: true });
  }).then(function (hit) { return hit || fetch(request); });
}

function page(event) {
  var request = event.request;
  return fetch(request).then(function (response) {
    var kept = remember(request, response.clone());
    event.waitUntil(kept);
    if (response.status >= 502 && response.status <= 504) {
      // The server is away behind its proxy: a saved copy is kinder than an error page.
      return savedCopy(request).then(function (copy) { return copy || response; });
    }
    return response;
  }, function () {
    return savedCopy(request).then(function (copy) {
      return copy || caches.open(SHELL).then(function (cache) {
        return cache.match(CONFIG.offline);
      }).then(function (offline) {
        return offline || new Response("You're offline. Your messages will be sent when you're back.", {
          status: 503, headers: { "Content-Type": "text/plain; charset=utf-8" }
        });
      });
    });
  });
}

function isHtml(response) {
  return (response.headers.get("Content-Type") || "").indexOf("text/html") === 0;
}

function remember(request, response) {
  if (!isHtml(response)) return Promise.resolve();
  var member = response.headers.get("Village-Member");
  if (!member) return forgetEveryone();
  var cacheControl = response.headers.get("Cache-Control") || "";
  return setMember(member).then(function () {
    if (response.status !== 200 || response.redirected || /no-store/.test(cacheControl)) return;
    var headers = new Headers(response.headers);
    headers.set("Village-Saved-At", new Date().toISOString());
    return response.blob().then(function (body) {
      return caches.open(PAGES + member).then(function (cache) {
        return cache.put(request.url, new Response(body, { status: 200, headers: headers }))
          .then(function () { return trim(cache); });
      });
    });
  });
}

// The oldest first: Cache.put moves a page it replaces to the end.
function trim(cache) {
  return cache.keys().then(function (keys) {
    return Promise.all(keys.slice(0, Math.max(0, keys.length - MAX_PAGES)).map(function (key) {
      return cache.delete(key);
    }));
  });
}

function currentMember() {
  return caches.open(STATE).then(function (cache) { return cache.match(MEMBER_KEY); })
    .then(function (hit) { return hit ? hit.text() : ""; });
}

function setMember(member) {
  return caches.open(STATE).then(function (cache) {
    return cache.put(MEMBER_KEY, new Response(member));
  });
}

function forgetEveryone() {
  return caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (key) {
      return key.indexOf(PAGES) === 0 || key === STATE;
    }).map(function (key) { return caches.delete(key); }));
  });
}

// The member's last copy of the page, marked (a meta tag the page's script reads) with when it
// was saved, so the page can say honestly how old it is.
function savedCopy(request) {
  return currentMember().then(function (member) {
    if (!member) return null;
    return caches.has(PAGES + member).then(function (has) {
      if (!has) return null;
      return caches.open(PAGES + member).then(function (cache) { return cache.match(request.url); });
    });
  }).then(function (hit) {
    if (!hit) return null;
    var savedAt = hit.headers.get("Village-Saved-At") || "";
    return hit.text().then(function (html) {
      var mark = '<meta name="village-saved-at" content="' + savedAt.replace(/[^0-9TZ:.\-]/g, "") + '">';
      var headers = new Headers(hit.headers);
      headers.delete("Content-Length");
      return new Response(html.replace("<head>", "<head>" + mark), { status: 200, headers: headers });
    });
  });
}
{% endautoescape %}
