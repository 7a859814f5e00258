// Local build placeholder (not committed): the lead owns Warehouse.
