// Telephony area: browser calling through the Twilio Voice SDK, hang-up, mute and keypad tones.
// The server decides everything else: the dialer panel (#dialer) is server-rendered and kept live by htmx.
(function () {
  "use strict";

  var device = null; // Twilio.Device, made on the first browser call and kept for the shift
  var activeCall = null; // the SDK's call while the browser is on the line
  var activeCallId = null; // the console call it belongs to
  var connectedPhoneCall = null; // the phone call the SDK was last asked to connect

  function panel() { return document.getElementById("dialer"); }

  function fetchToken(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.error || "the console gave no access token");
          return body.token;
        });
      });
  }

  function ensureDevice(dialer) {
    if (device) return Promise.resolve(device);
    if (!window.Twilio || !window.Twilio.Device) {
      return Promise.reject(new Error("the Twilio Voice SDK did not load"));
    }
    var tokenUrl = dialer.dataset.tokenUrl;
    return fetchToken(tokenUrl).then(function (token) {
      device = new window.Twilio.Device(token, { closeProtection: true, codecPreferences: ["opus", "pcmu"] });
      // Tokens are short-lived; a shift is not.
      device.on("tokenWillExpire", function () {
        fetchToken(tokenUrl).then(function (fresh) { device.updateToken(fresh); });
      });
      return device;
    });
  }

  // The carrier never heard of this call (microphone refused, SDK failed): the server ends it and keeps why.
  function reportFailure(message) {
    var reason = document.getElementById("hang-up-reason");
    var form = document.getElementById("hang-up-form");
    if (reason && form) { reason.value = String(message).slice(0, 280); form.requestSubmit(); }
  }

  function connect(dialer, phoneCallId) {
    connectedPhoneCall = phoneCallId;
    var callId = dialer.dataset.callId;
    ensureDevice(dialer)
      .then(function (ready) { return ready.connect({ params: { phone_call: phoneCallId } }); })
      .then(function (call) {
        activeCall = call;
        activeCallId = callId;
        var forget = function () { if (activeCall === call) { activeCall = null; activeCallId = null; } };
        call.on("disconnect", forget);
        call.on("cancel", forget);
        call.on("reject", forget);
        call.on("error", function (error) { reportFailure(error.message || String(error)); });
      })
      .catch(function (error) { reportFailure(error.message || String(error)); });
  }

  function showMute(button, muted) {
    button.setAttribute("aria-pressed", muted ? "true" : "false");
    button.textContent = muted ? "Unmute" : "Mute";
  }

  // After every swap: start a browser call the server just approved, and keep the panel in step with the SDK.
  document.addEventListener("htmx:afterSettle", function () {
    var dialer = panel();
    if (activeCall && (!dialer || dialer.dataset.callId !== activeCallId)) {
      activeCall.disconnect(); // the agent left this call's screen: never leave a line open behind them
    }
    if (!dialer) return;
    var toConnect = dialer.dataset.connect;
    if (dialer.dataset.mode === "browser" && toConnect && toConnect !== connectedPhoneCall && !activeCall) {
      connect(dialer, toConnect);
    }
    var mute = document.getElementById("mute-button");
    if (mute && activeCall) showMute(mute, activeCall.isMuted());
  });

  document.addEventListener("click", function (event) {
    var target = event.target.closest("#hang-up-button, [data-dialer-action='mute'], [data-digit]");
    if (!target) return;
    if (target.id === "hang-up-button") {
      if (activeCall) activeCall.disconnect(); // the form still tells the server, which ends the carrier's legs
      return;
    }
    if (target.dataset.dialerAction === "mute") {
      var muted = target.getAttribute("aria-pressed") !== "true";
      if (activeCall) activeCall.mute(muted);
      showMute(target, muted);
      return;
    }
    var digit = target.dataset.digit;
    if (activeCall) activeCall.sendDigits(digit);
    var sent = document.getElementById("sent-digits");
    if (sent) sent.textContent = (sent.textContent + digit).slice(-24);
  });
})();
