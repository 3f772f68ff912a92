"""The app's screens: home, the session's screens, and dialogs."""
