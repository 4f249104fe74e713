"""Predictors, no Qt: traffic speed forecasts with bands, incidents, suggested sites.

Each predictor is fitted, saved and loaded here and scored against baselines on exactly the same
rows (`hktwin ai backtest`). Modules import numpy at most at import time; scikit-learn, pandas and
the analysis stack are imported inside the functions that need them.
"""
