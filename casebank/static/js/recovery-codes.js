// Recovery codes page: print and copy buttons (hidden until this script runs; the codes stay
// selectable text without it). A static file: the CSP allows no inline script.
document.addEventListener("DOMContentLoaded", function () {
  var list = document.getElementById("recovery-codes");
  var status = document.getElementById("recovery-code-status");
  if (!list) return;
  var text = Array.prototype.map.call(list.querySelectorAll("code"), function (code) {
    return code.textContent;
  }).join("\n");
  document.querySelectorAll("[data-recovery-action]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      if (button.dataset.recoveryAction === "print") {
        window.print();
      } else if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () {
          status.textContent = button.dataset.done;
        });
      } else {
        window.getSelection().selectAllChildren(list);
      }
    });
  });
});
