"""relance in Excel: the ribbon's buttons (ribbon.py) and the worksheet functions (udfs.py), run by xlwings."""
