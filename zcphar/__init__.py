"""zcphar: zero-cost proxies for wearable human activity recognition.

Find high-performing 1D-CNN / LSTM architectures for a wearable HAR dataset without training
them: sample architectures, score each with zero-cost proxies on one mini-batch, train only the
most promising, and measure how well the proxies rank the trained models.
"""

__version__ = "0.1.0"
