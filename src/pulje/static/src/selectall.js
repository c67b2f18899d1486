// "Choose all on the page" as one checkbox in a table's header: it ticks or clears every
// row's box, and shows itself ticked, cleared or mixed as the rows are.
//
// Without this script the header box stays hidden; a link reloads the page with every row
// ticked (the queue's `?choose=page`), and stays for phones, where the table's header is
// not shown. Markup:
//   [data-select-all]            the header box's wrapper, `hidden` until this runs
//   [data-select-all-box]        the header checkbox
//   [data-select-all-item]       each row's checkbox, in the same form
//   [data-select-all-fallback]   the header's text for screen readers without the box

function start(wrapper) {
  const box = wrapper.querySelector("[data-select-all-box]");
  const form = wrapper.closest("form");
  if (!box || !form) return;
  const items = Array.from(form.querySelectorAll("[data-select-all-item]"));
  if (items.length === 0) return;
  const show = () => {
    const ticked = items.filter((item) => item.checked).length;
    box.checked = ticked === items.length;
    box.indeterminate = ticked > 0 && ticked < items.length;
  };
  box.addEventListener("change", () => {
    items.forEach((item) => {
      item.checked = box.checked;
    });
    show();
  });
  items.forEach((item) => item.addEventListener("change", show));
  wrapper.hidden = false;
  form.querySelectorAll("[data-select-all-fallback]").forEach((element) => {
    element.hidden = true;
  });
  show();
}

export function initSelectAll() {
  document.querySelectorAll("[data-select-all]").forEach(start);
}
