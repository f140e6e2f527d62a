"""The demo district: its data (district.yaml), the facilities built from it, and `municipal seed-demo`."""
