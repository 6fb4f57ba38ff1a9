"""Autofixes: rules describe them as operations; libcst applies them to the files being fixed."""
