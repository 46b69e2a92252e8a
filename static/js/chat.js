/* Village chat: upgrades the room page to realtime. No build step, no inline script.
 *
 * Protocol: docs/chat-protocol.md. Frames are applied strictly by sequence number: a frame we
 * already have is dropped; a gap makes us ask the server to resume from our last seq. Unsent
 * messages live in a local outbox (localStorage) and are re-sent after a reconnect with the same
 * client id, so the server stores each exactly once. Member text is only ever set with
 * textContent; links are built as elements with an http(s) href.
 *
 * A module (deferred like any module): the socket and its reconnects are reconnect.js's.
 */
import { connect, socketUrl } from "./reconnect.js";

(function () {

  var root = document.querySelector("[data-chat]");
  if (!root || !("WebSocket" in window)) return;
  if (root.getAttribute("data-history") === "1") return; // looking at older messages: stay static

  var userId = parseInt(root.getAttribute("data-user-id"), 10);
  var slug = root.getAttribute("data-slug");
  var wsPath = root.getAttribute("data-ws-path");
  var canPost = root.getAttribute("data-can-post") === "1";
  var canReact = root.getAttribute("data-can-react") === "1";
  var canPin = root.getAttribute("data-can-pin") === "1";
  var reportTemplate = root.getAttribute("data-report-url") || "";
  var heartbeatSeconds = parseFloat(root.getAttribute("data-heartbeat") || "25");
  var EMOJI = {};
  try { EMOJI = JSON.parse(root.getAttribute("data-emoji") || "{}"); } catch (e) { EMOJI = {}; }

  var list = root.querySelector("[data-chat-messages]");
  var statusEl = root.querySelector("[data-chat-status]");
  var typingEl = root.querySelector("[data-chat-typing]");
  var presenceEl = root.querySelector("[data-chat-presence]");
  var missedEl = root.querySelector("[data-chat-missed]");
  var composer = root.querySelector("[data-chat-composer]");
  var input = composer ? composer.querySelector("[data-composer-input]") : null;
  var errorEl = root.querySelector("[data-chat-error]");
  var hintEl = root.querySelector("[data-chat-hint]");
  var replyingEl = root.querySelector("[data-chat-replying]");
  var replyingText = root.querySelector("[data-chat-replying-text]");
  var outboxEl = root.querySelector("[data-chat-outbox]");
  var csrf = root.querySelector("input[name=csrfmiddlewaretoken]");

  var applied = parseInt(root.getAttribute("data-head"), 10) || 0;
  var open = false;
  var everOpen = false;
  var resuming = false;
  var graceTimer = null;
  var watchdog = null;
  var lastTyping = 0;
  var readTimer = null;
  var lastRead = 0;
  var replyTo = null;
  var typers = {};
  var outboxKey = "village.chat.outbox." + slug + "." + userId;
  var acked = {}; // client id -> seq: shown as "sending" until that seq is applied
  // A copy the offline worker kept (static/js/pwa.js): the socket worked when it was saved and
  // a plain form post cannot work now, so what is written waits in the outbox.
  var savedCopy = !!document.querySelector('meta[name="village-saved-at"]');

  var T = {
    live: "Connected",
    connecting: "Connecting…",
    reconnecting: "Reconnecting… your messages will be sent when we're back.",
    offline: "You're offline. Messages you write will be sent when you're back.",
    refused: "You're not in this group any more, so you can't post here. What you typed is still in the box.",
    sending: "Sending…",
    asking: "Not sent yet: it's waiting for your answer above.",
    failed: "Not sent",
    retry: "Try again",
    edited: "edited",
    deleted: "message deleted",
    call: "Call %s",
    cardMore: "Who it's for, costs and how to get there",
    former: "Former member",
    reply: "Reply",
    edit: "Edit",
    del: "Delete",
    pin: "Pin to the top",
    unpin: "Unpin",
    report: "Report",
    more: "Reply, react and more",
    save: "Save",
    cancel: "Cancel",
    replyingTo: "Replying to ",
    gone: "Replying to a message that is no longer here",
    held: "Waiting for a moderator to check",
    hidden: "Hidden while a moderator looks at it",
    hiddenBadge: "Hidden for now",
    hiddenMine: "Only you can see this message: it's hidden while a moderator looks at it. We'll let you know what they decide.",
    hiddenQuote: "Replying to a message hidden while a moderator looks at it",
    pinned: "Pinned",
    typingOne: " is typing…",
    typingMany: "Several people are typing…",
    here: "Here now: ",
    hereStale: "Who's online will update when we're reconnected.",
    hereOffline: "Who's online will update when you're back online.",
    confirmDelete: "Delete this message? Everyone will see \"message deleted\".",
    slowOne: "Slow mode is on: one message every second.",
    slow: "Slow mode is on: one message every %s seconds.",
    hint: "Be kind. What's shared here stays here.",
    muted: "You can post again after %s.",
    jumpOne: "1 new message ↓",
    jumpMany: "%s new messages ↓",
    jumpLatest: "Jump to the latest ↓",
    loadingEarlier: "Loading…"
  };

  // --- small helpers ----------------------------------------------------------------------
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var fatalMessage = "";
  var resendTimer = null;

  // The socket was refused for good: what is typed stays in the box (and unsent messages in
  // the outbox), but nothing pretends it can still be sent from here.
  function closeComposer(reason) {
    if (!composer) return;
    Array.prototype.forEach.call(composer.querySelectorAll("textarea, input, button"), function (c) {
      c.disabled = true;
    });
    var p = el("p", "notice composer__closed", reason);
    p.setAttribute("role", "status");
    composer.insertBefore(p, composer.firstChild);
  }

  function setStatus(text, warn) {
    if (!statusEl) return;
    statusEl.textContent = text;
    statusEl.classList.toggle("is-warning", !!warn);
  }

  function showError(text) {
    if (!errorEl) return;
    errorEl.textContent = text || "";
    errorEl.hidden = !text;
    if (input) {
      if (text) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
    }
  }

  var URL_RE = /https?:\/\/[^\s<>"'`]+/gi;
  function appendLinkified(parent, text) {
    var pos = 0;
    var match;
    URL_RE.lastIndex = 0;
    while ((match = URL_RE.exec(text)) !== null) {
      var url = match[0];
      var trail = "";
      while (url && ".,;:!?)]}'\"".indexOf(url.charAt(url.length - 1)) !== -1) {
        trail = url.charAt(url.length - 1) + trail;
        url = url.slice(0, -1);
      }
      if (url.length <= 8) continue;
      parent.appendChild(document.createTextNode(text.slice(pos, match.index)));
      var a = el("a", null, url);
      a.href = url; // only ever http(s): matched above
      a.rel = "noopener nofollow ugc";
      a.target = "_blank";
      parent.appendChild(a);
      if (trail) parent.appendChild(document.createTextNode(trail));
      pos = match.index + match[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(pos)));
  }

  // A valid <time datetime>: HTML allows at most milliseconds.
  function machineTime(iso) {
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toISOString();
  }

  // Written exactly as the server writes it (static/js/timefmt.js, config/formats/en_GB).
  function formatTime(iso) {
    if (window.VillageTime) return window.VillageTime.format(iso, "SHORT_DATETIME_FORMAT");
    var d = new Date(iso);
    return isNaN(d) ? "" : d.toISOString();
  }

  // --- rendering one message (the same structure as templates/chat/_message.html) ----------
  function hiddenInput(name, value) {
    var i = el("input");
    i.type = "hidden";
    i.name = name;
    i.value = String(value);
    return i;
  }

  function actionForm(kind, messageId) {
    var f = el("form");
    f.method = "post";  // no action: it posts to the page itself (an empty action is invalid)
    f.setAttribute("data-chat-form", kind);
    if (csrf) f.appendChild(hiddenInput("csrfmiddlewaretoken", csrf.value));
    if (kind !== "pin") f.appendChild(hiddenInput("action", kind));
    f.appendChild(hiddenInput("message_id", messageId));
    return f;
  }

  function buildReactions(m) {
    var f = actionForm("react", m.id);
    f.className = "msg__reactions";
    var reactions = m.reactions || {};
    Object.keys(reactions).forEach(function (key) {
      var users = reactions[key] || [];
      if (!users.length) return;
      var mine = users.indexOf(userId) !== -1;
      var b = el("button", "reaction" + (mine ? " reaction--mine" : ""));
      b.type = "submit";
      b.name = "emoji";
      b.value = key;
      b.setAttribute("aria-pressed", mine ? "true" : "false");
      b.disabled = !canReact;
      var sym = el("span", null, EMOJI[key] || key);
      sym.setAttribute("aria-hidden", "true");
      b.appendChild(sym);
      b.appendChild(document.createTextNode(" " + users.length));
      b.appendChild(el("span", "visually-hidden", " " + key));
      f.appendChild(b);
    });
    return f;
  }

  function fillQuote(a, reply) {
    a.textContent = "";
    if (reply.snippet) {
      a.appendChild(el("bdi", "msg__reply-author", (reply.author && reply.author.name) || T.former));
      a.appendChild(document.createTextNode(": "));
      a.appendChild(el("span", "msg__reply-snippet", reply.snippet));
    } else {
      a.appendChild(el("span", "msg__reply-snippet", reply.state === "hidden" ? T.hiddenQuote : T.gone));
    }
  }

  // A directory service shared as a card (templates/chat/_card.html draws the same).
  function buildCard(card) {
    var box = el("div", "msg__body service-card");
    box.setAttribute("dir", "auto");
    var path = /^\/[^\/]/.test(card.path || "") ? card.path : null; // only Village's own pages
    var name = el("p", "service-card__name");
    if (path) {
      var link = el("a", null, card.name || "");
      link.href = path;
      name.appendChild(link);
    } else {
      name.textContent = card.name || "";
    }
    box.appendChild(name);
    if (card.times && card.times.length) {
      var times = el("p", "service-card__times");
      var clock = el("span", null, "🕘");
      clock.setAttribute("aria-hidden", "true");
      times.appendChild(clock);
      times.appendChild(document.createTextNode(" " + card.times.join("; ")));
      box.appendChild(times);
    }
    if (card.phone && /^\+?[0-9]+$/.test(card.tel || "")) {
      var phone = el("p", "service-card__phone");
      var call = el("a");
      call.href = "tel:" + card.tel;
      var icon = el("span", null, "📞");
      icon.setAttribute("aria-hidden", "true");
      call.appendChild(icon);
      call.appendChild(document.createTextNode(" " + T.call.replace("%s", card.phone)));
      phone.appendChild(call);
      box.appendChild(phone);
    }
    if (path) {
      var more = el("p", "service-card__more");
      var a = el("a", null, T.cardMore);
      a.href = path;
      more.appendChild(a);
      box.appendChild(more);
    }
    return box;
  }

  function buildPlaceholder(m) {
    // Hidden while a moderator looks at it: only where it was, never who wrote it or what.
    var li = el("li", "msg msg--placeholder");
    li.id = "m-" + m.id;
    li.setAttribute("data-message-id", m.id);
    li.setAttribute("data-seq", m.seq);
    li.setAttribute("data-state", m.state);
    li._message = m;
    var p = el("p", "msg__body msg__body--placeholder");
    var time = el("time", "msg__time", formatTime(m.created_at));
    time.setAttribute("datetime", machineTime(m.created_at));
    p.appendChild(time);
    p.appendChild(document.createTextNode(" " + T.hidden));
    li.appendChild(p);
    return li;
  }

  function buildMessage(m) {
    var mine = m.author && m.author.id === userId;
    if (m.state === "hidden" && (!mine || m.deleted)) return buildPlaceholder(m);
    var li = el("li", "msg" + (mine ? " msg--mine" : "") + (m.deleted ? " msg--deleted" : "") +
      (m.state === "hidden" ? " msg--hidden" : ""));
    li.id = "m-" + m.id;
    li.setAttribute("data-message-id", m.id);
    li.setAttribute("data-seq", m.seq);
    li.setAttribute("data-state", m.state);
    li._message = m;

    var head = el("div", "msg__head");
    head.appendChild(el("bdi", "msg__author", (m.author && m.author.name) || T.former));
    // The role badge is the server's word (payloads.author_badge); names can't claim one.
    if (m.badge) head.appendChild(el("span", "badge msg__role msg__role--" + m.badge.role, m.badge.label));
    var time = el("time", "msg__time", formatTime(m.created_at));
    time.setAttribute("datetime", machineTime(m.created_at));
    head.appendChild(time);
    if (m.edited && !m.deleted) head.appendChild(el("span", "msg__edited", T.edited));
    if (m.pinned) head.appendChild(el("span", "badge msg__pinned", T.pinned));
    if (m.state === "held") head.appendChild(el("span", "badge badge--warm", T.held));
    if (m.state === "hidden") head.appendChild(el("span", "badge badge--warm", T.hiddenBadge));
    li.appendChild(head);

    if (m.reply_to) {
      var r = el("a", "msg__reply");
      r.href = "#m-" + m.reply_to.id;
      fillQuote(r, m.reply_to);
      li.appendChild(r);
    }

    if (m.deleted) {
      li.appendChild(el("p", "msg__body msg__body--deleted", T.deleted));
      return li;
    }
    if (m.card && m.state !== "hidden") {
      li.appendChild(buildCard(m.card));
    } else {
      var body = el("p", "msg__body");
      body.setAttribute("dir", "auto");
      appendLinkified(body, m.body || "");
      li.appendChild(body);
    }
    if (m.state === "hidden") {
      // Only its author gets the text: no replies, reactions or edits until a moderator decides.
      li.appendChild(el("p", "msg__note", T.hiddenMine));
      return li;
    }
    li.appendChild(buildReactions(m));

    var more = el("details", "msg__more");
    more.appendChild(el("summary", null, T.more));
    var actions = el("div", "msg__actions");
    if (canPost && m.state === "visible") {
      var reply = el("a", "button button--quiet button--small", T.reply);
      reply.href = "?reply=" + m.id + "#composer";
      reply.setAttribute("data-chat-reply", m.id);
      actions.appendChild(reply);
    }
    if (canReact && m.state === "visible") {
      var ef = actionForm("react", m.id);
      ef.className = "msg__emoji";
      Object.keys(EMOJI).forEach(function (key) {
        var b = el("button", "button--quiet emoji-button", EMOJI[key]);
        b.type = "submit";
        b.name = "emoji";
        b.value = key;
        b.setAttribute("aria-label", "React with " + key);
        ef.appendChild(b);
      });
      actions.appendChild(ef);
    }
    if (mine && canPost) {
      var edit = el("a", "button button--quiet button--small", T.edit);
      edit.href = "?edit=" + m.id + "#m-" + m.id;
      edit.setAttribute("data-chat-edit", m.id);
      actions.appendChild(edit);
    }
    if (mine) {
      var df = actionForm("delete", m.id);
      var db = el("button", "button button--quiet button--small", T.del);
      db.type = "submit";
      df.appendChild(db);
      actions.appendChild(df);
    }
    if (canPin && m.state === "visible") {
      var pf = actionForm("pin", m.id);
      var pb = el("button", "button button--quiet button--small", m.pinned ? T.unpin : T.pin);
      pb.type = "submit";
      pb.name = "action";
      pb.value = m.pinned ? "unpin" : "pin";
      pf.appendChild(pb);
      actions.appendChild(pf);
    }
    if (!mine && reportTemplate) {
      var rep = el("a", "button button--quiet button--small", T.report);
      rep.href = reportTemplate.replace(/0\/?$/, String(m.id) + (/\/$/.test(reportTemplate) ? "/" : ""));
      actions.appendChild(rep);
    }
    more.appendChild(actions);
    li.appendChild(more);
    return li;
  }

  // --- applying events to the page ----------------------------------------------------------
  function find(id) { return document.getElementById("m-" + id); }

  function clearEmpty() {
    var empty = list.querySelector("[data-chat-empty]");
    if (empty) empty.remove();
  }

  function upsert(m) {
    var existing = find(m.id);
    var node = buildMessage(m);
    if (existing) {
      existing.replaceWith(node);
      return;
    }
    // A new message: follow it if the member is reading the end (or wrote it), else say so.
    var follow = atBottom() || (m.author && m.author.id === userId);
    placeNew(node, m);
    if (follow) toLatest(false);
    else noteUnseen();
  }

  function placeNew(node, m) {
    clearEmpty();
    var items = list.querySelectorAll("li[data-message-id]");
    for (var i = items.length - 1; i >= 0; i--) {
      if (parseInt(items[i].getAttribute("data-message-id"), 10) < m.id) {
        items[i].after(node);
        return;
      }
    }
    list.insertBefore(node, list.firstChild);
  }

  function refreshReplies(m) {
    // Quotes of an edited, deleted or hidden message follow it (as a resume would show them).
    var links = list.querySelectorAll('a.msg__reply[href="#m-' + m.id + '"]');
    Array.prototype.forEach.call(links, function (a) {
      var li = a.closest("li.msg");
      if (!li) return;
      var ok = m.state === "visible" && !m.deleted;
      var reply = {
        id: m.id, snippet: ok ? (m.body || "").slice(0, 120) : "", author: ok ? m.author : null,
        state: m.state === "hidden" ? "hidden" : "visible"
      };
      if (li._message && li._message.reply_to) {
        li._message.reply_to = reply;
        li.replaceWith(buildMessage(li._message));
      } else {
        fillQuote(a, reply); // a server-rendered message: same structure, just the quote
      }
    });
  }

  function messageFromNode(li) {
    return li && li._message ? li._message : null;
  }

  function apply(frame) {
    var t = frame.type;
    if (t === "message.created" || t === "message.edited" || t === "message.deleted" ||
        t === "message.pinned" || t === "message.unpinned" || t === "message.restored") {
      upsert(frame.message);
      if (t === "message.created" && frame.message.author && typers[frame.message.author.id]) {
        delete typers[frame.message.author.id]; // their message arrived: no longer typing
        renderTyping();
      }
      if (t !== "message.created") refreshReplies(frame.message);
      if (t === "message.pinned" || t === "message.unpinned" || t === "message.deleted") updatePinned(frame.message);
    } else if (t === "reaction.changed") {
      var li = find(frame.message_id);
      var m = messageFromNode(li);
      if (m) {
        m.reactions = frame.reactions;
        li.replaceWith(buildMessage(m));
      } else if (li) {
        var form = li.querySelector(".msg__reactions");
        var fresh = buildReactions({ id: frame.message_id, reactions: frame.reactions });
        if (form) form.replaceWith(fresh);
      }
    } else if (t === "message.hidden") {
      if (frame.message) {
        // Hidden pending review: a placeholder takes its place (its author still sees it).
        upsert(frame.message);
        refreshReplies(frame.message);
      } else {
        // Removed by a moderator, or an edit held by screening: gone.
        var gone = find(frame.message_id);
        if (gone) gone.remove();
        refreshReplies({ id: frame.message_id, state: "removed" });
      }
      updatePinned({ id: frame.message_id, pinned: false });
    } else if (t === "room.updated") {
      if (hintEl && frame.room) {
        var n = frame.room.slow_mode_seconds;
        hintEl.textContent = n === 1 ? T.slowOne : n ? T.slow.replace("%s", n) : T.hint;
      }
      var slowSelect = root.querySelector("[data-chat-slow-mode] select");
      if (slowSelect && frame.room) slowSelect.value = String(frame.room.slow_mode_seconds);
    }
    settleOutbox();
  }

  function updatePinned(m) {
    var section = root.querySelector("[data-chat-pinned] ul");
    if (!section) return;
    var existing = section.querySelector('a[href="#m-' + m.id + '"]');
    if (m.pinned && !m.deleted && !existing) {
      var li = el("li");
      var a = el("a", null, (m.body || "").slice(0, 160));
      a.href = "#m-" + m.id;
      a.setAttribute("dir", "auto");
      li.appendChild(a);
      section.insertBefore(li, section.firstChild);
    } else if ((!m.pinned || m.deleted) && existing) {
      existing.closest("li").remove();
    }
  }

  function reset(frame) {
    Array.prototype.forEach.call(list.querySelectorAll("li"), function (li) { li.remove(); });
    (frame.messages || []).forEach(function (m) { list.appendChild(buildMessage(m)); });
    applied = frame.head;
    if (missedEl) {
      missedEl.hidden = false;
      var first = (frame.messages || [])[0];
      var more = missedEl.querySelector("a");
      if (more && first) more.href = "?before=" + first.id;
    }
    settleOutbox();
  }

  // --- the outbox ---------------------------------------------------------------------------
  function loadOutbox() {
    try { return JSON.parse(localStorage.getItem(outboxKey) || "[]"); } catch (e) { return []; }
  }
  function saveOutbox(items) {
    try { localStorage.setItem(outboxKey, JSON.stringify(items)); } catch (e) { /* private mode */ }
  }

  function renderOutbox() {
    if (!outboxEl) return;
    outboxEl.textContent = "";
    loadOutbox().forEach(function (item) {
      var li = el("li", "msg msg--mine outbox__item " + (item.asking ? "msg--asking" : "msg--sending"));
      li.setAttribute("data-client-id", item.client_id);
      li.appendChild(el("p", "msg__body", item.body));
      li.appendChild(el("p", "meta", item.failed ? T.failed + ": " + item.failed : item.asking ? T.asking : T.sending));
      outboxEl.appendChild(li);
    });
    Object.keys(acked).forEach(function (cid) {
      if (outboxEl.querySelector('[data-client-id="' + cid + '"]')) return;
      var a = acked[cid];
      var li = el("li", "msg msg--mine msg--sending outbox__item");
      li.setAttribute("data-client-id", cid);
      li.appendChild(el("p", "msg__body", a.body));
      li.appendChild(el("p", "meta", T.sending));
      outboxEl.appendChild(li);
    });
  }

  function settleOutbox() {
    var changed = false;
    Object.keys(acked).forEach(function (cid) {
      if (acked[cid].seq <= applied) { delete acked[cid]; changed = true; }
    });
    if (changed) renderOutbox();
  }

  function sendFrame(item) {
    var frame = { type: "send", client_id: item.client_id, body: item.body, reply_to: item.reply_to || null };
    if (item.confirmed) { frame.confirmed = true; frame.dont_ask = item.dont_ask || []; }
    return frame;
  }

  function sendOutbox() {
    loadOutbox().forEach(function (item) {
      if (!item.failed && !(asking && asking.client_id === item.client_id)) send(sendFrame(item));
    });
  }

  // --- "This message includes a phone number ... Send anyway?" (only the author sees it) ---
  var privateEl = root.querySelector("[data-chat-private]");
  var asking = null; // the outbox item the question is about

  function askPrivate(frame) {
    var items = loadOutbox();
    var item = null;
    items.forEach(function (i) { if (i.client_id === frame.client_id) { item = i; i.asking = true; } });
    if (!item || !privateEl) { onSendError(frame); return; }
    saveOutbox(items);
    renderOutbox();
    asking = item;
    privateEl.querySelector("[data-chat-private-text]").textContent = frame.message;
    var options = privateEl.querySelector("[data-chat-private-options]");
    options.textContent = "";
    (frame.dont_ask || []).forEach(function (o) {
      var label = el("label", "check");
      var box = el("input");
      box.type = "checkbox";
      box.value = o.kind;
      box.id = "dont-ask-" + o.kind;
      label.htmlFor = box.id;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" "));
      label.appendChild(el("span", null, o.label));
      options.appendChild(label);
    });
    privateEl.hidden = false;
    privateEl.querySelector("[data-chat-private-send]").focus();
  }

  function answerPrivate(sendIt) {
    if (!asking || !privateEl) return;
    var items = loadOutbox();
    var cid = asking.client_id;
    var dontAsk = Array.prototype.map.call(
      privateEl.querySelectorAll("[data-chat-private-options] input:checked"),
      function (b) { return b.value; });
    privateEl.hidden = true;
    asking = null;
    if (sendIt) {
      var item = null;
      items.forEach(function (i) {
        if (i.client_id === cid) { item = i; delete i.asking; i.confirmed = true; i.dont_ask = dontAsk; }
      });
      saveOutbox(items);
      renderOutbox();
      if (item && open) send(sendFrame(item));
    } else {
      var kept = null;
      items = items.filter(function (i) { if (i.client_id === cid) { kept = i; return false; } return true; });
      saveOutbox(items);
      renderOutbox();
      if (kept && input) {
        input.value = input.value ? kept.body + "\n" + input.value : kept.body;
        if (kept.reply_to) setReply(kept.reply_to);
        input.focus();
      }
    }
  }

  if (privateEl) {
    privateEl.querySelector("[data-chat-private-send]").addEventListener("click", function () { answerPrivate(true); });
    privateEl.querySelector("[data-chat-private-edit]").addEventListener("click", function () { answerPrivate(false); });
  }

  function queue(body) {
    var item = { client_id: uuid(), body: body, reply_to: replyTo, at: Date.now() };
    var items = loadOutbox();
    items.push(item);
    saveOutbox(items);
    renderOutbox();
    toLatest(false); // what you just wrote is in view
    if (open) send(sendFrame(item));
  }

  function onAck(frame) {
    var items = loadOutbox();
    var item = null;
    items = items.filter(function (i) { if (i.client_id === frame.client_id) { item = i; return false; } return true; });
    saveOutbox(items);
    if (item && frame.seq > applied) acked[frame.client_id] = { seq: frame.seq, body: item.body };
    renderOutbox();
  }

  function onSendError(frame) {
    var items = loadOutbox();
    var item = null;
    items = items.filter(function (i) { if (i.client_id === frame.client_id) { item = i; return false; } return true; });
    saveOutbox(items);
    renderOutbox();
    if (item && input) {
      // Keep what they typed: put it back (after anything they have typed since).
      input.value = input.value ? input.value + "\n" + item.body : item.body;
      if (item.reply_to) setReply(item.reply_to);
    }
    showError(frame.message);
  }

  // --- the socket (reconnect.js keeps it connected: jittered backoff, stops on 4401/4403) ---
  var conn = null;

  function send(frame) {
    return open && conn ? conn.send(JSON.stringify(frame)) : false;
  }

  function hello() {
    resuming = true;
    send({ type: "hello", last_seq: applied });
  }

  function armWatchdog() {
    clearTimeout(watchdog);
    watchdog = setTimeout(function () {
      // No heartbeat for too long: the connection is silently dead.
      if (conn) conn.drop();
    }, heartbeatSeconds * 2500 + 5000);
  }

  function onOpen() {
    open = true;
    everOpen = true;
    clearTimeout(graceTimer);
    setStatus(T.live);
    presenceBack();
    armWatchdog();
    hello();
  }

  function onMessage(ev) {
    armWatchdog();
    var frame;
    try { frame = JSON.parse(ev.data); } catch (e) { return; }
    onFrame(frame);
  }

  function onClose(ev, how) {
    open = false;
    clearTimeout(watchdog);
    if (how.stopped) {
      // The server said why just before closing (logged out, two-step log-in, removed).
      setStatus(fatalMessage || T.refused, true);
      closeComposer(fatalMessage || T.refused);
      if (presenceEl) presenceEl.hidden = true; // no socket, no way to know who's here
      return;
    }
    clearTimeout(graceTimer);
    // Be honest, but not jumpy: say "reconnecting" only if it takes more than a moment.
    graceTimer = setTimeout(function () {
      if (!open) {
        setStatus(navigator.onLine === false ? T.offline : T.reconnecting, true);
        stalePresence();
      }
    }, 2000);
  }

  function connectSocket() {
    conn = connect({
      url: socketUrl(wsPath),
      baseDelay: 500,
      maxDelay: 15000,
      onOpen: onOpen,
      onMessage: onMessage,
      onClose: onClose,
      onStatus: function (state) {
        if (state === "connecting" && !everOpen) {
          setStatus(savedCopy && navigator.onLine === false ? T.offline : T.connecting, savedCopy);
        }
      }
    });
  }

  function onFrame(frame) {
    var t = frame.type;
    if (t === "ack") { onAck(frame); return; } // carries a seq, but it is not an event
    if (typeof frame.seq === "number") {
      if (frame.seq <= applied) return; // already have it
      if (frame.seq > applied + 1) {
        if (!resuming) hello(); // a gap: the log has the rest
        return;
      }
      applied = frame.seq;
      if (t !== "skip") apply(frame);
      else settleOutbox();
      scheduleRead();
      return;
    }
    if (t === "resume.done") {
      resuming = false;
      if (frame.head > applied) { hello(); return; }
      sendOutbox();
      scheduleRead();
    } else if (t === "reset") {
      resuming = false;
      reset(frame);
      sendOutbox();
      scheduleRead();
    } else if (t === "heartbeat") {
      if (frame.head > applied && !resuming) hello();
    } else if (t === "ack") {
      onAck(frame);
    } else if (t === "confirm_private") {
      askPrivate(frame);
    } else if (t === "error") {
      if (frame.fatal) fatalMessage = frame.message;
      if (frame.client_id && frame.code === "unavailable") {
        // Nothing was stored (the server's database was away): it stays in the outbox and
        // goes again in a moment, with the same id, so it is stored once.
        showError(frame.message);
        clearTimeout(resendTimer);
        resendTimer = setTimeout(function () { showError(""); sendOutbox(); }, 3000);
      } else if (frame.client_id) onSendError(frame);
      else showError(frame.message);
    } else if (t === "presence") {
      showPresence(frame.members || []);
    } else if (t === "typing") {
      showTyping(frame.user);
    } else if (t === "muted") {
      showMuted(frame.until);
    } else if (t === "support.offer") {
      openSupport();
    }
  }

  // --- presence, typing, read position, mute, support ---------------------------------------
  // "Here now" is only true while the socket is open. Once the client says it is offline or
  // reconnecting, the names give way to a note; back online, nothing is shown until the
  // server's list arrives (it sends one to the room whenever a socket joins).
  var presenceStale = false;

  function stalePresence() {
    if (!presenceEl) return;
    presenceStale = true;
    presenceEl.classList.add("is-stale");
    if (!presenceEl.hidden) presenceEl.textContent = navigator.onLine === false ? T.hereOffline : T.hereStale;
  }

  function presenceBack() {
    if (presenceEl && presenceStale) presenceEl.hidden = true;
  }

  function showPresence(members) {
    if (!presenceEl) return;
    presenceStale = false;
    presenceEl.classList.remove("is-stale");
    var names = members.filter(function (m) { return m.id !== userId; }).map(function (m) { return m.name; });
    presenceEl.hidden = names.length === 0;
    presenceEl.textContent = names.length ? T.here + names.join(", ") : "";
  }

  function renderTyping() {
    if (!typingEl) return;
    var now = Date.now();
    var names = Object.keys(typers).filter(function (id) { return typers[id].until > now; })
      .map(function (id) { return typers[id].name; });
    typingEl.textContent = names.length === 1 ? names[0] + T.typingOne : names.length > 1 ? T.typingMany : "";
  }

  // --- where the view sits: at the first unread (or the newest), following new messages -----
  var jumpBtn = null;
  var unseen = 0;

  // Reading the end: the latest message is (nearly) in view. The page goes on below the log
  // (the composer, the footer), so "the bottom of the page" would be the wrong test.
  function lastMessage() {
    var items = list.querySelectorAll("li[data-message-id]");
    return items.length ? items[items.length - 1] : list.lastElementChild;
  }

  // The composer stays at the foot of the screen (sticky): the room's "end" is just above it.
  function visibleBottom() {
    var box = root.querySelector("#composer");
    var top = box ? box.getBoundingClientRect().top : window.innerHeight;
    return Math.min(window.innerHeight, top > 0 ? top : window.innerHeight);
  }

  function atBottom() {
    var last = lastMessage();
    if (!last) return true;
    return last.getBoundingClientRect().top < visibleBottom() + 40;
  }

  function toLatest(smooth) {
    var last = lastMessage();
    if (last) {
      var y = window.scrollY + last.getBoundingClientRect().bottom - visibleBottom() + 12;
      window.scrollTo({ top: Math.max(0, y), behavior: smooth ? "smooth" : "auto" });
    }
    unseen = 0;
    if (jumpBtn) jumpBtn.hidden = true;
  }

  function placeJump() {
    if (!jumpBtn) return;
    jumpBtn.style.bottom = (window.innerHeight - visibleBottom() + 12) + "px";
  }

  function noteUnseen() {
    unseen += 1;
    if (!jumpBtn) return;
    jumpBtn.textContent = unseen === 1 ? T.jumpOne : T.jumpMany.replace("%s", unseen);
    placeJump();
    jumpBtn.hidden = false;
  }

  function setUpView() {
    jumpBtn = el("button", "button button--small chat__jump", T.jumpLatest);
    jumpBtn.type = "button";
    jumpBtn.hidden = true;
    jumpBtn.setAttribute("data-chat-jump", "");
    jumpBtn.addEventListener("click", function () { toLatest(true); });
    root.appendChild(jumpBtn);
    window.addEventListener("scroll", function () {
      if (atBottom()) { unseen = 0; jumpBtn.hidden = true; }
      else if (!unseen && jumpBtn.hidden) {
        jumpBtn.textContent = T.jumpLatest;
        placeJump();
        jumpBtn.hidden = false;
      }
    }, { passive: true });
    if (location.hash) return; // a link to one message: the browser already went there
    var divider = root.querySelector("[data-chat-divider]");
    if (divider) divider.scrollIntoView({ block: "start" });
    else toLatest(false);
  }

  // "Load earlier messages" in place: the older ones go above, and the view stays where it was.
  function setUpEarlier() {
    root.addEventListener("click", function (ev) {
      var link = ev.target.closest ? ev.target.closest("[data-chat-earlier]") : null;
      if (!link || !window.fetch) return;
      ev.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      var label = link.textContent;
      link.textContent = T.loadingEarlier;
      var url = link.getAttribute("href") + "&fragment=earlier";
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
        if (!r.ok) throw new Error(String(r.status));
        var earliest = r.headers.get("X-Earliest-Id");
        var more = r.headers.get("X-Has-Earlier") === "1";
        return r.text().then(function (html) { return { html: html, earliest: earliest, more: more }; });
      }).then(function (got) {
        var doc = document.documentElement;
        var before = doc.scrollHeight;
        var tpl = document.createElement("template");
        tpl.innerHTML = got.html;
        var first = list.querySelector("li[data-message-id]");
        Array.prototype.forEach.call(tpl.content.querySelectorAll("li[data-message-id]"), function (li) {
          if (!find(li.getAttribute("data-message-id"))) list.insertBefore(li, first);
        });
        window.scrollBy(0, doc.scrollHeight - before);
        link.removeAttribute("aria-busy");
        link.textContent = label;
        if (got.more && got.earliest) link.setAttribute("href", "?before=" + got.earliest);
        else if (link.parentNode) link.parentNode.hidden = true;
      }).catch(function () {
        // Fall back to the plain page (it works without JavaScript too).
        window.location.href = link.getAttribute("href");
      });
    });
  }

  function showTyping(user) {
    if (!user || user.id === userId) return;
    typers[user.id] = { name: user.name, until: Date.now() + 6000 };
    renderTyping();
    setTimeout(renderTyping, 6100);
  }

  function scheduleRead() {
    if (readTimer || document.visibilityState === "hidden") return;
    readTimer = setTimeout(function () {
      readTimer = null;
      if (applied > lastRead && send({ type: "read", seq: applied })) lastRead = applied;
    }, 1500);
  }

  function showMuted(until) {
    if (!composer) return;
    var when = formatTime(until);
    var p = el("p", "notice composer__muted", T.muted.replace("%s", when));
    p.setAttribute("data-chat-muted", "");
    composer.replaceWith(p);
    composer = null;
    input = null;
  }

  function openSupport() {
    var panel = root.querySelector("[data-support-panel]");
    if (!panel) return;
    fetch("/moderation/support/?partial=1", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        // Our own server's template (not member text), fetched same-origin.
        var doc = new DOMParser().parseFromString(html, "text/html");
        panel.textContent = "";
        Array.prototype.forEach.call(doc.body.childNodes, function (n) {
          panel.appendChild(document.importNode(n, true));
        });
        panel.hidden = false;
        panel.scrollIntoView({ block: "nearest" });
      })
      .catch(function () { panel.hidden = false; });
  }

  // --- the composer and message actions -----------------------------------------------------
  function setReply(id) {
    replyTo = id;
    var hidden = composer && composer.querySelector("input[name=reply_to]");
    if (hidden) hidden.value = id || "";
    if (!replyingEl) return;
    if (!id) { replyingEl.hidden = true; return; }
    var li = find(id);
    var m = messageFromNode(li);
    var who = m ? (m.author && m.author.name) || T.former : (li ? li.querySelector(".msg__author").textContent : "");
    var text = m ? m.body : (li ? li.querySelector(".msg__body").textContent : "");
    replyingText.textContent = T.replyingTo + who + ": " + String(text || "").slice(0, 80);
    replyingEl.hidden = false;
  }

  if (composer && input) {
    var initialReply = composer.querySelector("input[name=reply_to]");
    if (initialReply && initialReply.value) replyTo = parseInt(initialReply.value, 10) || null;
    composer.addEventListener("submit", function (ev) {
      if (!everOpen && !savedCopy) return; // websockets never worked here: post the form the plain way
      ev.preventDefault();
      var body = input.value.trim();
      if (!body) { showError("Your message is empty. Type something first."); return; }
      showError("");
      queue(body);
      input.value = "";
      setReply(null);
      input.focus();
    });
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing && window.matchMedia("(min-width: 48rem)").matches) {
        ev.preventDefault();
        composer.requestSubmit ? composer.requestSubmit() : composer.dispatchEvent(new Event("submit", { cancelable: true }));
      }
    });
    input.addEventListener("input", function () {
      var now = Date.now();
      if (input.value && now - lastTyping > 3000) {
        lastTyping = now;
        send({ type: "typing" });
      }
    });
  }

  root.addEventListener("click", function (ev) {
    var reply = ev.target.closest("[data-chat-reply]");
    if (reply && composer && everOpen) {
      ev.preventDefault();
      setReply(parseInt(reply.getAttribute("data-chat-reply"), 10));
      var d = reply.closest("details");
      if (d) d.open = false;
      input.focus();
      return;
    }
    var cancel = ev.target.closest("[data-chat-cancel-reply]");
    if (cancel && everOpen) {
      ev.preventDefault();
      setReply(null);
      return;
    }
    var edit = ev.target.closest("[data-chat-edit]");
    if (edit && open) {
      ev.preventDefault();
      startEdit(parseInt(edit.getAttribute("data-chat-edit"), 10));
    }
  });

  function startEdit(id) {
    var li = find(id);
    if (!li || li.querySelector(".msg__edit")) return;
    var m = messageFromNode(li);
    var current = m ? m.body : li.querySelector(".msg__body").textContent;
    var form = el("form", "msg__edit");
    var label = el("label", null, "Change your message");
    label.htmlFor = "edit-" + id;
    var area = el("textarea");
    area.id = "edit-" + id;
    area.rows = 3;
    area.value = current;
    var row = el("div", "button-row");
    var save = el("button", null, T.save);
    save.type = "submit";
    var cancel = el("button", "button button--secondary", T.cancel);
    cancel.type = "button";
    row.appendChild(save);
    row.appendChild(cancel);
    form.appendChild(label);
    form.appendChild(area);
    form.appendChild(row);
    var d = li.querySelector("details");
    if (d) d.open = false;
    li.appendChild(form);
    area.focus();
    cancel.addEventListener("click", function () { form.remove(); });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var text = area.value.trim();
      if (!text) return;
      if (send({ type: "edit", message_id: id, body: text })) form.remove();
    });
  }

  root.addEventListener("submit", function (ev) {
    var form = ev.target.closest("[data-chat-form]");
    if (!form || !open) return; // offline: the plain form post still works
    var kind = form.getAttribute("data-chat-form");
    var id = parseInt(form.querySelector("input[name=message_id]").value, 10);
    var submitter = ev.submitter || form.querySelector("button");
    ev.preventDefault();
    if (kind === "react") {
      send({ type: "react", message_id: id, emoji: submitter.value });
      var d = form.closest("details");
      if (d) d.open = false;
    } else if (kind === "delete") {
      if (window.confirm(T.confirmDelete)) send({ type: "delete", message_id: id });
    } else if (kind === "pin") {
      send({ type: "pin", message_id: id, pinned: submitter.value === "pin" });
    }
  });

  // --- lifecycle ----------------------------------------------------------------------------
  // Reconnecting when the browser is back online or the page is shown is reconnect.js's.
  window.addEventListener("offline", function () {
    setStatus(T.offline, true);
    stalePresence();
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") scheduleRead();
  });

  // Messages rendered by the server become objects we can re-render (only what we need).
  // Facilitators' slow mode: over the socket when it is open (everyone's page updates live).
  var slowForm = root.querySelector("[data-chat-slow-mode]");
  if (slowForm) {
    slowForm.addEventListener("submit", function (ev) {
      if (!open) return; // the plain form post works without the socket
      ev.preventDefault();
      var seconds = parseInt(slowForm.querySelector("select").value, 10) || 0;
      send({ type: "slow_mode", seconds: seconds });
    });
  }

  renderOutbox();
  setUpView();
  setUpEarlier();
  connectSocket();
})();
