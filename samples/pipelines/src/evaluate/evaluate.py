"""Scores the trained model on the test set, logs its accuracy to MLflow (the metric the pipeline's
quality gate reads: RegisterModel's `accuracy >= 0.8` / `accuracy >= champion`), and copies it to
best_model when it beats the threshold."""
import argparse
import csv
import json
import math
import os
import shutil


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--test_data", required=True)
    parser.add_argument("--min_accuracy", type=float, default=0.7)
    parser.add_argument("--best_model", required=True)
    args = parser.parse_args()

    with open(os.path.join(args.model, "model.json")) as f:
        model = json.load(f)
    path = os.path.join(args.test_data, "test.csv") if os.path.isdir(args.test_data) else args.test_data
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    correct = 0
    for row in rows:
        z = model["bias"] + sum(w * float(row[name]) for w, name in zip(model["weights"], model["features"]))
        correct += int((1.0 / (1.0 + math.exp(-z)) >= 0.5) == (float(row["label"]) >= 0.5))
    accuracy = correct / max(len(rows), 1)
    print(f"accuracy={accuracy:.3f} on {len(rows)} rows")
    log_metric("accuracy", accuracy)
    if accuracy < args.min_accuracy:
        raise SystemExit(f"accuracy {accuracy:.3f} is below the threshold {args.min_accuracy}")
    shutil.copytree(args.model, args.best_model, dirs_exist_ok=True)
    with open(os.path.join(args.best_model, "metrics.json"), "w") as f:
        json.dump({"accuracy": accuracy}, f)


def log_metric(name: str, value: float) -> None:
    """In an Azure ML job, MLflow logs to the job's run (MLFLOW_TRACKING_URI is set by the service)."""
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        return  # run outside Azure ML (e.g. a local test): nothing to log to
    import mlflow

    mlflow.log_metric(name, value)


if __name__ == "__main__":
    main()
