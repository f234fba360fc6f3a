"""relance in Excel: the xlwings functions (udfs) and the ribbon add-in."""
