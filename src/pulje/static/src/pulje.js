// pulje's one script: Det Fælles Designsystem's components (menus, error summary, overflow
// menus), set up on every page, htmx for the drafts that save themselves. Loaded with `defer`,
// so the document is parsed when it runs.
import { init } from "dkfds";
import htmx from "htmx.org";

import { initAutosave } from "./autosave.js";
import { initCvrLookup } from "./cvrlookup.js";
import { initSelectAll } from "./selectall.js";
import "./countdown.js";

// Our CSP allows no inline styles or eval: htmx must not add either.
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
window.htmx = htmx;

init();
initAutosave();
initCvrLookup();
initSelectAll();
