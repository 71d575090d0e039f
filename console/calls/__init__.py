"""The agent's workspace: the queue, the call screen, answers and dispositions."""
