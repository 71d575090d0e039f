"""In-app notifications: the bell in the top bar and the notifications page."""
