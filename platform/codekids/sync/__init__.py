"""Club laptops ("boxes") that sync their counted work to the national server (DESIGN.md §4, §7)."""
