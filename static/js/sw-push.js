/* Web push handlers for the service worker (static/js/sw-push.js): filled in by the push work. */
