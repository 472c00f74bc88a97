// The visit form (templates/visits/visit_form.html): find households as you type and pick them.
(function () {
  var form = document.getElementById("visit-form");
  var text = document.getElementById("find-text");
  var found = document.getElementById("found");
  var picked = document.getElementById("picked");
  var village = document.getElementById(form.dataset.villageField);
  var url = form.dataset.searchUrl;
  var timer = null;

  function row(h, checked) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "choice";
    var box = document.createElement("input");
    box.type = "checkbox"; box.name = "households"; box.value = h.id; box.checked = checked;
    var note = document.createElement("span");
    note.className = "muted";
    note.textContent = " " + h.address + " " + h.phone + (h.tags.length ? " · " + h.tags.join("、") : "");
    var name = document.createElement("span");
    name.className = "name";
    name.textContent = h.name;
    label.appendChild(box);
    label.appendChild(name);
    label.appendChild(note);
    li.appendChild(label);
    box.addEventListener("change", function () {
      if (box.checked) { picked.appendChild(li); }
    });
    return li;
  }

  function pickedIds() {
    return Array.prototype.map.call(picked.querySelectorAll("input:checked"), function (b) { return b.value; });
  }

  function search() {
    var q = text.value.trim();
    if (!q) { found.innerHTML = ""; return; }
    fetch(url + "?village=" + encodeURIComponent(village.value) + "&q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var have = pickedIds();
        found.innerHTML = "";
        data.results.forEach(function (h) {
          if (have.indexOf(String(h.id)) < 0) { found.appendChild(row(h, false)); }
        });
        if (!found.children.length) {
          var li = document.createElement("li"); li.className = "muted"; li.textContent = found.dataset.empty;
          found.appendChild(li);
        }
      });
  }

  found.querySelectorAll("input[type=checkbox]").forEach(function (box) {
    box.addEventListener("change", function () { if (box.checked) { picked.appendChild(box.closest("li")); } });
  });
  text.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, 250); });
  text.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); search(); } });
  document.getElementById("find-button").addEventListener("click", function (e) { e.preventDefault(); search(); });
  village.addEventListener("change", function () { found.innerHTML = ""; picked.innerHTML = ""; });
})();
