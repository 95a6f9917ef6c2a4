"""Real configurations in and out: Tencent Cloud API JSON and Terraform state, read into a
scenario a person can edit; a security group written back in the API's shape.

``commands`` holds the ``import`` and ``export`` commands; ``tencent`` and ``terraform`` read
their formats into a ``draft.Draft``, which ``draft.render`` writes as a scenario file.
"""
