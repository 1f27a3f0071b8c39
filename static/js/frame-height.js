/* Pages that may be framed (registration) tell the embedding page how tall they are, so the
 * iframe can grow with the form and its error messages (see static/js/embed.js). Only a number
 * is sent, never anything the reader typed.
 */
(function () {
  "use strict";

  if (window.parent === window) {
    return;
  }
  var last = 0;
  function send() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "avestavard:height", height: height }, "*");
    }
  }
  if ("ResizeObserver" in window) {
    new ResizeObserver(send).observe(document.body);
  }
  window.addEventListener("load", send);
  send();
})();
