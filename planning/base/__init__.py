"""Foundation every stage uses: errors and texts in two languages, the facility catalogue, walking constants, where files live."""
