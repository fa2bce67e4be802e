"""A small client for Freshet's serving gateway, standard library only.

    from freshet_client import FreshetClient

    client = FreshetClient("http://localhost:8080", token=None)
    answer = client.get_online_features(
        feature_service="conversion_model", entities={"user_id": ["user_1", "user_2"]})
    answer.to_dict()      # {"user_id": [...], "event_count_1h": [...], ...}
    answer.to_pandas()    # a DataFrame, if pandas is installed

Lookups take Feast's request shape (features or a feature service, entities as columns, request
data as ``request_context``); ``push`` sends events for a view; ``training_set`` runs
``freshet training-set`` and loads the result.
"""

from .client import (
    FreshetClient,
    FreshetError,
    OnlineResponse,
    PushResult,
    TrainingSetError,
    training_set,
)

__all__ = [
    "FreshetClient",
    "FreshetError",
    "OnlineResponse",
    "PushResult",
    "TrainingSetError",
    "training_set",
]
__version__ = "0.1.0"
