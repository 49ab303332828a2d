"""A synthetic Houma-like city: register, enrolment changes, contributions, payroll and sentiment,
with a hidden truth (mass layoffs, traps, latent distress) written apart from what the pipeline reads.

``generate_city`` is the entry point; ``write_table`` and ``FileFormat`` let tests write hand-made
inputs in any of the contract's export variants.
"""

from sources.synthetic.formats import FileFormat, write_table
from sources.synthetic.generate import GenerationSummary, generate_city

__all__ = ["FileFormat", "GenerationSummary", "generate_city", "write_table"]
