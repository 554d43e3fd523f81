"""National tariff tables: Annex A shape, MFF, loaders and the synthetic catalogue link."""
