// Seeking: any element with data-seek="<seconds>" plays the call from that moment.
(function () {
  "use strict";

  function player() {
    return document.getElementById("player");
  }

  function seek(seconds) {
    var audio = player();
    if (!audio || isNaN(seconds)) return;
    audio.currentTime = seconds;
    var playing = audio.play();
    // Autoplay rules or a missing audio device may refuse play(); the seek still stands.
    if (playing && playing.catch) playing.catch(function () {});
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-seek]");
    if (!target) return;
    event.preventDefault();
    seek(parseFloat(target.dataset.seek));
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target.closest ? event.target.closest("li[data-seek]") : null;
    if (target && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      seek(parseFloat(target.dataset.seek));
    }
  });

  // Score pills and rate bars take their colour and length from data attributes: the
  // Content-Security-Policy allows no inline style attributes, but allows setting styles here.
  function paintFromData() {
    document.querySelectorAll("[data-score]").forEach(function (el) {
      el.style.setProperty("--score", parseFloat(el.dataset.score) || 0);
    });
    document.querySelectorAll("[data-rate]").forEach(function (el) {
      el.style.setProperty("--rate", (parseFloat(el.dataset.rate) || 0) + "%");
    });
  }

  document.addEventListener("DOMContentLoaded", paintFromData);

  // Highlight the transcript line being played.
  document.addEventListener("DOMContentLoaded", function () {
    var audio = player();
    if (!audio) return;
    var turns = Array.prototype.slice.call(document.querySelectorAll("li.turn[data-seek]"));
    audio.addEventListener("timeupdate", function () {
      var now = audio.currentTime;
      turns.forEach(function (turn) {
        var start = parseFloat(turn.dataset.seek), end = parseFloat(turn.dataset.end);
        turn.classList.toggle("playing", now >= start && now < end);
      });
    });
    var match = /#t=([0-9.]+)/.exec(window.location.hash);
    if (match) audio.currentTime = parseFloat(match[1]);
  });
})();
