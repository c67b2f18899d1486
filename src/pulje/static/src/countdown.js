// Keeps "4 dage, 3 timer tilbage" on a call's page up to date while the page is open.
//
// The server renders the text, so the page is right without this script; this re-renders it
// every half minute with the same rules (pulje/calls/countdown.py) and the page's own
// translated wording, from the element's data attributes:
//   data-countdown-deadline  the deadline as an ISO 8601 timestamp
//   data-countdown-texts     JSON: the wording with {n}, {first}, {second} and {only} slots
// Imported for its effect by pulje.js, which runs after the document is parsed (defer).

const MINUTE = 60 * 1000;
const REFRESH = 30 * 1000;

function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (slot, name) => (name in values ? values[name] : slot));
}

function unit(texts, name, count) {
  // Danish and English have two forms: one for 1, the other for every other number.
  return fill(texts[`${name}_${count === 1 ? "one" : "other"}`], { n: String(count) });
}

export function timeLeft(deadline, now, texts) {
  if (deadline <= now) return texts.passed;
  let minutes = Math.floor((deadline - now) / MINUTE);
  if (minutes < 1) return texts.soon;
  const days = Math.floor(minutes / (24 * 60));
  minutes -= days * 24 * 60;
  const hours = Math.floor(minutes / 60);
  minutes -= hours * 60;
  if (days) return fill(texts.pair, { first: unit(texts, "day", days), second: unit(texts, "hour", hours) });
  if (hours) return fill(texts.pair, { first: unit(texts, "hour", hours), second: unit(texts, "minute", minutes) });
  return fill(texts.only, { only: unit(texts, "minute", minutes) });
}

function start(element) {
  const deadline = Date.parse(element.dataset.countdownDeadline);
  let texts;
  try {
    texts = JSON.parse(element.dataset.countdownTexts);
  } catch {
    return;
  }
  if (Number.isNaN(deadline) || !texts) return;
  const update = () => {
    const text = timeLeft(deadline, Date.now(), texts);
    if (element.textContent !== text) element.textContent = text;
    if (deadline <= Date.now()) window.clearInterval(timer);
  };
  const timer = window.setInterval(update, REFRESH);
  update();
}

document.querySelectorAll("[data-countdown-deadline]").forEach(start);
