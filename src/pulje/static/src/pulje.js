// pulje's one script: Det Fælles Designsystem's components (menus, error summary, overflow
// menus), set up on every page. Loaded with `defer`, so the document is parsed when it runs.
import { init } from "dkfds";

init();
