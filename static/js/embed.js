/* For the page that embeds AvestaVärd (avesta.se): the iframe's height follows its content.
 *
 * Include this file with a <script src> (no inline script needed) on the page that has
 * <iframe data-avestavard src="https://…/register">. The framed page reports its height with
 * postMessage; a message is believed only from that iframe's own window and origin.
 */
(function () {
  "use strict";

  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || data.type !== "avestavard:height" || typeof data.height !== "number") {
      return;
    }
    var frames = document.querySelectorAll("iframe[data-avestavard]");
    Array.prototype.forEach.call(frames, function (frame) {
      var origin = new URL(frame.src, window.location.href).origin;
      if (frame.contentWindow === event.source && origin === event.origin) {
        frame.style.height = Math.ceil(Math.min(Math.max(data.height, 200), 20000)) + "px";
      }
    });
  });
})();
