"""Stand-ins for the services higgsctl talks to (the Higgsfield sandbox is part of higgsctl:
higgsctl/sandbox): the Telegram Bot API emulator."""
