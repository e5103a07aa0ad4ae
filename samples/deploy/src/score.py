"""Scoring script for the churn model (best_model): logistic regression saved as model.json by train.py.

Request:  {"data": [[tenure_months, monthly_charges, support_calls], ...]}
Response: [churn probability, ...]  (one per row)
"""
import json
import logging
import math
import os

model = None


def init():
    """Loads model.json from the folder Azure ML mounts the registered model into."""
    global model
    model_dir = os.getenv("AZUREML_MODEL_DIR", ".")
    for root, _, files in os.walk(model_dir):
        if "model.json" in files:
            with open(os.path.join(root, "model.json")) as f:
                model = json.load(f)
            logging.info("loaded model with features %s", model["features"])
            return
    raise FileNotFoundError(f"model.json not found under {model_dir}")


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    out = []
    for row in rows:
        if len(row) != len(model["weights"]):
            raise ValueError(f"expected {len(model['weights'])} features ({', '.join(model['features'])}), got {len(row)}")
        z = model["bias"] + sum(w * float(v) for w, v in zip(model["weights"], row))
        out.append(1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0))))
    return out
