"""Imports every module that declares tables, so that init_db() creates them all.

Add a line here when a module declares a table on app.db.Base.
"""
