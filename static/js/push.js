/* Village: "Notify me on this phone" (web push).
 * Progressive enhancement: without this script the list of devices still renames and stops
 * them; this adds the button. The browser asks for permission only after the member taps.
 * The service worker (/sw.js, which imports sw-push.js) shows the pushes. No inline JS (CSP). */

const root = document.querySelector("[data-push]");
if (root) { setUp(root); }

function supported() {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function setUp(el) {
  if (!supported()) { return; }
  el.querySelector("[data-push-unsupported]").hidden = true;
  el.querySelector("[data-push-add]").hidden = false;
  const button = el.querySelector("[data-push-button]");
  button.addEventListener("click", () => { turnOn(el, button); });
  el.querySelectorAll("[data-push-stop]").forEach((form) => {
    form.addEventListener("submit", (event) => { stopHere(event, form); });
  });
}

function say(el, key, text) {
  const status = el.querySelector("[data-push-status]");
  status.textContent = text || el.dataset[key] || "";
  status.hidden = !status.textContent;
}

function keyBytes(base64url) {
  const b64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  const existing = await navigator.serviceWorker.getRegistration("/");
  if (!existing) { await navigator.serviceWorker.register("/sw.js", { scope: "/" }); }
  return navigator.serviceWorker.ready;
}

async function subscription(reg, key) {
  const options = { userVisibleOnly: true, applicationServerKey: keyBytes(key) };
  const current = await reg.pushManager.getSubscription();
  if (current) {
    try { return await reg.pushManager.subscribe(options); } catch (err) {
      // Made with another key (the site's keys changed): start again.
      await current.unsubscribe();
    }
  }
  return reg.pushManager.subscribe(options);
}

async function turnOn(el, button) {
  button.disabled = true;
  try {
    const permission = await Notification.requestPermission();
    if (permission !== "granted") { say(el, "msgDenied"); return; }
    say(el, "msgWorking");
    const reg = await registration();
    const sub = await subscription(reg, el.dataset.vapidKey);
    const response = await fetch(el.dataset.subscribeUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": el.querySelector("[data-push-csrf]").value,
      },
      body: JSON.stringify(sub.toJSON()),
    });
    let answer = {};
    try { answer = await response.json(); } catch (err) { answer = {}; }
    if (!response.ok) {
      await sub.unsubscribe();  // the server refused it: don't leave it half on
      say(el, "msgFailed", answer.error);
      return;
    }
    say(el, "msgDone");
    window.location.hash = "phones";
    window.location.reload();
  } catch (err) {
    say(el, "msgFailed");
  } finally {
    button.disabled = false;
  }
}

async function stopHere(event, form) {
  // Stop this browser's subscription too, then let the form tell the server.
  event.preventDefault();
  try {
    const reg = await navigator.serviceWorker.getRegistration("/");
    const sub = reg && await reg.pushManager.getSubscription();
    if (sub) { await sub.unsubscribe(); }
  } catch (err) { /* the server's answer is what counts */ }
  form.submit();
}
