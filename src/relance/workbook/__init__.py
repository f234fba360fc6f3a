"""Workbook backends: read every tab, write back only the tabs relance owns."""
