/* Progressive enhancement only: every control here also works as a plain form without it.
   Dialogs rendered open become modal, Show Access Key toggles in place, Escape on the
   Create Access Key dialog means Close (so the server ends the secret's window), and the
   account menu closes on an outside click or Escape. */
(function () {
  "use strict";

  function openModals(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var dialogs = Array.prototype.slice.call(scope.querySelectorAll("dialog[data-modal][open]"));
    if (scope.matches && scope.matches("dialog[data-modal][open]")) dialogs.push(scope);
    dialogs.forEach(function (dialog) {
      if (dialog.matches(":modal")) return;
      // Not close(): its "close" event would reach the handler below and remove the dialog.
      dialog.removeAttribute("open");
      dialog.showModal();
      var first = dialog.querySelector("input:not([type=hidden]), button");
      if (first) first.focus();
    });
  }

  function focusCreateButton() {
    var button = document.querySelector(".create-form button");
    if (button) button.focus();
  }

  document.addEventListener("click", function (event) {
    var reveal = event.target.closest("[data-reveal]");
    if (reveal) {
      event.preventDefault();
      var target = document.getElementById(reveal.dataset.reveal);
      var show = target.hidden;
      target.hidden = !show;
      reveal.setAttribute("aria-expanded", String(show));
      reveal.textContent = show ? reveal.dataset.hideLabel : reveal.dataset.showLabel;
      return;
    }
    var dismiss = event.target.closest("[data-dismiss-dialog]");
    if (dismiss) {
      event.preventDefault();
      var dialog = dismiss.closest("dialog");
      dialog.close();
      return;
    }
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  // Escape on a dialog: the Create Access Key dialog closes through the server.
  document.addEventListener("cancel", function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement)) return;
    if (dialog.dataset.closeForm) {
      event.preventDefault();
      document.getElementById(dialog.dataset.closeForm).requestSubmit();
    }
  }, true);

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog instanceof HTMLDialogElement && dialog.hasAttribute("data-modal")) {
      dialog.remove();
      focusCreateButton();
    }
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });

  document.addEventListener("htmx:load", function (event) {
    openModals(event.detail.elt);
    // A swapped section takes the focused button with it; give focus a sensible home.
    if (document.activeElement === document.body && !document.querySelector("dialog:modal")) {
      focusCreateButton();
    }
  });
  document.addEventListener("DOMContentLoaded", function () { openModals(document); });
})();
