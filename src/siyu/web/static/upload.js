/* Upload an order export with a real progress bar (XMLHttpRequest upload events), then open its import page. */
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form) { return; }
  var text = JSON.parse(document.getElementById("upload-text-data").textContent);
  var input = document.getElementById("file-input");
  var label = document.getElementById("file-label");
  var box = document.getElementById("upload-progress");
  var fill = document.getElementById("upload-fill");
  var pct = document.getElementById("upload-pct");
  var error = document.getElementById("upload-error");
  var button = document.getElementById("upload-button");

  var zone = document.getElementById("dropzone");
  function chosen() {
    if (input.files.length) { label.textContent = input.files[0].name; zone.classList.add("chosen"); }
  }
  input.addEventListener("change", chosen);
  ["dragenter", "dragover"].forEach(function (name) {
    zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; chosen(); }
  });

  function fail(message) {
    error.textContent = text.failed + (message ? "：" + message : "");
    error.classList.remove("hidden");
    box.classList.add("hidden");
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.files.length) { fail(text.choose); return; }
    error.classList.add("hidden");
    box.classList.remove("hidden");
    button.disabled = true;
    var data = new FormData(form);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
    xhr.setRequestHeader("X-CSRF-Token", form.querySelector("input[name=csrf_token]").value);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        var p = Math.round((e.loaded / e.total) * 100);
        fill.style.width = p + "%";
        pct.textContent = p + "%";
      }
    });
    xhr.addEventListener("load", function () {
      var body = null;
      try { body = JSON.parse(xhr.responseText); } catch (ignored) { body = null; }
      if (xhr.status >= 200 && xhr.status < 300 && body && body.url) {
        fill.style.width = "100%";
        pct.textContent = "100%";
        window.location.assign(body.url);
      } else {
        fail(body && body.error ? body.error : String(xhr.status));
      }
    });
    xhr.addEventListener("error", function () { fail(""); });
    xhr.send(data);
  });
})();
