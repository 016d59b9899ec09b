/* Progressive enhancement only: every control here also works as a plain form without it.
   Dialogs rendered open become modal (Tab and Shift+Tab cycle inside them), Show Access Key
   toggles in place, Escape on the Create Access Key dialog means Close (so the server ends
   the secret's window), focus goes back to the control that opened a dialog (or, when htmx
   has re-rendered the section, to the same control in the new one), what an action did is
   announced in the live region, a refused form's first invalid field takes the focus, and the
   account menu closes on an outside click, Escape or when focus leaves it. */
(function () {
  "use strict";

  var TABBABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), " +
    "select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

  // The control behind the latest form submission, and the one that opened the dialog on
  // screen. Both are descriptions, not elements: htmx replaces the section they live in.
  var lastSubmitter = null;
  var dialogOpener = null;
  // What the last htmx response says happened, written into the live region once swapped.
  var pendingFlash = null;

  function describe(control) {
    if (!control || !control.closest) return null;
    var row = control.closest("tr[id]");
    var buttons = row ? Array.prototype.slice.call(row.querySelectorAll("button")) : [];
    return {
      rowId: row ? row.id : null,
      // A row's buttons by position: Make Inactive turns into Make Active in place.
      index: buttons.indexOf(control),
      label: control.textContent.trim(),
      inDialog: Boolean(control.closest("dialog")),
    };
  }

  function isShown(element) {
    return element.getClientRects().length > 0 && !element.closest("[hidden], [inert]");
  }

  function canFocus(element) {
    return Boolean(element) && !element.disabled && isShown(element);
  }

  function find(description) {
    if (!description) return null;
    if (description.rowId) {
      var row = document.getElementById(description.rowId);
      return row ? row.querySelectorAll("button")[description.index] || null : null;
    }
    var section = document.getElementById("access-keys-body");
    if (!section) return null;
    var buttons = section.querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) {
      if (!buttons[i].closest("dialog") && buttons[i].textContent.trim() === description.label) {
        return buttons[i];
      }
    }
    return null;
  }

  // The described control if it is still there and usable; else Create New Access Key;
  // else (at the two-key limit) the table of keys, which holds the key just made.
  function restoreFocus(description) {
    var candidates = [
      find(description),
      document.querySelector(".create-form button"),
      document.querySelector("#access-keys-body .table-scroll"),
    ];
    for (var i = 0; i < candidates.length; i++) {
      if (canFocus(candidates[i])) {
        candidates[i].focus();
        return;
      }
    }
  }

  function tabbables(container) {
    return Array.prototype.filter.call(container.querySelectorAll(TABBABLE), canFocus);
  }

  function openModals(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var dialogs = Array.prototype.slice.call(scope.querySelectorAll("dialog[data-modal][open]"));
    if (scope.matches && scope.matches("dialog[data-modal][open]")) dialogs.push(scope);
    var opened = false;
    dialogs.forEach(function (dialog) {
      if (dialog.matches(":modal")) return;
      // Not close(): its "close" event would reach the handler below and remove the dialog.
      dialog.removeAttribute("open");
      dialog.showModal();
      opened = true;
      var first = dialog.querySelector("input:not([type=hidden]), button");
      if (first) first.focus();
    });
    return opened;
  }

  document.addEventListener("submit", function (event) {
    lastSubmitter = describe(event.submitter || event.target);
  }, true);

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
    if (dialog.dataset.closeForm && event.cancelable) {
      event.preventDefault();
      document.getElementById(dialog.dataset.closeForm).requestSubmit();
    }
  }, true);

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (!(dialog instanceof HTMLDialogElement) || !dialog.hasAttribute("data-modal")) return;
    if (dialog.dataset.closeForm) {
      // Chromium may close a dialog without a cancelable "cancel" (a second Escape with no
      // activation in between): end the secret's window on the server all the same.
      document.getElementById(dialog.dataset.closeForm).requestSubmit();
      return;
    }
    // Escape or Cancel on the Delete dialog: nothing changed on the server.
    dialog.remove();
    restoreFocus(dialogOpener);
    dialogOpener = null;
  }, true);

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("details.account-menu[open]").forEach(function (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      });
      return;
    }
    // A modal <dialog> keeps the page behind it inert, but Chromium lets Tab leave the last
    // control for the browser itself; keep the cycle inside the dialog.
    if (event.key !== "Tab") return;
    var modal = document.querySelector("dialog:modal");
    if (!modal) return;
    var controls = tabbables(modal);
    if (!controls.length) return;
    var first = controls[0];
    var last = controls[controls.length - 1];
    var inside = modal.contains(document.activeElement);
    if (event.shiftKey && (!inside || document.activeElement === first)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (!inside || document.activeElement === last)) {
      event.preventDefault();
      first.focus();
    }
  });

  // Tabbing out of the open account menu closes it, as clicking elsewhere does.
  document.addEventListener("focusout", function (event) {
    var menu = event.target.closest && event.target.closest("details.account-menu[open]");
    if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.open = false;
  });

  // The live region must stay the same element: screen readers announce changes inside a
  // region they already know, not a new one put in its place. So its out-of-band copy only
  // gives the new content, written in once the main swap has removed any modal dialog (whose
  // inert backdrop would otherwise swallow the announcement).
  document.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (event.detail.target.id !== "flash") return;
    event.detail.shouldSwap = false;
    var fragment = event.detail.fragment;  // the new #flash, alone or in a DocumentFragment
    pendingFlash = fragment.id === "flash" ? fragment : fragment.querySelector("#flash");
  });
  document.addEventListener("htmx:afterSwap", function () {
    var flash = document.getElementById("flash");
    if (!pendingFlash || !flash) return;
    flash.replaceChildren.apply(flash, Array.prototype.slice.call(pendingFlash.childNodes));
    pendingFlash = null;
  });

  document.addEventListener("htmx:load", function (event) {
    var trigger = lastSubmitter;
    if (openModals(event.detail.elt)) {
      // A new dialog remembers who opened it; a dialog re-rendered by its own form keeps it.
      if (trigger && !trigger.inDialog) dialogOpener = trigger;
      return;
    }
    // A swapped section takes the focused control with it; give focus a sensible home (and
    // never take it on a page load: that is where the person starts reading).
    if (event.detail.elt === document.body || !trigger) return;
    if (document.activeElement === document.body && !document.querySelector("dialog:modal")) {
      if (trigger.inDialog) {
        restoreFocus(dialogOpener);
        dialogOpener = null;
      } else {
        restoreFocus(trigger);
      }
    }
  });
  // A page that answers a refused form (a field marked invalid): its first field to mend takes
  // the focus, where the person was working. Not autofocus, which browsers ignore on a page
  // loaded at a fragment (#password), as these are; and once loaded, after the fragment.
  window.addEventListener("load", function () {
    var invalid = document.querySelector("main [aria-invalid='true']");
    if (canFocus(invalid) && !document.querySelector("dialog:modal")) invalid.focus();
  });
  document.addEventListener("DOMContentLoaded", function () {
    openModals(document);
    // Notes for a browser without JavaScript (a passkey needs it): not for this one. Not
    // <noscript>, which shows nothing when scripts are merely blocked.
    document.querySelectorAll("[data-without-javascript]").forEach(function (note) {
      note.hidden = true;
    });
  });
})();
