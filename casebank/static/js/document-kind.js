// The editors' document form: the risk-indicator fields are shown only while the kind is
// "Risk indicators". Without JavaScript they stay visible and are ignored for other kinds.
(function () {
  "use strict";
  var kind = document.getElementById("kind");
  var fieldsets = document.querySelectorAll("fieldset[data-for-kind]");
  if (!kind || !fieldsets.length) {
    return;
  }
  function update() {
    fieldsets.forEach(function (fieldset) {
      fieldset.hidden = kind.value !== fieldset.getAttribute("data-for-kind");
    });
  }
  kind.addEventListener("change", update);
  update();
})();
