// "Nearest first": sorts the directory's cards by distance from the browser's location.
// The location is asked for once, used here in the page and never stored or sent anywhere.
// Places without coordinates go after the rest. Without JavaScript the button stays hidden.
const button = document.querySelector("[data-near-me]");
const list = document.querySelector("[data-near-me-list]");
const status = document.querySelector("[data-near-me-status]");

function km(a, b) {
  const rad = (d) => (d * Math.PI) / 180;
  const dLat = rad(b.lat - a.lat);
  const dLng = rad(b.lng - a.lng);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLng / 2) ** 2;
  return 12742 * Math.asin(Math.sqrt(h));
}

function say(text) {
  status.hidden = false;
  status.textContent = text;
}

export function sortByDistance(items, here) {
  const placed = items.map((item) => {
    const lat = parseFloat(item.dataset.lat);
    const lng = parseFloat(item.dataset.lng);
    const d = Number.isFinite(lat) && Number.isFinite(lng) ? km(here, { lat, lng }) : Infinity;
    return { item, d };
  });
  placed.sort((x, y) => x.d - y.d);
  return placed;
}

function sortHere() {
  say("Finding where you are…");
  navigator.geolocation.getCurrentPosition(
    (pos) => {
      const here = { lat: pos.coords.latitude, lng: pos.coords.longitude };
      for (const { item, d } of sortByDistance([...list.children], here)) {
        const label = item.querySelector("[data-distance]");
        if (label) label.textContent = Number.isFinite(d) ? `(${d < 10 ? d.toFixed(1) : Math.round(d)} km away)` : "";
        list.appendChild(item);
      }
      say("Nearest first. Your location stays on your phone.");
    },
    () => say("We couldn't find where you are, so the list is as it was."),
    { maximumAge: 600000, timeout: 15000 },
  );
}

if (button && list && status && "geolocation" in navigator) {
  button.hidden = false;
  button.addEventListener("click", () => {
    // More than one page: fetch every result on one page first (the search, not the
    // location, goes to the server), then sort there.
    if (button.dataset.nearMeAll) {
      window.location.assign(button.dataset.nearMeAll);
      return;
    }
    sortHere();
  });
  if ("nearMeNow" in button.dataset) sortHere();
}
