"""The call screen: a claimed lead's answers, notes and disposition, callbacks, and the agent's pace between calls."""
