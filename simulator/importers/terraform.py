"""Import, Terraform: the JSON of ``terraform show -json`` (a state, or a plan's planned values)
-> a ``Draft`` of a scenario (docs/import-terraform.md).

The input is read with ``yamlnodes.load`` (JSON is YAML), so every value keeps its line and every
mistake is reported as ``FILE:LINE: JSON.PATH: message``. Security-group rules are mapped onto the
Tencent Cloud API's field names and converted by ``policies.convert``, the converter the API
importer uses, so both formats give the same rules; what the converter reports is located back at
the Terraform attribute it came from. Health checks are read as ``tencent_clb`` reads the API's.

``read`` loads the file; ``terraform_document`` collects its resources by type;
``terraform_groups`` reads security groups, their rules and templates; ``terraform_clb``
instances, load balancers, listeners and backends.
"""

from __future__ import annotations

from pathlib import Path

from ..yamlnodes import Reader
from . import terraform_clb, terraform_groups
from .draft import Draft
from .jsonfile import load_json
from .terraform_document import NOT_READ, Context, collect, summary


def read(file: Path, draft: Draft) -> None:
    """Fill ``draft`` from the ``terraform show -json`` output in ``file``."""
    name = str(file)
    context = Context(Reader(name), draft, name)
    kind, version = collect(context, load_json(file, name))
    document = draft.document
    document["title"] = f"Imported from Terraform: {file.name}"
    document["source"] = f"terraform show -json, a {kind} (Terraform {version}): {file}"
    for line, path, address, unread in context.not_read:
        draft.unsupported(name, line, path, f"{address}: {NOT_READ[unread]}")
    terraform_groups.groups(context)
    terraform_groups.rules(context, terraform_groups.templates(context))
    terraform_clb.instances(context)
    terraform_clb.balancers(context)
    terraform_clb.layer7_checks(context)
    terraform_clb.backends(context)
    terraform_clb.check_groups(context)
    document["notes"] = summary(context, kind)


__all__ = ["read"]
