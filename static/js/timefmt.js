/* Village times: writes a time exactly as the server does. No build step, no inline script.
 *
 * The rule comes from the server in <body data-time-rule> (config/timefmt.py): the member's
 * time zone, Django's named formats (config/formats/en_GB/formats.py) and the month and day
 * names. Intl only works out the wall-clock parts in that zone; the letters of the format are
 * read here like Django's date filter reads them, so "2 Dec, 16:39" on the page and on a live
 * message are the same string. Every script that shows a time uses VillageTime.format.
 */
(function (root, factory) {
  "use strict";
  var api = factory();
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.VillageTime = api;
})(this, function () {
  "use strict";

  var FALLBACK = {
    zone: "Europe/London",
    formats: { SHORT_DATETIME_FORMAT: "j M, H:i", TIME_FORMAT: "H:i" },
    months3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    months: ["January", "February", "March", "April", "May", "June", "July", "August",
      "September", "October", "November", "December"],
    days3: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    days: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
  };
  var pageRule = null;

  function readRule() {
    if (pageRule) return pageRule;
    var text = typeof document !== "undefined" && document.body
      ? document.body.getAttribute("data-time-rule") : null;
    try { pageRule = text ? JSON.parse(text) : FALLBACK; } catch (e) { pageRule = FALLBACK; }
    return pageRule;
  }

  var formatters = {};
  function partsIn(date, zone) {
    var f = formatters[zone];
    if (f === undefined) {
      try {
        f = new Intl.DateTimeFormat("en-GB", {
          timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
          hour: "numeric", minute: "numeric", second: "numeric", hourCycle: "h23"
        });
      } catch (e) { f = null; } // an unknown zone or an old browser: the device's own clock
      formatters[zone] = f;
    }
    var p = {};
    if (f && f.formatToParts) {
      f.formatToParts(date).forEach(function (part) { p[part.type] = parseInt(part.value, 10); });
      if (p.hour === 24) p.hour = 0; // some engines write midnight as 24 despite h23
    } else {
      p = { year: date.getFullYear(), month: date.getMonth() + 1, day: date.getDate(),
        hour: date.getHours(), minute: date.getMinutes(), second: date.getSeconds() };
    }
    // Python's weekday(): Monday is 0.
    p.weekday = (new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay() + 6) % 7;
    return p;
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }
  function title(s) { return s.charAt(0).toUpperCase() + s.slice(1); }

  // The letters of Django's date filter that Village's formats use. Anything else is copied.
  function letter(c, p, rule) {
    var h12 = p.hour % 12 || 12;
    switch (c) {
      case "j": return String(p.day);
      case "d": return two(p.day);
      case "n": return String(p.month);
      case "m": return two(p.month);
      case "b": return rule.months3[p.month - 1];
      case "M": return title(rule.months3[p.month - 1]);
      case "F": return rule.months[p.month - 1];
      case "Y": return String(p.year);
      case "y": return two(p.year % 100);
      case "D": return rule.days3[p.weekday];
      case "l": return rule.days[p.weekday];
      case "H": return two(p.hour);
      case "G": return String(p.hour);
      case "h": return two(h12);
      case "g": return String(h12);
      case "i": return two(p.minute);
      case "s": return two(p.second);
      default: return c;
    }
  }

  /* format(value, name, rule): value is a Date or an ISO string; name is one of Django's
   * format names ("SHORT_DATETIME_FORMAT", the default) or a format string itself. */
  function format(value, name, rule) {
    rule = rule || readRule();
    var date = value instanceof Date ? value : new Date(value);
    if (isNaN(date)) return "";
    name = name || "SHORT_DATETIME_FORMAT";
    var named = /_FORMAT$/.test(name);
    var fmt = named ? (rule.formats && rule.formats[name]) || FALLBACK.formats[name] ||
      FALLBACK.formats.SHORT_DATETIME_FORMAT : name;
    var p = partsIn(date, rule.zone || FALLBACK.zone);
    var out = "";
    for (var i = 0; i < fmt.length; i++) {
      var c = fmt.charAt(i);
      if (c === "\\" && i + 1 < fmt.length) { out += fmt.charAt(++i); continue; }
      out += letter(c, p, rule);
    }
    return out;
  }

  return { format: format, rule: readRule };
});
