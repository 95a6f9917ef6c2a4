"""Flow logs: millions of recorded packets decided in bulk, after evaluation (stage 3).

Everything here works on numpy columns, so numpy is imported only by the modules of this
sub-package, never by the command line's ordinary commands.
"""
