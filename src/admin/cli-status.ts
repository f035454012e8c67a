// The status line `handoff ctl` reads after each answer, once it has sent CTL_OPT_IN first
// (HAProxy clients never send it, so they never see a status line).
export const CTL_OPT_IN = 'handoff-ctl';
export const STATUS_OK = '\0ok\n';
export const STATUS_ERROR = '\0error\n';
