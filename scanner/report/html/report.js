// Sorting and filtering for the secrets table; the rows themselves are in the page already.
"use strict";
(function () {
  const table = document.getElementById("secrets");
  const controls = document.getElementById("controls");
  if (!table || !controls) return;
  const body = table.tBodies[0];
  const rows = Array.from(body.rows);
  const text = document.getElementById("filter-text");
  const selects = Array.from(controls.querySelectorAll("select[data-filter]"));
  const shown = document.getElementById("shown");

  function filter() {
    const query = text.value.trim().toLowerCase();
    let count = 0;
    for (const row of rows) {
      const match =
        (!query || row.textContent.toLowerCase().includes(query)) &&
        selects.every((select) => !select.value || row.dataset[select.dataset.filter] === select.value);
      row.hidden = !match;
      if (match) count += 1;
    }
    shown.textContent = count + " of " + rows.length;
  }

  function sortKey(row, index) {
    const cell = row.cells[index];
    const key = cell.dataset.sort;
    return key === undefined ? cell.textContent.trim().toLowerCase() : key;
  }

  // Empty keys (no history, no date) go last both ways; ties keep the report's order.
  function sort(header) {
    const index = header.cellIndex;
    const numeric = header.dataset.type === "number";
    const descending = header.getAttribute("aria-sort") === "ascending";
    for (const other of header.parentElement.cells) other.removeAttribute("aria-sort");
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const sorted = rows.slice().sort((a, b) => {
      const x = sortKey(a, index);
      const y = sortKey(b, index);
      if (x === "" || y === "") return (x === "") - (y === "");
      const order = numeric ? Number(x) - Number(y) : x.localeCompare(y);
      return descending ? -order : order;
    });
    body.append(...sorted);
  }

  for (const header of table.tHead.rows[0].cells) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = header.textContent;
    button.title = "Sort by " + header.textContent.toLowerCase();
    button.addEventListener("click", () => sort(header));
    header.replaceChildren(button);
  }
  text.addEventListener("input", filter);
  for (const select of selects) select.addEventListener("change", filter);
  controls.hidden = false;
  filter();
})();
