"""Tabular reinforcement learning: Gymnasium's toy-text MDPs as arrays, value iteration, fast learners."""
