# checkov loads custom checks only from directories with an __init__.py.
