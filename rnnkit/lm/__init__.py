"""Language models: n-grams, the RNN language model, its training, evaluation and generation.

``rnnkit.lm.ngrams`` never imports TensorFlow; the rest does. Every perplexity here follows one
protocol: each token predicted from all the text before it.
"""

from rnnkit import lazy_names

# The one warm-up of the fair protocol, for the chapters and the command line alike: an RNN
# reads this many characters before the scored text, so its state is not scored cold.
WARMUP = 2000

_HOMES = {
    "RNNLM": "rnnlm",
    "reads_the_future": "rnnlm",
    "train_custom": "training",
    "train_fit": "training",
    "TrainingDivergedError": "training",
    "TrainingHistory": "training",
    "token_loss": "training",
    "loss_and_gradients": "training",
    "clip_gradients": "clipping",
    "global_norm": "clipping",
    "Perplexity": "perplexity",
    "evaluate_perplexity": "perplexity",
    "token_log_probs": "perplexity",
    "held_out_perplexity": "perplexity",
    "generate": "generation",
    "CharCorpus": "corpus",
    "char_corpus": "corpus",
    "kneser_ney_baseline": "corpus",
    "Baseline": "corpus",
    "Checkpoint": "checkpoints",
    "KneserNeyNGram": "ngrams",
    "LaplaceNGram": "ngrams",
    "ModifiedKneserNeyNGram": "ngrams",
}
__all__ = sorted([*_HOMES, "WARMUP"])
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
