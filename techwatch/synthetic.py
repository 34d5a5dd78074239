"""An invented product corpus with known categories, for tests and offline demos.

Each listing mixes words of its category's vocabulary with generic shop words
shared by every category, so that the task is learnable but not trivial.
Nothing here comes from the real catalogue.
"""

from __future__ import annotations

import numpy as np

from techwatch.data import Corpus

VOCABULARY: dict[str, tuple[str, ...]] = {
    "Garden": ("shovel", "seeds", "soil", "hose", "lawn", "flowers", "rake", "compost",
               "planter", "watering can", "hedge trimmer", "greenhouse"),
    "Music": ("guitar", "piano", "drum", "violin", "strings", "melody", "chord", "amplifier",
              "microphone", "headphones", "sheet music", "metronome"),
    "Sports": ("football", "tennis racket", "running shoes", "jersey", "goal", "helmet",
               "dumbbell", "yoga mat", "bicycle", "stopwatch", "swimming goggles", "skateboard"),
    "Pets": ("dog", "cat", "leash", "collar", "kibble", "aquarium", "bird cage", "litter",
             "chew toy", "puppy", "kitten", "scratching post"),
    "Stationery": ("pencil", "notebook", "eraser", "ruler", "stapler", "ink pen", "envelope",
                   "sticky notes", "paper clips", "highlighter", "folder", "sharpener"),
}
GENERIC = ("premium", "quality", "durable", "best price", "free delivery", "genuine product",
           "gift", "stylish", "for everyone", "easy to use", "lightweight", "new arrival",
           "buy online", "colour", "set of two", "value pack")


def synthetic_corpus(per_class: int = 30, topic_share: float = 0.25, length: int = 10,
                     seed: int = 0) -> Corpus:
    """`per_class` listings per category; `topic_share` of each listing's words are on topic."""
    rng = np.random.default_rng(seed)
    texts, labels, names = [], [], []
    for category, words in VOCABULARY.items():
        for i in range(per_class):
            on_topic = rng.random(length) < topic_share
            picks = [rng.choice(words) if topic else rng.choice(GENERIC) for topic in on_topic]
            name = f"{rng.choice(GENERIC).title()} {rng.choice(words).title()} {i + 1}"
            texts.append(f"{name}. " + " ".join(str(p) for p in picks) + ".")
            labels.append(category)
            names.append(name)
    order = rng.permutation(len(texts))
    return Corpus([texts[i] for i in order], np.array(labels, dtype=object)[order],
                  [names[i] for i in order])
