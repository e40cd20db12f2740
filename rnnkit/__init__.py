"""rnnkit: the helper package behind the RNN Workbook.

Modules are small and named after the concept they hold; import the one you need,
for example ``from rnnkit import vocab`` or ``from rnnkit.datasets import load_text``.
"""

__version__ = "0.1.0"
