"""Per-API rules that the scenarios data cannot express, one module per API id.

A module may define `refuse(request)`, `run(request, fixture)` and
`default_example(request)`; see `mockserver.behave`.
"""
