"""The app's pages: layout and widgets only."""
