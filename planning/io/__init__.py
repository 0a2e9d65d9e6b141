"""Files in: reading GIS layers and tables as clerks' offices produce them, Chinese coordinate systems, safe writing."""
