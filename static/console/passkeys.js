/* The browser side of a passkey ceremony, and nothing else: read the options the server
   put in the page, ask the browser (navigator.credentials), and post the result back in the
   page's own form. Registration starts at once (the person just chose it); sign-in starts
   on "Use passkey or security key". Without JavaScript the page says what is needed. */
(function () {
  "use strict";

  function fromBase64url(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: fromBase64url(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.user = Object.assign({}, json.user, { id: fromBase64url(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = fromBase64url(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function serialize(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      response: { clientDataJSON: toBase64url(response.clientDataJSON) },
    };
    if (response.attestationObject) {
      out.response.attestationObject = toBase64url(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toBase64url(response.authenticatorData);
      out.response.signature = toBase64url(response.signature);
      if (response.userHandle) out.response.userHandle = toBase64url(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function start(form) {
    var mode = form.getAttribute("data-passkey");
    var status = document.getElementById("passkey-status");
    var retry = form.querySelector("[data-passkey-start]");
    var source = document.getElementById(
      mode === "create" ? "passkey-creation-options" : "passkey-request-options");
    var json = JSON.parse(source.textContent);
    var ceremony = mode === "create"
      ? navigator.credentials.create({ publicKey: creationOptions(json) })
      : navigator.credentials.get({ publicKey: requestOptions(json) });
    if (status) status.hidden = true;
    ceremony.then(function (credential) {
      form.querySelector("input[name=credential]").value = serialize(credential);
      form.submit();
    }, function (error) {
      if (status) {
        status.textContent = "The passkey or security key was not used (" + error.name +
          "). Try again, or use another MFA method.";
        status.hidden = false;
      }
      if (retry) retry.hidden = false;
    });
  }

  function setUp() {
    var form = document.getElementById("passkey-form");
    if (!form) return;
    var button = form.querySelector("[data-passkey-start]");
    if (!window.PublicKeyCredential) {
      var status = document.getElementById("passkey-status");
      if (status) {
        status.textContent = "This browser does not support passkeys or security keys.";
        status.hidden = false;
      }
      return;
    }
    if (button) {
      button.addEventListener("click", function () {
        // The server's challenge is single use: a second try needs fresh options.
        if (form.getAttribute("data-passkey") === "create" && button.hasAttribute("data-used")) {
          window.location.reload();
          return;
        }
        start(form);
      });
    }
    if (form.getAttribute("data-passkey") === "create") {
      if (button) button.setAttribute("data-used", "");
      start(form);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
