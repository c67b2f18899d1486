// Fills an organisation's name (and its kind, where the register says it) from the CVR
// register when a CVR number is typed. An input with `data-cvr-lookup` (the address of
// registry's look-up, which answers {"name": …, "kind": …}, or {} when it knows nothing) names the fields of its
// form to fill in `data-cvr-name` and `data-cvr-kind`. Only an empty field, or one that still
// holds what was filled in before, is filled: what the person typed stays. Without this
// script, or when the register does not answer, the fields are typed by hand as always.

function fill(field, value) {
  if (!field || !value) return;
  if (field.value && field.value !== field.dataset.cvrFilled) return;
  if (field.tagName === "SELECT" && ![...field.options].some((option) => option.value === value)) return;
  field.value = value;
  field.dataset.cvrFilled = value;
  // The draft's autosave (autosave.js) keeps fields that report a change.
  field.dispatchEvent(new Event("change", { bubbles: true }));
}

function setUp(input) {
  let asked = "";
  input.addEventListener("change", () => {
    const cvr = input.value.replace(/\s/g, "");
    if (!/^[1-9][0-9]{7}$/.test(cvr) || cvr === asked) return;
    asked = cvr;
    const url = new URL(input.dataset.cvrLookup, location.href);
    url.searchParams.set("cvr", cvr);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((record) => {
        if (!record?.name || input.value.replace(/\s/g, "") !== cvr) return;
        fill(input.form?.elements[input.dataset.cvrName], record.name);
        fill(input.form?.elements[input.dataset.cvrKind], record.kind);
      })
      .catch(() => {
        asked = "";
      });
  });
}

export function initCvrLookup() {
  document.querySelectorAll("input[data-cvr-lookup]").forEach(setUp);
}
