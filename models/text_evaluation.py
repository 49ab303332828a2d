"""The text model measured on sentences it never saw: the held-out writer and the negation set.

Per category precision, recall and F1, macro-F1 over the five categories, and exact-match accuracy
(the predicted set of categories equals the labelled one, "other" being the empty set) on the
negation set, side by side for the whole classifier (the model, its rules and the second reading
of each mention), for the model and its rules without the second reading, and for the model alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from features.text_categories import CATEGORIES, CATEGORY_ZH
from features.text_model import (
    HELD_OUT_FILE,
    NEGATION_FILE,
    TRAIN_FILES,
    TextClassifier,
    default_classifier,
    label_matrix,
    read_corpus,
)

MACRO_F1_TARGET = 0.85
NEGATION_ACCURACY_TARGET = 0.9


@dataclass(frozen=True)
class TextEvaluation:
    per_category: pl.DataFrame  # category, 类别, variant, precision, recall, f1, support
    summary: dict[str, float | int | str]

    def as_dict(self) -> dict[str, object]:
        return {"summary": self.summary, "per_category": self.per_category.to_dicts()}


def evaluate_text(classifier: TextClassifier | None = None) -> TextEvaluation:
    model = classifier or default_classifier()
    train = read_corpus(*TRAIN_FILES)
    held_out = read_corpus(HELD_OUT_FILE)
    negations = read_corpus(NEGATION_FILE)
    rows = []
    summary: dict[str, float | int | str] = {
        "train_sentences": train.height,
        "held_out_sentences": held_out.height,
        "negation_sentences": negations.height,
        "train_files": ", ".join(TRAIN_FILES),
        "held_out_file": HELD_OUT_FILE,
        "negation_file": NEGATION_FILE,
    }
    truth = label_matrix(held_out["labels"])
    negated_truth = label_matrix(negations["labels"])
    variants = (
        ("model_and_rules", model, True),
        ("without_second_reading", replace(model, scopes=()), True),
        ("model_alone", model, False),
    )
    for variant, reader, rules in variants:
        predicted = _predicted(reader, held_out["text"], rules=rules)
        f1s = []
        for i, c in enumerate(CATEGORIES):
            tp = int((predicted[:, i] & truth[:, i]).sum())
            precision = tp / max(int(predicted[:, i].sum()), 1)
            recall = tp / max(int(truth[:, i].sum()), 1)
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            f1s.append(f1)
            rows.append((c, CATEGORY_ZH[c], variant, precision, recall, f1, int(truth[:, i].sum())))
        negated_predicted = _predicted(reader, negations["text"], rules=rules)
        summary[f"{variant}_macro_f1"] = float(np.mean(f1s))
        summary[f"{variant}_negation_accuracy"] = float(
            (negated_predicted == negated_truth).all(axis=1).mean()
        )
        summary[f"{variant}_held_out_exact_match"] = float((predicted == truth).all(axis=1).mean())
    summary["macro_f1_met"] = str(summary["model_and_rules_macro_f1"] >= MACRO_F1_TARGET)  # type: ignore[operator]
    summary["negation_met"] = str(
        summary["model_and_rules_negation_accuracy"] >= NEGATION_ACCURACY_TARGET  # type: ignore[operator]
    )
    per_category = pl.DataFrame(
        rows,
        schema=["category", "类别", "variant", "precision", "recall", "f1", "support"],
        orient="row",
    )
    return TextEvaluation(per_category=per_category, summary=summary)


def _predicted(model: TextClassifier, texts: pl.Series, *, rules: bool) -> np.ndarray:
    frame = model.categorise(texts, rules=rules)
    return np.column_stack([frame[f"cat_{c}"].to_numpy() for c in CATEGORIES])
