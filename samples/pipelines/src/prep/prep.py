"""Splits the prepared training data (written by the Data Factory pipeline) into train and test sets."""
import argparse
import csv
import os
import random


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--raw_data", required=True, help="CSV file or folder of CSV files")
    parser.add_argument("--test_fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--prepared_data", required=True, help="output folder")
    args = parser.parse_args()

    files = [args.raw_data] if os.path.isfile(args.raw_data) else [
        os.path.join(args.raw_data, name) for name in sorted(os.listdir(args.raw_data)) if name.endswith(".csv")
    ]
    header, rows = None, []
    for path in files:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            file_header = next(reader)
            header = header or file_header
            rows.extend(row for row in reader if row)

    random.Random(args.seed).shuffle(rows)
    split = int(len(rows) * (1 - args.test_fraction))
    os.makedirs(args.prepared_data, exist_ok=True)
    for name, part in (("train.csv", rows[:split]), ("test.csv", rows[split:])):
        with open(os.path.join(args.prepared_data, name), "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(part)
    print(f"prepared {split} training rows and {len(rows) - split} test rows")


if __name__ == "__main__":
    main()
