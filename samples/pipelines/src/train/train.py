"""Trains a logistic-regression churn model with plain gradient descent and saves it as JSON."""
import argparse
import csv
import json
import math
import os


def load(path):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    features = [name for name in reader.fieldnames if name != "label"]
    x = [[float(row[name]) for name in features] for row in rows]
    y = [float(row["label"]) for row in rows]
    return features, x, y


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def train(x, y, learning_rate, epochs):
    weights = [0.0] * (len(x[0]) + 1)
    for _ in range(epochs):
        gradient = [0.0] * len(weights)
        for xi, yi in zip(x, y):
            error = sigmoid(weights[0] + sum(w * v for w, v in zip(weights[1:], xi))) - yi
            gradient[0] += error
            for j, v in enumerate(xi):
                gradient[j + 1] += error * v
        weights = [w - learning_rate * g / len(x) for w, g in zip(weights, gradient)]
    return weights


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--training_data", required=True, help="folder with train.csv, or a CSV file")
    parser.add_argument("--learning_rate", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--model_output", required=True)
    args = parser.parse_args()

    data = args.training_data
    path = os.path.join(data, "train.csv") if os.path.isdir(data) else data
    features, x, y = load(path)
    weights = train(x, y, args.learning_rate, args.epochs)
    os.makedirs(args.model_output, exist_ok=True)
    with open(os.path.join(args.model_output, "model.json"), "w") as f:
        json.dump({"features": features, "bias": weights[0], "weights": weights[1:]}, f, indent=2)
    print(f"trained on {len(x)} rows for {args.epochs} epochs (learning rate {args.learning_rate})")


if __name__ == "__main__":
    main()
