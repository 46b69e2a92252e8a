/* Village: web push in the service worker. A classic script: /sw.js loads it with
 * importScripts("/static/js/sw-push.js").
 *
 * The server decides what a push says (notifications/webpush.py payload_for): by default
 * only the kind and the group, never what anyone wrote. This file shows exactly that, sets the
 * app badge to the unread count where the browser can, opens the exact place on a tap, and
 * answers a one-tap button ("Going", "I'm OK") by posting to the same one-tap link as the
 * email, without opening Village. */
/* global self, clients */
"use strict";

(function () {
  var ICON = "/static/icons/icon-192.png";
  var THANKS = "Thank you. Your answer is sent.";
  var SORRY = "Sorry, that didn't go through. Tap to open Village and try again.";

  function sameOrigin(url) {
    try {
      return new URL(url, self.location.origin).origin === self.location.origin;
    } catch (err) {
      return false;
    }
  }

  function place(url) {
    return sameOrigin(url) ? new URL(url, self.location.origin).href : self.location.origin + "/";
  }

  function setBadge(count) {
    var nav = self.navigator;
    if (!nav || typeof nav.setAppBadge !== "function") { return Promise.resolve(); }
    var n = parseInt(count, 10) || 0;
    return (n > 0 ? nav.setAppBadge(n) : nav.clearAppBadge()).catch(function () {});
  }

  function show(data) {
    var actions = (data.actions || []).filter(function (a) { return sameOrigin(a.url); });
    return self.registration.showNotification(data.title || "Village", {
      body: data.body || "",
      tag: data.tag,
      icon: ICON,
      requireInteraction: !!data.urgent,
      data: { url: place(data.url || "/"), actions: actions },
      actions: actions.map(function (a) { return { action: a.action, title: a.title }; }),
    });
  }

  self.addEventListener("push", function (event) {
    var data = {};
    try {
      data = event.data ? event.data.json() : {};
    } catch (err) {
      data = {};
    }
    event.waitUntil(Promise.all([show(data), setBadge(data.badge)]));
  });

  function openPlace(url) {
    return clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (list) {
      for (var i = 0; i < list.length; i++) {
        var client = list[i];
        if (client.url === url && "focus" in client) { return client.focus(); }
      }
      for (var j = 0; j < list.length; j++) {
        if ("navigate" in list[j] && sameOrigin(list[j].url)) {
          return list[j].focus().then(function (c) { return c.navigate(url); });
        }
      }
      return clients.openWindow(url);
    });
  }

  function answer(action, fallbackUrl) {
    // The member's own session answers (notifications:push_answer); the push carries no token.
    return fetch(action.url, { method: "POST", credentials: "same-origin", redirect: "follow" })
      .then(function (response) {
        if (!response.ok) { throw new Error("not saved"); }
        return self.registration.showNotification("Village", { body: THANKS, tag: "village-answer" });
      })
      .catch(function () {
        return self.registration.showNotification("Village", {
          body: SORRY, tag: "village-answer", data: { url: fallbackUrl, actions: [] },
        });
      });
  }

  self.addEventListener("notificationclick", function (event) {
    var note = event.notification;
    var data = note.data || {};
    note.close();
    var chosen = (data.actions || []).filter(function (a) { return a.action === event.action; })[0];
    if (event.action && chosen) {
      event.waitUntil(answer(chosen, data.url || place("/")));
      return;
    }
    event.waitUntil(openPlace(data.url || place("/")));
  });
})();
