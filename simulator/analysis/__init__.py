"""Analysis: exact sets of packets, and what each rule of an ordered list really decides.

Replaying flows answers "does this packet get through?"; this sub-package answers questions no
single packet answers, exactly and never by sampling: which packets a rule decides once earlier
rules have taken theirs, which rules decide nothing at all.
"""
