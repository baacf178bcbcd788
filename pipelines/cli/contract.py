"""``omniroute contract``: the partner contract, every kind and column, as Markdown.

The same text as ``docs/partner_contract.md``, rendered from the one field table
(``contracts.fields``), so a partner can read it without the repository.
"""

from __future__ import annotations

from contracts.contract_doc import render_contract

HELP = """Print the partner contract (every file kind, column, type, range and rule) as Markdown.

The same document as docs/partner_contract.md, generated from the field table the validation
reads, so it never drifts from what is enforced.
"""


def contract() -> int:
    """Exit 0."""
    print(render_contract(), end="")
    return 0
