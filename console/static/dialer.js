// Telephony area: dial, hang up, mute, DTMF and live call status.
"use strict";
