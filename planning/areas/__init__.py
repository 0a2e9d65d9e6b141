"""Planning areas: the layers of a street office, from the user's files or derived from OpenStreetMap."""
