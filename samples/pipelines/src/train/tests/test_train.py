"""Local unit test for train.py; excluded from the upload by .amlignore."""
from train import sigmoid, train


def test_sigmoid_is_bounded():
    assert 0.0 < sigmoid(-1000) < sigmoid(0) == 0.5 < sigmoid(1000) <= 1.0


def test_train_separates_two_points():
    weights = train([[0.0], [1.0]], [0.0, 1.0], learning_rate=1.0, epochs=200)
    assert weights[1] > 0
