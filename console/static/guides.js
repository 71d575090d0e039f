// Guides area: quick-find and guide navigation on the call screen, live preview in the editor.
"use strict";
