"""The demo: a whole live game with simulated players against the local stack."""
